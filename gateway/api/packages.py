"""``GET /v1/packages/{entry_id}`` and ``POST /v1/packages/query``: the owner gateway hands
record packages of its own anchored records to province peers."""

from __future__ import annotations

from typing import Annotated

import orjson
from fastapi import APIRouter, Path, Query
from starlette.responses import Response

from gateway.api.deps import Deps, ReadingPackages, Syncing
from gateway.api.responses import AUTHENTICATED, problems
from gateway.api.schemas import PackageOut, PackagesAnswer, PackagesQuery

router = APIRouter(tags=["packages"])

EntryId = Annotated[str, Path(pattern=r"^0x[0-9a-f]{64}$", description="Entry id or evaluation result id.")]


@router.get(
    "/v1/packages/{entry_id}",
    response_model=None,
    responses={
        200: {"model": PackageOut, "description": "The record package (RFC 8785 JSON)"},
        **problems(404, *AUTHENTICATED),
    },
    summary="The record package of one of this province's records",
    description="The anchored version unless `version` is given. Own, shared records only. Scope `packages:read`.",
)
def package(
    entry_id: EntryId,
    principal: ReadingPackages,
    deps: Deps,
    version: Annotated[int | None, Query(ge=1, le=2**32 - 1)] = None,
) -> Response:
    del principal
    return Response(deps.packages.one(entry_id, version), media_type="application/json")


@router.post(
    "/v1/packages/query",
    response_model=None,
    responses={
        200: {"model": PackagesAnswer, "description": "The packages found, and the keys not served"},
        **problems(*AUTHENTICATED),
    },
    summary="Several record packages at once, for sync",
    description="Up to 500 (entry id, version) pairs. Scopes `packages:read` and `lists:sync`.",
)
def packages(query: PackagesQuery, principal: Syncing, deps: Deps) -> Response:
    del principal
    found, missing = deps.packages.many([(k.entry_id, k.version) for k in query.keys])
    body = (
        b'{"packages":['
        + b",".join(found)
        + b'],"missing":'
        + orjson.dumps([{"entry_id": rid, "version": v} for rid, v in missing])
        + b"}"
    )
    return Response(body, media_type="application/json")
