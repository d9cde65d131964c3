"""Keeping several signed transactions of one signer in flight at once.

Engines mine everything pending into the next block, so throughput comes from sending the next
batch before the previous one is mined. Transactions are signed with consecutive nonces in
submission order and their receipts are collected in that order.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Generic, TypeVar

from node.client import LedgerClient, Receipt, SignedTx

T = TypeVar("T")


@dataclass(frozen=True)
class Done(Generic[T]):
    tag: T
    tx: SignedTx
    receipt: Receipt


class TxPipeline(Generic[T]):
    """Sends calls with up to ``depth`` unmined transactions outstanding.

    ``send`` returns the calls that completed to make room (oldest first); ``drain`` waits for
    the rest. A reverted transaction raises from ``send``/``drain`` with its decoded error.
    ``tag`` is whatever the caller needs to match a receipt back to its work.
    """

    def __init__(self, client: LedgerClient, *, depth: int = 4, timeout: float = 300.0) -> None:
        self.client = client
        self.depth = depth
        self.timeout = timeout
        self._inflight: deque[tuple[T, SignedTx]] = deque()

    def send(self, *, to: str, data: bytes, gas: int, tag: T) -> list[Done[T]]:
        return self.send_signed(self.client.sign(to=to, data=data, gas=gas), tag=tag)

    def send_signed(self, tx: SignedTx, *, tag: T) -> list[Done[T]]:
        """Like ``send`` for a transaction signed (and journaled) by the caller."""
        self.client.submit(tx)
        self._inflight.append((tag, tx))
        done = []
        while len(self._inflight) > self.depth:
            done.append(self._complete_oldest())
        return done

    def _complete_oldest(self) -> Done[T]:
        tag, tx = self._inflight.popleft()
        return Done(tag, tx, self.client.wait(tx, timeout=self.timeout))

    def drain(self) -> Iterator[Done[T]]:
        while self._inflight:
            yield self._complete_oldest()

    def __len__(self) -> int:
        return len(self._inflight)
