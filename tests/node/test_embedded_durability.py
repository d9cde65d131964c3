"""Crash durability of the embedded ledger: every receipted transaction survives ``kill -9``.

``yrdx node`` runs as a child process while several threads send transactions (transfers and
credit-list batches with logs) and record every receipt they are given. The process is
SIGKILLed at a random moment, restarted on the same data dir, and every recorded receipt must
come back identical (block hash, status, logs), with the state the transactions made. Then the
load resumes from the restarted node's nonces. This is repeated for several kills.
"""

from __future__ import annotations

import random
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import requests
from web3 import Web3

from node.dev_accounts import dev_accounts
from tests.node.embedded_support import Exchange, NodeProcess, entries, result

pytestmark = [pytest.mark.ledger, pytest.mark.rpc, pytest.mark.slow]

ACCOUNTS = dev_accounts(10)
KILLS = 3
SENDERS = (1, 2, 3, 4, 5, 6)  # 1-4 publish credit-list batches, 5-6 send transfers


@dataclass
class Recorded:
    """What the load saw acknowledged: receipts by hash, entry ids published."""

    receipts: dict[str, dict[str, Any]] = field(default_factory=dict)
    entry_ids: list[bytes] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


def post(session: requests.Session, url: str, method: str, params: list[Any]) -> Any:
    answer = session.post(url, json={"jsonrpc": "2.0", "id": 1, "method": method, "params": params}, timeout=10).json()
    if "error" in answer:
        raise RuntimeError(f"{method}: {answer['error']}")
    return answer["result"]


def drive(url: str, lists: Any, sender: int, round_: int, recorded: Recorded, stop: threading.Event) -> None:
    """Send transactions from one account, one at a time, recording each receipt."""
    session = requests.Session()
    account = ACCOUNTS[sender]
    try:
        nonce = int(post(session, url, "eth_getTransactionCount", [account.address, "pending"]), 16)
        sequence = 0
        while not stop.is_set():
            tx: dict[str, Any] = {"nonce": nonce, "chainId": 1337, "maxFeePerGas": 10**11}
            tx["maxPriorityFeePerGas"] = 10**9
            batch: list[Any] = []
            if sender <= 4:
                batch = entries(3, f"kill-{round_}-{sender}-{sequence}")
                data = lists.functions.publishBatch(1, batch)._encode_transaction_data()
                tx.update(to=lists.address, data=data, gas=400_000)
            else:
                tx.update(to=ACCOUNTS[0].address, value=1_000 + sequence, gas=21_000)
            raw = "0x" + bytes(account.sign_transaction(tx).raw_transaction).hex()
            tx_hash = post(session, url, "eth_sendRawTransaction", [raw])
            while (receipt := post(session, url, "eth_getTransactionReceipt", [tx_hash])) is None:
                time.sleep(0.02)
            with recorded.lock:
                recorded.receipts[tx_hash] = receipt
                if receipt["status"] == "0x1":
                    province = (30 + sender).to_bytes(1, "big")
                    recorded.entry_ids.extend(Web3.keccak(province + e[0]) for e in batch)  # entryIdOf
            nonce += 1
            sequence += 1
    except (requests.RequestException, RuntimeError, ValueError):
        return  # the node was killed under us


def check_survivors(url: str, lists: Any, recorded: Recorded) -> None:
    session = requests.Session()
    for tx_hash, receipt in recorded.receipts.items():
        assert post(session, url, "eth_getTransactionReceipt", [tx_hash]) == receipt, tx_hash
        block = post(session, url, "eth_getBlockByNumber", [receipt["blockNumber"], False])
        assert block["hash"] == receipt["blockHash"]
        assert tx_hash in block["transactions"]
    for entry_id in recorded.entry_ids:
        assert lists.functions.entry(entry_id).call()[2] == 1  # Published


def test_receipted_transactions_survive_sigkill_and_restart(tmp_path: Path) -> None:
    node = NodeProcess(tmp_path / "ledger")
    url = node.start()
    try:
        exchange = Exchange.deploy(Web3(Web3.HTTPProvider(url)))
        recorded = Recorded()
        rng = random.Random(20260101)  # noqa: S311 - a test's schedule, not a secret
        heads = []
        for round_ in range(KILLS):
            stop = threading.Event()
            threads = [
                threading.Thread(target=drive, args=(url, exchange.lists, s, round_, recorded, stop)) for s in SENDERS
            ]
            for thread in threads:
                thread.start()
            time.sleep(rng.uniform(1.0, 2.5))
            node.kill()
            stop.set()
            for thread in threads:
                thread.join(timeout=30)
            url = node.start()
            w3 = Web3(Web3.HTTPProvider(url))
            lists = w3.eth.contract(address=exchange.lists.address, abi=exchange.lists.abi)
            check_survivors(url, lists, recorded)
            heads.append(w3.eth.block_number)
            exchange = Exchange(w3, exchange.consortium, lists, exchange.deploy_blocks)
        assert len(recorded.receipts) > 20 * KILLS, "the load was too light to test anything"
        assert heads == sorted(heads)
        # after the last restart, every sender goes on from its committed nonce
        for sender in SENDERS:
            account = ACCOUNTS[sender]
            nonce = w3.eth.get_transaction_count(account.address, "pending")
            assert nonce == w3.eth.get_transaction_count(account.address, "latest")
            tx = {"to": ACCOUNTS[0].address, "value": 1, "gas": 21_000, "nonce": nonce, "chainId": 1337,
                  "maxFeePerGas": 10**11, "maxPriorityFeePerGas": 10**9}  # fmt: skip
            raw = "0x" + bytes(account.sign_transaction(tx).raw_transaction).hex()
            receipt = w3.eth.wait_for_transaction_receipt(result(url, "eth_sendRawTransaction", [raw]), timeout=30)
            assert receipt["status"] == 1
        assert node.terminate() == 0
    finally:
        node.kill()
