"""Two publishers of one province at once — ``yrdx adapter ingest`` and ``yrdx adapter sync``
are separate processes, and a sync recovers and completes the ingest's journaled batches. They
may record mined batches in either order: a record's anchored version and status are those of
its latest operation on the ledger, not of whichever batch was recorded last."""

from __future__ import annotations

from pathlib import Path

from adapters.core.model import EntryStatus
from adapters.core.provinces import Province
from adapters.core.tags import TagKeyring
from adapters.dialects import DIALECTS, Parsed
from adapters.pipeline.plan import Planner, utc_now
from adapters.synthetic import generate
from tests.adapters.conftest import StoreFactory

PROVINCE = Province.AH


def test_batches_recorded_out_of_order_leave_each_record_at_its_latest_operation(
    stores: StoreFactory, tmp_path: Path
) -> None:
    export = tmp_path / f"entries{DIALECTS[PROVINCE].extension}"
    generate(PROVINCE, "entries", 300, export, seed=5)
    parsed = [i for i in DIALECTS[PROVINCE].read_entries(export) if isinstance(i, Parsed)]
    planner = Planner(keyring=TagKeyring.development(), tag_key_version=1, now=utc_now)
    store = stores.open(PROVINCE.value)
    store.write(planner.plan_entries(parsed, {}, {}).changes)
    ops = store.pending_ops(10_000)
    by_kind = {kind: [o.id for o in ops if o.op == kind] for kind in ("publish", "status")}
    assert by_kind["status"], "the export changes some entries' status after publishing them"

    batches = {}
    for nonce, (kind, ids) in enumerate(by_kind.items()):
        tx = {"sender": "0x" + "11" * 20, "nonce": nonce, "tx_hash": f"0x{nonce:064x}", "raw_tx": b"\x02",
              "to_address": "0x" + "22" * 20, "gas": 21_000}  # fmt: skip
        batches[kind] = store.journal_batch(op=kind, op_ids=ids, tx=tx)
    # mined in this order (publication first), recorded the other way round
    store.complete_batch(batches["status"], block_number=8, gas_used=1)
    store.complete_batch(batches["publish"], block_number=7, gas_used=1)

    records = [rec for rec, _ in store.iter_records(origin="own")]
    assert {rec.status for rec in records} > {int(EntryStatus.PUBLISHED)}
    assert [rec.record_id for rec in records if (rec.anchored_version, rec.anchored_status) != (1, rec.status)] == []
    assert set(store.counts()["outbox"]) == {"done"}
