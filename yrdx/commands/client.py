"""``yrdx client``: a gateway's caller on the command line — obtain an access token (or the
console's address with it), verify a package, query a subject, read its access log, fetch
history and packages, read the audit trail and check its proofs locally (RFC 9162 section
2.1, with ``node.merkle``).

``--cred DIR`` is a client directory made by ``yrdx pki issue``; its key's password comes from
``--password-file`` or ``YRDX_KEY_PASSWORD`` (or a prompt on a terminal).
"""

from __future__ import annotations

import json
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

import typer

from adapters.core.canonical import last_valid_day
from gateway.client import GatewayClient, check_consistency, check_inclusion
from gateway.credentials import ClientCredentials
from gateway.errors import GatewayError, PeerUnavailable, RemoteError

app = typer.Typer(help="Call a province gateway as a client of the consortium PKI.", no_args_is_help=True)
audit_app = typer.Typer(help="The gateway's audit trail (scope audit:read).", no_args_is_help=True)
proof_app = typer.Typer(help="Audit proofs, checked locally.", no_args_is_help=True)
app.add_typer(audit_app, name="audit")
audit_app.add_typer(proof_app, name="proof")

KEY_PASSWORD_ENV = "YRDX_KEY_PASSWORD"  # noqa: S105 - a variable name, not a password

Json = Annotated[bool, typer.Option("--json", help="Print the answer as JSON.")]


@dataclass
class _Options:
    cred: Path
    gateway: str
    password_file: Path | None
    audience: str | None

    def client(self) -> GatewayClient:
        if self.password_file is not None:
            password = self.password_file.read_bytes().splitlines()[0] if self.password_file.stat().st_size else b""
        elif KEY_PASSWORD_ENV in os.environ:
            password = os.environ[KEY_PASSWORD_ENV].encode("utf-8")
        elif sys.stdin.isatty():
            password = str(typer.prompt("client key password", hide_input=True)).encode("utf-8")
        else:
            raise typer.BadParameter(f"no key password: give --password-file or set {KEY_PASSWORD_ENV}")
        credentials = ClientCredentials.load(self.cred, password=password)
        return GatewayClient(self.gateway, credentials=credentials, audience=self.audience)


@app.callback()
def main(
    ctx: typer.Context,
    cred: Annotated[Path, typer.Option("--cred", help="Client directory (key.pem, chain.pem) from `yrdx pki issue`.")],
    gateway: Annotated[str, typer.Option("--gateway", help="The gateway's base URL, e.g. http://127.0.0.1:8103.")],
    password_file: Annotated[
        Path | None, typer.Option("--password-file", help=f"File holding the key's password (else {KEY_PASSWORD_ENV}).")
    ] = None,
    audience: Annotated[
        str | None, typer.Option("--audience", help="The gateway's id (default: asked of its /healthz).")
    ] = None,
) -> None:
    """Call a province gateway as the client whose credentials are in --cred."""
    ctx.obj = _Options(cred=cred, gateway=gateway, password_file=password_file, audience=audience)


def _run(ctx: typer.Context, call: Any) -> Any:
    options = ctx.find_object(_Options)
    assert options is not None  # set by the group callback
    try:
        with options.client() as client:
            return call(client)
    except PeerUnavailable as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc
    except RemoteError as exc:
        typer.echo(f"error: the gateway answered {exc.status} {exc.code} ({exc.reason}): {exc}", err=True)
        raise typer.Exit(1) from exc
    except (GatewayError, OSError) as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc


def _print(doc: Any) -> None:
    typer.echo(json.dumps(doc, ensure_ascii=False, indent=2))


@app.command()
def token(
    ctx: typer.Context,
    console: Annotated[
        bool, typer.Option("--console", help="Print the gateway's console address with the token in its fragment.")
    ] = False,
) -> None:
    """An access token for the client (it lives a few minutes): for scripts, or with --console
    the address that opens the gateway's console signed in (the fragment never reaches a
    server; the page keeps the token in the browser tab)."""
    options = ctx.find_object(_Options)
    assert options is not None  # set by the group callback
    access_token: str = _run(ctx, lambda c: c.token())
    typer.echo(f"{options.gateway.rstrip('/')}/console#token={access_token}" if console else access_token)


