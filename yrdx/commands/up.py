"""``yrdx up``: the whole exchange on one machine, on its embedded defaults, until Ctrl-C."""

from __future__ import annotations

import signal
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from adapters.core.errors import AdapterError
from adapters.core.provinces import PROVINCES, Province
from gateway.errors import GatewayError
from gateway.server import GatewayFleet
from gateway.settings import PORTS
from node.engines import port_in_use
from node.errors import LedgerError
from yrdx.commands.gateway import client_dir, package_source, pki_dir, start_gateways
from yrdx.context import DEFAULT_DATA_DIR, DataDir
from yrdx.runtime import Exchange

if TYPE_CHECKING:
    from node.embedded import EmbeddedLedger


def gateway_ports(shanghai: int) -> dict[Province, int]:
    """The gateways' ports with Shanghai's at ``shanghai``, the others as far from it as in ``PORTS``."""
    return {p: shanghai + port - PORTS[Province.SH] for p, port in PORTS.items()}


def _status_counts(counts: dict[str, Any], origin: str, kind: str) -> int:
    return sum(counts["records"].get(origin, {}).get(kind, {}).values())


def run(
    data_dir: Annotated[Path, typer.Option("--data-dir", help="Data directory.")] = DEFAULT_DATA_DIR,
    rpc: Annotated[
        str | None, typer.Option("--rpc", help="Use this JSON-RPC endpoint instead of the embedded ledger.")
    ] = None,
    ledger_port: Annotated[int, typer.Option("--ledger-port", help="Port of the embedded ledger.")] = 8545,
    gateway_port: Annotated[
        int,
        typer.Option(
            "--gateway-port",
            min=1024,
            max=65532,
            help="Port of Shanghai's gateway; the other three take the next ports.",
        ),
    ] = PORTS[Province.SH],
) -> None:
    """Start the exchange: the durable embedded ledger (or --rpc), the contracts deployed once,
    the four province adapters with their bundled sample exports, and the sync loops.

    Running it again on the same data dir resumes where it stopped: nothing redone, nothing lost.
    """
    dd = DataDir(data_dir)
    ports = gateway_ports(gateway_port)
    busy = [f"{port} ({what})" for port, what in _ports(rpc is None, ledger_port, ports) if port_in_use(port)]
    if busy:
        typer.echo(f"error: port already in use on 127.0.0.1: {', '.join(busy)}; stop what holds it", err=True)
        raise typer.Exit(2)
    ledger: EmbeddedLedger | None = None
    exchange: Exchange | None = None
    fleet: GatewayFleet | None = None
    try:
        if rpc is None:
            from node.embedded import EmbeddedLedger  # py-evm loads slowly: only when used

            ledger = EmbeddedLedger(dd.ledger)
            url = ledger.start(port=ledger_port)
        else:
            url = rpc
        dd.root.mkdir(parents=True, exist_ok=True)
        dd.ledger_url_file.write_text(url + "\n", encoding="utf-8")
        typer.echo(f"ledger {url}; preparing the exchange in {dd.root.resolve()} ...")
        exchange = Exchange(dd, rpc_url=url)
        exchange.prepare()
        exchange.ingest_samples()
        fleet = start_gateways(
            dd,
            rpc_url=url,
            clients={p: part.client for p, part in exchange.provinces.items()},
            stores={p: part.store for p, part in exchange.provinces.items()},
            ports=ports,
        )
        urls = fleet.urls
        exchange.attach_syncers(lambda p: package_source(dd, p, urls))
        exchange.sync_round()
    except (LedgerError, AdapterError, GatewayError) as exc:
        _shutdown(fleet, exchange, ledger)
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc

    assert exchange.deployment is not None
    typer.echo(f"yrdx is up ({'deployed the contracts' if exchange.created else 'resumed an existing deployment'})")
    typer.echo(f"  ledger RPC     {url}  (chain {exchange.deployment.chain_id})")
    typer.echo(f"  manifest       {dd.manifest.resolve()}")
    counts = exchange.counts()
    for p in PROVINCES:
        c = counts[p.value]
        typer.echo(
            f"  {p.value} {p.name_en:9s} own entries {_status_counts(c, 'own', 'list-entry'):4d}  "
            f"own results {_status_counts(c, 'own', 'evaluation'):3d}  "
            f"synced entries {_status_counts(c, 'synced', 'list-entry'):4d}  "
            f"synced results {_status_counts(c, 'synced', 'evaluation'):3d}  "
            f"gateway {fleet.urls[p]}"
        )
    typer.echo(f"  stores         {dd.root.resolve() / 'stores'}")
    typer.echo(f"  signing keys   {dd.root.resolve() / 'keys'}  (development keys; password in keys/password)")
    typer.echo(f"  credentials    {pki_dir(dd).resolve() / 'clients'}  (province-sh..ah, agency, auditor)")
    typer.echo(
        f"  try            yrdx client --cred {client_dir(dd, 'agency')} --gateway {fleet.urls[Province.ZJ]} "
        "verify PACKAGE.json"
    )
    typer.echo(
        f"  console        {fleet.urls[Province.ZJ]}/console  (open with: yrdx client --cred "
        f"{client_dir(dd, 'province-zj')} --gateway {fleet.urls[Province.ZJ]} token --console)"
    )
    typer.echo("press Ctrl-C to stop")

    exchange.start_sync_loop()
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    stop.wait()
    typer.echo("stopping")
    _shutdown(fleet, exchange, ledger)
    typer.echo("stopped")


def _ports(embedded: bool, ledger_port: int, gateways: dict[Province, int]) -> list[tuple[int, str]]:
    wanted = [(port, f"{p.name_en} gateway") for p, port in gateways.items()]
    return [(ledger_port, "embedded ledger"), *wanted] if embedded else wanted


def _shutdown(fleet: GatewayFleet | None, exchange: Exchange | None, ledger: EmbeddedLedger | None) -> None:
    """Stop in reverse order: gateways (anchoring their last checkpoints), sync loops and
    stores, then the ledger."""
    if fleet is not None:
        fleet.stop()
    if exchange is not None:
        exchange.stop()
    if ledger is not None:
        ledger.stop()
