"""The planner, without ledger or database: every source delta becomes the matching store
changes and ledger operations; a change the lifecycle forbids is refused with its reason and
leaves nothing; duplicates within one chunk; evaluation results cannot be amended."""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import pytest

from adapters.core.canonical import chain_valid_until, commitment, record_id
from adapters.core.model import Domain, EntryStatus, ListType, SourceEntry, SourceEvaluation
from adapters.core.provinces import Province
from adapters.core.tags import TagKeyring
from adapters.dialects.base import Parsed
from adapters.pipeline.plan import RESULT_ACTIVE, RESULT_REVOKED, Plan, Planner
from adapters.store.rows import StoredRecord, StoredVersion
from adapters.synthetic import Synthesizer

NOW = int(dt.datetime(2026, 11, 1, tzinfo=dt.UTC).timestamp())
PAST = dt.date(2026, 3, 31)  # a valid-until that has passed at NOW
FUTURE = dt.date(2029, 12, 31)
KEYRING = TagKeyring.development()

P, D, A, REP, EXP, REV = (
    EntryStatus.PUBLISHED,
    EntryStatus.DISPUTED,
    EntryStatus.AMENDED,
    EntryStatus.REPAIRED,
    EntryStatus.EXPIRED,
    EntryStatus.REVOKED,
)


# --- factories --------------------------------------------------------------------------


@pytest.fixture
def planner() -> Planner:
    return Planner(keyring=KEYRING, tag_key_version=1, now=lambda: NOW)


@pytest.fixture
def synth() -> Synthesizer:
    return Synthesizer(Province.ZJ, seed=7, sample=True)


def make_entry(
    synth: Synthesizer,
    n: int,
    *,
    status: EntryStatus = P,
    list_type: ListType = ListType.BLACK,
    valid_until: dt.date | None = FUTURE,
) -> SourceEntry:
    src = synth.entry(n)
    entry = dataclasses.replace(src.entry, list_type=list_type, valid_until=valid_until)
    return SourceEntry(entry, status, src.updated_at)


def later(src: SourceEntry, *, status: EntryStatus | None = None, amend: bool = False) -> SourceEntry:
    """The same entry in a later export: another status and/or corrected content."""
    entry = dataclasses.replace(src.entry, reason=src.entry.reason + "（已更正）") if amend else src.entry
    touched = src.updated_at + dt.timedelta(days=3)
    return SourceEntry(entry, status if status is not None else src.status, touched)


def rid_of(src: SourceEntry | SourceEvaluation) -> str:
    inner = src.entry if isinstance(src, SourceEntry) else src.result
    return "0x" + record_id(inner).hex()


def parsed(*records: Any) -> list[Parsed[Any]]:
    return [Parsed(r, f"line {i + 2}") for i, r in enumerate(records)]


@dataclass
class Held:
    """What a store would hold after applying plans (records and every version)."""

    records: dict[str, StoredRecord] = field(default_factory=dict)
    versions: dict[tuple[str, int], StoredVersion] = field(default_factory=dict)

    def current(self) -> dict[str, StoredVersion]:
        return {rid: self.versions[(rid, rec.version)] for rid, rec in self.records.items()}

    def apply(self, plan: Plan) -> Plan:
        for row in plan.changes.new_records:
            self.records[row["record_id"]] = StoredRecord(**row)
        for update in plan.changes.record_updates:
            cols = {k: v for k, v in update.items() if k != "record_id"}
            self.records[update["record_id"]] = dataclasses.replace(self.records[update["record_id"]], **cols)
        for v in plan.changes.new_versions:
            self.versions[(v["record_id"], v["version"])] = StoredVersion(**v)
        return plan

    def entries(self, planner: Planner, *records: SourceEntry) -> Plan:
        return self.apply(planner.plan_entries(parsed(*records), dict(self.records), self.current()))

    def evaluations(self, planner: Planner, *records: SourceEvaluation) -> Plan:
        return self.apply(planner.plan_evaluations(parsed(*records), dict(self.records), self.current()))


