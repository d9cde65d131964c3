"""Deployment of the yrdx contracts and the deployment manifest.

The manifest records the chain (id and genesis hash), every contract's address, deployment
transaction and block, the hash of the artifact it was deployed from, and the founding
members. Deploying against a chain that already has the manifest's contracts verifies them
(runtime code, wiring, members) instead of deploying again.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from eth_abi.abi import encode as abi_encode
from web3 import Web3

from node.artifacts import committed
from node.client import LedgerClient, Receipt
from node.errors import DeploymentError

DEFAULT_QUORUM = 3
DEFAULT_PROPOSAL_TTL = 7 * 24 * 3600
MANIFEST_VERSION = 1


@dataclass(frozen=True)
class DeployedContract:
    address: str
    tx_hash: str
    block: int
    artifact_sha256: str


@dataclass(frozen=True)
class Deployment:
    """Where the yrdx contracts live on one chain."""

    chain_id: int
    genesis_hash: str
    contracts: dict[str, DeployedContract]
    founding_members: dict[int, str]
    quorum: int
    proposal_ttl: int
    manifest_version: int = MANIFEST_VERSION
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def deploy_block(self) -> int:
        """The first block that can hold events of the contracts."""
        return min(c.block for c in self.contracts.values())

    def address(self, name: str) -> str:
        try:
            return self.contracts[name].address
        except KeyError:
            raise DeploymentError(f"the deployment has no {name} contract") from None

    def addresses(self) -> dict[str, str]:
        return {name: c.address for name, c in self.contracts.items()}

    def to_json(self) -> dict[str, Any]:
        doc = asdict(self)
        doc["deploy_block"] = self.deploy_block
        doc["founding_members"] = {str(k): v for k, v in self.founding_members.items()}
        return doc

    @classmethod
    def from_json(cls, doc: Mapping[str, Any]) -> Deployment:
        try:
            if doc["manifest_version"] != MANIFEST_VERSION:
                raise DeploymentError(f"manifest version {doc['manifest_version']} is not {MANIFEST_VERSION}")
            return cls(
                chain_id=int(doc["chain_id"]),
                genesis_hash=str(doc["genesis_hash"]),
                contracts={name: DeployedContract(**c) for name, c in doc["contracts"].items()},
                founding_members={int(k): str(v) for k, v in doc["founding_members"].items()},
                quorum=int(doc["quorum"]),
                proposal_ttl=int(doc["proposal_ttl"]),
                extra=dict(doc.get("extra", {})),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise DeploymentError(f"malformed deployment manifest: {exc!r}") from exc

    def save(self, path: Path) -> None:
        """Write the manifest atomically."""
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(path.suffix + ".tmp")
        tmp.write_text(json.dumps(self.to_json(), indent=2, sort_keys=True) + "\n", encoding="utf-8")
        with open(tmp, "rb") as f:
            os.fsync(f.fileno())
        tmp.replace(path)

    @classmethod
    def load(cls, path: Path) -> Deployment:
        try:
            return cls.from_json(json.loads(path.read_text(encoding="utf-8")))
        except FileNotFoundError as exc:
            raise DeploymentError(f"no deployment manifest at {path}: run `yrdx deploy`") from exc
        except ValueError as exc:
            raise DeploymentError(f"deployment manifest {path} is not JSON: {exc}") from exc


def genesis_hash(client: LedgerClient) -> str:
    return "0x" + bytes(client.block(0)["hash"]).hex()


def _create(client: LedgerClient, name: str, ctor_types: list[str], ctor_args: list[Any]) -> tuple[str, Receipt]:
    artifact = committed(name)
    data = artifact.bytecode + abi_encode(ctor_types, ctor_args)
    gas = client.estimate_raw(to=None, data=data)
    tx = client.sign(to=None, data=data, gas=gas + gas // 5)
    client.submit(tx)
    receipt = client.wait(tx)
    address = receipt.contract_address
    if not address:
        raise DeploymentError(f"{name} deployment {tx.tx_hash} created no contract")
    return Web3.to_checksum_address(address), receipt


def deploy(
    client: LedgerClient,
    *,
    founding_members: Mapping[int, str],
    quorum: int = DEFAULT_QUORUM,
    proposal_ttl: int = DEFAULT_PROPOSAL_TTL,
) -> Deployment:
    """Deploy Consortium (with the founding members), CreditLists, Evaluations and AnchorLog."""
    codes = sorted(founding_members)
    signers = [Web3.to_checksum_address(founding_members[c]) for c in codes]
    deployed: dict[str, DeployedContract] = {}
    consortium, receipt = _create(
        client, "Consortium", ["uint8[]", "address[]", "uint8", "uint64"], [codes, signers, quorum, proposal_ttl]
    )
    deployed["Consortium"] = DeployedContract(
        consortium, receipt.tx_hash, receipt.block_number, committed("Consortium").sha256
    )
    for name in ("CreditLists", "Evaluations", "AnchorLog"):
        address, receipt = _create(client, name, ["address"], [consortium])
        deployed[name] = DeployedContract(address, receipt.tx_hash, receipt.block_number, committed(name).sha256)
    return Deployment(
        chain_id=client.chain_id,
        genesis_hash=genesis_hash(client),
        contracts=deployed,
        founding_members=dict(zip(codes, signers, strict=True)),
        quorum=quorum,
        proposal_ttl=proposal_ttl,
    )


def verify(client: LedgerClient, deployment: Deployment) -> None:
    """Check that ``deployment`` is live on the client's chain; raise ``DeploymentError`` naming
    the first thing that differs."""
    if client.chain_id != deployment.chain_id:
        raise DeploymentError(
            f"the manifest is for chain {deployment.chain_id}, the endpoint serves chain {client.chain_id}"
        )
    actual = genesis_hash(client)
    if actual != deployment.genesis_hash:
        raise DeploymentError(
            f"the manifest is for a chain with genesis {deployment.genesis_hash}, the endpoint's genesis is {actual} "
            "(a different or reset chain)"
        )
    for name, record in deployment.contracts.items():
        artifact = committed(name)
        code = client.code_at(record.address)
        if not code:
            raise DeploymentError(f"{name}: no contract at {record.address}")
        if not artifact.runtime_code_matches(code):
            raise DeploymentError(
                f"{name} at {record.address}: runtime code differs from contracts/artifacts/{name}.json"
            )
    consortium = deployment.address("Consortium")
    for name in ("CreditLists", "Evaluations", "AnchorLog"):
        wired = client.call(client.contract(name, deployment.address(name)).functions.consortium())
        if str(wired).lower() != consortium.lower():
            raise DeploymentError(f"{name} points at consortium {wired}, expected {consortium}")


def deploy_or_verify(
    client: LedgerClient,
    manifest: Path,
    *,
    founding_members: Mapping[int, str],
    quorum: int = DEFAULT_QUORUM,
    proposal_ttl: int = DEFAULT_PROPOSAL_TTL,
) -> tuple[Deployment, bool]:
    """Verify the deployment in ``manifest`` if it exists, else deploy and write it.

    Returns the deployment and whether it was created now.
    """
    if manifest.exists():
        existing = Deployment.load(manifest)
        verify(client, existing)
        return existing, False
    deployment = deploy(client, founding_members=founding_members, quorum=quorum, proposal_ttl=proposal_ttl)
    deployment.save(manifest)
    return deployment, True
