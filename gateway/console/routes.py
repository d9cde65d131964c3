"""``/console``: the page, its two static files, and the JSON under ``/console/api``.

The page holds no data and needs no token; every ``/console/api`` answer needs a bearer token
(RFC 6750) of this gateway's province platform or of an auditor, and is audited like any
request. The page takes its token from the URL fragment once (``/console#token=...``), keeps it
in ``sessionStorage`` and sends it as ``Authorization: Bearer``; the subject lookup calls
``/v1/subjects/{id}/entries`` itself, with the purpose and authorisation reference it asks for.

What the routes read beyond ``GatewayDeps`` — the gateway database and the ``Consortium``
contract — is given by ``attach`` when the gateway is built.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from typing import TYPE_CHECKING, Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request
from starlette.responses import Response

from gateway.api.deps import Bearer, Deps, GatewayDeps, deps_of
from gateway.api.responses import AUTHENTICATED, problems
from gateway.console import assemble
from gateway.console.consortium import ConsortiumReader
from gateway.console.queries import CHANGES, PUBLICATIONS, ConsoleQueries
from gateway.console.schemas import (
    ActivityAnswer,
    AuditAnswer,
    ConsortiumAnswer,
    CountsAnswer,
    SessionAnswer,
    SyncAnswer,
)
from gateway.errors import InsufficientScope, NotFound, ServiceUnavailable
from gateway.pki import Role
from gateway.tokens import Principal, Scope
from node.client import LedgerClient
from node.deploy import Deployment
from node.errors import LedgerError

if TYPE_CHECKING:
    from gateway.runtime import Gateway

router = APIRouter(prefix="/console", tags=["console"])

STATIC = {"console.css": "text/css; charset=utf-8", "console.js": "text/javascript; charset=utf-8"}
_PAGE_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
        "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}
RECENT_LIMIT = 50
CHECKPOINTS_SHOWN = 30
BUCKETS = 32


@dataclass(frozen=True)
class ConsoleSources:
    """What the console reads besides ``GatewayDeps``."""

    queries: ConsoleQueries
    consortium: ConsortiumReader


def attach(gateway: Gateway, *, client: LedgerClient, deployment: Deployment) -> None:
    """Give ``gateway``'s console its database and a reader of the ``Consortium`` contract
    (through ``client``, the province's ledger client)."""
    gateway.app.state.console = ConsoleSources(
        queries=ConsoleQueries(gateway_engine=gateway.engine, store_engine=gateway.deps.store.engine),
        consortium=ConsortiumReader(client=client, deployment=deployment),
    )


def _sources(request: Request) -> ConsoleSources:
    sources: ConsoleSources | None = getattr(request.app.state, "console", None)
    if sources is None:
        raise ServiceUnavailable("the console of this gateway is not set up (gateway.console.attach)")
    return sources


Sources = Annotated[ConsoleSources, Depends(_sources)]


def refusal(principal: Principal, deps: GatewayDeps) -> str | None:
    """Why ``principal`` may not see the console of ``deps``' gateway (None: it may): it is for
    the province's own platform and for auditors."""
    if principal.role is Role.AUDITOR:
        return None
    if principal.role is Role.PROVINCE and principal.province is deps.province:
        return None
    who = f"{principal.client_id} is {principal.role.value}"
    if principal.province is not None:
        who += f" of {principal.province.value}"
    return f"the console of {deps.gateway_id} is for {deps.province.value}'s province platform and auditors; {who}"


_ANY_CALLER = Bearer(allow=lambda _principal: None)


async def _reader(request: Request, principal: Annotated[Principal, Depends(_ANY_CALLER)]) -> Principal:
    why = refusal(principal, deps_of(request))
    if why is not None:
        raise InsufficientScope(why)
    return principal


Reader = Annotated[Principal, Depends(_reader)]


# -- the page ---------------------------------------------------------------------------------


def _static(name: str) -> bytes:
    return (resources.files("gateway.console") / "static" / name).read_bytes()


@router.get("", include_in_schema=False)
async def page() -> Response:
    return Response(_static("index.html"), media_type="text/html; charset=utf-8", headers=_PAGE_HEADERS)


@router.get("/static/{name}", include_in_schema=False)
async def static(name: Annotated[str, Path(max_length=32)]) -> Response:
    if name not in STATIC:
        raise NotFound(f"the console has no file {name!r}")
    return Response(_static(name), media_type=STATIC[name], headers=_PAGE_HEADERS)


# -- the data ---------------------------------------------------------------------------------

_RESPONSES = problems(*AUTHENTICATED)


@router.get(
    "/api/session",
    response_model=SessionAnswer,
    responses=_RESPONSES,
    summary="Who the token names and what the console lets them do",
)
def session(principal: Reader, deps: Deps) -> Any:
    return {
        "gateway": deps.gateway_id,
        "province": assemble.province_out(deps.province.code),
        "client": principal.client_id,
        "organisation": principal.organisation,
        "role": principal.role.value,
        "client_province": principal.province.value if principal.province else None,
        "scopes": sorted(principal.scopes),
        "expires_at": principal.expires_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "can_query_subjects": Scope.SUBJECTS_QUERY in principal.scopes,
    }


@router.get(
    "/api/consortium",
    response_model=ConsortiumAnswer,
    responses=_RESPONSES,
    summary="Consortium members, their signers, the quorum and the subject-tag key version",
)
def consortium(principal: Reader, deps: Deps, sources: Sources) -> Any:
    del principal
    cursor = deps.index.cursor
    common = {
        "keyring_versions": sorted(deps.keyring.versions),
        "index_block": cursor.block if cursor else None,
        "head_block": deps.index.head,
    }
    try:
        state = sources.consortium.state()
    except LedgerError as exc:
        members = [
            {**assemble.province_out(code), "signer": None, "this_gateway": code == deps.province.code}
            for code in deps.index.members()
        ]
        return {
            "source": "index",
            "members": members,
            "quorum": None,
            "tag_key_version": None,
            "ledger_error": str(exc),
            **common,
        }
    members = [
        {**assemble.province_out(code), "signer": state.signers.get(code), "this_gateway": code == deps.province.code}
        for code in state.members
    ]
    return {
        "source": "ledger",
        "members": members,
        "quorum": state.quorum,
        "tag_key_version": state.tag_key_version,
        "ledger_error": None,
        **common,
    }


@router.get(
    "/api/counts",
    response_model=CountsAnswer,
    responses=_RESPONSES,
    summary="Records on the ledger per province by list type, domain and status",
)
def counts(principal: Reader, deps: Deps, sources: Sources) -> Any:
    del principal
    cursor = deps.index.cursor
    block = cursor.block if cursor else -1
    rows = sources.queries.counts(block=block)
    return assemble.counts(rows, deps.index.members(), index_block=cursor.block if cursor else None)


@router.get(
    "/api/sync",
    response_model=SyncAnswer,
    responses=_RESPONSES,
    summary="How current this province's copies of each peer's records are",
)
def sync(principal: Reader, deps: Deps, sources: Sources) -> Any:
    del principal
    cursor = deps.index.cursor
    rows = sources.queries.counts(block=cursor.block if cursor else -1)
    on_ledger: dict[int, int] = {}
    for row in rows:
        on_ledger[row.province] = on_ledger.get(row.province, 0) + row.count
    sync_block = sources.queries.sync_cursor()
    return assemble.sync(
        deps.province,
        members=deps.index.members(),
        on_ledger=on_ledger,
        store=sources.queries.store_counts(),
        backlog=sources.queries.backlog(after=sync_block),
        sync_block=sync_block,
        index_block=cursor.block if cursor else None,
        head_block=deps.index.head,
    )


@router.get(
    "/api/activity",
    response_model=ActivityAnswer,
    responses=_RESPONSES,
    summary="Recent publications and status changes, and publications per block range",
)
def activity(
    principal: Reader,
    deps: Deps,
    sources: Sources,
    limit: Annotated[int, Query(ge=1, le=RECENT_LIMIT, description="How many of each.")] = 10,
) -> Any:
    del principal
    cursor = deps.index.cursor
    q = sources.queries
    return {
        "index_block": cursor.block if cursor else None,
        "publications": [assemble.event_out(e) for e in q.recent(PUBLICATIONS, limit=limit)],
        "changes": [assemble.event_out(e) for e in q.recent(CHANGES, limit=limit)],
        "buckets": assemble.buckets_out(q.activity(block=cursor.block, buckets=BUCKETS) if cursor else []),
    }


@router.get(
    "/api/audit",
    response_model=AuditAnswer,
    responses=_RESPONSES,
    summary="The audit trail's size, its anchored checkpoints and how anchoring fares",
)
def audit(principal: Reader, deps: Deps, sources: Sources) -> Any:
    del principal
    size = deps.trail.size
    count, newest = sources.queries.checkpoints(deps.stream_id, limit=CHECKPOINTS_SHOWN)
    anchorer = deps.anchorer
    anchored = max(anchorer.anchored_size if anchorer else 0, newest[0].tree_size if newest else 0)
    now = int(deps.clock().timestamp())
    settings = deps.settings.audit
    health, found = assemble.audit_health(
        anchoring=anchorer is not None,
        last_error=anchorer.last_error if anchorer else None,
        unanchored=size - anchored,
        last_age=now - newest[0].anchored_at if newest else None,
        every_events=settings.checkpoint_every_events,
        every_seconds=settings.checkpoint_every_seconds,
    )
    return {
        "stream_id": "0x" + deps.stream_id.hex(),
        "tree_size": size,
        "anchored_size": anchored,
        "unanchored": max(0, size - anchored),
        "health": health,
        "problems": found,
        "last_error": anchorer.last_error if anchorer else None,
        "every_events": settings.checkpoint_every_events,
        "every_seconds": settings.checkpoint_every_seconds,
        "checkpoint_count": count,
        "journal": sources.queries.checkpoint_journal(),
        "checkpoints": [assemble.checkpoint_out(c, now=now) for c in newest],
    }
