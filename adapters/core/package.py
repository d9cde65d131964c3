"""Record packages: what a province hands to peers and agencies, verifiable on its own.

A package is one JSON object (serialised with RFC 8785), every field required, no others::

    {
      "kind": "list-entry" | "evaluation",
      "schema_version": 1,
      "province": "zj",
      "entry_id": "0x<64 hex>",        entry id, or evaluation result id
      "version": 1,                    on-chain version (amendments count up from 1)
      "salt": "0x<32 hex>",
      "subject_tag": "0x<64 hex>",
      "tag_key_version": 1,
      "record": { canonical record, see ``canonical`` }
    }

Hex is lower-case. ``check_package`` recomputes the entry id and commitment from the record
and returns the values the chain must hold; comparing them with the chain is the caller's.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any, Literal

import orjson

from adapters.core.canonical import (
    canonical_record,
    chain_valid_from,
    chain_valid_until,
    commitment,
    jcs,
    record_id,
    schema_of,
)
from adapters.core.errors import PackageInvalid, RecordInvalid
from adapters.core.grades import SCHEMES
from adapters.core.model import (
    EVALUATION_SCHEMA_VERSION,
    LIST_ENTRY_SCHEMA_VERSION,
    Domain,
    EvaluationResult,
    ListEntry,
    ListType,
    SubjectKind,
)
from adapters.core.provinces import Province
from adapters.core.tags import TagKeyring
from adapters.core.validate import TEXT_LIMITS, RecordValidator

Kind = Literal["list-entry", "evaluation"]
KINDS: dict[str, int] = {"list-entry": LIST_ENTRY_SCHEMA_VERSION, "evaluation": EVALUATION_SCHEMA_VERSION}
_KIND_NAMES = tuple(KINDS)

_FIELDS = (
    "kind",
    "schema_version",
    "province",
    "entry_id",
    "version",
    "salt",
    "subject_tag",
    "tag_key_version",
    "record",
)
_ENTRY_FIELDS = (
    "province",
    "local_id",
    "list_type",
    "domain",
    "subject_kind",
    "subject_name",
    "subject_id",
    "reason",
    "legal_basis",
    "authority_name",
    "authority_uscc",
    "decided_on",
    "valid_from",
    "valid_until",
)
_EVALUATION_FIELDS = (
    "province",
    "local_id",
    "subject_kind",
    "subject_name",
    "subject_id",
    "domain",
    "scheme_id",
    "grade",
    "evaluated_on",
    "valid_until",
)
RECORD_TEXT_LIMITS: dict[str, int] = {
    **TEXT_LIMITS,
    "local_id": 32,
    "subject_id": 32,
    "authority_uscc": 32,
    "grade": 16,
}
"""The longest a package's record text fields may be (characters), before the record's own
rules are checked: the record's own limits for free text, and bounds on the identifiers that
their own rules make tighter still. The gateway's ``PackageIn`` schema states the same."""
_HEX32 = re.compile(r"0x[0-9a-f]{64}")
_HEX16 = re.compile(r"0x[0-9a-f]{32}")
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_LIST_TYPES = {"red": ListType.RED, "black": ListType.BLACK}
_LIST_TYPE_NAMES = tuple(_LIST_TYPES)


@dataclass(frozen=True, slots=True)
class RecordPackage:
    kind: Kind
    schema_version: int
    province: Province
    entry_id: bytes
    version: int
    salt: bytes
    subject_tag: bytes
    tag_key_version: int
    record: ListEntry | EvaluationResult

    def to_json(self) -> bytes:
        """The package as RFC 8785 canonical JSON."""
        return jcs(
            {
                "kind": self.kind,
                "schema_version": self.schema_version,
                "province": self.province.value,
                "entry_id": "0x" + self.entry_id.hex(),
                "version": self.version,
                "salt": "0x" + self.salt.hex(),
                "subject_tag": "0x" + self.subject_tag.hex(),
                "tag_key_version": self.tag_key_version,
                "record": canonical_record(self.record),
            }
        )

    @classmethod
    def from_json(cls, data: bytes | str) -> RecordPackage:
        """Parse a package strictly: unknown, missing or mistyped fields raise PackageInvalid."""
        try:
            doc = orjson.loads(data)
        except orjson.JSONDecodeError as exc:
            raise PackageInvalid(f"not JSON: {exc}") from None
        return cls.from_doc(doc)

    @classmethod
    def from_doc(cls, doc: object) -> RecordPackage:
        """``from_json`` for a document already parsed from JSON."""
        obj = _object(doc, _FIELDS, "package")
        kind: Kind = obj["kind"]
        if kind not in _KIND_NAMES:  # a tuple: an unhashable value is simply not in it
            raise PackageInvalid(f"kind must be list-entry or evaluation, not {kind!r}")
        schema_version = _int(obj["schema_version"], "schema_version")
        if schema_version != KINDS[kind]:
            raise PackageInvalid(f"unsupported {kind} schema version {schema_version}")
        try:
            province = Province(obj["province"])
        except (ValueError, TypeError):
            raise PackageInvalid(f"province: unknown {obj['province']!r}") from None
        record = _record(kind, obj["record"])
        return cls(
            kind=kind,
            schema_version=schema_version,
            province=province,
            entry_id=_hex(obj["entry_id"], _HEX32, "entry_id"),
            version=_int(obj["version"], "version", low=1),
            salt=_hex(obj["salt"], _HEX16, "salt"),
            subject_tag=_hex(obj["subject_tag"], _HEX32, "subject_tag"),
            tag_key_version=_int(obj["tag_key_version"], "tag_key_version", low=1),
            record=record,
        )


