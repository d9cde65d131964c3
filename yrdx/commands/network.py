"""``yrdx network``: production network kits (Hyperledger Besu, QBFT, one validator per member)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from adapters.core.provinces import PROVINCES
from node.besu import ChainParams, Member, NodeKey, consortium_members, plan_network, write_kit
from node.besu.errors import BesuKitError, InvalidNetworkSpec, KitExists
from node.besu.network import check_host

app = typer.Typer(help="Production ledger networks: node keys, genesis and configuration.", no_args_is_help=True)

#: a nominal 1000 ether: gas is free, this only covers a client that pays priority fees anyway
DEFAULT_BALANCE = 1000 * 10**18


def _pairs(specs: list[str], option: str) -> dict[str, str]:
    pairs: dict[str, str] = {}
    for spec in specs:
        key, sep, value = spec.partition("=")
        if not sep or not key or not value:
            raise InvalidNetworkSpec(f"{option} {spec!r}: expected KEY=VALUE, e.g. {option} sh=10.0.0.1")
        pairs[key.strip().lower()] = value.strip()
    return pairs


def _signers(specs: list[str]) -> dict[int, str]:
    signers: dict[int, str] = {}
    for code, address in _pairs(specs, "--signer").items():
        if not code.isdigit():
            raise InvalidNetworkSpec(f"--signer {code}=...: expected a member code, e.g. --signer 31=0xabc...")
        signers[int(code)] = address
    return signers


@app.command("besu")
def besu(
    out: Annotated[Path, typer.Option("--out", help="Directory to write the kit to (must be new or empty).")],
    validators: Annotated[
        int, typer.Option("--validators", min=1, help="Validators, one per member: sh, js, zj, ah, then member-35...")
    ] = len(PROVINCES),
    chain_id: Annotated[int, typer.Option("--chain-id", help="Chain id of the network.")] = ChainParams.chain_id,
    host: Annotated[
        list[str] | None, typer.Option("--host", help="A member's host, NAME=HOST or CODE=HOST (repeat for each).")
    ] = None,
    host_template: Annotated[
        str | None,
        typer.Option("--host-template", help="Host of members without --host, e.g. 'besu-{name}.yrdx.internal'."),
    ] = None,
    p2p_port: Annotated[int, typer.Option("--p2p-port", help="P2P port; nodes sharing a host count up.")] = 30303,
    rpc_port: Annotated[int, typer.Option("--rpc-port", help="JSON-RPC port; nodes sharing a host count up.")] = 8545,
    block_period: Annotated[
        int, typer.Option("--block-period", help="Seconds between blocks (QBFT blockperiodseconds).")
    ] = ChainParams.block_period_seconds,
    request_timeout: Annotated[
        int, typer.Option("--request-timeout", help="Seconds before a round change (requesttimeoutseconds).")
    ] = ChainParams.request_timeout_seconds,
    epoch_length: Annotated[
        int, typer.Option("--epoch-length", help="Blocks after which pending validator votes reset.")
    ] = ChainParams.epoch_length,
    block_gas_limit: Annotated[
        int, typer.Option("--block-gas-limit", help="Block gas limit.")
    ] = ChainParams.block_gas_limit,
    signer: Annotated[
        list[str] | None,
        typer.Option("--signer", help="A member's signer account CODE=ADDRESS, listed in the genesis."),
    ] = None,
    deployer: Annotated[str | None, typer.Option("--deployer", help="The deployer's account, listed too.")] = None,
    balance: Annotated[
        int, typer.Option("--balance", min=0, help="Wei given to each --signer and --deployer (gas is free).")
    ] = DEFAULT_BALANCE,
    force: Annotated[
        bool, typer.Option("--force", help="Rewrite the kit's files in a directory that has some.")
    ] = False,
) -> None:
    """Generate a Besu QBFT network: keys, genesis, per-node configuration and admission lists.

    Writes OUT/genesis.json, OUT/<node>/{key,key.pub,config.toml,static-nodes.json,
    permissions_config.toml} and OUT/README.md with the steps to start the nodes, deploy the
    contracts and point each province's adapter and gateway at its own node.
    """
    try:
        founders = [Member(p.value, p.code) for p in PROVINCES]
        network = plan_network(
            consortium_members(founders, validators),
            params=ChainParams(
                chain_id=chain_id,
                block_period_seconds=block_period,
                request_timeout_seconds=request_timeout,
                epoch_length=epoch_length,
                block_gas_limit=block_gas_limit,
            ),
            hosts=_pairs(host or [], "--host"),
            host_template=host_template,
            p2p_port=p2p_port,
            rpc_port=rpc_port,
            signers=_signers(signer or []),
            deployer=deployer,
            balance=balance,
        )
        path = write_kit(network, out, force=force)
    except BesuKitError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc
    t = network.tolerance
    typer.echo(f"QBFT network kit for chain {chain_id} written to {path}")
    for node in network.nodes:
        typer.echo(f"  {node.name:10s} {node.member.code:3d}  validator {node.address}  rpc {node.rpc_url}")
        if (path / node.name / "data").exists():
            typer.echo(f"  warning: {path / node.name / 'data'} holds a chain of an earlier kit; remove it", err=True)
    typer.echo(f"a block needs {t.quorum} of {t.validators} validators; {t.stopped} may be down")
    typer.echo(f"next: {path / 'README.md'}")


@app.command("node-key")
def node_key(
    out: Annotated[Path, typer.Option("--out", help="Node directory to write key (0600) and key.pub to.")],
    host: Annotated[str, typer.Option("--host", help="The node's p2p host, for its enode URL.")] = "127.0.0.1",
    p2p_port: Annotated[int, typer.Option("--p2p-port", help="The node's p2p port.")] = 30303,
) -> None:
    """Make one Besu node key: for a member joining later, or to replace a validator's key.

    Prints the validator address to vote in and the enode URL to add to every node's lists.
    """
    try:
        if (out / "key").exists():
            raise KitExists(f"{out / 'key'} exists; a node key is never overwritten")
        key = NodeKey.generate()
        enode = key.enode(check_host(host), p2p_port)
        out.mkdir(mode=0o700, parents=True, exist_ok=True)
        key.write(out)
    except BesuKitError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc
    except OSError as exc:
        typer.echo(f"error: cannot write {out}: {exc.strerror or exc}", err=True)
        raise typer.Exit(2) from exc
    typer.echo(f"validator address {key.address}")
    typer.echo(f"enode             {enode}")
