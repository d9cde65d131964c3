"""What the routes depend on: the gateway's parts, the authenticated caller and its scopes,
and the declared purpose of subject queries, as ``Annotated`` FastAPI dependencies.

Authentication and the scope check are one dependency (``Bearer``): FastAPI's cost per
dependency is a fair share of a verification's, and ``/v1/verify`` is the hot path.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Query, Request
from fastapi.openapi.models import HTTPBearer as HTTPBearerModel
from fastapi.security.base import SecurityBase

from adapters.core.provinces import Province
from adapters.core.tags import TagKeyring
from adapters.store.store import Store
from gateway.api.middleware import AuditNote
from gateway.audit.anchor import Anchorer
from gateway.audit.trail import AuditTrail
from gateway.auth import Authenticator
from gateway.errors import AuthorisationRequired, InsufficientScope, InvalidToken, PurposeRequired, TokenMissing
from gateway.index.follower import IndexFollower
from gateway.index.store import LedgerIndex
from gateway.metrics import GatewayMetrics
from gateway.packages import PackageDesk
from gateway.pki import TrustStore
from gateway.ratelimit import RateLimiter
from gateway.settings import GatewaySettings
from gateway.subjects import SubjectDirectory
from gateway.tokens import Principal, Scope, TokenIssuer
from gateway.verify import Verifier

TEXT_LIMIT = 200


@dataclass(frozen=True, kw_only=True)
class GatewayDeps:
    """The parts of one gateway that its routes use."""

    settings: GatewaySettings
    province: Province
    gateway_id: str
    issuer: TokenIssuer
    trust: TrustStore
    authenticator: Authenticator
    limiter: RateLimiter
    trail: AuditTrail
    anchorer: Anchorer | None
    index: LedgerIndex
    follower: IndexFollower | None
    store: Store
    keyring: TagKeyring
    verifier: Verifier
    subjects: SubjectDirectory
    packages: PackageDesk
    metrics: GatewayMetrics
    clock: Callable[[], dt.datetime]
    stream_id: bytes


@dataclass(frozen=True)
class Declaration:
    """Why a subject is queried: the purpose and the authorisation reference (the subject's
    consent or the legal basis)."""

    purpose: str
    authorisation: str


def deps_of(request: Request) -> GatewayDeps:
    """The parts of the gateway serving ``request``."""
    deps: GatewayDeps = request.app.state.deps
    return deps


async def _deps(request: Request) -> GatewayDeps:
    return deps_of(request)


Deps = Annotated[GatewayDeps, Depends(_deps)]


def note_of(request: Request) -> AuditNote:
    """The audit note of this request (set by the audit middleware)."""
    note = getattr(request.state, "audit", None)
    if note is None:  # outside the middleware (never in a built app): a throwaway note
        note = AuditNote()
        request.state.audit = note
    return note


class Bearer(SecurityBase):
    """The caller, authenticated by its bearer token (RFC 6750) and holding ``scopes`` (or,
    with ``allow``, passing that check instead): one dependency, documented in the OpenAPI
    schema as the ``accessToken`` security scheme.

    A refused token counts against the peer address's rate limit, an accepted one against the
    client's."""

    def __init__(self, *scopes: Scope, allow: Callable[[Principal], str | None] | None = None) -> None:
        self.model = HTTPBearerModel(
            bearerFormat="JWT", description="An access token from POST /oauth/token (RFC 9068 JWT)."
        )
        self.scheme_name = "accessToken"
        self._scopes = scopes
        self._allow = allow

    async def __call__(self, request: Request) -> Principal:
        deps = deps_of(request)
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            _limit_peer(request, deps)
            raise TokenMissing("expected an access token: Authorization: Bearer <token> (get one at POST /oauth/token)")
        try:
            principal = deps.authenticator.authenticate(token.strip())
        except InvalidToken:
            _limit_peer(request, deps)
            raise
        note_of(request).identify(principal)
        deps.limiter.check("client:" + principal.client_id)
        if self._allow is not None:
            refusal = self._allow(principal)
            if refusal is not None:
                raise InsufficientScope(refusal)
        else:
            principal.require(*self._scopes)
        return principal


def _limit_peer(request: Request, deps: GatewayDeps) -> None:
    peer = request.client.host if request.client else "unknown"
    deps.limiter.check("peer:" + peer)


def _access_log_reader(principal: Principal) -> str | None:
    """Whoever may query subjects (a province platform or a credit agency answering for the
    data subject, under the subject's authorisation, which is recorded), and auditors."""
    if Scope.AUDIT_READ in principal.scopes or Scope.SUBJECTS_QUERY in principal.scopes:
        return None
    return (
        f"expected scope audit:read or subjects:query; {principal.client_id} is "
        f"{principal.role.value} with {' '.join(sorted(principal.scopes)) or 'no scopes'}"
    )


Verifying = Annotated[Principal, Depends(Bearer(Scope.VERIFY))]
Querying = Annotated[Principal, Depends(Bearer(Scope.SUBJECTS_QUERY))]
ReadingPackages = Annotated[Principal, Depends(Bearer(Scope.PACKAGES_READ))]
Syncing = Annotated[Principal, Depends(Bearer(Scope.PACKAGES_READ, Scope.LISTS_SYNC))]
ReadingHistory = Annotated[Principal, Depends(Bearer(Scope.HISTORY_READ))]
Auditing = Annotated[Principal, Depends(Bearer(Scope.AUDIT_READ))]
ReadingAccessLog = Annotated[Principal, Depends(Bearer(allow=_access_log_reader))]


async def _declaration(
    request: Request,
    purpose: Annotated[
        str | None, Query(max_length=TEXT_LIMIT, description="Why the subject is queried (recorded).")
    ] = None,
    authorisation: Annotated[
        str | None,
        Query(
            max_length=TEXT_LIMIT,
            description="The subject's consent or the legal basis that allows the query, by reference (recorded).",
        ),
    ] = None,
) -> Declaration:
    note = note_of(request)
    note.purpose = purpose.strip() if purpose else None
    note.authorisation = authorisation.strip() if authorisation else None
    if not note.purpose:
        raise PurposeRequired("a subject query needs a stated purpose: ?purpose=...")
    if not note.authorisation:
        raise AuthorisationRequired(
            "a subject query needs an authorisation reference (the subject's consent or the legal basis): "
            "?authorisation=..."
        )
    return Declaration(note.purpose, note.authorisation)


Declared = Annotated[Declaration, Depends(_declaration)]
