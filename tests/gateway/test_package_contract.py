"""``POST /v1/verify`` reads its body with the strict package reader alone and consults the
``PackageIn`` schema only to word a refusal. So the reader must refuse everything the schema
refuses: a body the schema refuses and the reader accepted would get a verdict instead of 422.

The cases come from the schema itself (every property of the package and of both record
kinds: each constraint broken just past its bound, every JSON type in the wrong place), and
from hypothesis (any JSON value at any field).
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator
from typing import Any

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from adapters.core.errors import PackageInvalid
from adapters.core.package import RecordPackage, make_package
from adapters.core.tags import TagKeyring
from gateway.api.schemas import PackageIn
from tests.adapters.core.test_validate import ENTRY, RESULT

KEYS = TagKeyring.development(1)
DOCS = {
    "list-entry": orjson.loads(make_package(ENTRY, keyring=KEYS, salt=bytes(16)).to_json()),
    "evaluation": orjson.loads(make_package(RESULT, keyring=KEYS, salt=bytes(16)).to_json()),
}
SCHEMA = PackageIn.model_json_schema()
RECORD_SCHEMAS = {"list-entry": "EntryRecordIn", "evaluation": "EvaluationRecordIn"}
WRONG_TYPES: list[Any] = [None, True, 0, -1, 1.5, "", "x", [], {}, ["sh"], {"a": 1}]


def _refuses(read: Callable[[bytes], object], refusal: type[Exception], doc: Any) -> bool:
    try:
        read(orjson.dumps(doc))
    except refusal:
        return True
    return False


def _schema_refuses(doc: Any) -> bool:
    return _refuses(PackageIn.model_validate_json, ValidationError, doc)


def _reader_refuses(doc: Any) -> bool:
    return _refuses(RecordPackage.from_json, PackageInvalid, doc)


def _branches(prop: dict[str, Any]) -> list[dict[str, Any]]:
    return list(prop.get("anyOf", [prop]))


def _past_bounds(prop: dict[str, Any], valid: Any) -> Iterator[Any]:
    """Values just past each constraint the property's schema states."""
    for branch in _branches(prop):
        if "maxLength" in branch:
            yield "1" * (branch["maxLength"] + 1)
            yield "字" * (branch["maxLength"] + 1)
        if branch.get("minLength", 0) > 0:
            yield "1" * (branch["minLength"] - 1)
        if "pattern" in branch and isinstance(valid, str):
            yield valid.upper()
            yield valid + "0"
            yield valid[:-1]
            yield " " + valid
            yield valid + "\n"
        for key, step in (("minimum", -1), ("exclusiveMinimum", 0), ("maximum", 1), ("exclusiveMaximum", 0)):
            if key in branch:
                yield branch[key] + step
        for member in branch.get("enum", []) + ([branch["const"]] if "const" in branch else []):
            if isinstance(member, str):
                yield member.upper()
                yield member + " "


def _cases() -> Iterator[tuple[str, str, Any]]:
    """(kind, dotted field, value): every property with values meant to break it."""
    for kind, doc in DOCS.items():
        defs = SCHEMA["$defs"][RECORD_SCHEMAS[kind]]["properties"]
        for field, prop in SCHEMA["properties"].items():
            if field != "record":
                for value in [*_past_bounds(prop, doc[field]), *WRONG_TYPES]:
                    yield kind, field, value
        for field, prop in defs.items():
            for value in [*_past_bounds(prop, doc["record"][field]), *WRONG_TYPES]:
                yield kind, f"record.{field}", value


def _copy_at(doc: dict[str, Any], field: str) -> tuple[dict[str, Any], dict[str, Any], str]:
    """A deep copy of ``doc``, the object in it that holds the dotted ``field``, and its name."""
    out = copy.deepcopy(doc)
    *path, last = field.split(".")
    target = out
    for part in path:
        target = target[part]
    return out, target, last


def _with(doc: dict[str, Any], field: str, value: Any) -> dict[str, Any]:
    out, target, last = _copy_at(doc, field)
    target[last] = value
    return out


def _without(doc: dict[str, Any], field: str) -> dict[str, Any]:
    out, target, last = _copy_at(doc, field)
    del target[last]
    return out


FIELDS = {
    kind: [f for f in doc if f != "record"] + ["record"] + [f"record.{f}" for f in doc["record"]]
    for kind, doc in DOCS.items()
}


def test_the_valid_packages_pass_both() -> None:
    for doc in DOCS.values():
        assert not _schema_refuses(doc) and not _reader_refuses(doc)


def test_the_reader_refuses_every_value_the_schema_refuses() -> None:
    cases = list(_cases())
    refused: set[str] = set()
    for kind, field, value in cases:
        doc = _with(DOCS[kind], field, value)
        if _schema_refuses(doc):
            refused.add(f"{kind} {field}")
            assert _reader_refuses(doc), f"{kind}: {field} = {value!r} is refused by PackageIn, not by the reader"
    # every field of both kinds was broken in some way the schema refuses
    assert refused == {f"{k} {f}" for k, f, _ in cases}
    # and the stated bounds were crossed: lengths, patterns, ranges
    for kind, field, value in [
        ("list-entry", "record.subject_name", "1" * 201),
        ("evaluation", "record.grade", "1" * 17),
        ("list-entry", "record.local_id", ""),
        ("evaluation", "salt", DOCS["evaluation"]["salt"].upper()),
        ("list-entry", "version", 2**32),
        ("evaluation", "record.domain", 65536),
    ]:
        assert (kind, field, value) in cases
        assert _schema_refuses(_with(DOCS[kind], field, value))


@pytest.mark.parametrize("kind", sorted(DOCS))
def test_missing_and_unknown_fields_are_refused_by_both(kind: str) -> None:
    doc = DOCS[kind]
    for field in FIELDS[kind]:
        missing = _without(doc, field)
        assert _schema_refuses(missing) and _reader_refuses(missing), field
    for extra in ({**doc, "note": 1}, {**doc, "record": {**doc["record"], "note": 1}}):
        assert _schema_refuses(extra) and _reader_refuses(extra)
    for top in ([], "x", 1, None, [doc]):
        assert _schema_refuses(top) and _reader_refuses(top)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**63), 2**64 - 1) | st.floats(allow_nan=False) | st.text(max_size=40),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=6,
)


@settings(max_examples=400, deadline=None)
@given(st.sampled_from(sorted(DOCS)), st.data(), json_values)
def test_any_json_value_at_any_field(kind: str, data: st.DataObject, value: Any) -> None:
    field = data.draw(st.sampled_from(FIELDS[kind]))
    doc = _with(DOCS[kind], field, value)
    if not _reader_refuses(doc):
        assert not _schema_refuses(doc), f"{kind}: {field} = {value!r} is refused by PackageIn, not by the reader"
