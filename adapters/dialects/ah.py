"""Anhui (信用安徽): the platform API's JSON envelope, UTF-8, camelCase keys, read streaming.

File
    ``{"code": 0, "msg": "...", "data": {"total": N, "rows": [row, ...]}}``, UTF-8, possibly
    starting with a BOM (never written). Keys may come in any order; other keys of the
    envelope and of ``data`` (``msg``, ``pageNum``...) are ignored. Extension ``.json``. Rows
    are decoded one at a time from a sliding window, so a file of millions of rows is read in
    bounded memory. ``code`` must be the integer 0 and ``total`` the number of rows; both are
    checked as soon as they are seen, which for a ``total`` after ``rows`` (as written here,
    since a streaming writer only knows the count at the end) is after the rows were yielded.
    The file is refused as a whole when it is not UTF-8, not well-formed JSON (truncated
    included), not this envelope, or when ``code`` or ``total`` is wrong or missing. A row that
    is not an object or does not decode is refused on its own, at location ``rows[i]``.

Times are epoch milliseconds. A date field holds an instant whose China-time (UTC+8) date is
the date; the writer emits 00:00 China time of the date.

List entry rows
    ``listNo`` 名单编号 · ``listType`` ``1`` red, ``2`` black (integers) · ``fieldCode`` integer
    domain code (``model.Domain``: 1 市场监管 … 12 金融) · ``subjectKind`` ``LEGAL_PERSON``,
    ``INDIVIDUAL_BUSINESS``, ``NATURAL_PERSON``, ``SOCIAL_ORGANISATION``,
    ``PUBLIC_INSTITUTION``, ``GOVERNMENT_BODY`` · ``subjectName`` · ``creditCode`` (USCC or
    identity number) · ``cause`` 列入事由 · ``basis`` 认定依据 · ``deptName`` · ``deptCode``
    (USCC) · ``decideTime`` · ``beginTime`` · ``endTime`` last valid day or ``null`` ·
    ``state`` integer: 1 公示中, 2 异议中, 3 已更正, 4 已修复, 5 已到期, 6 已撤销 (the
    contract's numbering) · ``modifyTime`` the update instant · ``provinceCode`` (optional,
    null or absent means 34) the owner's GB/T 2260 code for synced-in entries; always written.

Evaluation result rows
    ``resultNo`` · ``fieldCode`` · ``subjectKind`` · ``subjectName`` · ``creditCode`` ·
    ``schemeId`` integer (3401 is Anhui's A/B/C/D/E) · ``grade`` label · ``evalTime`` ·
    ``endTime`` · ``state`` 1 有效, 2 已撤销 · ``modifyTime`` · ``provinceCode`` (optional).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator, Mapping
from typing import IO, Any

import orjson

from adapters.core.errors import DialectError, RecordInvalid
from adapters.core.grades import SCHEMES
from adapters.core.model import CHINA_TZ, Domain, EntryStatus, ListType, SubjectKind
from adapters.core.provinces import Province
from adapters.dialects._jsonstream import JsonStream
from adapters.dialects.base import Column, Dialect, ExportKind, RowCodec, lookup, text

_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
_EPOCH_ORDINAL = dt.date(1970, 1, 1).toordinal()
_DAY_MS = 86_400_000
_CHINA_MS = 8 * 3_600_000
_MAX_MS = 4_102_444_800_000  # 2100-01-01

LIST_TYPES = {1: ListType.RED, 2: ListType.BLACK}
DOMAINS = {d.value: d for d in Domain}
SUBJECT_KINDS = {k.name: k for k in SubjectKind}
STATUSES = {s.value: s for s in EntryStatus}
EVALUATION_STATUSES = {1: False, 2: True}
PROVINCES = {p.code: p for p in Province}


def _int_lookup(table: Mapping[int, Any], what: str) -> tuple[Any, Any]:
    decode, encode = lookup(table, what)

    def strict(value: Any) -> Any:
        if type(value) is not int:
            raise ValueError(f"expected an integer {what}")
        return decode(value)

    return strict, encode


def _millis(value: Any) -> int:
    if type(value) is not int:
        raise ValueError("expected epoch milliseconds (integer)")
    if not 0 <= value < _MAX_MS:
        raise ValueError("epoch milliseconds out of range")
    return value


def _date(value: Any) -> dt.date:
    return dt.date.fromordinal(_EPOCH_ORDINAL + (_millis(value) + _CHINA_MS) // _DAY_MS)


def _optional_date(value: Any) -> dt.date | None:
    return None if value is None else _date(value)


def _date_out(value: dt.date | None) -> int | None:
    if value is None:
        return None
    return (value.toordinal() - _EPOCH_ORDINAL) * _DAY_MS - _CHINA_MS


def _datetime(value: Any) -> dt.datetime:
    return (_EPOCH + dt.timedelta(milliseconds=_millis(value))).astimezone(CHINA_TZ)


def _datetime_out(value: dt.datetime) -> int:
    delta = value - _EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1000 + delta.microseconds // 1000


def _scheme(value: Any) -> int:
    if type(value) is not int or value not in SCHEMES:
        raise ValueError("unknown scheme")
    return value


def _province_out(value: Province) -> int:
    return value.code


_PROVINCE = Column("province", "provinceCode", _int_lookup(PROVINCES, "province code")[0], _province_out, optional=True)

ENTRY_COLUMNS = [
    Column("local_id", "listNo", text, str),
    Column("list_type", "listType", *_int_lookup(LIST_TYPES, "list type")),
    Column("domain", "fieldCode", *_int_lookup(DOMAINS, "domain code")),
    Column("subject_kind", "subjectKind", *lookup(SUBJECT_KINDS, "subject kind")),
    Column("subject_name", "subjectName", text, str),
    Column("subject_id", "creditCode", text, str),
    Column("reason", "cause", text, str),
    Column("legal_basis", "basis", text, str),
    Column("authority_name", "deptName", text, str),
    Column("authority_uscc", "deptCode", text, str),
    Column("decided_on", "decideTime", _date, _date_out),
    Column("valid_from", "beginTime", _date, _date_out),
    Column("valid_until", "endTime", _optional_date, _date_out),
    Column("status", "state", *_int_lookup(STATUSES, "state")),
    Column("updated_at", "modifyTime", _datetime, _datetime_out),
    _PROVINCE,
]

EVALUATION_COLUMNS = [
    Column("local_id", "resultNo", text, str),
    Column("domain", "fieldCode", *_int_lookup(DOMAINS, "domain code")),
    Column("subject_kind", "subjectKind", *lookup(SUBJECT_KINDS, "subject kind")),
    Column("subject_name", "subjectName", text, str),
    Column("subject_id", "creditCode", text, str),
    Column("scheme_id", "schemeId", _scheme, int),
    Column("grade", "grade", text, str),
    Column("evaluated_on", "evalTime", _date, _date_out),
    Column("valid_until", "endTime", _optional_date, _date_out),
    Column("revoked", "state", *_int_lookup(EVALUATION_STATUSES, "state")),
    Column("updated_at", "modifyTime", _datetime, _datetime_out),
    _PROVINCE,
]


class AnhuiDialect(Dialect):
    province = Province.AH
    extension = ".json"
    entry_codec = RowCodec("entries", ENTRY_COLUMNS)
    evaluation_codec = RowCodec("evaluations", EVALUATION_COLUMNS)

    def _rows(
        self, kind: ExportKind, stream: IO[bytes], name: str
    ) -> Iterator[tuple[str, Mapping[str, Any] | RecordInvalid]]:
        doc = JsonStream(stream, name)
        state = _Envelope()
        if doc.peek() != "{":
            raise DialectError(name, "not an Anhui API response: expected a JSON object")
        for key in _keys(doc):
            if key == "code":
                state.code = doc.value()
                if state.code != 0 or type(state.code) is not int:
                    raise DialectError(name, f"API code {state.code!r}, expected 0")
            elif key == "data":
                if doc.peek() != "{":
                    raise DialectError(name, "data is not an object")
                for data_key in _keys(doc):
                    if data_key == "total":
                        state.total = doc.value()
                        if type(state.total) is not int or state.total < 0:
                            raise DialectError(name, f"total {state.total!r} is not a count")
                    elif data_key == "rows":
                        state.rows_seen = True
                        yield from _rows(doc, state)
                    else:
                        doc.value()
            else:
                doc.value()
        if doc.peek():
            raise DialectError(name, "content after the end of the JSON document")
        if state.code is None:
            raise DialectError(name, "no code in the response")
        if not state.rows_seen:
            raise DialectError(name, "not an Anhui API response: no data.rows")
        if state.total is None:
            raise DialectError(name, "no data.total in the response")
        if state.total != state.count:
            raise DialectError(name, f"data.total is {state.total}, but {state.count} rows were sent")

    def _write_rows(self, kind: ExportKind, rows: Iterable[Mapping[str, Any]], stream: IO[bytes]) -> int:
        stream.write(b'{"code":0,"msg":"success","data":{"rows":[')
        count = 0
        parts: list[bytes] = []
        for row in rows:
            if count:
                parts.append(b",\n")
            else:
                parts.append(b"\n")
            parts.append(orjson.dumps(row))
            count += 1
            if len(parts) >= 2048:
                stream.write(b"".join(parts))
                parts.clear()
        parts.append(b'\n],"total":%d}}\n' % count)
        stream.write(b"".join(parts))
        return count


class _Envelope:
    def __init__(self) -> None:
        self.code: object = None
        self.total: object = None
        self.rows_seen = False
        self.count = 0


def _keys(doc: JsonStream) -> Iterator[str]:
    """The keys of the object at the cursor; the caller consumes each value."""
    doc.expect("{", "an object")
    if doc.peek() == "}":
        doc.expect("}", "}")
        return
    while True:
        key = doc.value()
        if not isinstance(key, str):
            raise DialectError(doc.name, "object key is not a string")
        doc.expect(":", "':'")
        yield key
        if doc.expect(",}", "',' or '}'") == "}":
            return


def _rows(doc: JsonStream, state: _Envelope) -> Iterator[tuple[str, Mapping[str, Any] | RecordInvalid]]:
    doc.expect("[", "the rows array")
    if doc.peek() == "]":
        doc.expect("]", "]")
        return
    while True:
        row = doc.value()
        location = f"rows[{state.count}]"
        state.count += 1
        if isinstance(row, dict):
            yield location, row
        else:
            yield location, RecordInvalid("record", "row is not a JSON object", raw=row)
        if doc.expect(",]", "',' or ']'") == "]":
            return
