"""Transactions waiting to be mined: per-sender nonce queues, in arrival order across senders."""

from __future__ import annotations

import heapq
import itertools
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from eth.abc import SignedTransactionAPI

from node.errors import JsonRpcError

TX_REFUSED = -32000
_REPLACEMENT_BUMP_PERCENT = 10  # geth's default price bump for replacing a pending transaction


@dataclass(frozen=True)
class PendingTx:
    tx: SignedTransactionAPI
    sender: bytes
    arrival: int


class TxPool:
    """Pending transactions; thread-safe.

    A sender's transactions become ready in nonce order, starting at its committed nonce; a
    transaction after a nonce gap waits until the gap is filled. A mined transaction leaves
    the pool only once its block is committed, so the pending nonce never goes backwards.
    """

    def __init__(self, *, capacity: int = 100_000) -> None:
        self._capacity = capacity
        self._lock = threading.Lock()
        self._by_sender: dict[bytes, dict[int, PendingTx]] = {}
        self._by_hash: dict[bytes, PendingTx] = {}
        self._committed_nonce: dict[bytes, int] = {}
        self._arrivals = itertools.count()

    def add(self, tx: SignedTransactionAPI, *, committed_nonce: Callable[[], int]) -> bool:
        """Queue ``tx``; return whether it can go into the next block.

        ``committed_nonce`` reads the sender's nonce from the head state; it is asked only the
        first time a sender is seen. Raises :class:`JsonRpcError` for a used nonce, an
        underpriced replacement or a full pool.
        """
        sender = tx.sender
        with self._lock:
            if tx.hash in self._by_hash:
                return self._is_ready(sender)
            next_nonce = self._known_nonce(sender, committed_nonce)
            if tx.nonce < next_nonce:
                raise JsonRpcError(TX_REFUSED, f"nonce too low: next nonce {next_nonce}, tx nonce {tx.nonce}")
            queue = self._by_sender.setdefault(sender, {})
            replaced = queue.get(tx.nonce)
            if replaced is not None:
                _check_replacement(replaced.tx, tx)
                del self._by_hash[replaced.tx.hash]
            elif len(self._by_hash) >= self._capacity:
                raise JsonRpcError(TX_REFUSED, f"txpool is full ({self._capacity} transactions)")
            entry = PendingTx(tx, sender, next(self._arrivals))
            queue[tx.nonce] = entry
            self._by_hash[tx.hash] = entry
            return self._is_ready(sender)

    def get(self, tx_hash: bytes) -> PendingTx | None:
        with self._lock:
            return self._by_hash.get(tx_hash)

    def pending_nonce(self, sender: bytes, *, committed_nonce: Callable[[], int]) -> int:
        """The committed nonce plus the sender's gap-free run of pending transactions."""
        with self._lock:
            nonce = self._known_nonce(sender, committed_nonce)
            queue = self._by_sender.get(sender, {})
            while nonce in queue:
                nonce += 1
            return nonce

    def has_ready(self) -> bool:
        with self._lock:
            return any(self._is_ready(sender) for sender in self._by_sender)

    def __len__(self) -> int:
        with self._lock:
            return len(self._by_hash)

    def candidates(self, gas_budget: int) -> list[SignedTransactionAPI]:
        """Ready transactions for the next block: nonce order per sender, else arrival order.

        Stops once the listed gas limits add up to ``gas_budget``.
        """
        with self._lock:
            heads: list[tuple[int, bytes, int]] = []
            for sender, queue in self._by_sender.items():
                nonce = self._committed_nonce.get(sender)
                if nonce is not None and nonce in queue:
                    heads.append((queue[nonce].arrival, sender, nonce))
            heapq.heapify(heads)
            chosen: list[SignedTransactionAPI] = []
            gas = 0
            while heads and gas < gas_budget:
                _, sender, nonce = heapq.heappop(heads)
                queue = self._by_sender[sender]
                tx = queue[nonce].tx
                chosen.append(tx)
                gas += tx.gas
                if nonce + 1 in queue:
                    heapq.heappush(heads, (queue[nonce + 1].arrival, sender, nonce + 1))
            return chosen

    def block_committed(
        self, included: Iterable[SignedTransactionAPI], dropped: Iterable[SignedTransactionAPI]
    ) -> None:
        """Forget what a committed block mined, and what it found can never be mined."""
        with self._lock:
            touched: set[bytes] = set()
            for tx in included:
                sender = tx.sender
                known = self._committed_nonce.get(sender, 0)
                self._committed_nonce[sender] = max(known, tx.nonce + 1)
                touched.add(sender)
            for tx in dropped:
                entry = self._by_hash.get(tx.hash)
                if entry is not None:
                    self._remove(entry)
            for account in touched:
                queue = self._by_sender.get(account, {})
                floor = self._committed_nonce[account]
                for nonce in [n for n in queue if n < floor]:
                    self._remove(queue[nonce])

    def _remove(self, entry: PendingTx) -> None:
        del self._by_hash[entry.tx.hash]
        queue = self._by_sender[entry.sender]
        del queue[entry.tx.nonce]
        if not queue:
            del self._by_sender[entry.sender]

    def _known_nonce(self, sender: bytes, committed_nonce: Callable[[], int]) -> int:
        nonce = self._committed_nonce.get(sender)
        if nonce is None:
            nonce = committed_nonce()
            self._committed_nonce[sender] = nonce
        return nonce

    def _is_ready(self, sender: bytes) -> bool:
        nonce = self._committed_nonce.get(sender)
        return nonce is not None and nonce in self._by_sender.get(sender, {})


def _check_replacement(old: SignedTransactionAPI, new: SignedTransactionAPI) -> None:
    bump = 100 + _REPLACEMENT_BUMP_PERCENT
    if (
        new.max_fee_per_gas * 100 < old.max_fee_per_gas * bump
        or new.max_priority_fee_per_gas * 100 < old.max_priority_fee_per_gas * bump
    ):
        raise JsonRpcError(TX_REFUSED, "replacement transaction underpriced")
