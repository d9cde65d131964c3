"""The audit log without a ledger: canonical leaves, the SQL node store against the memory one,
group commit, proofs, persistence, and checks against checkpoints."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, text

from adapters.core.canonical import jcs
from gateway.audit.check import Checkpoint, check_leaves, check_roots
from gateway.audit.events import EVENT_FIELDS, AuditDraft, iso_millis, leaf_bytes, params_digest
from gateway.audit.nodes import SqlNodeStore
from gateway.audit.trail import AuditTrail
from gateway.db import open_engine
from gateway.errors import AuditLogMismatch, AuditUnavailable, NotFound, Unprocessable
from node.merkle import MemoryNodeStore, MerkleLog, leaf_hash, verify_consistency, verify_inclusion

TIME = dt.datetime(2030, 3, 1, 8, 0, 0, 123_456, tzinfo=dt.UTC)

texts = st.text(st.characters(blacklist_categories=("Cs",)), max_size=40)
values = st.one_of(st.none(), texts, st.integers(min_value=-(2**53) + 1, max_value=2**53 - 1))


def draft(i: int = 0, *, tag: str | None = None, client: str | None = "agency-x") -> AuditDraft:
    return AuditDraft(
        time=TIME,
        client=client,
        organisation="征信示范机构" if client else None,
        role="agency" if client else None,
        purpose="授信审查" if tag else None,
        authorisation="consent-7" if tag else None,
        endpoint="GET /v1/subjects/{subject_id}/entries" if tag else "POST /v1/verify",
        subject_tag=tag,
        params=f"{i:064x}",
        status=200,
        outcome="ok",
        answer=f"{i + 1:064x}",
    )


@pytest.fixture
def engine(gateway_dsn: str) -> Iterator[Engine]:
    """The gateway database on each backend."""
    engine = open_engine(gateway_dsn)
    yield engine
    engine.dispose()


@given(st.dictionaries(st.text(alphabet="abcdefghijklmnopqrstuvwxyz_", min_size=1, max_size=12), values, max_size=16))
def test_leaves_are_rfc8785(event: dict[str, object]) -> None:
    assert leaf_bytes(event) == jcs(event)


def test_an_event_has_exactly_the_documented_fields() -> None:
    event = draft(3, tag="0x" + "ab" * 32).event(7, "gateway-zj")
    assert tuple(sorted(event)) == tuple(sorted(EVENT_FIELDS))
    assert event["seq"] == 7 and event["gateway"] == "gateway-zj"
    assert event["time"] == "2030-03-01T08:00:00.123Z" == iso_millis(TIME)


def test_params_digest_depends_on_every_part() -> None:
    base = params_digest("GET", "GET /x", {"a": "1"}, [("q", "1")], b"")
    assert base != params_digest("POST", "GET /x", {"a": "1"}, [("q", "1")], b"")
    assert base != params_digest("GET", "GET /y", {"a": "1"}, [("q", "1")], b"")
    assert base != params_digest("GET", "GET /x", {"a": "2"}, [("q", "1")], b"")
    assert base != params_digest("GET", "GET /x", {"a": "1"}, [("q", "2")], b"")
    assert base != params_digest("GET", "GET /x", {"a": "1"}, [("q", "1")], b"x")


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(sizes=st.lists(st.integers(min_value=1, max_value=40), min_size=1, max_size=5))
def test_sql_node_store_agrees_with_the_memory_store(
    tmp_path_factory: pytest.TempPathFactory, sizes: list[int]
) -> None:
    """One conformance check for both NodeStore providers: same roots and proofs at every size."""
    engine = open_engine(f"sqlite:///{tmp_path_factory.mktemp('nodes') / 'g.db'}")
    store = SqlNodeStore(engine=engine)
    sql_log = MerkleLog(store=store)
    memory_log = MerkleLog(store=MemoryNodeStore())
    n = 0
    for size in sizes:
        leaves = [leaf_hash(f"leaf {n + i}".encode()) for i in range(size)]
        with engine.begin() as conn, store.writing(conn):
            sql_log.extend(leaves)
        memory_log.extend(leaves)
        n += size
    reopened = MerkleLog(store=SqlNodeStore(engine=engine))
    assert reopened.size == memory_log.size == n
    for s in range(1, n + 1):
        assert reopened.root(s) == memory_log.root(s)
        assert reopened.inclusion_proof(s - 1, s) == memory_log.inclusion_proof(s - 1, s)
        assert reopened.consistency_proof(s // 2, s) == memory_log.consistency_proof(s // 2, s)
    engine.dispose()


def test_the_node_store_agrees_with_the_memory_store_on_each_backend(engine: Engine) -> None:
    """The same conformance check on every database backend, with fixed batch sizes."""
    store = SqlNodeStore(engine=engine)
    sql_log, memory_log = MerkleLog(store=store), MerkleLog(store=MemoryNodeStore())
    n = 0
    for size in (1, 2, 3, 5, 8, 13, 21):
        leaves = [leaf_hash(f"leaf {n + i}".encode()) for i in range(size)]
        with engine.begin() as conn, store.writing(conn):
            sql_log.extend(leaves)
        memory_log.extend(leaves)
        n += size
    reopened = MerkleLog(store=SqlNodeStore(engine=engine))
    for s in range(1, n + 1):
        assert reopened.root(s) == memory_log.root(s)
        assert reopened.inclusion_proof(s // 3, s) == memory_log.inclusion_proof(s // 3, s)
        assert reopened.consistency_proof(s // 2, s) == memory_log.consistency_proof(s // 2, s)


def test_node_writes_happen_only_in_a_trail_transaction(engine: Engine) -> None:
    with pytest.raises(AuditUnavailable):
        SqlNodeStore(engine=engine).extend(0, [b"\x00" * 32])


def test_concurrent_submits_get_distinct_positions_in_few_commits(engine: Engine) -> None:
    trail = AuditTrail(engine=engine, gateway_id="gateway-zj")
    trail.start()
    seqs: list[int] = []
    lock = threading.Lock()

    def work(k: int) -> None:
        futures = [trail.submit(draft(k * 100 + i)) for i in range(50)]
        got = [f.result(timeout=30) for f in futures]
        with lock:
            seqs.extend(got)

    threads = [threading.Thread(target=work, args=(k,)) for k in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    trail.stop()
    assert sorted(seqs) == list(range(400))
    assert trail.size == 400
    assert trail.batches < 400  # group commit: several events per transaction


def test_proofs_of_the_trail_verify(engine: Engine) -> None:
    trail = AuditTrail(engine=engine, gateway_id="gateway-zj")
    trail.start()
    for i in range(37):
        trail.submit(draft(i)).result(timeout=30)
    trail.stop()
    for size in (1, 2, 16, 17, 37):
        root = trail.root(size)
        for index in (0, size // 2, size - 1):
            event = trail.events(index, 1)[0]
            verify_inclusion(leaf_hash(event.leaf.encode()), index, size, trail.inclusion_proof(index, size), root)
        verify_consistency(size // 2, 37, trail.consistency_proof(size // 2, 37), trail.root(size // 2), trail.root())
    with pytest.raises(NotFound):
        trail.inclusion_proof(0, 38)
    with pytest.raises(Unprocessable):
        trail.inclusion_proof(37, 37)


def test_the_log_survives_a_restart(engine: Engine) -> None:
    trail = AuditTrail(engine=engine, gateway_id="gateway-zj")
    trail.start()
    for i in range(10):
        trail.submit(draft(i)).result(timeout=30)
    trail.stop()
    root = trail.root()
    again = AuditTrail(engine=engine, gateway_id="gateway-zj")
    assert again.size == 10 and again.root() == root
    again.start()
    assert again.submit(draft(10)).result(timeout=30) == 10
    again.stop()
    assert again.root(10) == root


def test_events_about_a_subject_are_found_by_tag(engine: Engine) -> None:
    trail = AuditTrail(engine=engine, gateway_id="gateway-zj")
    trail.start()
    tag_a, tag_b = "0x" + "aa" * 32, "0x" + "bb" * 32
    for i, tag in enumerate([tag_a, None, tag_b, tag_a, None]):
        trail.submit(draft(i, tag=tag)).result(timeout=30)
    trail.stop()
    assert [e.seq for e in trail.events_about([tag_a], 0, 10)] == [0, 3]
    assert [e.seq for e in trail.events_about([tag_a, tag_b], 1, 10)] == [2, 3]


def test_a_stopped_trail_refuses_events(engine: Engine) -> None:
    trail = AuditTrail(engine=engine, gateway_id="gateway-zj")
    with pytest.raises(AuditUnavailable):
        trail.submit(draft()).result(timeout=5)


def test_a_log_whose_events_and_hashes_disagree_does_not_open(engine: Engine) -> None:
    trail = AuditTrail(engine=engine, gateway_id="gateway-zj")
    trail.start()
    for i in range(4):
        trail.submit(draft(i)).result(timeout=30)
    trail.stop()
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM audit_events WHERE seq = 3"))
    with pytest.raises(AuditLogMismatch, match="3 events but 4 leaf hashes"):
        AuditTrail(engine=engine, gateway_id="gateway-zj")


def _leaves(n: int) -> list[bytes]:
    return [leaf_bytes(draft(i).event(i, "gateway-zj")) for i in range(n)]


def _checkpoints(leaves: list[bytes], sizes: list[int]) -> list[Checkpoint]:
    log = MerkleLog.from_leaf_hashes(leaf_hash(x) for x in leaves)
    return [Checkpoint(index=i, tree_size=s, root=log.root(s)) for i, s in enumerate(sizes)]


def test_check_leaves_accepts_the_anchored_log() -> None:
    leaves = _leaves(100)
    assert check_leaves(leaves, _checkpoints(leaves, [1, 25, 64, 100])) == 100


def test_check_leaves_finds_a_rewritten_event() -> None:
    leaves = _leaves(100)
    checkpoints = _checkpoints(leaves, [25, 64, 100])
    forged = list(leaves)
    forged[30] = leaf_bytes({**draft(30).event(30, "gateway-zj"), "outcome": "insufficient_scope"})
    with pytest.raises(AuditLogMismatch, match="rewritten: its root at size 64"):
        check_leaves(forged, checkpoints)


def test_check_leaves_finds_a_truncated_log() -> None:
    leaves = _leaves(100)
    with pytest.raises(AuditLogMismatch, match="truncated: it holds 99 events"):
        check_leaves(leaves[:99], _checkpoints(leaves, [25, 100]))


def test_check_roots_compares_a_logs_roots() -> None:
    leaves = _leaves(10)
    checkpoints = _checkpoints(leaves, [4, 10])
    log = MerkleLog.from_leaf_hashes(leaf_hash(x) for x in leaves)
    check_roots({4: log.root(4), 10: log.root(10)}, checkpoints, 10)
    with pytest.raises(AuditLogMismatch, match="rewritten"):
        check_roots({4: log.root(3), 10: log.root(10)}, checkpoints, 10)
    with pytest.raises(AuditLogMismatch, match="truncated"):
        check_roots({4: log.root(4)}, checkpoints, 9)
