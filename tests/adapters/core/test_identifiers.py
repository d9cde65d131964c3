"""USCC (GB 32100-2015) and resident identity number (GB 11643) checks."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from stdnum.cn import ric as stdnum_ric
from stdnum.cn import uscc as stdnum_uscc

import adapters.core
from adapters.core.errors import RecordInvalid
from adapters.core.identifiers import IdentifierChecker, uscc_check_character, validate_ric, validate_uscc
from adapters.synthetic import make_ric, make_uscc, org_code_check_char, ric_check_char

ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
VALID = "91110000600037341L"  # stdnum's own example


def test_validate_uscc_is_public_and_normalises() -> None:
    assert adapters.core.validate_uscc(" 91110000600037341l\t") == VALID


@pytest.mark.parametrize(
    ("code", "reason"),
    [
        ("91110000600037341", "18 characters, not 17"),
        ("91110000600037341LL", "18 characters, not 19"),
        ("9111000060003734IL", "letters I are not used"),
        ("911100006000373O1L", "letters O are not used"),
        ("91110000S00037341L", "letters S are not used"),
        ("91110000V00037341L", "letters V are not used"),
        ("91110000Z00037341L", "letters Z are not used"),
        ("9A110000600037341L", "characters 1-8 of a USCC must be digits"),
        ("91110000600037341M", "check character is 'M', expected 'L'"),
        ("91110000-00037341L", "characters 9-18"),
    ],
)
def test_validate_uscc_refusals_say_why(code: str, reason: str) -> None:
    with pytest.raises(RecordInvalid, match=reason) as caught:
        validate_uscc(code, field="authority_uscc")
    assert caught.value.field == "authority_uscc"
    assert caught.value.raw == code


def test_validate_uscc_refuses_non_text() -> None:
    with pytest.raises(RecordInvalid, match="text"):
        validate_uscc(91110000600037341)  # type: ignore[arg-type]


@settings(max_examples=500)
@given(st.text("0123456789", min_size=8, max_size=8), st.text(ALPHABET, min_size=9, max_size=9))
def test_check_character_equals_stdnum(head: str, tail: str) -> None:
    first17 = head + tail
    assert uscc_check_character(first17) == stdnum_uscc.calc_check_digit(first17)
    code = first17 + uscc_check_character(first17)
    assert validate_uscc(code) == stdnum_uscc.validate(code)


@given(st.text(ALPHABET, min_size=8, max_size=8))
def test_synthetic_organisation_codes_follow_gb_11714(body: str) -> None:
    weights = (3, 7, 9, 10, 5, 8, 4, 2)
    check = 11 - sum(int(c, 36) * w for c, w in zip(body, weights, strict=True)) % 11
    assert org_code_check_char(body) == {10: "X", 11: "0"}.get(check, str(check))
    assert stdnum_uscc.is_valid(make_uscc("91", "330106", body))


def test_known_organisation_code() -> None:
    # characters 9-17 of stdnum's example USCC are a GB 11714 code with its check digit
    assert org_code_check_char(VALID[8:16]) == VALID[16]


@settings(max_examples=300)
@given(st.dates(dt.date(1930, 1, 1), dt.date(2020, 12, 31)), st.integers(0, 999))
def test_ric_construction_and_check_equal_stdnum(born: dt.date, sequence: int) -> None:
    number = make_ric("310104", born, sequence)
    assert ric_check_char(number[:17]) == stdnum_ric.calc_check_digit(number)
    assert validate_ric(number.lower()) == stdnum_ric.validate(number)
    assert IdentifierChecker().ric(number, "subject_id") == number


@pytest.mark.parametrize(
    ("number", "reason"),
    [
        ("11010519491231002", "18 characters, not 17"),
        ("11010519491231002Y", "17 digits and a digit or X"),
        ("110105194912310021", "check character is '1', expected 'X'"),
        (make_ric("310104", dt.date(1990, 1, 1), 1)[:10] + "0230" + "0015", "check character"),
        ("999999199001010000", "check character"),
    ],
)
def test_validate_ric_refusals(number: str, reason: str) -> None:
    with pytest.raises(RecordInvalid, match=reason):
        validate_ric(number)


def test_ric_birth_date_and_region_are_checked() -> None:
    first17 = "31010419900230001"
    with pytest.raises(RecordInvalid, match="19900230 is not a calendar date"):
        validate_ric(first17 + ric_check_char(first17))
    first17 = "99999919900101001"
    with pytest.raises(RecordInvalid, match="address code 999999"):
        validate_ric(first17 + ric_check_char(first17))
    # 320102 (玄武区) exists from 1983 only
    early, late = "32010219700101001", "32010219900101001"
    with pytest.raises(RecordInvalid, match="did not exist in birth year 1970"):
        IdentifierChecker().ric(early + ric_check_char(early), "subject_id")
    assert IdentifierChecker().ric(late + ric_check_char(late), "subject_id").startswith(late)


@settings(max_examples=300)
@given(st.sampled_from(["310104", "320102", "330106", "340202", "110105", "320103", "999999", "330000"]),
       st.dates(dt.date(1940, 1, 1), dt.date(2020, 12, 31)), st.integers(0, 999))  # fmt: skip
def test_checker_memo_agrees_with_stdnum(region: str, born: dt.date, sequence: int) -> None:
    number = make_ric(region, born, sequence)
    checker = IdentifierChecker()
    for _ in range(2):  # second pass hits the memo
        try:
            checker.ric(number, "subject_id")
            ours = True
        except RecordInvalid:
            ours = False
        assert ours == stdnum_ric.is_valid(number)
