"""Whole-file behaviour: encodings, BOMs, truncation, wrong dialect, unsafe XML, envelopes,
bounded memory."""

from __future__ import annotations

import io
import tracemalloc
from pathlib import Path
from typing import Any

import orjson
import pytest

from adapters.core.errors import DialectError
from adapters.core.provinces import Province
from adapters.dialects import DIALECTS, Parsed, Refusal, _jsonstream, zj
from adapters.samples import sample_path
from adapters.synthetic import Synthesizer, generate

SH, JS, ZJ, AH = (DIALECTS[p] for p in (Province.SH, Province.JS, Province.ZJ, Province.AH))
ASSETS = Path(__file__).parents[2] / "assets" / "dialects"


def read(dialect: Any, data: bytes, kind: str = "entries") -> list[Any]:
    stream = io.BytesIO(data)
    return list(dialect.read_entries(stream) if kind == "entries" else dialect.read_evaluations(stream))


def sample(province: Province, kind: str = "entries") -> bytes:
    return sample_path(province, kind).read_bytes()  # type: ignore[arg-type]


def records(items: list[Any]) -> list[Any]:
    assert all(isinstance(i, Parsed) for i in items), [str(i) for i in items if isinstance(i, Refusal)]
    return [i.record for i in items]


# --- truncation, for every dialect ---------------------------------------------------------


@pytest.mark.parametrize("province", list(Province), ids=[p.value for p in Province])
def test_every_truncation_is_refused_or_a_clean_prefix(province: Province) -> None:
    dialect = DIALECTS[province]
    data = sample(province, "evaluations")
    full = records(read(dialect, data, "evaluations"))
    line_ends = {i + 1 for i, b in enumerate(data) if b == ord("\n")}
    for cut in range(0, len(data) - 1, 7):
        try:
            got = records(read(dialect, data[:cut], "evaluations"))
        except DialectError:
            continue
        # only line-based dialects may end at a record boundary without a trailer
        assert province in (Province.SH, Province.JS), f"prefix of {cut} bytes accepted"
        # (a last line without its line end is whole when it parses: JSON Lines has no trailer)
        assert cut in line_ends or cut == 0 or (province is Province.SH and cut + 1 in line_ends)
        assert got == full[: len(got)]


def test_truncated_messages_say_so() -> None:
    for dialect, data in [(SH, sample(Province.SH)), (JS, sample(Province.JS)), (ZJ, sample(Province.ZJ))]:
        with pytest.raises(DialectError, match="truncated"):
            read(dialect, data[: len(data) - 30])
    with pytest.raises(DialectError, match="truncated"):
        read(AH, sample(Province.AH)[:-30])


# --- Shanghai ---------------------------------------------------------------------------------


def test_sh_bom_is_tolerated() -> None:
    data = sample(Province.SH)
    assert records(read(SH, b"\xef\xbb\xbf" + data)) == records(read(SH, data))


def test_sh_bad_lines_are_refused_and_reading_goes_on() -> None:
    lines = sample(Province.SH).splitlines(keepends=True)[:3]
    row = orjson.loads(lines[1])
    unknown = orjson.dumps({**row, "colour": "red"}) + b"\n"
    missing = orjson.dumps({k: v for k, v in row.items() if k != "reason"}) + b"\n"
    data = b"".join([lines[0], b"{not json\n", b"[1, 2]\n", b"\n", unknown, missing, lines[2]])
    items = read(SH, data)
    assert [type(i) for i in items] == [Parsed, Refusal, Refusal, Refusal, Refusal, Parsed]
    assert [i.field for i in items[1:5]] == ["record", "record", "record", "reason"]
    assert [i.location for i in items[1:5]] == ["line 2", "line 3", "line 5", "line 6"]
    assert "unknown field 'colour'" in items[3].reason


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b'{"entry_no": "\xff\xfe"}\n', "not UTF-8"),
        (b"a,b,c\n1,2,3\n", "first line is not JSON"),
        (b'["x"]\n', "not an object"),
        (b'{"code": 0, "data": {"rows": [], "total": 0}}\n', "no known keys"),
    ],
)
def test_sh_unreadable_files(data: bytes, message: str) -> None:
    with pytest.raises(DialectError, match=message):
        read(SH, data)


def test_a_file_of_another_dialect_is_refused_by_every_other_reader() -> None:
    for owner in Province:
        data = sample(owner)
        for province, dialect in DIALECTS.items():
            if province is owner:
                continue
            with pytest.raises(DialectError):
                read(dialect, data)


# --- Jiangsu ----------------------------------------------------------------------------------


