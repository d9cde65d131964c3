"""Turning validated source records into store changes and ledger operations.

For each record the planner compares the export with what the store holds and decides:
a new record is stored with a fresh 128-bit salt and published; changed content is a new
version (an amendment); a changed status is the matching lifecycle transition (objection
opened or rejected, credit repair, expiry, revocation); the same content and status again is
recognised as already published. A change the lifecycle forbids refuses the whole record with
the reason, and nothing of it is written.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from operator import itemgetter
from typing import Any

from adapters.core.canonical import (
    canonical_bytes,
    chain_valid_from,
    chain_valid_until,
    commitment_of,
    new_salt,
    record_id,
)
from adapters.core.grades import SCHEMES
from adapters.core.lifecycle import can_amend, transition_error
from adapters.core.model import EntryStatus, ListEntry, ListType, SourceEntry, SourceEvaluation
from adapters.core.tags import TagKeyring
from adapters.dialects.base import Parsed
from adapters.store.rows import RECORD_COLUMNS, Changes, OutboxOp, StoredRecord, StoredVersion
from adapters.store.store import Store

RESULT_ACTIVE, RESULT_REVOKED = 1, 2
_ROW_VALUES = itemgetter(*RECORD_COLUMNS)  # a row dict's values in StoredRecord's order: faster than keywords


@dataclass(frozen=True, slots=True)
class DeltaRefusal:
    """A record whose change cannot be applied: where it is and why."""

    location: str
    field: str
    reason: str
    local_id: str


@dataclass
class Plan:
    changes: Changes = field(default_factory=Changes.empty)
    refusals: list[DeltaRefusal] = field(default_factory=list)
    new: int = 0
    amended: int = 0
    status_changes: int = 0
    unchanged: int = 0
    # each planned record's row as the store holds it after ``changes``, and the stored
    # current version of each record that existed before
    rows: dict[str, dict[str, Any]] = field(default_factory=dict)
    stored: dict[str, StoredVersion] = field(default_factory=dict)

    def outbox_ops(self, op_ids: Sequence[int]) -> list[OutboxOp]:
        """The planned operations as the outbox holds them once ``changes`` are written and
        ``op_ids`` (from ``Store.write``) are their ids: what ``Store.pending_ops`` would read."""
        new = {(v["record_id"], v["version"]): v for v in self.changes.new_versions}
        records: dict[str, StoredRecord] = {}
        out = []
        for op_id, op in zip(op_ids, self.changes.ops, strict=True):
            rid, version = op["record_id"], op["version"]
            record = records.get(rid)
            if record is None:
                record = records[rid] = StoredRecord(*_ROW_VALUES(self.rows[rid]))
            v = new.get((rid, version))
            if v is not None:
                commitment, content, valid_from, valid_until = v["commitment"], None, v["valid_from"], v["valid_until"]
            else:
                old = self.stored[rid]
                if old.version != version:
                    raise ValueError(f"operation {op_id} writes version {version} of {rid}, planned from {old.version}")
                commitment, valid_from, valid_until = old.commitment, old.valid_from, old.valid_until
                content = old.record if valid_from is None or valid_until is None else None
            target = op["target_status"]
            out.append(OutboxOp(op_id, op["op"], record, version, target, commitment, content, valid_from, valid_until))
        return out


@dataclass
class _State:
    """What the store will hold for one record after the ops planned so far."""

    row: dict[str, Any]
    content: str
    is_new: bool


def _hex(b: bytes) -> str:
    return "0x" + b.hex()


class Planner:
    """Plans store changes and ledger operations for one province's exports."""

    def __init__(self, *, keyring: TagKeyring, tag_key_version: int, now: Callable[[], int]) -> None:
        self.keyring = keyring
        self.tag_key_version = tag_key_version
        self.now = now

    def plan_stored(self, store: Store, kind: str, parsed: Sequence[Parsed[Any]], ids: Sequence[str]) -> Plan:
        """Plan a chunk of ``kind`` ("entries" or "evaluations") against what ``store`` holds
        now; ``ids`` are the parsed records' ids (0x hex) in the same order."""
        existing = store.records(ids)
        current = store.current_versions(list(existing))
        if kind == "entries":
            return self.plan_entries(parsed, existing, current, ids=ids)
        return self.plan_evaluations(parsed, existing, current, ids=ids)

    # -- shared -----------------------------------------------------------------------------

    def _states(self, existing: dict[str, StoredRecord], current: dict[str, StoredVersion]) -> dict[str, _State]:
        states = {}
        for rid, rec in existing.items():
            version = current.get(rid)
            states[rid] = _State(_row_of(rec), version.record or "" if version else "", False)
        return states

    def _new_version(self, plan: Plan, rid: str, version: int, content: str, record: Any) -> str:
        salt = new_salt()
        digest = commitment_of(record, content.encode("utf-8"), salt)
        start = record.valid_from if isinstance(record, ListEntry) else record.evaluated_on
        plan.changes.new_versions.append(
            {
                "record_id": rid,
                "version": version,
                "commitment": _hex(digest),
                "salt": _hex(salt),
                "record": content,
                "valid_from": chain_valid_from(start),
                "valid_until": chain_valid_until(record.valid_until),
            }
        )
        return _hex(digest)

    @staticmethod
    def _finish(
        plan: Plan, states: dict[str, _State], touched: dict[str, dict[str, Any]], current: dict[str, StoredVersion]
    ) -> None:
        plan.rows = {rid: state.row for rid, state in states.items()}
        plan.stored = current
        for rid, cols in touched.items():
            state = states[rid]
            if state.is_new or not cols:
                continue
            plan.changes.record_updates.append({"record_id": rid, **cols})
        plan.changes.new_records.extend(s.row for s in states.values() if s.is_new)
        # publishes first, then amendments, then status changes: fewer, fuller batches. A
        # record's own operations keep their order (a record may appear more than once in a
        # chunk): none moves ahead of an earlier one of the same record.
        order = {"publish": 0, "results": 0, "amend": 1, "status": 2, "revoke": 2}
        phase: dict[str, int] = {}
        keyed = []
        for op in plan.changes.ops:
            p = phase[op["record_id"]] = max(order[op["op"]], phase.get(op["record_id"], 0))
            keyed.append((p, op))
        keyed.sort(key=lambda k: k[0])
        plan.changes.ops[:] = [op for _, op in keyed]

    # -- list entries -----------------------------------------------------------------------

    def plan_entries(
        self,
        parsed: Sequence[Parsed[SourceEntry]],
        existing: dict[str, StoredRecord],
        current: dict[str, StoredVersion],
        *,
        ids: Sequence[str] | None = None,
    ) -> Plan:
        """Plan a chunk of entries; ``ids``, when the caller has them, are their record ids
        (0x hex) in the same order."""
        ids = ids if ids is not None else [_hex(record_id(p.record.entry)) for p in parsed]
        plan = Plan()
        states = self._states(existing, current)
        touched: dict[str, dict[str, Any]] = {}
        now = self.now()
        for item, rid in zip(parsed, ids, strict=True):
            src = item.record
            entry = src.entry
            content = canonical_bytes(entry).decode("utf-8")
            state = states.get(rid)
            updated_at = src.updated_at.isoformat()
            if state is None:
                tag_version = self.tag_key_version
                row: dict[str, Any] = {
                    "record_id": rid,
                    "kind": "list-entry",
                    "province": entry.province.value,
                    "local_id": entry.local_id,
                    "origin": "own",
                    "version": 1,
                    "status": int(EntryStatus.PUBLISHED),
                    "anchored_version": 0,
                    "anchored_status": 0,
                    "subject_tag": _hex(self.keyring.tag(entry.subject_id, tag_version)),
                    "tag_key_version": tag_version,
                    "list_type": int(entry.list_type),
                    "domain": int(entry.domain),
                    "scheme_id": None,
                    "grade": None,
                    "chain_valid_from": chain_valid_from(entry.valid_from),
                    "chain_valid_until": chain_valid_until(entry.valid_until),
                    "source_updated_at": updated_at,
                    "block_number": None,
                }
                targets, error = _status_targets(EntryStatus.PUBLISHED, src.status, row, now)
                if error:
                    plan.refusals.append(DeltaRefusal(item.location, "status", error, entry.local_id))
                    continue
                states[rid] = _State(row, content, True)
                self._new_version(plan, rid, 1, content, entry)
                plan.changes.ops.append({"op": "publish", "record_id": rid, "version": 1, "target_status": None})
                self._status_ops(plan, row, rid, 1, targets)
                plan.new += 1
                continue

            row = state.row
            if row["origin"] != "own":
                plan.refusals.append(
                    DeltaRefusal(
                        item.location, "local_id", "the store holds this id as another province's entry", entry.local_id
                    )
                )
                continue
            changed = content != state.content
            current_status = EntryStatus(row["status"])
            if changed and not can_amend(current_status):
                plan.refusals.append(
                    DeltaRefusal(
                        item.location, "record", f"a {current_status.name} entry cannot be amended", entry.local_id
                    )
                )
                continue
            if changed and entry.list_type != ListType(row["list_type"]):
                plan.refusals.append(
                    DeltaRefusal(
                        item.location,
                        "list_type",
                        "an entry cannot move between the red and the black list",
                        entry.local_id,
                    )
                )
                continue
            fixed = self._fixed_at_publication(entry, row) if changed else None
            if fixed:
                plan.refusals.append(
                    DeltaRefusal(
                        item.location,
                        fixed,
                        f"an amendment cannot change the {fixed}: the ledger keeps it as published",
                        entry.local_id,
                    )
                )
                continue
            after_amend = EntryStatus.AMENDED if changed else current_status
            candidate = {**row, "chain_valid_until": chain_valid_until(entry.valid_until)} if changed else row
            targets, error = _status_targets(after_amend, src.status, candidate, now)
            if error:
                plan.refusals.append(DeltaRefusal(item.location, "status", error, entry.local_id))
                continue
            cols = touched.setdefault(rid, {})
            if changed:
                version = row["version"] + 1
                self._new_version(plan, rid, version, content, entry)
                row.update(
                    version=version,
                    status=int(EntryStatus.AMENDED),
                    chain_valid_from=chain_valid_from(entry.valid_from),
                    chain_valid_until=chain_valid_until(entry.valid_until),
                    domain=int(entry.domain),
                )
                cols.update(
                    version=version,
                    status=row["status"],
                    chain_valid_from=row["chain_valid_from"],
                    chain_valid_until=row["chain_valid_until"],
                    domain=row["domain"],
                )
                state.content = content
                plan.changes.ops.append({"op": "amend", "record_id": rid, "version": version, "target_status": None})
                plan.amended += 1
            if targets:
                self._status_ops(plan, row, rid, row["version"], targets)
                cols["status"] = row["status"]
                plan.status_changes += 1
            if changed or targets:
                row["source_updated_at"] = updated_at
                cols["source_updated_at"] = updated_at
            else:
                plan.unchanged += 1
        self._finish(plan, states, touched, current)
        return plan

    def _fixed_at_publication(self, entry: ListEntry, row: dict[str, Any]) -> str | None:
        """The field an amendment of ``entry`` changes that the ledger cannot: an amendment
        carries only a commitment and validity, domain and subject tag stay as published."""
        if int(entry.domain) != row["domain"]:
            return "domain"
        if _hex(self.keyring.tag(entry.subject_id, row["tag_key_version"])) != row["subject_tag"]:
            return "subject_id"
        return None

    @staticmethod
    def _status_ops(plan: Plan, row: dict[str, Any], rid: str, version: int, targets: list[EntryStatus]) -> None:
        for target in targets:
            plan.changes.ops.append(
                {"op": "status", "record_id": rid, "version": version, "target_status": int(target)}
            )
            row["status"] = int(target)

    # -- evaluation results -----------------------------------------------------------------

    def plan_evaluations(
        self,
        parsed: Sequence[Parsed[SourceEvaluation]],
        existing: dict[str, StoredRecord],
        current: dict[str, StoredVersion],
        *,
        ids: Sequence[str] | None = None,
    ) -> Plan:
        """Plan a chunk of evaluation results; ``ids`` as for ``plan_entries``."""
        ids = ids if ids is not None else [_hex(record_id(p.record.result)) for p in parsed]
        plan = Plan()
        states = self._states(existing, current)
        touched: dict[str, dict[str, Any]] = {}
        for item, rid in zip(parsed, ids, strict=True):
            src = item.record
            result = src.result
            content = canonical_bytes(result).decode("utf-8")
            state = states.get(rid)
            updated_at = src.updated_at.isoformat()
            if state is None:
                row = {
                    "record_id": rid,
                    "kind": "evaluation",
                    "province": result.province.value,
                    "local_id": result.local_id,
                    "origin": "own",
                    "version": 1,
                    "status": RESULT_REVOKED if src.revoked else RESULT_ACTIVE,
                    "anchored_version": 0,
                    "anchored_status": 0,
                    "subject_tag": _hex(self.keyring.tag(result.subject_id, self.tag_key_version)),
                    "tag_key_version": self.tag_key_version,
                    "list_type": None,
                    "domain": int(result.domain),
                    "scheme_id": result.scheme_id,
                    "grade": SCHEMES[result.scheme_id].index(result.grade),
                    "chain_valid_from": chain_valid_from(result.evaluated_on),
                    "chain_valid_until": chain_valid_until(result.valid_until),
                    "source_updated_at": updated_at,
                    "block_number": None,
                }
                states[rid] = _State(row, content, True)
                self._new_version(plan, rid, 1, content, result)
                plan.changes.ops.append({"op": "results", "record_id": rid, "version": 1, "target_status": None})
                if src.revoked:
                    plan.changes.ops.append(
                        {"op": "revoke", "record_id": rid, "version": 1, "target_status": RESULT_REVOKED}
                    )
                plan.new += 1
                continue
            row = state.row
            if content != state.content:
                plan.refusals.append(
                    DeltaRefusal(
                        item.location,
                        "record",
                        "an evaluation result cannot be amended: publish a new result under a new number",
                        result.local_id,
                    )
                )
                continue
            revoked_now = row["status"] == RESULT_REVOKED
            if src.revoked and not revoked_now:
                row["status"] = RESULT_REVOKED
                touched.setdefault(rid, {}).update(status=RESULT_REVOKED, source_updated_at=updated_at)
                plan.changes.ops.append(
                    {"op": "revoke", "record_id": rid, "version": row["version"], "target_status": RESULT_REVOKED}
                )
                plan.status_changes += 1
            elif revoked_now and not src.revoked:
                plan.refusals.append(
                    DeltaRefusal(item.location, "revoked", "a revoked result cannot be restored", result.local_id)
                )
            else:
                plan.unchanged += 1
        self._finish(plan, states, touched, current)
        return plan


def _status_targets(
    current: EntryStatus, source: EntryStatus, row: dict[str, Any], now: int
) -> tuple[list[EntryStatus], str | None]:
    """The status transitions that take an entry from ``current`` to what the export says."""
    active = (EntryStatus.PUBLISHED, EntryStatus.AMENDED)
    if source in active:
        if current in active:
            return [], None
        if current is EntryStatus.DISPUTED:
            return [EntryStatus.PUBLISHED], None  # objection rejected: the entry stands
        return [], f"a {current.name} entry cannot return to publication"
    if source is current:
        return [], None
    error = transition_error(
        current, source, list_type=ListType(row["list_type"]), valid_until=int(row["chain_valid_until"]), now=now
    )
    return ([], error) if error else ([source], None)


def _row_of(rec: StoredRecord) -> dict[str, Any]:
    return {name: getattr(rec, name) for name in rec.__slots__}


def utc_now() -> int:
    return int(dt.datetime.now(dt.UTC).timestamp())
