"""Realistic synthetic exports for development, tests and benchmarks (never real data).

``Synthesizer`` makes valid records for one province, deterministically from a seed:
USCCs with the province's region codes and correct GB 11714 / GB 32100-2015 check
characters, resident identity numbers with address codes that existed in the birth year and
ISO 7064 MOD 11-2 check digits, Chinese names, reasons and legal bases per domain, and
authorities that recur as on a real platform. ``generate`` streams a whole export in a
province's dialect with a share of invalid records of every class in ``INVALID_CLASSES``;
``generate_deltas`` reads an earlier export and writes a later one: amendments, objections
opened and resolved, credit repair (black list only), expiry, revocation and new records.
Memory stays bounded: records are made, corrupted and written one at a time.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import IO, Any, Literal

from adapters.core.grades import SCHEME_OF_PROVINCE
from adapters.core.identifiers import uscc_check_character
from adapters.core.model import (
    CHINA_TZ,
    RECOGNITION_DOMAINS,
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

ExportKind = Literal["entries", "evaluations"]
AS_OF = dt.date(2026, 6, 30)

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
_OLD_REGIONS = ("310101", "310104", "310105", "310106", "310107", "310109", "310110")

_USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_ORG_BODY = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_ORG_VALUE = {c: int(c, 36) for c in _ORG_BODY}

_SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡"
    "余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯"
    "龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
)
_GIVEN = (
    "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红鹏飞建国志强海燕晓东"
    "文斌雪梅宁浩然子轩欣怡梓涵俊杰佳琪一诺雨桐思远嘉怡"
)
_TRADE = "华信达昌盛泰恒瑞丰源鑫宏润通宇博远景明德安新锦汇隆祥和荣嘉创智联诚晟欣卓越众邦"
_INDUSTRIES = (
    "科技",
    "贸易",
    "建设工程",
    "环保科技",
    "食品",
    "医药",
    "物流",
    "机械制造",
    "电子",
    "纺织",
    "化工",
    "旅游开发",
    "餐饮管理",
    "生物科技",
    "建材",
    "服装",
)
_FORMS = ("有限公司", "股份有限公司", "有限责任公司")
_SHOPS = ("便利店", "餐馆", "五金店", "副食品商行", "汽车修理部", "服装店", "药房")
_SOCIAL = ("行业协会", "商会", "慈善基金会", "民办学校", "养老服务中心")
_INSTITUTIONS = ("疾病预防控制中心", "检验检测中心", "人民医院", "职业技术学院", "公共资源交易中心")
_GOVERNMENT = ("街道办事处", "镇人民政府", "交通运输局", "住房和城乡建设局")

_AUTHORITIES: dict[Domain, str] = {
    Domain.MARKET_SUPERVISION: "市场监督管理局",
    Domain.TAXATION: "税务局",
    Domain.ECOLOGY: "生态环境局",
    Domain.TOURISM: "文化广电和旅游局",
    Domain.FOOD_AND_DRUGS: "市场监督管理局",
    Domain.PRODUCT_QUALITY: "市场监督管理局",
    Domain.WORK_SAFETY: "应急管理局",
    Domain.TRANSPORT: "交通运输局",
    Domain.LABOUR: "人力资源和社会保障局",
    Domain.COURT_ENFORCEMENT: "中级人民法院",
    Domain.CUSTOMS: "海关",
    Domain.FINANCE: "金融工作局",
}
_BLACK: dict[Domain, tuple[tuple[str, str], ...]] = {
    Domain.MARKET_SUPERVISION: (
        (
            "提交虚假材料取得企业登记，情节严重",
            "《市场监督管理严重违法失信名单管理办法》第二条",
        ),
        (
            "因同一违法行为两年内受到三次以上行政处罚",
            "《市场监督管理严重违法失信名单管理办法》第九条",
        ),
    ),
    Domain.TAXATION: (
        (
            "虚开增值税专用发票，属重大税收违法失信案件",
            "《重大税收违法失信主体信息公布管理办法》第六条",
        ),
        (
            "欠缴税款五十万元以上且经催告仍未缴纳",
            "《中华人民共和国税收征收管理法》第六十八条",
        ),
    ),
    Domain.ECOLOGY: (
        (
            "超标排放水污染物，拒不改正",
            "《中华人民共和国环境保护法》第六十三条",
        ),
        (
            "未批先建，擅自开工建设且拒不停止",
            "《中华人民共和国环境影响评价法》第三十一条",
        ),
    ),
    Domain.TOURISM: (
        (
            "未经许可经营旅行社业务，情节严重",
            "《旅游市场黑名单管理办法》第五条",
        ),
    ),
    Domain.FOOD_AND_DRUGS: (
        (
            "生产经营不符合食品安全标准的食品，情节严重",
            "《中华人民共和国食品安全法》第一百二十三条",
        ),
        (
            "销售假药",
            "《中华人民共和国药品管理法》第一百一十六条",
        ),
    ),
    Domain.PRODUCT_QUALITY: (
        (
            "生产销售不合格产品，以次充好",
            "《中华人民共和国产品质量法》第五十条",
        ),
    ),
    Domain.WORK_SAFETY: (
        (
            "发生较大生产安全责任事故",
            "《安全生产严重失信主体名单管理办法》第五条",
        ),
    ),
    Domain.TRANSPORT: (
        (
            "道路运输经营中严重违法，被吊销经营许可",
            "《交通运输部关于加强交通运输行业信用体系建设的若干意见》",
        ),
    ),
    Domain.LABOUR: (
        (
            "拖欠农民工工资数额较大，经责令仍不支付",
            "《拖欠农民工工资失信联合惩戒对象名单管理暂行办法》第五条",
        ),
    ),
    Domain.COURT_ENFORCEMENT: (
        (
            "有履行能力而拒不履行生效法律文书确定义务",
            "《最高人民法院关于公布失信被执行人名单信息的若干规定》第一条",
        ),
    ),
    Domain.CUSTOMS: (
        (
            "走私违法，被海关认定为失信企业",
            "《中华人民共和国海关注册登记和备案企业信用管理办法》第十二条",
        ),
    ),
    Domain.FINANCE: (
        (
            "以非法占有为目的骗取贷款",
            "《社会信用体系建设规划纲要》",
        ),
    ),
}
_RED: dict[Domain, tuple[str, str]] = {
    Domain.MARKET_SUPERVISION: (
        "守合同重信用企业",
        "《守合同重信用企业公示活动管理办法》",
    ),
    Domain.TAXATION: (
        "纳税信用A级纳税人",
        "《纳税信用管理办法（试行）》第二十九条",
    ),
    Domain.ECOLOGY: (
        "环境信用评价为环保诚信企业",
        "《企业环境信用评价办法（试行）》第二十条",
    ),
    Domain.TOURISM: (
        "旅游诚信经营示范单位",
        "《旅游市场信用管理办法》",
    ),
    Domain.FOOD_AND_DRUGS: (
        "食品安全示范企业",
        "《中华人民共和国食品安全法》第十三条",
    ),
    Domain.PRODUCT_QUALITY: (
        "质量诚信示范企业",
        "《中华人民共和国产品质量法》第六条",
    ),
    Domain.WORK_SAFETY: (
        "安全生产标准化一级企业",
        "《企业安全生产标准化建设定级办法》",
    ),
    Domain.TRANSPORT: (
        "道路运输诚信考核AAA级企业",
        "《道路运输企业质量信誉考核办法》",
    ),
    Domain.LABOUR: (
        "劳动保障守法诚信A级用人单位",
        "《企业劳动保障守法诚信等级评价办法》",
    ),
    Domain.COURT_ENFORCEMENT: (
        "主动履行生效裁判义务的诚信主体",
        "《关于在执行工作中进一步强化善意文明执行理念的意见》",
    ),
    Domain.CUSTOMS: (
        "海关高级认证企业",
        "《中华人民共和国海关注册登记和备案企业信用管理办法》第七条",
    ),
    Domain.FINANCE: (
        "守信激励对象",
        "《关于建立完善守信联合激励和失信联合惩戒制度的指导意见》",
    ),
}
_DOMAIN_WEIGHTS = (14, 12, 12, 5, 10, 8, 8, 7, 8, 12, 2, 2)
_KIND_WEIGHTS = (
    (SubjectKind.LEGAL_PERSON, 56),
    (SubjectKind.INDIVIDUAL_BUSINESS, 14),
    (SubjectKind.NATURAL_PERSON, 20),
    (SubjectKind.SOCIAL_ORGANISATION, 4),
    (SubjectKind.PUBLIC_INSTITUTION, 3),
    (SubjectKind.GOVERNMENT_BODY, 3),
)
_EVAL_KIND_WEIGHTS = (
    (SubjectKind.LEGAL_PERSON, 65),
    (SubjectKind.INDIVIDUAL_BUSINESS, 20),
    (SubjectKind.SOCIAL_ORGANISATION, 5),
    (SubjectKind.NATURAL_PERSON, 10),
)
_USCC_PREFIX = {
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


def _weighted(pairs: tuple[tuple[Any, int], ...]) -> tuple[Any, ...]:
    """A table in which each item appears as often as its weight: pick uniformly from it."""
    return tuple(item for item, weight in pairs for _ in range(weight))


_DOMAIN_TABLE: tuple[Domain, ...] = _weighted(tuple(zip(Domain, _DOMAIN_WEIGHTS, strict=True)))
_KIND_TABLE: tuple[SubjectKind, ...] = _weighted(_KIND_WEIGHTS)
_EVAL_KIND_TABLE: tuple[SubjectKind, ...] = _weighted(_EVAL_KIND_WEIGHTS)
_ALL_REGIONS: tuple[str, ...] = tuple(code for regions in REGIONS.values() for code, _ in regions)
_BIRTH_START = dt.date(1955, 1, 1)


@dataclass(frozen=True, slots=True)
class _Subject:
    kind: SubjectKind
    name: str
    subject_id: str


class Synthesizer:
    """Deterministic valid records of one province. ``sample`` keeps validity current for
    years after 2026 (bundled samples); otherwise dates spread over the five years before
    ``as_of`` and some entries have expired. A share of natural persons is drawn from a pool
    that synthesizers of every province with the same seed share, so that one person appears
    on several provinces' lists."""

    def __init__(
        self,
        province: Province,
        *,
        seed: int = 0,
        as_of: dt.date = AS_OF,
        sample: bool = False,
        shared_people: int = 64,
        shared_share: float = 0.2,
    ) -> None:
        self.province = province
        self.as_of = as_of
        self.sample = sample
        self.rng = random.Random(  # noqa: S311 - synthetic data, not secrets
            f"{province.value}:{seed}"
        )
        self._shared = random.Random(  # noqa: S311 - synthetic data, not secrets
            f"shared-persons:{seed}"
        )
        self._regions = REGIONS[province]
        self._authorities: dict[tuple[str, Domain], tuple[str, str]] = {}
        self._people: list[_Subject] = [self._person(self._shared) for _ in range(shared_people)]
        self._shared_share = shared_share
        self._prefix = province.value.upper()
        self._as_of_ordinal = as_of.toordinal()
        self._five_years_before = as_of - dt.timedelta(days=5 * 365)
        self._scheme = SCHEME_OF_PROVINCE[province]
        self._grades = _weighted(tuple(zip(self._scheme.grades, (40, 30, 15, 10, 5), strict=False)))

    # -- subjects --------------------------------------------------------------------

    def _person(self, rng: random.Random) -> _Subject:
        r = rng.random
        born = _BIRTH_START + dt.timedelta(days=int(r() * 50 * 365))
        regions = _OLD_REGIONS if born.year < 1991 else _ALL_REGIONS
        region = regions[int(r() * len(regions))]
        given = _GIVEN[int(r() * len(_GIVEN))]
        if r() < 0.6:
            given += _GIVEN[int(r() * len(_GIVEN))]
        name = _SURNAMES[int(r() * len(_SURNAMES))] + given
        return _Subject(SubjectKind.NATURAL_PERSON, name, make_ric(region, born, int(r() * 1000)))

    def subject(self, kind: SubjectKind) -> _Subject:
        r = self.rng.random
        if kind is SubjectKind.NATURAL_PERSON:
            # some natural persons come from a pool shared by all provinces (same seed)
            if r() < self._shared_share:
                return self._people[int(r() * len(self._people))]
            return self._person(self.rng)
        region, city = self._regions[int(r() * len(self._regions))]
        trade = _TRADE[int(r() * len(_TRADE))] + _TRADE[int(r() * len(_TRADE))]
        if kind is SubjectKind.LEGAL_PERSON:
            name = city + trade + _INDUSTRIES[int(r() * len(_INDUSTRIES))] + _FORMS[int(r() * len(_FORMS))]
        elif kind is SubjectKind.INDIVIDUAL_BUSINESS:
            name = city + "市" + trade + _SHOPS[int(r() * len(_SHOPS))]
        elif kind is SubjectKind.SOCIAL_ORGANISATION:
            name = city + "市" + trade + _SOCIAL[int(r() * len(_SOCIAL))]
        elif kind is SubjectKind.PUBLIC_INSTITUTION:
            name = city + "市" + _INSTITUTIONS[int(r() * len(_INSTITUTIONS))]
        else:
            name = city + "市" + trade + _GOVERNMENT[int(r() * len(_GOVERNMENT))]
        number = int(r() * 1_000_000)
        if r() < 0.5:
            body = f"{int(r() * 100_000_000):08d}"
        else:  # codes issued since 2015: MA + 6 characters
            a, n = _ORG_BODY, len(_ORG_BODY)
            body = "MA" + f"{number:04d}"[-4:] + a[int(r() * n)] + a[int(r() * n)]
        prefixes = _USCC_PREFIX[kind]
        return _Subject(kind, name, make_uscc(prefixes[int(r() * len(prefixes))], region, body))

    def authority(self, domain: Domain) -> tuple[str, str]:
        region, city = self._regions[int(self.rng.random() * len(self._regions))]
        key = (city, domain)
        found = self._authorities.get(key)
        if found is None:
            rng = random.Random(  # noqa: S311 - synthetic data, not secrets
                f"authority:{region}:{domain.value}"
            )
            body = "".join(rng.choices(_ORG_BODY, k=8))
            found = self._authorities[key] = (f"{city}市{_AUTHORITIES[domain]}", make_uscc("11", region, body))
        return found

    # -- records -----------------------------------------------------------------------

    def _day(self, low: dt.date, high: dt.date) -> dt.date:
        start = low.toordinal()
        return dt.date.fromordinal(start + int(self.rng.random() * max(1, high.toordinal() - start)))

    def _updated(self, day: dt.date) -> dt.datetime:
        seconds = 8 * 3600 + int(self.rng.random() * 11 * 3600)
        hour, rest = divmod(seconds, 3600)
        return dt.datetime(day.year, day.month, day.day, hour, rest // 60, rest % 60, tzinfo=CHINA_TZ)

    def entry(self, index: int) -> SourceEntry:
        r = self.rng.random
        list_type = ListType.RED if r() < 0.35 else ListType.BLACK
        domain = _DOMAIN_TABLE[int(r() * len(_DOMAIN_TABLE))]
        kind = _KIND_TABLE[int(r() * len(_KIND_TABLE))]
        subject = self.subject(kind)
        if list_type is ListType.RED:
            reason, basis = _RED[domain]
        else:
            reasons = _BLACK[domain]
            reason, basis = reasons[int(r() * len(reasons))]
        authority_name, authority_uscc = self.authority(domain)
        if self.sample:
            decided_on = self._day(dt.date(2024, 1, 1), dt.date(2026, 3, 1))
        else:
            decided_on = self._day(self._five_years_before, self.as_of)
        valid_from = dt.date.fromordinal(decided_on.toordinal() + int(r() * 10))
        if r() < 0.3:
            valid_until = None
        elif self.sample:
            valid_until = self._day(dt.date(2029, 1, 1), dt.date(2031, 12, 31))
        else:
            valid_until = dt.date.fromordinal(valid_from.toordinal() + 365 * (1 + int(r() * 5)) - 1)
        status = EntryStatus.PUBLISHED
        roll = r()
        if valid_until is not None and valid_until < self.as_of:
            status = EntryStatus.EXPIRED
        elif roll < 0.04:
            status = EntryStatus.DISPUTED
        elif roll < 0.08:
            status = EntryStatus.AMENDED
        elif roll < 0.10 and not self.sample:
            status = EntryStatus.REPAIRED if list_type is ListType.BLACK else EntryStatus.REVOKED
        entry = ListEntry(
            self.province,
            f"{self._prefix}{decided_on.year}{'R' if list_type is ListType.RED else 'B'}{index:08d}",
            list_type,
            domain,
            kind,
            subject.name,
            subject.subject_id,
            reason,
            basis,
            authority_name,
            authority_uscc,
            decided_on,
            valid_from,
            valid_until,
        )
        touched = dt.date.fromordinal(min(self._as_of_ordinal, valid_from.toordinal() + 3))
        return SourceEntry(entry, status, self._updated(touched))

    def evaluation(self, index: int) -> SourceEvaluation:
        r = self.rng.random
        scheme = self._scheme
        domain = RECOGNITION_DOMAINS[int(r() * len(RECOGNITION_DOMAINS))]
        kind = _EVAL_KIND_TABLE[int(r() * len(_EVAL_KIND_TABLE))]
        subject = self.subject(kind)
        grade = self._grades[int(r() * len(self._grades))]
        if self.sample:
            evaluated_on = self._day(dt.date(2025, 6, 1), dt.date(2026, 3, 1))
            valid_until: dt.date | None = self._day(dt.date(2029, 1, 1), dt.date(2031, 12, 31))
        else:
            evaluated_on = self._day(self.as_of - dt.timedelta(days=3 * 365), self.as_of)
            valid_until = evaluated_on + dt.timedelta(days=365 * (1 + int(r() * 3)) - 1)
        if r() < 0.15:
            valid_until = None
        result = EvaluationResult(
            self.province,
            f"{self._prefix}PJ{evaluated_on.year}{index:08d}",
            kind,
            subject.name,
            subject.subject_id,
            domain,
            scheme.scheme_id,
            grade,
            evaluated_on,
            valid_until,
        )
        revoked = not self.sample and r() < 0.02
        return SourceEvaluation(result, revoked, self._updated(min(self.as_of, evaluated_on + dt.timedelta(days=1))))

    def other_province(self) -> Province:
        return self.rng.choice([p for p in Province if p is not self.province])

    def foreign_uscc(self, prefix: str = "91") -> str:
        region = self.rng.choice(REGIONS[self.other_province()])[0]
        return make_uscc(prefix, region, "".join(self.rng.choices(_ORG_BODY, k=8)))


# --- invalid records ---------------------------------------------------------------------

Mutation = Callable[[Synthesizer, Any], Any]


@dataclass(frozen=True, slots=True)
class InvalidClass:
    """One way to break a record: the field a reader must name when refusing it; ``record``
    mutates the model record, ``native`` (if set) replaces the field's native value."""

    name: str
    field: str
    kinds: tuple[ExportKind, ...]
    record: Mutation | None = None
    native: object = None
    applies: Callable[[Any], bool] = lambda _: True
    provinces: tuple[Province, ...] | None = None  # the dialects that can carry it (None: all)

    def carried_by(self, province: Province) -> bool:
        """Whether ``province``'s dialect can express a record broken this way."""
        return self.provinces is None or province in self.provinces


def _inner(source: Any) -> Any:
    return source.entry if isinstance(source, SourceEntry) else source.result


def _replace(source: Any, **changes: Any) -> Any:
    if isinstance(source, SourceEntry):
        return dataclasses.replace(source, entry=dataclasses.replace(source.entry, **changes))
    return dataclasses.replace(source, result=dataclasses.replace(source.result, **changes))


def _bad_check(code: str) -> str:
    alphabet = _USCC_ALPHABET if not code[:17].isdigit() or code[17] not in "0123456789X" else "0123456789X"
    return code[:17] + alphabet[(alphabet.index(code[17]) + 1) % len(alphabet)]


def _is_person(source: Any) -> bool:
    return bool(_inner(source).subject_kind is SubjectKind.NATURAL_PERSON)


def _is_organisation(source: Any) -> bool:
    return not _is_person(source)


def _is_red(source: Any) -> bool:
    return isinstance(source, SourceEntry) and source.entry.list_type is ListType.RED


def _has_kind_prefix(source: Any) -> bool:
    """Whether the subject's kind fixes its USCC's leading characters (92, 11, 12, 5)."""
    return _inner(source).subject_kind in _KIND_PREFIXED


def _uscc_of_other_kind(s: Synthesizer, src: Any) -> Any:
    """A well-formed USCC of the same region and organisation, but an enterprise's (91)."""
    first17 = "91" + _inner(src).subject_id[2:17]
    return _replace(src, subject_id=first17 + uscc_check_char(first17))


def _ric_region_too_young(s: Synthesizer, src: Any) -> Any:
    """A well-formed identity number whose address code (Pudong, 310115, created in 1993) did
    not exist in its holder's birth year."""
    return _replace(src, subject_id=make_ric("310115", dt.date(1960, 5, 5), s.rng.randrange(1, 999)))


def _expired_without_end(s: Synthesizer, src: Any) -> Any:
    return dataclasses.replace(_replace(src, valid_until=None), status=EntryStatus.EXPIRED)


def _bad_ric_date(s: Synthesizer, src: Any) -> Any:
    first17 = _inner(src).subject_id[:6] + "19900230" + f"{s.rng.randrange(1000):03d}"
    return _replace(src, subject_id=first17 + ric_check_char(first17))


_KIND_PREFIXED = frozenset(
    {
        SubjectKind.INDIVIDUAL_BUSINESS,
        SubjectKind.GOVERNMENT_BODY,
        SubjectKind.PUBLIC_INSTITUTION,
        SubjectKind.SOCIAL_ORGANISATION,
    }
)
_BOTH: tuple[ExportKind, ...] = ("entries", "evaluations")
_ENTRIES: tuple[ExportKind, ...] = ("entries",)
_EVALUATIONS: tuple[ExportKind, ...] = ("evaluations",)
_GARBAGE = "??"

INVALID_CLASSES: tuple[InvalidClass, ...] = (
    InvalidClass(
        "uscc_check",
        "subject_id",
        _BOTH,
        lambda s, x: _replace(x, subject_id=_bad_check(_inner(x).subject_id)),
        applies=_is_organisation,
    ),
    InvalidClass(
        "uscc_letters",
        "subject_id",
        _BOTH,
        lambda s, x: _replace(x, subject_id=_inner(x).subject_id[:10] + "IO" + _inner(x).subject_id[12:]),
        applies=_is_organisation,
    ),
    InvalidClass(
        "uscc_length",
        "subject_id",
        _BOTH,
        lambda s, x: _replace(x, subject_id=_inner(x).subject_id[:15]),
        applies=_is_organisation,
    ),
    InvalidClass(
        "uscc_other_province",
        "subject_id",
        _BOTH,
        lambda s, x: _replace(x, subject_id=s.foreign_uscc(_inner(x).subject_id[:2])),
        applies=_is_organisation,
    ),
    InvalidClass(
        "ric_check",
        "subject_id",
        _BOTH,
        lambda s, x: _replace(x, subject_id=_bad_check(_inner(x).subject_id)),
        applies=_is_person,
    ),
    InvalidClass("ric_birth_date", "subject_id", _BOTH, _bad_ric_date, applies=_is_person),
    InvalidClass("ric_region_too_young", "subject_id", _BOTH, _ric_region_too_young, applies=_is_person),
    InvalidClass("uscc_of_other_kind", "subject_id", _BOTH, _uscc_of_other_kind, applies=_has_kind_prefix),
    InvalidClass(
        "authority_other_province",
        "authority_uscc",
        _ENTRIES,
        lambda s, x: _replace(x, authority_uscc=s.foreign_uscc("11")),
    ),
    InvalidClass(
        "authority_check",
        "authority_uscc",
        _ENTRIES,
        lambda s, x: _replace(x, authority_uscc=_bad_check(_inner(x).authority_uscc)),
    ),
    InvalidClass(
        "local_id_chars", "local_id", _BOTH, lambda s, x: _replace(x, local_id="编号#" + _inner(x).local_id[:8])
    ),
    InvalidClass(
        "local_id_length", "local_id", _BOTH, lambda s, x: _replace(x, local_id=(_inner(x).local_id * 3)[:40])
    ),
    InvalidClass("empty_name", "subject_name", _BOTH, lambda s, x: _replace(x, subject_name="　 ")),
    InvalidClass(
        "control_character",  # U+009F: one every dialect can carry, XML 1.0 included
        "subject_name",
        _BOTH,
        lambda s, x: _replace(x, subject_name=_inner(x).subject_name[:2] + "\x9f" + _inner(x).subject_name[2:]),
    ),
    InvalidClass("empty_authority", "authority_name", _ENTRIES, lambda s, x: _replace(x, authority_name=" ")),
    InvalidClass("long_reason", "reason", _ENTRIES, lambda s, x: _replace(x, reason="情节严重" * 600)),
    InvalidClass("empty_basis", "legal_basis", _ENTRIES, lambda s, x: _replace(x, legal_basis="")),
    InvalidClass(
        "valid_until_before_from",
        "valid_until",
        _ENTRIES,
        lambda s, x: _replace(x, valid_until=x.entry.valid_from - dt.timedelta(days=30)),
    ),
    InvalidClass(
        "decided_after_valid_from",
        "decided_on",
        _ENTRIES,
        lambda s, x: _replace(x, decided_on=x.entry.valid_from + dt.timedelta(days=7)),
    ),
    InvalidClass(
        "decided_before_1990", "decided_on", _ENTRIES, lambda s, x: _replace(x, decided_on=dt.date(1989, 12, 31))
    ),
    InvalidClass(
        "valid_until_after_2099", "valid_until", _ENTRIES, lambda s, x: _replace(x, valid_until=dt.date(2100, 1, 1))
    ),
    InvalidClass(
        "evaluated_before_1990",
        "evaluated_on",
        _EVALUATIONS,
        lambda s, x: _replace(x, evaluated_on=dt.date(1989, 12, 31)),
    ),
    InvalidClass("expired_without_end", "status", _ENTRIES, _expired_without_end),
    InvalidClass(
        "updated_at_without_zone",  # only Shanghai writes an offset; the others' times are China time
        "updated_at",
        _BOTH,
        lambda s, x: dataclasses.replace(x, updated_at=x.updated_at.replace(tzinfo=None)),
        provinces=(Province.SH,),
    ),
    InvalidClass(
        "valid_until_before_evaluation",
        "valid_until",
        _EVALUATIONS,
        lambda s, x: _replace(x, valid_until=x.result.evaluated_on - dt.timedelta(days=1)),
    ),
    InvalidClass("grade_not_in_scheme", "grade", _EVALUATIONS, lambda s, x: _replace(x, grade="Z")),
    InvalidClass(
        "scheme_of_other_province",
        "scheme_id",
        _EVALUATIONS,
        lambda s, x: _replace(x, scheme_id=SCHEME_OF_PROVINCE[s.other_province()].scheme_id),
    ),
    InvalidClass(
        "repair_of_red_entry",
        "status",
        _ENTRIES,
        lambda s, x: dataclasses.replace(x, status=EntryStatus.REPAIRED),
        applies=_is_red,
    ),
    InvalidClass("bad_list_type", "list_type", _ENTRIES, native=_GARBAGE),
    InvalidClass("bad_domain", "domain", _BOTH, native=_GARBAGE),
    InvalidClass("bad_subject_kind", "subject_kind", _BOTH, native=_GARBAGE),
    InvalidClass("bad_status", "status", _ENTRIES, native=_GARBAGE),
    InvalidClass("bad_evaluation_status", "revoked", _EVALUATIONS, native=_GARBAGE),
    InvalidClass("bad_valid_from", "valid_from", _ENTRIES, native=_GARBAGE),
    InvalidClass("bad_evaluated_on", "evaluated_on", _EVALUATIONS, native=_GARBAGE),
    InvalidClass("bad_updated_at", "updated_at", _BOTH, native=_GARBAGE),
    InvalidClass("bad_scheme", "scheme_id", _EVALUATIONS, native=_GARBAGE),
)


# --- whole exports -----------------------------------------------------------------------


@dataclass(slots=True)
class GenerationStats:
    written: int = 0
    read: int = 0
    invalid: int = 0
    changed: int = 0
    added: int = 0


def broken_row(synth: Synthesizer, codec: Any, broken: InvalidClass, record: Any) -> dict[str, Any]:
    """The native row of ``record`` broken in the way of ``broken`` (``codec`` is a dialect's
    ``RowCodec``); ``broken.applies(record)`` must hold."""
    if broken.record is not None:
        return dict(codec.encode(broken.record(synth, record)))
    row: dict[str, Any] = codec.encode(record)
    row[codec.field_names[broken.field]] = broken.native
    return row


def _rows(
    synth: Synthesizer,
    kind: ExportKind,
    records: Iterator[Any],
    invalid_share: float,
    stats: GenerationStats,
) -> Iterator[dict[str, Any]]:
    from adapters.dialects import DIALECTS

    codec = DIALECTS[synth.province].codec(kind)
    classes = [c for c in INVALID_CLASSES if kind in c.kinds and c.carried_by(synth.province)]
    bad_rng = random.Random(  # noqa: S311 - synthetic data, not secrets
        synth.rng.random()
    )
    for record in records:
        stats.written += 1
        if invalid_share and bad_rng.random() < invalid_share:
            candidates = [c for c in classes if c.applies(record)]
            stats.invalid += 1
            yield broken_row(synth, codec, bad_rng.choice(candidates), record)
            continue
        yield codec.encode(record)


def generate(
    province: Province,
    kind: ExportKind,
    count: int,
    dest: str | os.PathLike[str] | IO[bytes],
    *,
    seed: int = 0,
    invalid_share: float = 0.0,
    as_of: dt.date = AS_OF,
    sample: bool = False,
) -> GenerationStats:
    """Write ``count`` records of ``province`` in its dialect to ``dest``."""
    from adapters.dialects import DIALECTS

    synth = Synthesizer(province, seed=seed, as_of=as_of, sample=sample)
    make = synth.entry if kind == "entries" else synth.evaluation
    stats = GenerationStats()
    records = (make(i) for i in range(count))
    DIALECTS[province].write_rows(kind, _rows(synth, kind, records, invalid_share, stats), dest)
    return stats


def generate_deltas(
    province: Province,
    kind: ExportKind,
    previous: str | os.PathLike[str],
    dest: str | os.PathLike[str] | IO[bytes],
    *,
    seed: int = 1,
    as_of: dt.date = AS_OF + dt.timedelta(days=92),
    change_share: float = 0.1,
    new_share: float = 0.05,
    invalid_share: float = 0.0,
    changed_only: bool = False,
) -> GenerationStats:
    """Write a later export of ``previous`` (same province and kind) as of ``as_of``.

    Each valid record changes with probability ``change_share`` along a legal lifecycle step
    (entries: amendment, objection opened, objection resolved, credit repair of a black-list
    entry, revocation; evaluations: revocation), entries whose last valid day is before
    ``as_of`` expire, and ``new_share`` of the previous count is added as new records.
    Refused records of ``previous`` are dropped. ``changed_only`` writes only changed and new
    records (an incremental export).
    """
    from adapters.dialects import DIALECTS, Parsed

    dialect = DIALECTS[province]
    synth = Synthesizer(province, seed=seed, as_of=as_of)
    stats = GenerationStats()
    seen = [0]

    def later() -> Iterator[Any]:
        reader = dialect.read_entries(previous) if kind == "entries" else dialect.read_evaluations(previous)
        for item in reader:
            seen[0] += 1
            stats.read += 1
            if not isinstance(item, Parsed):
                continue
            changed = _evolve(synth, item.record, change_share)
            if changed is not item.record:
                stats.changed += 1
                yield changed
            elif not changed_only:
                yield changed
        make = synth.entry if kind == "entries" else synth.evaluation
        # previous exports number records 0..n-1 (generate) or 1..n (samples): start after both
        for i in range(int(seen[0] * new_share)):
            stats.added += 1
            yield make(seen[0] + 1 + i)

    dialect.write_rows(kind, _rows(synth, kind, later(), invalid_share, stats), dest)
    return stats


_TERMINAL = (EntryStatus.REPAIRED, EntryStatus.EXPIRED, EntryStatus.REVOKED)


def _evolve(synth: Synthesizer, record: Any, share: float) -> Any:
    rng = synth.rng
    # ``as_of`` is later than the earlier export by more than the 30 days drawn here
    touched = synth._updated(synth.as_of - dt.timedelta(days=int(rng.random() * 30)))
    if isinstance(record, SourceEvaluation):
        if not record.revoked and rng.random() < share * 0.3:
            return dataclasses.replace(record, revoked=True, updated_at=touched)
        return record
    entry, status = record.entry, record.status
    if status in _TERMINAL:
        return record
    if entry.valid_until is not None and entry.valid_until < synth.as_of:
        return dataclasses.replace(record, status=EntryStatus.EXPIRED, updated_at=touched)
    if status is EntryStatus.DISPUTED:
        roll = rng.random()
        if roll < 0.25:  # objection rejected
            return dataclasses.replace(record, status=EntryStatus.PUBLISHED, updated_at=touched)
        if roll < 0.5:  # objection upheld: corrected
            return _amend(synth, record, touched)
        if roll < 0.5 + share * 0.1:
            return dataclasses.replace(record, status=EntryStatus.REVOKED, updated_at=touched)
        return record
    if rng.random() >= share:
        return record
    step = rng.random()
    if step < 0.35:
        return _amend(synth, record, touched)
    if step < 0.65:
        return dataclasses.replace(record, status=EntryStatus.DISPUTED, updated_at=touched)
    if step < 0.85 and entry.list_type is ListType.BLACK:
        return dataclasses.replace(record, status=EntryStatus.REPAIRED, updated_at=touched)
    return dataclasses.replace(record, status=EntryStatus.REVOKED, updated_at=touched)


def _amend(synth: Synthesizer, record: SourceEntry, touched: dt.datetime) -> SourceEntry:
    """A correction that always changes the record: a longer validity or a reworded reason."""
    entry = record.entry
    if entry.valid_until is not None and synth.rng.random() < 0.5:
        amended = dataclasses.replace(entry, valid_until=entry.valid_until + dt.timedelta(days=180))
    elif entry.reason.endswith(_CORRECTED):
        amended = dataclasses.replace(entry, reason=entry.reason.removesuffix(_CORRECTED))
    else:
        amended = dataclasses.replace(entry, reason=entry.reason + _CORRECTED)
    return SourceEntry(amended, EntryStatus.AMENDED, touched)


_CORRECTED = "（已更正）"


SAMPLE_SEED = 2026
SAMPLE_COUNTS: dict[ExportKind, int] = {"entries": 60, "evaluations": 20}


def write_samples(root: str | os.PathLike[str], *, seed: int = SAMPLE_SEED) -> None:
    """Write the bundled samples: ``<root>/<province>/entries.<ext>`` and ``evaluations.<ext>``.

    Valid records only, validity current until 2029-2031 or open, with a small pool of natural
    persons shared by all four provinces.
    """
    from pathlib import Path

    from adapters.dialects import DIALECTS

    for province in Province:
        dialect = DIALECTS[province]
        folder = Path(root) / province.value
        folder.mkdir(parents=True, exist_ok=True)
        for kind, count in SAMPLE_COUNTS.items():
            synth = Synthesizer(province, seed=seed, sample=True, shared_people=5, shared_share=0.6)
            make = synth.entry if kind == "entries" else synth.evaluation
            records = [make(i) for i in range(1, count + 1)]
            dialect.write_rows(kind, map(dialect.codec(kind).encode, records), folder / f"{kind}{dialect.extension}")