def test_js_gb18030_only_characters_round_trip() -> None:
    synth = Synthesizer(Province.JS, seed=5)
    source = synth.entry(1)
    rare = "𠀀𪚥鿿䶵"  # CJK extension B, a character past GBK, the last CJK ideograph, ext. A
    import dataclasses

    source = dataclasses.replace(
        source, entry=dataclasses.replace(source.entry, subject_name="江苏" + rare + "有限公司")
    )
    buffer = io.BytesIO()
    JS.write_entries([source], buffer)
    data = buffer.getvalue()
    assert "江苏𠀀".encode("gb18030") in data
    with pytest.raises(UnicodeDecodeError):
        data.decode("gbk")
    assert records(read(JS, data)) == [source]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (sample(Province.JS).decode("gb18030").encode("utf-8"), "Jiangsu entries header|GB18030"),
        (b"\xef\xbb\xbf" + sample(Province.JS).decode("gb18030").encode("utf-8"), "looks like UTF-8|GB18030"),
        (b"", "empty file"),
        ("名单编号,名单类型\r\n".encode("gb18030"), "header"),
        (sample(Province.JS).replace("认定依据".encode("gb18030"), "颜色".encode("gb18030")), "header"),
        (sample(Province.JS).replace("认定依据".encode("gb18030"), "列入事由".encode("gb18030")), "header"),
        (sample(Province.JS) + b"\xff\xff,\r\n", "not GB18030"),
    ],
)
def test_js_unreadable_files(data: bytes, message: str) -> None:
    with pytest.raises(DialectError, match=message):
        read(JS, data)


def test_js_short_rows_and_open_end() -> None:
    lines = sample(Province.JS).split(b"\r\n")
    header, first = lines[0], lines[1]
    text = first.decode("gb18030").split(",")
    text[12] = "长期"
    open_end = ",".join(text).encode("gb18030")
    items = read(JS, b"\r\n".join([header, b"a,b,c", open_end, first, b""]))
    assert [type(i) for i in items] == [Refusal, Parsed, Parsed]
    assert items[0].field == "record" and items[0].location == "line 2"
    assert items[1].record.entry.valid_until is None
    assert items[2].location == "line 4"


# --- Zhejiang ---------------------------------------------------------------------------------

BILLION_LAUGHS = (ASSETS / "zj-billion-laughs.xml").read_bytes()
EXTERNAL_ENTITY = (ASSETS / "zj-external-entity.xml").read_bytes()
EXTERNAL_DTD = (ASSETS / "zj-external-dtd.xml").read_bytes()
PARAMETER_ENTITY = (ASSETS / "zj-parameter-entity.xml").read_bytes()


@pytest.mark.parametrize(
    "data", [BILLION_LAUGHS, EXTERNAL_ENTITY, EXTERNAL_DTD, PARAMETER_ENTITY], ids=["laughs", "xxe", "dtd", "param"]
)
def test_zj_refuses_dtds_and_entities_without_expanding(data: bytes) -> None:
    tracemalloc.start()
    try:
        with pytest.raises(DialectError, match="DTD"):
            read(ZJ, data)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 2_000_000


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"<mdsj><jl><ztmc>&nbsp;</ztmc></jl></mdsj>", "undefined entity"),
        (b"<pjsj></pjsj>", "root <pjsj>, expected <mdsj>"),
        (b"<mdsj><jg></jg></mdsj>", "expected <jl> records, found <jg>"),
        (b'<?xml version="1.0" encoding="GBK"?><mdsj></mdsj>', "encoding GBK"),
        (b"<mdsj><jl><ztmc>\xff</ztmc></jl></mdsj>", "not well-formed|invalid token"),
        (b"<mdsj>text</mdsj>", "text outside records"),
        (b"", "truncated|no element"),
        (b"<mdsj></mdsj><mdsj></mdsj>", "junk after document element"),
    ],
)
def test_zj_unreadable_files(data: bytes, message: str) -> None:
    with pytest.raises(DialectError, match=message):
        read(ZJ, data)


def test_zj_bad_records_are_refused_one_by_one() -> None:
    data = sample(Province.ZJ)
    head, _, rest = data.partition(b"<jl>")
    first = b"<jl>" + rest.split(b"</jl>")[0] + b"</jl>"
    nested = first.replace(b"<ztmc>", b"<ztmc><b>x</b>", 1)
    twice = first.replace(b"<mdbh>", b"<mdbh>1</mdbh><mdbh>", 1)
    unknown = first.replace(b"<mdbh>", b"<ys>red</ys><mdbh>", 1)
    stray = first.replace(b"<mdbh>", b"stray<mdbh>", 1)
    refs = first.replace(b"<ztmc>", b"<ztmc>&#x6D59;&amp;", 1)
    items = read(ZJ, head + b"\n".join([nested, twice, unknown, stray, refs, first]) + b"</mdsj>")
    assert [type(i) for i in items] == [Refusal, Refusal, Refusal, Refusal, Parsed, Parsed]
    assert [i.field for i in items[:4]] == ["record"] * 4
    assert "inside" in items[0].reason or "nested" in items[0].reason
    assert "twice" in items[1].reason and "unknown field 'ys'" in items[2].reason
    assert items[4].record.entry.subject_name.startswith("浙&")


