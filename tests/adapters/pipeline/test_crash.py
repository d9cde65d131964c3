"""Crash safety: ``yrdx adapter ingest`` killed with SIGKILL at several points and run again
until it completes leaves every valid record on the ledger exactly once, and the store sees all
of it confirmed. Both store backends, on an anvil of the test's own (its mining is switched off
and on to hold the process at chosen points).

The kills: while the first chunk is read and validated (the store is migrated, nothing is
written yet); right after a batch was journaled, before it can be mined; while the process
waits for receipts of transactions the node then loses (its pool is dropped, so only the
journal can bring them back); and at a random moment with mining on. The same command then
runs to completion (in this process), and once more to show nothing is left to send.
"""

from __future__ import annotations

import collections
import json
import random
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import text

from adapters.core.model import EntryStatus
from adapters.core.provinces import Province
from adapters.synthetic import generate
from node.client import LedgerClient
from node.engines import Anvil
from tests.adapters.conftest import StoreFactory
from tests.adapters.pipeline.support import Net, kill_hard, read_valid, spawn
from yrdx.context import DataDir, init_development

pytestmark = [pytest.mark.ledger, pytest.mark.rpc, pytest.mark.slow]

PROVINCE = Province.ZJ
ENTRIES = 6_000  # more than one ingest chunk
BATCH = 100
WAIT = 120.0  # seconds a trigger may take before the test gives up


@pytest.fixture
def crash_net(stores: StoreFactory, tmp_path: Path) -> Iterator[Net]:
    with Anvil() as anvil:
        data_dir = DataDir(tmp_path / "data")
        deployment, _ = init_development(data_dir, rpc_url=anvil.url)
        with Net(data_dir, anvil.url, deployment, stores) as net:
            yield net


@dataclass
class Observed:
    """What the test can see of a running ingest: how far it read the export, its store's
    tables, and the node's transaction pool."""

    reading: int | None  # position in the export file, None while it is not open
    records: int
    last_batch: int  # highest batch id journaled
    open_before: int  # batches journaled before this run that are not mined yet
    pool: int


def _family(pid: int) -> list[int]:
    """``pid`` and its descendants (Linux /proc): the ingest may read the export in a child."""
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        try:
            for task in Path(f"/proc/{current}/task").iterdir():
                todo += [int(child) for child in (task / "children").read_text().split()]
        except (FileNotFoundError, ProcessLookupError, PermissionError):
            continue
    return found


def _position(pid: int, path: Path) -> int | None:
    """How far ``pid`` or a process it started has read ``path`` (Linux /proc); None when none
    of them has it open."""
    for member in _family(pid):
        try:
            for fd in Path(f"/proc/{member}/fd").iterdir():
                if fd.readlink() == path:
                    info = (Path(f"/proc/{member}/fdinfo") / fd.name).read_text()
                    return int(info.split("pos:", 1)[1].split()[0])
        except (FileNotFoundError, ProcessLookupError, PermissionError):
            continue
    return None


def observe(net: Net, pid: int | None, export: Path, before: int) -> Observed:
    pool = int(net.client(PROVINCE).raw_request("txpool_status", [])["pending"], 16)
    with net.store(PROVINCE).engine.connect() as conn:
        records, last, open_before = (
            conn.execute(text(sql), {"before": before}).scalar_one()
            for sql in (
                "SELECT count(*) FROM records",
                "SELECT coalesce(max(id), 0) FROM batches",
                "SELECT count(*) FROM batches WHERE state = 'signed' AND id <= :before",
            )
        )
    reading = _position(pid, export) if pid is not None else None
    return Observed(reading, records, last, open_before, pool)


Ready = Callable[[Observed, Observed], bool]  # (state before the run, state now)


@dataclass
class Kill:
    """A moment to kill the process at. With ``hold``, mining stops once the batches of earlier
    runs are recovered, so the process cannot get past the moment; ``after`` puts the node
    right once the process is dead."""

    name: str
    ready: Ready
    hold: bool = False
    after: Callable[[LedgerClient], None] | None = None


def _mine_pool(node: LedgerClient) -> None:
    node.raw_request("evm_setAutomine", [True])
    node.raw_request("evm_mine", [])


def _lose_pool(node: LedgerClient) -> None:
    node.raw_request("anvil_dropAllTransactions", [])
    node.raw_request("evm_setAutomine", [True])


def _reading(start: Observed, now: Observed) -> bool:
    # the export is being read and nothing of this run is stored yet (or, should the poll come
    # late, just after the first chunk was written)
    return (now.reading or 0) > 0 or now.records > start.records


