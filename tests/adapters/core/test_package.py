"""Record packages: strict JSON form and self-verification."""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from adapters.core.canonical import chain_valid_from, chain_valid_until, commitment, record_id
from adapters.core.errors import PackageInvalid
from adapters.core.grades import SCHEMES
from adapters.core.model import EvaluationResult, ListEntry
from adapters.core.package import RecordPackage, check_package, make_package
from adapters.core.tags import TagKeyring
from tests.adapters.core.strategies import evaluation_results, list_entries
from tests.adapters.core.test_validate import ENTRY, RESULT

KEYS = TagKeyring.development(2)
SALT = bytes(range(16))


@settings(max_examples=150)
@given(st.one_of(list_entries(), evaluation_results()), st.binary(min_size=16, max_size=16))
def test_json_round_trip_and_check(record: ListEntry | EvaluationResult, salt: bytes) -> None:
    package = make_package(record, keyring=KEYS, salt=salt, version=3)
    parsed = RecordPackage.from_json(package.to_json())
    assert parsed == package
    expected = check_package(parsed, keyring=KEYS)
    assert expected.entry_id == record_id(record)
    assert expected.commitment == commitment(record, salt)
    assert expected.subject_tag == KEYS.tag(record.subject_id, 2)
    assert expected.tag_key_version == 2
    assert expected.version == 3
    assert expected.province == record.province.code
    assert expected.valid_until == chain_valid_until(record.valid_until)
    if isinstance(record, ListEntry):
        assert (expected.kind, expected.list_type, expected.grade) == ("list-entry", int(record.list_type), None)
        assert expected.valid_from == chain_valid_from(record.valid_from)
    else:
        assert expected.kind == "evaluation"
        assert expected.grade == SCHEMES[record.scheme_id].index(record.grade)
        assert expected.valid_from == chain_valid_from(record.evaluated_on)


def _doc(record: Any = ENTRY) -> dict[str, Any]:
    doc: dict[str, Any] = orjson.loads(make_package(record, keyring=KEYS, salt=SALT).to_json())
    return doc


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda d: d.update(extra=1), "unknown fields extra"),
        (lambda d: d.pop("salt"), "missing fields salt"),
        (lambda d: d["record"].update(colour="red"), "record: unknown fields colour"),
        (lambda d: d["record"].pop("valid_until"), "record: missing fields valid_until"),
        (lambda d: d.update(kind="entry"), "kind must be"),
        (lambda d: d.update(schema_version=2), "unsupported list-entry schema version 2"),
        (lambda d: d.update(province="gd"), "province"),
        (lambda d: d.update(salt="0x00"), "salt must be"),
        (lambda d: d.update(entry_id=d["entry_id"].upper()), "entry_id must be"),
        (lambda d: d.update(version=0), "version must be"),
        (lambda d: d.update(version=True), "version must be"),
        (lambda d: d["record"].update(domain="3"), "record.domain"),
        (lambda d: d["record"].update(decided_on="2026/02/27"), "record.decided_on"),
        (lambda d: d["record"].update(valid_from="2026-02-30"), "not a calendar date"),
        (lambda d: d["record"].update(list_type="grey"), "record.list_type"),
        (lambda d: d["record"].update(subject_kind="robot"), "record.subject_kind"),
        (lambda d: d["record"].update(reason=None), "record.reason must be a string"),
    ],
)
def test_from_json_is_strict(mutate: Any, message: str) -> None:
    doc = _doc()
    mutate(doc)
    with pytest.raises(PackageInvalid, match=message):
        RecordPackage.from_json(orjson.dumps(doc))


def test_from_json_refuses_non_json() -> None:
    with pytest.raises(PackageInvalid, match="not JSON"):
        RecordPackage.from_json(b"{")
    with pytest.raises(PackageInvalid, match="JSON object"):
        RecordPackage.from_json(b"[]")


def test_check_package_detects_tampering() -> None:
    package = make_package(ENTRY, keyring=KEYS, salt=SALT)
    good = check_package(package)
    other_salt = check_package(dataclasses.replace(package, salt=bytes(16)))
    assert other_salt.commitment != good.commitment

    with pytest.raises(PackageInvalid, match="entry_id is 0x"):
        check_package(dataclasses.replace(package, entry_id=bytes(32)))
    moved = dataclasses.replace(package, record=dataclasses.replace(ENTRY, local_id="ZJ2026B00000018"))
    with pytest.raises(PackageInvalid, match="the record gives"):
        check_package(moved)
    with pytest.raises(PackageInvalid, match="subject_tag is"):
        check_package(dataclasses.replace(package, subject_tag=bytes(32)), keyring=KEYS)
    with pytest.raises(PackageInvalid, match="key version 1 gives"):
        check_package(dataclasses.replace(package, tag_key_version=1), keyring=KEYS)
    with pytest.raises(PackageInvalid, match="kind is evaluation"):
        check_package(dataclasses.replace(package, kind="evaluation"))
    with pytest.raises(PackageInvalid, match="package of js holds a record of zj"):
        check_package(dataclasses.replace(package, province=RESULT.province))
    invalid = dataclasses.replace(package, record=dataclasses.replace(ENTRY, valid_until=dt.date(2020, 1, 1)))
    with pytest.raises(PackageInvalid, match="record: valid_until"):
        check_package(invalid)
    messy = dataclasses.replace(package, record=dataclasses.replace(ENTRY, reason=ENTRY.reason + " "))
    with pytest.raises(PackageInvalid, match="normal form"):
        check_package(messy)


def test_package_json_is_canonical_and_hex_is_lower_case() -> None:
    text = make_package(RESULT, keyring=KEYS, salt=SALT).to_json().decode()
    assert text.startswith('{"entry_id":"0x')
    assert '"salt":"0x000102030405060708090a0b0c0d0e0f"' in text
    assert '"grade":"绿"' in text
