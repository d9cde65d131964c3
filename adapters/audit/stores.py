"""Cross-checking province stores against the replayed ledger.

For a province P and its store:

* its own records (``origin = 'own'``) must be exactly the entries and results the ledger has
  P own: none missing, none extra (a record not yet on the ledger is fine while a ledger write
  for it is pending or was refused), with the ledger's version, status and facts (subject tag,
  list type, domain, scheme, grade, validity); the anchored version's record and salt must hash
  to the anchored commitment (``adapters.core.package.check_package``);
* its synced copies must be exactly the other provinces' records the ledger held up to the
  store's sync cursor, with their version, status and facts; a copy keeps record and salt only
  while the owner shares it, and what it keeps must hash to the anchored commitment.

When a record or salt does not hash to the commitment, the other stores' copies of the same
version tell which of the two changed: ``STORE_RECORD_ALTERED`` when the record differs from a
copy whose content verifies (or the record itself contradicts the ledger's facts),
``STORE_SALT_ALTERED`` when only the salt does, ``STORE_CONTENT_ALTERED`` when no copy can tell.
Stores are only read: opening one neither migrates nor writes it.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import orjson
from sqlalchemy import select

from adapters.audit.findings import Findings
from adapters.audit.state import LedgerState
from adapters.core.errors import AdapterError
from adapters.core.model import EVALUATION_SCHEMA_VERSION, LIST_ENTRY_SCHEMA_VERSION, EntryStatus
from adapters.core.package import ExpectedOnChain, RecordPackage, check_package
from adapters.core.provinces import Province
from adapters.core.tags import TagKeyring
from adapters.pipeline.sync import CURSOR as SYNC_CURSOR
from adapters.store import Store, StoredRecord, StoredVersion, schema

RESULT_ACTIVE = 1


@dataclass(frozen=True, slots=True)
class LedgerRecord:
    """What the ledger holds about one entry or result, in the store's terms."""

    kind: str
    owner: int
    version: int
    status: int
    subject_tag: str
    list_type: int | None
    domain: int
    scheme_id: int | None
    grade: int | None
    commitment: str
    valid_from: int
    valid_until: int
    published: int
    updated: int

    @property
    def shared(self) -> bool:
        if self.kind == "list-entry":
            return 1 <= self.status <= 6 and EntryStatus(self.status).shared
        return self.status == RESULT_ACTIVE


def ledger_records(state: LedgerState) -> Iterator[tuple[str, LedgerRecord]]:
    for rid, e in state.entries.items():
        commitment, valid_from, valid_until, _ = e.versions[-1]
        yield (
            rid,
            LedgerRecord(
                "list-entry",
                e.province,
                len(e.versions),
                e.status,
                e.subject_tag,
                e.list_type,
                e.domain,
                None,
                None,
                commitment,
                valid_from,
                valid_until,
                e.published,
                e.updated,
            ),
        )
    for rid, r in state.results.items():
        yield (
            rid,
            LedgerRecord(
                "evaluation",
                r.province,
                1,
                r.status,
                r.subject_tag,
                None,
                r.domain,
                r.scheme_id,
                r.grade,
                r.commitment,
                r.evaluated_at,
                r.valid_until,
                r.published,
                r.updated,
            ),
        )


def ledger_commitment(state: LedgerState, rid: str, version: int) -> str | None:
    e = state.entries.get(rid)
    if e is not None:
        return e.versions[version - 1][0] if 1 <= version <= len(e.versions) else None
    r = state.results.get(rid)
    return r.commitment if r is not None and version == 1 else None