def ops(plan: Plan) -> list[tuple[str, int, int | None]]:
    return [(op["op"], op["version"], op["target_status"]) for op in plan.changes.ops]


def ledger_status_after(plan_ops: list[dict[str, Any]], rid: str, start: int) -> int:
    """The status the ledger gives a record after the planned operations, in their order."""
    status = start
    for op in plan_ops:
        if op["record_id"] != rid:
            continue
        status = {"publish": int(P), "amend": int(A)}.get(op["op"], op["target_status"])
    return status


def is_empty(plan: Plan) -> bool:
    c = plan.changes
    return not (c.new_records or c.record_updates or c.new_versions or c.version_updates or c.ops)


# --- new entries ------------------------------------------------------------------------


def test_a_new_entry_is_stored_with_a_salted_commitment_and_published(planner: Planner, synth: Synthesizer) -> None:
    src = make_entry(synth, 1)
    plan = Held().entries(planner, src)
    assert (plan.new, plan.amended, plan.status_changes, plan.unchanged) == (1, 0, 0, 0)
    assert ops(plan) == [("publish", 1, None)]
    (row,) = plan.changes.new_records
    assert row["record_id"] == rid_of(src)
    assert (row["origin"], row["version"], row["status"], row["anchored_version"]) == ("own", 1, int(P), 0)
    assert row["subject_tag"] == "0x" + KEYRING.tag(src.entry.subject_id, 1).hex()
    assert row["chain_valid_until"] == chain_valid_until(FUTURE)
    (version,) = plan.changes.new_versions
    salt = bytes.fromhex(version["salt"][2:])
    assert len(salt) == 16
    assert version["commitment"] == "0x" + commitment(src.entry, salt).hex()


def test_two_new_entries_with_the_same_content_get_different_salts(planner: Planner, synth: Synthesizer) -> None:
    src = make_entry(synth, 1)
    first = Planner(keyring=KEYRING, tag_key_version=1, now=lambda: NOW).plan_entries(parsed(src), {}, {})
    second = planner.plan_entries(parsed(src), {}, {})
    assert first.changes.new_versions[0]["salt"] != second.changes.new_versions[0]["salt"]
    assert first.changes.new_versions[0]["commitment"] != second.changes.new_versions[0]["commitment"]


@pytest.mark.parametrize(
    ("status", "valid_until", "expected_ops", "stored"),
    [
        (P, FUTURE, [("publish", 1, None)], P),
        (A, FUTURE, [("publish", 1, None)], P),  # first seen already corrected: version 1 here
        (D, FUTURE, [("publish", 1, None), ("status", 1, int(D))], D),
        (REP, FUTURE, [("publish", 1, None), ("status", 1, int(REP))], REP),
        (EXP, PAST, [("publish", 1, None), ("status", 1, int(EXP))], EXP),
        (REV, FUTURE, [("publish", 1, None), ("status", 1, int(REV))], REV),
    ],
    ids=lambda v: v.name if isinstance(v, EntryStatus) else None,
)
def test_a_new_entry_in_any_status_is_published_then_moved_there(
    planner: Planner,
    synth: Synthesizer,
    status: EntryStatus,
    valid_until: dt.date,
    expected_ops: list[tuple[str, int, int | None]],
    stored: EntryStatus,
) -> None:
    plan = Held().entries(planner, make_entry(synth, 1, status=status, valid_until=valid_until))
    assert ops(plan) == expected_ops
    assert plan.changes.new_records[0]["status"] == int(stored)
    assert plan.refusals == []


# --- deltas of a stored entry -----------------------------------------------------------


def _stored(planner: Planner, src: SourceEntry) -> Held:
    held = Held()
    held.entries(planner, src)
    return held


