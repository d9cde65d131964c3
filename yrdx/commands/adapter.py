"""``yrdx adapter``: ingest a platform export, sync other provinces' entries, export for the platform."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path
from typing import Annotated

import typer

from adapters.chain.view import LedgerView
from adapters.core.errors import AdapterError, DialectError
from adapters.core.provinces import PROVINCES, Province
from adapters.dialects import DIALECTS
from adapters.dialects.base import is_url
from adapters.pipeline.export import export
from adapters.pipeline.ingest import Kind, QuarantineReport, ingest
from adapters.pipeline.packages import PackageSource, StorePackageSource
from adapters.pipeline.plan import Planner, utc_now
from adapters.pipeline.publisher import Publisher
from adapters.pipeline.sync import Syncer
from gateway.errors import GatewayError
from node.client import RetryPolicy
from node.errors import LedgerError
from node.events import EventCodec, EventReader
from yrdx.commands.gateway import package_source
from yrdx.context import DEFAULT_DATA_DIR, DataDir

app = typer.Typer(help="Province adapters: ingest exports, sync peers, export for the platform.", no_args_is_help=True)

DataDirOption = Annotated[Path, typer.Option("--data-dir", help="Data directory (see `yrdx up`).")]
ProvinceOption = Annotated[str, typer.Option("--province", help="sh, js, zj or ah.")]
RpcOption = Annotated[str | None, typer.Option("--rpc", help="Ledger JSON-RPC endpoint.")]
StoreOption = Annotated[
    str | None, typer.Option("--store", help="Store DSN (sqlite:///path or postgresql+psycopg://...).")
]

RetryOption = Annotated[
    float | None,
    typer.Option(
        "--retry-for",
        min=0,
        help="Keep retrying an unreachable ledger for about this many seconds (backoff up to 5 s "
        "between attempts) before giving up; default about 10.",
    ),
]

EXIT_QUARANTINED = 3
EXIT_UNREADABLE = 2


def retry_policy(seconds: float | None) -> RetryPolicy | None:
    """A backoff that keeps trying for about ``seconds`` (None: the client's default).

    The delays grow as the default policy's and are jittered (uniform up to each step's
    ceiling), so attempts are added until the expected total reaches ``seconds``."""
    if seconds is None:
        return None
    base = RetryPolicy()
    attempts, expected = 1, 0.0
    while expected < seconds:
        expected += min(base.max_delay, base.initial_delay * 2 ** (attempts - 1)) / 2
        attempts += 1
    return RetryPolicy(attempts=attempts, initial_delay=base.initial_delay, max_delay=base.max_delay)


def _province(value: str) -> Province:
    try:
        return Province.parse(value)
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from None


@app.command("ingest")
def ingest_cmd(
    source: Annotated[
        str,
        typer.Argument(
            help=(
                "The export file; for Shanghai also its platform's export endpoint, an http(s):// base URL "
                "(records are pulled from URL/entries or URL/evaluations)."
            )
        ),
    ],
    province: ProvinceOption,
    kind: Annotated[str, typer.Option("--kind", help="entries or evaluations.")] = "entries",
    quarantine: Annotated[
        Path | None, typer.Option("--quarantine", help="Write refused records here (JSON Lines).")
    ] = None,
    data_dir: DataDirOption = DEFAULT_DATA_DIR,
    rpc: RpcOption = None,
    store_dsn: StoreOption = None,
    batch_size: Annotated[int, typer.Option("--batch-size", help="Entries per ledger transaction.")] = 500,
    retry_for: RetryOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON summary.")] = False,
) -> None:
    """Validate, store, publish in batches and confirm one export.

    Exit 0 when every record was valid and applied, 3 when some were quarantined or refused by
    the ledger (both are in the quarantine report), 2 when the file cannot be read as the
    province's dialect.
    """
    p = _province(province)
    if kind not in ("entries", "evaluations"):
        raise typer.BadParameter("--kind must be entries or evaluations")
    dd = DataDir(data_dir)
    if quarantine is not None and Path(source).exists() and quarantine.resolve() == Path(source).resolve():
        raise typer.BadParameter("--quarantine must not be the export being read")
    if is_url(source) and not DIALECTS[p].pulls:
        typer.echo(f"error: {DialectError(source, DIALECTS[p].no_endpoint())}", err=True)
        raise typer.Exit(EXIT_UNREADABLE)
    report = QuarantineReport.to_path(quarantine)
    try:
        url = dd.rpc_url(rpc)
        client = dd.province_client(p, rpc_url=url, retry=retry_policy(retry_for))
        deployment = dd.deployment()
        store = dd.open_store(p, store_dsn)
        tag_version = client.call(
            client.contract("Consortium", deployment.address("Consortium")).functions.tagKeyVersion()
        )
        planner = Planner(keyring=dd.keyring(), tag_key_version=int(tag_version), now=utc_now)
        publisher = Publisher(store=store, client=client, deployment=deployment, batch_size=batch_size)
        src: str | Path = source if is_url(source) else Path(source)
        kind_: Kind = "entries" if kind == "entries" else "evaluations"
        summary = ingest(
            province=p,
            kind=kind_,
            source=src,
            source_name=source,
            store=store,
            planner=planner,
            publisher=publisher,
            quarantine=report,
        )
    except DialectError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(EXIT_UNREADABLE) from exc
    except (AdapterError, LedgerError) as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from exc
    finally:
        report.close()
    if as_json:
        typer.echo(json.dumps(summary.as_json()))
    else:
        typer.echo(
            f"{p.name_en} {kind}: read {summary.read}, valid {summary.valid}, quarantined {summary.quarantined}, "
            f"published {summary.published}, already published {summary.already_published}, "
            f"amended {summary.amended}, status changes {summary.status_changes}, failed {summary.failed}"
        )
    if summary.quarantined or summary.failed:
        raise typer.Exit(EXIT_QUARANTINED)


def _gateways(specs: list[str]) -> dict[Province, str]:
    """``--gateway PROVINCE=URL`` options as province -> base URL."""
    urls: dict[Province, str] = {}
    for spec in specs:
        name, sep, url = spec.partition("=")
        if not sep or not url.startswith(("http://", "https://")):
            raise typer.BadParameter(f"--gateway {spec!r}: expected PROVINCE=URL, e.g. zj=http://127.0.0.1:8103")
        urls[_province(name)] = url
    return urls


def _syncer(
    dd: DataDir,
    p: Province,
    url: str,
    store_dsn: str | None,
    gateways: dict[Province, str],
    retry: RetryPolicy | None = None,
) -> tuple[Syncer, Publisher]:
    """A syncer for ``p`` that takes packages from the owners' gateways when ``gateways`` names
    any (over HTTP, with the province's development credentials), else from the other
    provinces' stores in the data dir."""
    deployment = dd.deployment()
    client = dd.province_client(p, rpc_url=url, retry=retry)
    store = dd.open_store(p, store_dsn)
    source: PackageSource
    if gateways:
        source = package_source(dd, p, gateways)
    else:
        source = StorePackageSource({q: store if q is p else dd.open_store(q) for q in PROVINCES})
    reader = EventReader(rpc_url=url, codec=EventCodec(deployment.addresses()), retry=retry)
    view = LedgerView(client=client, deployment=deployment, reader=reader)
    syncer = Syncer(province=p, store=store, view=view, source=source, keyring=dd.keyring())
    return syncer, Publisher(store=store, client=client, deployment=deployment)


@app.command("sync")
def sync_cmd(
    province: ProvinceOption,
    data_dir: DataDirOption = DEFAULT_DATA_DIR,
    rpc: RpcOption = None,
    store_dsn: StoreOption = None,
    gateway: Annotated[
        list[str] | None,
        typer.Option(
            "--gateway",
            help="PROVINCE=URL of an owner's gateway to fetch packages from (repeatable); "
            "without it packages are read from the data dir's stores.",
        ),
    ] = None,
    retry_for: RetryOption = None,
    ask_refused: Annotated[
        bool,
        typer.Option(
            "--ask-refused",
            help="Forget the packages refused by earlier runs and ask their owners again "
            "(once an owner has mended its store).",
        ),
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON summary.")] = False,
) -> None:
    """Follow the ledger from the saved cursor; fetch, check and store other provinces' records.

    Packages an owner cannot serve now (its gateway away) are counted as waiting and asked for
    again on the next run. A refused package (it does not match the ledger) is reported once
    and not asked for again, unless ``--ask-refused`` is given.
    """
    p = _province(province)
    gateways = _gateways(gateway or [])
    dd = DataDir(data_dir)
    try:
        syncer, publisher = _syncer(dd, p, dd.rpc_url(rpc), store_dsn, gateways, retry_policy(retry_for))
        cleared = syncer.store.clear_refusals() if ask_refused else 0
        publisher.recover()
        stats = syncer.run_once()
        published = publisher.drain()  # sends what is pending, then waits for it
    except (AdapterError, LedgerError, GatewayError) as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from exc
    summary = {
        **asdict(stats),
        "recognitions_confirmed": published.ops.get("recognise", 0),
        "refusals_cleared": cleared,
    }
    if as_json:
        typer.echo(json.dumps(summary))
    else:
        typer.echo(
            f"{p.name_en}: read {stats.events} events to block {stats.to_block}; stored {stats.stored}, "
            f"withdrawn {stats.withdrawn}, refused {stats.refused}, waiting {stats.waiting}, "
            f"recognised {summary['recognitions_confirmed']}"
            + (f"; asked again for {cleared} refused" if ask_refused else "")
        )
    if stats.refused:
        raise typer.Exit(EXIT_QUARANTINED)


@app.command("export")
def export_cmd(
    out: Annotated[Path, typer.Argument(help="Directory to write entries and evaluations into.")],
    province: ProvinceOption,
    data_dir: DataDirOption = DEFAULT_DATA_DIR,
    store_dsn: StoreOption = None,
) -> None:
    """Write the other provinces' shared entries and results in the province's dialect."""
    p = _province(province)
    try:
        result = export(DataDir(data_dir).open_store(p, store_dsn), p, out)
    except AdapterError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from exc
    typer.echo(f"wrote {result.entries} entries to {result.entries_path}")
    typer.echo(f"wrote {result.evaluations} evaluation results to {result.evaluations_path}")
