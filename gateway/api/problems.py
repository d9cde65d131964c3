"""Errors as HTTP answers, in one place: RFC 9457 problem details with stable codes.

Every ``GatewayError`` carries its status, code and reason; other failures are mapped here
(malformed input 422, unknown routes 404, the store or ledger away 503). Details of 5xx answers
are generic, so no internals leak; the reason goes to the audit trail. 401 answers carry
``WWW-Authenticate`` (RFC 6750 section 3), 429 answers ``Retry-After``.
"""

from __future__ import annotations

import logging
from http import HTTPStatus
from typing import Any

import orjson
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

from adapters.core.errors import AdapterError, PackageInvalid
from adapters.store.errors import StoreUnavailable
from gateway.errors import GatewayError, InsufficientScope, InvalidToken, TokenMissing
from gateway.ratelimit import RateLimitExceeded
from node.errors import LedgerError

log = logging.getLogger(__name__)

PROBLEM_TYPE = "application/problem+json"
_GENERIC = "the gateway cannot answer this request now"
_STATUS_CODES = {
    400: ("invalid_request", "invalid_request"),
    401: ("invalid_token", "invalid_token"),
    403: ("forbidden", "forbidden"),
    404: ("not_found", "not_found"),
    405: ("method_not_allowed", "method_not_allowed"),
    409: ("conflict", "conflict"),
    413: ("payload_too_large", "payload_too_large"),
    415: ("unsupported_media_type", "unsupported_media_type"),
    422: ("unprocessable", "unprocessable"),
    429: ("rate_limited", "rate_limited"),
    503: ("temporarily_unavailable", "service_unavailable"),
}


def problem(
    status: int,
    *,
    code: str,
    reason: str,
    detail: str,
    headers: dict[str, str] | None = None,
    errors: list[dict[str, Any]] | None = None,
) -> Response:
    """An ``application/problem+json`` answer."""
    body: dict[str, Any] = {
        "type": f"urn:yrdx:problem:{code}",
        "title": HTTPStatus(status).phrase,
        "status": status,
        "detail": detail if status < 500 else _GENERIC,
        "code": code,
        "reason": reason,
    }
    if errors is not None:
        body["errors"] = errors
    return Response(orjson.dumps(body), status_code=status, media_type=PROBLEM_TYPE, headers=headers)


def problem_of(exc: GatewayError, *, realm: str) -> Response:
    """The answer for a gateway error."""
    headers: dict[str, str] = {}
    if isinstance(exc, TokenMissing):
        headers["WWW-Authenticate"] = f'Bearer realm="{realm}"'
    elif isinstance(exc, InvalidToken):
        headers["WWW-Authenticate"] = f'Bearer realm="{realm}", error="invalid_token"'
    elif isinstance(exc, InsufficientScope):
        headers["WWW-Authenticate"] = f'Bearer realm="{realm}", error="insufficient_scope"'
    if isinstance(exc, RateLimitExceeded):
        headers["Retry-After"] = str(exc.retry_after)
    return problem(exc.status, code=exc.code, reason=exc.reason, detail=str(exc), headers=headers or None)


def _note(request: Request, reason: str) -> None:
    note = getattr(request.state, "audit", None)
    if note is not None:
        note.reason = reason


def install(app: FastAPI, *, realm: str) -> None:
    """Register the exception handlers on ``app``."""

    async def gateway_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, GatewayError)
        _note(request, exc.reason)
        if exc.status >= 500:
            log.warning("%s: %s", exc.reason, exc)
        return problem_of(exc, realm=realm)

    async def adapter_error(request: Request, exc: Exception) -> Response:
        if isinstance(exc, PackageInvalid):
            _note(request, "package_invalid")
            return problem(422, code="unprocessable", reason="package_invalid", detail=f"not a record package: {exc}")
        _note(request, "store_unavailable")
        log.warning("store: %s", exc)
        status = 503 if isinstance(exc, StoreUnavailable) else 500
        code = "temporarily_unavailable" if status == 503 else "server_error"
        return problem(status, code=code, reason="store_unavailable", detail=str(exc))

    async def ledger_error(request: Request, exc: Exception) -> Response:
        _note(request, "ledger_unavailable")
        log.warning("ledger: %s", exc)
        return problem(503, code="temporarily_unavailable", reason="ledger_unavailable", detail=str(exc))

    async def validation_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, RequestValidationError)
        _note(request, "request_invalid")
        errors = [
            {"loc": [str(p) if not isinstance(p, int) else p for p in e.get("loc", ())], "msg": str(e.get("msg", ""))}
            for e in exc.errors()[:20]
        ]
        return problem(
            422, code="unprocessable", reason="request_invalid", detail="the request is malformed", errors=errors
        )

    async def http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, StarletteHTTPException)
        code, reason = _STATUS_CODES.get(exc.status_code, ("invalid_request", "invalid_request"))
        _note(request, reason)
        headers = dict(exc.headers) if exc.headers else None
        return problem(exc.status_code, code=code, reason=reason, detail=str(exc.detail), headers=headers)

    app.add_exception_handler(GatewayError, gateway_error)
    app.add_exception_handler(AdapterError, adapter_error)
    app.add_exception_handler(LedgerError, ledger_error)
    app.add_exception_handler(RequestValidationError, validation_error)
    app.add_exception_handler(StarletteHTTPException, http_error)
