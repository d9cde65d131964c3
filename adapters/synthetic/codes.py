"""Identifiers of synthetic subjects: the four provinces' county-level region codes, and USCCs
and resident identity numbers built with their check characters."""

from __future__ import annotations

import datetime as dt

from adapters.core.identifiers import uscc_check_character
from adapters.core.model import (
    SubjectKind,
)
from adapters.core.provinces import Province

# County-level codes (GB/T 2260) in use since 1990 or earlier, with the city they belong to.
REGIONS: dict[Province, tuple[tuple[str, str], ...]] = {
    Province.SH: (
        ("310101", "上海"),
        ("310104", "上海"),
        ("310105", "上海"),
        ("310106", "上海"),
        ("310107", "上海"),
        ("310109", "上海"),
        ("310110", "上海"),
        ("310112", "上海"),
        ("310113", "上海"),
    ),
    Province.JS: (
        ("320102", "南京"),
        ("320104", "南京"),
        ("320105", "南京"),
        ("320106", "南京"),
        ("320113", "南京"),
        ("320281", "江阴"),
        ("320282", "宜兴"),
        ("320302", "徐州"),
        ("320402", "常州"),
        ("320581", "常熟"),
        ("320582", "张家港"),
        ("320583", "昆山"),
        ("320681", "启东"),
        ("320706", "连云港"),
        ("321002", "扬州"),
        ("321181", "丹阳"),
    ),
    Province.ZJ: (
        ("330102", "杭州"),
        ("330105", "杭州"),
        ("330106", "杭州"),
        ("330203", "宁波"),
        ("330205", "宁波"),
        ("330281", "余姚"),
        ("330282", "慈溪"),
        ("330303", "温州"),
        ("330381", "瑞安"),
        ("330481", "海宁"),
        ("330602", "绍兴"),
        ("330681", "诸暨"),
        ("330702", "金华"),
        ("330782", "义乌"),
        ("330783", "东阳"),
        ("330902", "舟山"),
    ),
    Province.AH: (
        ("340202", "芜湖"),
        ("340207", "芜湖"),
        ("340402", "淮南"),
        ("340403", "淮南"),
        ("340503", "马鞍山"),
        ("340504", "马鞍山"),
        ("340602", "淮北"),
        ("340603", "淮北"),
        ("340711", "铜陵"),
        ("340802", "安庆"),
        ("340803", "安庆"),
        ("341002", "黄山"),
        ("341004", "黄山"),
    ),
}
# Address codes valid for every birth year, for people born before the districts above.
OLD_REGIONS = ("310101", "310104", "310105", "310106", "310107", "310109", "310110")

USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
ORG_BODY = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_ORG_VALUE = {c: int(c, 36) for c in ORG_BODY}

USCC_PREFIX = {
    SubjectKind.LEGAL_PERSON: ("91",),
    SubjectKind.INDIVIDUAL_BUSINESS: ("92",),
    SubjectKind.SOCIAL_ORGANISATION: ("51", "52", "53"),
    SubjectKind.PUBLIC_INSTITUTION: ("12",),
    SubjectKind.GOVERNMENT_BODY: ("11",),
}


def uscc_check_char(first17: str) -> str:
    """GB 32100-2015 check character (the tests hold it equal to stdnum's)."""
    return uscc_check_character(first17)


def org_code_check_char(body8: str) -> str:
    """GB 11714-1997 organisation code check character (USCC characters 9-17)."""
    v = _ORG_VALUE
    total = (
        v[body8[0]] * 3
        + v[body8[1]] * 7
        + v[body8[2]] * 9
        + v[body8[3]] * 10
        + v[body8[4]] * 5
        + v[body8[5]] * 8
        + v[body8[6]] * 4
        + v[body8[7]] * 2
    )
    check = 11 - total % 11
    return "X" if check == 10 else "0" if check == 11 else str(check)


def ric_check_char(first17: str) -> str:
    """ISO 7064 MOD 11-2 check character of GB 11643 (weights 2**(17-i) mod 11)."""
    check = (1 - 2 * int(first17, 13)) % 11
    return "X" if check == 10 else str(check)


def make_uscc(prefix: str, region: str, body8: str) -> str:
    first17 = prefix + region + body8 + org_code_check_char(body8)
    return first17 + uscc_check_character(first17)


def make_ric(region: str, born: dt.date, sequence: int) -> str:
    first17 = f"{region}{born.year:04d}{born.month:02d}{born.day:02d}{sequence:03d}"
    return first17 + ric_check_char(first17)
