"""Evaluations: results, agreements adopted by quorum, and mutual recognition of grades."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import astuple, dataclass, replace
from typing import Any

import pytest

from node.errors import ContractRevert
from tests.contracts.helpers import (
    OUTSIDER,
    ZERO32,
    ResultStatus,
    adopt_agreement,
    block_time,
    chain_time,
    digest,
    events_of,
    local_id,
    packed_id,
    propose,
    reverts,
    signer,
)
from tests.support import PROVINCE_CODES, Exchange, dev_account

pytestmark = pytest.mark.ledger

# The four platforms' schemes and the common YRD scale A, B, C, D = 1..4.
SH_SCHEME, JS_SCHEME, ZJ_SCHEME, AH_SCHEME = 3101, 3201, 3301, 3401
JS_FIVE_COLOURS = {"绿": 1, "蓝": 2, "黄": 3, "红": 4, "黑": 5}  # green, blue, yellow, red, black
YRD_LEVELS = 4
MAPPINGS = [
    (31, SH_SCHEME, [1, 2, 3, 4]),
    (32, JS_SCHEME, [1, 2, 3, 4, 4]),  # 绿 A, 蓝 B, 黄 C, 红 D, 黑 D
    (33, ZJ_SCHEME, [1, 2, 3, 4]),
    (34, AH_SCHEME, [1, 2, 2, 3, 4]),
]

_domains = itertools.count(100)


@dataclass(frozen=True)
class NewResult:
    """IEvaluations.NewResult."""

    local_id: bytes
    domain: int
    scheme_id: int
    grade: int
    subject_tag: bytes
    commitment: bytes
    evaluated_at: int
    valid_until: int

    def abi(self) -> tuple[Any, ...]:
        return astuple(self)


def new_result(code: int, domain: int, **overrides: Any) -> NewResult:
    fields: dict[str, Any] = {
        "local_id": local_id(code, "EV"),
        "domain": domain,
        "scheme_id": {31: SH_SCHEME, 32: JS_SCHEME, 33: ZJ_SCHEME, 34: AH_SCHEME}[code],
        "grade": 1,
        "subject_tag": digest("tag"),
        "commitment": digest("result"),
        "evaluated_at": 1_735_689_600,
        "valid_until": 0,
    }
    fields.update(overrides)
    return NewResult(**fields)


def publish_results(exchange: Exchange, who: Any, *results: NewResult) -> Any:
    return exchange.send(who, "Evaluations", "publishResults", [r.abi() for r in results])


@pytest.fixture
def domain(shared_exchange: Exchange) -> int:
    """A recognition domain of its own for each test, with the four schemes mapped (version 1)."""
    code = next(_domains)
    adopt_agreement(shared_exchange, code, YRD_LEVELS, MAPPINGS)
    return code


# -- results -------------------------------------------------------------------------------


def test_publish_results(shared_exchange: Exchange) -> None:
    now = chain_time(shared_exchange)
    results = [new_result(32, 5, grade=g, evaluated_at=now, valid_until=now + 10**7) for g in (1, 5)]
    receipt = publish_results(shared_exchange, 32, *results)
    assert events_of(shared_exchange, receipt, "Evaluations") == [
        (
            "ResultPublished",
            {
                "resultId": packed_id(32, r.local_id),
                "subjectTag": r.subject_tag,
                "province": 32,
                "localId": r.local_id,
                "domain": 5,
                "schemeId": JS_SCHEME,
                "grade": r.grade,
                "commitment": r.commitment,
                "evaluatedAt": r.evaluated_at,
                "validUntil": r.valid_until,
            },
        )
        for r in results
    ]
    for r in results:
        result_id = packed_id(32, r.local_id)
        assert shared_exchange.call("Evaluations", "resultIdOf", 32, r.local_id) == result_id
        assert shared_exchange.call("Evaluations", "result", result_id) == (
            32,
            ResultStatus.ACTIVE,
            5,
            JS_SCHEME,
            r.grade,
            r.evaluated_at,
            r.valid_until,
        )


INVALID_RESULTS: list[tuple[str, Callable[[Exchange], list[NewResult]], str, Callable[..., dict[str, Any]]]] = [
    ("empty", lambda ex: [], "EvaluationsEmptyBatch", lambda rs: {}),
    ("zero-local-id", lambda ex: [new_result(33, 1, local_id=ZERO32)], "EvaluationsZeroLocalId", lambda rs: {}),
    (
        "zero-commitment",
        lambda ex: [new_result(33, 1, commitment=ZERO32)],
        "EvaluationsZeroCommitment",
        lambda rs: {"resultId": packed_id(33, rs[0].local_id)},
    ),
    (
        "grade-0",
        lambda ex: [new_result(33, 1, grade=0)],
        "EvaluationsInvalidGrade",
        lambda rs: {"resultId": packed_id(33, rs[0].local_id), "grade": 0},
    ),
    (
        "valid-until-not-after-evaluation",
        lambda ex: [new_result(33, 1, valid_until=1_735_689_600)],
        "EvaluationsInvalidValidity",
        lambda rs: {
            "resultId": packed_id(33, rs[0].local_id),
            "evaluatedAt": 1_735_689_600,
            "validUntil": 1_735_689_600,
        },
    ),
    (
        "exists",
        lambda ex: [_published_result(ex)],
        "EvaluationsResultExists",
        lambda rs: {"resultId": packed_id(33, rs[0].local_id)},
    ),
    (
        "duplicate-within-batch",
        lambda ex: [r := new_result(33, 1), replace(r, grade=2)],
        "EvaluationsResultExists",
        lambda rs: {"resultId": packed_id(33, rs[0].local_id)},
    ),
]


def _published_result(exchange: Exchange) -> NewResult:
    r = new_result(33, 1)
    publish_results(exchange, 33, r)
    return r


def _exists(exchange: Exchange, result_id: bytes) -> bool:
    try:
        exchange.call("Evaluations", "result", result_id)
    except ContractRevert as refused:
        assert refused.name == "EvaluationsResultNotFound"
        return False
    return True


@pytest.mark.parametrize(
    ("results", "error", "error_args"), [c[1:] for c in INVALID_RESULTS], ids=[c[0] for c in INVALID_RESULTS]
)
def test_publish_results_validation(
    shared_exchange: Exchange,
    results: Callable[[Exchange], list[NewResult]],
    error: str,
    error_args: Callable[..., dict[str, Any]],
) -> None:
    batch = results(shared_exchange)
    ids = [packed_id(33, r.local_id) for r in batch]
    existing = {rid for rid in ids if _exists(shared_exchange, rid)}
    with reverts(error, **error_args(batch)):
        publish_results(shared_exchange, 33, *batch)
    assert {rid for rid in ids if _exists(shared_exchange, rid)} == existing


def test_non_member_cannot_publish_results(shared_exchange: Exchange) -> None:
    with reverts("ConsortiumNotAMember", account=dev_account(OUTSIDER).address):
        publish_results(shared_exchange, shared_exchange.account_client(OUTSIDER), new_result(31, 1))


def test_unknown_result_is_not_found(shared_exchange: Exchange) -> None:
    unknown = packed_id(34, local_id(34, "EV"))
    with reverts("EvaluationsResultNotFound", resultId=unknown):
        shared_exchange.call("Evaluations", "result", unknown)
    with reverts("EvaluationsResultNotFound", resultId=unknown):
        shared_exchange.call("Evaluations", "mappedGrade", unknown)
    assert shared_exchange.call("Evaluations", "recognisedGrade", unknown, 31) == [False, 0, 0]


def test_revoke_results(shared_exchange: Exchange) -> None:
    first, second = new_result(34, 1), new_result(34, 1)
    publish_results(shared_exchange, 34, first, second)
    ids = [packed_id(34, r.local_id) for r in (first, second)]
    unknown = packed_id(34, local_id(34, "EV"))

    with reverts("EvaluationsEmptyBatch"):
        shared_exchange.send(34, "Evaluations", "revokeResults", [])
    with reverts("EvaluationsResultNotFound", resultId=unknown):
        shared_exchange.send(34, "Evaluations", "revokeResults", [ids[0], unknown])
    for code in (31, 32, 33):
        with reverts("EvaluationsUnauthorized", account=signer(code), resultId=ids[0]):
            shared_exchange.send(code, "Evaluations", "revokeResults", [ids[0]])
    with reverts("ConsortiumNotAMember", account=dev_account(OUTSIDER).address):
        shared_exchange.send(shared_exchange.account_client(OUTSIDER), "Evaluations", "revokeResults", [ids[0]])
    assert shared_exchange.call("Evaluations", "result", ids[0])[1] == ResultStatus.ACTIVE

    receipt = shared_exchange.send(34, "Evaluations", "revokeResults", ids)
    assert events_of(shared_exchange, receipt, "Evaluations") == [
        ("ResultRevoked", {"resultId": rid, "province": 34}) for rid in ids
    ]
    assert [shared_exchange.call("Evaluations", "result", rid)[1] for rid in ids] == [ResultStatus.REVOKED] * 2
    with reverts("EvaluationsResultNotActive", resultId=ids[1]):
        shared_exchange.send(34, "Evaluations", "revokeResults", [ids[1]])


# -- agreements ----------------------------------------------------------------------------


@pytest.mark.parametrize("caller", [31, OUTSIDER])
def test_agreement_cannot_be_adopted_directly(shared_exchange: Exchange, caller: int) -> None:
    who = caller if caller in PROVINCE_CODES else shared_exchange.account_client(caller)
    address = signer(caller) if caller in PROVINCE_CODES else dev_account(caller).address
    with reverts("EvaluationsOnlyConsortium", account=address):
        shared_exchange.send(who, "Evaluations", "adoptAgreement", 1, YRD_LEVELS, MAPPINGS)


def test_agreement_is_adopted_by_quorum_only(shared_exchange: Exchange) -> None:
    code = next(_domains)
    evaluations = shared_exchange.contract("Evaluations")
    data = evaluations.encode_abi("adoptAgreement", args=[code, YRD_LEVELS, MAPPINGS])
    proposal_id, _ = propose(shared_exchange, 33, "proposeCall", evaluations.address, data)
    shared_exchange.send(34, "Consortium", "vote", proposal_id)
    assert shared_exchange.call("Evaluations", "agreement", code) == [0, 0]

    receipt = shared_exchange.send(31, "Consortium", "vote", proposal_id)
    assert events_of(shared_exchange, receipt, "Evaluations") == [
        ("AgreementAdopted", {"domain": code, "version": 1, "yrdLevels": YRD_LEVELS}),
        *[
            ("SchemeMapped", {"domain": code, "version": 1, "province": p, "schemeId": s, "yrdGrades": g})
            for p, s, g in MAPPINGS
        ],
    ]
    assert shared_exchange.call("Evaluations", "agreement", code) == [1, YRD_LEVELS]
    for province, scheme, grades in MAPPINGS:
        assert shared_exchange.call("Evaluations", "schemeMapping", code, 1, province, scheme) == grades
    assert shared_exchange.call("Evaluations", "schemeMapping", code, 1, 32, SH_SCHEME) == []
    assert shared_exchange.call("Evaluations", "schemeMapping", code, 2, 32, JS_SCHEME) == []


@pytest.mark.parametrize(
    ("levels", "mappings", "index"),
    [
        (0, MAPPINGS, 0),
        (4, [], 0),
        (4, [MAPPINGS[0], (35, 3501, [1, 2])], 1),
        (4, [MAPPINGS[0], (0, 1, [1])], 1),
        (4, [(32, JS_SCHEME, [])], 0),
        (4, [MAPPINGS[0], (32, JS_SCHEME, [1, 2, 0, 4, 4])], 1),
        (4, [MAPPINGS[0], MAPPINGS[1], (33, ZJ_SCHEME, [1, 2, 3, 5])], 2),
        (4, [MAPPINGS[1], MAPPINGS[1]], 1),
    ],
    ids=[
        "no-levels",
        "no-mappings",
        "non-member-province",
        "province-0",
        "empty-grades",
        "grade-0",
        "grade-above-levels",
        "scheme-mapped-twice",
    ],
)
def test_invalid_agreement_is_refused_at_execution(
    shared_exchange: Exchange, levels: int, mappings: list[Any], index: int
) -> None:
    code = next(_domains)
    evaluations = shared_exchange.contract("Evaluations")
    data = evaluations.encode_abi("adoptAgreement", args=[code, levels, mappings])
    proposal_id, _ = propose(shared_exchange, 31, "proposeCall", evaluations.address, data)
    shared_exchange.send(32, "Consortium", "vote", proposal_id)
    with reverts("EvaluationsInvalidAgreement", domain=code, index=index):
        shared_exchange.send(33, "Consortium", "vote", proposal_id)
    assert shared_exchange.call("Evaluations", "agreement", code) == [0, 0]


# -- recognition ---------------------------------------------------------------------------


def test_jiangsu_five_colours_are_recognised_on_the_yrd_scale(shared_exchange: Exchange, domain: int) -> None:
    results = [new_result(32, domain, grade=grade) for grade in JS_FIVE_COLOURS.values()]
    publish_results(shared_exchange, 32, *results)
    ids = [packed_id(32, r.local_id) for r in results]
    expected = [1, 2, 3, 4, 4]  # A B C D D
    assert [shared_exchange.call("Evaluations", "mappedGrade", rid) for rid in ids] == [[g, 1] for g in expected]

    receipt = shared_exchange.send(33, "Evaluations", "recognise", ids)
    recognised_at = block_time(shared_exchange, receipt)
    assert events_of(shared_exchange, receipt, "Evaluations") == [
        ("ResultRecognised", {"resultId": rid, "province": 33, "yrdGrade": g, "agreementVersion": 1})
        for rid, g in zip(ids, expected, strict=True)
    ]
    for rid, g in zip(ids, expected, strict=True):
        assert shared_exchange.call("Evaluations", "recognisedGrade", rid, 33) == [True, g, 1]
        assert shared_exchange.call("Evaluations", "recognition", rid, 33) == (g, 1, recognised_at)
        assert shared_exchange.call("Evaluations", "recognisedGrade", rid, 31) == [False, 0, 0]
        assert shared_exchange.call("Evaluations", "recognition", rid, 31) == (0, 0, 0)


def test_recognition_errors(shared_exchange: Exchange, domain: int) -> None:
    now = chain_time(shared_exchange)
    results = {
        "own": new_result(32, domain),
        "unmapped_scheme": new_result(32, domain, scheme_id=3299),
        "unmapped_grade": new_result(32, domain, grade=6),
        "no_agreement": new_result(32, next(_domains)),
        "valid": new_result(32, domain, valid_until=now + 10**6),
    }
    publish_results(shared_exchange, 32, *results.values())
    rid = {name: packed_id(32, r.local_id) for name, r in results.items()}
    unknown = packed_id(32, local_id(32, "EV"))

    with reverts("EvaluationsEmptyBatch"):
        shared_exchange.send(33, "Evaluations", "recognise", [])
    with reverts("EvaluationsResultNotFound", resultId=unknown):
        shared_exchange.send(33, "Evaluations", "recognise", [unknown])
    with reverts("EvaluationsOwnResult", resultId=rid["own"]):
        shared_exchange.send(32, "Evaluations", "recognise", [rid["own"]])
    with reverts("EvaluationsSchemeNotMapped", domain=domain, province=32, schemeId=3299):
        shared_exchange.send(33, "Evaluations", "recognise", [rid["unmapped_scheme"]])
    with reverts("EvaluationsGradeNotMapped", resultId=rid["unmapped_grade"], grade=6):
        shared_exchange.send(33, "Evaluations", "recognise", [rid["unmapped_grade"]])
    with reverts("EvaluationsNoAgreement", domain=results["no_agreement"].domain):
        shared_exchange.send(33, "Evaluations", "recognise", [rid["no_agreement"]])
    with reverts("ConsortiumNotAMember", account=dev_account(OUTSIDER).address):
        shared_exchange.send(shared_exchange.account_client(OUTSIDER), "Evaluations", "recognise", [rid["valid"]])
    # atomic: the valid first item is not recognised either
    with reverts("EvaluationsGradeNotMapped"):
        shared_exchange.send(33, "Evaluations", "recognise", [rid["valid"], rid["unmapped_grade"]])
    assert shared_exchange.call("Evaluations", "recognition", rid["valid"], 33) == (0, 0, 0)


def test_recognised_twice_under_one_agreement_version_is_refused(shared_exchange: Exchange, domain: int) -> None:
    result = new_result(32, domain, grade=JS_FIVE_COLOURS["黄"])
    publish_results(shared_exchange, 32, result)
    rid = packed_id(32, result.local_id)
    shared_exchange.send(34, "Evaluations", "recognise", [rid])
    with reverts("EvaluationsAlreadyRecognised", resultId=rid, province=34, agreementVersion=1):
        shared_exchange.send(34, "Evaluations", "recognise", [rid])
    shared_exchange.send(31, "Evaluations", "recognise", [rid])  # another province may

    # a new agreement version maps 黄 (yellow) to B: recognition can be renewed under it
    adopt_agreement(shared_exchange, domain, YRD_LEVELS, [(32, JS_SCHEME, [1, 2, 2, 3, 4])])
    assert shared_exchange.call("Evaluations", "agreement", domain) == [2, YRD_LEVELS]
    assert shared_exchange.call("Evaluations", "recognisedGrade", rid, 34) == [True, 3, 1]  # fixed until renewed
    receipt = shared_exchange.send(34, "Evaluations", "recognise", [rid])
    assert events_of(shared_exchange, receipt, "Evaluations") == [
        ("ResultRecognised", {"resultId": rid, "province": 34, "yrdGrade": 2, "agreementVersion": 2})
    ]
    assert shared_exchange.call("Evaluations", "recognisedGrade", rid, 34) == [True, 2, 2]
    with reverts("EvaluationsAlreadyRecognised", resultId=rid, province=34, agreementVersion=2):
        shared_exchange.send(34, "Evaluations", "recognise", [rid])


def test_revoked_result_loses_its_recognition(shared_exchange: Exchange, domain: int) -> None:
    result = new_result(32, domain, grade=JS_FIVE_COLOURS["绿"])
    publish_results(shared_exchange, 32, result)
    rid = packed_id(32, result.local_id)
    receipt = shared_exchange.send(33, "Evaluations", "recognise", [rid])
    shared_exchange.send(32, "Evaluations", "revokeResults", [rid])

    assert shared_exchange.call("Evaluations", "recognisedGrade", rid, 33) == [False, 0, 1]
    assert shared_exchange.call("Evaluations", "recognition", rid, 33) == (1, 1, block_time(shared_exchange, receipt))
    with reverts("EvaluationsResultNotActive", resultId=rid):
        shared_exchange.send(34, "Evaluations", "recognise", [rid])


def test_expired_result_loses_its_recognition(shared_exchange: Exchange, domain: int) -> None:
    now = chain_time(shared_exchange)
    bounded = new_result(31, domain, grade=2, valid_until=now + 30 * 24 * 3600)
    open_ended = new_result(31, domain, grade=3, valid_until=0)
    late = new_result(31, domain, grade=4, valid_until=now + 30 * 24 * 3600)
    publish_results(shared_exchange, 31, bounded, open_ended, late)
    ids = [packed_id(31, r.local_id) for r in (bounded, open_ended, late)]
    shared_exchange.send(33, "Evaluations", "recognise", ids[:2])
    assert shared_exchange.call("Evaluations", "recognisedGrade", ids[0], 33) == [True, 2, 1]

    shared_exchange.advance_time(31 * 24 * 3600)
    assert shared_exchange.call("Evaluations", "recognisedGrade", ids[0], 33) == [False, 0, 1]
    assert shared_exchange.call("Evaluations", "recognisedGrade", ids[1], 33) == [True, 3, 1]  # never expires
    with reverts("EvaluationsResultExpired", resultId=ids[2], validUntil=late.valid_until):
        shared_exchange.send(33, "Evaluations", "recognise", [ids[2]])
