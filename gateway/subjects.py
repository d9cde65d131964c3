"""Subject queries: every entry and evaluation result about one subject in all four provinces.

Records are found on the ledger index by subject tag (HMAC of the subject id under every key
version of the keyring); their state (status, version, validity, publication and last change)
comes from the index, their content from this province's store: its own records and the
checked copies it synced from the other provinces. Content is shown only while the ledger says
the record is shared (a repaired, revoked or expired record shows its ledger facts only), and
only when the store holds the ledger's current version.

Minimisation by role (``content``: ``full`` for provinces, ``minimised`` for agencies):

================  ==========================================  ===========================
record            province platforms (full record)            credit agencies (minimised)
================  ==========================================  ===========================
list entry        every field of the canonical record         list_type, domain,
                                                              subject_kind, subject_name,
                                                              reason, authority_name,
                                                              decided_on, valid_from,
                                                              valid_until
evaluation        every field of the canonical record         subject_kind, subject_name,
                                                              domain, scheme_id, grade,
                                                              evaluated_on, valid_until
================  ==========================================  ===========================

An agency never receives the owner's local list number, the subject id it already holds, the
legal-basis text or the deciding authority's USCC: it learns what the subject is listed for,
by whom, since when and until when, and how the ledger stands — enough to apply the joint
rewards and punishments and to verify the record. Auditors do not query subjects.
"""

from __future__ import annotations

import re
from typing import Any

import orjson

from adapters.chain.verify import RESULT_STATUS, iso_seconds, member_label
from adapters.core.errors import RecordInvalid
from adapters.core.grades import YRD_SCALE
from adapters.core.identifiers import validate_ric, validate_uscc
from adapters.core.model import EntryStatus
from adapters.core.tags import TagKeyring
from adapters.pipeline.sync import is_shared
from adapters.store.store import Store
from gateway.errors import Unprocessable
from gateway.index.store import IndexedRecord, IndexView, LedgerIndex
from gateway.pki import Role
from gateway.verify import as_of
from node.events import LedgerEvent

AGENCY_ENTRY_FIELDS = (
    "list_type",
    "domain",
    "subject_kind",
    "subject_name",
    "reason",
    "authority_name",
    "decided_on",
    "valid_from",
    "valid_until",
)
AGENCY_EVALUATION_FIELDS = (
    "subject_kind",
    "subject_name",
    "domain",
    "scheme_id",
    "grade",
    "evaluated_on",
    "valid_until",
)
LIST_TYPES = {1: "red", 2: "black"}
_RIC_SHAPE = re.compile(r"[0-9]{17}[0-9X]")


def parse_subject_id(raw: str) -> str:
    """The normalised subject id: a resident identity number (GB 11643) or a USCC (GB 32100-2015);
    ``Unprocessable`` for anything else."""
    text = raw.strip().upper()
    checks = (validate_ric, validate_uscc) if _RIC_SHAPE.fullmatch(text) else (validate_uscc,)
    reasons = []
    for check in checks:
        try:
            return check(text, field="subject_id")
        except RecordInvalid as exc:
            reasons.append(exc.reason)
    raise Unprocessable(
        "subject_id: expected a USCC (GB 32100-2015) or a resident identity number (GB 11643): " + "; ".join(reasons)
    )


class SubjectDirectory:
    """Answers subject queries from the ledger index and the province's store."""

    def __init__(self, *, index: LedgerIndex, store: Store, keyring: TagKeyring) -> None:
        self._index = index
        self._store = store
        self._keyring = keyring

    def tags(self, subject_id: str) -> list[str]:
        """The subject's tags under every key version, the current version's first."""
        versions = [self._keyring.current_version] + [
            v for v in self._keyring.versions if v != self._keyring.current_version
        ]
        return ["0x" + self._keyring.tag(subject_id, v).hex() for v in versions]

    def query(self, subject_id: str, role: Role) -> dict[str, Any]:
        """Every entry and result about ``subject_id``, minimised for ``role``."""
        tags = self.tags(subject_id)
        stamp = as_of(self._index)
        view = self._index.view()
        records = self._index.records_by_tags(tags)
        contents = self._store.versions([(r.record_id, r.version) for r in records])
        entries, evaluations = [], []
        for rec in records:
            stored = contents.get((rec.record_id, rec.version))
            record = orjson.loads(stored.record) if stored is not None and stored.record else None
            item = _item(rec, record, role)
            if rec.kind == "list-entry":
                entries.append(item)
            else:
                item["recognition"] = _recognition(rec, view)
                evaluations.append(item)
        return {"subject_tags": tags, **stamp, "entries": entries, "evaluations": evaluations}


def _item(rec: IndexedRecord, record: dict[str, Any] | None, role: Role) -> dict[str, Any]:
    entry = rec.kind == "list-entry"
    status = EntryStatus(rec.status).name if entry else RESULT_STATUS.get(rec.status, str(rec.status))
    item: dict[str, Any] = {
        "entry_id": rec.record_id,
        "kind": rec.kind,
        "owner": member_label(rec.province),
        "version": rec.version,
        "status": status,
        "domain": rec.domain,
        "valid_from": rec.valid_from,
        "valid_until": rec.valid_until,
        "published": _ref(rec, rec.events[0]) if rec.events else None,
        "last_change": _ref(rec, rec.events[-1]) if rec.events else None,
    }
    if entry:
        item["list_type"] = LIST_TYPES.get(rec.list_type or 0, str(rec.list_type))
    if not is_shared(rec.kind, rec.status):
        item.update(content="withdrawn", record=None)
    elif record is None:
        item.update(content="not_synced", record=None)
    elif role is Role.PROVINCE:
        item.update(content="full", record=record)
    else:
        fields = AGENCY_ENTRY_FIELDS if entry else AGENCY_EVALUATION_FIELDS
        item.update(content="minimised", record={k: record[k] for k in fields})
    return item


def _ref(rec: IndexedRecord, event: LedgerEvent) -> dict[str, Any]:
    return {
        "event": event.name,
        "block": event.block_number,
        "time": iso_seconds(rec.times.get(event.block_number, 0)),
        "tx": event.tx_hash,
    }


def _recognition(rec: IndexedRecord, view: IndexView) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    result_id = bytes.fromhex(rec.record_id[2:])
    for code in view.members():
        if code == rec.province:
            continue
        recognised, grade, agreement = view.recognised_grade(result_id, code)
        if recognised:
            out[member_label(code)] = {"yrd_grade": YRD_SCALE[grade - 1], "agreement_version": agreement}
    return out
