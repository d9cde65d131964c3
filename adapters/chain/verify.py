"""Verifying a record package against the ledger: is it authentic, and is it current?

A package is *authentic* when its record and salt give the commitment that the ledger recorded
for that version of that entry, under the owner's entry id, with the same subject tag, list
type, domain and validity. It is *current* when, besides, it is the ledger's latest version,
the entry is still published (PUBLISHED, DISPUTED or AMENDED; a DISPUTED entry is flagged)
and its validity has not ended. Every reason for a "no" is spelled out.
"""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass, field
from typing import Any

from adapters.chain.view import LedgerView
from adapters.core.errors import PackageInvalid
from adapters.core.grades import YRD_SCALE
from adapters.core.model import EntryStatus
from adapters.core.package import ExpectedOnChain, RecordPackage, check_package
from adapters.core.provinces import Province
from adapters.core.tags import TagKeyring
from node.events import LedgerEvent

RESULT_STATUS = {1: "ACTIVE", 2: "REVOKED"}


@dataclass(frozen=True, slots=True)
class HistoryItem:
    """One ledger event about a record, with the version and status it left the record in."""

    event: str
    block: int
    time: str
    tx: str
    version: int
    status: str
    detail: dict[str, Any] = field(default_factory=dict)


@dataclass
class Verdict:
    authentic: bool
    current: bool
    reasons: list[str]
    kind: str
    entry_id: str
    owner: str | None
    version: int
    ledger_version: int | None = None
    status: str | None = None
    valid_until: int | None = None
    history: list[HistoryItem] = field(default_factory=list)
    recognition: dict[str, dict[str, Any]] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            "authentic": self.authentic,
            "current": self.current,
            "reasons": self.reasons,
            "kind": self.kind,
            "entry_id": self.entry_id,
            "owner": self.owner,
            "version": self.version,
            "ledger_version": self.ledger_version,
            "status": self.status,
            "valid_until": self.valid_until,
            "history": [
                {
                    "event": h.event,
                    "block": h.block,
                    "time": h.time,
                    "tx": h.tx,
                    "version": h.version,
                    "status": h.status,
                    **({"detail": h.detail} if h.detail else {}),
                }
                for h in self.history
            ],
            "recognition": self.recognition,
        }


def _content(args: dict[str, Any]) -> dict[str, Any]:
    return {k: args[k] for k in ("commitment", "validFrom", "validUntil")}


def member_label(code: int) -> str:
    """A member's short name (``zj``), or its code for members beyond the founding four."""
    try:
        return Province.from_code(code).value
    except ValueError:
        return str(code)


