"""Validation rules: every failure names its field; normal records pass unchanged."""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

import pytest

from adapters.core.errors import RecordInvalid
from adapters.core.model import (
    CHINA_TZ,
    Domain,
    EntryStatus,
    EvaluationResult,
    ListEntry,
    ListType,
    SourceEntry,
    SourceEvaluation,
    SubjectKind,
)
from adapters.core.provinces import Province
from adapters.core.validate import RecordValidator, validate_entry, validate_evaluation
from adapters.synthetic import make_ric, make_uscc

PERSON = make_ric("310104", dt.date(1978, 5, 9), 123)
ENTRY = ListEntry(
    province=Province.ZJ,
    local_id="ZJ2026B00000017",
    list_type=ListType.BLACK,
    domain=Domain.ECOLOGY,
    subject_kind=SubjectKind.LEGAL_PERSON,
    subject_name="杭州华信环保科技有限公司",
    subject_id=make_uscc("91", "330106", "MA2K7Q8R"),
    reason="超标排放水污染物，拒不改正",
    legal_basis="《中华人民共和国环境保护法》第六十三条",
    authority_name="杭州市生态环境局",
    authority_uscc=make_uscc("11", "330100", "00250743"),
    decided_on=dt.date(2026, 2, 27),
    valid_from=dt.date(2026, 3, 1),
    valid_until=None,
)
RESULT = EvaluationResult(
    province=Province.JS,
    local_id="JSPJ202600000001",
    subject_kind=SubjectKind.LEGAL_PERSON,
    subject_name="南京鼎华建材有限公司",
    subject_id=make_uscc("91", "320102", "MA1W2E3R"),
    domain=Domain.ECOLOGY,
    scheme_id=3201,
    grade="绿",
    evaluated_on=dt.date(2026, 1, 5),
    valid_until=None,
)
NOW = dt.datetime(2026, 3, 2, 9, 0, tzinfo=CHINA_TZ)
NAIVE = NOW.replace(tzinfo=None)


def test_valid_records_come_back_as_the_same_object() -> None:
    assert validate_entry(ENTRY) is ENTRY
    assert validate_evaluation(RESULT) is RESULT


def test_normalisation_strips_and_upper_cases() -> None:
    messy = dataclasses.replace(
        ENTRY,
        local_id=" ZJ-1 ",
        subject_name="\u3000杭州华信环保科技有限公司 ",
        subject_id=ENTRY.subject_id.lower() + " ",
        authority_uscc=" " + ENTRY.authority_uscc,
    )
    clean = validate_entry(messy)
    assert clean == dataclasses.replace(ENTRY, local_id="ZJ-1")


ENTRY_CASES: list[tuple[str, dict[str, Any], str, str]] = [
    ("empty local id", {"local_id": " "}, "local_id", "1-32 characters"),
    ("long local id", {"local_id": "A" * 33}, "local_id", "1-32 characters"),
    ("local id charset", {"local_id": "编号#1"}, "local_id", "1-32 characters"),
    ("blank name", {"subject_name": "\u3000 "}, "subject_name", "empty"),
    ("control character", {"subject_name": "某某\x07公司"}, "subject_name", r"U\+0007"),
    ("noncharacter", {"authority_name": "某\ufffe局"}, "authority_name", r"U\+FFFE"),
    ("long name", {"subject_name": "名" * 201}, "subject_name", "longer than 200"),
    ("long reason", {"reason": "严" * 2001}, "reason", "longer than 2000"),
    ("empty basis", {"legal_basis": ""}, "legal_basis", "empty"),
    ("text type", {"reason": 5}, "reason", "text"),
    (
        "uscc of another province",
        {"subject_id": make_uscc("91", "310104", "MA2K7Q8R")},
        "subject_id",
        "not in Zhejiang",
    ),
    ("bad uscc", {"subject_id": ENTRY.subject_id[:-1] + "0"}, "subject_id", "check character"),
    ("ric for legal person", {"subject_id": PERSON}, "subject_id", "check character|not in"),
    ("uscc for natural person", {"subject_kind": SubjectKind.NATURAL_PERSON}, "subject_id", "resident identity number"),
    ("92 for legal person", {"subject_id": make_uscc("92", "330106", "MA2K7Q8R")}, "subject_id", "92"),
    ("91 for individual business", {"subject_kind": SubjectKind.INDIVIDUAL_BUSINESS}, "subject_id", "starts with 92"),
    ("91 for government body", {"subject_kind": SubjectKind.GOVERNMENT_BODY}, "subject_id", "starts with 11"),
    ("91 for public institution", {"subject_kind": SubjectKind.PUBLIC_INSTITUTION}, "subject_id", "starts with 12"),
    ("91 for social organisation", {"subject_kind": SubjectKind.SOCIAL_ORGANISATION}, "subject_id", "starts with 5"),
    ("authority elsewhere", {"authority_uscc": make_uscc("11", "340202", "00250743")}, "authority_uscc", "Zhejiang"),
    ("authority check", {"authority_uscc": ENTRY.authority_uscc[:-1] + "Y"}, "authority_uscc", "check"),
    ("decided after start", {"decided_on": dt.date(2026, 3, 2)}, "decided_on", "after valid_from"),
    ("ends before start", {"valid_until": dt.date(2026, 2, 28)}, "valid_until", "before valid_from"),
    ("date too early", {"decided_on": dt.date(1989, 12, 31)}, "decided_on", "outside"),
    ("date too late", {"valid_until": dt.date(2100, 1, 1)}, "valid_until", "outside"),
    ("datetime for date", {"valid_from": dt.datetime(2026, 3, 1)}, "valid_from", "expected a date"),
    ("list type", {"list_type": 2}, "list_type", "ListType"),
    ("domain", {"domain": 99}, "domain", "domain"),
    ("subject kind", {"subject_kind": "legal_person"}, "subject_kind", "SubjectKind"),
    ("province", {"province": "zj"}, "province", "Province"),
]


