"""Benchmark the embedded ledger: block building, start-up time after a long history, and
``eth_getLogs`` over the whole history against anvil on the same logs.

    .venv/bin/python scripts/bench_embedded_startup.py 2000
    .venv/bin/python scripts/bench_embedded_startup.py 20000 --bulk-transfers 1000000 --keep /tmp/big

Runs ``yrdx node`` as a child process on a fresh data dir. Phases:

1. simple transfers, sent in JSON-RPC batches: transactions, blocks and gas per second;
2. ``CreditLists.publishBatch`` calls of about 3M gas each (about 110 entries): the same;
3. history: until the chain has N blocks, rounds of ``--txs-per-block`` calls to a minimal log
   emitter (``--logs-per-tx`` LOG2 events each), every round waited for;
4. optionally ``--bulk-transfers`` more transfers and ``--bulk-logs`` more logs, paced;
5. ``eth_getLogs`` from block 0 to the head (best of 3), in logs per second;
6. start-up: after SIGTERM and after SIGKILL, the time until the restarted process answers,
   and the time ``EmbeddedLedger.start()`` takes in-process (Python imports excluded);
7. anvil (``node_modules/.bin/anvil``) replays the same signed transactions in the same rounds
   and answers the same ``eth_getLogs``; the log counts must agree.

Prints figures only; nothing here asserts a speed.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import re
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path
from typing import Any

import orjson
import requests
from eth_account.signers.local import LocalAccount
from eth_utils.address import to_checksum_address
from eth_utils.crypto import keccak
from web3 import Web3

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from node.dev_accounts import dev_accounts  # noqa: E402
from node.engines import Anvil  # noqa: E402

CHAIN_ID = 1337
MAX_FEE = 100 * 10**9
TIP = 10**9
BATCH = 250  # raw transactions per JSON-RPC batch request
IN_FLIGHT = 5_000  # transactions sent but not yet mined, at most
# anvil 1.7.1 slows down sharply with thousands of queued transactions (one round of 5,000
# transfers from 5 senders ran over 10 minutes and took 11 GB): it is fed 250 at a time
ANVIL_ROUND = 250
ARTIFACTS = REPO / "contracts" / "artifacts"
EMITTED = keccak(b"Emitted(uint256)")
# runtime: for i in 0..calldata[0:32]: mstore(0, i); log2(0, 32, EMITTED, i)
EMITTER_RUNTIME = bytes.fromhex("5f5b5f358110600a57005b805f52807f") + EMITTED + bytes.fromhex("60205fa2600101600156")
EMITTER_INIT = bytes([0x60, len(EMITTER_RUNTIME)]) + bytes.fromhex("8060095f395ff3") + EMITTER_RUNTIME


class Rpc:
    def __init__(self, url: str) -> None:
        self.url = url
        self.session = requests.Session()

    def call(self, method: str, *params: Any) -> Any:
        answer = orjson.loads(self.raw(method, *params))
        if "error" in answer:
            raise RuntimeError(f"{method}: {answer['error']}")
        return answer["result"]

    def batch(self, method: str, params: list[list[Any]]) -> list[Any]:
        body = orjson.dumps([{"jsonrpc": "2.0", "id": i, "method": method, "params": p} for i, p in enumerate(params)])
        answers = orjson.loads(self._post(body))
        errors = [a["error"] for a in answers if "error" in a]
        if errors:
            raise RuntimeError(f"{method}: {errors[0]} ({len(errors)} errors)")
        return [a["result"] for a in sorted(answers, key=lambda a: a["id"])]

    def raw(self, method: str, *params: Any) -> bytes:
        return self._post(orjson.dumps({"jsonrpc": "2.0", "id": 1, "method": method, "params": list(params)}))

    def head(self) -> int:
        return int(self.call("eth_blockNumber"), 16)

    def _post(self, body: bytes) -> bytes:
        response = self.session.post(self.url, data=body, headers={"Content-Type": "application/json"}, timeout=3600)
        response.raise_for_status()
        return response.content


@dataclass
class Sender:
    """Signs transactions for one account with local nonces."""

    account: LocalAccount
    nonce: int = 0

    def sign(self, *, to: str | None, data: bytes = b"", value: int = 0, gas: int) -> str:
        tx: dict[str, Any] = {"nonce": self.nonce, "chainId": CHAIN_ID, "gas": gas, "value": value, "data": data,
                              "maxFeePerGas": MAX_FEE, "maxPriorityFeePerGas": TIP, "type": 2}  # fmt: skip
        if to is not None:
            tx["to"] = to
        self.nonce += 1
        return "0x" + bytes(self.account.sign_transaction(tx).raw_transaction).hex()


@dataclass
class Round:
    """Transactions sent together, then waited for: replayed the same way on anvil."""

    raws: list[str]


@dataclass
class Driver:
    """Sends rounds to one endpoint and remembers them."""

    rpc: Rpc
    rounds: list[Round] = field(default_factory=list)

    def run(self, raws: Iterable[str], senders: list[Sender]) -> int:
        """Send ``raws`` (at most ``IN_FLIGHT`` waiting at a time), wait until all are mined."""
        pending = iter(raws)
        sent = 0
        chunk = list(islice(pending, IN_FLIGHT))
        while chunk:
            round_ = Round(chunk)
            self.rounds.append(round_)
            send(self.rpc, round_)
            sent += len(chunk)
            chunk = list(islice(pending, IN_FLIGHT))  # signed while the ledger mines the last round
            wait_mined(self.rpc, round_.raws[-1])
            if sent % 100_000 < IN_FLIGHT and sent >= 100_000:
                print(f"  ... {sent} transactions", flush=True)
        for sender in senders:
            wait_nonce(self.rpc, sender.account.address, sender.nonce)
        return sent


def send(rpc: Rpc, chunk: Round) -> None:
    for i in range(0, len(chunk.raws), BATCH):
        rpc.batch("eth_sendRawTransaction", [[raw] for raw in chunk.raws[i : i + BATCH]])


def play(rpc: Rpc, chunk: Round) -> None:
    send(rpc, chunk)
    wait_mined(rpc, chunk.raws[-1])


def wait_mined(rpc: Rpc, raw: str) -> None:
    tx_hash = "0x" + keccak(bytes.fromhex(raw[2:])).hex()
    while rpc.call("eth_getTransactionReceipt", tx_hash) is None:
        time.sleep(0.005)


def wait_nonce(rpc: Rpc, address: str, nonce: int) -> None:
    while int(rpc.call("eth_getTransactionCount", address, "latest"), 16) < nonce:
        time.sleep(0.005)


class Node:
    """``yrdx node`` as a child process."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> tuple[str, float]:
        """Start it; the URL and the seconds until it answered."""
        began = time.perf_counter()
        command = [sys.executable, "-m", "yrdx", "node", "--data-dir", str(self.data_dir), "--port", "0",
                   "--max-logs", "100000000"]  # fmt: skip
        self.process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, cwd=REPO)  # noqa: S603
        assert self.process.stdout is not None
        line = b""
        while not line and self.process.poll() is None:
            if select.select([self.process.stdout], [], [], 0.05)[0]:
                line = self.process.stdout.readline()
        found = re.search(rb"listening on (http://\S+)", line)
        if found is None:
            raise SystemExit(f"yrdx node did not start: {line!r}")
        url = found.group(1).decode()
        Rpc(url).call("eth_chainId")
        return url, time.perf_counter() - began

    def stop(self, sig: int = signal.SIGTERM) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(sig)
            self.process.wait(timeout=300)
        if self.process is not None and self.process.stdout is not None:
            self.process.stdout.close()
        self.process = None


