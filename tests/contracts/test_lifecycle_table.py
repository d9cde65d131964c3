"""Every (from, to) pair of the entry lifecycle, legal and illegal, for red and black lists.

One entry is prepared per case, in its source state, with its valid-until already passed, so
that expiry is legal wherever the lifecycle allows it; the conditions of expiry and repair
themselves are tested in ``test_credit_lists``.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import pytest

from node.client import Receipt
from tests.contracts.helpers import (
    EntryState,
    ListType,
    Status,
    amend,
    block_time,
    chain_time,
    change_status,
    digest,
    entry_state,
    events_of,
    new_entry,
    publish,
    reverts,
)
from tests.contracts.lifecycle import AMENDABLE, LEGAL_STATUS_CHANGES
from tests.support import Exchange

pytestmark = pytest.mark.ledger

OWNER = 33
AMEND = "amend"  # the one way to AMENDED
SOURCES: list[Status | None] = [None, *(s for s in Status if s != Status.NONE)]
OPERATIONS: list[Status | str] = [*Status, AMEND]
CASES = [
    (list_type, source, op)
    for list_type in (ListType.RED, ListType.BLACK)
    for source in SOURCES
    for op in OPERATIONS
    if not (list_type == ListType.RED and source == Status.REPAIRED)  # unreachable
]


def case_id(case: tuple[ListType, Status | None, Status | str]) -> str:
    list_type, source, op = case
    source_name = "none" if source is None else source.name.lower()
    op_name = op if isinstance(op, str) else f"status-{op.name.lower()}"
    return f"{list_type.name.lower()}-{source_name}->{op_name}"


@dataclass(frozen=True)
class Board:
    exchange: Exchange
    entries: dict[tuple[ListType, Status | None, Status | str], bytes]


@pytest.fixture(scope="module")
def board(shared_exchange: Exchange) -> Board:
    """One entry per case, driven into its source state in five transactions."""
    exchange = shared_exchange
    now = chain_time(exchange)
    specs = {case: new_entry(OWNER, list_type=case[0], valid_from=now, valid_until=now + 1000) for case in CASES}
    entries = {case: spec.id_for(OWNER) for case, spec in specs.items()}
    real = [case for case in CASES if case[1] is not None]
    publish(exchange, OWNER, *(specs[case] for case in real))

    def of(source: Status) -> list[bytes]:
        return [entries[case] for case in real if case[1] == source]

    change_status(
        exchange, OWNER, *((eid, s) for s in (Status.DISPUTED, Status.REPAIRED, Status.REVOKED) for eid in of(s))
    )
    amend(exchange, OWNER, *((eid, digest("v2"), now, now + 1000) for eid in of(Status.AMENDED)))
    exchange.advance_time(5000)
    change_status(exchange, OWNER, *((eid, Status.EXPIRED) for eid in of(Status.EXPIRED)))
    return Board(exchange, entries)


def _expected(list_type: ListType, source: Status | None, op: Status | str) -> tuple[str, dict[str, int]] | None:
    if source is None:
        return "CreditListsEntryNotFound", {}
    if op == AMEND:
        legal = source in AMENDABLE
        return None if legal else ("CreditListsIllegalTransition", {"from": source, "to": Status.AMENDED})
    assert isinstance(op, Status)
    if (source, op) not in LEGAL_STATUS_CHANGES:
        return "CreditListsIllegalTransition", {"from": source, "to": op}
    if op == Status.REPAIRED and list_type == ListType.RED:
        return "CreditListsRepairNotApplicable", {"listType": list_type}
    return None


def _apply(exchange: Exchange, entry_id: bytes, op: Status | str, before: EntryState | None) -> Receipt:
    if op == AMEND:
        valid_from, valid_until = (before.valid_from, before.valid_until) if before else (0, 0)
        return amend(exchange, OWNER, (entry_id, digest("amended"), valid_from, valid_until))
    assert isinstance(op, Status)
    return change_status(exchange, OWNER, (entry_id, op))


@pytest.mark.parametrize(("list_type", "source", "op"), CASES, ids=[case_id(c) for c in CASES])
def test_transition(board: Board, list_type: ListType, source: Status | None, op: Status | str) -> None:
    exchange = board.exchange
    entry_id = board.entries[(list_type, source, op)]
    before = None if source is None else entry_state(exchange, entry_id)
    if before is not None:
        assert (before.status, before.list_type) == (source, list_type)

    expected = _expected(list_type, source, op)
    if expected is not None:
        error, args = expected
        with reverts(error, entryId=entry_id, **args):
            _apply(exchange, entry_id, op, before)
        if before is not None:
            assert entry_state(exchange, entry_id) == before
        return

    assert before is not None
    receipt = _apply(exchange, entry_id, op, before)
    changed_at = block_time(exchange, receipt)
    if op == AMEND:
        after = replace(before, status=Status.AMENDED, version=before.version + 1, updated_at=changed_at)
        event = ("EntryAmended", {"entryId": entry_id, "version": after.version, "previousStatus": source})
    else:
        after = replace(before, status=op, updated_at=changed_at)
        event = (
            "EntryStatusChanged",
            {"entryId": entry_id, "previousStatus": source, "status": op, "version": before.version},
        )
    assert entry_state(exchange, entry_id) == after
    [(name, args)] = events_of(exchange, receipt, "CreditLists")
    assert (name, {k: args[k] for k in event[1]}) == event
    assert args["province"] == OWNER
