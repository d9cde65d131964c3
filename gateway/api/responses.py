"""The error answers each route documents in the OpenAPI schema."""

from __future__ import annotations

from typing import Any

from gateway.api.problems import PROBLEM_TYPE
from gateway.api.schemas import Problem


def problems(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` for problem+json answers with these statuses (and 413, 429 and
    503, which any request may get)."""
    out: dict[int | str, dict[str, Any]] = {}
    for status in sorted({*statuses, 413, 429, 503}):
        out[status] = {
            "model": Problem,
            "content": {PROBLEM_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}},
        }
    return out


AUTHENTICATED = (401, 403, 422)