@dataclass
class StoreSummary:
    """Counts of one store's check."""

    province: str
    own: int = 0
    synced: int = 0
    pending: int = 0  # own records with a ledger write pending or refused
    behind: int = 0  # ledger records changed after the store's sync cursor
    waiting: int = 0  # shared copies whose content the store has not obtained yet
    content_checked: int = 0
    sync_cursor: int | None = None
    by_status: dict[str, dict[str, dict[int, int]]] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            "province": self.province,
            "own": self.own,
            "synced": self.synced,
            "pending": self.pending,
            "behind": self.behind,
            "waiting": self.waiting,
            "content_checked": self.content_checked,
            "sync_cursor": self.sync_cursor,
            "by_status": {
                o: {k: {str(s): n for s, n in sorted(v.items())} for k, v in sorted(kinds.items())}
                for o, kinds in sorted(self.by_status.items())
            },
        }


@dataclass(frozen=True, slots=True)
class _Suspect:
    """A stored version whose content does not hash to the anchored commitment."""

    province: str
    origin: str
    rid: str
    version: int
    record: str
    salt: str
    commitment: str
    computed: str


class StoreCheck:
    """Checks the stores of the given provinces against ``state``."""

    def __init__(
        self,
        *,
        state: LedgerState,
        stores: Mapping[Province, Store],
        findings: Findings,
        keyring: TagKeyring | None = None,
    ) -> None:
        self.state = state
        self.stores = dict(stores)
        self.findings = findings
        self.keyring = keyring
        self._suspects: list[_Suspect] = []
        self._retained: list[tuple[Province, StoredRecord, LedgerRecord]] = []
        self._ledger: dict[str, LedgerRecord] = dict(ledger_records(state))

    def run(self) -> dict[str, StoreSummary]:
        out = {p.value: self._check_store(p, store) for p, store in sorted(self.stores.items())}
        self._classify_suspects()
        return out

    # -- one store --------------------------------------------------------------------------

    def _check_store(self, p: Province, store: Store) -> StoreSummary:
        summary = StoreSummary(p.value)
        summary.sync_cursor = store.cursor(SYNC_CURSOR)
        pending = _records_with_open_writes(store)
        seen: set[str] = set()
        to_verify: list[tuple[StoredRecord, int, str]] = []  # record, version, origin
        for rec, current in store.iter_records():
            seen.add(rec.record_id)
            kinds = summary.by_status.setdefault(rec.origin, {}).setdefault(rec.kind, {})
            kinds[rec.status] = kinds.get(rec.status, 0) + 1
            if rec.origin == "own":
                summary.own += 1
                if self._check_own(p, rec, rec.record_id in pending, summary):
                    to_verify.append((rec, self._ledger[rec.record_id].version, "own"))
            else:
                summary.synced += 1
                self._check_synced(p, rec, current, summary, to_verify)
        for rid, led in self._ledger.items():
            if rid in seen:
                continue
            if led.owner == p.code:
                self._add(
                    p,
                    "STORE_RECORD_MISSING",
                    rid,
                    "own",
                    f"own record {rid} is on the ledger, not in the store",
                    ledger=_facts(led),
                )
            elif summary.sync_cursor is not None and led.published <= summary.sync_cursor:
                self._add(
                    p,
                    "STORE_RECORD_MISSING",
                    rid,
                    "synced",
                    f"{_name(led.owner)}'s record {rid} was on the ledger by block {summary.sync_cursor}, "
                    "the store has no copy",
                    ledger=_facts(led),
                    sync_cursor=summary.sync_cursor,
                )
        self._verify_contents(p, store, to_verify, summary)
        return summary

    def _check_own(self, p: Province, rec: StoredRecord, pending: bool, summary: StoreSummary) -> bool:
        """Checks an own record's row; True when its anchored content should be verified."""
        rid = rec.record_id
        led = self._ledger.get(rid)
        if led is None or led.owner != p.code or led.kind != rec.kind:
            if rec.anchored_version == 0 and pending:
                summary.pending += 1
                return False
            why = "is not on the ledger" if led is None else f"is on the ledger as {_name(led.owner)}'s {led.kind}"
            self._add(
                p,
                "STORE_RECORD_EXTRA",
                rid,
                "own",
                f"own record {rid} {why}",
                store=_stored(rec),
                ledger=_facts(led) if led else None,
            )
            return False
        if pending:
            summary.pending += 1
        self._compare_row(p, rec, led, "own", desired_too=not pending)
        return True

    def _check_synced(
        self,
        p: Province,
        rec: StoredRecord,
        current: StoredVersion,
        summary: StoreSummary,
        to_verify: list[tuple[StoredRecord, int, str]],
    ) -> None:
        rid = rec.record_id
        led = self._ledger.get(rid)
        if led is None or led.owner == p.code or led.kind != rec.kind:
            why = "is not on the ledger" if led is None else f"is on the ledger as {_name(led.owner)}'s {led.kind}"
            self._add(
                p,
                "STORE_RECORD_EXTRA",
                rid,
                "synced",
                f"copy {rid} {why}",
                store=_stored(rec),
                ledger=_facts(led) if led else None,
            )
            return
        cursor = summary.sync_cursor
        if cursor is not None and led.updated > cursor:
            summary.behind += 1
            return
        self._compare_row(p, rec, led, "synced", desired_too=True)
        if led.shared and rec.version == led.version:
            if current.record is None or current.salt is None:
                summary.waiting += 1
            else:
                to_verify.append((rec, led.version, "synced"))
        if not led.shared:
            self._retained.append((p, rec, led))

    def _compare_row(
        self, p: Province, rec: StoredRecord, led: LedgerRecord, origin: str, *, desired_too: bool
    ) -> None:
        rid = rec.record_id
        if origin == "synced":
            versions, statuses = {rec.version}, {rec.status}
        else:
            versions = {rec.anchored_version} | ({rec.version} if desired_too else set())
            statuses = {rec.anchored_status} | ({rec.status} if desired_too else set())
        if versions != {led.version}:
            self._add(
                p,
                "STORE_VERSION_MISMATCH",
                rid,
                origin,
                f"{rid}: the ledger is at version {led.version}, the store at {sorted(versions)}",
                ledger={"version": led.version},
                store={"version": rec.version, "anchored_version": rec.anchored_version},
            )
        if statuses != {led.status}:
            self._add(
                p,
                "STORE_STATUS_MISMATCH",
                rid,
                origin,
                f"{rid}: the ledger's status is {_status(led)}, the store says "
                + ", ".join(_status_value(led.kind, s) for s in sorted(statuses)),
                ledger={"status": led.status},
                store={"status": rec.status, "anchored_status": rec.anchored_status},
            )
        facts_store = {
            "subject_tag": rec.subject_tag,
            "list_type": rec.list_type,
            "domain": rec.domain,
            "scheme_id": rec.scheme_id,
            "grade": rec.grade,
        }
        facts_ledger = {
            "subject_tag": led.subject_tag,
            "list_type": led.list_type,
            "domain": led.domain,
            "scheme_id": led.scheme_id,
            "grade": led.grade,
        }
        if rec.version == led.version:
            facts_store.update(valid_from=rec.chain_valid_from, valid_until=rec.chain_valid_until)
            facts_ledger.update(valid_from=led.valid_from, valid_until=led.valid_until)
        differ = sorted(k for k in facts_ledger if facts_ledger[k] != facts_store[k])
        if differ:
            self._add(
                p,
                "STORE_FACTS_MISMATCH",
                rid,
                origin,
                f"{rid}: {', '.join(differ)} differ from the ledger",
                ledger={k: facts_ledger[k] for k in differ},
                store={k: facts_store[k] for k in differ},
            )

    # -- content ----------------------------------------------------------------------------

    def _verify_contents(
        self, p: Province, store: Store, items: list[tuple[StoredRecord, int, str]], summary: StoreSummary
    ) -> None:
        for start in range(0, len(items), 1_000):
            chunk = items[start : start + 1_000]
            versions = store.versions([(rec.record_id, v) for rec, v, _ in chunk])
            for rec, version, origin in chunk:
                row = versions.get((rec.record_id, version))
                if row is None:
                    self._add(
                        p,
                        "STORE_VERSION_ROW_MISSING",
                        rec.record_id,
                        origin,
                        f"{rec.record_id}: the store has no row of anchored version {version}",
                        version=version,
                    )
                    continue
                if row.record is None or row.salt is None:
                    if origin == "own":
                        self._add(
                            p,
                            "STORE_VERSION_ROW_MISSING",
                            rec.record_id,
                            origin,
                            f"{rec.record_id}: version {version} has no record or salt",
                            version=version,
                        )
                    continue
                summary.content_checked += 1
                self._verify_one(p, rec, row, origin)
        retained, self._retained = self._retained, []
        self._check_retained(p, store, retained)

    def _verify_one(self, p: Province, rec: StoredRecord, row: StoredVersion, origin: str) -> None:
        rid, version = rec.record_id, row.version
        anchored = ledger_commitment(self.state, rid, version)
        try:
            expected = check_package(_package(rec, row), keyring=self.keyring)
        except AdapterError as exc:
            self._add(
                p,
                "STORE_RECORD_INVALID",
                rid,
                origin,
                f"{rid} version {version}: the stored record does not hold together: {exc}",
                version=version,
            )
            return
        computed = "0x" + expected.commitment.hex()
        contradictions = self._contradictions(rid, expected)
        if computed == anchored and not contradictions:
            return
        if contradictions:
            self._add(
                p,
                "STORE_RECORD_ALTERED",
                rid,
                origin,
                f"{rid} version {version}: the stored record says {', '.join(sorted(contradictions))} "
                "other than the ledger",
                version=version,
                ledger={k: v[0] for k, v in contradictions.items()},
                store={k: v[1] for k, v in contradictions.items()},
                anchored_commitment=anchored,
                computed_commitment=computed,
            )
            return
        self._suspects.append(
            _Suspect(p.value, origin, rid, version, row.record or "", row.salt or "", anchored or "", computed)
        )

    def _contradictions(self, rid: str, expected: ExpectedOnChain) -> dict[str, tuple[Any, Any]]:
        led = self._ledger[rid]
        out: dict[str, tuple[Any, Any]] = {}
        if "0x" + expected.entry_id.hex() != rid:
            out["record id"] = (rid, "0x" + expected.entry_id.hex())
        if expected.province != led.owner:
            out["owner"] = (led.owner, expected.province)
        if expected.domain != led.domain:
            out["domain"] = (led.domain, expected.domain)
        if expected.version == led.version:
            if expected.valid_from != led.valid_from:
                out["valid_from"] = (led.valid_from, expected.valid_from)
            if expected.valid_until != led.valid_until:
                out["valid_until"] = (led.valid_until, expected.valid_until)
        if led.kind == "list-entry" and expected.list_type != led.list_type:
            out["list_type"] = (led.list_type, expected.list_type)
        if led.kind == "evaluation" and (expected.scheme_id, expected.grade) != (led.scheme_id, led.grade):
            out["grade"] = ([led.scheme_id, led.grade], [expected.scheme_id, expected.grade])
        if self.keyring is not None and "0x" + expected.subject_tag.hex() != led.subject_tag:
            out["subject_tag"] = (led.subject_tag, "0x" + expected.subject_tag.hex())
        return out

    def _check_retained(
        self, p: Province, store: Store, items: list[tuple[Province, StoredRecord, LedgerRecord]]
    ) -> None:
        keys = [(rec.record_id, v) for _, rec, led in items for v in range(1, led.version + 1)]
        for start in range(0, len(keys), 2_000):
            found = store.versions(keys[start : start + 2_000])
            for (rid, version), row in sorted(found.items()):
                if row.record is not None or row.salt is not None:
                    led = self._ledger[rid]
                    self._add(
                        p,
                        "STORE_CONTENT_RETAINED",
                        rid,
                        "synced",
                        f"copy {rid} keeps version {version}'s record and salt while the ledger has it "
                        f"{_status(led)}, no longer shared",
                        version=version,
                        ledger={"status": led.status},
                    )

    def _classify_suspects(self) -> None:
        """Name what changed in each version whose content does not verify, from the other
        stores' copies of the same version."""
        for s in self._suspects:
            peers = self._peer_copies(s)
            code = "STORE_CONTENT_ALTERED"
            peer_province = None
            for province, record, salt in peers:
                peer_province = province
                if record != s.record:
                    code = "STORE_RECORD_ALTERED"
                elif salt != s.salt:
                    code = "STORE_SALT_ALTERED"
                break
            what = {
                "STORE_RECORD_ALTERED": "the record was changed",
                "STORE_SALT_ALTERED": "the salt was changed",
                "STORE_CONTENT_ALTERED": "record or salt was changed (no verified copy elsewhere to tell which)",
            }[code]
            self.findings.add(
                code,
                s.province,
                f"{s.rid} version {s.version}: the stored record and salt hash to {s.computed}, "
                f"the ledger anchored {s.commitment}: {what}",
                record=s.rid,
                origin=s.origin,
                version=s.version,
                anchored_commitment=s.commitment,
                computed_commitment=s.computed,
                compared_with=peer_province,
                store={"salt": s.salt, "record": s.record},
            )
        self._suspects.clear()

    def _peer_copies(self, s: _Suspect) -> list[tuple[str, str, str]]:
        """(province, record, salt) of other stores' copies of the version that verify."""
        out = []
        for p, store in sorted(self.stores.items()):
            if p.value == s.province:
                continue
            row = store.versions([(s.rid, s.version)]).get((s.rid, s.version))
            if row is None or row.record is None or row.salt is None:
                continue
            rec = store.record(s.rid)
            if rec is None:
                continue
            try:
                expected = check_package(_package(rec, row))
            except AdapterError:
                continue
            if "0x" + expected.commitment.hex() == s.commitment:
                out.append((p.value, row.record, row.salt))
        return out

    def _add(self, p: Province, code: str, rid: str, origin: str, message: str, **evidence: Any) -> None:
        self.findings.add(code, p.value, message, record=rid, origin=origin, **evidence)


