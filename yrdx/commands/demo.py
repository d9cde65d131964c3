"""``yrdx demo``: the whole story of the exchange on a fresh data dir; exit 0 only if every
step turned out as it should."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Annotated

import typer

from adapters.core.errors import AdapterError
from gateway.errors import GatewayError
from node.engines import free_port
from node.errors import LedgerError
from yrdx.context import DataDir
from yrdx.demo import Demo, DemoFailure


def run(
    data_dir: Annotated[
        Path | None, typer.Option("--data-dir", help="A fresh data directory (default: a new temporary one).")
    ] = None,
) -> None:
    """Zhejiang publishes a black-list entry, the other provinces sync it, a credit agency
    verifies it, it is disputed, amended and repaired, an evaluation is recognised across
    provinces, the agency asks who queried the subject, and an auditor replays the ledger."""
    from node.embedded import EmbeddedLedger  # py-evm loads slowly: only when used

    with tempfile.TemporaryDirectory(prefix="yrdx-demo-") as tmp:
        root = data_dir or Path(tmp)
        if root.exists() and any(root.iterdir()):
            typer.echo(f"error: {root} is not empty: the demo needs a fresh data directory", err=True)
            raise typer.Exit(2)
        dd = DataDir(root)
        ledger = EmbeddedLedger(dd.ledger)
        demo: Demo | None = None
        try:
            url = ledger.start(port=free_port())
            demo = Demo(dd, rpc_url=url, echo=lambda line: typer.echo(f"• {line}"))
            demo.start()
            story = demo.run()
        except DemoFailure as exc:
            typer.echo(f"demo failed: {exc}", err=True)
            raise typer.Exit(1) from exc
        except (LedgerError, AdapterError, GatewayError) as exc:
            typer.echo(f"error: {exc}", err=True)
            raise typer.Exit(2) from exc
        finally:
            if demo is not None:
                demo.stop()
            ledger.stop()
        kept = f"data kept in {root}" if data_dir else "temporary data removed"
        typer.echo(f"demo complete: {len(story.steps)} steps, all as expected ({kept})")
