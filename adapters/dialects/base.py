"""What every dialect shares: reader results, table-driven row codecs, file handling.

A dialect reads a file as a stream of *rows* (a mapping of its own field names to values as
found) and turns each row into a record through a ``RowCodec``: one ``Column`` per model field,
saying the dialect's name for it and how to decode and encode its value. Writers run the same
table backwards, so ``read(write(x)) == x`` holds column by column.

Reader contract (all four dialects): a generator that yields, for every record in the file, in
file order, either ``Parsed(record, location)`` or ``Refusal(source, location, field, reason,
raw)``; a bad record never stops it. ``DialectError`` is raised only when the file as a whole
cannot be read (wrong encoding, truncated, not this dialect), possibly after records have
been yielded: consume a file to its end before acting on it as a whole.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import os
import re
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, Generic, Literal, TypeVar

from adapters.core.errors import DialectError, RecordInvalid
from adapters.core.grades import SCHEMES
from adapters.core.model import (
    CHINA_TZ,
    EvaluationResult,
    ListEntry,
    SourceEntry,
    SourceEvaluation,
)
from adapters.core.provinces import Province
from adapters.core.validate import RecordValidator

Source = str | os.PathLike[str] | IO[bytes]
ExportKind = Literal["entries", "evaluations"]
R = TypeVar("R", SourceEntry, SourceEvaluation)

ENTRY_FIELDS: tuple[str, ...] = tuple(ListEntry.__dataclass_fields__)
EVALUATION_FIELDS: tuple[str, ...] = tuple(EvaluationResult.__dataclass_fields__)
_RAW_LIMIT = 200
_ABSENT = object()
_TEXT_FIELDS = frozenset(
    ("local_id", "subject_name", "subject_id", "reason", "legal_basis", "authority_name", "authority_uscc", "grade")
)


class _Fallback(Exception):
    """Raised inside the generated fast path to hand a row to ``decode_checked``."""


@dataclass(frozen=True, slots=True)
class Parsed(Generic[R]):
    """A record read and validated, with where it was found (``line 12``, ``rows[3]``)."""

    record: R
    location: str


@dataclass(frozen=True, slots=True)
class Refusal:
    """A record refused: where, which model field (``record`` for the whole), why, as found."""

    source: str
    location: str
    field: str
    reason: str
    raw: str | None

    def error(self) -> RecordInvalid:
        return RecordInvalid(self.field, self.reason, raw=self.raw, source=self.source, location=self.location)

    def __str__(self) -> str:
        return self.error().render()


Decoder = Callable[[Any], Any]
Encoder = Callable[[Any], Any]


@dataclass(frozen=True, slots=True)
class Column:
    """One model field in a dialect: its native name, decoder (raises ``ValueError`` with the
    reason) and encoder. An ``optional`` column may be absent, null or empty: the field then
    keeps its default (only ``province``, which defaults to the dialect's own)."""

    field: str
    native: str
    decode: Decoder
    encode: Encoder
    optional: bool = False


class RowCodec:
    """Turns rows into validated source records and back."""

    def __init__(self, kind: ExportKind, columns: Iterable[Column]) -> None:
        self.kind = kind
        self.columns = tuple(columns)
        self.natives = frozenset(c.native for c in self.columns)
        self.field_names = {c.field: c.native for c in self.columns}
        expected = (ENTRY_FIELDS if kind == "entries" else EVALUATION_FIELDS) + (
            ("status", "updated_at") if kind == "entries" else ("revoked", "updated_at")
        )
        missing = set(expected) - {*self.field_names, "province"}
        if missing or set(self.field_names) - {*expected, "province"}:
            raise ValueError(f"codec columns do not match the {kind} model: {sorted(missing)}")
        self._fast = self._compile()
        self._encode = self._compile_encoder()

    def decode(self, row: Mapping[str, Any], validator: RecordValidator, own: Province) -> Any:
        """The validated ``SourceEntry``/``SourceEvaluation`` of ``row``; raises RecordInvalid.

        Runs the generated fast path (``_compile``); any row it cannot take as it is goes
        through ``decode_checked``, which says which field is wrong and why.
        """
        return self._fast(row, validator, own)

    def decode_checked(self, row: Mapping[str, Any], validator: RecordValidator, own: Province) -> Any:
        """``decode`` column by column, turning every failure into a located RecordInvalid."""
        unknown = sorted(k for k in row if k not in self.natives)
        if unknown:
            raise RecordInvalid("record", f"unknown field {unknown[0]!r}")
        values: dict[str, Any] = {"province": own}
        for column in self.columns:
            raw = row.get(column.native, _ABSENT)
            if column.optional and (raw is _ABSENT or raw is None or raw == ""):
                continue
            if raw is _ABSENT:
                raise RecordInvalid(column.field, f"missing ({column.native})")
            try:
                values[column.field] = column.decode(raw)
            except (ValueError, TypeError) as exc:
                raise RecordInvalid(column.field, f"{column.native}: {exc}", raw=raw) from None
        if self.kind == "entries":
            entry = ListEntry(*[values[f] for f in ENTRY_FIELDS])
            return validator.source_entry(SourceEntry(entry, values["status"], values["updated_at"]))
        result = EvaluationResult(*[values[f] for f in EVALUATION_FIELDS])
        return validator.source_evaluation(SourceEvaluation(result, values["revoked"], values["updated_at"]))

    def _compile(self) -> Callable[[Mapping[str, Any], RecordValidator, Province], Any]:
        """Generate ``decode`` for this column table: straight-line code, no per-column loop,
        about twice as fast as ``decode_checked``, whose results it must equal."""
        namespace: dict[str, Any] = {
            "_ABSENT": _ABSENT,
            "_Fallback": _Fallback,
            "_natives": self.natives,
            "_checked": self.decode_checked,
            "ListEntry": ListEntry,
            "EvaluationResult": EvaluationResult,
            "SourceEntry": SourceEntry,
            "SourceEvaluation": SourceEvaluation,
        }
        body = [
            "def decode(row, validator, own):",
            f"    if len(row) > {len(self.natives)} or not _natives.issuperset(row):",
            "        return _checked(row, validator, own)",
            "    get = row.get",
            "    try:",
        ]
        names: dict[str, str] = {"province": "own"}
        for index, column in enumerate(self.columns):
            var = names[column.field] = f"v{index}"
            raw = f"get({column.native!r}, _ABSENT)"
            if column.optional:
                namespace[f"d{index}"] = column.decode
                body.append(f"        {var} = {raw}")
                body.append(
                    f"        {var} = own if {var} is _ABSENT or {var} is None or {var} == '' else d{index}({var})"
                )
                names["province"] = var
            elif column.decode is text:
                body.append(f"        {var} = {raw}")
                body.append(f"        if type({var}) is not str: raise _Fallback")
            else:
                namespace[f"d{index}"] = column.decode
                body.append(f"        {var} = d{index}({raw})")
        body.append("    except (ValueError, TypeError, KeyError, _Fallback):")
        body.append("        return _checked(row, validator, own)")
        if self.kind == "entries":
            fields = ", ".join(names[f] for f in ENTRY_FIELDS)
            body.append(f"    entry = ListEntry({fields})")
            body.append(
                f"    return validator.source_entry(SourceEntry(entry, {names['status']}, {names['updated_at']}))"
            )
        else:
            fields = ", ".join(names[f] for f in EVALUATION_FIELDS)
            body.append(f"    result = EvaluationResult({fields})")
            revoked, updated = names["revoked"], names["updated_at"]
            body.append(f"    return validator.source_evaluation(SourceEvaluation(result, {revoked}, {updated}))")
        exec(compile("\n".join(body), f"<RowCodec {self.kind} {sorted(self.natives)[0]}>", "exec"), namespace)  # noqa: S102 - code built from the codec's own column table
        decode: Callable[[Mapping[str, Any], RecordValidator, Province], Any] = namespace["decode"]
        return decode

    def encode(self, record: SourceEntry | SourceEvaluation) -> dict[str, Any]:
        """The row of ``record`` (any province: synced-in copies carry their province)."""
        row: dict[str, Any] = self._encode(record)
        return row

    def _compile_encoder(self) -> Callable[[Any], dict[str, Any]]:
        """Generate ``encode`` for this column table: one dict display, columns in order."""
        namespace: dict[str, Any] = {"str": str}
        inner = "entry" if self.kind == "entries" else "result"
        items = []
        for index, column in enumerate(self.columns):
            if column.field in ("status", "revoked", "updated_at"):
                value = f"record.{column.field}"
            else:
                value = f"r.{column.field}"
            if column.encode is str and column.field in _TEXT_FIELDS:
                items.append(f"{column.native!r}: {value}")
            else:
                namespace[f"e{index}"] = column.encode
                items.append(f"{column.native!r}: e{index}({value})")
        source = f"def encode(record):\n    r = record.{inner}\n    return {{{', '.join(items)}}}\n"
        exec(compile(source, f"<RowCodec {self.kind} encoder>", "exec"), namespace)  # noqa: S102 - built from the column table
        encode: Callable[[Any], dict[str, Any]] = namespace["encode"]
        return encode


class Dialect(ABC):
    """A province platform's export format: reader and writer for entries and evaluations."""

    province: Province
    extension: str
    entry_codec: RowCodec
    evaluation_codec: RowCodec
    pulls = False  # whether the platform has an export endpoint to pull from (``pull``)

    def read_entries(self, source: Source) -> Iterator[Parsed[SourceEntry] | Refusal]:
        """Stream the list entries of ``source`` (see the module docstring)."""
        return self._read("entries", source)

    def read_evaluations(self, source: Source) -> Iterator[Parsed[SourceEvaluation] | Refusal]:
        """Stream the evaluation results of ``source``."""
        return self._read("evaluations", source)

    def write_entries(self, entries: Iterable[SourceEntry], dest: Source) -> int:
        """Write ``entries`` (any province) to ``dest``; returns the number written."""
        return self.write_rows("entries", map(self.entry_codec.encode, entries), dest)

    def write_evaluations(self, results: Iterable[SourceEvaluation], dest: Source) -> int:
        return self.write_rows("evaluations", map(self.evaluation_codec.encode, results), dest)

    def codec(self, kind: ExportKind) -> RowCodec:
        return self.entry_codec if kind == "entries" else self.evaluation_codec

    def write_rows(self, kind: ExportKind, rows: Iterable[Mapping[str, Any]], dest: Source) -> int:
        """Write native rows; a path is written to a temporary sibling, then renamed."""
        if isinstance(dest, str | os.PathLike):
            path = Path(dest)
            tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
            try:
                with open(tmp, "wb") as stream:
                    count = self._write_rows(kind, rows, stream)
                os.replace(tmp, path)
            except BaseException:
                with contextlib.suppress(OSError):
                    os.unlink(tmp)
                raise
            return count
        return self._write_rows(kind, rows, dest)

    def pull(self, kind: ExportKind, url: str) -> Iterator[Any]:
        """The records of ``kind`` pulled from the platform's export endpoint at ``url`` (its
        base); a platform that exports files only has none."""
        raise DialectError(url, self.no_endpoint())

    def no_endpoint(self) -> str:
        return f"the {self.province.value} platform exports files only: give the export's path"

    def _read(self, kind: ExportKind, source: Source) -> Iterator[Any]:
        if is_url(source):
            assert isinstance(source, str)
            yield from self.pull(kind, source)
            return
        name = source_name(source)
        codec = self.codec(kind)
        validator = RecordValidator()
        own = self.province
        with _opened(source, name) as stream:
            for location, row in self._rows(kind, stream, name):
                if isinstance(row, RecordInvalid):
                    yield Refusal(name, location, row.field, row.reason, _raw(row.raw))
                    continue
                try:
                    yield Parsed(codec.decode(row, validator, own), location)
                except RecordInvalid as exc:
                    yield Refusal(name, location, exc.field, exc.reason, _raw(exc.raw))

    @abstractmethod
    def _rows(
        self, kind: ExportKind, stream: IO[bytes], name: str
    ) -> Iterator[tuple[str, Mapping[str, Any] | RecordInvalid]]:
        """Native rows with their locations; a row broken beyond decoding as RecordInvalid."""

    @abstractmethod
    def _write_rows(self, kind: ExportKind, rows: Iterable[Mapping[str, Any]], stream: IO[bytes]) -> int:
        """Serialise native rows to ``stream``."""


def is_url(source: Source) -> bool:
    """Whether ``source`` names a platform's export endpoint rather than a file."""
    return isinstance(source, str) and source.startswith(("http://", "https://"))


def source_name(source: Source) -> str:
    if isinstance(source, str | os.PathLike):
        return os.fspath(source)
    return str(getattr(source, "name", "<stream>"))


@contextlib.contextmanager
def _opened(source: Source, name: str) -> Iterator[IO[bytes]]:
    if isinstance(source, str | os.PathLike):
        try:
            stream = open(source, "rb")  # noqa: SIM115 - closed below
        except OSError as exc:
            raise DialectError(name, f"cannot open: {exc.strerror}") from None
        with stream:
            yield stream
    else:
        yield source


def _raw(value: object) -> str | None:
    if value is None:
        return None
    text = value if isinstance(value, str) else repr(value)
    return text if len(text) <= _RAW_LIMIT else text[:_RAW_LIMIT] + "…"


# --- value codecs shared by the dialects -------------------------------------------------


def text(value: Any) -> str:
    if not isinstance(value, str):
        raise ValueError("expected text")
    return value


def lookup(table: Mapping[Any, Any], what: str) -> tuple[Decoder, Encoder]:
    """Decoder and encoder for an enumeration coded by ``table`` (native value -> member)."""
    reverse = {member: native for native, member in table.items()}
    choices = "/".join(str(k) for k in table)

    def decode(value: Any) -> Any:
        try:
            return table[value]
        except (KeyError, TypeError):
            raise ValueError(f"unknown {what}; expected one of {choices}") from None

    return decode, reverse.__getitem__


class DayText:
    """Calendar days written as text: ``pattern`` matches year, month and day groups, ``shape``
    names the form in error messages, ``out`` formats (year, month, day), and the texts in
    ``open_end`` stand for no date (an open end of validity)."""

    def __init__(self, pattern: str, shape: str, out: str, *, open_end: tuple[str, ...] = ("",)) -> None:
        self._pattern = re.compile(pattern)
        self._expected = f"expected {shape}"
        self._out = out
        self._open_end = open_end
        self._parse = functools.lru_cache(maxsize=8192)(self._parse_text)  # exports repeat their dates

    def _parse_text(self, value: str) -> dt.date:
        match = self._pattern.fullmatch(value)
        if match is None:
            raise ValueError(self._expected)
        return date_of_day(int(match[1]), int(match[2]), int(match[3]))

    def decode(self, value: Any) -> dt.date:
        if not isinstance(value, str):
            raise ValueError(self._expected)
        return self._parse(value)

    def decode_open(self, value: Any) -> dt.date | None:
        return None if value in self._open_end else self.decode(value)

    def encode(self, value: dt.date | None) -> str:
        return self._open_end[0] if value is None else self._out.format(value.year, value.month, value.day)


class TimeText:
    """China-time moments written as text: ``pattern`` matches year, month, day, hour, minute
    and second groups, ``shape`` names the form in error messages, ``out`` is its strftime."""

    def __init__(self, pattern: str, shape: str, out: str) -> None:
        self._pattern = re.compile(pattern)
        self._expected = f"expected {shape}"
        self._out = out

    def decode(self, value: Any) -> dt.datetime:
        match = self._pattern.fullmatch(value) if isinstance(value, str) else None
        if match is None:
            raise ValueError(self._expected)
        y, mo, d, h, mi, s = (int(g) for g in match.groups())
        return china_datetime(y, mo, d, h, mi, s)

    def encode(self, value: dt.datetime) -> str:
        return to_china(value).strftime(self._out)


def province_code_text(value: Province) -> str:
    """A province as its code in text ("33")."""
    return str(value.code)


def scheme_text(value: Any) -> int:
    """An evaluation scheme id written as decimal text."""
    if not isinstance(value, str) or not value.isdecimal() or int(value) not in SCHEMES:
        raise ValueError("unknown scheme")
    return int(value)


def date_of_day(year: int, month: int, day: int) -> dt.date:
    try:
        return dt.date(year, month, day)
    except ValueError:
        raise ValueError("not a calendar date") from None


def china_datetime(year: int, month: int, day: int, hour: int, minute: int, second: int) -> dt.datetime:
    try:
        return dt.datetime(year, month, day, hour, minute, second, tzinfo=CHINA_TZ)
    except ValueError:
        raise ValueError("not a valid date and time") from None


def to_china(value: dt.datetime) -> dt.datetime:
    """``value`` in China time (naive values are taken as China time)."""
    if value.tzinfo is None:
        return value.replace(tzinfo=CHINA_TZ)
    return value.astimezone(CHINA_TZ)
