"""Jiangsu (信用江苏): CSV in GB18030 with Chinese headers.

File
    RFC 4180 CSV, encoded in GB18030 (no BOM), comma-separated, ``"``-quoted where needed,
    one header row naming the columns (any order). Every record, the last included, ends with
    a line end (CRLF written; LF accepted): a file whose last record has none is truncated.
    Extension ``.csv``. The file is refused as a whole when it does not decode as GB18030,
    when its header is not the Jiangsu header (unknown, missing or repeated column), or when
    it is truncated. A record with the wrong number of cells is refused on its own.

List entries
    名单编号 · 名单类型 ``红名单``/``黑名单`` · 领域 the domain's Chinese name (``市场监管``,
    ``税务``, ``生态环境``, ``旅游``, ``食品药品``, ``产品质量``, ``安全生产``, ``交通运输``,
    ``人力资源和社会保障``, ``法院执行``, ``海关``, ``金融``) · 主体类型 ``法人``, ``个体工商户``,
    ``自然人``, ``社会组织``, ``事业单位``, ``政府机构`` · 主体名称 · 统一社会信用代码或身份证号 ·
    列入事由 · 认定依据 · 认定部门 · 认定部门统一社会信用代码 · 认定日期, 有效期起
    ``YYYY/MM/DD`` (month and day may lack the leading zero on input) · 有效期止 the last valid
    day, empty or ``长期`` for none (empty written) · 状态 ``公示中``, ``异议中``, ``已更正``,
    ``已修复``, ``已到期``, ``已撤销`` · 更新时间 ``YYYY-MM-DD HH:MM:SS`` China time (UTC+8) ·
    省份代码 (optional column; empty means ``32``) the owner's GB/T 2260 code, for entries
    synced in from other provinces; always written.

Evaluation results
    评价编号 · 领域 · 主体类型 · 主体名称 · 统一社会信用代码或身份证号 · 评价方案编号 (3201 is
    Jiangsu's five colours 绿/蓝/黄/红/黑) · 信用等级 the grade label · 评价日期 · 有效期止 ·
    状态 ``有效``/``已撤销`` · 更新时间 · 省份代码 (optional, as above).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator, Mapping
from typing import IO, Any

from adapters.core.errors import DialectError, RecordInvalid
from adapters.core.model import DOMAIN_NAMES_ZH, EntryStatus, ListType, SubjectKind
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

ENCODING = "gb18030"

LIST_TYPES = {"红名单": ListType.RED, "黑名单": ListType.BLACK}
DOMAINS = {zh: d for d, zh in DOMAIN_NAMES_ZH.items()}
SUBJECT_TYPES = {
    "法人": SubjectKind.LEGAL_PERSON,
    "个体工商户": SubjectKind.INDIVIDUAL_BUSINESS,
    "自然人": SubjectKind.NATURAL_PERSON,
    "社会组织": SubjectKind.SOCIAL_ORGANISATION,
    "事业单位": SubjectKind.PUBLIC_INSTITUTION,
    "政府机构": SubjectKind.GOVERNMENT_BODY,
}
STATUSES = {
    "公示中": EntryStatus.PUBLISHED,
    "异议中": EntryStatus.DISPUTED,
    "已更正": EntryStatus.AMENDED,
    "已修复": EntryStatus.REPAIRED,
    "已到期": EntryStatus.EXPIRED,
    "已撤销": EntryStatus.REVOKED,
}
EVALUATION_STATUSES = {"有效": False, "已撤销": True}
PROVINCES = {str(p.code): p for p in Province}
DAYS = DayText(r"([0-9]{4})/([0-9]{1,2})/([0-9]{1,2})", "YYYY/MM/DD", "{0:04d}/{1:02d}/{2:02d}", open_end=("", "长期"))
TIMES = TimeText(
    r"([0-9]{4})-([0-9]{2})-([0-9]{2}) ([0-9]{2}):([0-9]{2}):([0-9]{2})", "YYYY-MM-DD HH:MM:SS", "%Y-%m-%d %H:%M:%S"
)


ENTRY_COLUMNS = [
    Column("local_id", "名单编号", text, str),
    Column("list_type", "名单类型", *lookup(LIST_TYPES, "list type")),
    Column("domain", "领域", *lookup(DOMAINS, "domain")),
    Column("subject_kind", "主体类型", *lookup(SUBJECT_TYPES, "subject type")),
    Column("subject_name", "主体名称", text, str),
    Column("subject_id", "统一社会信用代码或身份证号", text, str),
    Column("reason", "列入事由", text, str),
    Column("legal_basis", "认定依据", text, str),
    Column("authority_name", "认定部门", text, str),
    Column("authority_uscc", "认定部门统一社会信用代码", text, str),
    Column("decided_on", "认定日期", DAYS.decode, DAYS.encode),
    Column("valid_from", "有效期起", DAYS.decode, DAYS.encode),
    Column("valid_until", "有效期止", DAYS.decode_open, DAYS.encode),
    Column("status", "状态", *lookup(STATUSES, "status")),
    Column("updated_at", "更新时间", TIMES.decode, TIMES.encode),
    Column("province", "省份代码", lookup(PROVINCES, "province code")[0], province_code_text, optional=True),
]

EVALUATION_COLUMNS = [
    Column("local_id", "评价编号", text, str),
    Column("domain", "领域", *lookup(DOMAINS, "domain")),
    Column("subject_kind", "主体类型", *lookup(SUBJECT_TYPES, "subject type")),
    Column("subject_name", "主体名称", text, str),
    Column("subject_id", "统一社会信用代码或身份证号", text, str),
    Column("scheme_id", "评价方案编号", scheme_text, str),
    Column("grade", "信用等级", text, str),
    Column("evaluated_on", "评价日期", DAYS.decode, DAYS.encode),
    Column("valid_until", "有效期止", DAYS.decode_open, DAYS.encode),
    Column("revoked", "状态", *lookup(EVALUATION_STATUSES, "status")),
    Column("updated_at", "更新时间", TIMES.decode, TIMES.encode),
    Column("province", "省份代码", lookup(PROVINCES, "province code")[0], province_code_text, optional=True),
]


class JiangsuDialect(Dialect):
    province = Province.JS
    extension = ".csv"
    entry_codec = RowCodec("entries", ENTRY_COLUMNS)
    evaluation_codec = RowCodec("evaluations", EVALUATION_COLUMNS)

    def _rows(
        self, kind: ExportKind, stream: IO[bytes], name: str
    ) -> Iterator[tuple[str, Mapping[str, Any] | RecordInvalid]]:
        codec = self.codec(kind)
        wrapper = io.TextIOWrapper(stream, encoding=ENCODING, newline="")
        tracker = _LineTracker(wrapper)
        reader = csv.reader(tracker, strict=True)
        try:
            try:
                header = next(reader)
            except StopIteration:
                raise DialectError(name, "empty file: no header row") from None
            _check_header(header, codec, name, kind)
            width = len(header)
            start = reader.line_num + 1
            for cells in reader:
                location = f"line {start}"
                start = reader.line_num + 1
                if len(cells) == width:
                    yield location, dict(zip(header, cells, strict=True))
                elif cells:
                    yield (
                        location,
                        RecordInvalid("record", f"{len(cells)} cells, the header has {width}", raw=",".join(cells)),
                    )
        except UnicodeDecodeError as exc:
            if exc.reason == "incomplete multibyte sequence":
                raise DialectError(name, f"truncated: line {reader.line_num + 1} ends inside a character") from None
            raise DialectError(name, f"not GB18030 after line {reader.line_num}: {exc.reason}") from None
        except csv.Error as exc:
            raise DialectError(name, f"truncated or malformed CSV at line {reader.line_num}: {exc}") from None
        finally:
            wrapper.detach()
        if not tracker.ended_cleanly:
            raise DialectError(name, f"truncated: line {reader.line_num} has no line end")

    def _write_rows(self, kind: ExportKind, rows: Iterable[Mapping[str, Any]], stream: IO[bytes]) -> int:
        columns = [c.native for c in self.codec(kind).columns]
        wrapper = io.TextIOWrapper(stream, encoding=ENCODING, newline="", write_through=False)
        try:
            writer = csv.writer(wrapper, lineterminator="\r\n")
            writer.writerow(columns)
            count = 0
            for row in rows:
                writer.writerow([row.get(c, "") for c in columns])
                count += 1
            wrapper.flush()
        finally:
            wrapper.detach()
        return count


class _LineTracker:
    """Iterates the lines of a text stream, remembering whether the last one had a line end."""

    def __init__(self, lines: Iterable[str]) -> None:
        self._lines = iter(lines)
        self.ended_cleanly = True

    def __iter__(self) -> Iterator[str]:
        return self

    def __next__(self) -> str:
        line = next(self._lines)
        self.ended_cleanly = line.endswith("\n")
        return line


def _check_header(header: list[str], codec: RowCodec, name: str, kind: ExportKind) -> None:
    required = {c.native for c in codec.columns if not c.optional}
    unknown = [h for h in header if h not in codec.natives]
    if unknown or len(set(header)) != len(header) or not required.issubset(header):
        found = ",".join(header)[:120]
        if header and header[0].startswith("\ufeff") or header and "锘" in header[0]:
            hint = " (the file looks like UTF-8; Jiangsu exports are GB18030)"
        else:
            hint = ""
        raise DialectError(name, f"not a Jiangsu {kind} header{hint}: {found!r}")