@dataclass(frozen=True, slots=True)
class ExpectedOnChain:
    """The values the chain must hold for a package to be authentic.

    ``valid_from`` is ``validFrom`` of an entry, ``evaluatedAt`` of a result; ``list_type`` is
    set for entries, ``scheme_id`` and ``grade`` (1-based) for results.
    """

    kind: Kind
    province: int
    entry_id: bytes
    version: int
    commitment: bytes
    subject_tag: bytes
    tag_key_version: int
    domain: int
    valid_from: int
    valid_until: int
    list_type: int | None = None
    scheme_id: int | None = None
    grade: int | None = None


def make_package(
    record: ListEntry | EvaluationResult,
    *,
    keyring: TagKeyring,
    salt: bytes,
    version: int = 1,
    tag_key_version: int | None = None,
) -> RecordPackage:
    """Package a validated record with its salt, under the keyring's current tag key."""
    tag_version = keyring.current_version if tag_key_version is None else tag_key_version
    _, schema_version = schema_of(record)
    return RecordPackage(
        kind="list-entry" if isinstance(record, ListEntry) else "evaluation",
        schema_version=schema_version,
        province=record.province,
        entry_id=record_id(record),
        version=version,
        salt=salt,
        subject_tag=keyring.tag(record.subject_id, tag_version),
        tag_key_version=tag_version,
        record=record,
    )


_VALIDATOR = RecordValidator()  # one for every package checked: its identifier memo is shared


def check_package(pkg: RecordPackage, *, keyring: TagKeyring | None = None) -> ExpectedOnChain:
    """Recompute the entry id and commitment of ``pkg``; with a keyring, its subject tag too.

    Raises ``PackageInvalid`` saying what was expected and what was found.
    """
    record = pkg.record
    expected_kind = "list-entry" if isinstance(record, ListEntry) else "evaluation"
    if pkg.kind != expected_kind:
        raise PackageInvalid(f"kind is {pkg.kind}, but the record is a {expected_kind}")
    if pkg.schema_version != KINDS[pkg.kind]:
        raise PackageInvalid(f"unsupported {pkg.kind} schema version {pkg.schema_version}")
    if pkg.province is not record.province:
        raise PackageInvalid(f"package of {pkg.province.value} holds a record of {record.province.value}")
    try:
        if isinstance(record, ListEntry):
            normalised: ListEntry | EvaluationResult = _VALIDATOR.entry(record)
        else:
            normalised = _VALIDATOR.evaluation(record)
    except RecordInvalid as exc:
        raise PackageInvalid(f"record: {exc}") from None
    if normalised != record:
        raise PackageInvalid("record is not in normal form")
    computed_id = record_id(record)
    if computed_id != pkg.entry_id:
        raise PackageInvalid(f"entry_id is 0x{pkg.entry_id.hex()}, the record gives 0x{computed_id.hex()}")
    if keyring is not None:
        tag = keyring.tag(record.subject_id, pkg.tag_key_version)
        if tag != pkg.subject_tag:
            raise PackageInvalid(
                f"subject_tag is 0x{pkg.subject_tag.hex()}, key version {pkg.tag_key_version} gives 0x{tag.hex()}"
            )
    digest = commitment(record, pkg.salt, schema_version=pkg.schema_version)
    common: dict[str, Any] = {
        "kind": pkg.kind,
        "province": record.province.code,
        "entry_id": computed_id,
        "version": pkg.version,
        "commitment": digest,
        "subject_tag": pkg.subject_tag,
        "tag_key_version": pkg.tag_key_version,
        "domain": int(record.domain),
        "valid_until": chain_valid_until(record.valid_until),
    }
    if isinstance(record, ListEntry):
        return ExpectedOnChain(
            **common, valid_from=chain_valid_from(record.valid_from), list_type=int(record.list_type)
        )
    return ExpectedOnChain(
        **common,
        valid_from=chain_valid_from(record.evaluated_on),
        scheme_id=record.scheme_id,
        grade=SCHEMES[record.scheme_id].index(record.grade),
    )