@app.command()
def verify(
    ctx: typer.Context,
    package: Annotated[Path, typer.Argument(help="A record package (JSON file; - for standard input).")],
    as_json: Json = False,
) -> None:
    """Is a record package authentic and current? Exit 0 only when it is both."""
    body = sys.stdin.buffer.read() if str(package) == "-" else package.read_bytes()
    answer = _run(ctx, lambda c: c.verify(body))
    if as_json:
        _print(answer)
    else:
        verdict = "authentic" if answer["authentic"] else "NOT authentic"
        current = "current" if answer["current"] else "not current"
        typer.echo(
            f"{answer['kind']} {answer['entry_id']} of {answer['owner']}, version {answer['version']}: "
            f"{verdict}, {current}"
        )
        typer.echo(
            f"  ledger: version {answer['ledger_version']}, status {answer['status']}, "
            f"valid {_validity(answer['valid_until'])} (index at block {answer['as_of_block']})"
        )
        for reason in answer["reasons"]:
            typer.echo(f"  - {reason}")
        for item in answer["history"]:
            typer.echo(
                f"  {item['time']}  block {item['block']:>6}  {item['event']:<20} {item['status']:<9} {item['tx']}"
            )
        for province, rec in answer["recognition"].items():
            typer.echo(
                f"  recognised by {province}: YRD grade {rec['yrd_grade']} (agreement {rec['agreement_version']})"
            )
    if not (answer["authentic"] and answer["current"]):
        raise typer.Exit(3)


@app.command()
def subject(
    ctx: typer.Context,
    subject_id: Annotated[str, typer.Argument(help="USCC or resident identity number.")],
    purpose: Annotated[str, typer.Option("--purpose", help="Why the subject is queried (recorded).")],
    authorisation: Annotated[str, typer.Option("--authorisation", help="Consent or legal basis reference (recorded).")],
    as_json: Json = False,
) -> None:
    """Every entry and evaluation about a subject in the four provinces."""
    answer = _run(ctx, lambda c: c.subject(subject_id, purpose=purpose, authorisation=authorisation))
    if as_json:
        _print(answer)
        return
    typer.echo(
        f"{len(answer['entries'])} entries, {len(answer['evaluations'])} evaluations "
        f"(index at block {answer['as_of_block']})"
    )
    for item in answer["entries"] + answer["evaluations"]:
        record = item["record"] or {}
        what = item.get("list_type") or f"grade {record.get('grade', '?')}"
        typer.echo(
            f"  {item['owner']} {item['kind']:<10} {what:<9} {item['status']:<9} v{item['version']} "
            f"{item['entry_id']} [{item['content']}]"
        )


@app.command("access-log")
def access_log(
    ctx: typer.Context,
    subject_id: Annotated[str, typer.Argument(help="USCC or resident identity number.")],
    purpose: Annotated[str, typer.Option("--purpose", help="Why the log is read (recorded).")],
    authorisation: Annotated[str, typer.Option("--authorisation", help="Consent or legal basis reference (recorded).")],
    start: Annotated[int, typer.Option("--start", help="First audit position.")] = 0,
    as_json: Json = False,
) -> None:
    """Who has queried a subject, when and for what purpose."""
    answer = _run(
        ctx, lambda c: c.access_log(subject_id, purpose=purpose, authorisation=authorisation, start=start, limit=500)
    )
    if as_json:
        _print(answer)
        return
    for a in answer["accesses"]:
        typer.echo(
            f"  {a['time']}  {a['organisation']} ({a['role']})  {a['endpoint']}  purpose: {a['purpose']}  "
            f"authorisation: {a['authorisation']}  -> {a['status']} {a['outcome']}"
        )


@app.command()
def history(
    ctx: typer.Context,
    entry_id: Annotated[str, typer.Argument(help="Entry or result id (0x + 64 hex).")],
    as_json: Json = False,
) -> None:
    """The ledger history of an entry or evaluation result (scope history:read)."""
    answer = _run(ctx, lambda c: c.history(entry_id, limit=500))
    if as_json:
        _print(answer)
        return
    for e in answer["events"]:
        typer.echo(f"  {e['time']}  block {e['block']:>6}  {e['event']:<20} {e['tx']}")


@app.command()
def package(
    ctx: typer.Context,
    entry_id: Annotated[str, typer.Argument(help="Entry or result id (0x + 64 hex).")],
    version: Annotated[int | None, typer.Option("--version", help="Version (default: the anchored one).")] = None,
) -> None:
    """A record package of the gateway's province (scope packages:read), as RFC 8785 JSON."""
    body: bytes = _run(ctx, lambda c: c.package(entry_id, version))
    typer.echo(body.decode("utf-8"))


