"""``yrdx node``: serve the durable embedded ledger over JSON-RPC until Ctrl-C or SIGTERM."""

from __future__ import annotations

import signal
import threading
from pathlib import Path
from typing import Annotated

import typer

from node.errors import LedgerError


def run(
    data_dir: Annotated[Path, typer.Option("--data-dir", help="Directory of the ledger database (made if absent).")],
    host: Annotated[str, typer.Option("--host", help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="TCP port to listen on (0 picks a free one).")] = 8545,
    chain_id: Annotated[int, typer.Option("--chain-id", help="Chain id (fixed at genesis).")] = 1337,
    accounts: Annotated[int, typer.Option("--accounts", help="Dev accounts to fund at genesis and unlock.")] = 10,
    block_gas_limit: Annotated[
        int, typer.Option("--block-gas-limit", help="Block gas limit (fixed at genesis).")
    ] = 60_000_000,
    max_logs: Annotated[int, typer.Option("--max-logs", help="Most logs one eth_getLogs may return.")] = 100_000,
) -> None:
    """Serve Ethereum JSON-RPC from the durable embedded ledger (py-evm on SQLite).

    Transactions are mined as soon as they arrive. Every transaction that got a receipt survives
    a crash; restarting on the same data dir resumes the chain.
    """
    from node.embedded import EmbeddedLedger  # py-evm loads slowly: only for this command

    try:
        ledger = EmbeddedLedger(
            data_dir, chain_id=chain_id, accounts=accounts, block_gas_limit=block_gas_limit, max_logs=max_logs
        )
        url = ledger.start(host=host, port=port)
    except LedgerError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc

    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    typer.echo(f"yrdx embedded ledger listening on {url}")
    typer.echo(f"  data dir   {data_dir.resolve()}")
    typer.echo(f"  chain id   {chain_id}")
    typer.echo("  dev accounts (mnemonic: test test test test test test test test test test test junk)")
    for i, account in enumerate(ledger.accounts):
        typer.echo(f"  ({i}) {account.address}  0x{account.key.hex()}")
    typer.echo("press Ctrl-C to stop")
    stop.wait()
    typer.echo("stopping")
    ledger.stop()