def _object(doc: object, fields: tuple[str, ...], what: str) -> dict[str, Any]:
    if not isinstance(doc, dict):
        raise PackageInvalid(f"{what} must be a JSON object")
    unknown = sorted(set(doc) - set(fields))
    missing = [f for f in fields if f not in doc]
    if unknown:
        raise PackageInvalid(f"{what}: unknown fields {', '.join(unknown)}")
    if missing:
        raise PackageInvalid(f"{what}: missing fields {', '.join(missing)}")
    return doc


def _int(value: object, field: str, *, low: int = 0) -> int:
    if type(value) is not int or not low <= value < 2**32:
        raise PackageInvalid(f"{field} must be an integer in {low}..2**32-1, not {value!r}")
    return value


def _hex(value: object, shape: re.Pattern[str], field: str) -> bytes:
    if not isinstance(value, str) or not shape.fullmatch(value):
        raise PackageInvalid(f"{field} must be lower-case 0x-prefixed hex of the right length")
    return bytes.fromhex(value[2:])


def _str(obj: dict[str, Any], field: str, *, low: int = 0) -> str:
    value = obj[field]
    if not isinstance(value, str):
        raise PackageInvalid(f"record.{field} must be a string")
    limit = RECORD_TEXT_LIMITS[field]
    if not low <= len(value) <= limit:
        raise PackageInvalid(f"record.{field} must be {low} to {limit} characters long, not {len(value)}")
    return value


def _date(obj: dict[str, Any], field: str, *, nullable: bool = False) -> dt.date | None:
    value = obj[field]
    if value is None and nullable:
        return None
    if not isinstance(value, str) or not _DATE.fullmatch(value):
        raise PackageInvalid(f"record.{field} must be a YYYY-MM-DD date")
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise PackageInvalid(f"record.{field}: {value} is not a calendar date") from None


def _enum(enum: Any, value: object, field: str) -> Any:
    try:
        return enum(value)
    except (ValueError, TypeError):
        raise PackageInvalid(f"record.{field}: unknown value {value!r}") from None


def record_from_canonical(kind: str, doc: object) -> ListEntry | EvaluationResult:
    """The record of ``kind`` from its canonical JSON object, parsed as strictly as a package's
    (raises ``PackageInvalid``); its rules are checked by ``check_package``."""
    return _record(kind, doc)


def _record(kind: str, doc: object) -> ListEntry | EvaluationResult:
    if kind == "list-entry":
        obj = _object(doc, _ENTRY_FIELDS, "record")
        if obj["list_type"] not in _LIST_TYPE_NAMES:
            raise PackageInvalid(f"record.list_type: unknown value {obj['list_type']!r}")
        if type(obj["domain"]) is not int:
            raise PackageInvalid("record.domain must be an integer")
        decided_on = _date(obj, "decided_on")
        valid_from = _date(obj, "valid_from")
        assert decided_on is not None and valid_from is not None
        return ListEntry(
            province=_enum(Province, obj["province"], "province"),
            local_id=_str(obj, "local_id", low=1),
            list_type=_LIST_TYPES[obj["list_type"]],
            domain=_enum(Domain, obj["domain"], "domain"),
            subject_kind=_enum(SubjectKind, obj["subject_kind"], "subject_kind"),
            subject_name=_str(obj, "subject_name"),
            subject_id=_str(obj, "subject_id"),
            reason=_str(obj, "reason"),
            legal_basis=_str(obj, "legal_basis"),
            authority_name=_str(obj, "authority_name"),
            authority_uscc=_str(obj, "authority_uscc"),
            decided_on=decided_on,
            valid_from=valid_from,
            valid_until=_date(obj, "valid_until", nullable=True),
        )
    obj = _object(doc, _EVALUATION_FIELDS, "record")
    if type(obj["domain"]) is not int:
        raise PackageInvalid("record.domain must be an integer")
    evaluated_on = _date(obj, "evaluated_on")
    assert evaluated_on is not None
    return EvaluationResult(
        province=_enum(Province, obj["province"], "province"),
        local_id=_str(obj, "local_id", low=1),
        subject_kind=_enum(SubjectKind, obj["subject_kind"], "subject_kind"),
        subject_name=_str(obj, "subject_name"),
        subject_id=_str(obj, "subject_id"),
        domain=_enum(Domain, obj["domain"], "domain"),
        scheme_id=_int(obj["scheme_id"], "record.scheme_id"),
        grade=_str(obj, "grade"),
        evaluated_on=evaluated_on,
        valid_until=_date(obj, "valid_until", nullable=True),
    )
