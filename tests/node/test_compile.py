"""The committed contract artifacts are exactly what the pinned compiler produces."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from node import compiler

pytestmark = pytest.mark.slow


def test_committed_artifacts_are_fresh(repo_root: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "yrdx", "contracts", "build", "--check"],
        cwd=repo_root,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    assert "artifacts are fresh" in result.stdout


def test_check_names_the_contract_whose_artifact_differs(tmp_path: Path) -> None:
    committed = tmp_path / "artifacts"
    shutil.copytree(compiler.ARTIFACTS_DIR, committed)
    doc = json.loads((committed / "CreditLists.json").read_text())
    doc["bytecode"] = doc["bytecode"][:-2] + ("00" if doc["bytecode"][-2:] != "00" else "01")
    (committed / "CreditLists.json").write_text(json.dumps(doc, indent=2, sort_keys=True) + "\n")
    (committed / "AnchorLog.json").unlink()

    stale = compiler.check(committed)

    assert stale == ["AnchorLog", "CreditLists"]


def test_source_collection_resolves_relative_and_package_imports() -> None:
    sources = compiler.collect_sources(["src/Consortium.sol"])
    assert "src/interfaces/IConsortium.sol" in sources
    assert "@openzeppelin/contracts/utils/Address.sol" in sources
    assert "@openzeppelin/contracts/utils/Errors.sol" in sources  # imported by Address.sol


def test_build_info_records_compiler_settings_and_source_hashes() -> None:
    info = json.loads((compiler.ARTIFACTS_DIR / "build-info.json").read_text())
    assert info["compiler"]["version"] == compiler.SOLC_VERSION
    assert info["compiler"]["settings"]["metadata"] == {"appendCBOR": False, "bytecodeHash": "none"}
    assert set(info["artifacts"]) == set(compiler.CONTRACTS)
    assert "src/CreditLists.sol" in info["sources"]