def _random_moment(seed: int) -> Ready:
    delay = random.Random(seed).uniform(0.1, 1.5)  # noqa: S311 - a test's choice, not a secret
    opened: list[float] = []

    def ready(_start: Observed, now: Observed) -> bool:
        if now.reading is not None and not opened:
            opened.append(time.monotonic())
        return bool(opened) and time.monotonic() - opened[0] >= delay

    return ready


def kills(seed: int) -> list[Kill]:
    """The kills of one test, in order; the first three are held points that cannot be missed."""
    return [
        Kill("reading", _reading),
        # a batch journaled that cannot be mined: it may or may not have been sent
        Kill("journaled", lambda start, now: now.last_batch > start.last_batch, hold=True, after=_mine_pool),
        # more batches sent than the publisher keeps in flight: it waits for receipts; the node
        # then loses its pool, so only the journal can bring those transactions back
        Kill("waiting-for-receipts", lambda start, now: now.pool >= 5, hold=True, after=_lose_pool),
        Kill("random", _random_moment(seed)),
    ]


def _run_until(net: Net, argv: list[str], export: Path, log: Path, kill: Kill) -> tuple[int, Observed | None]:
    """Run ``argv`` and SIGKILL it when ``kill`` is ready: its return code (-9 when killed)
    and what was seen at the kill."""
    node = net.client(PROVINCE)
    start = observe(net, None, export, 0)
    before = start.last_batch
    process = spawn(argv, log)
    held = False
    seen: Observed | None = None
    deadline = time.monotonic() + WAIT
    try:
        while process.poll() is None:
            now = observe(net, process.pid, export, before)
            if kill.hold and not held:
                if now.open_before == 0:  # what earlier runs journaled is recovered
                    node.raw_request("evm_setAutomine", [False])
                    held = True
            elif kill.ready(start, now):
                kill_hard(process)
                seen = now
                break
            assert time.monotonic() < deadline, f"{kill.name} never came: {log.read_text()[-2000:]}"
            time.sleep(0.01)
    finally:
        if process.poll() is None:
            kill_hard(process)
        if kill.after is not None:
            kill.after(node)
        elif held:
            _mine_pool(node)
    return process.returncode, seen


def test_killed_at_any_point_and_run_again_every_valid_entry_is_on_the_ledger_once(
    crash_net: Net, tmp_path: Path
) -> None:
    net = crash_net
    path = tmp_path / "entries.xml"
    stats = generate(PROVINCE, "entries", ENTRIES, path, seed=31, invalid_share=0.05)
    valid = read_valid(PROVINCE, "entries", path)
    quarantine = tmp_path / "quarantine.jsonl"
    argv = net.ingest_command(PROVINCE, path, batch_size=BATCH, quarantine=quarantine)
    log = tmp_path / "ingest.log"

    plan = kills(seed=ENTRIES)
    runs = {kill.name: _run_until(net, argv, path, log, kill) for kill in plan}
    # the held points were all hit (a process that died on its own says why in the log)
    assert [runs[k.name][0] for k in plan[:3]] == [-9, -9, -9], (runs, log.read_text()[-3000:])

    # the same command again, run to completion (in this process: it only has to finish)
    done = net.invoke(argv[3:])
    assert done.exit_code == 3, done.output  # 3: the export holds invalid records
    summary = json.loads(done.stdout.strip().splitlines()[-1])
    assert (summary["read"], summary["quarantined"], summary["valid"]) == (ENTRIES, stats.invalid, len(valid))
    assert len(quarantine.read_text(encoding="utf-8").splitlines()) == stats.invalid

    chain = net.chain()
    own = {rid: rec for rid, rec in chain.items() if rec.owner == PROVINCE.code}
    assert collections.Counter(rec.published for rec in own.values()) == {1: len(valid)}  # no id twice
    assert set(own) == set(valid)
    for rid, src in valid.items():  # each lifecycle transition once, none lost
        moved = src.status not in (EntryStatus.PUBLISHED, EntryStatus.AMENDED)
        assert own[rid].status_changes == ([int(src.status)] if moved else []), src.entry.local_id
        assert own[rid].amended == 0

    store = net.store(PROVINCE)
    mismatched = [
        rec.record_id
        for rec, _ in store.iter_records(origin="own")
        if (rec.anchored_version, rec.anchored_status) != (rec.version, rec.status)
        or (rec.version, rec.status) != (own[rec.record_id].version, own[rec.record_id].status)
    ]
    assert mismatched == []
    assert set(store.counts()["outbox"]) == {"done"}
    assert store.open_batches() == []
    assert store.failed_ops() == []

    # and once more: nothing left to send
    head = net.head()
    again = net.invoke(argv[3:])
    assert again.exit_code == 3, again.output
    assert json.loads(again.stdout.strip().splitlines()[-1])["already_published"] == len(valid)
    assert net.head() == head