@contextmanager
def anvil() -> Iterator[str]:
    with Anvil(chain_id=CHAIN_ID) as node:
        yield node.url


def timed(driver: Driver, raws: Iterable[str], senders: list[Sender]) -> dict[str, float]:
    """Send ``raws`` and wait for them: transactions, blocks and gas per second."""
    rpc = driver.rpc
    first = rpc.head()
    began = time.perf_counter()
    count = driver.run(raws, senders)
    seconds = time.perf_counter() - began
    last = rpc.head()
    gas = 0
    for start in range(first + 1, last + 1, 500):
        blocks = rpc.batch("eth_getBlockByNumber", [[hex(n), False] for n in range(start, min(start + 500, last + 1))])
        gas += sum(int(b["gasUsed"], 16) for b in blocks)
    return {"txs": count, "blocks": last - first, "seconds": seconds, "tx/s": count / seconds,
            "blocks/s": (last - first) / seconds, "Mgas/s": gas / seconds / 1e6}  # fmt: skip


def entries(count: int, tag: str) -> list[tuple[bytes, int, int, bytes, bytes, int, int]]:
    out = []
    for i in range(count):
        local_id = f"{tag}-{i}".encode().ljust(32, b"\0")
        digest = hashlib.sha256(local_id).digest()
        out.append((local_id, 2, 3, digest, hashlib.sha256(digest).digest(), 1_767_196_800, 0))
    return out


