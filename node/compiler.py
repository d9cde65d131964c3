"""Reproducible compilation of the yrdx contracts through py-solc-x.

The compiler is the pinned Solidity release: a native ``solc`` on ``PATH`` when it is exactly
that release, otherwise the npm ``solc`` package (solcjs) pinned in ``package.json``, driven
through ``node/solcjs.cjs``. Both produce the same bytecode for the same input.

Every source (the contracts and the OpenZeppelin files they import) is sent inline in one
standard-JSON input, so the output depends only on the source text and the settings below.
The metadata hash is switched off (``bytecodeHash: none``, no CBOR trailer): the bytecode is
then the same on every machine, which is what lets ``build --check`` compare artifacts.
"""

from __future__ import annotations

import hashlib
import json
import posixpath
import re
import shutil
import subprocess
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import solcx
from solcx.exceptions import SolcError

from node.errors import CompileError

SOLC_VERSION = "0.8.30"
CONTRACTS = ("Consortium", "CreditLists", "Evaluations", "AnchorLog")

REPO_ROOT = Path(__file__).resolve().parent.parent
CONTRACTS_DIR = REPO_ROOT / "contracts"
ARTIFACTS_DIR = CONTRACTS_DIR / "artifacts"
NODE_MODULES = REPO_ROOT / "node_modules"
SOLCJS_SHIM = Path(__file__).resolve().parent / "solcjs.cjs"

SETTINGS: dict[str, Any] = {
    "evmVersion": "cancun",
    "viaIR": True,
    "optimizer": {"enabled": True, "runs": 10_000},
    "metadata": {"bytecodeHash": "none", "appendCBOR": False},
    "outputSelection": {
        "*": {
            "*": [
                "abi",
                "evm.bytecode.object",
                "evm.deployedBytecode.object",
                "evm.deployedBytecode.immutableReferences",
                "evm.methodIdentifiers",
            ]
        }
    },
}

_IMPORT = re.compile(r"""^\s*import\s+(?:[^'";]*?\bfrom\s+)?["']([^"']+)["']""", re.MULTILINE)


@dataclass(frozen=True)
class Compiler:
    """A Solidity compiler executable and the version it reports."""

    binary: Path
    version: str
    kind: str  # "native" or "solcjs"


def find_compiler() -> Compiler:
    """The pinned compiler: native ``solc`` if it is the pinned release, else solcjs."""
    native = shutil.which("solc")
    if native:
        try:
            version = str(solcx.wrapper.get_solc_version(native))
        except (SolcError, OSError, subprocess.CalledProcessError):
            version = ""
        if version == SOLC_VERSION:
            return Compiler(Path(native), version, "native")
    if not (NODE_MODULES / "solc" / "package.json").exists():
        raise CompileError(
            f"no Solidity {SOLC_VERSION} compiler: install a native solc {SOLC_VERSION} or run "
            "`npm ci` in the repository to get the pinned solcjs"
        )
    version = str(solcx.wrapper.get_solc_version(SOLCJS_SHIM))
    if version != SOLC_VERSION:
        raise CompileError(f"node_modules/solc is {version}, package.json pins {SOLC_VERSION}: run `npm ci`")
    return Compiler(SOLCJS_SHIM, version, "solcjs")


def _resolve(unit: str) -> Path:
    if unit.startswith("@"):
        return NODE_MODULES / unit
    return CONTRACTS_DIR / unit


def collect_sources(roots: list[str]) -> dict[str, str]:
    """Source text of ``roots`` and everything they import, keyed by source unit name.

    Units under ``src/`` live in ``contracts/``; ``@scope/...`` units in ``node_modules``.
    Relative imports resolve against the importing unit, as solc does.
    """
    sources: dict[str, str] = {}
    pending = list(roots)
    while pending:
        unit = pending.pop()
        if unit in sources:
            continue
        path = _resolve(unit)
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError as exc:
            raise CompileError(f"source {unit} not found at {path}") from exc
        sources[unit] = text
        for target in _IMPORT.findall(text):
            if target.startswith("."):
                target = posixpath.normpath(posixpath.join(posixpath.dirname(unit), target))
            pending.append(target)
    return dict(sorted(sources.items()))


def standard_input() -> dict[str, Any]:
    """The standard-JSON compiler input for all yrdx contracts."""
    roots = [f"src/{name}.sol" for name in CONTRACTS]
    sources = collect_sources(roots)
    return {
        "language": "Solidity",
        "sources": {unit: {"content": text} for unit, text in sources.items()},
        "settings": SETTINGS,
    }


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def compile_contracts(compiler: Compiler | None = None) -> dict[str, dict[str, Any]]:
    """Compile the contracts; returns the artifact files to write, keyed by file name."""
    compiler = compiler or find_compiler()
    source_input = standard_input()
    try:
        output = solcx.compile_standard(source_input, solc_binary=compiler.binary)
    except SolcError as exc:
        raise CompileError(f"compilation failed:\n{exc.message}") from exc
    except json.JSONDecodeError as exc:
        raise CompileError(f"the compiler at {compiler.binary} did not answer with JSON: {exc}") from exc
    version = compiler.version
    artifacts: dict[str, dict[str, Any]] = {}
    for name in CONTRACTS:
        unit = f"src/{name}.sol"
        out = output["contracts"][unit][name]
        artifacts[f"{name}.json"] = {
            "contractName": name,
            "sourceName": unit,
            "compiler": version,
            "abi": out["abi"],
            "bytecode": "0x" + out["evm"]["bytecode"]["object"],
            "deployedBytecode": "0x" + out["evm"]["deployedBytecode"]["object"],
            "immutableReferences": out["evm"]["deployedBytecode"].get("immutableReferences", {}),
            "methodIdentifiers": out["evm"]["methodIdentifiers"],
        }
    artifacts["build-info.json"] = {
        "compiler": {"version": version, "settings": SETTINGS},
        "sources": {unit: {"sha256": _sha256(src["content"])} for unit, src in source_input["sources"].items()},
        "artifacts": {name: {"sha256": _sha256(_dump(artifacts[f"{name}.json"]))} for name in CONTRACTS},
    }
    return artifacts


def _dump(doc: Mapping[str, Any]) -> str:
    return json.dumps(doc, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def write_artifacts(artifacts: Mapping[str, Mapping[str, Any]], out_dir: Path) -> None:
    out_dir.mkdir(parents=True, exist_ok=True)
    for file_name, doc in artifacts.items():
        (out_dir / file_name).write_text(_dump(doc), encoding="utf-8")


def build(out_dir: Path = ARTIFACTS_DIR, compiler: Compiler | None = None) -> list[Path]:
    """Compile and write the artifacts to ``out_dir``; returns the written files."""
    artifacts = compile_contracts(compiler)
    write_artifacts(artifacts, out_dir)
    return [out_dir / name for name in artifacts]


def check(committed_dir: Path = ARTIFACTS_DIR, compiler: Compiler | None = None) -> list[str]:
    """Recompile into a temporary directory and compare with the committed artifacts.

    Returns the names of the contracts (or ``build-info``) whose committed artifact is missing
    or differs; empty when everything is fresh.
    """
    with tempfile.TemporaryDirectory(prefix="yrdx-contracts-") as tmp:
        fresh_dir = Path(tmp)
        build(fresh_dir, compiler)
        stale = []
        for fresh in sorted(fresh_dir.iterdir()):
            committed = committed_dir / fresh.name
            if not committed.exists() or committed.read_bytes() != fresh.read_bytes():
                stale.append(fresh.stem)
        return stale
