"""The rules every list entry and evaluation result obeys, whichever dialect it came from.

Text fields are stripped of surrounding white space (full-width included) and must then be
non-empty, at most ``TEXT_LIMITS[field]`` characters long and free of control characters (C0,
DEL, C1), unpaired surrogates and the noncharacters U+FFFE/U+FFFF (none of which XML 1.0 or a
CSV cell carries safely). Beyond that:

- ``local_id``: 1-32 characters of ``[0-9A-Za-z._-]`` (it becomes a zero-padded ``bytes32``).
- ``subject_id``: a natural person's is a valid resident identity number (GB 11643, any
  region); every other subject's is a valid USCC (GB 32100-2015) registered in the owner
  province (characters 3-4 equal the province code). An individual business's USCC has
  registration authority and type ``92``, and a ``92`` code belongs to individual businesses
  only; a government body's is ``11``, a public institution's ``12``, a social
  organisation's starts with ``5``.
- ``authority_uscc``: a valid USCC registered in the owner province.
- dates lie in 1990-01-01..2099-12-31; ``decided_on <= valid_from``; ``valid_until``, the last
  valid day, is ``None`` or ``>= valid_from`` (on chain it becomes the next midnight, so
  ``validUntil > validFrom`` always holds); ``evaluated_on <= valid_until``.
- evaluation results: ``scheme_id`` is a scheme of ``grades.SCHEMES`` owned by the record's
  province and ``grade`` one of its labels.
- source status: ``repaired`` (信用修复) only for black-list entries; ``expired`` only for
  entries with a ``valid_until``; ``updated_at`` carries a time zone.

Every failure is a ``RecordInvalid`` naming the model field and the reason.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from enum import Enum
from typing import TypeVar

from adapters.core.errors import RecordInvalid
from adapters.core.grades import SCHEMES
from adapters.core.identifiers import IdentifierChecker, uscc_province_code
from adapters.core.model import (
    Domain,
    EntryStatus,
    EvaluationResult,
    ListEntry,
    ListType,
    SourceEntry,
    SourceEvaluation,
    SubjectKind,
)
from adapters.core.provinces import Province

TEXT_LIMITS: dict[str, int] = {
    "subject_name": 200,
    "reason": 2000,
    "legal_basis": 1000,
    "authority_name": 200,
}
LOCAL_ID = re.compile(r"[0-9A-Za-z._-]{1,32}")
EARLIEST = dt.date(1990, 1, 1)
LATEST = dt.date(2099, 12, 31)

_E = TypeVar("_E", bound=Enum)
_BAD_TEXT = re.compile(r"[\x00-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")
_USCC_KIND_PREFIX: dict[SubjectKind, tuple[str, str]] = {
    SubjectKind.INDIVIDUAL_BUSINESS: ("92", "an individual business's USCC starts with 92"),
    SubjectKind.GOVERNMENT_BODY: ("11", "a government body's USCC starts with 11"),
    SubjectKind.PUBLIC_INSTITUTION: ("12", "a public institution's USCC starts with 12"),
    SubjectKind.SOCIAL_ORGANISATION: ("5", "a social organisation's USCC starts with 5"),
}


class RecordValidator:
    """Validates and normalises records; keep one per stream (it memoises identifier checks)."""

    def __init__(self) -> None:
        self._ids = IdentifierChecker()

    def entry(self, entry: ListEntry) -> ListEntry:
        """Return ``entry`` normalised (the same object when already normal), or raise
        ``RecordInvalid``."""
        province = _enum(entry.province, Province, "province")
        local_id = _local_id(entry.local_id)
        _enum(entry.list_type, ListType, "list_type")
        kind = _enum(entry.subject_kind, SubjectKind, "subject_kind")
        _domain(entry.domain)
        subject_name = _text(entry.subject_name, "subject_name")
        subject_id = self._subject_id(entry.subject_id, kind, province)
        reason = _text(entry.reason, "reason")
        legal_basis = _text(entry.legal_basis, "legal_basis")
        authority_name = _text(entry.authority_name, "authority_name")
        authority_uscc = self._ids.uscc(_str(entry.authority_uscc, "authority_uscc"), "authority_uscc")
        _in_province(authority_uscc, province, "authority_uscc")
        decided_on = _date(entry.decided_on, "decided_on")
        valid_from = _date(entry.valid_from, "valid_from")
        valid_until = entry.valid_until
        if valid_until is not None:
            _date(valid_until, "valid_until")
            if valid_until < valid_from:
                raise RecordInvalid(
                    "valid_until", f"before valid_from {valid_from.isoformat()}", raw=valid_until.isoformat()
                )
        if decided_on > valid_from:
            raise RecordInvalid(
                "decided_on", f"decided after valid_from {valid_from.isoformat()}", raw=decided_on.isoformat()
            )
        if (
            local_id == entry.local_id
            and subject_name == entry.subject_name
            and subject_id == entry.subject_id
            and reason == entry.reason
            and legal_basis == entry.legal_basis
            and authority_name == entry.authority_name
            and authority_uscc == entry.authority_uscc
        ):
            return entry
        return ListEntry(
            province,
            local_id,
            entry.list_type,
            entry.domain,
            kind,
            subject_name,
            subject_id,
            reason,
            legal_basis,
            authority_name,
            authority_uscc,
            decided_on,
            valid_from,
            valid_until,
        )

    def evaluation(self, result: EvaluationResult) -> EvaluationResult:
        """Return ``result`` normalised (the same object when already normal), or raise
        ``RecordInvalid``."""
        province = _enum(result.province, Province, "province")
        local_id = _local_id(result.local_id)
        kind = _enum(result.subject_kind, SubjectKind, "subject_kind")
        _domain(result.domain)
        subject_name = _text(result.subject_name, "subject_name")
        subject_id = self._subject_id(result.subject_id, kind, province)
        scheme = SCHEMES.get(result.scheme_id) if type(result.scheme_id) is int else None
        if scheme is None:
            raise RecordInvalid("scheme_id", "not a known evaluation scheme", raw=result.scheme_id)
        if scheme.province is not province:
            raise RecordInvalid(
                "scheme_id", f"scheme of {scheme.province.value}, not of {province.value}", raw=result.scheme_id
            )
        if result.grade not in scheme.grades:
            raise RecordInvalid(
                "grade", f"not a grade of scheme {scheme.scheme_id} ({'/'.join(scheme.grades)})", raw=result.grade
            )
        evaluated_on = _date(result.evaluated_on, "evaluated_on")
        valid_until = result.valid_until
        if valid_until is not None:
            _date(valid_until, "valid_until")
            if valid_until < evaluated_on:
                raise RecordInvalid(
                    "valid_until", f"before evaluated_on {evaluated_on.isoformat()}", raw=valid_until.isoformat()
                )
        if local_id == result.local_id and subject_name == result.subject_name and subject_id == result.subject_id:
            return result
        return dataclasses.replace(result, local_id=local_id, subject_name=subject_name, subject_id=subject_id)

    def source_entry(self, source: SourceEntry) -> SourceEntry:
        """Validate the record and the platform's status and update time."""
        entry = self.entry(source.entry)
        status = _enum(source.status, EntryStatus, "status")
        if status is EntryStatus.REPAIRED and entry.list_type is not ListType.BLACK:
            raise RecordInvalid("status", "credit repair applies to black-list entries only", raw="repaired")
        if status is EntryStatus.EXPIRED and entry.valid_until is None:
            raise RecordInvalid("status", "an entry without valid_until cannot expire", raw="expired")
        _timestamp(source.updated_at)
        return source if entry is source.entry else SourceEntry(entry, status, source.updated_at)

    def source_evaluation(self, source: SourceEvaluation) -> SourceEvaluation:
        result = self.evaluation(source.result)
        if type(source.revoked) is not bool:
            raise RecordInvalid("revoked", "expected true or false", raw=source.revoked)
        _timestamp(source.updated_at)
        return source if result is source.result else dataclasses.replace(source, result=result)

    def _subject_id(self, value: object, kind: SubjectKind, province: Province) -> str:
        raw = _str(value, "subject_id")
        if kind.identified_by_ric:
            if len(raw.strip()) == 18 and not raw.strip()[:17].isdigit():
                raise RecordInvalid(
                    "subject_id",
                    "a natural person is identified by a resident identity number",
                    raw=raw,
                )
            return self._ids.ric(raw, "subject_id")
        code = self._ids.uscc(raw, "subject_id")
        _in_province(code, province, "subject_id")
        is_individual = code.startswith("92")
        expected = _USCC_KIND_PREFIX.get(kind)
        if expected is not None and not code.startswith(expected[0]):
            raise RecordInvalid("subject_id", expected[1], raw=raw)
        if is_individual and kind is not SubjectKind.INDIVIDUAL_BUSINESS:
            raise RecordInvalid("subject_id", f"a USCC starting with 92 is not a {kind.value}", raw=raw)
        return code


