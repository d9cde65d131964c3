"""Canonical form, commitments, entry ids and chain times: golden vectors and properties."""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
import random
from enum import Enum
from pathlib import Path
from typing import Any

import orjson
import pytest
import rfc8785
from eth_utils import keccak
from hypothesis import given, settings
from hypothesis import strategies as st

from adapters.core.canonical import (
    canonical_bytes,
    canonical_record,
    chain_day_start,
    chain_valid_from,
    chain_valid_until,
    commitment,
    commitment_of,
    entry_id,
    last_valid_day,
    local_id_bytes32,
    record_id,
)
from adapters.core.model import EvaluationResult, ListEntry
from adapters.core.package import RecordPackage
from adapters.core.provinces import Province
from adapters.core.tags import subject_tag
from adapters.core.validate import validate_entry, validate_evaluation
from tests.adapters.core.strategies import evaluation_results, list_entries

VECTORS = json.loads((Path(__file__).parents[2] / "assets" / "canonical" / "vectors.json").read_text("utf-8"))
SALT = bytes.fromhex(VECTORS["salt"][2:])
KEY = bytes.fromhex(VECTORS["tag_key"][2:])
records = st.one_of(list_entries(), evaluation_results())


def _record(vector: dict[str, Any]) -> ListEntry | EvaluationResult:
    package = {
        "kind": vector["kind"],
        "schema_version": 1,
        "province": vector["record"]["province"],
        "entry_id": vector["entry_id"],
        "version": 1,
        "salt": VECTORS["salt"],
        "subject_tag": vector["subject_tag"],
        "tag_key_version": 1,
        "record": vector["record"],
    }
    return RecordPackage.from_json(orjson.dumps(package)).record


@pytest.mark.parametrize("vector", VECTORS["vectors"], ids=lambda v: v["name"])
def test_golden_vector(vector: dict[str, Any]) -> None:
    record = _record(vector)
    valid = validate_entry(record) if isinstance(record, ListEntry) else validate_evaluation(record)
    assert valid == record
    assert canonical_record(record) == vector["record"]
    assert canonical_bytes(record) == vector["canonical"].encode("utf-8")
    assert "0x" + commitment(record, SALT).hex() == vector["commitment"]
    assert "0x" + subject_tag(KEY, record.subject_id).hex() == vector["subject_tag"]
    assert "0x" + record_id(record).hex() == vector["entry_id"]
    start = record.valid_from if isinstance(record, ListEntry) else record.evaluated_on
    assert chain_valid_from(start) == vector["chain_valid_from"]
    assert chain_valid_until(record.valid_until) == vector["chain_valid_until"]


def test_vectors_cover_both_kinds_every_subject_kind_and_open_validity() -> None:
    vectors = VECTORS["vectors"]
    assert {v["kind"] for v in vectors} == {"list-entry", "evaluation"}
    assert {v["record"]["subject_kind"] for v in vectors} == {
        "legal_person", "individual_business", "natural_person",
        "social_organisation", "public_institution", "government_body",
    }  # fmt: skip
    assert any(v["record"]["valid_until"] is None for v in vectors)
    assert any('\\"' in v["canonical"] for v in vectors)  # an escaped quote
    assert any("\\\\" in v["canonical"] for v in vectors)  # an escaped backslash


@settings(max_examples=300)
@given(records)
def test_canonical_bytes_are_rfc8785(record: ListEntry | EvaluationResult) -> None:
    assert canonical_bytes(record) == rfc8785.dumps(canonical_record(record))


def _package_json(record: ListEntry | EvaluationResult, order: list[str]) -> bytes:
    """A record package whose record object has its keys in ``order``."""
    obj = canonical_record(record)
    package = {
        "kind": "list-entry" if isinstance(record, ListEntry) else "evaluation",
        "schema_version": 1,
        "province": obj["province"],
        "entry_id": "0x" + record_id(record).hex(),
        "version": 1,
        "salt": "0x" + SALT.hex(),
        "subject_tag": "0x" + subject_tag(KEY, record.subject_id).hex(),
        "tag_key_version": 1,
        "record": {k: obj[k] for k in order},
    }
    return orjson.dumps(package)  # orjson writes keys in the dict's order


