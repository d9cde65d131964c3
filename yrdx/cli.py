"""The ``yrdx`` command line: the composition root that wires the components together."""

from __future__ import annotations

import importlib.util
import os

import typer

from yrdx.commands import adapter, audit, bench, contracts, demo, deploy, network, pki, up
from yrdx.commands import client as client_command
from yrdx.commands import gateway as gateway_command
from yrdx.commands import node as node_command

app = typer.Typer(
    name="yrdx",
    help="Yangtze River Delta cross-region credit exchange.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
app.add_typer(contracts.app, name="contracts")
app.add_typer(bench.app, name="bench")
app.add_typer(adapter.app, name="adapter")
app.add_typer(pki.app, name="pki")
app.add_typer(audit.app, name="audit")
app.add_typer(network.app, name="network")
app.add_typer(gateway_command.app, name="gateway")
app.add_typer(client_command.app, name="client")
app.command("deploy")(deploy.run)
app.command("up")(up.run)
app.command("demo")(demo.run)
app.command("node")(node_command.run)


def main() -> None:
    use_fast_keccak()
    app()


def use_fast_keccak() -> None:
    """Hash with the C keccak of safe-pysha3: eth-hash's default pycryptodome backend costs
    about 35 us a call against 5 us, and releases the interpreter lock on every call, which
    slows the gateways' event loops. eth-hash reads the setting at its first hash."""
    if importlib.util.find_spec("sha3") is not None:
        os.environ.setdefault("ETH_HASH_BACKEND", "pysha3")
