"""Who sent each write: the transaction's ``from`` against the signer the replayed consortium
had for the province the events name, at that point of the ledger.

The contracts derive the province of every write from ``memberOf(msg.sender)``, so an event's
province field is what the contract assigned; checking the sender closes the loop without
trusting the contract: a write is only ever made by the current signer of its province. One
``eth_getTransactionByHash`` per transaction (not per event), sent in JSON-RPC batches.
"""

from __future__ import annotations

import threading
from typing import Any

import orjson
import requests

from adapters.audit.findings import Findings
from adapters.audit.state import Consortium
from adapters.core.provinces import Province
from node.errors import LedgerError, RpcUnavailable
from node.http import rpc_session


def province_name(code: int) -> str:
    try:
        return Province.from_code(code).value
    except ValueError:
        return str(code)


class SenderCheck:
    """Collects (transaction, province, position) as the replay goes and checks them in batches."""

    def __init__(self, *, rpc_url: str, consortium: Consortium, findings: Findings, batch: int = 256) -> None:
        self.rpc_url = rpc_url
        self.consortium = consortium
        self.findings = findings
        self.batch = batch
        self.checked = 0
        self._pending: list[tuple[str, int, int, int]] = []  # tx, code, block, log index
        self._local = threading.local()

    def expect(self, tx: str, code: int, block: int, log_index: int) -> None:
        self._pending.append((tx, code, block, log_index))

    def flush(self) -> None:
        """Fetch the senders of the transactions collected so far and compare them."""
        pending, self._pending = self._pending, []
        for start in range(0, len(pending), self.batch):
            chunk = pending[start : start + self.batch]
            senders = self._senders([tx for tx, _, _, _ in chunk])
            for tx, code, block, log_index in chunk:
                sender = senders.get(tx)
                expected = self.consortium.signer_at(code, (block, log_index))
                self.checked += 1
                if sender is None or sender != expected:
                    self.findings.add(
                        "SENDER_NOT_SIGNER",
                        province_name(code),
                        f"transaction {tx} wrote for {province_name(code)} but was sent by {sender}, "
                        f"the province's signer then being {expected}",
                        tx=tx,
                        block=block,
                        province=code,
                        sender=sender,
                        signer=expected,
                    )

    def _session(self) -> requests.Session:
        session: requests.Session | None = getattr(self._local, "session", None)
        if session is None:
            session = self._local.session = rpc_session(self.rpc_url)
        return session

    def _senders(self, txs: list[str]) -> dict[str, str | None]:
        body = orjson.dumps(
            [
                {"jsonrpc": "2.0", "id": i, "method": "eth_getTransactionByHash", "params": [tx]}
                for i, tx in enumerate(txs)
            ]
        )
        try:
            r = self._session().post(self.rpc_url, data=body, headers={"Content-Type": "application/json"}, timeout=120)
            answers: Any = orjson.loads(r.content)
        except (requests.ConnectionError, requests.Timeout, requests.exceptions.ChunkedEncodingError) as exc:
            raise RpcUnavailable(f"ledger endpoint {self.rpc_url} unreachable for transactions: {exc}") from exc
        except orjson.JSONDecodeError as exc:
            raise LedgerError(f"eth_getTransactionByHash: the endpoint answered no JSON: {exc}") from exc
        if not isinstance(answers, list):
            raise LedgerError(f"eth_getTransactionByHash: expected a batch answer, found {str(answers)[:200]}")
        out: dict[str, str | None] = {}
        for answer in answers:
            tx = txs[int(answer["id"])]
            result = answer.get("result")
            out[tx] = str(result["from"]).lower() if result else None
        return out
