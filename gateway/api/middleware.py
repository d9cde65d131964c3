"""The audit middleware: every request, refused ones included, becomes an audit event before
its answer leaves.

It reads the body (refusing more than the limit with 413), runs the application with a
``send`` that holds the answer back, builds the event from what the dependencies noted
(client, purpose, authorisation reference, subject tag, error reason) and waits for the audit
trail to commit it; only then does the answer go out, with the event's position in the
``X-Audit-Event`` header. If the event cannot be recorded the caller gets 503 instead. An
exception that escaped the application becomes a generic 500, audited like any other answer.

Hot routes (``direct``) are answered here without the application's router: their endpoint
takes the request alone, so the middleware calls it and maps what it raises through the
application's own exception handlers, exactly as the route would have been answered, minus
the cost of routing and of FastAPI's request handling (more than the verification itself).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import inspect
import logging
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

from fastapi.routing import APIRoute
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from gateway.api.problems import problem
from gateway.audit.events import AuditDraft, params_digest
from gateway.audit.trail import AuditTrail
from gateway.errors import AuditUnavailable
from gateway.metrics import GatewayMetrics
from gateway.tokens import Principal

log = logging.getLogger(__name__)

AUDIT_HEADER = b"x-audit-event"
REDACTED_PATH_PARAMS = frozenset({"subject_id"})  # replaced by the subject tag before digesting


@dataclass
class AuditNote:
    """What a request's handling learnt for its audit event."""

    client: str | None = None
    organisation: str | None = None
    role: str | None = None
    purpose: str | None = None
    authorisation: str | None = None
    subject_tag: str | None = None
    reason: str | None = None

    def identify(self, principal: Principal) -> None:
        """Record who the caller is."""
        self.client = principal.client_id
        self.organisation = principal.organisation
        self.role = principal.role.value