@audit_app.command("events")
def audit_events(
    ctx: typer.Context,
    start: Annotated[int, typer.Option("--start", help="First position.")] = 0,
    limit: Annotated[int, typer.Option("--limit", help="At most this many.")] = 100,
    as_json: Json = False,
) -> None:
    """Audit events in log order."""
    answer = _run(ctx, lambda c: c.audit_events(start=start, limit=limit))
    if as_json:
        _print(answer)
        return
    typer.echo(f"tree size {answer['tree_size']}")
    for item in answer["events"]:
        e = item["event"]
        typer.echo(
            f"  {item['index']:>7}  {e['time']}  {e['client'] or '-':<28} {e['endpoint']:<45} "
            f"{e['status']} {e['outcome']}"
        )


@audit_app.command("checkpoints")
def audit_checkpoints(ctx: typer.Context, as_json: Json = False) -> None:
    """Checkpoints of the audit log anchored on the ledger."""
    answer = _run(ctx, lambda c: c.checkpoints(limit=500))
    if as_json:
        _print(answer)
        return
    typer.echo(f"stream {answer['stream_id']}: {answer['tree_size']} events now, root {answer['root']}")
    for cp in answer["checkpoints"]:
        typer.echo(f"  #{cp['index']}  size {cp['tree_size']:>7}  root {cp['root']}  block {cp['block']}")


def _anchored(client: GatewayClient) -> dict[int, bytes]:
    doc = client.checkpoints(limit=10_000)
    return {int(cp["tree_size"]): bytes.fromhex(cp["root"][2:]) for cp in doc["checkpoints"]}


@proof_app.command("inclusion")
def proof_inclusion(
    ctx: typer.Context,
    index: Annotated[int, typer.Option("--index", help="The event's position.")],
    tree_size: Annotated[int | None, typer.Option("--tree-size", help="Tree size (default: now).")] = None,
    as_json: Json = False,
) -> None:
    """Fetch an inclusion proof and check it locally: the event re-hashed, the path to the
    root, and the root against the anchored checkpoint of that size if there is one."""

    def call(c: GatewayClient) -> dict[str, Any]:
        answer = c.inclusion_proof(index, tree_size)
        event = c.audit_events(start=index, limit=1)["events"][0]["event"]
        anchored = _anchored(c).get(int(answer["tree_size"]))
        check_inclusion(answer, event=event, root=anchored)
        return {**answer, "event": event, "anchored": anchored is not None}

    answer = _run(ctx, call)
    if as_json:
        _print({**answer, "verified": True})
        return
    against = (
        "the anchored checkpoint" if answer["anchored"] else "the root the gateway gave (no checkpoint at this size)"
    )
    typer.echo(
        f"verified locally (RFC 9162 2.1.3.2): event {answer['index']} is in the tree of "
        f"{answer['tree_size']} events, root {answer['root']}, checked against {against}"
    )


@proof_app.command("consistency")
def proof_consistency(
    ctx: typer.Context,
    first: Annotated[int, typer.Option("--first", help="The earlier tree size.")],
    second: Annotated[int | None, typer.Option("--second", help="The later tree size (default: now).")] = None,
    as_json: Json = False,
) -> None:
    """Fetch a consistency proof and check it locally, against anchored checkpoints where the
    sizes have one."""

    def call(c: GatewayClient) -> dict[str, Any]:
        answer = c.consistency_proof(first, second)
        anchored = _anchored(c)
        check_consistency(
            answer, first_root=anchored.get(int(answer["first"])), second_root=anchored.get(int(answer["second"]))
        )
        return {**answer, "anchored": [s for s in (answer["first"], answer["second"]) if s in anchored]}

    answer = _run(ctx, call)
    if as_json:
        _print({**answer, "verified": True})
        return
    typer.echo(
        f"verified locally (RFC 9162 2.1.4.2): the tree of {answer['first']} events is a prefix of the tree "
        f"of {answer['second']}; sizes checked against anchored checkpoints: {answer['anchored'] or 'none'}"
    )


def _validity(valid_until: int | None) -> str:
    last = last_valid_day(valid_until or 0)
    return "with no end date" if last is None else f"through {last.isoformat()} (validUntil {valid_until})"
