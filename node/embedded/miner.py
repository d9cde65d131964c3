"""The miner thread: the one place that changes the chain (automine, dev clock)."""

from __future__ import annotations

import logging
import threading
from concurrent.futures import Future

import rlp
from eth.abc import BlockHeaderAPI, SignedTransactionAPI

from node.embedded import render
from node.embedded.chain import BlockBuilder
from node.embedded.clock import DevClock
from node.embedded.records import BlockRecord
from node.embedded.store import LedgerStore
from node.embedded.txpool import TxPool
from node.errors import LedgerStoreError

_log = logging.getLogger(__name__)
_GAS_BUDGET_FACTOR = 2  # list up to twice the block gas limit: most transactions use less
_IDLE_RETRY_SECONDS = 0.05


class Miner:
    """Automine: seals a block as soon as transactions are ready, packing all that fit.

    Only the miner thread builds blocks; a block's receipts become visible when its SQLite
    transaction commits. Clock changes go through the same lock, so they are ordered with
    blocks. When a commit fails the miner stops and :attr:`failure` says why.
    """

    def __init__(
        self,
        *,
        store: LedgerStore,
        builder: BlockBuilder,
        pool: TxPool,
        clock: DevClock,
        head: BlockHeaderAPI,
    ) -> None:
        self._store = store
        self._builder = builder
        self._pool = pool
        self._clock = clock
        self._head = head
        self._lock = threading.Lock()
        self._wakeup = threading.Condition()
        self._requests: list[Future[int]] = []
        self._stopping = False
        self._failure: str | None = None
        self._thread = threading.Thread(target=self._run, name="yrdx-miner", daemon=True)

    @property
    def head(self) -> BlockHeaderAPI:
        """The last committed block's header."""
        return self._head

    @property
    def failure(self) -> str | None:
        return self._failure

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        """Finish the block being sealed, then stop."""
        with self._wakeup:
            self._stopping = True
            self._wakeup.notify_all()
        if self._thread.is_alive():
            self._thread.join()

    def wake(self) -> None:
        """New transactions are ready."""
        with self._wakeup:
            self._wakeup.notify_all()

    def mine(self, *, timeout: float = 60.0) -> int:
        """Seal one block now (with whatever is ready) and return its number once committed."""
        future: Future[int] = Future()
        with self._wakeup:
            if self._failure is not None or self._stopping:
                raise LedgerStoreError(self._failure or "the ledger is stopping")
            self._requests.append(future)
            self._wakeup.notify_all()
        return future.result(timeout=timeout)

    def increase_time(self, seconds: int) -> int:
        """``evm_increaseTime``: move the block clock forward; returns the total offset."""
        with self._lock:
            total = self._clock.increase(seconds)
            self._store.set_meta(self._clock.settings())
            return total

    def set_next_timestamp(self, timestamp: int) -> None:
        """``evm_setNextBlockTimestamp``: the next block gets exactly ``timestamp``."""
        with self._lock:
            self._clock.set_next(timestamp, head_timestamp=self._head.timestamp)
            self._store.set_meta(self._clock.settings())

    def _run(self) -> None:
        while True:
            with self._wakeup:
                while not (self._stopping or self._requests or self._pool.has_ready()):
                    self._wakeup.wait()
                if self._stopping:
                    self._fail_requests("the ledger is stopping")
                    return
                requests, self._requests = self._requests, []
            try:
                number, mined = self._seal()
            except Exception as exc:  # a store failure, or a bug: either way stop, and say why
                _log.exception("embedded ledger stopped mining")
                with self._wakeup:
                    self._failure = str(exc)
                    self._requests = requests + self._requests
                    self._fail_requests(str(exc))
                return
            for request in requests:
                request.set_result(number)
            if not requests and not mined:
                # Ready transactions that did not fit (all under the base fee): the empty block
                # lowered the fee; pace the next try instead of spinning.
                with self._wakeup:
                    self._wakeup.wait(timeout=_IDLE_RETRY_SECONDS)

    def _seal(self) -> tuple[int, int]:
        """Build, commit and announce one block; its number and how many transactions it has."""
        with self._lock:
            parent = self._head
            timestamp = self._clock.timestamp_after(parent.timestamp)
            candidates = self._pool.candidates(parent.gas_limit * _GAS_BUDGET_FACTOR)
            try:
                built = self._builder.build(parent, candidates, timestamp=timestamp)
                block_json, txs, logs = render.mined_block(built.block, built.receipts)
            except Exception:
                # A transaction py-evm cannot process must not stop the chain: leave it out.
                _log.exception("could not build block %d; dropping its transactions", parent.block_number + 1)
                self._store.kv.discard()
                self._pool.block_committed((), candidates)
                return parent.block_number, 0
            header = built.block.header
            settings = self._clock.settings_after(timestamp)
            record = BlockRecord(
                number=header.block_number,
                hash=header.hash,
                header=rlp.encode(header),
                json=block_json,
                txs=txs,
                logs=logs,
                meta=settings,
            )
            try:
                self._store.commit_block(record)
            finally:
                self._store.kv.discard()
            self._clock.block_sealed(settings)
            self._head = header
        for tx, reason in built.dropped:
            _log.warning("dropped transaction 0x%s: %s", tx.hash.hex(), reason)
        dropped: list[SignedTransactionAPI] = [tx for tx, _ in built.dropped]
        self._pool.block_committed(built.block.transactions, dropped)
        return int(header.block_number), len(built.block.transactions)

    def _fail_requests(self, reason: str) -> None:
        for request in self._requests:
            if not request.done():
                request.set_exception(LedgerStoreError(reason))
        self._requests = []