@pytest.mark.parametrize(("changes", "field", "reason"), [c[1:] for c in ENTRY_CASES], ids=[c[0] for c in ENTRY_CASES])
def test_entry_rules(changes: dict[str, Any], field: str, reason: str) -> None:
    with pytest.raises(RecordInvalid, match=reason) as caught:
        validate_entry(dataclasses.replace(ENTRY, **changes))
    assert caught.value.field == field


def test_one_day_validity_and_natural_persons_of_any_region() -> None:
    assert validate_entry(dataclasses.replace(ENTRY, valid_until=ENTRY.valid_from))
    person = dataclasses.replace(ENTRY, subject_kind=SubjectKind.NATURAL_PERSON, subject_id=PERSON.lower())
    assert validate_entry(person).subject_id == PERSON


SOURCE_CASES: list[tuple[str, Any, str, str]] = [
    ("repair of red entry", SourceEntry(dataclasses.replace(ENTRY, list_type=ListType.RED), EntryStatus.REPAIRED, NOW),
     "status", "black-list entries only"),
    ("expiry without end", SourceEntry(ENTRY, EntryStatus.EXPIRED, NOW), "status", "cannot expire"),
    ("status type", SourceEntry(ENTRY, 1, NOW), "status", "EntryStatus"),  # type: ignore[arg-type]
    ("naive update time", SourceEntry(ENTRY, EntryStatus.PUBLISHED, NAIVE), "updated_at", "time zone"),
    ("update time type", SourceEntry(ENTRY, EntryStatus.PUBLISHED, "now"), "updated_at", "date and time"),  # type: ignore[arg-type]
    ("revoked flag", SourceEvaluation(RESULT, "yes", NOW), "revoked", "true or false"),  # type: ignore[arg-type]
]  # fmt: skip


@pytest.mark.parametrize(("source", "field", "reason"), [c[1:] for c in SOURCE_CASES], ids=[c[0] for c in SOURCE_CASES])
def test_source_rules(source: Any, field: str, reason: str) -> None:
    validator = RecordValidator()
    check = validator.source_entry if isinstance(source, SourceEntry) else validator.source_evaluation
    with pytest.raises(RecordInvalid, match=reason) as caught:
        check(source)
    assert caught.value.field == field


def test_lifecycle_statuses_that_are_allowed() -> None:
    validator = RecordValidator()
    ending = dataclasses.replace(ENTRY, valid_until=dt.date(2027, 1, 1))
    for status in EntryStatus:
        assert validator.source_entry(SourceEntry(ending, status, NOW)).status is status


EVALUATION_CASES: list[tuple[str, dict[str, Any], str, str]] = [
    ("scheme of another province", {"scheme_id": 3301, "grade": "优"}, "scheme_id", "scheme of zj, not of js"),
    ("unknown scheme", {"scheme_id": 9999}, "scheme_id", "not a known"),
    ("grade outside scheme", {"grade": "A"}, "grade", "绿/蓝/黄/红/黑"),
    ("ends before evaluation", {"valid_until": dt.date(2026, 1, 4)}, "valid_until", "before evaluated_on"),
    ("uscc of another province", {"subject_id": ENTRY.subject_id}, "subject_id", "not in Jiangsu"),
    ("blank name", {"subject_name": ""}, "subject_name", "empty"),
    ("bad local id", {"local_id": "JS PJ"}, "local_id", "1-32"),
]


@pytest.mark.parametrize(
    ("changes", "field", "reason"), [c[1:] for c in EVALUATION_CASES], ids=[c[0] for c in EVALUATION_CASES]
)
def test_evaluation_rules(changes: dict[str, Any], field: str, reason: str) -> None:
    with pytest.raises(RecordInvalid, match=reason) as caught:
        validate_evaluation(dataclasses.replace(RESULT, **changes))
    assert caught.value.field == field


def test_record_invalid_renders_one_located_line() -> None:
    error = RecordInvalid("subject_id", "check character is 'M', expected 'L'", raw="91110000600037341M")
    located = error.at(source="zj-entries.xml", location="line 17")
    assert str(located) == (
        "zj-entries.xml: line 17: subject_id: check character is 'M', expected 'L' (found '91110000600037341M')"
    )
    assert "\n" not in str(RecordInvalid("reason", "x", raw="a\nb" * 100))
    assert str(error).startswith("subject_id: ")
