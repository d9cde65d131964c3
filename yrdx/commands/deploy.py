"""``yrdx deploy``: deploy the contracts with the founding members, or verify a deployment."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from eth_account.signers.local import LocalAccount
from web3 import Web3

from adapters.core.provinces import PROVINCES
from node.client import LedgerClient
from node.deploy import DEFAULT_PROPOSAL_TTL, DEFAULT_QUORUM, deploy_or_verify
from node.dev_accounts import dev_accounts
from node.errors import ConfigError, LedgerError
from node.keys import load_keystore
from node.settings import LedgerSettings


def _members(specs: list[str], dev: bool) -> dict[int, str]:
    if not specs:
        if not dev:
            raise ConfigError("give every founding member as --member CODE=ADDRESS (or use --dev)")
        accounts = dev_accounts(1 + len(PROVINCES))
        return {p.code: accounts[i + 1].address for i, p in enumerate(PROVINCES)}
    members: dict[int, str] = {}
    for spec in specs:
        code, sep, address = spec.partition("=")
        if not sep or not code.isdigit() or not Web3.is_address(address):
            raise ConfigError(f"--member {spec!r}: expected CODE=ADDRESS, e.g. 33=0xabc...")
        members[int(code)] = Web3.to_checksum_address(address)
    return members


def _deployer(settings: LedgerSettings, dev: bool) -> LocalAccount:
    if dev:
        return dev_accounts(1)[0]
    if settings.keystore is None:
        raise ConfigError("give the deployer's keystore (--keystore or YRDX_LEDGER_KEYSTORE), or use --dev")
    password = settings.keystore_password()
    if password is None:
        raise ConfigError("no keystore password: set YRDX_LEDGER_PASSWORD_FILE or YRDX_LEDGER_PASSWORD")
    return load_keystore(settings.keystore, password)


def run(
    rpc: Annotated[str | None, typer.Option("--rpc", help="JSON-RPC endpoint (YRDX_LEDGER_RPC_URL).")] = None,
    manifest: Annotated[Path | None, typer.Option("--manifest", help="Deployment manifest to write or verify.")] = None,
    keystore: Annotated[
        Path | None, typer.Option("--keystore", help="Deployer keystore (YRDX_LEDGER_KEYSTORE).")
    ] = None,
    password_file: Annotated[
        Path | None, typer.Option("--password-file", help="File holding the keystore password.")
    ] = None,
    member: Annotated[
        list[str] | None, typer.Option("--member", help="Founding member CODE=ADDRESS (repeat for each).")
    ] = None,
    quorum: Annotated[int, typer.Option("--quorum", help="Votes a proposal needs.")] = DEFAULT_QUORUM,
    proposal_ttl: Annotated[
        int, typer.Option("--proposal-ttl", help="Seconds a proposal stays open.")
    ] = DEFAULT_PROPOSAL_TTL,
    dev: Annotated[bool, typer.Option("--dev", help="Use the development accounts (deployer 0, members 1-4).")] = False,
) -> None:
    """Deploy Consortium, CreditLists, Evaluations and AnchorLog and write the manifest.

    Against a chain that already holds the manifest's deployment, verify it instead.
    """
    overrides = {
        k: v
        for k, v in {"rpc_url": rpc, "manifest": manifest, "keystore": keystore, "password_file": password_file}.items()
        if v is not None
    }
    settings = LedgerSettings(**overrides)  # type: ignore[arg-type]
    try:
        client = LedgerClient(
            rpc_url=settings.rpc_url, account=_deployer(settings, dev), confirmations=settings.confirmations
        )
        client.wait_for_endpoint(timeout=10)
        deployment, created = deploy_or_verify(
            client,
            settings.manifest,
            founding_members=_members(member or [], dev),
            quorum=quorum,
            proposal_ttl=proposal_ttl,
        )
    except LedgerError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc
    typer.echo(("deployed" if created else "verified existing deployment") + f" on chain {deployment.chain_id}")
    for name, record in deployment.contracts.items():
        typer.echo(f"  {name:12s} {record.address}  (block {record.block})")
    typer.echo(f"manifest: {settings.manifest.resolve()}")
