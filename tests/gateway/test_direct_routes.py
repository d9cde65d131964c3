"""Direct routes: the audit middleware answers them without the router, so they must take the
request alone; anything FastAPI would have to resolve is refused when the app is built."""

from __future__ import annotations

import pytest
from fastapi import APIRouter, Request
from fastapi.routing import APIRoute
from starlette.responses import Response

from gateway.api import verify
from gateway.api.middleware import _check_direct


def _route(router: APIRouter) -> APIRoute:
    route = router.routes[-1]
    assert isinstance(route, APIRoute)
    return route


def test_the_verify_route_is_direct() -> None:
    assert [(r.path, r.methods) for r in verify.DIRECT] == [("/v1/verify", {"POST"})]
    for route in verify.DIRECT:
        _check_direct(route)


def test_routes_with_parameters_cannot_be_direct() -> None:
    router = APIRouter()

    @router.get("/things/{thing}")
    async def by_path(thing: str) -> Response:
        return Response(thing)

    @router.get("/things")
    async def by_query(request: Request, limit: int = 10) -> Response:
        return Response(str(limit))

    @router.post("/sync")
    def blocking(request: Request) -> Response:
        return Response()

    for route in router.routes:
        assert isinstance(route, APIRoute)
        with pytest.raises(TypeError, match="direct route"):
            _check_direct(route)
