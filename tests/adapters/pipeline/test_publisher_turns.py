"""Publishers of one province take turns: ``yrdx adapter ingest`` started while another process
publishes for the province waits for it, says whom it waits for, writes nothing meanwhile, and
then publishes every entry once."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from adapters.core.provinces import Province
from adapters.synthetic import generate
from tests.adapters.pipeline.support import Net, kill_hard, read_valid, spawn
from tests.adapters.pipeline.test_ingest import assert_anchored, assert_published_once
from tests.adapters.store.test_publisher_lock import Holder

pytestmark = pytest.mark.ledger

ZJ = Province.ZJ


def test_an_ingest_waits_while_another_process_publishes_for_the_province(
    net: Net, tmp_path: Path, store_backend: str
) -> None:
    export = tmp_path / "entries.xml"
    generate(ZJ, "entries", 120, export, seed=31)
    log = tmp_path / "ingest.log"
    holder = Holder(net.dsn(ZJ))
    process = spawn(net.ingest_command(ZJ, export, batch_size=50), log)
    try:
        deadline = time.monotonic() + 60
        while "which is publishing for this province" not in log.read_text(encoding="utf-8"):
            assert process.poll() is None, log.read_text(encoding="utf-8")
            assert time.monotonic() < deadline, "the ingest never said it was waiting"
            time.sleep(0.05)
        holder_named = f"process {holder.process.pid}" if store_backend == "sqlite" else "database session"
        assert f"waiting for {holder_named}" in log.read_text(encoding="utf-8")
        assert net.store(ZJ).counts()["records"] == {}  # nothing read or written while it waits
        holder.stop()
        assert process.wait(timeout=120) == 0, log.read_text(encoding="utf-8")
    finally:
        if process.poll() is None:
            kill_hard(process)
        if holder.process.poll() is None:
            holder.stop()
    summary = json.loads([line for line in log.read_text(encoding="utf-8").splitlines() if line.startswith("{")][-1])
    assert summary["published"] == summary["valid"] == 120
    assert_published_once(net.chain(), set(read_valid(ZJ, "entries", export)), ZJ)
    assert_anchored(net, ZJ)