@pytest.mark.parametrize(
    ("start", "change", "expected_ops", "stored_status", "stored_version"),
    [
        ("published", {"amend": True, "status": A}, [("amend", 2, None)], A, 2),
        ("published", {"status": D}, [("status", 1, int(D))], D, 1),
        ("disputed", {"status": P}, [("status", 1, int(P))], P, 1),  # objection rejected
        ("disputed", {"amend": True, "status": A}, [("amend", 2, None)], A, 2),  # upheld: corrected
        ("published", {"status": REP}, [("status", 1, int(REP))], REP, 1),
        ("expiring", {"status": EXP}, [("status", 1, int(EXP))], EXP, 1),
        ("published", {"status": REV}, [("status", 1, int(REV))], REV, 1),
        ("disputed", {"status": REV}, [("status", 1, int(REV))], REV, 1),
        ("published", {"amend": True, "status": D}, [("amend", 2, None), ("status", 2, int(D))], D, 2),
    ],
    ids=[
        "amendment",
        "objection-opened",
        "objection-rejected",
        "objection-upheld",
        "credit-repair",
        "expiry",
        "revocation",
        "revocation-while-disputed",
        "amended-and-disputed",
    ],
)
def test_each_delta_becomes_its_lifecycle_operation(
    planner: Planner,
    synth: Synthesizer,
    start: str,
    change: dict[str, Any],
    expected_ops: list[tuple[str, int, int | None]],
    stored_status: EntryStatus,
    stored_version: int,
) -> None:
    src = make_entry(
        synth, 1, status=D if start == "disputed" else P, valid_until=PAST if start == "expiring" else FUTURE
    )
    held = _stored(planner, src)
    rid = rid_of(src)
    v1 = held.versions[(rid, 1)]
    plan = held.entries(planner, later(src, **change))
    assert ops(plan) == expected_ops
    assert plan.refusals == []
    assert (plan.amended, plan.status_changes) == (
        int(change.get("amend", False)),
        int(any(op[0] == "status" for op in expected_ops)),
    )
    rec = held.records[rid]
    assert (rec.status, rec.version) == (int(stored_status), stored_version)
    assert rec.source_updated_at == later(src).updated_at.isoformat()
    if stored_version == 2:
        v2 = held.versions[(rid, 2)]
        assert v2.salt != v1.salt and v2.commitment != v1.commitment
        assert "（已更正）" in (v2.record or "")
        assert held.versions[(rid, 1)] == v1  # the first version stays as it was
    else:
        assert plan.changes.new_versions == []


def test_the_same_entry_again_is_recognised_and_plans_nothing(planner: Planner, synth: Synthesizer) -> None:
    srcs = [make_entry(synth, n) for n in range(5)]
    held = Held()
    held.entries(planner, *srcs)
    again = held.entries(planner, *srcs)
    assert (again.new, again.unchanged) == (0, 5)
    assert is_empty(again)
    # a later update time alone is no change either
    touched = [dataclasses.replace(s, updated_at=s.updated_at + dt.timedelta(days=1)) for s in srcs]
    assert is_empty(held.entries(planner, *touched))


# --- refused changes --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("first", "then", "field_name", "reason"),
    [
        ({"list_type": ListType.RED}, {"status": REP}, "status", "credit repair applies to black-list entries only"),
        ({}, {"status": EXP}, "status", "cannot expire before its valid-until date"),
        ({"status": REP}, {"status": P}, "status", "a REPAIRED entry cannot return to publication"),
        ({"status": REV}, {"status": A, "amend": True}, "record", "a REVOKED entry cannot be amended"),
        ({"status": EXP, "valid_until": PAST}, {"status": D}, "status", "a EXPIRED entry cannot become DISPUTED"),
        ({"status": REP}, {"status": EXP}, "status", "a REPAIRED entry cannot become EXPIRED"),
        ({"status": REV}, {"status": REP}, "status", "a REVOKED entry cannot become REPAIRED"),
    ],
    ids=["repair-of-red", "early-expiry", "repaired-republished", "revoked-amended", "expired-disputed",
         "repaired-expired", "revoked-repaired"],
)  # fmt: skip
def test_a_forbidden_transition_is_refused_with_its_reason_and_leaves_nothing(
    planner: Planner, synth: Synthesizer, first: dict[str, Any], then: dict[str, Any], field_name: str, reason: str
) -> None:
    src = make_entry(synth, 1, **first)
    held = _stored(planner, src)
    other = make_entry(synth, 2)
    before = dict(held.records)
    plan = held.entries(planner, later(src, **then), other)
    (refusal,) = plan.refusals
    assert (refusal.field, refusal.location, refusal.local_id) == (field_name, "line 2", src.entry.local_id)
    assert reason in refusal.reason
    # nothing of the refused record, and the other record goes on
    assert {op["record_id"] for op in plan.changes.ops} == {rid_of(other)}
    assert all(u["record_id"] != rid_of(src) for u in plan.changes.record_updates)
    assert all(v["record_id"] != rid_of(src) for v in plan.changes.new_versions)
    assert held.records[rid_of(src)] == before[rid_of(src)]


