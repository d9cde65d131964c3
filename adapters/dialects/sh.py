"""Shanghai (上海市公共信用信息服务平台): JSON Lines, UTF-8, snake_case English keys.

File
    One JSON object per line, UTF-8 (a leading BOM is tolerated, never written), ``\\n``
    line ends; blank lines are skipped. Extension ``.jsonl``. A line that is not a JSON
    object is refused as a record; the file is refused as a whole when it is not UTF-8, when
    its first record line is not a JSON object with Shanghai keys, or when it ends in the
    middle of a line that does not parse (truncated).

List entries (``entries.jsonl``)
    ``entry_no`` 名单编号 · ``list_type`` ``"red"``/``"black"`` · ``domain`` the domain's
    English slug (``market_supervision``, ``taxation``, ``ecology``, ``tourism``,
    ``food_and_drugs``, ``product_quality``, ``work_safety``, ``transport``, ``labour``,
    ``court_enforcement``, ``customs``, ``finance``) · ``subject_type`` ``legal_person``,
    ``individual_business``, ``natural_person``, ``social_organisation``,
    ``public_institution``, ``government_body`` · ``subject_name`` · ``subject_id`` (USCC or
    identity number) · ``reason`` · ``legal_basis`` · ``authority_name`` · ``authority_uscc``
    · ``decided_on``, ``valid_from`` ``"YYYY-MM-DD"`` · ``valid_to`` last valid day or
    ``null`` · ``status`` ``published`` 公示中, ``disputed`` 异议中, ``amended`` 已更正,
    ``repaired`` 已修复, ``expired`` 已到期, ``revoked`` 已撤销 · ``updated_at`` ISO 8601
    date-time with offset (``2026-03-01T09:30:00+08:00``) · ``province`` (optional) owner's
    short name for entries synced in from other provinces, default ``sh``; always written.

Evaluation results (``evaluations.jsonl``)
    ``result_no`` · ``domain`` · ``subject_type`` · ``subject_name`` · ``subject_id`` ·
    ``scheme_id`` integer (3101 for Shanghai's A/B/C/D) · ``grade`` label in that scheme ·
    ``evaluated_on`` · ``valid_to`` or ``null`` · ``status`` ``active``/``revoked`` ·
    ``updated_at`` · ``province`` (optional, as above).

HTTP export endpoint (pulled by ``pull``; ``read_entries`` and ``read_evaluations`` given an
``http(s)://`` base URL pull from it)
    ``GET {base}/entries?limit=N[&cursor=C]`` (and ``{base}/evaluations``) answers 200 with
    ``{"items": [row, ...], "next_cursor": "C2" | null}``; rows are exactly the file's
    objects. The first request carries no cursor; the last page has ``next_cursor`` null.
    Cursors are opaque. Any other status, a body that is not such an object, or a cursor that
    repeats raises ``DialectError``; a bad item is refused like a bad line.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from collections.abc import Iterable, Iterator, Mapping
from typing import IO, Any

import httpx
import orjson

from adapters.core.errors import DialectError, RecordInvalid
from adapters.core.grades import SCHEMES
from adapters.core.model import Domain, EntryStatus, ListType, SourceEntry, SourceEvaluation, SubjectKind
from adapters.core.provinces import Province
from adapters.core.validate import RecordValidator
from adapters.dialects.base import Column, Dialect, ExportKind, Parsed, Refusal, RowCodec, lookup, text

_BOM = b"\xef\xbb\xbf"
PULL_PAGE = 1_000  # records asked for per request
PULL_TIMEOUT_S = 60.0  # per request
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")

LIST_TYPES = {"red": ListType.RED, "black": ListType.BLACK}
DOMAINS = {d.name.lower(): d for d in Domain}
SUBJECT_TYPES = {k.value: k for k in SubjectKind}
STATUSES = {s.name.lower(): s for s in EntryStatus}
EVALUATION_STATUSES = {"active": False, "revoked": True}
PROVINCES = {p.value: p for p in Province}


@functools.lru_cache(maxsize=8192)
def _parse_date(value: str) -> dt.date:
    if not isinstance(value, str) or not _DATE.fullmatch(value):
        raise ValueError("expected YYYY-MM-DD")
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise ValueError("not a calendar date") from None


def _date(value: Any) -> dt.date:
    if not isinstance(value, str):
        raise ValueError("expected YYYY-MM-DD")
    return _parse_date(value)


def _optional_date(value: Any) -> dt.date | None:
    return None if value is None else _date(value)


def _date_out(value: dt.date | None) -> str | None:
    return None if value is None else value.isoformat()


def _datetime(value: Any) -> dt.datetime:
    if not isinstance(value, str) or len(value) < 19 or value[10] != "T":
        raise ValueError("expected an ISO 8601 date-time with offset")
    try:
        parsed = dt.datetime.fromisoformat(value)
    except ValueError:
        raise ValueError("expected an ISO 8601 date-time with offset") from None
    if parsed.tzinfo is None:
        raise ValueError("date-time without offset")
    return parsed


def _scheme(value: Any) -> int:
    if type(value) is not int:
        raise ValueError("expected an integer")
    if value not in SCHEMES:
        raise ValueError("unknown scheme")
    return value


def _common(prefix: str) -> list[Column]:
    return [
        Column("province", "province", *lookup(PROVINCES, "province"), optional=True),
        Column("local_id", prefix, text, str),
    ]


ENTRY_COLUMNS = [
    *_common("entry_no"),
    Column("list_type", "list_type", *lookup(LIST_TYPES, "list type")),
    Column("domain", "domain", *lookup(DOMAINS, "domain")),
    Column("subject_kind", "subject_type", *lookup(SUBJECT_TYPES, "subject type")),
    Column("subject_name", "subject_name", text, str),
    Column("subject_id", "subject_id", text, str),
    Column("reason", "reason", text, str),
    Column("legal_basis", "legal_basis", text, str),
    Column("authority_name", "authority_name", text, str),
    Column("authority_uscc", "authority_uscc", text, str),
    Column("decided_on", "decided_on", _date, _date_out),
    Column("valid_from", "valid_from", _date, _date_out),
    Column("valid_until", "valid_to", _optional_date, _date_out),
    Column("status", "status", *lookup(STATUSES, "status")),
    Column("updated_at", "updated_at", _datetime, dt.datetime.isoformat),
]

EVALUATION_COLUMNS = [
    *_common("result_no"),
    Column("domain", "domain", *lookup(DOMAINS, "domain")),
    Column("subject_kind", "subject_type", *lookup(SUBJECT_TYPES, "subject type")),
    Column("subject_name", "subject_name", text, str),
    Column("subject_id", "subject_id", text, str),
    Column("scheme_id", "scheme_id", _scheme, int),
    Column("grade", "grade", text, str),
    Column("evaluated_on", "evaluated_on", _date, _date_out),
    Column("valid_until", "valid_to", _optional_date, _date_out),
    Column("revoked", "status", *lookup(EVALUATION_STATUSES, "status")),
    Column("updated_at", "updated_at", _datetime, dt.datetime.isoformat),
]


class ShanghaiDialect(Dialect):
    province = Province.SH
    extension = ".jsonl"
    pulls = True
    entry_codec = RowCodec("entries", ENTRY_COLUMNS)
    evaluation_codec = RowCodec("evaluations", EVALUATION_COLUMNS)

    def _rows(
        self, kind: ExportKind, stream: IO[bytes], name: str
    ) -> Iterator[tuple[str, Mapping[str, Any] | RecordInvalid]]:
        natives = self.codec(kind).natives
        first = True
        for lineno, line in enumerate(stream, 1):
            if lineno == 1 and line.startswith(_BOM):
                line = line[3:]
            if not line.strip():
                continue
            location = f"line {lineno}"
            try:
                row = orjson.loads(line)
            except orjson.JSONDecodeError as exc:
                try:
                    line.decode("utf-8")
                except UnicodeDecodeError:
                    raise DialectError(name, f"{location}: not UTF-8") from None
                if not line.endswith(b"\n"):
                    raise DialectError(name, f"truncated: {location} ends inside a record") from None
                if first:
                    raise DialectError(name, "not Shanghai JSON Lines: the first line is not JSON") from None
                yield location, RecordInvalid("record", f"not a JSON object: {exc}", raw=line[:200].decode())
                continue
            if not isinstance(row, dict):
                if first:
                    raise DialectError(name, "not Shanghai JSON Lines: the first line is not an object")
                yield location, RecordInvalid("record", "not a JSON object", raw=row)
                continue
            if first and not natives.intersection(row):
                raise DialectError(name, f"not a Shanghai {kind} export: no known keys on line {lineno}")
            first = False
            yield location, row

    def _write_rows(self, kind: ExportKind, rows: Iterable[Mapping[str, Any]], stream: IO[bytes]) -> int:
        count = 0
        buffer: list[bytes] = []
        for row in rows:
            buffer.append(orjson.dumps(row))
            count += 1
            if len(buffer) >= 1024:
                buffer.append(b"")
                stream.write(b"\n".join(buffer))
                buffer.clear()
        if buffer:
            buffer.append(b"")
            stream.write(b"\n".join(buffer))
        return count

    def pull(self, kind: ExportKind, url: str) -> Iterator[Any]:
        """``kind`` pulled page by page from the export endpoint whose base is ``url``
        (``{url}/entries``, ``{url}/evaluations``); what ``read_entries`` does with a URL."""
        with httpx.Client(timeout=PULL_TIMEOUT_S) as client:
            yield from self._pull(kind, client, url, PULL_PAGE, None)

    def pull_entries(
        self, client: httpx.Client, base_url: str, *, limit: int = PULL_PAGE, cursor: str | None = None
    ) -> Iterator[Parsed[SourceEntry] | Refusal]:
        """Stream entries from the platform's export endpoint (see the module docstring)."""
        return self._pull("entries", client, base_url, limit, cursor)

    def pull_evaluations(
        self, client: httpx.Client, base_url: str, *, limit: int = PULL_PAGE, cursor: str | None = None
    ) -> Iterator[Parsed[SourceEvaluation] | Refusal]:
        return self._pull("evaluations", client, base_url, limit, cursor)

    def _pull(
        self, kind: ExportKind, client: httpx.Client, base_url: str, limit: int, cursor: str | None
    ) -> Iterator[Any]:
        url = f"{base_url.rstrip('/')}/{kind}"
        codec = self.codec(kind)
        validator = RecordValidator()
        seen: set[str] = set()
        page = 0
        while True:
            page += 1
            params: dict[str, str | int] = {"limit": limit}
            if cursor is not None:
                params["cursor"] = cursor
            items, next_cursor = _fetch_page(client, url, params)
            for index, item in enumerate(items):
                location = f"page {page} item {index}"
                try:
                    if not isinstance(item, dict):
                        raise RecordInvalid("record", "not a JSON object", raw=item)
                    yield Parsed(codec.decode(item, validator, self.province), location)
                except RecordInvalid as exc:
                    raw = None if exc.raw is None else str(exc.raw)[:200]
                    yield Refusal(url, location, exc.field, exc.reason, raw)
            if next_cursor is None:
                return
            if next_cursor in seen:
                raise DialectError(url, f"cursor {next_cursor!r} repeats on page {page}")
            seen.add(next_cursor)
            cursor = next_cursor


def _fetch_page(client: httpx.Client, url: str, params: dict[str, str | int]) -> tuple[list[Any], str | None]:
    try:
        response = client.get(url, params=params)
    except (httpx.HTTPError, httpx.InvalidURL) as exc:
        raise DialectError(url, f"request failed: {exc}") from None
    if response.status_code != 200:
        raise DialectError(url, f"HTTP {response.status_code} for cursor {params.get('cursor')!r}")
    try:
        body = orjson.loads(response.content)
    except orjson.JSONDecodeError:
        raise DialectError(url, "page is not JSON") from None
    if not isinstance(body, dict) or not isinstance(body.get("items"), list) or "next_cursor" not in body:
        raise DialectError(url, "page is not {items: [...], next_cursor: ...}")
    next_cursor = body["next_cursor"]
    if next_cursor is not None and (not isinstance(next_cursor, str) or not next_cursor):
        raise DialectError(url, "next_cursor must be a non-empty string or null")
    return body["items"], next_cursor
