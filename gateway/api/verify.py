"""``POST /v1/verify``: is a record package authentic and current, and why."""

from __future__ import annotations

import orjson
from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from pydantic import ValidationError
from starlette.responses import Response

from adapters.core.errors import PackageInvalid
from adapters.core.package import RecordPackage
from gateway.api.deps import Bearer, deps_of
from gateway.api.responses import AUTHENTICATED, problems
from gateway.api.schemas import PackageIn, VerifyAnswer
from gateway.tokens import Scope

router = APIRouter(tags=["verify"])

_verifying = Bearer(Scope.VERIFY)


async def _package(request: Request) -> RecordPackage:
    """The body as a record package, read by the strict reader, which refuses whatever
    ``PackageIn`` refuses (tests/gateway/test_package_contract.py holds it to that). A refused
    body is checked against ``PackageIn`` only to word the refusal as for any other body; what
    the schema accepts and the reader does not (an unknown domain code, say) is refused in the
    reader's words. Read by hand rather than declared as a body parameter: FastAPI's body
    handling costs more than the validation itself, and this is the hot path."""
    body = await request.body()
    try:
        return RecordPackage.from_json(body)
    except PackageInvalid:
        try:
            PackageIn.model_validate_json(body)
        except ValidationError as exc:
            errors = exc.errors(include_url=False, include_context=False, include_input=False)
            raise RequestValidationError(errors) from None
        raise


@router.post(
    "/v1/verify",
    response_model=None,
    responses={200: {"model": VerifyAnswer, "description": "The verdict"}, **problems(*AUTHENTICATED)},
    openapi_extra={
        "requestBody": {
            "required": True,
            "description": "A record package (adapters.core.package).",
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/PackageIn"}}},
        },
        "security": [{_verifying.scheme_name: []}],
    },
    summary="Verify a record package against the ledger",
    description=(
        "Authentic or not, and why; entry id, owner province, version, current status, valid-until, the block, "
        "time and transaction of publication and of every status change, and for evaluation results the "
        "recognised YRD grade in each province. Answered from the gateway's ledger index: `as_of_block` says "
        "how far it has read. Scope `verify`."
    ),
)
async def verify(request: Request) -> Response:
    # The caller, then the body, as dependencies would, but called directly: FastAPI's
    # dependency resolution costs more per request than the verification itself. For the same
    # reason the audit middleware calls this endpoint itself, without the router (DIRECT).
    await _verifying(request)
    package = await _package(request)
    deps = deps_of(request)
    if not deps.verifier.is_warm(package):
        await run_in_threadpool(deps.verifier.warm, package)
    return Response(orjson.dumps(deps.verifier.verify(package)), media_type="application/json")


DIRECT: list[APIRoute] = [route for route in router.routes if isinstance(route, APIRoute)]
"""The hot route, answered by the audit middleware without the router."""
