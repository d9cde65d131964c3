"""``GET /v1/entries/{entry_id}/history``: every ledger event about an entry or result, with
block, time and transaction, for auditors."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query

from adapters.chain.verify import iso_seconds, member_label
from gateway.api.deps import Deps, ReadingHistory
from gateway.api.responses import AUTHENTICATED, problems
from gateway.api.schemas import HistoryAnswer
from gateway.errors import NotFound
from gateway.verify import as_of

router = APIRouter(tags=["history"])


@router.get(
    "/v1/entries/{entry_id}/history",
    response_model=HistoryAnswer,
    responses=problems(404, *AUTHENTICATED),
    summary="The ledger history of an entry or evaluation result",
    description="From the gateway's ledger index, oldest first, cursor-paged. Scope `history:read`.",
)
def history(
    entry_id: Annotated[str, Path(pattern=r"^0x[0-9a-f]{64}$")],
    principal: ReadingHistory,
    deps: Deps,
    start: Annotated[int, Query(ge=0, le=2**31, description="First event (position in the history) to return.")] = 0,
    limit: Annotated[int, Query(ge=1, le=10_000)] = 100,
) -> Any:
    del principal
    stamp = as_of(deps.index)
    rec = deps.index.record(entry_id)
    if rec is None:
        raise NotFound(f"the ledger index holds no entry or result {entry_id}")
    limit = min(limit, deps.settings.limits.max_page)
    page = rec.events[start : start + limit]
    events = [
        {
            "event": e.name,
            "block": e.block_number,
            "log_index": e.log_index,
            "time": iso_seconds(rec.times.get(e.block_number, 0)),
            "tx": e.tx_hash,
            "args": e.args,
        }
        for e in page
    ]
    more = start + limit < len(rec.events)
    return {
        "entry_id": rec.record_id,
        "kind": rec.kind,
        "owner": member_label(rec.province),
        "events": events,
        "next": start + limit if more else None,
        **stamp,
    }
