"""Canonical form, commitments, entry ids and chain times of records (schema version 1).

Canonical record
    A JSON object whose keys are the record dataclass's field names. Values: ``province`` its
    short name (``"zj"``); ``list_type`` ``"red"`` or ``"black"``; ``domain`` its integer code;
    ``subject_kind`` its string value; dates ``"YYYY-MM-DD"``; ``valid_until`` ``null`` when
    open; an evaluation's ``grade`` its label in the province's scale and ``scheme_id`` an
    integer; every other field its string. Serialised with the JSON Canonicalization Scheme
    (RFC 8785, JCS) to UTF-8 bytes.

Commitment
    ``SHA-256(tag || 0x00 || uint16_be(schema_version) || salt || JCS(record))`` with ``tag``
    ``b"yrdx.list-entry"`` or ``b"yrdx.evaluation"`` and a random 16-byte ``salt`` carried in
    the record package (``package``), so that nobody can confirm a guessed record from the
    chain alone.

Entry id and evaluation result id
    ``keccak256(uint8(province code) || local_id)`` with ``local_id`` ASCII right-padded with
    zero bytes to 32 bytes: the contracts' ``keccak256(abi.encodePacked(uint8, bytes32))``.

Chain times (``uint40`` Unix seconds)
    ``valid_from`` and ``evaluated_on``: 00:00 China time (UTC+8) of that day. ``valid_until``
    is the last valid day, inclusive: 00:00 China time of the day after it; ``None`` is 0.

JCS for canonical records is produced by orjson with sorted keys: for the values a record can
hold (strings, integers below 2**53, null; ASCII keys) its output is byte for byte RFC 8785's,
which the golden vectors and property tests check against the ``rfc8785`` package, at a
fortieth of the cost. Anything else (record packages) is serialised by ``rfc8785`` itself.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from typing import Any

import orjson
import rfc8785
from eth_hash.auto import keccak

from adapters.core.model import (
    EVALUATION_SCHEMA_VERSION,
    LIST_ENTRY_SCHEMA_VERSION,
    EvaluationResult,
    ListEntry,
    ListType,
)
from adapters.core.provinces import Province

LIST_ENTRY_TAG = b"yrdx.list-entry"
EVALUATION_TAG = b"yrdx.evaluation"
SALT_BYTES = 16

# Hash prefixes: tag || 0x00 || uint16_be(schema version), per (tag, version).
_PREFIXES = {
    (LIST_ENTRY_TAG, LIST_ENTRY_SCHEMA_VERSION): LIST_ENTRY_TAG
    + b"\x00"
    + LIST_ENTRY_SCHEMA_VERSION.to_bytes(2, "big"),
    (EVALUATION_TAG, EVALUATION_SCHEMA_VERSION): EVALUATION_TAG
    + b"\x00"
    + EVALUATION_SCHEMA_VERSION.to_bytes(2, "big"),
}
_EPOCH_ORDINAL = dt.date(1970, 1, 1).toordinal()
_CHINA_OFFSET_S = 8 * 3600
_DAY_S = 86400

Record = ListEntry | EvaluationResult


def canonical_record(record: Record) -> dict[str, Any]:
    """The record as the JSON object that JCS serialises (see the module docstring)."""
    if isinstance(record, ListEntry):
        return {
            "province": str(record.province),
            "local_id": record.local_id,
            "list_type": "red" if record.list_type is ListType.RED else "black",
            "domain": int(record.domain),
            "subject_kind": str(record.subject_kind),
            "subject_name": record.subject_name,
            "subject_id": record.subject_id,
            "reason": record.reason,
            "legal_basis": record.legal_basis,
            "authority_name": record.authority_name,
            "authority_uscc": record.authority_uscc,
            "decided_on": record.decided_on.isoformat(),
            "valid_from": record.valid_from.isoformat(),
            "valid_until": None if record.valid_until is None else record.valid_until.isoformat(),
        }
    return {
        "province": str(record.province),
        "local_id": record.local_id,
        "subject_kind": str(record.subject_kind),
        "subject_name": record.subject_name,
        "subject_id": record.subject_id,
        "domain": int(record.domain),
        "scheme_id": int(record.scheme_id),
        "grade": record.grade,
        "evaluated_on": record.evaluated_on.isoformat(),
        "valid_until": None if record.valid_until is None else record.valid_until.isoformat(),
    }


def canonical_bytes(record: Record) -> bytes:
    """RFC 8785 (JCS) serialisation of ``canonical_record(record)``."""
    return orjson.dumps(canonical_record(record), option=orjson.OPT_SORT_KEYS)


def jcs(value: Any) -> bytes:
    """RFC 8785 serialisation of any JSON value, by the ``rfc8785`` package."""
    return bytes(rfc8785.dumps(value))


def schema_of(record: Record) -> tuple[bytes, int]:
    """Domain tag and schema version of a record's kind."""
    if isinstance(record, ListEntry):
        return LIST_ENTRY_TAG, LIST_ENTRY_SCHEMA_VERSION
    return EVALUATION_TAG, EVALUATION_SCHEMA_VERSION


