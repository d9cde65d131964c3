"""``yrdx bench``: performance figures, each beside the baseline it is compared with."""

from __future__ import annotations

import json
import os
from typing import Annotated

import typer

from adapters.core.provinces import PROVINCES, Province
from yrdx.bench import adapters, ledger

app = typer.Typer(
    help="Benchmarks that print their figures and the baseline measured in the same run.", no_args_is_help=True
)

DEFAULT_ENTRIES = {"embedded": 2_000, "anvil": 20_000, "rpc": 20_000}


@app.command("ledger")
def ledger_cmd(
    rpc: Annotated[
        str | None, typer.Option("--rpc", help="Benchmark this JSON-RPC endpoint instead of the local engines.")
    ] = None,
    entries: Annotated[int | None, typer.Option("--entries", help="Entries per run (default per engine).")] = None,
    batch: Annotated[int, typer.Option("--batch", help="Entries per transaction.")] = 100,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """Entries published per second in batches, gas per entry, and the raw ceiling."""
    results: dict[str, dict[str, object]] = {}
    targets = [("rpc", rpc)] if rpc else [("embedded", None), ("anvil", None)]
    for name, url in targets:
        count = entries or DEFAULT_ENTRIES[name]
        figures = ledger.measure(name, entries=count, batch=batch, url=url)
        results[name] = figures.as_json()
        if not as_json:
            typer.echo(
                f"{name:9s} {figures.entries_per_s:10.1f} entries/s pipelined   "
                f"{figures.raw_entries_per_s:10.1f} entries/s raw ceiling   "
                f"({figures.entries_per_s / figures.raw_entries_per_s:.0%})   "
                f"gas/entry publish {figures.gas_per_entry_publish:.0f} (target <= 30000)   "
                f"status {figures.gas_per_entry_status:.0f} (target <= 12000)"
            )
    if as_json:
        typer.echo(json.dumps(results))


ADAPTER_ENTRIES = {"embedded": 1_000, "anvil": 20_000, "rpc": 20_000}


@app.command("adapters")
def adapters_cmd(
    rpc: Annotated[
        str | None, typer.Option("--rpc", help="Benchmark this JSON-RPC endpoint instead of the local engines.")
    ] = None,
    entries: Annotated[int | None, typer.Option("--entries", help="Entries per run (default per engine).")] = None,
    province: Annotated[list[str] | None, typer.Option("--province", help="Only these provinces (repeatable).")] = None,
    batch: Annotated[int, typer.Option("--batch", help="Entries per transaction.")] = 500,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """Per dialect: entries/s file to chain, entries/s synced into a peer store, peak RSS, raw ceiling."""
    chosen = [Province.parse(p) for p in province] if province else list(PROVINCES)
    engines = ["rpc"] if rpc else ["embedded", "anvil"]
    results: dict[str, dict[str, object]] = {}
    for engine in engines:
        results[engine] = {}
        for p in chosen:
            count = entries or ADAPTER_ENTRIES[engine]
            figures = adapters.measure(engine, p, entries=count, batch=batch, url=rpc)
            results[engine][p.value] = figures.as_json()
            if not as_json:
                typer.echo(_adapter_line(engine, p, figures, os.cpu_count() or 1))
    if as_json:
        typer.echo(json.dumps(results))


@app.command("gateway")
def gateway_cmd(
    seconds: Annotated[float, typer.Option("--seconds", help="Measured seconds per endpoint (after warm-up).")] = 10.0,
    entries: Annotated[int, typer.Option("--entries", help="Generated entries per province.")] = 100,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """/v1/verify requests/s and p50/p99 at 32 concurrent clients, beside a bare FastAPI endpoint."""
    from yrdx.bench import gateway as gateway_bench  # starts nothing until called

    figures = gateway_bench.measure(entries=entries, duration=seconds)
    if as_json:
        keys = ("verify_rps", "verify_p50_ms", "verify_p99_ms", "bare_rps", "bare_p99_ms")
        typer.echo(json.dumps({k: figures.as_json()[k] for k in keys}))
        return
    typer.echo(
        f"/v1/verify {figures.verify_rps:8.1f} requests/s  p50 {figures.verify_p50_ms:6.1f} ms  "
        f"p99 {figures.verify_p99_ms:6.1f} ms (target < 100)   {figures.concurrency} clients, "
        f"{figures.packages} packages"
    )
    typer.echo(
        f"bare       {figures.bare_rps:8.1f} requests/s  p50 {figures.bare_p50_ms:6.1f} ms  "
        f"p99 {figures.bare_p99_ms:6.1f} ms   verify/bare {figures.verify_rps / figures.bare_rps:.0%} (target >= 50%)"
    )


REPLAY_EVENTS = {"embedded": 40_000, "anvil": 200_000}


@app.command("replay")
def replay_cmd(
    events: Annotated[
        int | None, typer.Option("--events", min=100, help="Events per engine (default per engine).")
    ] = None,
    engine: Annotated[
        list[str] | None, typer.Option("--engine", help="anvil or embedded (repeatable; default both).")
    ] = None,
    parallel: Annotated[int, typer.Option("--parallel", min=1, help="Concurrent eth_getLogs requests.")] = 4,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """Audit replay events/s beside the raw eth_getLogs rate of the same logs, per engine."""
    from yrdx.bench import replay  # starts nothing until called

    results: dict[str, dict[str, float | int]] = {}
    for name in engine or ["anvil", "embedded"]:
        if name not in replay.SHAPES:
            raise typer.BadParameter(f"--engine {name!r}: expected anvil or embedded")
        with replay.engine(name) as url:
            figures = replay.measure(url, engine_name=name, events=events or REPLAY_EVENTS[name], parallel=parallel)
        results[name] = figures.as_json()
        generation = (
            f"{name}: generated {figures.entries} entries and {figures.status_changes} status changes "
            f"in {figures.generation_s:.1f} s"
        )
        if as_json:
            typer.echo(generation, err=True)
            continue
        typer.echo(generation)
        typer.echo(
            f"{name:9s} {figures.events} events   replay {figures.replay_events_per_s:10.1f} events/s   "
            f"raw eth_getLogs {figures.raw_logs_per_s:10.1f} logs/s   "
            f"({figures.replay_events_per_s / figures.raw_logs_per_s:.0%} of raw, target >= 50%)"
        )
    if as_json:
        typer.echo(json.dumps(results))


def _adapter_line(engine: str, province: Province, figures: adapters.AdapterFigures, cores: int) -> str:
    raw = figures.raw_entries_per_s
    cpu = figures.pipeline_cpu_us_per_entry
    line = (
        f"{engine:9s} {province.value}  {figures.entries_per_s:9.1f} entries/s file->chain  "
        f"raw ceiling {raw:9.1f} ({figures.entries_per_s / raw:.0%})  "
        f"sync {figures.sync_entries_per_s:9.1f} entries/s  peak RSS {figures.peak_rss_mb:.0f} MB  "
        f"pipeline CPU {cpu:.0f} us/entry (at most {cores * 1e6 / cpu:,.0f} entries/s on {cores} cores "
        "with the ledger free)"
    )
    bound = figures.machine_bound(cores)
    if bound is not None:
        raw_cpu = figures.raw_machine_cpu_us_per_entry
        line += (
            f"  machine CPU {figures.machine_cpu_us_per_entry:.0f} us/entry, raw ceiling's "
            f"{'n/a (too short to tell)' if raw_cpu is None else f'{raw_cpu:.0f}'} "
            f"(at most {bound:,.0f} entries/s, {bound / raw:.0%} of raw, on {cores} cores)"
        )
    return line