def test_a_new_red_entry_in_repair_is_refused(planner: Planner, synth: Synthesizer) -> None:
    plan = Held().entries(planner, make_entry(synth, 1, list_type=ListType.RED, status=REP))
    assert [(r.field, r.reason) for r in plan.refusals] == [
        ("status", "credit repair applies to black-list entries only")
    ]
    assert is_empty(plan)


def test_an_entry_cannot_move_between_the_lists(planner: Planner, synth: Synthesizer) -> None:
    src = make_entry(synth, 1, list_type=ListType.BLACK)
    held = _stored(planner, src)
    moved = SourceEntry(dataclasses.replace(src.entry, list_type=ListType.RED, reason="守信激励"), A, src.updated_at)
    plan = held.entries(planner, moved)
    assert [(r.field, r.reason) for r in plan.refusals] == [
        ("list_type", "an entry cannot move between the red and the black list")
    ]
    assert is_empty(plan)


@pytest.mark.parametrize("field_name", ["domain", "subject_id"])
def test_an_amendment_cannot_change_what_the_ledger_fixed_at_publication(
    planner: Planner, synth: Synthesizer, field_name: str
) -> None:
    """The ledger keeps an entry's domain and subject tag from its publication (an amendment
    carries only commitment and validity): an amendment changing them could never verify."""
    src = make_entry(synth, 1)
    other = make_entry(synth, 2)
    held = _stored(planner, src)
    changed = {
        "domain": Domain(src.entry.domain % len(Domain) + 1),
        "subject_id": other.entry.subject_id,
    }[field_name]
    amended = SourceEntry(dataclasses.replace(src.entry, **{field_name: changed}), A, src.updated_at)
    plan = held.entries(planner, amended)
    assert [r.field for r in plan.refusals] == [field_name]
    assert "cannot" in plan.refusals[0].reason
    assert is_empty(plan)


def test_an_id_held_as_another_provinces_copy_is_refused(planner: Planner, synth: Synthesizer) -> None:
    src = make_entry(synth, 1)
    held = _stored(planner, src)
    rid = rid_of(src)
    held.records[rid] = dataclasses.replace(held.records[rid], origin="synced")
    plan = held.entries(planner, later(src, status=D))
    assert [r.field for r in plan.refusals] == ["local_id"]
    assert "another province" in plan.refusals[0].reason
    assert is_empty(plan)


# --- duplicates in one chunk ------------------------------------------------------------


def test_a_record_twice_in_one_chunk_is_published_once(planner: Planner, synth: Synthesizer) -> None:
    src = make_entry(synth, 1)
    plan = Held().entries(planner, src, make_entry(synth, 2), src)
    assert (plan.new, plan.unchanged) == (2, 1)
    assert [op["op"] for op in plan.changes.ops] == ["publish", "publish"]
    assert len({r["record_id"] for r in plan.changes.new_records}) == 2


def test_a_record_twice_with_new_content_in_one_chunk_is_published_then_amended(
    planner: Planner, synth: Synthesizer
) -> None:
    src = make_entry(synth, 1)
    held = Held()
    plan = held.entries(planner, src, later(src, amend=True, status=A))
    assert ops(plan) == [("publish", 1, None), ("amend", 2, None)]
    rec = held.records[rid_of(src)]
    assert (rec.version, rec.status) == (2, int(A))
    assert len(plan.changes.new_records) == 1


