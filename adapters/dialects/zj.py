"""Zhejiang (信用浙江): XML, UTF-8, pinyin-initial element names, parsed safely and streaming.

File
    ``<?xml version="1.0" encoding="UTF-8"?>`` then a root element holding one element per
    record, each holding one element per field with the value as text. Extension ``.xml``.
    No DTD may appear: any ``<!DOCTYPE>`` (hence any entity declaration, internal or external)
    refuses the whole file, so entity expansion ("billion laughs") and external entities
    cannot happen; only the five predefined entities and character references are expanded.
    The parser is expat fed in 64 KiB chunks, so memory stays bounded whatever the size. The
    file is refused as a whole when it is not well-formed (truncated included), not UTF-8, has
    another root or record element, or holds a DTD. A record with an unknown, repeated or
    nested field element is refused on its own. An empty field element (``<yxqz/>``) is an
    empty value.

List entries: root ``<mdsj>`` (名单数据), records ``<jl>`` (记录)
    ``mdbh`` 名单编号 · ``mdlx`` 名单类型 ``1`` red, ``2`` black · ``ly`` 领域 two-digit domain
    code (``01`` 市场监管 … ``12`` 金融, as ``model.Domain``) · ``ztlx`` 主体类型 ``1`` 法人,
    ``2`` 个体工商户, ``3`` 自然人, ``4`` 社会组织, ``5`` 事业单位, ``6`` 政府机构 · ``ztmc``
    主体名称 · ``zjhm`` 证件号码 · ``lrsy`` 列入事由 · ``rdyj`` 认定依据 · ``rdbm`` 认定部门 ·
    ``rdbmdm`` 认定部门代码 (USCC) · ``rdrq`` 认定日期, ``yxqq`` 有效期起 ``YYYYMMDD`` · ``yxqz``
    有效期止 the last valid day, empty for none · ``zt`` 状态 ``10`` 公示中, ``20`` 异议中,
    ``30`` 已更正, ``40`` 已修复, ``50`` 已到期, ``60`` 已撤销 · ``gxsj`` 更新时间
    ``YYYYMMDDHHMMSS`` China time (UTC+8) · ``sfdm`` 省份代码 (optional, empty or absent means
    ``33``) the owner's GB/T 2260 code for synced-in entries; always written.

Evaluation results: root ``<pjsj>`` (评价数据), records ``<jg>`` (结果)
    ``pjbh`` 评价编号 · ``ly`` · ``ztlx`` · ``ztmc`` · ``zjhm`` · ``pjfa`` 评价方案 (3301 is
    Zhejiang's 优/良/中/差) · ``xydj`` 信用等级 the grade label · ``pjrq`` 评价日期 · ``yxqz`` ·
    ``zt`` ``10`` 有效, ``60`` 已撤销 · ``gxsj`` · ``sfdm`` (optional, as above).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from typing import IO, Any
from xml.parsers import expat
from xml.sax.saxutils import escape

from adapters.core.errors import DialectError, RecordInvalid
from adapters.core.model import Domain, EntryStatus, ListType, SubjectKind
from adapters.core.provinces import Province
from adapters.dialects.base import (
    Column,
    DayText,
    Dialect,
    ExportKind,
    RowCodec,
    TimeText,
    lookup,
    province_code_text,
    scheme_text,
    text,
)

CHUNK = 64 * 1024
_SPECIAL = re.compile(r"[&<>]")
ROOTS: dict[ExportKind, tuple[str, str]] = {"entries": ("mdsj", "jl"), "evaluations": ("pjsj", "jg")}

LIST_TYPES = {"1": ListType.RED, "2": ListType.BLACK}
DOMAINS = {f"{d.value:02d}": d for d in Domain}
SUBJECT_TYPES = {
    "1": SubjectKind.LEGAL_PERSON,
    "2": SubjectKind.INDIVIDUAL_BUSINESS,
    "3": SubjectKind.NATURAL_PERSON,
    "4": SubjectKind.SOCIAL_ORGANISATION,
    "5": SubjectKind.PUBLIC_INSTITUTION,
    "6": SubjectKind.GOVERNMENT_BODY,
}
STATUSES = {
    "10": EntryStatus.PUBLISHED,
    "20": EntryStatus.DISPUTED,
    "30": EntryStatus.AMENDED,
    "40": EntryStatus.REPAIRED,
    "50": EntryStatus.EXPIRED,
    "60": EntryStatus.REVOKED,
}
EVALUATION_STATUSES = {"10": False, "60": True}
PROVINCES = {str(p.code): p for p in Province}
DAYS = DayText(r"([0-9]{4})([0-9]{2})([0-9]{2})", "YYYYMMDD", "{0:04d}{1:02d}{2:02d}")
TIMES = TimeText(r"([0-9]{4})([0-9]{2})([0-9]{2})([0-9]{2})([0-9]{2})([0-9]{2})", "YYYYMMDDHHMMSS", "%Y%m%d%H%M%S")


_PROVINCE = Column("province", "sfdm", lookup(PROVINCES, "province code")[0], province_code_text, optional=True)

ENTRY_COLUMNS = [
    Column("local_id", "mdbh", text, str),
    Column("list_type", "mdlx", *lookup(LIST_TYPES, "list type")),
    Column("domain", "ly", *lookup(DOMAINS, "domain code")),
    Column("subject_kind", "ztlx", *lookup(SUBJECT_TYPES, "subject type")),
    Column("subject_name", "ztmc", text, str),
    Column("subject_id", "zjhm", text, str),
    Column("reason", "lrsy", text, str),
    Column("legal_basis", "rdyj", text, str),
    Column("authority_name", "rdbm", text, str),
    Column("authority_uscc", "rdbmdm", text, str),
    Column("decided_on", "rdrq", DAYS.decode, DAYS.encode),
    Column("valid_from", "yxqq", DAYS.decode, DAYS.encode),
    Column("valid_until", "yxqz", DAYS.decode_open, DAYS.encode),
    Column("status", "zt", *lookup(STATUSES, "status")),
    Column("updated_at", "gxsj", TIMES.decode, TIMES.encode),
    _PROVINCE,
]

EVALUATION_COLUMNS = [
    Column("local_id", "pjbh", text, str),
    Column("domain", "ly", *lookup(DOMAINS, "domain code")),
    Column("subject_kind", "ztlx", *lookup(SUBJECT_TYPES, "subject type")),
    Column("subject_name", "ztmc", text, str),
    Column("subject_id", "zjhm", text, str),
    Column("scheme_id", "pjfa", scheme_text, str),
    Column("grade", "xydj", text, str),
    Column("evaluated_on", "pjrq", DAYS.decode, DAYS.encode),
    Column("valid_until", "yxqz", DAYS.decode_open, DAYS.encode),
    Column("revoked", "zt", *lookup(EVALUATION_STATUSES, "status")),
    Column("updated_at", "gxsj", TIMES.decode, TIMES.encode),
    _PROVINCE,
]


class ZhejiangDialect(Dialect):
    province = Province.ZJ
    extension = ".xml"
    entry_codec = RowCodec("entries", ENTRY_COLUMNS)
    evaluation_codec = RowCodec("evaluations", EVALUATION_COLUMNS)

    def _rows(
        self, kind: ExportKind, stream: IO[bytes], name: str
    ) -> Iterator[tuple[str, Mapping[str, Any] | RecordInvalid]]:
        root, record = ROOTS[kind]
        scanner = _Scanner(name, root, record)
        while True:
            chunk = stream.read(CHUNK)
            scanner.feed(chunk, final=not chunk)
            yield from scanner.take()
            if not chunk:
                break
        scanner.finish()

    def _write_rows(self, kind: ExportKind, rows: Iterable[Mapping[str, Any]], stream: IO[bytes]) -> int:
        root, record = ROOTS[kind]
        natives = [c.native for c in self.codec(kind).columns]
        stream.write(f'<?xml version="1.0" encoding="UTF-8"?>\n<{root}>\n'.encode())
        count = 0
        parts: list[str] = []
        special = _SPECIAL.search
        for row in rows:
            parts.append(f"<{record}>")
            for native in natives:
                value = row.get(native)
                if value is None or value == "":
                    parts.append(f"<{native}/>")
                else:
                    text = str(value)
                    if special(text):
                        text = escape(text)
                    parts.append(f"<{native}>{text}</{native}>")
            parts.append(f"</{record}>\n")
            count += 1
            if len(parts) > 20_000:
                stream.write("".join(parts).encode("utf-8"))
                parts.clear()
        parts.append(f"</{root}>\n")
        stream.write("".join(parts).encode("utf-8"))
        return count


class _Scanner:
    """Expat callbacks collecting flat records; refuses DTDs and anything not this dialect."""

    def __init__(self, name: str, root: str, record: str) -> None:
        self.name = name
        self.root = root
        self.record = record
        self.depth = 0
        self.row: dict[str, str] = {}
        self.problem: RecordInvalid | None = None
        self.field: str | None = None
        self.text = ""
        self.line = 0
        self.ready: list[tuple[str, Mapping[str, Any] | RecordInvalid]] = []
        self.closed = False
        parser = expat.ParserCreate()
        parser.buffer_text = True
        parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
        parser.StartDoctypeDeclHandler = self._doctype
        parser.EntityDeclHandler = self._entity
        parser.ExternalEntityRefHandler = self._external
        parser.XmlDeclHandler = self._xml_decl
        parser.StartElementHandler = self._start
        parser.EndElementHandler = self._end
        parser.CharacterDataHandler = self._chars
        self.parser = parser

    def feed(self, chunk: bytes, *, final: bool) -> None:
        try:
            self.parser.Parse(chunk, final)
        except expat.ExpatError as exc:
            reason = expat.errors.messages.get(exc.code, str(exc)) if exc.code else str(exc)
            if exc.code == expat.errors.codes[expat.errors.XML_ERROR_NO_ELEMENTS] or (
                final and exc.code == expat.errors.codes[expat.errors.XML_ERROR_UNCLOSED_TOKEN]
            ):
                reason = f"truncated ({reason})"
            raise DialectError(self.name, f"line {exc.lineno}: {reason}") from None

    def take(self) -> list[tuple[str, Mapping[str, Any] | RecordInvalid]]:
        ready, self.ready = self.ready, []
        return ready

    def finish(self) -> None:
        if not self.closed:
            raise DialectError(self.name, f"truncated: <{self.root}> is not closed")

    def _refuse(self, reason: str) -> None:
        raise DialectError(self.name, f"line {self.parser.CurrentLineNumber}: {reason}")

    def _doctype(self, *_: object) -> None:
        self._refuse("a DTD (<!DOCTYPE>) is not allowed: entities are never expanded")

    def _entity(self, *_: object) -> None:
        self._refuse("entity declarations are not allowed")

    def _external(self, *_: object) -> int:
        self._refuse("external entities are not allowed")
        return 0

    def _xml_decl(self, version: str, encoding: str | None, standalone: int) -> None:
        if encoding is not None and encoding.upper().replace("_", "-") not in ("UTF-8", "UTF8"):
            self._refuse(f"declared encoding {encoding}, expected UTF-8")

    def _start(self, tag: str, attrs: dict[str, str]) -> None:
        depth = self.depth = self.depth + 1
        if depth == 3:
            self.field = tag
            self.text = ""
        elif depth == 2:
            if tag != self.record:
                self._refuse(f"expected <{self.record}> records, found <{tag}>")
            self.row = {}
            self.problem = None
            self.field = None
            self.line = self.parser.CurrentLineNumber
        elif depth == 1:
            if tag != self.root:
                self._refuse(f"not a Zhejiang export: root <{tag}>, expected <{self.root}>")
        elif self.problem is None:
            self.problem = RecordInvalid("record", f"element <{tag}> inside <{self.field}>")

    def _end(self, tag: str) -> None:
        depth = self.depth
        self.depth = depth - 1
        if depth == 3:
            row = self.row
            if tag in row and self.problem is None:
                self.problem = RecordInvalid("record", f"field <{tag}> appears twice")
            row[tag] = self.text
            self.field = None
        elif depth == 2:
            self.ready.append((f"line {self.line}", self.problem or self.row))
        elif depth == 1:
            self.closed = True

    def _chars(self, data: str) -> None:
        # buffer_text makes this one call per field value in all but chunk-straddling cases
        if self.depth == 3:
            self.text += data
        elif data.strip():
            if self.depth == 2 and self.problem is None:
                self.problem = RecordInvalid("record", "text outside field elements", raw=data.strip())
            elif self.depth < 2:
                self._refuse("text outside records")