def validate_entry(entry: ListEntry) -> ListEntry:
    """Return ``entry`` normalised, or raise ``RecordInvalid`` naming the field."""
    return RecordValidator().entry(entry)


def validate_evaluation(result: EvaluationResult) -> EvaluationResult:
    """Return ``result`` normalised, or raise ``RecordInvalid`` naming the field."""
    return RecordValidator().evaluation(result)


def _str(value: object, field: str) -> str:
    if not isinstance(value, str):
        raise RecordInvalid(field, "expected a text value", raw=value)
    return value


def _text(value: object, field: str) -> str:
    text = _str(value, field).strip()
    if not text:
        raise RecordInvalid(field, "empty", raw=value)
    limit = TEXT_LIMITS[field]
    if len(text) > limit:
        raise RecordInvalid(field, f"longer than {limit} characters ({len(text)})", raw=value)
    bad = _BAD_TEXT.search(text)
    if bad:
        raise RecordInvalid(field, f"contains character U+{ord(bad.group()):04X}", raw=value)
    return text


def _local_id(value: object) -> str:
    text = _str(value, "local_id").strip()
    if not LOCAL_ID.fullmatch(text):
        raise RecordInvalid("local_id", "expected 1-32 characters of 0-9 A-Z a-z . _ -", raw=value)
    return text


