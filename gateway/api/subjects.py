"""``GET /v1/subjects/{subject_id}/entries`` (what the exchange holds about a subject) and
``GET /v1/subjects/{subject_id}/access-log`` (who asked about it, when and why).

Both need a stated purpose and an authorisation reference, both recorded; the audit event
names the subject by its tag, never by its id."""

from __future__ import annotations

from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Path, Query, Request

from gateway.api.deps import Declared, Deps, Querying, ReadingAccessLog, note_of
from gateway.api.responses import AUTHENTICATED, problems
from gateway.api.schemas import AccessLogAnswer, SubjectAnswer
from gateway.subjects import parse_subject_id

router = APIRouter(tags=["subjects"])

SubjectId = Annotated[
    str, Path(min_length=1, max_length=64, description="A USCC (GB 32100-2015) or resident identity number (GB 11643).")
]


@router.get(
    "/v1/subjects/{subject_id}/entries",
    response_model=SubjectAnswer,
    responses=problems(*AUTHENTICATED),
    summary="Every entry and evaluation about a subject, in all four provinces",
    description=(
        "Found by subject tag on the ledger; state from the ledger, content from this province's store, "
        "minimised for the caller's role (agencies: see `gateway.subjects`). Scope `subjects:query`, "
        "with `purpose` and `authorisation`."
    ),
)
def entries(request: Request, subject_id: SubjectId, principal: Querying, declared: Declared, deps: Deps) -> Any:
    subject = parse_subject_id(subject_id)
    note_of(request).subject_tag = deps.subjects.tags(subject)[0]
    answer = deps.subjects.query(subject, principal.role)
    return {**answer, "purpose": declared.purpose, "authorisation": declared.authorisation}


@router.get(
    "/v1/subjects/{subject_id}/access-log",
    response_model=AccessLogAnswer,
    responses=problems(*AUTHENTICATED),
    summary="Who has queried this subject, when and for what purpose",
    description=(
        "The data subject's right to know, served to province platforms (`subjects:query`) and auditors "
        "(`audit:read`), with `purpose` and `authorisation`. Cursor-paged by audit log position."
    ),
)
def access_log(
    request: Request,
    subject_id: SubjectId,
    principal: ReadingAccessLog,
    declared: Declared,
    deps: Deps,
    start: Annotated[int, Query(ge=0, le=2**53, description="First audit log position to return.")] = 0,
    limit: Annotated[int, Query(ge=1, le=10_000)] = 100,
) -> Any:
    del principal, declared
    subject = parse_subject_id(subject_id)
    tags = deps.subjects.tags(subject)
    note_of(request).subject_tag = tags[0]
    limit = min(limit, deps.settings.limits.max_page)
    rows = deps.trail.events_about(tags, start, limit + 1)
    accesses = []
    for row in rows[:limit]:
        event = orjson.loads(row.leaf)
        accesses.append(
            {
                "index": row.seq,
                **{k: event[k] for k in ("time", "client", "organisation", "role", "purpose", "authorisation")},
                **{k: event[k] for k in ("endpoint", "status", "outcome")},
            }
        )
    return {"subject_tags": tags, "accesses": accesses, "next": rows[limit].seq if len(rows) > limit else None}
