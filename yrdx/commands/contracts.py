"""``yrdx contracts``: compile the Solidity contracts and check the committed artifacts."""

from __future__ import annotations

from typing import Annotated

import typer

from node import compiler
from node.errors import LedgerError

app = typer.Typer(help="Compile the contracts and check the committed artifacts.", no_args_is_help=True)


@app.command()
def build(
    check: Annotated[
        bool,
        typer.Option("--check", help="Recompile into a temporary place and fail when a committed artifact differs."),
    ] = False,
) -> None:
    """Compile contracts/src into contracts/artifacts (ABI, bytecode, compiler, settings, hashes)."""
    try:
        found = compiler.find_compiler()
        if check:
            stale = compiler.check(compiler=found)
            if stale:
                for name in stale:
                    typer.echo(
                        f"stale artifact: {name} (contracts/artifacts/{name}.json differs from a fresh build)", err=True
                    )
                typer.echo("run `yrdx contracts build` and commit contracts/artifacts", err=True)
                raise typer.Exit(1)
            typer.echo(f"artifacts are fresh ({found.kind} solc {found.version})")
            return
        written = compiler.build(compiler=found)
    except LedgerError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc
    for path in written:
        typer.echo(f"wrote {path.relative_to(compiler.REPO_ROOT)}")
    typer.echo(f"compiled with {found.kind} solc {found.version}")
