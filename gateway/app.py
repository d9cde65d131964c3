"""``create_app``: the FastAPI application of one gateway, wired to its parts.

One router per resource; errors mapped to RFC 9457 problems in one place
(``gateway.api.problems``); every request audited by ``gateway.api.middleware`` before its
answer leaves. The application holds no global state, so several gateways can be served from
one process.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from pydantic import BaseModel

from gateway.api import audit, entries, health, oauth, packages, problems, subjects, verify
from gateway.api.deps import GatewayDeps
from gateway.api.middleware import AuditMiddleware
from gateway.api.schemas import PackageIn
from gateway.console import router as console_router
from gateway.settings import GatewaySettings

API_VERSION = "1.0.0"

APP_OPTIONS: dict[str, Any] = {
    "docs_url": None,
    "redoc_url": None,
    # no OpenTelemetry: a gateway reports through /metrics and its audit trail, and FastAPI
    # would look for configured providers on every request
    "telemetry": {"tracing": False, "metrics": False, "logs": False},
}
"""The FastAPI settings of every gateway (and of the benchmark's baseline endpoint)."""


def create_app(settings: GatewaySettings, *, deps: GatewayDeps) -> FastAPI:
    """The gateway of ``settings.province`` over ``deps``."""
    app = FastAPI(
        title=f"yrdx gateway {deps.gateway_id}",
        version=API_VERSION,
        description=(
            f"The Yangtze River Delta credit exchange gateway of {deps.province.name_en} ({deps.province.value}): "
            "token issuance, verification of record packages, subject queries, record packages for peers, "
            "ledger history and the tamper-evident audit trail. Every request is audited."
        ),
        openapi_url="/openapi.json",
        **APP_OPTIONS,
    )
    app.state.deps = deps
    routers = [m.router for m in (oauth, verify, subjects, packages, entries, audit, health)] + [console_router]
    for router in routers:
        app.include_router(router)
    problems.install(app, realm=deps.gateway_id)
    _document(app, PackageIn)
    app.add_middleware(
        AuditMiddleware,
        trail=deps.trail,
        metrics=deps.metrics,
        routes=[route for router in routers for route in router.routes],
        max_body=settings.limits.max_body_bytes,
        clock=deps.clock,
        direct=verify.DIRECT,
        handlers=app.exception_handlers,
    )
    return app


def _document(app: FastAPI, *models: type[BaseModel]) -> None:
    """Add schemas of bodies that routes read by hand to the OpenAPI components."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = get_openapi(title=app.title, version=app.version, description=app.description, routes=app.routes)
            components = schema.setdefault("components", {}).setdefault("schemas", {})
            for model in models:
                doc = model.model_json_schema(ref_template="#/components/schemas/{model}")
                components.update(doc.pop("$defs", {}))
                components[model.__name__] = doc
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