def _enum(value: object, enum: type[_E], field: str) -> _E:
    if not isinstance(value, enum):
        raise RecordInvalid(field, f"not a {enum.__name__}", raw=value)
    return value


def _domain(value: object) -> None:
    if not isinstance(value, Domain):
        raise RecordInvalid("domain", "not a known domain", raw=value)


def _date(value: object, field: str) -> dt.date:
    if type(value) is not dt.date:
        raise RecordInvalid(field, "expected a date", raw=value)
    if not EARLIEST <= value <= LATEST:
        raise RecordInvalid(field, f"outside {EARLIEST.isoformat()}..{LATEST.isoformat()}", raw=value.isoformat())
    return value


def _timestamp(value: object) -> None:
    if not isinstance(value, dt.datetime):
        raise RecordInvalid("updated_at", "expected a date and time", raw=value)
    if value.utcoffset() is None:
        raise RecordInvalid("updated_at", "has no time zone", raw=value.isoformat())
    if not EARLIEST.year <= value.year <= LATEST.year:
        raise RecordInvalid("updated_at", "outside 1990..2099", raw=value.isoformat())


def _in_province(code: str, province: Province, field: str) -> None:
    if uscc_province_code(code) != province.code:
        raise RecordInvalid(
            field,
            f"registered in region {code[2:8]}, not in {province.name_en} ({province.code})",
            raw=code,
        )
