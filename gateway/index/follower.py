"""``IndexFollower``: keeps the ledger index up to date by following the chain's events.

It reads pages of events with ``EventReader.pages`` from the index's persisted cursor to the
head, fetches the times of the blocks that hold them (batched JSON-RPC), and folds each page
into the index in one transaction with the cursor, so a restart resumes where it stopped.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable
from typing import Any

import orjson
import requests

from gateway.index.store import LedgerIndex
from node.deploy import Deployment
from node.errors import LedgerError, RpcUnavailable
from node.events import EventReader
from node.http import rpc_session

log = logging.getLogger(__name__)

_BATCH = 100


class IndexFollower:
    """Follows the ledger into a ``LedgerIndex``, in a thread of its own."""

    def __init__(
        self,
        *,
        index: LedgerIndex,
        reader: EventReader,
        deployment: Deployment,
        poll_interval: float = 1.0,
        timeout: float = 30.0,
    ) -> None:
        self._index = index
        self._reader = reader
        self._deployment = deployment
        self._poll = poll_interval
        self._timeout = timeout
        self._session = rpc_session(reader.rpc_url)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self.last_error: str | None = None

    def catch_up(self) -> int:
        """Index every block up to the current (confirmed) head; returns the cursor block."""
        with self._lock:
            cursor = self._index.cursor
            start = self._deployment.deploy_block if cursor is None else cursor.block + 1
            head = self._reader.head()
            self._index.head = head
            if start > head:
                return cursor.block if cursor is not None else start - 1
            for page in self._reader.pages(start, head):
                blocks = {e.block_number for e in page.events} | {page.to_block}
                times = self._block_times(blocks)
                self._index.apply(page.events, to_block=page.to_block, to_time=times[page.to_block], times=times)
            return head

    def start(self) -> None:
        if self._thread is not None:
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="ledger-index", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        if self._thread is None:
            return
        self._stop.set()
        self._thread.join(timeout=30)
        self._thread = None
        self._session.close()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.catch_up()
                self.last_error = None
            except LedgerError as exc:  # the ledger may be restarting: try again next round
                self.last_error = str(exc)
                log.warning("ledger index not updated: %s", exc)
            except Exception as exc:  # noqa: BLE001 - the follower must survive to retry
                self.last_error = str(exc)
                log.exception("ledger index update failed")
            self._stop.wait(self._poll)

    def _block_times(self, blocks: Iterable[int]) -> dict[int, int]:
        """Timestamps of ``blocks``, by batched ``eth_getBlockByNumber``."""
        wanted = sorted(set(blocks))
        out: dict[int, int] = {}
        for i in range(0, len(wanted), _BATCH):
            chunk = wanted[i : i + _BATCH]
            body = [
                {"jsonrpc": "2.0", "id": n, "method": "eth_getBlockByNumber", "params": [hex(n), False]} for n in chunk
            ]
            for answer in self._post(body):
                result = answer.get("result")
                if not isinstance(result, dict):
                    raise LedgerError(
                        f"eth_getBlockByNumber failed for block {answer.get('id')}: {answer.get('error')}"
                    )
                out[int(answer["id"])] = int(result["timestamp"], 16)
        missing = [n for n in wanted if n not in out]
        if missing:
            raise LedgerError(f"the ledger returned no time for blocks {missing[:5]}")
        return out

    def _post(self, body: list[dict[str, Any]]) -> list[dict[str, Any]]:
        try:
            r = self._session.post(
                self._reader.rpc_url,
                data=orjson.dumps(body),
                headers={"Content-Type": "application/json"},
                timeout=self._timeout,
            )
            answers = orjson.loads(r.content)
        except (requests.ConnectionError, requests.Timeout, requests.exceptions.ChunkedEncodingError) as exc:
            raise RpcUnavailable(f"ledger endpoint {self._reader.rpc_url} unreachable: {exc}") from exc
        except orjson.JSONDecodeError as exc:
            raise LedgerError(f"ledger endpoint {self._reader.rpc_url} answered no JSON: {exc}") from exc
        if not isinstance(answers, list):
            raise LedgerError(f"expected a batch answer from {self._reader.rpc_url}, found {str(answers)[:200]}")
        return answers
