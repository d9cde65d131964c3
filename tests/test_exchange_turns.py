"""The running exchange (``yrdx up``) and another process publishing for one of its provinces,
as ``yrdx adapter ingest`` of a large export does: the sync rounds go on for every province
meanwhile (an ingest of the exchange's own waits for its turn without holding them up), the
busy province still follows the ledger and keeps its own ledger writes in its outbox, and once
the other process lets go they are published, with nonces caught up with the ledger."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from adapters.core.provinces import PROVINCES, Province
from adapters.pipeline.sync import synced_set
from adapters.store import schema
from adapters.synthetic import generate
from tests.adapters.store.test_publisher_lock import Holder
from tests.running import owned_elsewhere, sample_exchange
from yrdx.runtime import Exchange

pytestmark = [pytest.mark.ledger, pytest.mark.slow]

ZJ = Province.ZJ


@pytest.fixture
def exchange(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Exchange, str]]:
    with sample_exchange(tmp_path_factory.mktemp("turns")) as running:
        yield running


def _round_within(ex: Exchange, seconds: float) -> None:
    errors: list[BaseException] = []

    def run() -> None:
        try:
            ex.sync_round()
        except BaseException as exc:  # noqa: BLE001 - re-raised below
            errors.append(exc)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(seconds)
    assert not thread.is_alive(), f"the sync round did not finish within {seconds} s"
    if errors:
        raise errors[0]


def _batches_by_state(ex: Exchange, province: Province) -> dict[str, int]:
    b = schema.batches
    with ex.provinces[province].store.engine.connect() as conn:
        rows = conn.execute(select(b.c.state, func.count()).group_by(b.c.state))
        return {str(state): int(n) for state, n in rows}


def test_sync_goes_on_while_another_process_publishes_for_a_province(
    exchange: tuple[Exchange, str], tmp_path: Path
) -> None:
    ex, url = exchange
    zj = ex.provinces[ZJ]
    mined_before = _batches_by_state(ex, ZJ)
    export = tmp_path / "entries.xml"
    generate(ZJ, "entries", 40, export, seed=23)
    holder = Holder(zj.store.dsn)
    ingests: list[Any] = []
    ingesting = threading.Thread(target=lambda: ingests.append(ex.ingest(ZJ, export, "entries")), daemon=True)
    try:
        # an ingest of this process waits for the other process too, and holds up nothing
        ingesting.start()
        # the other process signs with Zhejiang's key meanwhile: the nonce Zhejiang's publisher
        # here would draw next is taken
        other = ex.data_dir.province_client(ZJ, rpc_url=url)
        assert other.account is not None
        transfer = other.sign(to=other.account.address, data=b"", gas=21_000)
        other.submit(transfer)
        assert other.wait(transfer).status == 1

        _round_within(ex, 120)

        assert ex.publishing_elsewhere == {ZJ}
        assert synced_set(zj.store) == owned_elsewhere(ex, ZJ)  # it followed the ledger all the same
        assert zj.store.has_pending()  # its recognitions wait in its outbox
        assert _batches_by_state(ex, ZJ) == mined_before  # and nothing was sent
        for p in PROVINCES:
            if p is not ZJ:
                assert synced_set(ex.provinces[p].store) == owned_elsewhere(ex, p), p
        assert ingesting.is_alive() and ingests == []  # still waiting for its turn
    finally:
        holder.stop()
    ingesting.join(120)
    assert len(ingests) == 1 and ingests[0].published == 40

    _round_within(ex, 120)
    assert ex.publishing_elsewhere == set()
    assert not zj.store.has_pending()
    after = _batches_by_state(ex, ZJ)
    assert after.get("failed", 0) == 0, after  # no batch went out on a nonce already used
    assert after["mined"] > mined_before["mined"]
