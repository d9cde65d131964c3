"""Helpers for the embedded ledger tests: raw JSON-RPC, the contracts, credit-list entries."""

from __future__ import annotations

import hashlib
import json
import re
import select
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests
from web3 import Web3
from web3.contract import Contract

from node.dev_accounts import dev_accounts

ARTIFACTS = Path(__file__).resolve().parents[2] / "contracts" / "artifacts"
PROVINCES = (31, 32, 33, 34)
BLACK = 2


def rpc(url: str, method: str, params: list[Any] | None = None, *, request_id: int = 1) -> dict[str, Any]:
    """One raw JSON-RPC call; the whole response object (``result`` or ``error``)."""
    body = {"jsonrpc": "2.0", "id": request_id, "method": method, "params": params or []}
    response = requests.post(url, json=body, timeout=30)
    response.raise_for_status()
    answer: dict[str, Any] = response.json()
    return answer


def result(url: str, method: str, params: list[Any] | None = None) -> Any:
    answer = rpc(url, method, params)
    assert "error" not in answer, answer
    return answer["result"]


def artifact(name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((ARTIFACTS / f"{name}.json").read_text())
    return loaded


def selector(signature: str) -> str:
    return "0x" + Web3.keccak(text=signature)[:4].hex()


@dataclass
class Exchange:
    """Consortium and CreditLists deployed from dev account 0; accounts 1-4 are the members."""

    w3: Web3
    consortium: Contract
    lists: Contract
    deploy_blocks: tuple[int, int]

    @classmethod
    def deploy(cls, w3: Web3) -> Exchange:
        accounts = [a.address for a in dev_accounts(5)]
        consortium_artifact = artifact("Consortium")
        factory = w3.eth.contract(abi=consortium_artifact["abi"], bytecode=consortium_artifact["bytecode"])
        tx = factory.constructor(list(PROVINCES), accounts[1:5], 3, 604800).transact({"from": accounts[0]})
        consortium_receipt = w3.eth.wait_for_transaction_receipt(tx, poll_latency=0.01)
        lists_artifact = artifact("CreditLists")
        factory = w3.eth.contract(abi=lists_artifact["abi"], bytecode=lists_artifact["bytecode"])
        tx = factory.constructor(consortium_receipt["contractAddress"]).transact({"from": accounts[0]})
        lists_receipt = w3.eth.wait_for_transaction_receipt(tx, poll_latency=0.01)
        return cls(
            w3=w3,
            consortium=w3.eth.contract(address=consortium_receipt["contractAddress"], abi=consortium_artifact["abi"]),
            lists=w3.eth.contract(address=lists_receipt["contractAddress"], abi=lists_artifact["abi"]),
            deploy_blocks=(consortium_receipt["blockNumber"], lists_receipt["blockNumber"]),
        )

    def publish(self, member: int, count: int, tag: str) -> Any:
        """Publish ``count`` black-list entries as member account ``member`` (1-4); the receipt."""
        sender = dev_accounts(member + 1)[member].address
        tx = self.lists.functions.publishBatch(1, entries(count, tag)).transact({"from": sender})
        return self.w3.eth.wait_for_transaction_receipt(tx, poll_latency=0.01)


def entries(count: int, tag: str) -> list[tuple[bytes, int, int, bytes, bytes, int, int]]:
    """``count`` distinct NewEntry tuples, derived from ``tag``."""
    out = []
    for i in range(count):
        local_id = f"{tag}-{i}".encode().ljust(32, b"\0")
        digest = hashlib.sha256(local_id).digest()
        out.append((local_id, BLACK, 3, digest, hashlib.sha256(digest).digest(), 1_767_196_800, 0))
    return out


class NodeProcess:
    """``python -m yrdx node`` as a child process on a free port, for crash tests."""

    def __init__(self, data_dir: Path, *extra: str) -> None:
        self.data_dir = data_dir
        self._extra = extra
        self._process: subprocess.Popen[bytes] | None = None

    def start(self, *, timeout: float = 60.0) -> str:
        """Start it and return the RPC URL it prints."""
        command = [sys.executable, "-m", "yrdx", "node", "--data-dir", str(self.data_dir), "--port", "0", *self._extra]
        self._process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE)  # noqa: S603
        assert self._process.stdout is not None
        deadline = time.monotonic() + timeout
        line = b""
        while time.monotonic() < deadline:
            ready, _, _ = select.select([self._process.stdout], [], [], 0.1)
            if ready:
                line = self._process.stdout.readline()
                break
            if self._process.poll() is not None:
                break
        found = re.search(rb"listening on (http://\S+)", line)
        if found is None:
            self.kill()
            raise AssertionError(f"yrdx node did not start: {line!r}")
        return found.group(1).decode()

    def kill(self) -> None:
        """SIGKILL: no shutdown code runs."""
        if self._process is not None:
            self._process.kill()
            self._process.wait()
            self._close_pipes()

    def terminate(self, *, timeout: float = 30.0) -> int:
        """SIGTERM, then the exit code."""
        assert self._process is not None
        self._process.send_signal(signal.SIGTERM)
        code = self._process.wait(timeout=timeout)
        self._close_pipes()
        return code

    def _close_pipes(self) -> None:
        assert self._process is not None
        for pipe in (self._process.stdout, self._process.stderr):
            if pipe is not None:
                pipe.close()
