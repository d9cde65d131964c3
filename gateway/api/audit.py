"""The audit trail for auditors: events, anchored checkpoints, and RFC 9162 inclusion and
consistency proofs (section 2.1), each to be checked by the caller."""

from __future__ import annotations

import hashlib
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Query

from gateway.api.deps import Auditing, Deps
from gateway.api.responses import AUTHENTICATED, problems
from gateway.api.schemas import AuditEventsAnswer, CheckpointsAnswer, ConsistencyAnswer, InclusionAnswer
from gateway.errors import Unprocessable

router = APIRouter(prefix="/v1/audit", tags=["audit"])

Position = Annotated[int, Query(ge=0, le=2**53)]
Size = Annotated[int | None, Query(ge=0, le=2**53)]
Limit = Annotated[int, Query(ge=1, le=10_000)]


def _hex(data: bytes) -> str:
    return "0x" + data.hex()


@router.get(
    "/events",
    response_model=AuditEventsAnswer,
    responses=problems(*AUTHENTICATED),
    summary="Audit events in log order, cursor-paged",
    description="Each with its leaf hash (SHA-256 of 0x00 and the event's RFC 8785 JSON). Scope `audit:read`.",
)
def events(principal: Auditing, deps: Deps, start: Position = 0, limit: Limit = 100) -> Any:
    del principal
    limit = min(limit, deps.settings.limits.max_page)
    rows = deps.trail.events(start, limit + 1)
    out = [
        {
            "index": row.seq,
            "leaf_hash": _hex(hashlib.sha256(b"\x00" + row.leaf.encode("utf-8")).digest()),
            "event": orjson.loads(row.leaf),
        }
        for row in rows[:limit]
    ]
    return {"tree_size": deps.trail.size, "events": out, "next": rows[limit].seq if len(rows) > limit else None}


@router.get(
    "/checkpoints",
    response_model=CheckpointsAnswer,
    responses=problems(*AUTHENTICATED),
    summary="Checkpoints of this audit log anchored on the ledger, cursor-paged",
    description="From the ledger index (the AnchorLog contract's events), with the log's size and root now.",
)
def checkpoints(principal: Auditing, deps: Deps, start: Position = 0, limit: Limit = 100) -> Any:
    del principal
    limit = min(limit, deps.settings.limits.max_page)
    found = deps.index.checkpoints(deps.stream_id, start, limit + 1)
    size = deps.trail.size
    return {
        "stream_id": _hex(deps.stream_id),
        "tree_size": size,
        "root": _hex(deps.trail.root(size)),
        "checkpoints": [
            {
                "index": c.index,
                "tree_size": c.tree_size,
                "root": _hex(c.root),
                "anchored_at": c.anchored_at,
                "block": c.block,
                "tx": c.tx_hash,
            }
            for c in found[:limit]
        ],
        "next": found[limit].index if len(found) > limit else None,
    }


@router.get(
    "/proofs/inclusion",
    response_model=InclusionAnswer,
    responses=problems(404, *AUTHENTICATED),
    summary="Inclusion proof of an event (RFC 9162 section 2.1.3)",
    description="`tree_size` defaults to the log's size now. Scope `audit:read`.",
)
def inclusion(principal: Auditing, deps: Deps, index: Position, tree_size: Size = None) -> Any:
    del principal
    size = deps.trail.size if tree_size is None else tree_size
    proof = deps.trail.inclusion_proof(index, size)
    return {
        "index": index,
        "tree_size": size,
        "leaf_hash": _hex(deps.trail.leaf_hash(index)),
        "root": _hex(deps.trail.root(size)),
        "proof": [_hex(p) for p in proof],
    }


@router.get(
    "/proofs/consistency",
    response_model=ConsistencyAnswer,
    responses=problems(404, *AUTHENTICATED),
    summary="Consistency proof between two tree sizes (RFC 9162 section 2.1.4)",
    description="`second` defaults to the log's size now. Scope `audit:read`.",
)
def consistency(principal: Auditing, deps: Deps, first: Position, second: Size = None) -> Any:
    del principal
    size2 = deps.trail.size if second is None else second
    if first > size2:
        raise Unprocessable(f"expected first <= second, found first={first}, second={size2}")
    proof = deps.trail.consistency_proof(first, size2)
    return {
        "first": first,
        "second": size2,
        "first_root": _hex(deps.trail.root(first)),
        "second_root": _hex(deps.trail.root(size2)),
        "proof": [_hex(p) for p in proof],
    }
