"""The log index answers like a plain filter over all logs, whichever plan it picks."""

from __future__ import annotations

import random
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import orjson
import pytest

from node.embedded import logindex
from node.embedded.store import LedgerStore

ADDRESSES = [bytes([a]) * 20 for a in range(1, 5)]
TOPICS = [bytes([t]) * 32 for t in range(1, 9)]
BLOCKS = 400
Log = tuple[int, int, bytes, tuple[bytes, ...]]  # block, log index, address, topics


@pytest.fixture(scope="module")
def index(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[sqlite3.Connection, list[Log]]]:
    """A store file with 400 blocks of 0-60 logs; address 1 and topic 1 are common, others rare."""
    path: Path = tmp_path_factory.mktemp("logindex")
    LedgerStore.open(path).close()  # the schema
    db = sqlite3.connect(path / "ledger.sqlite")
    rng = random.Random(7)
    logs: list[Log] = []
    total = 0
    for block in range(BLOCKS):
        count = rng.choice([0, 0, 5, 20, 60])
        db.execute(
            "INSERT INTO blocks VALUES (?, ?, x'', x'7b7d', x'', ?, ?)",
            (block, block.to_bytes(32, "big"), total, count),
        )
        for log_index in range(count):
            address = ADDRESSES[0] if rng.random() < 0.9 else rng.choice(ADDRESSES[1:])
            topics = tuple(TOPICS[0] if rng.random() < 0.8 else rng.choice(TOPICS) for _ in range(rng.randint(0, 4)))
            logs.append((block, log_index, address, topics))
            document = orjson.dumps({"b": block, "i": log_index})
            db.execute(
                "INSERT INTO logs VALUES (?, ?, 0, ?, ?, ?, ?, ?, ?, x'', ?)",
                (
                    (block << 20) | log_index,
                    block,
                    log_index,
                    address,
                    *(topics + (None,) * (4 - len(topics))),
                    document,
                ),
            )
        total += count
    db.commit()
    yield db, logs
    db.close()


def expected(
    logs: list[Log], first: int, last: int, addresses: list[bytes], topics: list[list[bytes]]
) -> list[dict[str, int]]:
    out = []
    for block, log_index, address, log_topics in logs:
        if not first <= block <= last or (addresses and address not in addresses):
            continue
        if any(allowed and (i >= len(log_topics) or log_topics[i] not in allowed) for i, allowed in enumerate(topics)):
            continue
        out.append({"b": block, "i": log_index})
    return out


def answer(
    db: sqlite3.Connection, first: int, last: int, addresses: list[bytes], topics: list[list[bytes]], limit: int = 10**6
) -> logindex.LogsAnswer:
    return logindex.query(db, first, last, addresses=addresses, topics=topics, limit=limit)


CASES = [
    ([], []),  # everything: range walk
    ([ADDRESSES[0]], []),  # common address: walk with a filter
    ([ADDRESSES[1]], []),  # rare address: its index
    ([ADDRESSES[1], ADDRESSES[2]], [[TOPICS[0]]]),  # rare addresses, common topic
    ([], [[], [TOPICS[3]]]),  # rare topic in position 1
    ([], [[TOPICS[5], TOPICS[6]], [], [TOPICS[0]]]),
    ([ADDRESSES[0]], [[TOPICS[0]], [TOPICS[0]], [TOPICS[0]], [TOPICS[0]]]),
    ([bytes(20)], []),  # matches nothing
]


@pytest.mark.parametrize(("addresses", "topics"), CASES)
def test_answers_equal_a_plain_filter(
    index: tuple[sqlite3.Connection, list[Log]], addresses: list[bytes], topics: list[list[bytes]]
) -> None:
    db, logs = index
    for first, last in ((0, BLOCKS - 1), (37, 211), (100, 100), (BLOCKS - 3, BLOCKS + 50)):
        result = answer(db, first, last, addresses, topics)
        got = orjson.loads(b"[" + b",".join(result.pieces) + b"]")
        assert got == expected(logs, first, last, addresses, topics), (first, last)
        assert result.count == len(got) and result.complete


def test_an_answer_over_the_limit_says_so_and_stops(index: tuple[sqlite3.Connection, list[Log]]) -> None:
    db, logs = index
    everything = expected(logs, 0, BLOCKS - 1, [], [])
    exact = answer(db, 0, BLOCKS - 1, [], [], limit=len(everything))
    assert exact.complete and exact.count == len(everything)
    over = answer(db, 0, BLOCKS - 1, [], [], limit=len(everything) - 1)
    assert not over.complete and over.count == len(everything)
    rare = expected(logs, 0, BLOCKS - 1, [ADDRESSES[1]], [])
    assert not answer(db, 0, BLOCKS - 1, [ADDRESSES[1]], [], limit=len(rare) - 1).complete


def test_both_plans_are_used(index: tuple[sqlite3.Connection, list[Log]], monkeypatch: pytest.MonkeyPatch) -> None:
    db, _ = index
    used: list[str] = []
    for name in ("_walk", "_through_index"):
        original = getattr(logindex, name)
        monkeypatch.setattr(logindex, name, lambda *a, _o=original, _n=name, **k: (used.append(_n), _o(*a, **k))[1])
    answer(db, 0, BLOCKS - 1, [ADDRESSES[0]], [])
    answer(db, 0, BLOCKS - 1, [ADDRESSES[1]], [])
    assert used == ["_walk", "_through_index"]
