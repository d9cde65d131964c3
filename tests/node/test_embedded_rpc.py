"""The embedded ledger's Ethereum JSON-RPC, driven through web3.py's HTTPProvider.

Shapes and error codes follow the execution-apis specification and geth/anvil: a reverted call
answers error code 3 with the revert data, ``eth_getLogs`` takes address/topic filters with
``null`` and OR-lists, batches answer per request.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from web3 import Web3
from web3.exceptions import ContractCustomError, TimeExhausted
from web3.logs import DISCARD

from node import artifacts
from node.dev_accounts import dev_accounts
from node.embedded import EmbeddedLedger
from tests.node.embedded_support import Exchange, entries, result, rpc, selector

pytestmark = [pytest.mark.ledger, pytest.mark.rpc]

ACCOUNTS = dev_accounts(10)
GWEI = 10**9


@pytest.fixture(scope="module")
def ledger(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedLedger]:
    with EmbeddedLedger(tmp_path_factory.mktemp("embedded-rpc")) as started:
        yield started


@pytest.fixture(scope="module")
def w3(ledger: EmbeddedLedger) -> Web3:
    return Web3(Web3.HTTPProvider(ledger.url))


@pytest.fixture(scope="module")
def exchange(w3: Web3) -> Exchange:
    return Exchange.deploy(w3)


def sign(account_index: int, nonce: int, *, to: int = 9, value: int = 1, **fields: Any) -> str:
    tx = {
        "to": ACCOUNTS[to].address,
        "value": value,
        "gas": 21_000,
        "maxFeePerGas": 100 * GWEI,
        "maxPriorityFeePerGas": GWEI,
        "nonce": nonce,
        "chainId": 1337,
        "type": 2,
        **fields,
    }
    return "0x" + bytes(ACCOUNTS[account_index].sign_transaction(tx).raw_transaction).hex()


def test_chain_facts_match_the_settings_and_the_dev_accounts(ledger: EmbeddedLedger, w3: Web3) -> None:
    assert w3.eth.chain_id == 1337
    assert w3.net.version == "1337"
    assert w3.is_connected()
    assert w3.client_version.startswith("yrdx-embedded/")
    assert w3.eth.accounts == [a.address for a in ACCOUNTS]
    assert w3.eth.get_balance(ACCOUNTS[0].address, block_identifier=0) == 10_000 * 10**18
    assert w3.eth.syncing is False
    genesis = w3.eth.get_block(0)
    assert genesis["gasLimit"] == 60_000_000
    assert genesis["baseFeePerGas"] == GWEI
    assert w3.eth.max_priority_fee == GWEI
    assert w3.eth.gas_price > 0


def test_deployment_receipts_logs_and_code(w3: Web3, exchange: Exchange) -> None:
    code = w3.eth.get_code(exchange.consortium.address)
    assert artifacts.load("Consortium").runtime_code_matches(bytes(code))
    members = exchange.consortium.functions.members().call()
    assert members == [31, 32, 33, 34]
    assert exchange.consortium.functions.quorum().call() == 3
    block = w3.eth.get_block(exchange.deploy_blocks[0])
    receipt = w3.eth.get_transaction_receipt(block["transactions"][0])
    assert receipt["status"] == 1
    assert receipt["contractAddress"] == exchange.consortium.address
    assert receipt["blockHash"] == block["hash"]
    added = exchange.consortium.events.MemberAdded().process_receipt(receipt, errors=DISCARD)
    assert [(e["args"]["code"], e["args"]["signer"]) for e in added] == [
        (code_, ACCOUNTS[i + 1].address) for i, code_ in enumerate((31, 32, 33, 34))
    ]
    assert [log["logIndex"] for log in receipt["logs"]] == list(range(len(receipt["logs"])))


def test_transaction_and_receipt_fields(w3: Web3, exchange: Exchange) -> None:
    receipt = exchange.publish(1, 3, "fields")
    assert receipt["status"] == 1
    tx = w3.eth.get_transaction(receipt["transactionHash"])
    block = w3.eth.get_block(receipt["blockNumber"], full_transactions=True)
    assert tx["blockHash"] == block["hash"] == receipt["blockHash"]
    assert tx["from"] == receipt["from"] == ACCOUNTS[1].address
    assert tx["to"] == receipt["to"] == exchange.lists.address
    assert block["transactions"][receipt["transactionIndex"]]["hash"] == tx["hash"]
    assert receipt["effectiveGasPrice"] == min(tx["maxFeePerGas"], tx["maxPriorityFeePerGas"] + block["baseFeePerGas"])
    assert receipt["gasUsed"] <= tx["gas"]
    assert receipt["cumulativeGasUsed"] >= receipt["gasUsed"]
    published = exchange.lists.events.EntryPublished().process_receipt(receipt, errors=DISCARD)
    assert len(published) == 3
    assert {e["args"]["province"] for e in published} == {31}
    batch = exchange.lists.events.BatchPublished().process_receipt(receipt, errors=DISCARD)
    assert batch[0]["args"]["count"] == 3


def test_call_and_state_at_an_old_block(w3: Web3, exchange: Exchange) -> None:
    before = w3.eth.block_number
    receipt = exchange.publish(2, 1, "history")
    entry_id = exchange.lists.functions.entryIdOf(32, entries(1, "history")[0][0]).call()
    now = exchange.lists.functions.entry(entry_id).call()
    assert now[0] == 32 and now[2] == 1  # province, status Published
    with pytest.raises(ContractCustomError) as raised:
        exchange.lists.functions.entry(entry_id).call(block_identifier=before)
    assert raised.value.data.startswith(selector("CreditListsEntryNotFound(bytes32)"))
    sender = ACCOUNTS[2].address
    assert w3.eth.get_transaction_count(sender, before) == w3.eth.get_transaction_count(sender) - 1
    assert w3.eth.get_balance(sender, before) > w3.eth.get_balance(sender, receipt["blockNumber"])
    assert w3.eth.get_code(exchange.lists.address, exchange.deploy_blocks[1] - 1) == b""
    assert len(w3.eth.get_code(exchange.lists.address, exchange.deploy_blocks[1])) > 0


def test_storage_at_reads_slots_at_each_block(w3: Web3, exchange: Exchange) -> None:
    slots = [w3.eth.get_storage_at(exchange.consortium.address, i) for i in range(8)]
    assert any(slot != b"\0" * 32 for slot in slots)
    assert all(len(slot) == 32 for slot in slots)
    before = exchange.deploy_blocks[0] - 1
    assert w3.eth.get_storage_at(exchange.consortium.address, 0, before) == b"\0" * 32


def test_revert_answers_code_3_with_the_custom_error_data(ledger: EmbeddedLedger, exchange: Exchange) -> None:
    empty_batch = selector("CreditListsEmptyBatch()")
    call = exchange.lists.functions.publishBatch(1, [])
    with pytest.raises(ContractCustomError) as raised:
        call.call({"from": ACCOUNTS[1].address})
    assert raised.value.data == empty_batch
    with pytest.raises(ContractCustomError):
        call.estimate_gas({"from": ACCOUNTS[1].address})
    data = call._encode_transaction_data()
    tx = {"from": ACCOUNTS[1].address, "to": exchange.lists.address, "data": data}
    for method, params in (("eth_call", [tx, "latest"]), ("eth_estimateGas", [tx]), ("eth_sendTransaction", [tx])):
        error = rpc(ledger.url, method, params)["error"]
        assert error["code"] == 3, method
        assert error["data"] == empty_batch, method
        assert error["message"].startswith("execution reverted"), method


def test_estimate_gas_is_enough_and_not_wasteful(w3: Web3, exchange: Exchange) -> None:
    call = exchange.lists.functions.publishBatch(1, entries(20, "estimate"))
    estimate = call.estimate_gas({"from": ACCOUNTS[3].address})
    tx = call.transact({"from": ACCOUNTS[3].address, "gas": estimate})
    receipt = w3.eth.wait_for_transaction_receipt(tx, poll_latency=0.01)
    assert receipt["status"] == 1
    assert receipt["gasUsed"] <= estimate < receipt["gasUsed"] * 1.2


def test_get_logs_filters_by_range_address_topics_and_block_hash(w3: Web3, exchange: Exchange) -> None:
    first = exchange.publish(1, 2, "logs-a")
    second = exchange.publish(3, 2, "logs-b")
    published = exchange.lists.events.EntryPublished().topic
    batch = exchange.lists.events.BatchPublished().topic
    span = {"fromBlock": first["blockNumber"], "toBlock": second["blockNumber"]}
    everything = w3.eth.get_logs(span)
    assert len(everything) == 6
    assert [(log["blockNumber"], log["logIndex"]) for log in everything] == sorted(
        (log["blockNumber"], log["logIndex"]) for log in everything
    )
    assert len(w3.eth.get_logs({**span, "address": exchange.lists.address})) == 6
    assert w3.eth.get_logs({**span, "address": [exchange.consortium.address]}) == []
    assert len(w3.eth.get_logs({**span, "topics": [published]})) == 4
    assert len(w3.eth.get_logs({**span, "topics": [[published, batch]]})) == 6
    province_33 = "0x" + (33).to_bytes(32, "big").hex()
    # EntryPublished(entryId, subjectTag, province): province is topic 3
    from_33 = w3.eth.get_logs({**span, "topics": [published, None, None, province_33]})
    assert {log["transactionHash"] for log in from_33} == {second["transactionHash"]}
    by_hash = w3.eth.get_logs({"blockHash": second["blockHash"]})
    assert {log["transactionHash"] for log in by_hash} == {second["transactionHash"]}
    future = second["blockNumber"] + 1000
    assert w3.eth.get_logs({"fromBlock": future, "toBlock": future + 10}) == []
    receipt_logs = [dict(log) for log in second["logs"]]
    assert [dict(log) for log in w3.eth.get_logs({"blockHash": second["blockHash"]})] == receipt_logs


def test_get_logs_rejects_bad_ranges_and_topics(ledger: EmbeddedLedger) -> None:
    assert rpc(ledger.url, "eth_getLogs", [{"fromBlock": "0x5", "toBlock": "0x1"}])["error"]["code"] == -32602
    too_many = {"fromBlock": "0x0", "topics": [None] * 5}
    assert rpc(ledger.url, "eth_getLogs", [too_many])["error"]["code"] == -32602
    unknown = {"blockHash": "0x" + "11" * 32}
    assert rpc(ledger.url, "eth_getLogs", [unknown])["error"]["code"] == -32000


def test_nonce_gap_waits_until_filled(ledger: EmbeddedLedger, w3: Web3) -> None:
    sender = ACCOUNTS[5].address
    nonce = w3.eth.get_transaction_count(sender)
    later = result(ledger.url, "eth_sendRawTransaction", [sign(5, nonce + 1)])
    assert w3.eth.get_transaction_count(sender, "pending") == nonce
    with pytest.raises(TimeExhausted):
        w3.eth.wait_for_transaction_receipt(later, timeout=0.3, poll_latency=0.05)
    assert w3.eth.get_transaction(later)["blockHash"] is None
    first = result(ledger.url, "eth_sendRawTransaction", [sign(5, nonce)])
    receipts = [w3.eth.wait_for_transaction_receipt(h, poll_latency=0.01) for h in (first, later)]
    assert [r["status"] for r in receipts] == [1, 1]
    assert receipts[0]["blockNumber"] <= receipts[1]["blockNumber"]
    assert w3.eth.get_transaction_count(sender) == nonce + 2
    assert w3.eth.get_transaction_count(sender, "pending") == nonce + 2


def test_transactions_that_cannot_be_valid_are_refused(ledger: EmbeddedLedger, w3: Web3) -> None:
    nonce = w3.eth.get_transaction_count(ACCOUNTS[6].address)
    result(ledger.url, "eth_sendRawTransaction", [sign(6, nonce)])
    cases = {
        "nonce too low": sign(6, 0) if nonce > 0 else None,
        "invalid chain id": sign(6, nonce + 1, chainId=1),
        "intrinsic gas too low": sign(6, nonce + 1, gas=20_000),
        "insufficient funds": sign(6, nonce + 1, value=10**30),
        "exceeds block gas limit": sign(6, nonce + 1, gas=60_000_001),
        "less than block base fee": sign(6, nonce + 1, maxFeePerGas=1, maxPriorityFeePerGas=1),
    }
    for expected, raw in cases.items():
        if raw is None:
            continue
        error = rpc(ledger.url, "eth_sendRawTransaction", [raw])["error"]
        assert error["code"] == -32000, expected
        assert expected in error["message"], (expected, error)
    garbage = rpc(ledger.url, "eth_sendRawTransaction", ["0x02deadbeef"])["error"]
    assert garbage["code"] == -32602


def test_replacing_a_queued_transaction_needs_a_price_bump(ledger: EmbeddedLedger, w3: Web3) -> None:
    nonce = w3.eth.get_transaction_count(ACCOUNTS[7].address)
    gap = nonce + 1  # queued behind a gap, so it stays replaceable
    result(ledger.url, "eth_sendRawTransaction", [sign(7, gap, value=1)])
    same_price = rpc(ledger.url, "eth_sendRawTransaction", [sign(7, gap, value=2)])["error"]
    assert "replacement transaction underpriced" in same_price["message"]
    bumped = sign(7, gap, value=3, maxFeePerGas=200 * GWEI, maxPriorityFeePerGas=2 * GWEI)
    replacement = result(ledger.url, "eth_sendRawTransaction", [bumped])
    result(ledger.url, "eth_sendRawTransaction", [sign(7, nonce)])
    receipt = w3.eth.wait_for_transaction_receipt(replacement, poll_latency=0.01)
    assert w3.eth.get_transaction(receipt["transactionHash"])["value"] == 3


def test_batch_requests_answer_each_request(ledger: EmbeddedLedger, w3: Web3) -> None:
    batch = [
        {"jsonrpc": "2.0", "id": 1, "method": "eth_chainId", "params": []},
        {"jsonrpc": "2.0", "id": "two", "method": "eth_noSuchMethod", "params": []},
        {"jsonrpc": "2.0", "id": 3, "method": "eth_getBalance", "params": ["0x1234"]},
        {"jsonrpc": "2.0", "method": "eth_blockNumber", "params": []},  # a notification
        {"jsonrpc": "2.0", "id": 5, "method": "eth_blockNumber"},
    ]
    answers = requests.post(ledger.url, json=batch, timeout=10).json()
    by_id = {a["id"]: a for a in answers}
    assert set(by_id) == {1, "two", 3, 5}
    assert by_id[1]["result"] == "0x539"
    assert by_id["two"]["error"]["code"] == -32601
    assert by_id[3]["error"]["code"] == -32602
    assert int(by_id[5]["result"], 16) == w3.eth.block_number
    assert requests.post(ledger.url, json=[], timeout=10).json()["error"]["code"] == -32600
    broken = requests.post(ledger.url, data=b"{not json", timeout=10).json()
    assert broken["error"]["code"] == -32700
    with w3.batch_requests() as web3_batch:
        web3_batch.add(w3.eth.get_block(0))
        web3_batch.add(w3.eth.get_balance(ACCOUNTS[0].address, 0))
        block, balance = web3_batch.execute()
    assert block["number"] == 0 and balance == 10_000 * 10**18


def test_blocks_by_number_hash_and_tag(w3: Web3, exchange: Exchange) -> None:
    head = w3.eth.get_block("latest")
    assert w3.eth.get_block(head["hash"]) == head
    for tag in ("pending", "safe", "finalized"):
        assert w3.eth.get_block(tag)["number"] == head["number"]
    assert w3.eth.get_block("earliest")["number"] == 0
    parent = w3.eth.get_block(head["number"] - 1)
    assert head["parentHash"] == parent["hash"]
    assert head["timestamp"] > parent["timestamp"]
    assert head["baseFeePerGas"] > 0
    assert rpc(w3.provider.endpoint_uri, "eth_getBlockByNumber", [hex(head["number"] + 10), False])["result"] is None
    assert rpc(w3.provider.endpoint_uri, "eth_getBlockByHash", ["0x" + "00" * 32, False])["result"] is None
    full = w3.eth.get_block(exchange.deploy_blocks[0], full_transactions=True)
    assert full["transactions"][0]["blockNumber"] == exchange.deploy_blocks[0]


def test_dev_clock_controls_and_evm_mine(ledger: EmbeddedLedger, w3: Web3) -> None:
    start = w3.eth.get_block("latest")
    assert result(ledger.url, "evm_mine") == "0x0"
    assert w3.eth.block_number == start["number"] + 1
    result(ledger.url, "evm_increaseTime", [3600])
    result(ledger.url, "evm_mine")
    # blocks mined faster than one a second run ahead of the wall clock, never behind it
    assert w3.eth.get_block("latest")["timestamp"] >= int(time.time()) + 3600 - 1
    chosen = w3.eth.get_block("latest")["timestamp"] + 1000
    result(ledger.url, "evm_setNextBlockTimestamp", [chosen])
    result(ledger.url, "evm_mine")
    assert w3.eth.get_block("latest")["timestamp"] == chosen
    result(ledger.url, "evm_mine")
    assert chosen < w3.eth.get_block("latest")["timestamp"] < chosen + 60
    past = rpc(ledger.url, "evm_setNextBlockTimestamp", [chosen])["error"]
    assert past["code"] == -32602


def test_send_transaction_signs_for_unlocked_accounts_only(ledger: EmbeddedLedger, w3: Web3) -> None:
    before = w3.eth.get_balance(ACCOUNTS[9].address)
    tx = w3.eth.send_transaction({"from": ACCOUNTS[8].address, "to": ACCOUNTS[9].address, "value": 12345})
    receipt = w3.eth.wait_for_transaction_receipt(tx, poll_latency=0.01)
    assert receipt["status"] == 1
    assert w3.eth.get_balance(ACCOUNTS[9].address) == before + 12345
    stranger = {"from": "0x" + "12" * 20, "to": ACCOUNTS[9].address, "value": 1}
    assert "unknown account" in rpc(ledger.url, "eth_sendTransaction", [stranger])["error"]["message"]


def test_fee_history_reports_base_fees_and_rewards(w3: Web3, exchange: Exchange) -> None:
    history = w3.eth.fee_history(4, "latest", [10, 90])
    head = w3.eth.block_number
    assert history["oldestBlock"] == head - 3
    assert len(history["baseFeePerGas"]) == 5
    assert len(history["gasUsedRatio"]) == 4
    assert len(history["reward"]) == 4 and all(len(r) == 2 for r in history["reward"])
    assert history["baseFeePerGas"][-2] == w3.eth.get_block(head)["baseFeePerGas"]


def test_unknown_transaction_and_receipt_are_null(ledger: EmbeddedLedger) -> None:
    missing = "0x" + "ab" * 32
    assert rpc(ledger.url, "eth_getTransactionByHash", [missing])["result"] is None
    assert rpc(ledger.url, "eth_getTransactionReceipt", [missing])["result"] is None
    assert rpc(ledger.url, "eth_getBalance", [ACCOUNTS[0].address, "0xffffff"])["error"]["message"] == (
        "header not found"
    )


def test_get_logs_refuses_more_than_max_logs(tmp_path: Path) -> None:
    with EmbeddedLedger(tmp_path, max_logs=5) as small:
        w3 = Web3(Web3.HTTPProvider(small.url))
        exchange = Exchange.deploy(w3)  # the Consortium constructor alone emits 6 logs
        error = rpc(small.url, "eth_getLogs", [{"fromBlock": "earliest", "toBlock": "latest"}])["error"]
        assert error["code"] == -32005
        assert "narrow" in error["message"]
        narrowed = w3.eth.get_logs(
            {"fromBlock": 0, "address": exchange.consortium.address, "topics": [exchange_topic(exchange)]}
        )
        assert len(narrowed) == 4


def exchange_topic(exchange: Exchange) -> str:
    return str(exchange.consortium.events.MemberAdded().topic)


def test_restart_on_the_same_data_dir_keeps_everything(tmp_path: Path) -> None:
    with EmbeddedLedger(tmp_path) as first:
        w3 = Web3(Web3.HTTPProvider(first.url))
        exchange = Exchange.deploy(w3)
        receipt = exchange.publish(4, 2, "restart")
        result(first.url, "evm_increaseTime", [86_400])
        head = w3.eth.get_block("latest")
        logs = w3.eth.get_logs({"fromBlock": 0})
        nonce = w3.eth.get_transaction_count(ACCOUNTS[4].address)
    with EmbeddedLedger(tmp_path) as second:
        w3 = Web3(Web3.HTTPProvider(second.url))
        assert w3.eth.get_block("latest") == head
        assert w3.eth.get_transaction_receipt(receipt["transactionHash"]) == receipt
        assert w3.eth.get_logs({"fromBlock": 0}) == logs
        lists = w3.eth.contract(address=exchange.lists.address, abi=exchange.lists.abi)
        entry_id = lists.functions.entryIdOf(34, entries(2, "restart")[1][0]).call()
        assert lists.functions.entry(entry_id).call()[2] == 1
        assert w3.eth.get_transaction_count(ACCOUNTS[4].address, "pending") == nonce
        again = Exchange(w3, exchange.consortium, lists, exchange.deploy_blocks)
        later = again.publish(4, 1, "after-restart")
        assert later["status"] == 1 and later["blockNumber"] == head["number"] + 1
        assert w3.eth.get_block("latest")["timestamp"] >= head["timestamp"] + 86_000


def test_estimate_gas_for_a_plain_transfer_and_a_too_small_cap(ledger: EmbeddedLedger, exchange: Exchange) -> None:
    transfer = {"from": ACCOUNTS[0].address, "to": ACCOUNTS[1].address, "value": "0x1"}
    assert result(ledger.url, "eth_estimateGas", [transfer]) == hex(21_000)
    call = exchange.lists.functions.publishBatch(1, entries(5, "cap"))
    tight = {"from": ACCOUNTS[1].address, "to": exchange.lists.address, "data": call._encode_transaction_data()}
    error = rpc(ledger.url, "eth_estimateGas", [{**tight, "gas": hex(30_000)}])["error"]
    assert error == {"code": -32000, "message": "gas required exceeds allowance (30000)"}


def test_calls_that_cannot_start_are_server_errors(ledger: EmbeddedLedger) -> None:
    broke = "0x" + "77" * 20
    error = rpc(ledger.url, "eth_call", [{"from": broke, "to": ACCOUNTS[1].address, "value": "0x1"}])["error"]
    assert error["code"] == -32000 and error["message"].startswith("invalid call")
    error = rpc(ledger.url, "eth_call", [{"to": ACCOUNTS[1].address, "gas": "0x5208", "data": "0x01"}])["error"]
    assert error["code"] == -32000 and "intrinsic gas too low" in error["message"]


def test_legacy_and_access_list_transactions(ledger: EmbeddedLedger, w3: Web3) -> None:
    sender = ACCOUNTS[4]
    nonce = w3.eth.get_transaction_count(sender.address, "pending")
    legacy = {
        "to": ACCOUNTS[9].address,
        "value": 5,
        "gas": 21_000,
        "gasPrice": 50 * GWEI,
        "nonce": nonce,
        "chainId": 1337,
    }
    access_list = [{"address": ACCOUNTS[9].address, "storageKeys": ["0x" + "00" * 31 + "01"]}]
    typed = {**legacy, "nonce": nonce + 1, "type": 1, "gas": 30_000, "accessList": access_list}
    hashes = [
        result(ledger.url, "eth_sendRawTransaction", ["0x" + bytes(sender.sign_transaction(tx).raw_transaction).hex()])
        for tx in (legacy, typed)
    ]
    receipts = [w3.eth.wait_for_transaction_receipt(h, poll_latency=0.01) for h in hashes]
    assert [r["type"] for r in receipts] == [0, 1]
    assert [r["effectiveGasPrice"] for r in receipts] == [50 * GWEI, 50 * GWEI]
    first, second = (w3.eth.get_transaction(h) for h in hashes)
    assert first["type"] == 0 and first["chainId"] == 1337 and first["v"] in (1337 * 2 + 35, 1337 * 2 + 36)
    assert second["type"] == 1 and second["accessList"][0]["storageKeys"] == ["0x" + "00" * 31 + "01"]
    assert receipts[1]["gasUsed"] == 21_000 + 2_400 + 1_900  # EIP-2930 address and storage key costs
    sent = w3.eth.send_transaction({"from": ACCOUNTS[8].address, "to": ACCOUNTS[9].address, "gasPrice": 3 * GWEI})
    assert w3.eth.get_transaction(sent)["type"] == 0
