"""Hypothesis strategies for valid records of any province, shared by core and dialect tests."""

from __future__ import annotations

import datetime as dt

from hypothesis import strategies as st

from adapters.core.grades import SCHEME_OF_PROVINCE
from adapters.core.model import (
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
from adapters.core.validate import TEXT_LIMITS
from adapters.synthetic import REGIONS, make_ric, make_uscc

_ORG = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_PREFIXES = {
    SubjectKind.LEGAL_PERSON: ("91", "93", "31"),
    SubjectKind.INDIVIDUAL_BUSINESS: ("92",),
    SubjectKind.SOCIAL_ORGANISATION: ("51", "52", "53"),
    SubjectKind.PUBLIC_INSTITUTION: ("12",),
    SubjectKind.GOVERNMENT_BODY: ("11",),
}
# address codes valid in every year (stdnum's table), so any birth date works
_RIC_REGIONS = ("310101", "310104", "310105", "310106", "310107", "310109", "310110", "110105")

provinces = st.sampled_from(list(Province))
dates = st.dates(dt.date(1990, 1, 1), dt.date(2099, 12, 31))


def text(field: str) -> st.SearchStrategy[str]:
    """Stripped, non-empty text of any script (CJK, non-BMP, XML and CSV specials)."""
    chars = st.characters(blacklist_categories=("Cc", "Cs"), blacklist_characters="\ufffe\uffff")
    specials = st.sampled_from(["<", "&", '"', ",", "'", "]]>", "𠀀", "鿿", "㐀", "《》", "　", "€", "\u2028"])
    pieces = st.lists(st.one_of(st.text(chars, max_size=12), specials, st.text("上海江苏浙江安徽信用", max_size=8)))
    return pieces.map("".join).map(str.strip).filter(lambda s: 0 < len(s) <= TEXT_LIMITS.get(field, 200))


@st.composite
def uscc(draw: st.DrawFn, province: Province, prefix: str) -> str:
    region = draw(st.sampled_from([code for code, _ in REGIONS[province]]))
    body = draw(st.text(_ORG, min_size=8, max_size=8))
    return make_uscc(prefix, region, body)


@st.composite
def ric(draw: st.DrawFn) -> str:
    born = draw(st.dates(dt.date(1930, 1, 1), dt.date(2010, 12, 31)))
    return make_ric(draw(st.sampled_from(_RIC_REGIONS)), born, draw(st.integers(0, 999)))


@st.composite
def subject(draw: st.DrawFn, province: Province) -> tuple[SubjectKind, str]:
    kind = draw(st.sampled_from(list(SubjectKind)))
    if kind is SubjectKind.NATURAL_PERSON:
        return kind, draw(ric())
    return kind, draw(uscc(province, draw(st.sampled_from(_PREFIXES[kind]))))


local_ids = st.text("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz._-", min_size=1, max_size=32)


@st.composite
def list_entries(draw: st.DrawFn, province: Province | None = None) -> ListEntry:
    province = province or draw(provinces)
    kind, subject_id = draw(subject(province))
    valid_from = draw(dates)
    decided_on = draw(st.dates(dt.date(1990, 1, 1), valid_from))
    valid_until = draw(st.none() | st.dates(valid_from, dt.date(2099, 12, 31)))
    return ListEntry(
        province=province,
        local_id=draw(local_ids),
        list_type=draw(st.sampled_from(list(ListType))),
        domain=draw(st.sampled_from(list(Domain))),
        subject_kind=kind,
        subject_name=draw(text("subject_name")),
        subject_id=subject_id,
        reason=draw(text("reason")),
        legal_basis=draw(text("legal_basis")),
        authority_name=draw(text("authority_name")),
        authority_uscc=draw(uscc(province, "11")),
        decided_on=decided_on,
        valid_from=valid_from,
        valid_until=valid_until,
    )


@st.composite
def evaluation_results(draw: st.DrawFn, province: Province | None = None) -> EvaluationResult:
    province = province or draw(provinces)
    kind, subject_id = draw(subject(province))
    scheme = SCHEME_OF_PROVINCE[province]
    evaluated_on = draw(dates)
    return EvaluationResult(
        province=province,
        local_id=draw(local_ids),
        subject_kind=kind,
        subject_name=draw(text("subject_name")),
        subject_id=subject_id,
        domain=draw(st.sampled_from(list(Domain))),
        scheme_id=scheme.scheme_id,
        grade=draw(st.sampled_from(scheme.grades)),
        evaluated_on=evaluated_on,
        valid_until=draw(st.none() | st.dates(evaluated_on, dt.date(2099, 12, 31))),
    )


timestamps = st.builds(
    lambda naive, minutes: naive.replace(microsecond=0, tzinfo=dt.timezone(dt.timedelta(minutes=minutes))),
    st.datetimes(dt.datetime(1991, 1, 1), dt.datetime(2098, 12, 31)),
    st.integers(-12 * 60, 14 * 60),
)


@st.composite
def source_entries(draw: st.DrawFn, province: Province | None = None) -> SourceEntry:
    entry = draw(list_entries(province))
    statuses = [EntryStatus.PUBLISHED, EntryStatus.DISPUTED, EntryStatus.AMENDED, EntryStatus.REVOKED]
    if entry.list_type is ListType.BLACK:
        statuses.append(EntryStatus.REPAIRED)
    if entry.valid_until is not None:
        statuses.append(EntryStatus.EXPIRED)
    return SourceEntry(entry, draw(st.sampled_from(statuses)), draw(timestamps))


@st.composite
def source_evaluations(draw: st.DrawFn, province: Province | None = None) -> SourceEvaluation:
    return SourceEvaluation(draw(evaluation_results(province)), draw(st.booleans()), draw(timestamps))
