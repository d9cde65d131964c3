"""``yrdx demo`` tells the whole story and exits 0; a data dir that is not fresh is refused."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = [pytest.mark.ledger, pytest.mark.slow]

STEPS = (
    "Zhejiang publishes a black-list entry",
    "sync the entry and write it to their platforms",
    "the credit agency verifies the package: authentic, current, PUBLISHED",
    "Zhejiang marks the entry DISPUTED",
    "Zhejiang amends the entry",
    "the entry is REPAIRED",
    "the agency verifies again: authentic, not current",
    "drop it from their platforms",
    "recognised in Shanghai, Zhejiang and Anhui as YRD grade B",
    "the agency asks who queried the subject",
    "an auditor replays the ledger",
)


def _demo(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "yrdx", "demo", *args], capture_output=True, text=True, timeout=600, check=False
    )


def test_the_demo_runs_the_whole_story(tmp_path: Path) -> None:
    data = tmp_path / "demo"
    result = _demo("--data-dir", str(data))
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    positions = [next(i for i, line in enumerate(lines) if step in line) for step in STEPS]
    assert positions == sorted(positions), "the story's steps came out of order"
    assert "all as expected" in lines[-1]
    assert "clean, state sha256:" in result.stdout
    assert (data / "deployment.json").exists()
    assert list((data / "exports").glob("*/entries.*"))


def test_the_demo_refuses_a_used_data_dir(tmp_path: Path) -> None:
    (tmp_path / "something").write_text("x")
    result = _demo("--data-dir", str(tmp_path))
    assert result.returncode == 2
    assert "not empty" in result.stderr
