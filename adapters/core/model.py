"""The record model: list entries and evaluation results, as the exchange sees them.

Every dialect reader produces these types and every writer consumes them; everything that is
committed to the ledger is derived from them (see ``canonical``). Field values are already
normalised when a record exists: readers build records only through ``validate``.

Schema versions are part of every commitment. A change to a record's fields or their meaning
is a new schema version, pinned by new golden vectors under ``tests/assets/``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import IntEnum, StrEnum

from adapters.core.provinces import Province

LIST_ENTRY_SCHEMA_VERSION = 1
EVALUATION_SCHEMA_VERSION = 1

CHINA_TZ = dt.timezone(dt.timedelta(hours=8), "CST")


class ListType(IntEnum):
    """Matches ``ICreditLists.ListType``."""

    RED = 1
    BLACK = 2


class EntryStatus(IntEnum):
    """Matches ``ICreditLists.Status``."""

    PUBLISHED = 1
    DISPUTED = 2
    AMENDED = 3
    REPAIRED = 4
    EXPIRED = 5
    REVOKED = 6

    @property
    def shared(self) -> bool:
        """Whether an entry in this status is still published and shared (信用修复 and
        revocation stop sharing; an expired entry is history)."""
        return self in (EntryStatus.PUBLISHED, EntryStatus.DISPUTED, EntryStatus.AMENDED)


class SubjectKind(StrEnum):
    """The kinds of credit subject of the public credit platforms."""

    LEGAL_PERSON = "legal_person"  # 法人
    INDIVIDUAL_BUSINESS = "individual_business"  # 个体工商户
    NATURAL_PERSON = "natural_person"  # 自然人
    SOCIAL_ORGANISATION = "social_organisation"  # 社会组织
    PUBLIC_INSTITUTION = "public_institution"  # 事业单位
    GOVERNMENT_BODY = "government_body"  # 政府机构

    @property
    def identified_by_ric(self) -> bool:
        """Natural persons are identified by a resident identity number; all others by a USCC."""
        return self is SubjectKind.NATURAL_PERSON


class Domain(IntEnum):
    """Credit domains (领域) and their on-chain codes (``uint16``)."""

    MARKET_SUPERVISION = 1  # 市场监管
    TAXATION = 2  # 税务
    ECOLOGY = 3  # 生态环境
    TOURISM = 4  # 旅游
    FOOD_AND_DRUGS = 5  # 食品药品
    PRODUCT_QUALITY = 6  # 产品质量
    WORK_SAFETY = 7  # 安全生产
    TRANSPORT = 8  # 交通运输
    LABOUR = 9  # 人力资源和社会保障
    COURT_ENFORCEMENT = 10  # 法院执行
    CUSTOMS = 11  # 海关
    FINANCE = 12  # 金融

    @property
    def name_zh(self) -> str:
        return DOMAIN_NAMES_ZH[self]

    @classmethod
    def from_name_zh(cls, name: str) -> Domain:
        for domain, zh in DOMAIN_NAMES_ZH.items():
            if zh == name:
                return domain
        raise ValueError(f"unknown domain {name!r}")


DOMAIN_NAMES_ZH: dict[Domain, str] = {
    Domain.MARKET_SUPERVISION: "市场监管",
    Domain.TAXATION: "税务",
    Domain.ECOLOGY: "生态环境",
    Domain.TOURISM: "旅游",
    Domain.FOOD_AND_DRUGS: "食品药品",
    Domain.PRODUCT_QUALITY: "产品质量",
    Domain.WORK_SAFETY: "安全生产",
    Domain.TRANSPORT: "交通运输",
    Domain.LABOUR: "人力资源和社会保障",
    Domain.COURT_ENFORCEMENT: "法院执行",
    Domain.CUSTOMS: "海关",
    Domain.FINANCE: "金融",
}

#: The domains with a mutual-recognition agreement for evaluation results.
RECOGNITION_DOMAINS: tuple[Domain, ...] = (
    Domain.ECOLOGY,
    Domain.TOURISM,
    Domain.FOOD_AND_DRUGS,
    Domain.PRODUCT_QUALITY,
)


@dataclass(frozen=True, slots=True)
class ListEntry:
    """One red- or black-list entry (schema version ``LIST_ENTRY_SCHEMA_VERSION``).

    ``local_id`` is the owner platform's list number (名单编号): 1-32 characters from
    ``[0-9A-Za-z._-]``; on chain it is the ASCII bytes right-padded to 32. ``valid_until``
    ``None`` means no end date. ``subject_id`` is a USCC or, for natural persons, a resident
    identity number, upper-case.
    """

    province: Province
    local_id: str
    list_type: ListType
    domain: Domain
    subject_kind: SubjectKind
    subject_name: str
    subject_id: str
    reason: str
    legal_basis: str
    authority_name: str
    authority_uscc: str
    decided_on: dt.date
    valid_from: dt.date
    valid_until: dt.date | None


@dataclass(frozen=True, slots=True)
class EvaluationResult:
    """One credit evaluation result (schema version ``EVALUATION_SCHEMA_VERSION``).

    ``grade`` is the label in the province's own scale (see ``grades``); ``scheme_id`` names
    the province's evaluation scheme (``grades.SCHEMES``).
    """

    province: Province
    local_id: str
    subject_kind: SubjectKind
    subject_name: str
    subject_id: str
    domain: Domain
    scheme_id: int
    grade: str
    evaluated_on: dt.date
    valid_until: dt.date | None


@dataclass(frozen=True, slots=True)
class SourceEntry:
    """A list entry as a platform exports it: the record plus the platform's own lifecycle
    status and last update time. Status and update time are not part of the committed record:
    the ledger tracks the lifecycle itself."""

    entry: ListEntry
    status: EntryStatus
    updated_at: dt.datetime


@dataclass(frozen=True, slots=True)
class SourceEvaluation:
    """An evaluation result as a platform exports it."""

    result: EvaluationResult
    revoked: bool
    updated_at: dt.datetime
