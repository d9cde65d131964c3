"""The running exchange for tests: ``yrdx.runtime.Exchange`` on a fresh anvil of its own, with
every province's bundled samples ingested."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

from adapters.core.provinces import Province
from node.engines import Anvil
from yrdx.context import DataDir
from yrdx.runtime import Exchange


@contextlib.contextmanager
def sample_exchange(root: Path, *, syncers: bool = True) -> Iterator[tuple[Exchange, str]]:
    """The exchange (data dir under ``root``) and its ledger's URL: deployed, the samples of all
    four provinces ingested and, with ``syncers``, a syncer attached to each (none run yet)."""
    with Anvil() as anvil:
        dd = DataDir(root / "data")
        dd.root.mkdir(parents=True)
        exchange = Exchange(dd, rpc_url=anvil.url)
        exchange.prepare()
        exchange.ingest_samples()
        if syncers:
            exchange.attach_syncers()
        try:
            yield exchange, anvil.url
        finally:
            exchange.stop()


def owned_elsewhere(exchange: Exchange, province: Province) -> set[tuple[str, int, int]]:
    """(record id, version, status) of every record the other provinces own, as anchored on the
    ledger: what ``province``'s synced copies should be."""
    return {
        (rec.record_id, rec.anchored_version, rec.anchored_status)
        for other, part in exchange.provinces.items()
        if other is not province
        for rec, _ in part.store.iter_records(origin="own")
    }
