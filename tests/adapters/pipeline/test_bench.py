"""``yrdx bench adapters --json``: one object per engine and province with the figures the
benchmark promises; the worker ingests and syncs every entry or the run fails (figures are
printed, never compared with targets here)."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from yrdx.cli import app

pytestmark = pytest.mark.ledger

KEYS = {"entries_per_s", "raw_entries_per_s", "sync_entries_per_s", "peak_rss_mb", "pipeline_cpu_us_per_entry"}


def test_the_adapters_benchmark_reports_every_figure_per_engine_and_province() -> None:
    result = CliRunner().invoke(
        app, ["bench", "adapters", "--province", "zj", "--entries", "300", "--batch", "50", "--json"]
    )
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout.strip().splitlines()[-1])
    assert set(doc) == {"embedded", "anvil"}
    for engine in doc.values():
        assert set(engine) == {"zj"}
        figures = engine["zj"]
        assert KEYS <= set(figures) and figures["entries"] == 300
        assert all(figures[k] > 0 for k in KEYS)