def commitment(record: Record, salt: bytes, *, schema_version: int | None = None) -> bytes:
    """``SHA-256(tag || 0x00 || uint16_be(schema_version) || salt || JCS(record))``."""
    return commitment_of(record, canonical_bytes(record), salt, schema_version=schema_version)


def commitment_of(record: Record, canonical: bytes, salt: bytes, *, schema_version: int | None = None) -> bytes:
    """``commitment`` for a record whose canonical bytes the caller already has."""
    if len(salt) != SALT_BYTES:
        raise ValueError(f"salt must be {SALT_BYTES} bytes, not {len(salt)}")
    tag, version = schema_of(record)
    if schema_version is not None:
        version = schema_version
    prefix = _PREFIXES.get((tag, version))
    if prefix is None:
        prefix = tag + b"\x00" + version.to_bytes(2, "big")
    return hashlib.sha256(prefix + salt + canonical).digest()


def new_salt() -> bytes:
    """A fresh random 128-bit salt."""
    return secrets.token_bytes(SALT_BYTES)


def local_id_bytes32(local_id: str) -> bytes:
    """The on-chain ``bytes32 localId``: ASCII, right-padded with zero bytes."""
    raw = local_id.encode("ascii")
    if not 1 <= len(raw) <= 32:
        raise ValueError(f"local id must be 1-32 ASCII characters, not {len(raw)}")
    return raw.ljust(32, b"\x00")


def entry_id(province: Province, local_id: str) -> bytes:
    """``keccak256(abi.encodePacked(uint8 provinceCode, bytes32 localId))``; also result ids."""
    return bytes(keccak(bytes((province.code,)) + local_id_bytes32(local_id)))


def record_id(record: Record) -> bytes:
    """Entry id of a list entry, result id of an evaluation result."""
    return entry_id(record.province, record.local_id)


def chain_day_start(day: dt.date) -> int:
    """Unix seconds of 00:00 China time (UTC+8) on ``day``."""
    return (day.toordinal() - _EPOCH_ORDINAL) * _DAY_S - _CHINA_OFFSET_S


def chain_valid_from(day: dt.date) -> int:
    """``validFrom`` / ``evaluatedAt``: 00:00 China time of ``day``."""
    return chain_day_start(day)


def chain_valid_until(last_day: dt.date | None) -> int:
    """``validUntil``: 00:00 China time after the last valid day; 0 for no end date."""
    return 0 if last_day is None else chain_day_start(last_day) + _DAY_S


def last_valid_day(valid_until: int) -> dt.date | None:
    """The last valid day that ``validUntil`` stands for (``chain_valid_until`` inverted);
    None for no end date."""
    if not valid_until:
        return None
    return dt.date.fromordinal((valid_until + _CHINA_OFFSET_S) // _DAY_S + _EPOCH_ORDINAL - 1)