def get_logs_rate(rpc: Rpc, head: int, query: dict[str, Any] | None = None, repeats: int = 3) -> tuple[int, float]:
    """(log count, best logs per second) of one eth_getLogs over blocks 0..head, raw HTTP."""
    best = float("inf")
    count = 0
    for _ in range(repeats):
        began = time.perf_counter()
        body = rpc.raw("eth_getLogs", {"fromBlock": "0x0", "toBlock": hex(head), **(query or {})})
        best = min(best, time.perf_counter() - began)
        if b'"result"' not in body[:64]:
            raise RuntimeError(body[:500].decode(errors="replace"))
        count = body.count(b'"logIndex"')  # one per log object; parsing a million of them costs gigabytes
        del body
    return count, count / best if best > 0 else float("inf")


def create_address(sender: str, nonce: int) -> str:
    """The CREATE address, keccak(rlp([sender, nonce]))[12:] (Yellow Paper 7), nonce < 128."""
    payload = b"\x94" + bytes.fromhex(sender[2:]) + (b"\x80" if nonce == 0 else bytes([nonce]))
    return to_checksum_address(keccak(bytes([0xC0 + len(payload)]) + payload)[12:])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("blocks", type=int, help="chain length to build (blocks)")
    parser.add_argument("--txs-per-block", type=int, default=1, help="history transactions per round (default 1)")
    parser.add_argument("--logs-per-tx", type=int, default=20, help="logs per history transaction (default 20)")
    parser.add_argument("--transfers", type=int, default=2000, help="simple transfers to time (default 2000)")
    parser.add_argument("--heavy", type=int, default=20, help="~3M-gas calls to time (default 20)")
    parser.add_argument("--bulk-transfers", type=int, default=0, help="more transfers after the history")
    parser.add_argument("--bulk-logs", type=int, default=0, help="more logs after the history, 1000 per tx")
    parser.add_argument("--keep", type=Path, help="data dir to use and keep (default: a temporary one)")
    parser.add_argument("--no-anvil", action="store_true", help="skip the anvil comparison")
    args = parser.parse_args()

    data_dir = args.keep or Path(tempfile.mkdtemp(prefix="yrdx-bench-startup-"))
    if any(data_dir.glob("ledger.*")):
        raise SystemExit(f"{data_dir} already holds a ledger: give an empty or new directory")
    node = Node(data_dir)
    url, cold = node.start()
    print(f"data dir {data_dir}; first start (new chain) {cold:.2f} s", flush=True)
    driver = Driver(Rpc(url))
    w3 = Web3()
    accounts = dev_accounts(10)
    deployer = Sender(accounts[0])
    members = [Sender(a) for a in accounts[1:5]]
    payers = [Sender(a) for a in accounts[5:10]]

    founding = w3.codec.encode(
        ["uint8[]", "address[]", "uint8", "uint64"], [[31, 32, 33, 34], [m.account.address for m in members], 3, 604800]
    )
    consortium = orjson.loads((ARTIFACTS / "Consortium.json").read_bytes())
    lists_artifact = orjson.loads((ARTIFACTS / "CreditLists.json").read_bytes())
    consortium_address = create_address(deployer.account.address, 0)
    lists_address = create_address(deployer.account.address, 1)
    emitter_address = create_address(deployer.account.address, 2)
    lists_code = bytes.fromhex(lists_artifact["bytecode"][2:]) + w3.codec.encode(["address"], [consortium_address])
    deploys = [
        deployer.sign(to=None, data=bytes.fromhex(consortium["bytecode"][2:]) + founding, gas=5_000_000),
        deployer.sign(to=None, data=lists_code, gas=5_000_000),
        deployer.sign(to=None, data=EMITTER_INIT, gas=200_000),
    ]
    driver.run(deploys, [deployer])
    lists = w3.eth.contract(address=lists_address, abi=lists_artifact["abi"])

    def publish(member: Sender, count: int, tag: str, gas: int) -> str:
        data = bytes.fromhex(lists.functions.publishBatch(1, entries(count, tag))._encode_transaction_data()[2:])
        return member.sign(to=lists_address, data=data, gas=gas)

    def emit(sender: Sender, logs: int) -> str:
        return sender.sign(to=emitter_address, data=logs.to_bytes(32, "big"), gas=30_000 + 1_500 * logs)

    results: dict[str, dict[str, float]] = {}
    raws = [payers[i % len(payers)].sign(to=accounts[0].address, value=1, gas=21_000) for i in range(args.transfers)]
    results["transfers"] = timed(driver, raws, payers)
    print(f"  transfers: {results['transfers']}", flush=True)

    probe_entries = 100
    probe = driver.rpc.call("eth_estimateGas", {"from": members[0].account.address, "to": lists_address,
                                                "data": lists.functions.publishBatch(1, entries(probe_entries, "probe"))
                                                ._encode_transaction_data()})  # fmt: skip
    heavy_entries = probe_entries * 3_000_000 // int(probe, 16)
    raws = [publish(members[i % 4], heavy_entries, f"heavy-{i}", 3_600_000) for i in range(args.heavy)]
    results["~3M gas calls"] = {**timed(driver, raws, members), "entries/tx": heavy_entries}
    print(f"  ~3M gas calls: {results['~3M gas calls']}", flush=True)

    head = driver.rpc.head()
    began, made, first_history = time.perf_counter(), 0, head
    history_senders = [*payers, *members]
    while head < args.blocks:
        raws = [
            emit(history_senders[(made + i) % len(history_senders)], args.logs_per_tx)
            for i in range(args.txs_per_block)
        ]
        made += len(raws)
        driver.rounds.append(Round(raws))
        play(driver.rpc, driver.rounds[-1])
        head = driver.rpc.head()
        if made % 2000 < args.txs_per_block:
            print(f"  history: {head} blocks, {(head - first_history) / (time.perf_counter() - began):.1f} blocks/s",
                  flush=True)  # fmt: skip
    if made:
        seconds = time.perf_counter() - began
        results["history"] = {"txs": made, "blocks": head - first_history, "seconds": seconds, "tx/s": made / seconds,
                              "blocks/s": (head - first_history) / seconds, "logs/tx": args.logs_per_tx}  # fmt: skip
    if args.bulk_transfers:
        lazy = (
            payers[i % len(payers)].sign(to=accounts[0].address, value=1, gas=21_000)
            for i in range(args.bulk_transfers)
        )
        results["bulk transfers"] = timed(driver, lazy, payers)
        print(f"  bulk transfers: {results['bulk transfers']}", flush=True)
    if args.bulk_logs:
        raws = [emit(history_senders[i % len(history_senders)], 1_000) for i in range(args.bulk_logs // 1_000)]
        results["bulk logs"] = {**timed(driver, raws, history_senders), "logs/tx": 1_000}
        print(f"  bulk logs: {results['bulk logs']}", flush=True)
    head = driver.rpc.head()

    log_count, embedded_rate = get_logs_rate(driver.rpc, head)
    ours = {"address": lists_address, "topics": [["0x" + keccak(text_signature("EntryPublished")).hex()]]}
    filtered_count, filtered_rate = get_logs_rate(driver.rpc, head, ours)
    txs_total = deployer.nonce + sum(s.nonce for s in members + payers)
    size = sum(f.stat().st_size for f in data_dir.iterdir() if f.is_file())
    node.stop(signal.SIGTERM)
    url, after_stop = node.start()
    node.stop(signal.SIGKILL)
    url, after_kill = node.start()
    assert Rpc(url).head() == head
    node.stop(signal.SIGTERM)
    from node.embedded import EmbeddedLedger

    began = time.perf_counter()
    ledger = EmbeddedLedger(data_dir, max_logs=100_000_000)
    ledger.start()
    in_process = time.perf_counter() - began
    ledger.stop()

    print(f"\nchain: {head} blocks, {txs_total} transactions, {log_count} logs; ledger file {size / 1e6:.0f} MB")
    for name, figures in results.items():
        print(
            f"{name:>16}: "
            + ", ".join(f"{k} {v:,.1f}" if isinstance(v, float) else f"{k} {v}" for k, v in figures.items())
        )
    print(
        f"start-up after SIGTERM {after_stop:.2f} s, after SIGKILL {after_kill:.2f} s (process start to first "
        f"answer, Python imports included); EmbeddedLedger.start() in-process {in_process * 1000:.0f} ms"
    )
    print(
        f"eth_getLogs 0..{head}: {log_count} logs at {embedded_rate:,.0f} logs/s; "
        f"EntryPublished of CreditLists only: {filtered_count} logs at {filtered_rate:,.0f} logs/s"
    )
    if not args.no_anvil:
        with anvil() as anvil_url:
            replay = Rpc(anvil_url)
            began = time.perf_counter()
            for chunk in driver.rounds:
                for start in range(0, len(chunk.raws), ANVIL_ROUND):
                    play(replay, Round(chunk.raws[start : start + ANVIL_ROUND]))
            replay_seconds = time.perf_counter() - began
            anvil_head = replay.head()
            anvil_count, anvil_rate = get_logs_rate(replay, anvil_head)
            anvil_filtered, anvil_filtered_rate = get_logs_rate(replay, anvil_head, ours)
        print(f"anvil: replayed {txs_total} transactions in {replay_seconds:.1f} s ({anvil_head} blocks); "
              f"eth_getLogs {anvil_count} logs at {anvil_rate:,.0f} logs/s; "
              f"EntryPublished only {anvil_filtered} logs at {anvil_filtered_rate:,.0f} logs/s")  # fmt: skip
        if (anvil_count, anvil_filtered) != (log_count, filtered_count):
            print(
                f"WARNING: log counts differ: embedded {log_count}/{filtered_count}, "
                f"anvil {anvil_count}/{anvil_filtered}"
            )
        print(
            f"embedded / anvil eth_getLogs rate: whole history {embedded_rate / anvil_rate:.2f}, "
            f"filtered {filtered_rate / anvil_filtered_rate:.2f}"
        )
    if not args.keep:
        shutil.rmtree(data_dir, ignore_errors=True)


def text_signature(event: str) -> bytes:
    return {"EntryPublished": b"EntryPublished(bytes32,bytes32,uint8,uint8,uint16,bytes32,uint40,uint40)"}[event]


if __name__ == "__main__":
    os.environ.setdefault("ETH_HASH_BACKEND", "pysha3")  # as `yrdx node` does
    main()
