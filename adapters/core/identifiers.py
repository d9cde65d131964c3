"""Unified social credit codes (GB 32100-2015) and resident identity numbers (GB 11643).

Resident identity numbers are checked by python-stdnum (``stdnum.cn.ric``: MOD 11-2 check
digit, and the address-code table for the birth year). The USCC check character is computed
here with a lookup table, because ``stdnum.cn.uscc.calc_check_digit`` costs a fifth of the
whole per-record budget of a reader; the property tests hold it equal to stdnum's for every
code. This module adds the shape rules stdnum leaves open, normalisation, readable refusals,
and a memo (``IdentifierChecker``) so that a stream in which one authority appears a million
times pays for each distinct code once.
"""

from __future__ import annotations

import datetime as dt
import functools
import re

from stdnum import numdb
from stdnum.cn import ric as _ric
from stdnum.exceptions import ValidationError

from adapters.core.errors import RecordInvalid

# GB 32100-2015 §4: registration authority (digit or letter), entity type, 6-digit region,
# 9-character organisation code, check character; letters I, O, S, V, Z are never used.
# stdnum accepts only a digit as registration authority, as do all codes issued so far.
_USCC_SHAPE = re.compile(r"[0-9][0-9][0-9]{6}[0-9A-HJ-NPQRTUWXY]{10}")
_RIC_SHAPE = re.compile(r"[0-9]{17}[0-9X]")
_MEMO_LIMIT = 50_000
_USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
# value of each character times each position's weight, summed per position by the check
_USCC_TERMS = tuple({c: i * w for i, c in enumerate(_USCC_ALPHABET)} for w in _USCC_WEIGHTS)


def uscc_check_character(first17: str) -> str:
    """GB 32100-2015 check character of the first 17 characters (weights 3**i mod 31)."""
    t = _USCC_TERMS
    total = (
        t[0][first17[0]]
        + t[1][first17[1]]
        + t[2][first17[2]]
        + t[3][first17[3]]
        + t[4][first17[4]]
        + t[5][first17[5]]
        + t[6][first17[6]]
        + t[7][first17[7]]
        + t[8][first17[8]]
        + t[9][first17[9]]
        + t[10][first17[10]]
        + t[11][first17[11]]
        + t[12][first17[12]]
        + t[13][first17[13]]
        + t[14][first17[14]]
        + t[15][first17[15]]
        + t[16][first17[16]]
    )
    return _USCC_ALPHABET[-total % 31]


def validate_uscc(code: str, *, field: str = "uscc") -> str:
    """Return ``code`` normalised (stripped, upper-case) if it is a valid USCC (GB 32100-2015).

    Raises ``RecordInvalid`` naming ``field`` and the reason otherwise.
    """
    normalised = code.strip().upper() if isinstance(code, str) else code
    if not isinstance(normalised, str):
        raise RecordInvalid(field, "expected a text value", raw=code)
    if len(normalised) != 18:
        raise RecordInvalid(field, f"a USCC has 18 characters, not {len(normalised)}", raw=code)
    if not _USCC_SHAPE.fullmatch(normalised):
        bad = sorted({c for c in normalised[8:] if c in "IOSVZ"})
        if bad:
            reason = f"letters {', '.join(bad)} are not used in a USCC (GB 32100-2015)"
        elif not normalised[:8].isdigit():
            reason = "characters 1-8 of a USCC must be digits"
        else:
            reason = "characters 9-18 must be digits or letters of the GB 32100-2015 set"
        raise RecordInvalid(field, reason, raw=code)
    expected = uscc_check_character(normalised)
    if normalised[17] != expected:
        raise RecordInvalid(field, f"check character is {normalised[17]!r}, expected {expected!r}", raw=code)
    return normalised


