"""``yrdx bench ledger``: list entries published per second in batches, gas per entry for publish
and status change, and the raw ceiling of the same batch calls.

Each figure is measured on a fresh engine. The pipelined figure goes through the ledger client
as the adapters use it: arguments built and ABI-encoded per batch, transactions signed with
managed nonces, several in flight, receipts awaited in order. The raw ceiling sends the same
calls pre-encoded and pre-signed, back to back, and waits for the last receipt.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import Any

import orjson

from node.calls import PUBLISH_GAS, STATUS_GAS, encode_call
from node.client import LedgerClient, SignedTx
from node.deploy import Deployment, deploy
from node.dev_accounts import dev_accounts
from node.engines import Anvil
from node.http import rpc_session
from node.pipeline import TxPipeline
from yrdx.bench.machine import BusyMeter

ZJ = 33
BLACK = 2
DISPUTED = 2


@dataclass(frozen=True)
class LedgerFigures:
    entries: int
    batch: int
    entries_per_s: float
    raw_entries_per_s: float
    gas_per_entry_publish: float
    gas_per_entry_status: float

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


@contextmanager
def engine(name: str, url: str | None = None) -> Iterator[str]:
    """Start a fresh engine ("embedded" or "anvil") for one benchmark run; with ``url``, use
    that endpoint as it is."""
    if url is not None:
        yield url
    elif name == "anvil":
        with Anvil() as anvil:
            yield anvil.url
    else:
        from node.embedded import EmbeddedLedger

        with TemporaryDirectory(prefix="yrdx-bench-") as tmp, EmbeddedLedger(Path(tmp)) as ledger:
            yield ledger.url


def fresh_deployment(url: str) -> tuple[Deployment, LedgerClient]:
    accounts = dev_accounts(5)
    deployer = LedgerClient(rpc_url=url, account=accounts[0], poll_interval=0.005)
    members = {code: accounts[i + 1].address for i, code in enumerate((31, 32, 33, 34))}
    deployment = deploy(deployer, founding_members=members)
    return deployment, LedgerClient(rpc_url=url, account=accounts[3], poll_interval=0.005)


def _entries(count: int, prefix: str) -> list[tuple[bytes, int, int, bytes, bytes, int, int]]:
    prefix = f"{prefix}-{os.urandom(4).hex()}"
    return [
        (f"{prefix}-{i:09d}".encode().ljust(32, b"\0"), BLACK, 3, os.urandom(32), os.urandom(32), 1_767_196_800, 0)
        for i in range(count)
    ]


def _pipelined(client: LedgerClient, lists: str, count: int, batch: int, depth: int) -> tuple[float, list[int]]:
    pipeline: TxPipeline[int] = TxPipeline(client, depth=depth)
    gas: list[int] = []
    start = time.perf_counter()
    for offset in range(0, count, batch):
        n = min(batch, count - offset)
        data = encode_call("CreditLists", "publishBatch", 1, _entries(n, f"P{offset}"))
        for done in pipeline.send(to=lists, data=data, gas=PUBLISH_GAS.limit(n), tag=n):
            gas.append(done.receipt.gas_used // done.tag)
    for done in pipeline.drain():
        gas.append(done.receipt.gas_used // done.tag)
    return count / (time.perf_counter() - start), gas


@dataclass(frozen=True)
class RawRun:
    """The raw ceiling: entries/s, and the busy CPU time of the whole machine per entry while
    it ran (the engine's included; None where the machine does not say)."""

    entries_per_s: float
    machine_cpu_us_per_entry: float | None


def raw_rate(client: LedgerClient, url: str, lists: str, count: int, batch: int) -> RawRun:
    signed: list[SignedTx] = []
    for offset in range(0, count, batch):
        n = min(batch, count - offset)
        data = encode_call("CreditLists", "publishBatch", 1, _entries(n, f"R{offset}"))
        signed.append(client.sign(to=lists, data=data, gas=PUBLISH_GAS.limit(n)))
    bodies = [
        orjson.dumps({"jsonrpc": "2.0", "id": i, "method": "eth_sendRawTransaction", "params": ["0x" + tx.raw.hex()]})
        for i, tx in enumerate(signed)
    ]
    session = rpc_session(url)
    headers = {"Content-Type": "application/json"}
    busy = BusyMeter()
    start = time.perf_counter()
    for body in bodies:
        answer = orjson.loads(session.post(url, data=body, headers=headers, timeout=60).content)
        if "error" in answer:
            raise RuntimeError(f"raw send refused: {answer['error']}")
    client.wait(signed[-1], timeout=600)
    elapsed = time.perf_counter() - start
    cpu = busy.us_per(count)
    for tx in signed:  # every one mined and successful, checked outside the timing
        client.wait(tx)
    return RawRun(count / elapsed, cpu)


def _status_gas(client: LedgerClient, lists: str, batch: int) -> float:
    entries = _entries(batch, "S")
    client.wait(_send(client, lists, encode_call("CreditLists", "publishBatch", 1, entries), PUBLISH_GAS.limit(batch)))
    contract = client.contract("CreditLists", lists)
    ids = [client.call(contract.functions.entryIdOf(ZJ, e[0])) for e in entries]
    data = encode_call("CreditLists", "changeStatusBatch", [(i, DISPUTED) for i in ids])
    receipt = client.wait(_send(client, lists, data, STATUS_GAS.limit(batch)))
    return receipt.gas_used / batch


def _send(client: LedgerClient, to: str, data: bytes, gas: int) -> SignedTx:
    tx = client.sign(to=to, data=data, gas=gas)
    client.submit(tx)
    return tx


def measure(name: str, *, entries: int, batch: int = 100, depth: int = 8, url: str | None = None) -> LedgerFigures:
    """Run the ledger benchmark on engine ``name``.

    The pipelined run and the raw ceiling each get a fresh engine of their own (or, with
    ``url``, a fresh deployment on that endpoint), so that neither meets the state the other
    left: anvil's cost per block grows with everything stored so far.
    """
    with engine(name, url) as rpc:
        deployment, client = fresh_deployment(rpc)
        lists = deployment.address("CreditLists")
        pipelined, gas = _pipelined(client, lists, entries, batch, depth)
        status_gas = _status_gas(client, lists, batch)
    with engine(name, url) as rpc:
        deployment, client = fresh_deployment(rpc)
        raw = raw_rate(client, rpc, deployment.address("CreditLists"), entries, batch).entries_per_s
    return LedgerFigures(
        entries=entries,
        batch=batch,
        entries_per_s=round(pipelined, 1),
        raw_entries_per_s=round(raw, 1),
        gas_per_entry_publish=round(sum(gas) / len(gas), 1),
        gas_per_entry_status=round(status_gas, 1),
    )
