"""``yrdx audit``: replay the ledger from its deployment block, check its rules, and cross-check
province stores and gateway audit trails against it."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from adapters.audit.chain import ChainReplay
from adapters.audit.credentials import AuditorCredentials, TokenSource
from adapters.audit.errors import AuditError
from adapters.audit.gateway import AuditApi
from adapters.audit.html import render
from adapters.audit.progress import ProgressBar
from adapters.audit.run import Audit, TrailCheck
from adapters.audit.trail import GatewayTrailCheck
from adapters.core.errors import AdapterError
from adapters.core.provinces import Province
from adapters.core.tags import TagKeyring
from adapters.store import Store, create_store_engine
from node.deploy import Deployment
from node.errors import LedgerError
from node.events import EventCodec, EventReader
from yrdx.context import DEFAULT_DATA_DIR, DataDir

app = typer.Typer(help="Audit the exchange: replay the ledger, cross-check stores and audit trails.")

EXIT_DISCREPANCIES = 1
EXIT_ERROR = 2


def _stores(specs: list[str]) -> dict[Province, Store]:
    out: dict[Province, Store] = {}
    for spec in specs:
        name, sep, dsn = spec.partition("=")
        if not sep or not dsn:
            raise typer.BadParameter(f"--store {spec!r}: expected PROVINCE=DSN, e.g. zj=sqlite:///zj.db")
        try:
            province = Province.parse(name)
        except ValueError as exc:
            raise typer.BadParameter(str(exc)) from None
        # read only: no migration, no writes
        out[province] = Store(create_store_engine(dsn))
    return out


def _summary(report: dict[str, Any]) -> str:
    replay = report["replay"]
    lines = [
        f"replayed blocks {replay['from_block']}..{replay['to_block']}: {replay['events']} events "
        f"({replay['events_read']} read now in {replay['seconds']:.1f} s)",
        f"state digest {replay['state_digest']}",
    ]
    for name, p in report["provinces"].items():
        entries, results, store = p.get("entries") or {}, p.get("results") or {}, p.get("store")
        line = f"  {name}: {entries.get('total', 0)} entries, {results.get('total', 0)} results"
        if store is not None:
            line += f"; store: {store['own']} own, {store['synced']} synced, {store['content_checked']} verified"
        lines.append(line)
    for s in report["streams"]:
        lines.append(f"  stream {s['name']} of {s['owner']}: {s['checkpoints']} checkpoints, {s['consistency']}")
    counts = report["discrepancies"]["counts"]
    if counts:
        lines.append(f"{sum(counts.values())} discrepancies:")
        lines += [f"  {code}: {n}" for code, n in counts.items()]
        for d in report["discrepancies"]["items"][:20]:
            lines.append(f"  - [{d['code']}] {d['subject']}: {d['message']}")
    else:
        lines.append("no discrepancies")
    lines += [f"note: {n}" for n in report["notes"]]
    return "\n".join(lines)


@app.command("replay")
def replay_cmd(
    rpc: Annotated[str | None, typer.Option("--rpc", help="Ledger JSON-RPC endpoint.")] = None,
    manifest: Annotated[
        Path | None, typer.Option("--manifest", help="Deployment manifest (default: the data dir's).")
    ] = None,
    data_dir: Annotated[Path, typer.Option("--data-dir", help="Data directory (see `yrdx up`).")] = DEFAULT_DATA_DIR,
    from_block: Annotated[
        int | None,
        typer.Option(
            "--from-block", help="First block to read: the deployment block, or where the checkpoint ends + 1."
        ),
    ] = None,
    checkpoint: Annotated[
        Path | None,
        typer.Option("--checkpoint", help="Replay checkpoint: resumed from when it exists, written at the end."),
    ] = None,
    store: Annotated[
        list[str] | None, typer.Option("--store", help="PROVINCE=DSN of a province store to cross-check (repeatable).")
    ] = None,
    gateway: Annotated[
        list[str] | None, typer.Option("--gateway", help="Gateway base URL whose audit trail to check (repeatable).")
    ] = None,
    credential: Annotated[
        Path | None,
        typer.Option("--credential", help="Auditor credential directory (key.pem, chain.pem of `yrdx pki issue`)."),
    ] = None,
    key_password_file: Annotated[
        Path | None, typer.Option("--key-password-file", help="File holding the credential key's password.")
    ] = None,
    tag_keys: Annotated[
        Path | None, typer.Option("--tag-keys", help="Subject-tag keyring, to recompute the tags of stored records.")
    ] = None,
    report: Annotated[
        Path | None, typer.Option("--report", help="Write the JSON report here and the HTML report beside it (.html).")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the JSON report.")] = False,
    progress: Annotated[
        bool | None,
        typer.Option("--progress/--no-progress", help="Progress bar on standard error (default: on a TTY)."),
    ] = None,
    parallel: Annotated[int, typer.Option("--parallel", min=1, help="Concurrent eth_getLogs requests.")] = 4,
    page_blocks: Annotated[
        int | None, typer.Option("--page-blocks", min=1, help="Fixed blocks per page (default: adaptive).")
    ] = None,
    senders: Annotated[
        bool, typer.Option("--senders/--no-senders", help="Check each write's transaction sender.")
    ] = True,
) -> None:
    """Replay every event from the deployment block (or a saved checkpoint), check the rules,
    cross-check stores and gateways, and report.

    Exit 0 when nothing is wrong, 1 when discrepancies were found, 2 when the audit could not
    be carried out.
    """
    dd = DataDir(data_dir)
    stores: dict[Province, Store] = {}
    bar: ProgressBar | None = None
    try:
        deployment = Deployment.load(manifest) if manifest else dd.deployment()
        url = dd.rpc_url(rpc)
        reader = EventReader(rpc_url=url, codec=EventCodec(deployment.addresses()), parallel=parallel)
        engine = ChainReplay(
            reader=reader, deployment=deployment, parallel=parallel, page_blocks=page_blocks, check_senders=senders
        )
        stores = _stores(store or [])
        trails: list[TrailCheck] = _trails(gateway or [], credential, key_password_file)
        keyring = TagKeyring.from_file(tag_keys) if tag_keys else None
        show = sys.stderr.isatty() if progress is None else progress
        bar = ProgressBar(sys.stderr) if show else None
        outcome = Audit(engine=engine, stores=stores, trails=trails, keyring=keyring).run(
            checkpoint=checkpoint, from_block=from_block, progress=bar
        )
    except (AdapterError, LedgerError) as exc:
        if bar is not None:
            bar.close()
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(EXIT_ERROR) from exc
    finally:
        for s in stores.values():
            s.close()
    if bar is not None:
        bar.close()
    if report is not None:
        json_path = report.with_suffix(".json") if report.suffix == ".html" else report
        json_path.parent.mkdir(parents=True, exist_ok=True)
        json_path.write_text(json.dumps(outcome.report, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
        report.with_suffix(".html").write_text(render(outcome.report), encoding="utf-8")
    typer.echo(json.dumps(outcome.report, ensure_ascii=False) if as_json else _summary(outcome.report))
    if not outcome.ok:
        raise typer.Exit(EXIT_DISCREPANCIES)


KEY_PASSWORD_ENV = "YRDX_KEY_PASSWORD"  # noqa: S105 - a variable name, not a password


def _trails(urls: list[str], credential: Path | None, password_file: Path | None) -> list[TrailCheck]:
    """One audit-trail check per gateway, each with its own token source for the auditor."""
    if not urls:
        return []
    if credential is None:
        raise AuditError("checking a gateway needs the auditor's credential: give --credential DIR")
    if password_file is not None:
        password = password_file.read_bytes().removesuffix(b"\n")
    elif KEY_PASSWORD_ENV in os.environ:
        password = os.environ[KEY_PASSWORD_ENV].encode()
    else:
        raise AuditError(f"no password for the credential's key: give --key-password-file or set {KEY_PASSWORD_ENV}")
    credentials = AuditorCredentials.load(credential, password=password)
    return [GatewayTrailCheck(url, AuditApi(url, token=TokenSource(url, credentials))) for url in urls]
