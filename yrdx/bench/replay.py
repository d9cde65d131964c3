"""``yrdx bench replay``: events replayed per second by the audit replay, beside the raw rate of
fetching the same logs with ``eth_getLogs`` (the same parallel pages, JSON parsed, nothing
decoded), on a fresh engine filled with list-entry events.

The chain is made of entries published in batches and then, for the bulk of the events, status
changes toggling every entry between DISPUTED and PUBLISHED in large batches: a status change
adds no storage slot, so the engine does not slow down as the events pile up. Every
transaction is encoded and signed before the first is sent; generation is timed on its own.
Replay and raw fetch each run twice, alternately, and the better run of each counts.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from tempfile import TemporaryDirectory

import orjson
from eth_utils.crypto import keccak

from adapters.audit.chain import ChainReplay
from adapters.audit.fetch import LogPages
from node.calls import encode_call
from node.client import LedgerClient, SignedTx
from node.deploy import Deployment, deploy
from node.dev_accounts import dev_accounts
from node.engines import Anvil
from node.events import EventCodec, EventReader
from node.http import rpc_session

ZJ = 33
BLACK, PUBLISHED, DISPUTED = 2, 1, 2
PUBLISH_GAS_PER_ENTRY, STATUS_GAS_PER_CHANGE, BASE_GAS = 30_000, 10_500, 150_000

#: engine -> (block gas limit, entries per publish transaction, changes per status transaction). A
#: transaction uses less than half the block gas limit (EIP-1559's target), so the base fee never
#: rises above what the pre-signed transactions offer.
SHAPES = {"anvil": (150_000_000, 2_500, 7_000), "embedded": (60_000_000, 1_000, 2_800)}


@dataclass(frozen=True)
class ReplayFigures:
    events: int
    replay_events_per_s: float
    raw_logs_per_s: float
    generation_s: float
    entries: int
    status_changes: int

    def as_json(self) -> dict[str, float | int]:
        """The figures ``--json`` prints."""
        return {
            "events": self.events,
            "replay_events_per_s": self.replay_events_per_s,
            "raw_logs_per_s": self.raw_logs_per_s,
        }


def plan(events: int) -> tuple[int, int]:
    """(entries, status changes) making about ``events`` events: a tenth entries (at most
    100,000), the rest status changes."""
    entries = max(1, min(100_000, events // 10))
    return entries, max(0, events - entries - entries // 1_000)


@contextmanager
def engine(name: str) -> Iterator[str]:
    """A fresh engine with the block gas limit of its shape."""
    gas_limit = SHAPES[name][0]
    if name == "anvil":
        with Anvil(block_gas_limit=gas_limit) as anvil:
            yield anvil.url
    else:
        from node.embedded import EmbeddedLedger

        with TemporaryDirectory(prefix="yrdx-bench-") as tmp:
            with EmbeddedLedger(Path(tmp), block_gas_limit=gas_limit) as ledger:
                yield ledger.url


def _send_all(url: str, client: LedgerClient, txs: list[SignedTx]) -> None:
    session = rpc_session(url)
    for i, tx in enumerate(txs):
        body = orjson.dumps(
            {"jsonrpc": "2.0", "id": i, "method": "eth_sendRawTransaction", "params": ["0x" + tx.raw.hex()]}
        )
        answer = orjson.loads(session.post(url, data=body, headers={"Content-Type": "application/json"}).content)
        if "error" in answer:
            raise RuntimeError(f"transaction {i} refused: {answer['error']}")
    for tx in txs:
        client.wait(tx, timeout=1_800)  # raises unless mined and successful


def generate(url: str, *, entries: int, changes: int, engine_name: str) -> tuple[Deployment, float]:
    """Deploy and fill the chain; returns the deployment and the seconds generation took."""
    _, per_publish, per_status = SHAPES[engine_name]
    accounts = dev_accounts(5)
    deployer = LedgerClient(rpc_url=url, account=accounts[0], poll_interval=0.005)
    deployment = deploy(deployer, founding_members={c: accounts[i + 1].address for i, c in enumerate((31, 32, 33, 34))})
    client = LedgerClient(rpc_url=url, account=accounts[3], poll_interval=0.005)
    lists = deployment.address("CreditLists")
    local_ids = [f"BENCH-{i:09d}".encode().ljust(32, b"\0") for i in range(entries)]
    ids = [keccak(bytes([ZJ]) + lid) for lid in local_ids]
    started = time.perf_counter()
    txs: list[SignedTx] = []
    for start in range(0, entries, per_publish):
        batch = [
            (lid, BLACK, 3, keccak(lid), keccak(b"c" + lid), 1_767_196_800, 0)
            for lid in local_ids[start : start + per_publish]
        ]
        data = encode_call("CreditLists", "publishBatch", 1, batch)
        txs.append(client.sign(to=lists, data=data, gas=BASE_GAS + PUBLISH_GAS_PER_ENTRY * len(batch)))
    done = 0
    round_ = 0
    while done < changes:
        status = DISPUTED if round_ % 2 == 0 else PUBLISHED
        for start in range(0, entries, per_status):
            n = min(per_status, entries - start, changes - done)
            if n <= 0:
                break
            data = encode_call("CreditLists", "changeStatusBatch", [(i, status) for i in ids[start : start + n]])
            txs.append(client.sign(to=lists, data=data, gas=BASE_GAS + STATUS_GAS_PER_CHANGE * n))
            done += n
        round_ += 1
    _send_all(url, client, txs)
    return deployment, time.perf_counter() - started


def _timed(run: Callable[[], int]) -> tuple[int, float]:
    started = time.perf_counter()
    n = run()
    return n, time.perf_counter() - started


def measure(url: str, *, engine_name: str, events: int, parallel: int = 4) -> ReplayFigures:
    """Generate about ``events`` events on ``url``, then time the raw fetch and the replay."""
    entries, changes = plan(events)
    deployment, generation = generate(url, entries=entries, changes=changes, engine_name=engine_name)
    reader = EventReader(rpc_url=url, codec=EventCodec(deployment.addresses()), parallel=parallel)
    head = reader.head()
    pages = LogPages(reader, parallel=parallel)

    def raw() -> int:
        return sum(len(page.logs) for page in pages.pages(deployment.deploy_block, head))

    def replay() -> int:
        engine = ChainReplay(reader=reader, deployment=deployment, parallel=parallel)
        outcome = engine.run(engine.start(), to_block=head)
        if len(outcome.findings):
            raise RuntimeError(f"the benchmark chain replays with findings: {outcome.findings.to_json()['counts']}")
        return outcome.events

    best_raw = best_replay = float("inf")
    logs = replayed = 0
    for _ in range(2):
        logs, seconds = _timed(raw)
        best_raw = min(best_raw, seconds)
        replayed, seconds = _timed(replay)
        best_replay = min(best_replay, seconds)
    if logs != replayed:
        raise RuntimeError(f"the raw fetch saw {logs} logs, the replay {replayed} events")
    return ReplayFigures(
        events=replayed,
        replay_events_per_s=round(replayed / best_replay, 1),
        raw_logs_per_s=round(logs / best_raw, 1),
        generation_s=round(generation, 1),
        entries=entries,
        status_changes=changes,
    )
