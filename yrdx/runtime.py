"""The exchange on one machine, as ``yrdx up`` runs it: the ledger, the deployment, the four
province adapters with their bundled sample exports, and the sync loops.

Everything is resumable: the ledger keeps its history in the data dir, the deployment is
verified rather than repeated, an export already ingested is recognised record by record, and
each syncer continues from its cursor.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from adapters.chain.view import LedgerView
from adapters.core.provinces import PROVINCES, Province
from adapters.dialects import DIALECTS
from adapters.pipeline.ingest import IngestSummary, Kind, QuarantineReport, ingest
from adapters.pipeline.packages import PackageSource, StorePackageSource
from adapters.pipeline.plan import Planner, utc_now
from adapters.pipeline.publisher import Publisher
from adapters.pipeline.sync import Syncer
from adapters.store import Store
from adapters.store.publishing import StoreBusy
from node.client import LedgerClient
from node.deploy import Deployment
from node.errors import LedgerError
from yrdx.context import DataDir, init_development

log = logging.getLogger(__name__)

SAMPLES = Path(__file__).resolve().parent.parent / "adapters" / "samples"


@dataclass
class ProvinceParts:
    """One province's running parts."""

    province: Province
    client: LedgerClient
    store: Store
    publisher: Publisher
    syncer: Syncer | None = None
    ingested: dict[str, IngestSummary] = field(default_factory=dict)


class Exchange:
    """The whole exchange in one process on a development data dir."""

    def __init__(self, data_dir: DataDir, *, rpc_url: str) -> None:
        self.data_dir = data_dir
        self.rpc_url = rpc_url
        self.deployment: Deployment | None = None
        self.created = False
        self.provinces: dict[Province, ProvinceParts] = {}
        self._stop = threading.Event()
        self._sync_thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self.sync_rounds = 0
        self.last_sync_error: str | None = None
        self.publishing_elsewhere: set[Province] = set()  # another process held the lock last round

    # -- start ----------------------------------------------------------------------------

    def prepare(self) -> None:
        """Keys, deployment and recognition agreements; one client, store and publisher per province."""
        self.deployment, self.created = init_development(self.data_dir, rpc_url=self.rpc_url)
        for p in PROVINCES:
            client = self.data_dir.province_client(p, rpc_url=self.rpc_url)
            store = self.data_dir.open_store(p)
            publisher = Publisher(store=store, client=client, deployment=self.deployment)
            publisher.recover()
            self.provinces[p] = ProvinceParts(p, client, store, publisher)

    def ingest_samples(self, samples: Path = SAMPLES) -> None:
        """Ingest every province's bundled sample exports (entries, then evaluation results)."""
        for p, part in self.provinces.items():
            extension = DIALECTS[p].extension
            for kind in ("entries", "evaluations"):
                kind_: Kind = "entries" if kind == "entries" else "evaluations"
                part.ingested[kind] = self.ingest(p, samples / p.value / f"{kind}{extension}", kind_)

    def ingest(self, province: Province, path: Path, kind: Kind) -> IngestSummary:
        """Ingest one export of ``province``; the refused records go to the data dir's
        quarantine directory."""
        assert self.deployment is not None
        part = self.provinces[province]
        tag_version = LedgerView(client=part.client, deployment=self.deployment).tag_key_version()
        planner = Planner(keyring=self.data_dir.keyring(), tag_key_version=tag_version, now=utc_now)
        quarantine_dir = self.data_dir.quarantine_dir()
        quarantine_dir.mkdir(parents=True, exist_ok=True)
        report = QuarantineReport.to_path(quarantine_dir / f"{province.value}-{path.stem}.jsonl")
        try:
            # the turn first: waiting for another process that publishes for the province
            # must not hold up the other provinces' sync rounds, which take the exchange's lock
            with part.publisher.turn(), self._lock:
                return ingest(
                    province=province,
                    kind=kind,
                    source=path,
                    source_name=str(path),
                    store=part.store,
                    planner=planner,
                    publisher=part.publisher,
                    quarantine=report,
                )
        finally:
            report.close()

    def attach_syncers(self, source_for: Callable[[Province], PackageSource] | None = None) -> None:
        """A syncer per province; packages come from the owners' stores unless ``source_for``
        gives another source (the gateways, over HTTP)."""
        assert self.deployment is not None
        stores = {p: part.store for p, part in self.provinces.items()}
        keyring = self.data_dir.keyring()
        for p, part in self.provinces.items():
            view = LedgerView(client=part.client, deployment=self.deployment)
            source = source_for(p) if source_for else StorePackageSource(stores)
            part.syncer = Syncer(province=p, store=part.store, view=view, source=source, keyring=keyring)

    def sync_round(self) -> dict[Province, Any]:
        """One round: every province follows the ledger, then publishes what that asked for.

        A province for which another process is publishing (``yrdx adapter ingest`` of a large
        export, say) still follows the ledger; its own ledger writes stay in its outbox for a
        later round, or for that process, which drains the outbox before it lets go. The round
        does not wait for it, so the other provinces' sync goes on meanwhile.
        """
        results: dict[Province, Any] = {}
        with self._lock:
            for p, part in self.provinces.items():
                if part.syncer is None:
                    continue
                results[p] = part.syncer.run_once()
                try:
                    with part.publisher.turn(wait=0):
                        part.publisher.drain()  # sends what is pending, then waits for it
                except StoreBusy as exc:
                    if p not in self.publishing_elsewhere:
                        log.info("%s: not publishing this round: %s", p.value, exc)
                    self.publishing_elsewhere.add(p)
                else:
                    self.publishing_elsewhere.discard(p)
            self.sync_rounds += 1
        return results

    def start_sync_loop(self, *, interval: float = 1.0) -> None:
        def loop() -> None:
            while not self._stop.is_set():
                try:
                    self.sync_round()
                    self.last_sync_error = None
                except (LedgerError, OSError) as exc:  # the ledger may be restarting: try again
                    self.last_sync_error = str(exc)
                    log.warning("sync round failed, retrying: %s", exc)
                self._stop.wait(interval)

        self._sync_thread = threading.Thread(target=loop, name="sync-loop", daemon=True)
        self._sync_thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._sync_thread is not None:
            self._sync_thread.join(timeout=30)
        for part in self.provinces.values():
            part.store.close()

    # -- reporting ------------------------------------------------------------------------

    def counts(self) -> dict[str, dict[str, Any]]:
        """Per province: own and synced records by kind and status, and pending ledger work."""
        return {p.value: part.store.counts() for p, part in self.provinces.items()}