@settings(max_examples=200)
@given(records, st.randoms(use_true_random=False))
def test_key_order_does_not_matter(record: ListEntry | EvaluationResult, rnd: random.Random) -> None:
    # a record as a peer sends it, its keys in any order, canonicalises and commits the same
    keys = list(canonical_record(record))
    rnd.shuffle(keys)
    body = _package_json(record, keys)
    assert orjson.loads(body)["record"] and list(orjson.loads(body)["record"]) == keys
    received = RecordPackage.from_json(body).record
    assert canonical_bytes(received) == canonical_bytes(record)
    assert commitment(received, SALT) == commitment(record, SALT)


@settings(max_examples=200)
@given(records)
def test_canonicalisation_is_idempotent(record: ListEntry | EvaluationResult) -> None:
    once = canonical_bytes(record)
    assert rfc8785.dumps(json.loads(once)) == once
    assert rfc8785.dumps(orjson.loads(once)) == once


def _changed(record: Any, field: str, draw: st.DataObject) -> Any:
    value = getattr(record, field)
    if isinstance(value, Enum):
        new: Any = draw.draw(st.sampled_from([m for m in type(value) if m is not value]))
    elif isinstance(value, str):
        new = value + draw.draw(st.sampled_from(["x", "。", "0", " x"]))
    elif isinstance(value, dt.date):
        new = value + dt.timedelta(days=draw.draw(st.sampled_from([1, -1, 365])))
    elif value is None:
        new = dt.date(2031, 1, 1)
    else:  # scheme_id
        new = value + 1
    return dataclasses.replace(record, **{field: new})


@settings(max_examples=300)
@given(records, st.data())
def test_any_field_change_changes_the_commitment(record: Any, data: st.DataObject) -> None:
    field = data.draw(st.sampled_from([f.name for f in dataclasses.fields(record)]))
    other = _changed(record, field, data)
    assert getattr(other, field) != getattr(record, field)
    assert commitment(other, SALT) != commitment(record, SALT)


@settings(max_examples=100)
@given(records, st.binary(min_size=16, max_size=16), st.binary(min_size=16, max_size=16))
def test_salt_changes_the_commitment(record: Any, a: bytes, b: bytes) -> None:
    assert (commitment(record, a) == commitment(record, b)) == (a == b)


def test_kinds_and_schema_versions_are_domain_separated() -> None:
    entry = _record(VECTORS["vectors"][0])
    result = _record(next(v for v in VECTORS["vectors"] if v["kind"] == "evaluation"))
    same = canonical_bytes(entry)  # the same bytes, committed as either kind
    as_entry, as_result = commitment_of(entry, same, SALT), commitment_of(result, same, SALT)
    assert as_entry == hashlib.sha256(b"yrdx.list-entry\x00\x00\x01" + SALT + same).digest()
    assert as_result == hashlib.sha256(b"yrdx.evaluation\x00\x00\x01" + SALT + same).digest()
    assert as_entry != as_result
    assert commitment(entry, SALT, schema_version=2) != commitment(entry, SALT)
    with pytest.raises(ValueError, match="16 bytes"):
        commitment(entry, SALT[:15])


@given(st.sampled_from(list(Province)), st.text("0123456789ABCXYZabcxyz._-", min_size=1, max_size=32))
def test_entry_id_is_abi_encode_packed_uint8_bytes32(province: Province, local_id: str) -> None:
    packed = province.code.to_bytes(1, "big") + local_id.encode().ljust(32, b"\x00")
    assert entry_id(province, local_id) == keccak(packed)
    assert len(local_id_bytes32(local_id)) == 32


def test_local_id_bytes32_refuses_what_does_not_fit() -> None:
    with pytest.raises(ValueError):
        local_id_bytes32("x" * 33)
    with pytest.raises(ValueError):
        local_id_bytes32("")


def test_chain_times_are_china_midnights() -> None:
    assert chain_day_start(dt.date(1970, 1, 1)) == -8 * 3600
    day = dt.date(2026, 3, 1)
    assert chain_valid_from(day) == int(dt.datetime(2026, 3, 1, tzinfo=dt.timezone(dt.timedelta(hours=8))).timestamp())
    assert chain_valid_until(day) == chain_valid_from(day) + 86400
    assert chain_valid_until(None) == 0


@given(st.dates(min_value=dt.date(1970, 1, 2), max_value=dt.date(2200, 12, 31)))
def test_last_valid_day_inverts_valid_until(day: dt.date) -> None:
    assert last_valid_day(chain_valid_until(day)) == day
    assert last_valid_day(0) is None
