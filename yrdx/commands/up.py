"""``yrdx up``: the exchange on one machine — the durable embedded ledger (or an external RPC
endpoint), the contracts deployed once with the four founding members."""

from __future__ import annotations

import signal
import threading
from pathlib import Path
from typing import Annotated

import typer

from adapters.core.provinces import PROVINCES
from node.client import LedgerClient, RetryPolicy
from node.deploy import deploy_or_verify
from node.dev_accounts import dev_accounts
from node.errors import LedgerError

DEFAULT_DATA_DIR = Path(".yrdx")


def run(
    data_dir: Annotated[Path, typer.Option("--data-dir", help="Data directory.")] = DEFAULT_DATA_DIR,
    rpc: Annotated[
        str | None, typer.Option("--rpc", help="Use this JSON-RPC endpoint instead of the embedded ledger.")
    ] = None,
    ledger_port: Annotated[int, typer.Option("--ledger-port", help="Port of the embedded ledger.")] = 8545,
) -> None:
    """Start the exchange on its embedded defaults and keep it running until Ctrl-C.

    Running it again on the same data dir resumes: the ledger keeps its history and the
    deployment is verified, not repeated.
    """
    from node.embedded import EmbeddedLedger

    data_dir.mkdir(parents=True, exist_ok=True)
    ledger = None if rpc else EmbeddedLedger(data_dir / "ledger")
    try:
        url = rpc or ledger.start(port=ledger_port)  # type: ignore[union-attr]
        accounts = dev_accounts(1 + len(PROVINCES))
        deployer = LedgerClient(rpc_url=url, account=accounts[0], retry=RetryPolicy(attempts=5))
        deployer.wait_for_endpoint(timeout=10)
        manifest = data_dir / "deployment.json"
        deployment, created = deploy_or_verify(
            deployer,
            manifest,
            founding_members={p.code: accounts[i + 1].address for i, p in enumerate(PROVINCES)},
        )
    except LedgerError as exc:
        if ledger is not None:
            ledger.stop()
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc

    typer.echo(f"yrdx is up ({'deployed the contracts' if created else 'resumed an existing deployment'})")
    typer.echo(f"  ledger RPC     {url}  (chain {deployment.chain_id})")
    typer.echo(f"  manifest       {manifest.resolve()}")
    for name, record in sorted(deployment.contracts.items()):
        typer.echo(f"  {name:14s} {record.address}")
    for i, province in enumerate(PROVINCES):
        typer.echo(f"  member {province.code} {province.name_en:9s} signer {accounts[i + 1].address}")
    typer.echo("press Ctrl-C to stop")

    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    stop.wait()
    typer.echo("stopping")
    if ledger is not None:
        ledger.stop()
