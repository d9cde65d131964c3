"""``GET /healthz`` and ``GET /metrics`` (Prometheus text format)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from starlette.responses import Response

from gateway.api.deps import Deps
from gateway.api.responses import problems
from gateway.api.schemas import Health
from gateway.metrics import CONTENT_TYPE

router = APIRouter(tags=["operations"])


@router.get(
    "/healthz",
    response_model=Health,
    responses=problems(),
    summary="Whether the gateway is following the ledger and anchoring its audit log",
)
async def healthz(deps: Deps) -> Any:
    found = []
    cursor = deps.index.cursor
    if cursor is None:
        found.append("index_not_ready")
    if deps.follower is not None and deps.follower.last_error:
        found.append("index_failing")
    if deps.anchorer is not None and deps.anchorer.last_error:
        found.append("anchoring_failing")
    return {
        "status": "degraded" if found else "ok",
        "gateway": deps.gateway_id,
        "province": deps.province.value,
        "index_block": cursor.block if cursor else None,
        "head_block": deps.index.head,
        "audit_events": deps.trail.size,
        "anchored_events": deps.anchorer.anchored_size if deps.anchorer else 0,
        "problems": found,
    }


@router.get(
    "/metrics",
    response_class=Response,
    responses={
        200: {"content": {"text/plain": {"schema": {"type": "string"}}}, "description": "Prometheus"},
        **problems(),
    },
    summary="Prometheus metrics",
)
async def metrics(deps: Deps) -> Response:
    return Response(deps.metrics.render(), media_type=CONTENT_TYPE)
