"""``yrdx bench adapters``: per dialect and engine, entries/s from export file to confirmed on the
ledger, entries/s synced into a peer province's store, peak RSS, and the raw ledger ceiling
measured in the same run, the CPU time the pipeline's own processes spend per entry, and the
busy CPU time of the whole machine per entry during the ingest and during the raw ceiling's run
(every process, the ledger's included): from it, the most the ingest could reach on this
machine's cores.

Each (engine, province) pair gets a fresh engine and data dir. The ingest and the sync run in a
child process (``python -m yrdx.bench.adapters``) that times them in-process and reports its
own peak RSS and the CPU time of the ingest (its process and the reader process it starts;
the ledger's own work not included). The raw ceiling sends the same number of entries, in the
same batch size, as pre-encoded and pre-signed transactions to a second fresh engine.
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import Any

from adapters.core.provinces import PROVINCES, Province
from adapters.dialects import DIALECTS
from adapters.synthetic import generate
from yrdx.bench import ledger as ledger_bench
from yrdx.bench.machine import BusyMeter
from yrdx.context import DataDir, init_development


@dataclass(frozen=True)
class AdapterFigures:
    entries: int
    entries_per_s: float
    raw_entries_per_s: float
    sync_entries_per_s: float
    peak_rss_mb: float
    pipeline_cpu_us_per_entry: float  # ingest: the adapter's processes, CPU seconds per entry × 10⁶
    # busy CPU time of the whole machine per entry (every process, the ledger's included),
    # during the ingest and during the raw ceiling's run; None where the machine does not say
    machine_cpu_us_per_entry: float | None
    raw_machine_cpu_us_per_entry: float | None

    def as_json(self) -> dict[str, Any]:
        return asdict(self)

    def machine_bound(self, cores: int) -> float | None:
        """The most entries/s the ingest could reach on ``cores`` fully busy cores at the CPU
        time per entry the whole machine spent on it."""
        cpu = self.machine_cpu_us_per_entry
        return cores * 1e6 / cpu if cpu else None


def _worker(url: str, data_dir: Path, province: Province, export: Path, batch: int) -> dict[str, float | None]:
    """Ingest ``export`` as ``province`` and sync it into a peer; runs in the child process."""
    from adapters.chain.view import LedgerView
    from adapters.pipeline.ingest import QuarantineReport, ingest
    from adapters.pipeline.packages import StorePackageSource
    from adapters.pipeline.plan import Planner, utc_now
    from adapters.pipeline.publisher import Publisher
    from adapters.pipeline.sync import Syncer, synced_set

    dd = DataDir(data_dir)
    deployment = dd.deployment()
    client = dd.province_client(province, rpc_url=url)
    store = dd.open_store(province)
    publisher = Publisher(store=store, client=client, deployment=deployment, batch_size=batch)
    planner = Planner(keyring=dd.keyring(), tag_key_version=1, now=utc_now)
    cpu = _cpu_seconds()
    busy = BusyMeter()
    start = time.perf_counter()
    summary = ingest(
        province=province,
        kind="entries",
        source=export,
        source_name=str(export),
        store=store,
        planner=planner,
        publisher=publisher,
        quarantine=QuarantineReport(None),
    )
    ingest_s = time.perf_counter() - start
    machine_cpu = busy.us_per(summary.read)
    ingest_cpu = _cpu_seconds() - cpu  # the reader process has been waited for: it is counted
    if summary.published != summary.read:
        raise RuntimeError(f"published {summary.published} of {summary.read}: {summary}")

    peer = next(p for p in PROVINCES if p is not province)
    peer_client = dd.province_client(peer, rpc_url=url)
    stores = {province: store, peer: dd.open_store(peer)}
    syncer = Syncer(
        province=peer,
        store=stores[peer],
        view=LedgerView(client=peer_client, deployment=deployment),
        source=StorePackageSource(stores),
        keyring=dd.keyring(),
        recognise=False,
    )
    start = time.perf_counter()
    stats = syncer.run_once()
    sync_s = time.perf_counter() - start
    synced = len(synced_set(stores[peer]))
    if synced != summary.published:
        raise RuntimeError(f"synced {synced} of {summary.published}: {stats}")
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {
        "entries_per_s": summary.read / ingest_s,
        "sync_entries_per_s": synced / sync_s,
        "peak_rss_mb": peak_kb / 1024,
        "pipeline_cpu_us_per_entry": ingest_cpu / summary.read * 1e6,
        "machine_cpu_us_per_entry": machine_cpu,
    }


def _cpu_seconds() -> float:
    """User and system CPU of this process and of its children that have ended."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def measure(
    engine: str, province: Province, *, entries: int, batch: int = 500, url: str | None = None
) -> AdapterFigures:
    """One (engine, province) measurement on fresh engines and a fresh data dir."""
    with TemporaryDirectory(prefix="yrdx-bench-adapters-") as tmp:
        root = Path(tmp)
        export = root / f"export{DIALECTS[province].extension}"
        generate(province, "entries", entries, export, seed=11)
        with ledger_bench.engine(engine, url) as rpc:
            init_development(DataDir(root / "data"), rpc_url=rpc)
            child = subprocess.run(  # noqa: S603 - our own module with our own arguments
                [
                    sys.executable,
                    "-m",
                    "yrdx.bench.adapters",
                    rpc,
                    str(root / "data"),
                    province.value,
                    str(export),
                    str(batch),
                ],
                capture_output=True,
                text=True,
                check=False,
            )
            if child.returncode != 0:
                raise RuntimeError(f"benchmark worker failed:\n{child.stderr[-3000:]}")
            figures = json.loads(child.stdout.strip().splitlines()[-1])
        with ledger_bench.engine(engine, url) as rpc:
            deployment, client = ledger_bench.fresh_deployment(rpc)
            raw = ledger_bench.raw_rate(client, rpc, deployment.address("CreditLists"), entries, batch)
    return AdapterFigures(
        entries=entries,
        entries_per_s=round(figures["entries_per_s"], 1),
        raw_entries_per_s=round(raw.entries_per_s, 1),
        sync_entries_per_s=round(figures["sync_entries_per_s"], 1),
        peak_rss_mb=round(figures["peak_rss_mb"], 1),
        pipeline_cpu_us_per_entry=round(figures["pipeline_cpu_us_per_entry"], 1),
        machine_cpu_us_per_entry=_rounded(figures["machine_cpu_us_per_entry"]),
        raw_machine_cpu_us_per_entry=_rounded(raw.machine_cpu_us_per_entry),
    )


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


if __name__ == "__main__":
    url_, data_dir_, province_, export_, batch_ = sys.argv[1:6]
    result = _worker(url_, Path(data_dir_), Province.parse(province_), Path(export_), int(batch_))
    print(json.dumps(result))  # noqa: T201 - the parent reads this line
