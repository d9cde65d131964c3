"""The ledger client: nonces, retries, revert decoding, idempotent re-sending, confirmations."""

from __future__ import annotations

import threading
import time

import pytest
import requests

from node.calls import encode_call
from node.client import LedgerClient, NonceManager, RetryPolicy
from node.engines import Anvil, free_port
from node.errors import ContractRevert, RpcUnavailable, TransactionFailed
from tests.support import FAST_RETRY, Exchange, dev_account


def test_nonce_manager_hands_out_each_nonce_once_across_threads() -> None:
    fetched = []

    def fetch() -> int:
        fetched.append(1)
        return 7

    manager = NonceManager(fetch=fetch)
    seen: list[int] = []
    lock = threading.Lock()

    def take() -> None:
        for _ in range(200):
            n = manager.reserve()
            with lock:
                seen.append(n)

    threads = [threading.Thread(target=take) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(seen) == list(range(7, 807))
    assert len(fetched) == 1
    manager.resync()
    assert manager.reserve() == 7


def test_catching_up_skips_what_the_node_saw_and_keeps_what_was_reserved_here() -> None:
    node = [10]
    manager = NonceManager(fetch=lambda: node[0])
    assert manager.reserve() == 10  # reserved here, not sent: the node still says 10
    manager.catch_up()
    assert manager.reserve() == 11  # not 10 again
    node[0] = 20  # another process sent 12..19 (the node counts 11 too, once it is sent)
    assert manager.reserve() == 12  # nothing said to look: the counter goes on
    manager.catch_up()
    assert manager.reserve() == 20
    node[0] = 30
    assert manager.reserve() == 21  # it looked once, not at every reservation after
    manager.resync()
    node[0] = 5  # a resync takes the node's word, even backwards (a refused transaction's gap)
    assert manager.reserve() == 5


def test_rpc_retries_transient_failures_then_gives_up() -> None:
    client = LedgerClient(rpc_url="http://127.0.0.1:9", retry=RetryPolicy(attempts=4, initial_delay=0.001))
    calls = []

    def flaky() -> int:
        calls.append(1)
        if len(calls) < 3:
            raise requests.ConnectionError("down")
        return 42

    assert client.rpc(flaky) == 42
    assert len(calls) == 3

    def down() -> int:
        calls.append(1)
        raise requests.ConnectionError("down")

    calls.clear()
    with pytest.raises(RpcUnavailable, match="after 4 attempts"):
        client.rpc(down)
    assert len(calls) == 4


def test_unreachable_endpoint_raises_rpc_unavailable() -> None:
    client = LedgerClient(rpc_url=f"http://127.0.0.1:{free_port()}", retry=RetryPolicy(attempts=2, initial_delay=0.01))
    with pytest.raises(RpcUnavailable, match="unreachable"):
        client.block_number()


@pytest.mark.ledger
def test_client_waits_with_backoff_until_the_endpoint_comes_up() -> None:
    port = free_port()
    client = LedgerClient(
        rpc_url=f"http://127.0.0.1:{port}",
        account=dev_account(1),
        retry=RetryPolicy(attempts=40, initial_delay=0.05, max_delay=0.5),
    )
    with Anvil(port=port) as anvil:
        anvil.stop()
        starter = threading.Timer(1.0, anvil.start)
        starter.start()
        try:
            receipt = client.wait(_transfer(client), timeout=60)
        finally:
            starter.join()
        assert receipt.status == 1


def _transfer(client: LedgerClient) -> str:
    tx = client.sign(to=dev_account(8).address, data=b"", gas=21_000, value=1)
    client.submit(tx)
    return tx.tx_hash


@pytest.mark.ledger
def test_revert_is_decoded_before_sending(exchange: Exchange) -> None:
    before = exchange.clients[33].nonces.reserve()
    exchange.clients[33].nonces.resync()
    with pytest.raises(ContractRevert) as info:
        exchange.send(33, "CreditLists", "publishBatch", 1, [])
    assert info.value.name == "CreditListsEmptyBatch"
    assert exchange.clients[33].nonces.reserve() == before  # nothing was sent


@pytest.mark.ledger
def test_mined_failure_is_decoded_with_its_arguments(exchange: Exchange) -> None:
    client = exchange.clients[33]
    lists = exchange.deployment.address("CreditLists")
    data = encode_call("CreditLists", "publishBatch", 7, [(b"X".ljust(32, b"\0"), 2, 3, b"\1" * 32, b"\2" * 32, 1, 0)])
    tx = client.sign(to=lists, data=data, gas=200_000)  # explicit gas: no estimate, so it is mined
    client.submit(tx)
    with pytest.raises(ContractRevert) as info:
        client.wait(tx)
    assert info.value.name == "CreditListsStaleTagKeyVersion"
    assert info.value.args_by_name == {"given": 7, "current": 1}
    assert info.value.tx_hash == tx.tx_hash
    receipt = client.receipt(tx.tx_hash)
    assert receipt is not None and receipt.status == 0


@pytest.mark.ledger
def test_resubmitting_a_signed_transaction_never_duplicates_it(exchange: Exchange) -> None:
    client = exchange.clients[32]
    start = client.w3.eth.get_transaction_count(client.account.address)  # type: ignore[union-attr]
    tx = client.sign(to=dev_account(9).address, data=b"", gas=21_000, value=5)
    for _ in range(3):
        client.submit(tx)
    client.wait(tx)
    client.submit(tx)  # after mining: "nonce too low" for a transaction the ledger has
    assert client.w3.eth.get_transaction_count(client.account.address) == start + 1  # type: ignore[union-attr]


@pytest.mark.ledger
def test_nonce_taken_by_another_transaction_is_reported(exchange: Exchange) -> None:
    first = exchange.client_for(exchange.url, dev_account(6))
    second = exchange.client_for(exchange.url, dev_account(6))
    mined = first.sign(to=dev_account(9).address, data=b"", gas=21_000, value=1)
    first.submit(mined)
    first.wait(mined)
    stale = second.sign(to=dev_account(9).address, data=b"", gas=21_000, value=2, nonce=mined.nonce)
    with pytest.raises(TransactionFailed, match="used by another transaction"):
        second.submit(stale)


@pytest.mark.ledger
def test_wait_honours_the_confirmation_depth(exchange: Exchange) -> None:
    client = LedgerClient(rpc_url=exchange.url, account=dev_account(7), confirmations=2, retry=FAST_RETRY)
    tx = client.sign(to=dev_account(9).address, data=b"", gas=21_000, value=1)
    client.submit(tx)

    def mine_later() -> None:
        time.sleep(0.5)
        for _ in range(2):
            client.raw_request("evm_mine", [])

    miner = threading.Thread(target=mine_later)
    miner.start()
    receipt = client.wait(tx, timeout=30)
    head_when_returned = client.block_number()
    miner.join()
    assert head_when_returned >= receipt.block_number + 2


class _QbftNode:
    """A JSON-RPC endpoint on 127.0.0.1 answering as a Besu QBFT validator would: blocks with
    QBFT ``extraData`` (far longer than 32 bytes). It counts the methods asked for."""

    def __init__(self, extra_data: str) -> None:
        import http.server
        import json

        self.asked: list[str] = []
        node = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - the stdlib's name
                request = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                node.asked.append(request["method"])
                result = {
                    "eth_chainId": "0x539",
                    "eth_estimateGas": "0x5208",
                    "eth_maxPriorityFeePerGas": "0x0",
                    "eth_getBlockByNumber": {
                        "number": "0x10",
                        "hash": "0x" + "11" * 32,
                        "parentHash": "0x" + "22" * 32,
                        "miner": "0x" + "33" * 20,
                        "extraData": extra_data,
                        "timestamp": "0x6553f100",
                        "gasLimit": "0x1c9c380",
                        "gasUsed": "0x0",
                        "baseFeePerGas": "0x0",
                        "transactions": [],
                    },
                }[request["method"]]
                body = json.dumps({"jsonrpc": "2.0", "id": request["id"], "result": result}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        self._server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def __enter__(self) -> _QbftNode:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()


def test_the_client_reads_qbft_blocks_and_asks_for_the_chain_id_once() -> None:
    from node.besu.extra_data import QbftExtraData, decode_extra_data, encode_extra_data

    validators = tuple(dev_account(i).address for i in range(4))
    sealed = encode_extra_data(QbftExtraData(validators=validators, seals=(b"\x01" * 65,) * 3))
    assert len(sealed) > 32
    with _QbftNode("0x" + sealed.hex()) as node:
        client = LedgerClient(rpc_url=node.url, account=dev_account(1))
        block = client.block("latest")
        assert decode_extra_data(bytes(block["proofOfAuthorityData"])).validators == validators
        for _ in range(3):
            assert client.estimate_raw(to=dev_account(8).address, data=b"") == 21_000
        tx = client.sign(to=dev_account(8).address, data=b"", gas=21_000, value=1, nonce=0)
        assert tx.nonce == 0
    assert node.asked.count("eth_estimateGas") == 3
    assert node.asked.count("eth_chainId") == 1  # read once, for signing