class AuditMiddleware:
    """Pure ASGI middleware around the whole application."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        trail: AuditTrail,
        metrics: GatewayMetrics,
        routes: Sequence[BaseRoute],
        max_body: int,
        clock: Callable[[], dt.datetime],
        direct: Sequence[APIRoute] = (),
        handlers: Mapping[Any, Callable[[Request, Exception], Any]] | None = None,
    ) -> None:
        self.app = app
        self._routes = list(routes)
        self._direct = {(method, route.path): route for route in direct for method in route.methods or ()}
        for route in direct:
            _check_direct(route)
        self._handlers = handlers if handlers is not None else {}
        self._trail = trail
        self._metrics = metrics
        self._max_body = max_body
        self._clock = clock
        self._series: dict[tuple[str, int], tuple[Any, Any]] = {}  # (endpoint, status) -> metric children

    def _count(self, endpoint: str, status: int, seconds: float) -> None:
        series = self._series.get((endpoint, status))
        if series is None:
            series = (
                self._metrics.requests.labels(endpoint, str(status)),
                self._metrics.latency.labels(endpoint),
            )
            self._series[(endpoint, status)] = series
        series[0].inc()
        series[1].observe(seconds)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        note = AuditNote()
        scope.setdefault("state", {})["audit"] = note
        body, refused = await self._read_body(scope, receive)
        held: dict[str, Any] = {}
        parts: list[bytes] = []

        async def hold(message: Message) -> None:
            if message["type"] == "http.response.start":
                held["start"] = message
            elif message["type"] == "http.response.body":
                parts.append(message.get("body", b""))

        if refused is not None:
            held["start"], parts = refused
        else:
            sent = False

            async def replay() -> Message:
                nonlocal sent
                if not sent:
                    sent = True
                    return {"type": "http.request", "body": body, "more_body": False}
                return await receive()

            route = self._direct.get((scope.get("method", ""), scope.get("path", "")))
            try:
                if route is None:
                    await self.app(scope, replay, hold)
                else:
                    scope["route"] = route
                    request = Request(scope, replay)
                    request._body = body  # read already: what Request.body() keeps after reading
                    held["start"], parts = _answer(await self._call(route, request))
            except Exception:  # noqa: BLE001 - answered as a generic 500, never leaked
                log.exception("unhandled error answering %s %s", scope.get("method"), _route_of(scope, self._routes)[0])
                note.reason = "server_error"
                held["start"], parts = _answer(problem(500, code="server_error", reason="server_error", detail=""))
            if "start" not in held:
                note.reason = note.reason or "no_answer"
                held["start"], parts = _answer(problem(500, code="server_error", reason="no_answer", detail=""))
        start: Message = held["start"]
        answer = b"".join(parts)
        endpoint, path_params = _route_of(scope, self._routes)
        status = int(start["status"])
        draft = self._draft(scope, note, endpoint, path_params, body, status, answer)
        try:
            seq = await self._trail.record(draft)
            headers = [*start.get("headers", []), (AUDIT_HEADER, str(seq).encode())]
            start = {**start, "headers": headers}
        except AuditUnavailable as exc:
            log.error("answer withheld, its audit event was not recorded: %s", exc)
            status = 503
            start, parts = _answer(
                problem(503, code="temporarily_unavailable", reason="audit_unavailable", detail=str(exc))
            )
            answer = b"".join(parts)
        self._count(endpoint, status, time.perf_counter() - started)
        await send(start)
        await send({"type": "http.response.body", "body": answer, "more_body": False})

    async def _call(self, route: APIRoute, request: Request) -> Response:
        """A direct route's answer: its endpoint's response, or what the application's
        exception handlers make of what it raised (an exception with no handler propagates)."""
        endpoint: Callable[[Request], Awaitable[Response]] = route.endpoint
        try:
            return await endpoint(request)
        except Exception as exc:
            for cls in type(exc).__mro__:
                handler = self._handlers.get(cls)
                if handler is not None:
                    answer = handler(request, exc)
                    return await answer if inspect.isawaitable(answer) else answer  # type: ignore[no-any-return]
            raise

    async def _read_body(self, scope: Scope, receive: Receive) -> tuple[bytes, tuple[Message, list[bytes]] | None]:
        """The whole body, or the 413 answer when it is over the limit."""
        limit = self._max_body
        for name, value in scope.get("headers", []):
            if name == b"content-length":
                try:
                    declared = int(value)
                except ValueError:
                    declared = -1
                if declared > limit:
                    return b"", self._too_large(scope, declared)
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                break
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > limit:
                return b"", self._too_large(scope, size)
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        return b"".join(chunks), None

    def _too_large(self, scope: Scope, size: int) -> tuple[Message, list[bytes]]:
        note: AuditNote = scope["state"]["audit"]
        note.reason = "payload_too_large"
        detail = f"the request body is larger than {self._max_body} bytes ({size})"
        response = problem(413, code="payload_too_large", reason="payload_too_large", detail=detail)
        response.headers["Connection"] = "close"
        return _answer(response)

    def _draft(
        self,
        scope: Scope,
        note: AuditNote,
        endpoint: str,
        path_params: dict[str, str],
        body: bytes,
        status: int,
        answer: bytes,
    ) -> AuditDraft:
        redacted = {
            k: (note.subject_tag or "") if k in REDACTED_PATH_PARAMS else str(v) for k, v in path_params.items()
        }
        raw_query = scope.get("query_string", b"")
        query = parse_qsl(raw_query.decode("latin-1"), keep_blank_values=True) if raw_query else []
        return AuditDraft(
            time=self._clock(),
            client=note.client,
            organisation=note.organisation,
            role=note.role,
            purpose=note.purpose,
            authorisation=note.authorisation,
            endpoint=endpoint,
            subject_tag=note.subject_tag,
            params=params_digest(scope.get("method", ""), endpoint, redacted, query, body),
            status=status,
            outcome="ok" if status < 400 else (note.reason or f"http_{status}"),
            answer=hashlib.sha256(answer).hexdigest(),
        )


def _check_direct(route: APIRoute) -> None:
    """A direct route takes the request alone: no path, query, header, cookie or body
    parameters and no dependencies for FastAPI to resolve."""
    dependant = route.dependant
    declared = (
        dependant.path_params,
        dependant.query_params,
        dependant.header_params,
        dependant.cookie_params,
        dependant.body_params,
        dependant.dependencies,
    )
    if any(declared) or not inspect.iscoroutinefunction(route.endpoint) or "{" in route.path:
        raise TypeError(f"{route.path}: a direct route's endpoint must be `async def endpoint(request)`")


def _route_of(scope: Scope, routes: Sequence[BaseRoute]) -> tuple[str, dict[str, str]]:
    """``METHOD /route/{template}`` and the path parameters; ``unmatched`` when no route
    matches (the raw path is never recorded: it may hold a subject id). The route is the one
    the application dispatched to, or, for a request refused before that (413), the first of
    ``routes`` that matches its path."""
    method = scope.get("method", "")
    route = scope.get("route")
    if route is None:
        partial = None
        for candidate in routes:
            matched, child = candidate.matches(scope)
            if matched is Match.FULL:
                route, scope = candidate, {**scope, **child}
                break
            if matched is Match.PARTIAL and partial is None:
                partial = (candidate, child)
        if route is None and partial is not None:
            route, scope = partial[0], {**scope, **partial[1]}
    path = getattr(route, "path", None)
    if path is None:
        return f"{method} unmatched", {}
    return f"{method} {path}", dict(scope.get("path_params", {}))


def _answer(response: Any) -> tuple[Message, list[bytes]]:
    start: Message = {
        "type": "http.response.start",
        "status": response.status_code,
        "headers": response.raw_headers,
    }
    return start, [bytes(response.body)]
