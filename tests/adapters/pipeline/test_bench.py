"""``yrdx bench adapters --json``: one object per engine and province with the figures the
benchmark promises; the worker ingests and syncs every entry or the run fails (figures are
printed, never compared with targets here)."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from yrdx.bench.machine import MIN_TICKS, BusyMeter, busy_ticks
from yrdx.cli import app

pytestmark = pytest.mark.ledger

KEYS = {
    "entries_per_s",
    "raw_entries_per_s",
    "sync_entries_per_s",
    "peak_rss_mb",
    "pipeline_cpu_us_per_entry",
    "machine_cpu_us_per_entry",
    "raw_machine_cpu_us_per_entry",
}


def test_the_adapters_benchmark_reports_every_figure_per_engine_and_province() -> None:
    # the default sizes: long enough for the machine's CPU counters to tell
    result = CliRunner().invoke(app, ["bench", "adapters", "--province", "zj", "--json"])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout.strip().splitlines()[-1])
    assert set(doc) == {"embedded", "anvil"}
    for engine in doc.values():
        assert set(engine) == {"zj"}
        figures = engine["zj"]
        assert KEYS <= set(figures)
        assert all(figures[k] > 0 for k in KEYS), figures
        # the whole machine spent at least what the pipeline's own processes did
        assert figures["machine_cpu_us_per_entry"] >= figures["pipeline_cpu_us_per_entry"] * 0.9
    assert doc["embedded"]["zj"]["entries"] == 1_000 and doc["anvil"]["zj"]["entries"] == 20_000


def test_the_text_output_has_a_line_per_engine_and_says_only_what_was_measured() -> None:
    result = CliRunner().invoke(app, ["bench", "adapters", "--province", "sh", "--entries", "200", "--batch", "50"])
    assert result.exit_code == 0, result.output
    lines = result.stdout.strip().splitlines()
    assert [line.split()[:2] for line in lines] == [["embedded", "sh"], ["anvil", "sh"]]
    for line in lines:
        assert "entries/s file->chain" in line and "raw ceiling" in line and "pipeline CPU" in line
        # the machine's figures only where its counters could tell them: never a made-up one
        assert "raw ceiling's 0 " not in line
        if "machine CPU" in line:
            assert re.search(r"raw ceiling's (\d+|n/a \(too short to tell\)) \(at most [\d,]+ entries/s", line), line


def test_busy_ticks_count_busy_time_only(tmp_path: Path) -> None:
    stat = tmp_path / "stat"
    # user nice system idle iowait irq softirq steal
    stat.write_text("cpu  100 20 30 5000 400 6 4 70 0 0\ncpu0 1 2 3 4 5 6 7 8 0 0\n", encoding="ascii")
    assert busy_ticks(stat) == 160
    assert busy_ticks(tmp_path / "missing") is None
    stat.write_text("intr 1 2 3\n", encoding="ascii")
    assert busy_ticks(stat) is None


def test_the_meter_reports_only_intervals_it_can_resolve(tmp_path: Path) -> None:
    stat = tmp_path / "stat"
    stat.write_text("cpu  100 0 0 5000 0 0 0 0\n", encoding="ascii")
    meter = BusyMeter(stat)
    stat.write_text(f"cpu  {100 + MIN_TICKS - 1} 0 0 5000 0 0 0 0\n", encoding="ascii")
    assert meter.us_per(10) is None
    stat.write_text(f"cpu  {100 + 4 * MIN_TICKS} 0 0 5000 0 0 0 0\n", encoding="ascii")
    assert meter.us_per(10) == pytest.approx(4 * MIN_TICKS / os.sysconf("SC_CLK_TCK") / 10 * 1e6)
