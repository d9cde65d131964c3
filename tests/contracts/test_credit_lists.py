"""CreditLists: publishing, validation, batch atomicity, ownership, amendments, repair, expiry."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from node.errors import ContractRevert
from tests.contracts.helpers import (
    OUTSIDER,
    ZERO32,
    EntryState,
    ListType,
    Status,
    amend,
    block_time,
    chain_time,
    change_status,
    digest,
    enact,
    entry_state,
    events_of,
    new_entry,
    packed_id,
    publish,
    reverts,
    signer,
)
from tests.support import Exchange, dev_account

pytestmark = pytest.mark.ledger

YEAR = 365 * 24 * 3600


# -- publishing ----------------------------------------------------------------------------


def test_publish_batch_records_entries_and_emits_tags_and_commitments(shared_exchange: Exchange) -> None:
    now = chain_time(shared_exchange)
    batch = [
        new_entry(33, list_type=ListType.RED, domain=3, valid_from=now - 10),
        new_entry(33, list_type=ListType.BLACK, domain=11),
        new_entry(33, list_type=ListType.BLACK, domain=11, valid_from=now, valid_until=now + 3 * YEAR),
    ]
    receipt = publish(shared_exchange, 33, *batch)
    published_at = block_time(shared_exchange, receipt)

    assert events_of(shared_exchange, receipt, "CreditLists") == [
        *[
            (
                "EntryPublished",
                {
                    "entryId": e.id_for(33),
                    "subjectTag": e.subject_tag,
                    "province": 33,
                    "listType": e.list_type,
                    "domain": e.domain,
                    "commitment": e.commitment,
                    "validFrom": e.valid_from,
                    "validUntil": e.valid_until,
                },
            )
            for e in batch
        ],
        ("BatchPublished", {"province": 33, "tagKeyVersion": 1, "count": 3}),
    ]
    for e in batch:
        assert entry_state(shared_exchange, e.id_for(33)) == EntryState(
            province=33,
            list_type=e.list_type,
            status=Status.PUBLISHED,
            domain=e.domain,
            version=1,
            valid_from=e.valid_from,
            valid_until=e.valid_until,
            updated_at=published_at,
        )


@settings(max_examples=25, deadline=None)
@given(code=st.integers(0, 255), local=st.binary(min_size=32, max_size=32))
def test_entry_id_is_keccak_of_packed_code_and_local_id(shared_exchange: Exchange, code: int, local: bytes) -> None:
    assert shared_exchange.call("CreditLists", "entryIdOf", code, local) == packed_id(code, local)


def test_same_local_id_in_two_provinces_gives_two_entries(shared_exchange: Exchange) -> None:
    shanghai = new_entry(31)
    jiangsu = new_entry(32, local_id=shanghai.local_id)
    publish(shared_exchange, 31, shanghai)
    publish(shared_exchange, 32, jiangsu)
    assert shanghai.id_for(31) != jiangsu.id_for(32)
    assert entry_state(shared_exchange, shanghai.id_for(31)).province == 31
    assert entry_state(shared_exchange, jiangsu.id_for(32)).province == 32


def test_unknown_entry_is_not_found(shared_exchange: Exchange) -> None:
    unknown = packed_id(31, b"SH-never-published".ljust(32, b"\0"))
    with reverts("CreditListsEntryNotFound", entryId=unknown):
        shared_exchange.call("CreditLists", "entry", unknown)


# -- validation ----------------------------------------------------------------------------


def exists(exchange: Exchange, entry_id: bytes) -> bool:
    try:
        entry_state(exchange, entry_id)
    except ContractRevert as refused:
        assert refused.name == "CreditListsEntryNotFound"
        return False
    return True


def _published(exchange: Exchange) -> Any:
    e = new_entry(31)
    publish(exchange, 31, e)
    return e


INVALID_PUBLICATIONS: list[tuple[str, Callable[[Exchange], tuple[int, list[Any]]], str, Callable[..., dict[str, Any]]]]
INVALID_PUBLICATIONS = [
    ("empty", lambda ex: (1, []), "CreditListsEmptyBatch", lambda b: {}),
    ("zero-local-id", lambda ex: (1, [new_entry(31, local_id=ZERO32)]), "CreditListsZeroLocalId", lambda b: {}),
    (
        "list-type-none",
        lambda ex: (1, [new_entry(31, list_type=ListType.NONE)]),
        "CreditListsInvalidListType",
        lambda b: {"localId": b[0].local_id, "listType": ListType.NONE},
    ),
    (
        "zero-commitment",
        lambda ex: (1, [new_entry(31, commitment=ZERO32)]),
        "CreditListsZeroCommitment",
        lambda b: {"entryId": b[0].id_for(31)},
    ),
    (
        "valid-until-equals-valid-from",
        lambda ex: (1, [new_entry(31, valid_from=1_800_000_000, valid_until=1_800_000_000)]),
        "CreditListsInvalidValidity",
        lambda b: {"entryId": b[0].id_for(31), "validFrom": 1_800_000_000, "validUntil": 1_800_000_000},
    ),
    (
        "valid-until-before-valid-from",
        lambda ex: (1, [new_entry(31, valid_from=1_800_000_000, valid_until=1_700_000_000)]),
        "CreditListsInvalidValidity",
        lambda b: {"entryId": b[0].id_for(31), "validFrom": 1_800_000_000, "validUntil": 1_700_000_000},
    ),
    (
        "entry-exists",
        lambda ex: (1, [_published(ex)]),
        "CreditListsEntryExists",
        lambda b: {"entryId": b[0].id_for(31)},
    ),
    (
        "duplicate-within-batch",
        lambda ex: (1, [e := new_entry(31), new_entry(31), new_entry(31, local_id=e.local_id, domain=9)]),
        "CreditListsEntryExists",
        lambda b: {"entryId": b[0].id_for(31)},
    ),
    (
        "future-tag-key-version",
        lambda ex: (2, [new_entry(31)]),
        "CreditListsStaleTagKeyVersion",
        lambda b: {"given": 2, "current": 1},
    ),
    (
        "tag-key-version-0",
        lambda ex: (0, [new_entry(31)]),
        "CreditListsStaleTagKeyVersion",
        lambda b: {"given": 0, "current": 1},
    ),
]


@pytest.mark.parametrize(
    ("batch", "error", "error_args"),
    [case[1:] for case in INVALID_PUBLICATIONS],
    ids=[case[0] for case in INVALID_PUBLICATIONS],
)
def test_publish_validation(
    shared_exchange: Exchange,
    batch: Callable[[Exchange], tuple[int, list[Any]]],
    error: str,
    error_args: Callable[..., dict[str, Any]],
) -> None:
    version, entries = batch(shared_exchange)
    ids = [e.id_for(31) for e in entries]
    existing = {eid for eid in ids if exists(shared_exchange, eid)}
    with reverts(error, **error_args(entries)):
        publish(shared_exchange, 31, *entries, tag_key_version=version)
    assert {eid for eid in ids if exists(shared_exchange, eid)} == existing  # nothing of it written


def test_empty_amend_and_status_batches_are_refused(shared_exchange: Exchange) -> None:
    with reverts("CreditListsEmptyBatch"):
        amend(shared_exchange, 31)
    with reverts("CreditListsEmptyBatch"):
        change_status(shared_exchange, 31)


def test_tag_key_bump_makes_the_old_version_stale(exchange: Exchange) -> None:
    enact(exchange, "proposeBumpTagKeyVersion")
    with reverts("CreditListsStaleTagKeyVersion", given=1, current=2):
        publish(exchange, 32, new_entry(32), tag_key_version=1)
    entry = new_entry(32)
    receipt = publish(exchange, 32, entry, tag_key_version=2)
    assert events_of(exchange, receipt, "CreditLists")[-1] == (
        "BatchPublished",
        {"province": 32, "tagKeyVersion": 2, "count": 1},
    )
    assert exchange.call("Consortium", "memberOf", signer(32)) == [32, 2]


@pytest.mark.parametrize(
    ("bad", "error"),
    [
        ("zero-commitment", "CreditListsZeroCommitment"),
        ("duplicate", "CreditListsEntryExists"),
        ("invalid-validity", "CreditListsInvalidValidity"),
        ("list-type-none", "CreditListsInvalidListType"),
    ],
)
def test_a_bad_last_item_reverts_the_whole_publish_batch(shared_exchange: Exchange, bad: str, error: str) -> None:
    good = [new_entry(34), new_entry(34, list_type=ListType.RED)]
    last = {
        "zero-commitment": lambda: new_entry(34, commitment=ZERO32),
        "duplicate": lambda: new_entry(34, local_id=good[0].local_id),
        "invalid-validity": lambda: new_entry(34, valid_from=10, valid_until=5),
        "list-type-none": lambda: new_entry(34, list_type=ListType.NONE),
    }[bad]()
    with reverts(error):
        publish(shared_exchange, 34, *good, last)
    assert [exists(shared_exchange, e.id_for(34)) for e in [*good, last]] == [False, False, False]


def test_a_bad_item_reverts_the_whole_amend_batch(shared_exchange: Exchange) -> None:
    first, second = new_entry(34), new_entry(34)
    publish(shared_exchange, 34, first, second)
    before = entry_state(shared_exchange, first.id_for(34))
    with reverts("CreditListsZeroCommitment", entryId=second.id_for(34)):
        amend(shared_exchange, 34, (first.id_for(34), digest("v2"), 0, 0), (second.id_for(34), ZERO32, 0, 0))
    assert entry_state(shared_exchange, first.id_for(34)) == before


def test_a_bad_item_reverts_the_whole_status_batch(shared_exchange: Exchange) -> None:
    first, second = new_entry(34), new_entry(34)
    publish(shared_exchange, 34, first, second)
    before = entry_state(shared_exchange, first.id_for(34))
    with reverts("CreditListsIllegalTransition", entryId=second.id_for(34), **{"from": 1, "to": 1}):
        change_status(shared_exchange, 34, (first.id_for(34), Status.DISPUTED), (second.id_for(34), Status.PUBLISHED))
    assert entry_state(shared_exchange, first.id_for(34)) == before


# -- ownership -----------------------------------------------------------------------------


def _status_write(status: Status) -> Callable[[Exchange, Any, bytes], Any]:
    def write(exchange: Exchange, who: Any, entry_id: bytes) -> Any:
        return change_status(exchange, who, (entry_id, status))

    return write


WRITE_PATHS: dict[str, Callable[[Exchange, Any, bytes], Any]] = {
    "amend": lambda ex, who, eid: amend(ex, who, (eid, digest("foreign"), 0, 0)),
    **{
        f"status-{s.name.lower()}": _status_write(s)
        for s in (Status.DISPUTED, Status.PUBLISHED, Status.REPAIRED, Status.EXPIRED, Status.REVOKED)
    },
}


@pytest.mark.parametrize("path", list(WRITE_PATHS))
def test_no_province_can_touch_another_provinces_entry(shared_exchange: Exchange, path: str) -> None:
    entry = new_entry(31, valid_from=1, valid_until=2)  # long expired: every change would be legal for the owner
    publish(shared_exchange, 31, entry)
    entry_id = entry.id_for(31)
    if path == "status-published":
        change_status(shared_exchange, 31, (entry_id, Status.DISPUTED))
    before = entry_state(shared_exchange, entry_id)
    for code in (32, 33, 34):
        with reverts("CreditListsUnauthorized", account=signer(code), entryId=entry_id):
            WRITE_PATHS[path](shared_exchange, code, entry_id)
    with reverts("ConsortiumNotAMember", account=dev_account(OUTSIDER).address):
        WRITE_PATHS[path](shared_exchange, shared_exchange.account_client(OUTSIDER), entry_id)
    assert entry_state(shared_exchange, entry_id) == before
    WRITE_PATHS[path](shared_exchange, 31, entry_id)  # while the owner can
    assert entry_state(shared_exchange, entry_id) != before


def test_foreign_entry_in_a_batch_reverts_the_batch(shared_exchange: Exchange) -> None:
    own, foreign = new_entry(32), new_entry(33)
    publish(shared_exchange, 32, own)
    publish(shared_exchange, 33, foreign)
    with reverts("CreditListsUnauthorized", account=signer(32), entryId=foreign.id_for(33)):
        change_status(shared_exchange, 32, (own.id_for(32), Status.REVOKED), (foreign.id_for(33), Status.REVOKED))
    assert entry_state(shared_exchange, own.id_for(32)).status == Status.PUBLISHED
    assert entry_state(shared_exchange, foreign.id_for(33)).status == Status.PUBLISHED


def test_non_member_cannot_publish(shared_exchange: Exchange) -> None:
    outsider = shared_exchange.account_client(OUTSIDER)
    entry = new_entry(31)
    with reverts("ConsortiumNotAMember", account=dev_account(OUTSIDER).address):
        publish(shared_exchange, outsider, entry)


def test_unknown_entry_cannot_be_changed(shared_exchange: Exchange) -> None:
    unknown = new_entry(31).id_for(31)
    with reverts("CreditListsEntryNotFound", entryId=unknown):
        change_status(shared_exchange, 31, (unknown, Status.REVOKED))
    with reverts("CreditListsEntryNotFound", entryId=unknown):
        amend(shared_exchange, 31, (unknown, digest("c"), 0, 0))


# -- amendments ----------------------------------------------------------------------------


def test_amendments_make_new_versions(shared_exchange: Exchange) -> None:
    entry = new_entry(32, list_type=ListType.RED, domain=4)
    entry_id = entry.id_for(32)
    publish(shared_exchange, 32, entry)
    now = chain_time(shared_exchange)

    steps = [
        (Status.PUBLISHED, digest("v2"), now, now + YEAR),
        (Status.AMENDED, digest("v3"), now, 0),
    ]
    version = 1
    for previous, commitment, valid_from, valid_until in steps:
        receipt = amend(shared_exchange, 32, (entry_id, commitment, valid_from, valid_until))
        version += 1
        assert events_of(shared_exchange, receipt, "CreditLists") == [
            (
                "EntryAmended",
                {
                    "entryId": entry_id,
                    "province": 32,
                    "version": version,
                    "previousStatus": previous,
                    "commitment": commitment,
                    "validFrom": valid_from,
                    "validUntil": valid_until,
                },
            )
        ]
        assert entry_state(shared_exchange, entry_id) == EntryState(
            32, ListType.RED, Status.AMENDED, 4, version, valid_from, valid_until, block_time(shared_exchange, receipt)
        )

    # an upheld objection: DISPUTED -> AMENDED
    change_status(shared_exchange, 32, (entry_id, Status.DISPUTED))
    receipt = amend(shared_exchange, 32, (entry_id, digest("v4"), now, 0))
    assert events_of(shared_exchange, receipt, "CreditLists")[0][1]["previousStatus"] == Status.DISPUTED
    assert entry_state(shared_exchange, entry_id).version == 4
    # status changes keep the version
    receipt = change_status(shared_exchange, 32, (entry_id, Status.DISPUTED))
    assert events_of(shared_exchange, receipt, "CreditLists")[0][1]["version"] == 4


def test_amendment_validation(shared_exchange: Exchange) -> None:
    entry = new_entry(32)
    entry_id = entry.id_for(32)
    publish(shared_exchange, 32, entry)
    with reverts("CreditListsZeroCommitment", entryId=entry_id):
        amend(shared_exchange, 32, (entry_id, ZERO32, 0, 0))
    with reverts("CreditListsInvalidValidity", entryId=entry_id, validFrom=500, validUntil=500):
        amend(shared_exchange, 32, (entry_id, digest("c"), 500, 500))
    assert entry_state(shared_exchange, entry_id).version == 1


# -- repair and expiry ---------------------------------------------------------------------


def test_credit_repair_is_for_black_list_entries_only(shared_exchange: Exchange) -> None:
    red, black = new_entry(33, list_type=ListType.RED), new_entry(33, list_type=ListType.BLACK)
    publish(shared_exchange, 33, red, black)
    with reverts("CreditListsRepairNotApplicable", entryId=red.id_for(33), listType=ListType.RED):
        change_status(shared_exchange, 33, (red.id_for(33), Status.REPAIRED))
    receipt = change_status(shared_exchange, 33, (black.id_for(33), Status.REPAIRED))
    assert events_of(shared_exchange, receipt, "CreditLists") == [
        (
            "EntryStatusChanged",
            {
                "entryId": black.id_for(33),
                "province": 33,
                "previousStatus": Status.PUBLISHED,
                "status": Status.REPAIRED,
                "version": 1,
            },
        )
    ]
    assert entry_state(shared_exchange, red.id_for(33)).status == Status.PUBLISHED
    assert entry_state(shared_exchange, black.id_for(33)).status == Status.REPAIRED


def test_expiry_only_once_valid_until_is_reached(shared_exchange: Exchange) -> None:
    now = chain_time(shared_exchange)
    bounded = new_entry(34, valid_from=now, valid_until=now + 30 * 24 * 3600)
    open_ended = new_entry(34, valid_from=now, valid_until=0)
    publish(shared_exchange, 34, bounded, open_ended)

    with reverts("CreditListsNotYetExpired", entryId=bounded.id_for(34), validUntil=bounded.valid_until):
        change_status(shared_exchange, 34, (bounded.id_for(34), Status.EXPIRED))
    shared_exchange.advance_time(31 * 24 * 3600)
    receipt = change_status(shared_exchange, 34, (bounded.id_for(34), Status.EXPIRED))
    assert events_of(shared_exchange, receipt, "CreditLists")[0][1]["status"] == Status.EXPIRED
    assert entry_state(shared_exchange, bounded.id_for(34)).status == Status.EXPIRED

    # validUntil 0: never expires, however much time passes
    shared_exchange.advance_time(10 * YEAR)
    with reverts("CreditListsNotYetExpired", entryId=open_ended.id_for(34), validUntil=0):
        change_status(shared_exchange, 34, (open_ended.id_for(34), Status.EXPIRED))
    assert entry_state(shared_exchange, open_ended.id_for(34)).status == Status.PUBLISHED