def validate_ric(number: str, *, field: str = "ric") -> str:
    """Return ``number`` normalised if it is a valid 18-digit resident identity number.

    GB 11643-1999: 6-digit address code that existed in the birth year, birth date
    ``YYYYMMDD``, sequence, ISO 7064 MOD 11-2 check character (``X`` for 10).
    """
    normalised = number.strip().upper() if isinstance(number, str) else number
    if not isinstance(normalised, str):
        raise RecordInvalid(field, "expected a text value", raw=number)
    _check_ric_shape(normalised, field, number)
    _check_ric_birth_date(normalised, field, number)
    _check_ric_region(normalised, field, number)
    return normalised


def uscc_province_code(code: str) -> int:
    """GB/T 2260 province prefix of the registering region (USCC characters 3-4)."""
    return int(code[2:4])


def ric_birth_date(number: str) -> dt.date:
    """Birth date of a valid resident identity number."""
    return dt.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))


class IdentifierChecker:
    """``validate_uscc`` and ``validate_ric`` with a memo of codes already seen.

    One checker serves one stream; the memo holds at most 50,000 codes (a few MB) and is
    cleared when full. Only successes are remembered, so every bad code is re-examined and
    reported with its own reason. The address-code table is consulted once per address code
    and process (``_region_years``), whichever checker asks.
    """

    def __init__(self) -> None:
        self._uscc: set[str] = set()

    def uscc(self, code: str, field: str) -> str:
        if code in self._uscc:
            return code
        normalised = validate_uscc(code, field=field)
        if len(self._uscc) >= _MEMO_LIMIT:
            self._uscc.clear()
        self._uscc.add(normalised)
        return normalised

    def ric(self, number: str, field: str) -> str:
        normalised = number.strip().upper()
        _check_ric_shape(normalised, field, number)
        _check_ric_birth_date(normalised, field, number)
        year = int(normalised[6:10])
        for start, end in _region_years(normalised[:6]):
            if start <= year <= end:
                return normalised
        # not found: let stdnum decide and word the refusal
        _check_ric_region(normalised, field, number)
        return normalised


@functools.lru_cache(maxsize=8192)
def _region_years(region: str) -> tuple[tuple[int, int], ...]:
    """Years in which GB/T 2260 address code ``region`` existed, from stdnum's table (the
    rule of ``stdnum.cn.ric.get_birth_place``). The table has a few thousand codes: all fit
    the cache."""
    results = numdb.get("cn/loc").info(region)
    info = {k: v for _, props in results for k, v in props.items()}
    ranges: list[tuple[int, int]] = []
    for county in info.get("county", "").split(",") if info else ():
        if not county.startswith("["):
            return ((0, 9999),)
        start, end = county[1:].split("]")[0].split("-")
        ranges.append((int(start) if start else 0, int(end) if end else 9999))
    return tuple(ranges)


def _check_ric_shape(normalised: str, field: str, raw: str) -> None:
    if len(normalised) != 18:
        raise RecordInvalid(field, f"a resident identity number has 18 characters, not {len(normalised)}", raw=raw)
    if not _RIC_SHAPE.fullmatch(normalised):
        raise RecordInvalid(field, "expected 17 digits and a digit or X", raw=raw)
    expected = _ric.calc_check_digit(normalised)
    if normalised[17] != expected:
        raise RecordInvalid(
            field,
            f"ISO 7064 MOD 11-2 check character is {normalised[17]!r}, expected {expected!r}",
            raw=raw,
        )


def _check_ric_birth_date(normalised: str, field: str, raw: str) -> None:
    try:
        born = ric_birth_date(normalised)
    except ValueError:
        raise RecordInvalid(field, f"birth date {normalised[6:14]} is not a calendar date", raw=raw) from None
    if born.year < 1900:
        raise RecordInvalid(field, f"birth year {born.year} is before 1900", raw=raw)


def _check_ric_region(normalised: str, field: str, raw: str) -> None:
    try:
        _ric.get_birth_place(normalised)
    except ValidationError:
        raise RecordInvalid(
            field,
            f"address code {normalised[:6]} did not exist in birth year {normalised[6:10]}",
            raw=raw,
        ) from None
