"""Ways to break a record, one for every rule a dialect reader or the validator enforces:
``INVALID_CLASSES``, each naming the field a reader must name when it refuses the record."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from adapters.core.grades import SCHEME_OF_PROVINCE
from adapters.core.model import (
    EntryStatus,
    ListType,
    SourceEntry,
    SubjectKind,
)
from adapters.core.provinces import Province
from adapters.synthetic.codes import USCC_ALPHABET, make_ric, ric_check_char, uscc_check_char
from adapters.synthetic.records import ExportKind, Synthesizer

# --- invalid records ---------------------------------------------------------------------

Mutation = Callable[[Synthesizer, Any], Any]


@dataclass(frozen=True, slots=True)
class InvalidClass:
    """One way to break a record: the field a reader must name when refusing it; ``record``
    mutates the model record, ``native`` (if set) replaces the field's native value."""

    name: str
    field: str
    kinds: tuple[ExportKind, ...]
    record: Mutation | None = None
    native: object = None
    applies: Callable[[Any], bool] = lambda _: True
    provinces: tuple[Province, ...] | None = None  # the dialects that can carry it (None: all)

    def carried_by(self, province: Province) -> bool:
        """Whether ``province``'s dialect can express a record broken this way."""
        return self.provinces is None or province in self.provinces


def _inner(source: Any) -> Any:
    return source.entry if isinstance(source, SourceEntry) else source.result


def _replace(source: Any, **changes: Any) -> Any:
    if isinstance(source, SourceEntry):
        return dataclasses.replace(source, entry=dataclasses.replace(source.entry, **changes))
    return dataclasses.replace(source, result=dataclasses.replace(source.result, **changes))


def _bad_check(code: str) -> str:
    alphabet = USCC_ALPHABET if not code[:17].isdigit() or code[17] not in "0123456789X" else "0123456789X"
    return code[:17] + alphabet[(alphabet.index(code[17]) + 1) % len(alphabet)]


def _is_person(source: Any) -> bool:
    return bool(_inner(source).subject_kind is SubjectKind.NATURAL_PERSON)


def _is_organisation(source: Any) -> bool:
    return not _is_person(source)


def _is_red(source: Any) -> bool:
    return isinstance(source, SourceEntry) and source.entry.list_type is ListType.RED


def _has_kind_prefix(source: Any) -> bool:
    """Whether the subject's kind fixes its USCC's leading characters (92, 11, 12, 5)."""
    return _inner(source).subject_kind in _KIND_PREFIXED


def _uscc_of_other_kind(s: Synthesizer, src: Any) -> Any:
    """A well-formed USCC of the same region and organisation, but an enterprise's (91)."""
    first17 = "91" + _inner(src).subject_id[2:17]
    return _replace(src, subject_id=first17 + uscc_check_char(first17))


def _ric_region_too_young(s: Synthesizer, src: Any) -> Any:
    """A well-formed identity number whose address code (Pudong, 310115, created in 1993) did
    not exist in its holder's birth year."""
    return _replace(src, subject_id=make_ric("310115", dt.date(1960, 5, 5), s.rng.randrange(1, 999)))


def _expired_without_end(s: Synthesizer, src: Any) -> Any:
    return dataclasses.replace(_replace(src, valid_until=None), status=EntryStatus.EXPIRED)


def _bad_ric_date(s: Synthesizer, src: Any) -> Any:
    first17 = _inner(src).subject_id[:6] + "19900230" + f"{s.rng.randrange(1000):03d}"
    return _replace(src, subject_id=first17 + ric_check_char(first17))


_KIND_PREFIXED = frozenset(
    {
        SubjectKind.INDIVIDUAL_BUSINESS,
        SubjectKind.GOVERNMENT_BODY,
        SubjectKind.PUBLIC_INSTITUTION,
        SubjectKind.SOCIAL_ORGANISATION,
    }
)
_BOTH: tuple[ExportKind, ...] = ("entries", "evaluations")
_ENTRIES: tuple[ExportKind, ...] = ("entries",)
_EVALUATIONS: tuple[ExportKind, ...] = ("evaluations",)
_GARBAGE = "??"

