"""``POST /oauth/token``: OAuth 2.0 client credentials with a ``private_key_jwt`` client
assertion (RFC 6749 section 4.4, RFC 7523 section 2.2); errors as RFC 6749 section 5.2."""

from __future__ import annotations

import base64
import binascii
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Form, Request
from starlette.responses import Response

from gateway.api.deps import Deps, GatewayDeps, note_of
from gateway.api.middleware import AuditNote
from gateway.api.responses import problems
from gateway.api.schemas import OAuthError, TokenAnswer
from gateway.errors import BadRequest, ClientAuthenticationFailed, GatewayError
from gateway.tokens import MAX_TOKEN_LIFETIME

router = APIRouter(tags=["oauth"])

_NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}
_OAUTH_ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"model": OAuthError, "description": "invalid_request, unsupported_grant_type (RFC 6749 section 5.2)"},
    401: {"model": OAuthError, "description": "invalid_client: the client assertion or its certificate is refused"},
}


@router.post(
    "/oauth/token",
    response_model=TokenAnswer,
    responses={**problems(), **_OAUTH_ERRORS},
    summary="Obtain an access token (client credentials, private_key_jwt)",
    description=(
        "Form-encoded (RFC 6749): `grant_type=client_credentials`, "
        "`client_assertion_type=urn:ietf:params:oauth:client-assertion-type:jwt-bearer` and `client_assertion`, "
        "an ES256 JWT signed with the client's consortium key, its certificate chain in `x5c`, "
        "`iss` = `sub` = the client id, `aud` = this gateway's id. "
        f"The access token lives at most {int(MAX_TOKEN_LIFETIME.total_seconds() // 60)} minutes and carries the "
        "client's organisation, role and scopes."
    ),
)
def token(
    request: Request,
    deps: Deps,
    grant_type: Annotated[str | None, Form(max_length=64)] = None,
    client_assertion_type: Annotated[str | None, Form(max_length=128)] = None,
    client_assertion: Annotated[str | None, Form(max_length=16_384)] = None,
) -> Response:
    note = note_of(request)
    peer = request.client.host if request.client else "unknown"
    deps.limiter.check("peer:" + peer)
    try:
        if not grant_type or not client_assertion_type or not client_assertion:
            raise BadRequest("expected form fields grant_type, client_assertion_type and client_assertion")
        _identify(deps, client_assertion, note)
        issued = deps.issuer.exchange(
            client_assertion, grant_type=grant_type, client_assertion_type=client_assertion_type
        )
    except (BadRequest, ClientAuthenticationFailed) as exc:
        note.reason = exc.reason
        body = {"error": exc.code, "error_description": str(exc)}
        return Response(orjson.dumps(body), status_code=exc.status, media_type="application/json", headers=_NO_STORE)
    note.identify(issued.principal)
    return Response(orjson.dumps(issued.response()), media_type="application/json", headers=_NO_STORE)


def _identify(deps: GatewayDeps, assertion: str, note: AuditNote) -> None:
    """Note who the assertion's certificate names, if it verifies, so that a refused assertion
    (expired, replayed...) is audited under its client."""
    try:
        header_b64 = assertion.split(".", 1)[0]
        header = orjson.loads(base64.urlsafe_b64decode(header_b64 + "=" * (-len(header_b64) % 4)))
        chain = [base64.b64decode(c, validate=True) for c in header["x5c"]]
        who = deps.trust.verify_chain(chain)
    except (ValueError, TypeError, KeyError, IndexError, binascii.Error, orjson.JSONDecodeError, GatewayError):
        return
    note.client, note.organisation, note.role = who.client_id, who.organisation, who.role.value
