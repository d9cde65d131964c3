"""Stateful test of CreditLists against the lifecycle model in ``lifecycle.py``.

Hypothesis publishes red and black entries, amends them, changes their status in small batches
as owners, as other provinces and as an outsider, and moves the ledger clock. Every write must
revert exactly when the model refuses it, with the model's error; after every step each entry
the step wrote or tried to write must equal the model's on the ledger (or still be absent),
and at the end of each run every entry must. (Reading all entries after every step would
cost a few hundred view calls per run on the slower embedded engine for no extra reach: a
stray write to an entry no step touched still shows at the end.)

Validity windows are 10,000 or 30,000 seconds and the clock moves in steps of 20,000 seconds,
so the few seconds of wall-clock time a run takes can never decide whether an entry has
expired. All examples share one deployment; each uses its own fresh local ids.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest
from hypothesis import HealthCheck, event, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from node.client import LedgerClient
from node.errors import ContractRevert
from tests.contracts.helpers import (
    OUTSIDER,
    ZERO32,
    ListType,
    NewEntry,
    Status,
    block_time,
    chain_time,
    digest,
    events_of,
    local_id,
    new_entry,
    packed_id,
    reverts,
)
from tests.contracts.lifecycle import (
    ModelEntry,
    amendment_refusal,
    status_change_refusal,
    validity_refusal,
)
from tests.support import PROVINCE_CODES, Exchange

pytestmark = pytest.mark.ledger

MAX_ENTRIES = 18
STEP = 20_000
WINDOWS = (10_000, 30_000)
CALLERS = (*PROVINCE_CODES, OUTSIDER)

# what an item of a publish batch is; the valid kinds are listed more than once to be likelier
PUBLISH_KINDS = (
    *("red", "black", "red-window", "black-window") * 6,
    "duplicate-existing",
    "duplicate-in-batch",
    "zero-commitment",
    "bad-validity",
    "list-type-none",
)
VALIDITY_KINDS = ("open", "window", "window", "lapsed", "bad")
TARGETS = tuple(s for s in Status)  # NONE and AMENDED included: both always illegal here


class LifecycleMachine(RuleBasedStateMachine):
    exchange: Exchange  # set by the test

    def __init__(self) -> None:
        super().__init__()
        self.model: dict[bytes, ModelEntry] = {}
        self.local_ids: dict[bytes, bytes] = {}
        self._outsider: LedgerClient | None = None
        self.touched: set[bytes] = set()
        self.settled = True  # False from a write until the invariant has checked the step

    # -- plumbing --------------------------------------------------------------------------

    def client(self, caller: int) -> int | LedgerClient:
        if caller in PROVINCE_CODES:
            return caller
        if self._outsider is None:
            self._outsider = self.exchange.account_client(OUTSIDER)
        return self._outsider

    def attempt(self, caller: int, function: str, args: list[Any], refusal: str | None) -> Any:
        """Send the write; it must succeed exactly when ``refusal`` is None."""
        self.touched.update(_entry_ids(function, args, caller))
        self.settled = False
        if caller not in PROVINCE_CODES:
            refusal = "ConsortiumNotAMember"
        event(f"{function}: {refusal or 'accepted'}")  # see --hypothesis-show-statistics
        try:
            receipt = self.exchange.send(self.client(caller), "CreditLists", function, *args)
        except ContractRevert as refused:
            assert refusal is not None, f"{function} refused with {refused}; the model allows it"
            assert refused.name == refusal
            return None
        assert refusal is None, f"{function} succeeded; the model expects {refusal}"
        return receipt

    def pick_entry(self, data: st.DataObject, caller: int | None = None) -> bytes:
        """Any entry, or one never published; with ``caller``, likelier one of its own."""
        known = list(self.model)  # publication order: ids are fresh hashes in every run
        own = [eid for eid in known if self.model[eid].owner == caller]
        unknown = packed_id(31, local_id(31, "NEVER"))
        return data.draw(st.sampled_from([*own * 8, *known * 4, unknown]))

    def pick_caller(self, data: st.DataObject, entry_id: bytes) -> int:
        owner = self.model[entry_id].owner if entry_id in self.model else 31
        return data.draw(st.sampled_from([*[owner] * 6, *CALLERS]))

    def pick_target(self, data: st.DataObject, entry_id: bytes, now: int, m: ModelEntry | None = None) -> Status:
        """Mostly a change the model allows the owner now, so that runs go deep; else any."""
        m = m or self.model.get(entry_id)
        allowed = [to for to in TARGETS if m is not None and status_change_refusal(m, m.owner, to, now) is None]
        return data.draw(st.sampled_from([*allowed * 3, *TARGETS]))

    def validity(self, data: st.DataObject, now: int) -> tuple[int, int]:
        kind = data.draw(st.sampled_from(VALIDITY_KINDS))
        if kind == "open":
            return now, 0
        if kind == "window":
            return now, now + data.draw(st.sampled_from(WINDOWS))
        if kind == "lapsed":
            return now - 3 * STEP, now - 2 * STEP
        return now, now  # bad: validUntil must be after validFrom

    # -- rules -----------------------------------------------------------------------------

    @initialize()
    def seed(self) -> None:
        """Every run starts with red and black entries of two provinces: open, bounded, lapsed."""
        now = chain_time(self.exchange)
        for code, lapsed_type in ((31, ListType.BLACK), (32, ListType.RED)):
            batch = [
                new_entry(code, list_type=ListType.RED, valid_from=now),
                new_entry(code, list_type=ListType.BLACK, valid_from=now),
                new_entry(code, list_type=ListType.RED, valid_from=now, valid_until=now + WINDOWS[1]),
                new_entry(code, list_type=ListType.BLACK, valid_from=now, valid_until=now + WINDOWS[0]),
                new_entry(code, list_type=lapsed_type, valid_from=now - 3 * STEP, valid_until=now - 2 * STEP),
            ]
            self.publish_batch(code, batch, stale=False)

    @precondition(lambda self: len(self.model) < MAX_ENTRIES)
    @rule(
        data=st.data(),
        caller=st.sampled_from((*PROVINCE_CODES * 2, OUTSIDER)),
        kinds=st.lists(st.sampled_from(PUBLISH_KINDS), min_size=1, max_size=3),
        stale=st.sampled_from((*[False] * 7, True)),
    )
    def publish(self, data: st.DataObject, caller: int, kinds: list[str], stale: bool) -> None:
        now = chain_time(self.exchange)
        owned = [lid for eid, lid in self.local_ids.items() if self.model[eid].owner == caller]
        batch = []
        for kind in kinds:
            list_type = ListType.RED if kind.startswith("red") else ListType.BLACK
            valid_from, valid_until = now, 0
            if kind.endswith("window"):
                valid_until = now + data.draw(st.sampled_from(WINDOWS))
            entry = new_entry(caller, list_type=list_type, domain=data.draw(st.integers(0, 12)), valid_from=valid_from)
            entry = replace(entry, valid_until=valid_until)
            if kind == "duplicate-existing" and owned:
                entry = replace(entry, local_id=data.draw(st.sampled_from(owned)))
            elif kind == "duplicate-in-batch" and batch:
                entry = replace(entry, local_id=batch[0].local_id)
            elif kind == "zero-commitment":
                entry = replace(entry, commitment=ZERO32)
            elif kind == "bad-validity":
                entry = replace(entry, valid_until=valid_from)
            elif kind == "list-type-none":
                entry = replace(entry, list_type=ListType.NONE)
            batch.append(entry)
        self.publish_batch(caller, batch, stale=stale)

    def publish_batch(self, caller: int, batch: list[NewEntry], *, stale: bool) -> None:
        refusal = "CreditListsStaleTagKeyVersion" if stale else None
        seen = set(self.model)
        for e in batch:
            if refusal:
                break
            eid = e.id_for(caller)
            if e.list_type == ListType.NONE:
                refusal = "CreditListsInvalidListType"
            elif e.commitment == ZERO32:
                refusal = "CreditListsZeroCommitment"
            else:
                refusal = validity_refusal(e.valid_from, e.valid_until)
            if refusal is None and eid in seen:
                refusal = "CreditListsEntryExists"
            seen.add(eid)

        receipt = self.attempt(caller, "publishBatch", [2 if stale else 1, [e.abi() for e in batch]], refusal)
        if receipt is None:
            return
        at = block_time(self.exchange, receipt)
        for e in batch:
            eid = e.id_for(caller)
            self.model[eid] = ModelEntry(
                caller, ListType(e.list_type), Status.PUBLISHED, e.domain, 1, e.valid_from, e.valid_until, at
            )
            self.local_ids[eid] = e.local_id
        assert events_of(self.exchange, receipt, "CreditLists")[-1] == (
            "BatchPublished",
            {"province": caller, "tagKeyVersion": 1, "count": len(batch)},
        )

    @precondition(lambda self: self.model)
    @rule(data=st.data())
    def owner_changes_status(self, data: st.DataObject) -> None:
        """The owner walks one entry through one to three changes in a single batch."""
        now = chain_time(self.exchange)
        movable = [
            eid
            for eid, m in self.model.items()
            if any(status_change_refusal(m, m.owner, to, now) is None for to in TARGETS)
        ]
        entry_id = data.draw(st.sampled_from(movable or list(self.model)))
        walker = replace(self.model[entry_id])
        changes = []
        for _ in range(data.draw(st.integers(1, 3))):
            to = self.pick_target(data, entry_id, now, walker)
            changes.append((entry_id, to))
            walker.status = to
        self.change_status(walker.owner, changes, now)

    @precondition(lambda self: self.model)
    @rule(data=st.data(), size=st.sampled_from((1, 2, 3)))
    def anyone_changes_status(self, data: st.DataObject, size: int) -> None:
        first = self.pick_entry(data)
        caller = self.pick_caller(data, first)
        now = chain_time(self.exchange)
        changes = [(first, self.pick_target(data, first, now))]
        for _ in range(size - 1):
            other = self.pick_entry(data, caller)
            changes.append((other, self.pick_target(data, other, now)))
        self.change_status(caller, changes, now)

    def change_status(self, caller: int, changes: list[tuple[bytes, Status]], now: int) -> None:
        # the batch is atomic: apply it to a copy of the model, item by item
        draft = {eid: replace(m) for eid, m in self.model.items()}
        refusal = None
        for eid, to in changes:
            refusal = status_change_refusal(draft.get(eid), caller, to, now)
            if refusal:
                break
            draft[eid].status = to

        receipt = self.attempt(caller, "changeStatusBatch", [[(eid, int(to)) for eid, to in changes]], refusal)
        if receipt is None:
            return
        at = block_time(self.exchange, receipt)
        expected_events = []
        for eid, to in changes:
            m = self.model[eid]
            event(f"transition {m.status.name} -> {to.name}")
            expected_events.append(
                (
                    "EntryStatusChanged",
                    {
                        "entryId": eid,
                        "province": caller,
                        "previousStatus": m.status,
                        "status": to,
                        "version": m.version,
                    },
                )
            )
            m.status, m.updated_at = to, at
        assert events_of(self.exchange, receipt, "CreditLists") == expected_events

    @precondition(lambda self: self.model)
    @rule(data=st.data(), size=st.sampled_from((1, 1, 2)))
    def amend(self, data: st.DataObject, size: int) -> None:
        first = self.pick_entry(data)
        caller = self.pick_caller(data, first)
        now = chain_time(self.exchange)
        amendments = []
        for i in range(size):
            eid = first if i == 0 else self.pick_entry(data, caller)
            valid_from, valid_until = self.validity(data, now)
            commitment = data.draw(st.sampled_from([digest("v"), digest("v"), digest("v"), ZERO32]))
            amendments.append((eid, commitment, valid_from, valid_until))

        draft = {eid: replace(m) for eid, m in self.model.items()}
        refusal = None
        for eid, commitment, valid_from, valid_until in amendments:
            refusal = amendment_refusal(draft.get(eid), caller, commitment, valid_from, valid_until)
            if refusal:
                break
            draft[eid].status = Status.AMENDED

        receipt = self.attempt(caller, "amendBatch", [amendments], refusal)
        if receipt is None:
            return
        at = block_time(self.exchange, receipt)
        expected_events = []
        for eid, commitment, valid_from, valid_until in amendments:
            m = self.model[eid]
            previous = m.status
            m.status, m.version, m.valid_from, m.valid_until, m.updated_at = (
                Status.AMENDED,
                m.version + 1,
                valid_from,
                valid_until,
                at,
            )
            expected_events.append(
                (
                    "EntryAmended",
                    {
                        "entryId": eid,
                        "province": caller,
                        "version": m.version,
                        "previousStatus": previous,
                        "commitment": commitment,
                        "validFrom": valid_from,
                        "validUntil": valid_until,
                    },
                )
            )
        assert events_of(self.exchange, receipt, "CreditLists") == expected_events

    @rule()
    def advance_time(self) -> None:
        self.exchange.advance_time(STEP)

    # -- invariant -------------------------------------------------------------------------

    def check(self, entry_ids: set[bytes]) -> None:
        for eid in sorted(entry_ids):
            if eid in self.model:
                assert tuple(self.exchange.call("CreditLists", "entry", eid)) == self.model[eid].as_tuple(), eid.hex()
            else:
                with reverts("CreditListsEntryNotFound", entryId=eid):
                    self.exchange.call("CreditLists", "entry", eid)

    @invariant()
    def touched_entries_match_model(self) -> None:
        self.check(self.touched)
        self.touched.clear()
        self.settled = True

    def teardown(self) -> None:
        if self.settled:  # after a failed step the model is stale: report that failure alone
            self.check(set(self.model))


def _entry_ids(function: str, args: list[Any], caller: int) -> set[bytes]:
    if function == "publishBatch":
        return {packed_id(caller, item[0]) for item in args[1] if item[0] != ZERO32}
    return {item[0] for item in args[0]}


@pytest.mark.slow
def test_lifecycle_state_machine(shared_exchange: Exchange) -> None:
    machine = type("LifecycleOnLedger", (LifecycleMachine,), {"exchange": shared_exchange})
    run_state_machine_as_test(
        machine,
        settings=settings(
            max_examples=10,
            stateful_step_count=18,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow],
        ),
    )