def test_zj_small_chunks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(zj, "CHUNK", 5)
    data = sample(Province.ZJ)
    items = read(ZJ, data)
    assert len(records(items)) == 60


# --- Anhui ------------------------------------------------------------------------------------


def _ah(rows: list[Any], **envelope: Any) -> bytes:
    doc = {"code": 0, "msg": "ok", "data": {"total": len(rows), "rows": rows}}
    doc.update(envelope)
    return orjson.dumps(doc)


def _ah_rows() -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = orjson.loads(sample(Province.AH))["data"]["rows"]
    return rows


def test_ah_bom_key_order_whitespace_and_small_chunks(monkeypatch: pytest.MonkeyPatch) -> None:
    rows = _ah_rows()[:5]
    expected = records(read(AH, _ah(rows)))
    reordered = orjson.dumps({"data": {"pageNum": 1, "rows": rows, "total": 5}, "extra": [1, {"a": "}"}], "code": 0})
    pretty = b"\xef\xbb\xbf" + orjson.dumps(orjson.loads(reordered), option=orjson.OPT_INDENT_2)
    assert records(read(AH, reordered)) == expected
    assert records(read(AH, pretty)) == expected
    monkeypatch.setattr(_jsonstream, "CHUNK", 3)
    assert records(read(AH, pretty)) == expected
    assert records(read(AH, _ah([]))) == []


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (_ah([], code=500, msg="服务异常"), "API code 500"),
        (_ah([], code="0"), "API code '0'"),
        (orjson.dumps({"data": {"total": 0, "rows": []}}), "no code"),
        (orjson.dumps({"code": 0, "data": {"rows": []}}), "no data.total"),
        (orjson.dumps({"code": 0, "data": {"total": 0}}), "no data.rows"),
        (orjson.dumps({"code": 0, "data": {"total": 2, "rows": [{}]}}), "total is 2, but 1 rows"),
        (orjson.dumps({"code": 0, "data": {"total": -1, "rows": []}}), "not a count"),
        (orjson.dumps({"code": 0, "data": []}), "data is not an object"),
        (b"[]", "expected a JSON object"),
        (b'{"code": 0} {}', "content after"),
        (b'{"code": 0, "data": {"total": 0, "rows": [}}', "malformed|truncated"),
        (b'{"code": 0, "data": {"total": 0, "rows": []}, "msg": "\xff"}', "not UTF-8"),
        (b'{"code" 0}', "expected ':'"),
        (b'{"code": 0, "data": {"total": 1, "rows": [{"listNo": "1"} {"x": 1}]}}', "',' or ']'"),
    ],
)
def test_ah_unreadable_files(data: bytes, message: str) -> None:
    with pytest.raises(DialectError, match=message):
        read(AH, data)


def test_ah_bad_rows_are_refused_one_by_one() -> None:
    rows: list[Any] = _ah_rows()[:2]
    as_text = {**rows[0], "listType": "1"}
    as_float = {**rows[0], "decideTime": 1.5}
    as_bool = {**rows[0], "state": True}
    far = {**rows[0], "modifyTime": 10**15}
    items = read(AH, _ah([rows[0], 7, as_text, as_float, as_bool, far, rows[1]]))
    assert [type(i) for i in items] == [Parsed, Refusal, Refusal, Refusal, Refusal, Refusal, Parsed]
    assert [i.field for i in items[1:6]] == ["record", "list_type", "decided_on", "status", "updated_at"]
    assert [i.location for i in items[1:3]] == ["rows[1]", "rows[2]"]


# --- bounded memory -----------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize("province", list(Province), ids=[p.value for p in Province])
def test_reading_a_large_export_takes_bounded_memory(province: Province, tmp_path: Path) -> None:
    dialect = DIALECTS[province]
    path = tmp_path / f"big{dialect.extension}"
    generate(province, "entries", 60_000, path, seed=9, invalid_share=0.01)
    assert path.stat().st_size > 12_000_000
    tracemalloc.start()
    try:
        count = sum(1 for _ in dialect.read_entries(path))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert count == 60_000
    assert peak < 10_000_000, f"peak {peak:,} bytes"  # memos included
