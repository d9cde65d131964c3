"""AnchorLog: streams, append-only checkpoints and who may append."""

from __future__ import annotations

import itertools

import pytest
from eth_utils.crypto import keccak

from tests.contracts.helpers import OUTSIDER, ZERO32, block_time, digest, enact, events_of, reverts, signer
from tests.support import Exchange, dev_account

pytestmark = pytest.mark.ledger

_names = itertools.count(1)


def stream_name(label: str = "gateway-audit") -> bytes:
    return f"{label}-{next(_names)}".encode("ascii").ljust(32, b"\0")


def open_stream(exchange: Exchange, who: int, name: bytes) -> bytes:
    receipt = exchange.send(who, "AnchorLog", "openStream", name)
    [(event, args)] = events_of(exchange, receipt, "AnchorLog")
    assert event == "StreamOpened"
    return bytes(args["streamId"])


def test_open_stream(shared_exchange: Exchange) -> None:
    name = stream_name()
    receipt = shared_exchange.send(33, "AnchorLog", "openStream", name)
    stream_id = keccak(bytes([33]) + name)
    assert events_of(shared_exchange, receipt, "AnchorLog") == [
        ("StreamOpened", {"streamId": stream_id, "owner": 33, "name": name})
    ]
    assert shared_exchange.call("AnchorLog", "streamIdOf", 33, name) == stream_id
    assert shared_exchange.call("AnchorLog", "ownerOf", stream_id) == 33
    assert shared_exchange.call("AnchorLog", "checkpointCount", stream_id) == 0

    with reverts("AnchorLogStreamExists", streamId=stream_id):
        shared_exchange.send(33, "AnchorLog", "openStream", name)
    # the same name is another stream for another province
    assert open_stream(shared_exchange, 34, name) == keccak(bytes([34]) + name)
    assert shared_exchange.call("AnchorLog", "ownerOf", keccak(bytes([34]) + name)) == 34


def test_non_member_cannot_open_a_stream(shared_exchange: Exchange) -> None:
    with reverts("ConsortiumNotAMember", account=dev_account(OUTSIDER).address):
        shared_exchange.send(shared_exchange.account_client(OUTSIDER), "AnchorLog", "openStream", stream_name())


def test_checkpoints_are_appended_with_growing_tree_sizes(shared_exchange: Exchange) -> None:
    stream_id = open_stream(shared_exchange, 31, stream_name())
    anchored = []
    for index, size in enumerate((1, 7, 1024)):
        root = digest("root")
        receipt = shared_exchange.send(31, "AnchorLog", "appendCheckpoint", stream_id, size, root)
        at = block_time(shared_exchange, receipt)
        assert events_of(shared_exchange, receipt, "AnchorLog") == [
            (
                "CheckpointAnchored",
                {"streamId": stream_id, "owner": 31, "index": index, "treeSize": size, "root": root, "anchoredAt": at},
            )
        ]
        anchored.append((size, at, root))
        assert shared_exchange.call("AnchorLog", "latestCheckpoint", stream_id) == (size, at, root)

    assert shared_exchange.call("AnchorLog", "checkpointCount", stream_id) == 3
    assert [shared_exchange.call("AnchorLog", "checkpoint", stream_id, i) for i in range(3)] == anchored
    for size in (1024, 1023, 0):
        with reverts("AnchorLogTreeSizeNotGrowing", streamId=stream_id, previous=1024, given=size):
            shared_exchange.send(31, "AnchorLog", "appendCheckpoint", stream_id, size, digest("root"))
    with reverts("AnchorLogZeroRoot", streamId=stream_id):
        shared_exchange.send(31, "AnchorLog", "appendCheckpoint", stream_id, 2048, ZERO32)
    assert shared_exchange.call("AnchorLog", "checkpointCount", stream_id) == 3


def test_first_checkpoint_needs_a_non_empty_tree(shared_exchange: Exchange) -> None:
    stream_id = open_stream(shared_exchange, 32, stream_name())
    with reverts("AnchorLogTreeSizeNotGrowing", streamId=stream_id, previous=0, given=0):
        shared_exchange.send(32, "AnchorLog", "appendCheckpoint", stream_id, 0, digest("root"))


def test_only_the_owner_appends(shared_exchange: Exchange) -> None:
    stream_id = open_stream(shared_exchange, 32, stream_name())
    for code in (31, 33, 34):
        with reverts("AnchorLogUnauthorized", account=signer(code), streamId=stream_id):
            shared_exchange.send(code, "AnchorLog", "appendCheckpoint", stream_id, 5, digest("root"))
    with reverts("ConsortiumNotAMember", account=dev_account(OUTSIDER).address):
        shared_exchange.send(
            shared_exchange.account_client(OUTSIDER), "AnchorLog", "appendCheckpoint", stream_id, 5, digest("root")
        )
    assert shared_exchange.call("AnchorLog", "checkpointCount", stream_id) == 0


def test_unknown_streams_and_missing_checkpoints(shared_exchange: Exchange) -> None:
    unknown = keccak(bytes([31]) + stream_name("never-opened"))
    with reverts("AnchorLogUnknownStream", streamId=unknown):
        shared_exchange.send(31, "AnchorLog", "appendCheckpoint", unknown, 1, digest("root"))
    assert shared_exchange.call("AnchorLog", "ownerOf", unknown) == 0
    assert shared_exchange.call("AnchorLog", "checkpointCount", unknown) == 0
    with reverts("AnchorLogNoCheckpoint", streamId=unknown, index=0):
        shared_exchange.call("AnchorLog", "latestCheckpoint", unknown)

    stream_id = open_stream(shared_exchange, 31, stream_name())
    with reverts("AnchorLogNoCheckpoint", streamId=stream_id, index=0):
        shared_exchange.call("AnchorLog", "latestCheckpoint", stream_id)
    shared_exchange.send(31, "AnchorLog", "appendCheckpoint", stream_id, 3, digest("root"))
    with reverts("AnchorLogNoCheckpoint", streamId=stream_id, index=1):
        shared_exchange.call("AnchorLog", "checkpoint", stream_id, 1)


def test_only_the_owners_current_signer_appends_after_rotation(exchange: Exchange) -> None:
    stream_id = open_stream(exchange, 34, stream_name())
    exchange.send(34, "AnchorLog", "appendCheckpoint", stream_id, 1, digest("root"))
    enact(exchange, "proposeRotateSigner", 34, dev_account(8).address)

    with reverts("ConsortiumNotAMember", account=signer(34)):
        exchange.send(34, "AnchorLog", "appendCheckpoint", stream_id, 2, digest("root"))
    exchange.send(exchange.account_client(8), "AnchorLog", "appendCheckpoint", stream_id, 2, digest("root"))
    assert exchange.call("AnchorLog", "latestCheckpoint", stream_id)[0] == 2
