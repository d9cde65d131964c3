"""The committed contract artifacts (``contracts/artifacts``) as typed values."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from node.compiler import ARTIFACTS_DIR, CONTRACTS
from node.errors import ArtifactError


@dataclass(frozen=True)
class Artifact:
    """ABI and bytecode of one compiled contract."""

    name: str
    abi: list[dict[str, Any]]
    bytecode: bytes
    deployed_bytecode: bytes
    immutable_ranges: tuple[tuple[int, int], ...]  # (start, length) in deployed bytecode
    sha256: str  # of the artifact file, as recorded in deployment manifests

    def runtime_code_matches(self, onchain: bytes) -> bool:
        """Whether ``onchain`` is this contract's runtime code, immutables aside.

        Immutable values (such as the Consortium address) are written into the runtime code at
        deployment, so their byte ranges are masked before comparing.
        """
        if len(onchain) != len(self.deployed_bytecode):
            return False
        masked = bytearray(onchain)
        for start, length in self.immutable_ranges:
            masked[start : start + length] = self.deployed_bytecode[start : start + length]
        return bytes(masked) == self.deployed_bytecode


def load(name: str, directory: Path = ARTIFACTS_DIR) -> Artifact:
    """Load the artifact of contract ``name``."""
    path = directory / f"{name}.json"
    try:
        raw = path.read_bytes()
        doc = json.loads(raw)
        ranges = tuple(
            (int(r["start"]), int(r["length"])) for refs in doc.get("immutableReferences", {}).values() for r in refs
        )
        return Artifact(
            name=doc["contractName"],
            abi=doc["abi"],
            bytecode=bytes.fromhex(doc["bytecode"][2:]),
            deployed_bytecode=bytes.fromhex(doc["deployedBytecode"][2:]),
            immutable_ranges=ranges,
            sha256=hashlib.sha256(raw).hexdigest(),
        )
    except FileNotFoundError as exc:
        raise ArtifactError(f"no artifact for {name} at {path}: run `yrdx contracts build`") from exc
    except (KeyError, ValueError, TypeError) as exc:
        raise ArtifactError(f"artifact {path} is malformed: {exc}") from exc


@cache
def committed(name: str) -> Artifact:
    """The committed artifact of ``name``, loaded once per process."""
    if name not in CONTRACTS:
        raise ArtifactError(f"unknown contract {name}; known: {', '.join(CONTRACTS)}")
    return load(name)


def all_abis() -> list[dict[str, Any]]:
    """Every ABI entry of every contract, for decoding errors and events wherever they come from."""
    return [entry for name in CONTRACTS for entry in committed(name).abi]