@functools.lru_cache(maxsize=4096)
def iso_seconds(ts: int) -> str:
    """A chain time (Unix seconds) as ``YYYY-MM-DDTHH:MM:SSZ`` (block times repeat: cached)."""
    return dt.datetime.fromtimestamp(ts, dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _b(v: str) -> bytes:
    return bytes.fromhex(v[2:])


def verify_package(
    pkg: RecordPackage, view: LedgerView, *, keyring: TagKeyring | None = None, now: int | None = None
) -> Verdict:
    """The ledger's verdict on ``pkg`` (see the module docstring)."""
    now = int(dt.datetime.now(dt.UTC).timestamp()) if now is None else now
    base = Verdict(False, False, [], pkg.kind, "0x" + pkg.entry_id.hex(), pkg.province.value, pkg.version)
    try:
        expected = check_package(pkg, keyring=keyring)
    except PackageInvalid as exc:
        base.reasons.append(f"the package does not hold together: {exc}")
        return base
    events = view.history(expected.entry_id, kind=pkg.kind)
    if pkg.kind == "list-entry":
        return _verify_entry(base, expected, events, view, now)
    return _verify_result(base, expected, events, view, now)


def _verify_entry(
    verdict: Verdict, expected: ExpectedOnChain, events: list[LedgerEvent], view: LedgerView, now: int
) -> Verdict:
    state = view.entry(expected.entry_id)
    if state is None or not events:
        verdict.reasons.append("the ledger has no entry with this id")
        return verdict
    versions: dict[int, dict[str, Any]] = {}
    published: dict[str, Any] = {}
    status = EntryStatus.PUBLISHED
    version = 0
    for e in events:
        a = e.args
        if e.name == "EntryPublished":
            published, version, status = a, 1, EntryStatus.PUBLISHED
            versions[1] = _content(a)
        elif e.name == "EntryAmended":
            version, status = a["version"], EntryStatus.AMENDED
            versions[version] = {
                "commitment": a["commitment"],
                "validFrom": a["validFrom"],
                "validUntil": a["validUntil"],
            }
        elif e.name == "EntryStatusChanged":
            status = EntryStatus(a["status"])
        verdict.history.append(
            HistoryItem(
                e.name, e.block_number, iso_seconds(view.block_time(e.block_number)), e.tx_hash, version, status.name
            )
        )
    verdict.owner = member_label(state.province)
    verdict.ledger_version = state.version
    verdict.status = EntryStatus(state.status).name
    verdict.valid_until = state.valid_until
    wanted = versions.get(expected.version)
    problems = []
    if state.province != expected.province:
        problems.append(f"the ledger's owner is province {state.province}, the package says {expected.province}")
    if wanted is None:
        problems.append(f"the ledger has no version {expected.version} of this entry (latest {state.version})")
    else:
        if _b(wanted["commitment"]) != expected.commitment:
            problems.append(
                f"commitment of version {expected.version}: ledger {wanted['commitment']}, "
                f"package gives 0x{expected.commitment.hex()}"
            )
        if wanted["validFrom"] != expected.valid_from or wanted["validUntil"] != expected.valid_until:
            problems.append("validity differs from the ledger's for this version")
    if published and _b(published["subjectTag"]) != expected.subject_tag:
        problems.append(f"subject tag: ledger {published['subjectTag']}, package 0x{expected.subject_tag.hex()}")
    if state.list_type != expected.list_type or state.domain != expected.domain:
        problems.append("list type or domain differs from the ledger's")
    verdict.reasons.extend(problems)
    verdict.authentic = not problems
    if verdict.authentic:
        current = EntryStatus(state.status)
        notes = []
        if expected.version != state.version:
            notes.append(f"superseded: the ledger holds version {state.version}")
        if not current.shared:
            notes.append(f"no longer published: the entry is {current.name}")
        elif current is EntryStatus.DISPUTED:
            verdict.reasons.append("an objection is pending (DISPUTED)")
        if state.valid_until and now >= state.valid_until and current.shared:
            notes.append("its validity has ended")
        verdict.reasons.extend(notes)
        verdict.current = not notes
    return verdict


def _verify_result(
    verdict: Verdict, expected: ExpectedOnChain, events: list[LedgerEvent], view: LedgerView, now: int
) -> Verdict:
    state = view.result(expected.entry_id)
    if state is None or not events:
        verdict.reasons.append("the ledger has no evaluation result with this id")
        return verdict
    verdict.owner = member_label(state.province)
    verdict.ledger_version = 1
    verdict.status = RESULT_STATUS.get(state.status, str(state.status))
    verdict.valid_until = state.valid_until
    published = next((e.args for e in events if e.name == "ResultPublished"), None)
    status = "ACTIVE"
    for e in events:
        detail: dict[str, Any] = {}
        if e.name == "ResultRevoked":
            status = "REVOKED"
        elif e.name == "ResultRecognised":
            detail = {
                "province": member_label(e.args["province"]),
                "yrd_grade": YRD_SCALE[e.args["yrdGrade"] - 1],
                "agreement_version": e.args["agreementVersion"],
            }
        verdict.history.append(
            HistoryItem(
                e.name, e.block_number, iso_seconds(view.block_time(e.block_number)), e.tx_hash, 1, status, detail
            )
        )
    problems = []
    if published is None:
        problems.append("the ledger has no publication of this result")
    else:
        checks = {
            "commitment": (_b(published["commitment"]), expected.commitment),
            "subject tag": (_b(published["subjectTag"]), expected.subject_tag),
            "domain": (published["domain"], expected.domain),
            "scheme": (published["schemeId"], expected.scheme_id),
            "grade": (published["grade"], expected.grade),
            "evaluation date": (published["evaluatedAt"], expected.valid_from),
            "valid-until": (published["validUntil"], expected.valid_until),
        }
        problems = [f"{name} differs from the ledger's" for name, (a, b) in checks.items() if a != b]
    if state.province != expected.province:
        problems.append(f"the ledger's owner is province {state.province}, the package says {expected.province}")
    verdict.reasons.extend(problems)
    verdict.authentic = not problems
    if verdict.authentic:
        notes = []
        if state.status != 1:
            notes.append("the result has been revoked")
        if state.valid_until and now >= state.valid_until:
            notes.append("its validity has ended")
        verdict.reasons.extend(notes)
        verdict.current = not notes
        for code in view.members():
            if code == state.province:
                continue
            recognised, grade, agreement = view.recognised_grade(expected.entry_id, code)
            if recognised:
                verdict.recognition[member_label(code)] = {
                    "yrd_grade": YRD_SCALE[grade - 1],
                    "agreement_version": agreement,
                }
    return verdict
