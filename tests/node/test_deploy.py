"""Deployment: the manifest, idempotent re-runs that verify, and refusal of foreign chains."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from node.deploy import Deployment, deploy_or_verify, verify
from node.errors import DeploymentError
from tests.support import PROVINCE_CODES, Exchange, dev_account

pytestmark = pytest.mark.ledger


def test_deploy_then_rerun_verifies_instead_of_redeploying(exchange: Exchange, tmp_path: Path) -> None:
    manifest = tmp_path / "deployment.json"
    deployer = exchange.client_for(exchange.url, dev_account(0))
    members = {code: dev_account(i + 1).address for i, code in enumerate(PROVINCE_CODES)}
    first, created = deploy_or_verify(deployer, manifest, founding_members=members)
    head = deployer.block_number()
    second, created_again = deploy_or_verify(deployer, manifest, founding_members=members)

    assert created and not created_again
    assert second == first
    assert deployer.block_number() == head  # nothing sent
    doc = json.loads(manifest.read_text())
    assert doc["chain_id"] == deployer.chain_id
    assert set(doc["contracts"]) == {"Consortium", "CreditLists", "Evaluations", "AnchorLog"}
    assert doc["deploy_block"] == first.deploy_block
    assert all(len(c["artifact_sha256"]) == 64 for c in doc["contracts"].values())
    consortium = deployer.contract("Consortium", first.address("Consortium"))
    assert deployer.call(consortium.functions.members()) == list(PROVINCE_CODES)
    assert deployer.call(consortium.functions.quorum()) == 3
    for code, signer in members.items():
        assert deployer.call(consortium.functions.signerOf(code)) == signer


def test_verify_refuses_a_manifest_of_another_chain(exchange: Exchange) -> None:
    doc = exchange.deployment.to_json()
    doc["genesis_hash"] = "0x" + "11" * 32
    with pytest.raises(DeploymentError, match="different or reset chain"):
        verify(exchange.clients[31], Deployment.from_json(doc))
    doc = exchange.deployment.to_json()
    doc["chain_id"] = 999
    with pytest.raises(DeploymentError, match="chain 999"):
        verify(exchange.clients[31], Deployment.from_json(doc))


def test_verify_refuses_wrong_or_missing_contracts(exchange: Exchange) -> None:
    doc = exchange.deployment.to_json()
    doc["contracts"]["CreditLists"]["address"] = exchange.deployment.address("AnchorLog")
    with pytest.raises(DeploymentError, match="CreditLists .*runtime code differs"):
        verify(exchange.clients[31], Deployment.from_json(doc))
    doc["contracts"]["CreditLists"]["address"] = dev_account(9).address
    with pytest.raises(DeploymentError, match="CreditLists: no contract"):
        verify(exchange.clients[31], Deployment.from_json(doc))


def test_manifest_round_trips_and_rejects_garbage(tmp_path: Path, exchange: Exchange) -> None:
    path = tmp_path / "m.json"
    exchange.deployment.save(path)
    assert Deployment.load(path) == exchange.deployment
    path.write_text("{}")
    with pytest.raises(DeploymentError, match="malformed"):
        Deployment.load(path)
    with pytest.raises(DeploymentError, match="no deployment manifest"):
        Deployment.load(tmp_path / "missing.json")