def _package(rec: StoredRecord, row: StoredVersion) -> RecordPackage:
    doc = {
        "kind": rec.kind,
        "schema_version": LIST_ENTRY_SCHEMA_VERSION if rec.kind == "list-entry" else EVALUATION_SCHEMA_VERSION,
        "province": rec.province,
        "entry_id": rec.record_id,
        "version": row.version,
        "salt": row.salt,
        "subject_tag": rec.subject_tag,
        "tag_key_version": max(rec.tag_key_version, 1),
        "record": orjson.loads(row.record or "null"),
    }
    return RecordPackage.from_json(orjson.dumps(doc))


def _records_with_open_writes(store: Store) -> set[str]:
    """Record ids with a ledger write pending, in flight or refused."""
    o = schema.outbox
    stmt = select(o.c.record_id).where(o.c.state.in_(("pending", "batched", "failed"))).distinct()
    with store.engine.connect() as conn:
        return {str(r[0]) for r in conn.execute(stmt)}


def _name(code: int) -> str:
    try:
        return Province.from_code(code).value
    except ValueError:
        return str(code)


def _status_value(kind: str, status: int) -> str:
    if kind == "list-entry":
        try:
            return EntryStatus(status).name
        except ValueError:
            return str(status)
    return {1: "ACTIVE", 2: "REVOKED"}.get(status, str(status))


def _status(led: LedgerRecord) -> str:
    return _status_value(led.kind, led.status)


def _facts(led: LedgerRecord | None) -> dict[str, Any] | None:
    if led is None:
        return None
    return {
        "kind": led.kind,
        "owner": _name(led.owner),
        "version": led.version,
        "status": led.status,
        "commitment": led.commitment,
        "block": led.updated,
    }


def _stored(rec: StoredRecord) -> dict[str, Any]:
    return {
        "kind": rec.kind,
        "owner": rec.province,
        "version": rec.version,
        "status": rec.status,
        "anchored_version": rec.anchored_version,
        "anchored_status": rec.anchored_status,
    }
