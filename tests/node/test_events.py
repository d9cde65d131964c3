"""The event reader decodes every contract event exactly as web3 does, in ledger order."""

from __future__ import annotations

import os
from typing import Any

import pytest
from hexbytes import HexBytes

from node.calls import encode_call
from node.events import EventCodec, EventReader, LogQueryTooLarge
from tests.support import Exchange

pytestmark = pytest.mark.ledger


def _entry(local: str) -> tuple[bytes, int, int, bytes, bytes, int, int]:
    return (local.encode().ljust(32, b"\0"), 2, 5, os.urandom(32), os.urandom(32), 1_700_000_000, 0)


def _activity(ex: Exchange) -> None:
    """Touch every event kind at least once."""
    entries = [_entry(f"E-{i}") for i in range(3)]
    ex.send(33, "CreditLists", "publishBatch", 1, entries)
    entry_id = ex.call("CreditLists", "entryIdOf", 33, entries[0][0])
    ex.send(33, "CreditLists", "changeStatusBatch", [(entry_id, 2)])
    ex.send(33, "CreditLists", "amendBatch", [(entry_id, os.urandom(32), 1_700_000_000, 1_900_000_000)])
    adopt = encode_call("Evaluations", "adoptAgreement", 3, 4, [(32, 3201, [1, 2, 3, 4, 4])])
    ex.send(31, "Consortium", "proposeCall", ex.deployment.address("Evaluations"), adopt)
    ex.send(32, "Consortium", "vote", 1)
    ex.send(33, "Consortium", "vote", 1)
    result = (b"R-1".ljust(32, b"\0"), 3, 3201, 2, os.urandom(32), os.urandom(32), 1_700_000_000, 0)
    ex.send(32, "Evaluations", "publishResults", [result])
    result_id = ex.call("Evaluations", "resultIdOf", 32, result[0])
    ex.send(34, "Evaluations", "recognise", [result_id])
    ex.send(32, "Evaluations", "revokeResults", [result_id])
    ex.send(31, "AnchorLog", "openStream", b"audit".ljust(32, b"\0"))
    stream = ex.call("AnchorLog", "streamIdOf", 31, b"audit".ljust(32, b"\0"))
    ex.send(31, "AnchorLog", "appendCheckpoint", stream, 10, os.urandom(32))


def _web3_args(ex: Exchange, contract: str, log: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    c = ex.contract(contract)
    for event in c.events:
        try:
            decoded = event().process_log(
                {**log, "topics": [HexBytes(t) for t in log["topics"]], "data": HexBytes(log["data"])}
            )
        except Exception:  # noqa: S112 - another event's signature
            continue
        return decoded["event"], {k: _plain(v) for k, v in decoded["args"].items()}
    raise AssertionError(f"web3 cannot decode {log}")


def _plain(value: Any) -> Any:
    if isinstance(value, bytes):
        return "0x" + value.hex()
    if isinstance(value, str) and value.startswith("0x"):
        return value.lower()
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def test_reader_decodes_every_event_like_web3(exchange: Exchange) -> None:
    _activity(exchange)
    codec = EventCodec(exchange.deployment.addresses())
    reader = EventReader(rpc_url=exchange.url, codec=codec, chunk_blocks=3, parallel=3)
    raw = reader.raw_logs(0, reader.head())
    events = [e for page in reader.pages(0) for e in page.events]

    assert len(events) == len(raw)
    names = {e.name for e in events}
    assert {
        "MemberAdded",
        "QuorumChanged",
        "TagKeyVersionBumped",
        "EntryPublished",
        "EntryStatusChanged",
        "EntryAmended",
        "BatchPublished",
        "ProposalCreated",
        "Voted",
        "ProposalExecuted",
        "AgreementAdopted",
        "SchemeMapped",
        "ResultPublished",
        "ResultRecognised",
        "ResultRevoked",
        "StreamOpened",
        "CheckpointAnchored",
    } <= names
    for event, log in zip(events, raw, strict=True):
        name, args = _web3_args(exchange, event.contract, log)
        assert event.name == name
        assert {k: _plain(v) for k, v in event.args.items()} == args
    positions = [e.position for e in events]
    assert positions == sorted(positions)


def test_pages_cover_the_range_exactly_once(exchange: Exchange) -> None:
    _activity(exchange)
    codec = EventCodec(exchange.deployment.addresses())
    reader = EventReader(rpc_url=exchange.url, codec=codec, chunk_blocks=4, parallel=2)
    head = reader.head()
    pages = list(reader.pages(2, head))
    assert pages[0].from_block == 2 and pages[-1].to_block == head
    for before, after in zip(pages, pages[1:], strict=False):
        assert after.from_block == before.to_block + 1
    assert sum(len(p.events) for p in pages) == len(reader.events(2, head))


def test_ranges_refused_as_too_large_are_split(exchange: Exchange, monkeypatch: pytest.MonkeyPatch) -> None:
    _activity(exchange)
    codec = EventCodec(exchange.deployment.addresses())
    reader = EventReader(rpc_url=exchange.url, codec=codec)
    expected = reader.raw_logs(0, reader.head())
    real = reader.request
    spans: list[int] = []

    def limited(method: str, params: list[Any]) -> Any:
        if method == "eth_getLogs":
            span = int(params[0]["toBlock"], 16) - int(params[0]["fromBlock"], 16)
            spans.append(span)
            if span > 2:
                raise LogQueryTooLarge("query returned more than 10000 results")
        return real(method, params)

    monkeypatch.setattr(reader, "request", limited)
    assert reader.raw_logs(0, reader.head()) == expected
    assert max(spans) > 2 and min(spans) <= 2