INVALID_CLASSES: tuple[InvalidClass, ...] = (
    InvalidClass(
        "uscc_check",
        "subject_id",
        _BOTH,
        lambda s, x: _replace(x, subject_id=_bad_check(_inner(x).subject_id)),
        applies=_is_organisation,
    ),
    InvalidClass(
        "uscc_letters",
        "subject_id",
        _BOTH,
        lambda s, x: _replace(x, subject_id=_inner(x).subject_id[:10] + "IO" + _inner(x).subject_id[12:]),
        applies=_is_organisation,
    ),
    InvalidClass(
        "uscc_length",
        "subject_id",
        _BOTH,
        lambda s, x: _replace(x, subject_id=_inner(x).subject_id[:15]),
        applies=_is_organisation,
    ),
    InvalidClass(
        "uscc_other_province",
        "subject_id",
        _BOTH,
        lambda s, x: _replace(x, subject_id=s.foreign_uscc(_inner(x).subject_id[:2])),
        applies=_is_organisation,
    ),
    InvalidClass(
        "ric_check",
        "subject_id",
        _BOTH,
        lambda s, x: _replace(x, subject_id=_bad_check(_inner(x).subject_id)),
        applies=_is_person,
    ),
    InvalidClass("ric_birth_date", "subject_id", _BOTH, _bad_ric_date, applies=_is_person),
    InvalidClass("ric_region_too_young", "subject_id", _BOTH, _ric_region_too_young, applies=_is_person),
    InvalidClass("uscc_of_other_kind", "subject_id", _BOTH, _uscc_of_other_kind, applies=_has_kind_prefix),
    InvalidClass(
        "authority_other_province",
        "authority_uscc",
        _ENTRIES,
        lambda s, x: _replace(x, authority_uscc=s.foreign_uscc("11")),
    ),
    InvalidClass(
        "authority_check",
        "authority_uscc",
        _ENTRIES,
        lambda s, x: _replace(x, authority_uscc=_bad_check(_inner(x).authority_uscc)),
    ),
    InvalidClass(
        "local_id_chars", "local_id", _BOTH, lambda s, x: _replace(x, local_id="编号#" + _inner(x).local_id[:8])
    ),
    InvalidClass(
        "local_id_length", "local_id", _BOTH, lambda s, x: _replace(x, local_id=(_inner(x).local_id * 3)[:40])
    ),
    InvalidClass("empty_name", "subject_name", _BOTH, lambda s, x: _replace(x, subject_name="　 ")),
    InvalidClass(
        "control_character",  # U+009F: one every dialect can carry, XML 1.0 included
        "subject_name",
        _BOTH,
        lambda s, x: _replace(x, subject_name=_inner(x).subject_name[:2] + "\x9f" + _inner(x).subject_name[2:]),
    ),
    InvalidClass("empty_authority", "authority_name", _ENTRIES, lambda s, x: _replace(x, authority_name=" ")),
    InvalidClass("long_reason", "reason", _ENTRIES, lambda s, x: _replace(x, reason="情节严重" * 600)),
    InvalidClass("empty_basis", "legal_basis", _ENTRIES, lambda s, x: _replace(x, legal_basis="")),
    InvalidClass(
        "valid_until_before_from",
        "valid_until",
        _ENTRIES,
        lambda s, x: _replace(x, valid_until=x.entry.valid_from - dt.timedelta(days=30)),
    ),
    InvalidClass(
        "decided_after_valid_from",
        "decided_on",
        _ENTRIES,
        lambda s, x: _replace(x, decided_on=x.entry.valid_from + dt.timedelta(days=7)),
    ),
    InvalidClass(
        "decided_before_1990", "decided_on", _ENTRIES, lambda s, x: _replace(x, decided_on=dt.date(1989, 12, 31))
    ),
    InvalidClass(
        "valid_until_after_2099", "valid_until", _ENTRIES, lambda s, x: _replace(x, valid_until=dt.date(2100, 1, 1))
    ),
    InvalidClass(
        "evaluated_before_1990",
        "evaluated_on",
        _EVALUATIONS,
        lambda s, x: _replace(x, evaluated_on=dt.date(1989, 12, 31)),
    ),
    InvalidClass("expired_without_end", "status", _ENTRIES, _expired_without_end),
    InvalidClass(
        "updated_at_without_zone",  # only Shanghai writes an offset; the others' times are China time
        "updated_at",
        _BOTH,
        lambda s, x: dataclasses.replace(x, updated_at=x.updated_at.replace(tzinfo=None)),
        provinces=(Province.SH,),
    ),
    InvalidClass(
        "valid_until_before_evaluation",
        "valid_until",
        _EVALUATIONS,
        lambda s, x: _replace(x, valid_until=x.result.evaluated_on - dt.timedelta(days=1)),
    ),
    InvalidClass("grade_not_in_scheme", "grade", _EVALUATIONS, lambda s, x: _replace(x, grade="Z")),
    InvalidClass(
        "scheme_of_other_province",
        "scheme_id",
        _EVALUATIONS,
        lambda s, x: _replace(x, scheme_id=SCHEME_OF_PROVINCE[s.other_province()].scheme_id),
    ),
    InvalidClass(
        "repair_of_red_entry",
        "status",
        _ENTRIES,
        lambda s, x: dataclasses.replace(x, status=EntryStatus.REPAIRED),
        applies=_is_red,
    ),
    InvalidClass("bad_list_type", "list_type", _ENTRIES, native=_GARBAGE),
    InvalidClass("bad_domain", "domain", _BOTH, native=_GARBAGE),
    InvalidClass("bad_subject_kind", "subject_kind", _BOTH, native=_GARBAGE),
    InvalidClass("bad_status", "status", _ENTRIES, native=_GARBAGE),
    InvalidClass("bad_evaluation_status", "revoked", _EVALUATIONS, native=_GARBAGE),
    InvalidClass("bad_valid_from", "valid_from", _ENTRIES, native=_GARBAGE),
    InvalidClass("bad_evaluated_on", "evaluated_on", _EVALUATIONS, native=_GARBAGE),
    InvalidClass("bad_updated_at", "updated_at", _BOTH, native=_GARBAGE),
    InvalidClass("bad_scheme", "scheme_id", _EVALUATIONS, native=_GARBAGE),
)


def broken_row(synth: Synthesizer, codec: Any, broken: InvalidClass, record: Any) -> dict[str, Any]:
    """The native row of ``record`` broken in the way of ``broken`` (``codec`` is a dialect's
    ``RowCodec``); ``broken.applies(record)`` must hold."""
    if broken.record is not None:
        return dict(codec.encode(broken.record(synth, record)))
    row: dict[str, Any] = codec.encode(record)
    row[codec.field_names[broken.field]] = broken.native
    return row
