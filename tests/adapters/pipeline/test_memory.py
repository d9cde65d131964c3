"""Ingest streams: peak memory does not grow with the size of the export.

Two Zhejiang exports, one three times the other (four and twelve ingest chunks), go through
read → validate → plan → store → outbox → batch journal in child processes (``memory_probe``),
and their peak resident set sizes are compared. The ledger is replaced by
``memory_probe.OutboxConfirmer``, a publisher double that journals and confirms every batch in
the real store at once: the store, the outbox and the journal are real, only no transaction is
sent. SQLite only: the client's memory is what is measured, and a PostgreSQL server's memory is
not the client's. The real command against a ledger, with a 1,000,000-entry export, is measured
by ``scripts/measure_ingest_memory.py``.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from adapters.core.provinces import Province
from adapters.store import sqlite_dsn
from adapters.synthetic import generate
from tests.adapters.pipeline.support import REPO

pytestmark = pytest.mark.slow

SMALL, LARGE = 20_000, 60_000  # past the read-ahead reader's warm-up, which takes a few chunks
MIB = 1024


def _start(path: Path, store: Path) -> subprocess.Popen[str]:
    argv = [sys.executable, "-m", "tests.adapters.pipeline.memory_probe", "zj", "entries", str(path), sqlite_dsn(store)]
    return subprocess.Popen(argv, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)  # noqa: S603


def _result(process: subprocess.Popen[str]) -> dict[str, Any]:
    out, err = process.communicate(timeout=600)
    assert process.returncode == 0, err
    result: dict[str, Any] = json.loads(out.strip().splitlines()[-1])
    return result


def test_peak_memory_of_an_ingest_does_not_grow_with_the_export(tmp_path: Path) -> None:
    runs = {}
    for count in (SMALL, LARGE):
        path = tmp_path / f"entries-{count}.xml"
        stats = generate(Province.ZJ, "entries", count, path, seed=9, invalid_share=0.02)
        runs[count] = (stats, _start(path, tmp_path / f"zj-{count}.db"))
    results = {count: (stats, _result(process)) for count, (stats, process) in runs.items()}

    for count, (stats, result) in results.items():
        summary = result["summary"]
        assert (summary["read"], summary["quarantined"]) == (count, stats.invalid)
        assert summary["published"] == summary["valid"] == count - stats.invalid
        assert set(result["outbox"]) == {"done"}  # everything went through the outbox and was confirmed

    # three times the records may not cost more than a few MiB more at the peak (allocator
    # warm-up); anything kept per record would add well over 50 MiB here. The ingest's own
    # process is measured exactly; with the processes it started (a reader ahead of the
    # pipeline) the sum is sampled.
    for peak in ("peak_kib", "family_peak_kib"):
        growth = {n: r[peak] - r["baseline_kib"] for n, (_, r) in results.items()}
        assert growth[LARGE] - growth[SMALL] < 16 * MIB, (peak, growth)
    large = results[LARGE][1]
    assert large["peak_kib"] - large["baseline_kib"] < 100 * MIB, large
    assert large["family_peak_kib"] < 300 * MIB, large
