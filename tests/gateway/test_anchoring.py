"""Checkpoints of the audit log anchored in ``AnchorLog``: proofs verify against them, a rewritten
or truncated log is found out, and a nonce another process took does not lose a checkpoint."""

from __future__ import annotations

import logging
import shutil
from pathlib import Path

import httpx
import pytest
from sqlalchemy import create_engine, text

from gateway.audit.anchor import AnchorLogReader
from gateway.audit.check import Checkpoint, check_leaves
from gateway.client import GatewayClient, check_consistency, check_inclusion
from gateway.errors import AuditLogMismatch
from node.merkle import leaf_hash
from tests.gateway.conftest import ZJ, DevExchange, Served, serve, wait_for
from yrdx.commands.gateway import dev_credentials

pytestmark = [pytest.mark.ledger, pytest.mark.rpc]

STREAM = "t.anchoring"


@pytest.fixture(scope="module")
def anchored(dev_exchange: DevExchange, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[Checkpoint]]:
    """A gateway that anchored a checkpoint every 10 events for 45 requests, then stopped: its
    database file and the checkpoints the ledger holds."""
    db = tmp_path_factory.mktemp("anchored") / "gateway.db"
    settings = dev_exchange.gateway_settings(ZJ, db, stream=STREAM)
    settings = settings.model_copy(
        update={
            "audit": settings.audit.model_copy(update={"checkpoint_every_events": 10, "checkpoint_every_seconds": 60})
        }
    )
    served = serve(dev_exchange.open_gateway(ZJ, settings))
    try:
        for _ in range(45):
            assert httpx.get(served.url + "/healthz").status_code == 200
        anchorer = served.gateway.deps.anchorer
        assert anchorer is not None
        wait_for(lambda: anchorer.anchored_size >= 40, what="checkpoints to be anchored")
        with GatewayClient(served.url, credentials=dev_credentials(dev_exchange.dd, "auditor")) as auditor:
            _proofs_verify_against_the_ledger(served, auditor, anchorer.reader)
    finally:
        served.stop()
    reader = AnchorLogReader(
        client=dev_exchange.exchange.provinces[ZJ].client, deployment=dev_exchange.exchange.deployment
    )  # type: ignore[arg-type]
    stream = served.gateway.deps.stream_id
    checkpoints = [reader.checkpoint(stream, i) for i in range(reader.count(stream))]
    return db, checkpoints