@pytest.mark.parametrize(
    "steps",
    [
        [{"status": D}, {"status": A, "amend": True}],  # objection opened, then upheld
        [{"status": D}, {"status": P}],  # opened, then rejected
        [{"status": A, "amend": True}, {"status": D}],
        [{"status": D}, {"status": A, "amend": True}, {"status": REV}],
    ],
    ids=["disputed-then-amended", "disputed-then-rejected", "amended-then-disputed", "three-steps"],
)
def test_successive_deltas_of_one_record_in_one_chunk_keep_their_order(
    planner: Planner, synth: Synthesizer, steps: list[dict[str, Any]]
) -> None:
    """The ledger must end in the status the store records, whatever the planner's batching."""
    src = make_entry(synth, 1)
    held = _stored(planner, src)
    rid = rid_of(src)
    deltas = []
    current = src
    for step in steps:
        current = later(current, **step)
        deltas.append(current)
    plan = held.entries(planner, *deltas)
    assert plan.refusals == []
    assert ledger_status_after(plan.changes.ops, rid, int(P)) == held.records[rid].status
    versions = [op["version"] for op in plan.changes.ops if op["record_id"] == rid]
    assert versions == sorted(versions)  # never an operation on a version before one on a later version


def test_operations_of_many_records_are_grouped_by_kind(planner: Planner, synth: Synthesizer) -> None:
    srcs = [make_entry(synth, n) for n in range(6)]
    held = Held()
    held.entries(planner, *srcs[:3])
    plan = held.entries(
        planner, later(srcs[0], status=D), later(srcs[1], amend=True, status=A), srcs[3], later(srcs[2], status=REV)
    )
    assert [op["op"] for op in plan.changes.ops] == ["publish", "amend", "status", "status"]


# --- evaluation results -----------------------------------------------------------------


def make_result(synth: Synthesizer, n: int, *, revoked: bool = False) -> SourceEvaluation:
    src = synth.evaluation(n)
    return dataclasses.replace(src, revoked=revoked)


def test_a_new_result_is_published_and_a_revoked_one_revoked(planner: Planner, synth: Synthesizer) -> None:
    active, revoked = make_result(synth, 1), make_result(synth, 2, revoked=True)
    held = Held()
    plan = held.evaluations(planner, active, revoked)
    assert ops(plan) == [("results", 1, None), ("results", 1, None), ("revoke", 1, RESULT_REVOKED)]
    assert held.records[rid_of(active)].status == RESULT_ACTIVE
    assert held.records[rid_of(revoked)].status == RESULT_REVOKED
    assert held.records[rid_of(active)].grade is not None


def test_a_result_revoked_later_is_revoked_once(planner: Planner, synth: Synthesizer) -> None:
    src = make_result(synth, 1)
    held = Held()
    held.evaluations(planner, src)
    plan = held.evaluations(planner, dataclasses.replace(src, revoked=True))
    assert ops(plan) == [("revoke", 1, RESULT_REVOKED)]
    assert plan.status_changes == 1
    again = held.evaluations(planner, dataclasses.replace(src, revoked=True))
    assert is_empty(again)
    assert again.unchanged == 1


def test_an_evaluation_amendment_is_refused(planner: Planner, synth: Synthesizer) -> None:
    src = make_result(synth, 1)
    held = Held()
    held.evaluations(planner, src)
    renamed = dataclasses.replace(src.result, subject_name=src.result.subject_name + "分公司")
    regraded = dataclasses.replace(src, result=renamed)
    plan = held.evaluations(planner, regraded)
    assert [(r.field, r.location) for r in plan.refusals] == [("record", "line 2")]
    assert "cannot be amended" in plan.refusals[0].reason
    assert is_empty(plan)


def test_a_revoked_result_cannot_be_restored(planner: Planner, synth: Synthesizer) -> None:
    src = make_result(synth, 1, revoked=True)
    held = Held()
    held.evaluations(planner, src)
    plan = held.evaluations(planner, dataclasses.replace(src, revoked=False))
    assert [(r.field, r.reason) for r in plan.refusals] == [("revoked", "a revoked result cannot be restored")]
    assert is_empty(plan)
