"""``Synthesizer``: deterministic valid list entries and evaluation results of one province."""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass
from typing import Any, Literal

from adapters.core.grades import SCHEME_OF_PROVINCE
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
from adapters.synthetic.codes import OLD_REGIONS, ORG_BODY, REGIONS, USCC_PREFIX, make_ric, make_uscc
from adapters.synthetic.words import (
    AUTHORITIES,
    BLACK_REASONS,
    FORMS,
    GIVEN,
    GOVERNMENT,
    INDUSTRIES,
    INSTITUTIONS,
    RED_REASONS,
    SHOPS,
    SOCIAL,
    SURNAMES,
    TRADE,
)

ExportKind = Literal["entries", "evaluations"]
AS_OF = dt.date(2026, 6, 30)

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
    on several provinces' lists. ``series`` goes into every local id, after the year: the
    bundled samples have their own, so that a generated export never reuses one of their
    numbers (it would read as an amendment of that entry)."""

    def __init__(
        self,
        province: Province,
        *,
        seed: int = 0,
        as_of: dt.date = AS_OF,
        sample: bool = False,
        shared_people: int = 64,
        shared_share: float = 0.2,
        series: str = "",
    ) -> None:
        self.province = province
        self.series = series
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
        regions = OLD_REGIONS if born.year < 1991 else _ALL_REGIONS
        region = regions[int(r() * len(regions))]
        given = GIVEN[int(r() * len(GIVEN))]
        if r() < 0.6:
            given += GIVEN[int(r() * len(GIVEN))]
        name = SURNAMES[int(r() * len(SURNAMES))] + given
        return _Subject(SubjectKind.NATURAL_PERSON, name, make_ric(region, born, int(r() * 1000)))

    def subject(self, kind: SubjectKind) -> _Subject:
        r = self.rng.random
        if kind is SubjectKind.NATURAL_PERSON:
            # some natural persons come from a pool shared by all provinces (same seed)
            if r() < self._shared_share:
                return self._people[int(r() * len(self._people))]
            return self._person(self.rng)
        region, city = self._regions[int(r() * len(self._regions))]
        trade = TRADE[int(r() * len(TRADE))] + TRADE[int(r() * len(TRADE))]
        if kind is SubjectKind.LEGAL_PERSON:
            name = city + trade + INDUSTRIES[int(r() * len(INDUSTRIES))] + FORMS[int(r() * len(FORMS))]
        elif kind is SubjectKind.INDIVIDUAL_BUSINESS:
            name = city + "市" + trade + SHOPS[int(r() * len(SHOPS))]
        elif kind is SubjectKind.SOCIAL_ORGANISATION:
            name = city + "市" + trade + SOCIAL[int(r() * len(SOCIAL))]
        elif kind is SubjectKind.PUBLIC_INSTITUTION:
            name = city + "市" + INSTITUTIONS[int(r() * len(INSTITUTIONS))]
        else:
            name = city + "市" + trade + GOVERNMENT[int(r() * len(GOVERNMENT))]
        number = int(r() * 1_000_000)
        if r() < 0.5:
            body = f"{int(r() * 100_000_000):08d}"
        else:  # codes issued since 2015: MA + 6 characters
            a, n = ORG_BODY, len(ORG_BODY)
            body = "MA" + f"{number:04d}"[-4:] + a[int(r() * n)] + a[int(r() * n)]
        prefixes = USCC_PREFIX[kind]
        return _Subject(kind, name, make_uscc(prefixes[int(r() * len(prefixes))], region, body))

    def authority(self, domain: Domain) -> tuple[str, str]:
        region, city = self._regions[int(self.rng.random() * len(self._regions))]
        key = (city, domain)
        found = self._authorities.get(key)
        if found is None:
            rng = random.Random(  # noqa: S311 - synthetic data, not secrets
                f"authority:{region}:{domain.value}"
            )
            body = "".join(rng.choices(ORG_BODY, k=8))
            found = self._authorities[key] = (f"{city}市{AUTHORITIES[domain]}", make_uscc("11", region, body))
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
            reason, basis = RED_REASONS[domain]
        else:
            reasons = BLACK_REASONS[domain]
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
            f"{self._prefix}{decided_on.year}{'R' if list_type is ListType.RED else 'B'}{self.series}{index:08d}",
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
            f"{self._prefix}PJ{evaluated_on.year}{self.series}{index:08d}",
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
        return make_uscc(prefix, region, "".join(self.rng.choices(ORG_BODY, k=8)))