def _proofs_verify_against_the_ledger(served: Served, auditor: GatewayClient, reader: AnchorLogReader) -> None:
    stream = served.gateway.deps.stream_id
    on_chain = [reader.checkpoint(stream, i) for i in range(reader.count(stream))]
    assert len(on_chain) >= 4 and [c.tree_size for c in on_chain] == sorted({c.tree_size for c in on_chain})
    for earlier, later in zip(on_chain, on_chain[1:], strict=False):
        answer = auditor.consistency_proof(earlier.tree_size, later.tree_size)
        check_consistency(answer, first_root=earlier.root, second_root=later.root)
    latest = on_chain[-1]
    for index in (0, latest.tree_size // 2, latest.tree_size - 1):
        answer = auditor.inclusion_proof(index, latest.tree_size)
        event = auditor.audit_events(start=index, limit=1)["events"][0]["event"]
        check_inclusion(answer, event=event, root=latest.root)
    wait_for(
        lambda: len(auditor.checkpoints()["checkpoints"]) >= len(on_chain), what="the index to list the checkpoints"
    )
    listed = auditor.checkpoints()["checkpoints"][: len(on_chain)]
    assert [(c["tree_size"], c["root"]) for c in listed] == [(c.tree_size, "0x" + c.root.hex()) for c in on_chain]


def _copy(db: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "gateway.db"
    shutil.copy(db, copy)
    return copy


def _leaves(db: Path) -> list[bytes]:
    engine = create_engine(f"sqlite:///{db}")
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT leaf FROM audit_events ORDER BY seq")).all()
    engine.dispose()
    return [r[0].encode("utf-8") for r in rows]


def test_the_stored_log_matches_every_anchored_checkpoint(anchored: tuple[Path, list[Checkpoint]]) -> None:
    db, checkpoints = anchored
    assert check_leaves(_leaves(db), checkpoints) >= checkpoints[-1].tree_size


def test_a_rewritten_event_is_found(anchored: tuple[Path, list[Checkpoint]], tmp_path: Path) -> None:
    db, checkpoints = anchored
    copy = _copy(db, tmp_path)
    engine = create_engine(f"sqlite:///{copy}")
    with engine.begin() as conn:
        leaf = conn.execute(text("SELECT leaf FROM audit_events WHERE seq = 3")).scalar_one()
        conn.execute(text("UPDATE audit_events SET leaf = :leaf WHERE seq = 3"), {"leaf": leaf.replace('"ok"', '"x"')})
    engine.dispose()
    with pytest.raises(AuditLogMismatch, match="rewritten: its root at size 10"):
        check_leaves(_leaves(copy), checkpoints)


def test_a_gateway_does_not_start_on_a_rewritten_log(
    dev_exchange: DevExchange, anchored: tuple[Path, list[Checkpoint]], tmp_path: Path
) -> None:
    db, _ = anchored
    copy = _copy(db, tmp_path)
    engine = create_engine(f"sqlite:///{copy}")
    with engine.begin() as conn:  # rewrite event 3 and its leaf hash; the upper levels are recomputed on open
        leaf = conn.execute(text("SELECT leaf FROM audit_events WHERE seq = 3")).scalar_one().replace('"ok"', '"x"')
        conn.execute(text("UPDATE audit_events SET leaf = :leaf WHERE seq = 3"), {"leaf": leaf})
        conn.execute(
            text("UPDATE audit_nodes SET hash = :h WHERE level = 0 AND idx = 3"), {"h": leaf_hash(leaf.encode())}
        )
        conn.execute(text("DELETE FROM audit_nodes WHERE level > 0"))
    engine.dispose()
    gateway = dev_exchange.open_gateway(ZJ, dev_exchange.gateway_settings(ZJ, copy, stream=STREAM))
    try:
        with pytest.raises(AuditLogMismatch, match="rewritten"):
            gateway.start()
    finally:
        gateway.close()


def test_a_gateway_does_not_start_on_a_truncated_log(
    dev_exchange: DevExchange, anchored: tuple[Path, list[Checkpoint]], tmp_path: Path
) -> None:
    db, checkpoints = anchored
    keep = checkpoints[-1].tree_size - 5
    copy = _copy(db, tmp_path)
    engine = create_engine(f"sqlite:///{copy}")
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM audit_events WHERE seq >= :n"), {"n": keep})
        conn.execute(text("DELETE FROM audit_nodes WHERE level = 0 AND idx >= :n"), {"n": keep})
        conn.execute(text("DELETE FROM audit_nodes WHERE level > 0"))
    engine.dispose()
    with pytest.raises(AuditLogMismatch, match="truncated"):
        check_leaves(_leaves(copy), checkpoints)
    gateway = dev_exchange.open_gateway(ZJ, dev_exchange.gateway_settings(ZJ, copy, stream=STREAM))
    try:
        with pytest.raises(AuditLogMismatch, match="truncated"):
            gateway.start()
    finally:
        gateway.close()


def test_a_nonce_taken_by_another_process_does_not_lose_a_checkpoint(
    dev_exchange: DevExchange, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="gateway.audit.anchor")
    own_client = dev_exchange.dd.province_client(ZJ, rpc_url=dev_exchange.url)
    settings = dev_exchange.gateway_settings(ZJ, tmp_path / "gateway.db")
    settings = settings.model_copy(
        update={
            "audit": settings.audit.model_copy(
                update={"checkpoint_every_events": 10_000, "checkpoint_every_seconds": 3600}
            )
        }
    )
    served = serve(dev_exchange.open_gateway(ZJ, settings, client=own_client))  # opens its stream: nonce counter set
    try:
        for _ in range(5):
            httpx.get(served.url + "/healthz")
        other = dev_exchange.dd.province_client(ZJ, rpc_url=dev_exchange.url)  # the same key, another process
        anchor_log = other.contract("AnchorLog", dev_exchange.exchange.deployment.address("AnchorLog"))  # type: ignore[union-attr]
        other.transact(anchor_log.functions.openStream(b"t.other-process".ljust(32, b"\x00")))
        anchorer = served.gateway.deps.anchorer
        assert anchorer is not None
        size = served.gateway.deps.trail.size
        checkpoint = anchorer.anchor()
        assert checkpoint is not None and checkpoint.tree_size == size
        latest = anchorer.reader.latest(served.gateway.deps.stream_id)
        assert latest is not None and latest.tree_size == size and latest.root == served.gateway.deps.trail.root(size)
        assert any("fresh nonce" in r.getMessage() for r in caplog.records)  # the clash did happen
    finally:
        served.stop()
