"""Publishing the outbox to the ledger in batches, exactly once.

A batch is journaled — its signed transaction and the claim of its outbox operations written
in one store transaction — before it is sent. After a crash, ``recover`` re-sends each
journaled transaction that is not mined yet (same bytes, same nonce, same hash), and finishes
the ones that were; so an operation reaches the ledger once whatever moment the process died
at. A transaction whose nonce was taken by another one can never be mined: its operations go
back to the outbox and are batched again.

When the ledger refuses a batch, the decoded error names the culprit entry; that operation
fails for good (reported), the others are batched again. A batch that went ahead of an earlier
operation on one of its entries — one whose transaction lost its nonce to another process
signing for the province and goes out again later, or one mined in the same block, which the
replay that names the culprit cannot see — was only early: it is batched again as a whole.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import threading
from collections import deque
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import NamedTuple

import orjson
from eth_account.typed_transactions.typed_transaction import TypedTransaction
from hexbytes import HexBytes

from adapters.core.canonical import chain_valid_from, chain_valid_until
from adapters.store.errors import StoreCorrupt
from adapters.store.rows import Batch, OutboxOp
from adapters.store.store import Store
from node.calls import AMEND_GAS, PUBLISH_GAS, RECOGNISE_GAS, RESULTS_GAS, STATUS_GAS, GasModel, encode_call
from node.client import LedgerClient, SignedTx
from node.deploy import Deployment
from node.errors import ContractRevert, TransactionFailed

log = logging.getLogger(__name__)

#: op → (contract, function, gas model)
CALLS: dict[str, tuple[str, str, GasModel]] = {
    "publish": ("CreditLists", "publishBatch", PUBLISH_GAS),
    "amend": ("CreditLists", "amendBatch", AMEND_GAS),
    "status": ("CreditLists", "changeStatusBatch", STATUS_GAS),
    "results": ("Evaluations", "publishResults", RESULTS_GAS),
    "revoke": ("Evaluations", "revokeResults", STATUS_GAS),
    "recognise": ("Evaluations", "recognise", RECOGNISE_GAS),
}


FEED_LIMIT = 20_000  # operations the feed holds at most; when the producer is further ahead, the outbox is read


def _b32(hex_str: str) -> bytes:
    return bytes.fromhex(hex_str[2:])


def _local_id(local_id: str) -> bytes:
    return local_id.encode("ascii").ljust(32, b"\0")


def _validity(o: OutboxOp) -> tuple[int, int]:
    """validFrom and validUntil of the entry version ``o`` writes: from that version's record,
    since the record's row already holds those of a later version when one was stored before
    this operation was sent."""
    if o.valid_from is not None and o.valid_until is not None:
        return o.valid_from, o.valid_until
    if o.content is None:
        return o.record.chain_valid_from, o.record.chain_valid_until
    doc = orjson.loads(o.content)
    until = doc["valid_until"]
    return (
        chain_valid_from(dt.date.fromisoformat(doc["valid_from"])),
        chain_valid_until(None if until is None else dt.date.fromisoformat(until)),
    )


def call_args(op: str, ops: list[OutboxOp]) -> list[object]:
    """The arguments of the batch call for ``ops`` (all of kind ``op``)."""
    if op == "publish":
        return [
            ops[0].record.tag_key_version,
            [
                (
                    _local_id(o.record.local_id),
                    o.record.list_type,
                    o.record.domain,
                    _b32(o.record.subject_tag),
                    _b32(o.commitment),
                    *_validity(o),
                )
                for o in ops
            ],
        ]
    if op == "amend":
        return [[(_b32(o.record.record_id), _b32(o.commitment), *_validity(o)) for o in ops]]
    if op == "status":
        return [[(_b32(o.record.record_id), o.target_status) for o in ops]]
    if op == "results":
        return [
            [
                (
                    _local_id(o.record.local_id),
                    o.record.domain,
                    o.record.scheme_id,
                    o.record.grade,
                    _b32(o.record.subject_tag),
                    _b32(o.commitment),
                    o.record.chain_valid_from,
                    o.record.chain_valid_until,
                )
                for o in ops
            ]
        ]
    return [[_b32(o.record.record_id) for o in ops]]  # revoke, recognise


class Refused(NamedTuple):
    """An outbox operation the ledger refused for good, and why."""

    op_id: int
    op: str
    record_id: str
    reason: str


@dataclass
class PublishStats:
    batches: int = 0
    ops: dict[str, int] = field(default_factory=dict)
    refused: list[Refused] = field(default_factory=list)  # operations the ledger refused for good
    gas_used: int = 0

    def add(self, op: str, n: int, gas: int) -> None:
        self.batches += 1
        self.ops[op] = self.ops.get(op, 0) + n
        self.gas_used += gas


class Feed:
    """Operations a producer has just committed to the outbox, handed straight to the
    publishing thread so that it need not read them back from the store.

    The store stays the record: the publisher takes from the feed only while it knows of
    nothing pending there that the feed lacks. It reads the outbox instead at first (earlier
    runs may have left operations), after operations went back to it (a failed batch), and
    after the feed overflowed, until one read finds everything pending.
    """

    def __init__(self, limit: int) -> None:
        self.wake = threading.Event()
        self.overflows = 0  # times the feed was full and emptied
        self._limit = limit
        self._lock = threading.Lock()
        self._ops: deque[OutboxOp] = deque()

    def committed(self, ops: Sequence[OutboxOp]) -> None:
        """Hand over operations just committed to the outbox, in id order (ids above any
        handed over before)."""
        with self._lock:
            if len(self._ops) + len(ops) > self._limit:
                self._ops.clear()
                self.overflows += 1
            else:
                self._ops.extend(ops)
        self.wake.set()

    def take(self, limit: int, *, after: int) -> list[OutboxOp]:
        """Up to ``limit`` operations with ids above ``after``; the older ones are dropped."""
        with self._lock:
            ops = self._ops
            while ops and ops[0].id <= after:
                ops.popleft()
            return [ops.popleft() for _ in range(min(limit, len(ops)))]


class Publisher:
    """Drains one province store's outbox to the ledger.

    ``pump`` sends whatever is pending (keeping up to ``depth`` transactions in flight and
    completing the oldest as needed); ``drain`` waits for everything sent. Each holds the
    store's publisher lock while it works (``turn``), so publishers in other processes take
    turns; should two publish at once all the same, the store's claim keeps them from sending
    the same operation twice.
    """

    def __init__(
        self,
        *,
        store: Store,
        client: LedgerClient,
        deployment: Deployment,
        batch_size: int = 500,
        depth: int = 4,
    ) -> None:
        self.store = store
        self.client = client
        self.deployment = deployment
        self.batch_size = batch_size
        self.depth = depth
        self.stats = PublishStats()
        # journaled batches sent and not completed yet: the batch, the transaction as signed
        # here (None after a restart) and its number of operations (None: read from the store)
        self._inflight: deque[tuple[Batch, SignedTx | None, int | None]] = deque()
        # the producer's feed while ``background`` runs; whether it holds all that is pending
        # (as of its ``overflows`` count then); the highest outbox id taken so far
        self._feed: Feed | None = None
        self._feed_whole = False
        self._feed_overflows = 0
        self._taken = 0

    # -- turns --------------------------------------------------------------------------------

    @contextlib.contextmanager
    def turn(self, *, wait: float | None = None) -> Iterator[None]:
        """Hold the store's publisher lock for a block (``Store.publishing``; ``wait``: seconds
        before ``StoreBusy``). Taking it afresh has the nonce counter catch up with the node:
        another process may have signed for the province meanwhile, and a nonce it used would
        have this one's next batch refused. (Nonces that other threads of this process reserved
        and have not sent yet, such as the gateway's anchoring, are kept.)"""
        with self.store.publishing(wait=wait) as taken:
            if taken:
                self.client.nonces.catch_up()
            yield

    # -- recovery ---------------------------------------------------------------------------

    def recover(self) -> int:
        """Finish or re-send every journaled batch left by an earlier run; returns how many."""
        with self.turn():
            return self._recover()

    def _recover(self) -> int:
        batches = self.store.open_batches()
        for batch in batches:
            receipt = self.client.receipt(batch.tx_hash)
            if receipt is None:
                try:
                    self.client.submit(_signed(batch))
                except TransactionFailed as exc:
                    # its nonce went to another transaction: this one can never be mined
                    self._returned(batch.id, error=f"replaced: {exc}", failed_ops={})
                    continue
            self._inflight.append((batch, None, None))
        self.client.nonces.resync()
        self._complete(until=0)
        return len(batches)

    # -- sending --------------------------------------------------------------------------

    def pump(self) -> None:
        """Batch and send the pending outbox operations."""
        with self.turn():
            self._pump()

    def _pump(self) -> None:
        while True:
            ops = self._pending(self.batch_size * 4)
            if not ops:
                return
            for group in _groups(ops, self.batch_size):
                self._send(group)

    def _pending(self, limit: int) -> list[OutboxOp]:
        """The next pending operations in id order: from the feed while it holds everything
        pending, else from the outbox."""
        feed = self._feed
        if feed is not None and self._feed_whole and feed.overflows == self._feed_overflows:
            ops = feed.take(limit, after=self._taken)
        else:
            overflows = feed.overflows if feed is not None else 0
            ops = self.store.pending_ops(limit)
            # a read that found less than it asked for found everything committed before it;
            # whatever is committed after has higher ids and comes through the feed
            self._feed_whole = len(ops) < limit
            self._feed_overflows = overflows
        if ops:
            self._taken = max(self._taken, ops[-1].id)
        return ops

    def _returned(self, batch_id: int, *, error: str, failed_ops: dict[int, str]) -> None:
        """``Store.fail_batch``: the batch's other operations are pending again, which the
        feed does not know."""
        self.store.fail_batch(batch_id, error=error, failed_ops=failed_ops)
        self._feed_whole = False

    def _send(self, ops: list[OutboxOp]) -> None:
        op = ops[0].op
        contract, function, gas = CALLS[op]
        to = self.deployment.address(contract)
        data = encode_call(contract, function, *call_args(op, ops))
        tx = self.client.sign(to=to, data=data, gas=gas.limit(len(ops)))
        try:
            batch_id = self.store.journal_batch(
                op=op,
                op_ids=[o.id for o in ops],
                tx={
                    "sender": tx.sender,
                    "nonce": tx.nonce,
                    "tx_hash": tx.tx_hash,
                    "raw_tx": tx.raw,
                    "to_address": to,
                    "gas": tx.gas,
                },
            )
        except StoreCorrupt as exc:
            # another publisher of this province claimed the operations first: this transaction
            # was never sent, so its nonce is free again
            log.warning("batch of %d %s operations left to another publisher: %s", len(ops), op, exc)
            self.client.nonces.resync()
            self._feed_whole = False
            return
        batch = Batch(batch_id, op, tx.sender, tx.nonce, tx.tx_hash, tx.raw, to, tx.gas, "signed")
        try:
            self.client.submit(tx)
        except TransactionFailed as exc:
            self._returned(batch_id, error=str(exc), failed_ops={})
            return
        self._inflight.append((batch, tx, len(ops)))
        self._complete(until=self.depth)

    @contextlib.contextmanager
    def background(self) -> Iterator[Feed]:
        """Publish on a thread of its own while the caller keeps producing outbox operations.

        Yields the feed to hand each store write's operations to (``Feed.committed``); on exit
        everything pending in the outbox is drained (also when the caller failed) and an error
        of the publishing thread is raised. The store's publisher lock is held throughout.
        """
        feed = Feed(limit=max(FEED_LIMIT, self.batch_size * 8))
        wake = feed.wake
        stopping = threading.Event()
        errors: list[BaseException] = []
        self._feed, self._feed_whole = feed, False

        def loop() -> None:
            try:
                while not stopping.is_set():
                    wake.wait(0.05)
                    wake.clear()
                    self.pump()
                self._feed = None  # the outbox, not the feed, says what is left
                self.drain()
            except BaseException as exc:  # noqa: BLE001 - handed to the caller's thread
                errors.append(exc)
            finally:
                self._feed = None

        with self.turn():
            thread = threading.Thread(target=loop, name="publisher", daemon=True)
            thread.start()
            try:
                yield feed
            finally:
                stopping.set()
                wake.set()
                thread.join()
        if errors:
            raise errors[0]

    def drain(self) -> PublishStats:
        """Wait for every sent batch, publishing again whatever a failure sent back."""
        with self.turn():
            while True:
                self._complete(until=0)
                if not self.store.has_pending():
                    return self.stats
                self._pump()

    def _complete(self, *, until: int) -> None:
        while len(self._inflight) > until:
            batch, tx, count = self._inflight.popleft()
            try:
                receipt = self.client.wait(tx or _signed(batch), timeout=600)
            except ContractRevert as exc:
                self._refused(batch, self.store.batch_ops(batch.id), exc)
                continue
            except TransactionFailed as exc:
                log.warning("batch %s (%s) failed: %s", batch.id, batch.tx_hash, exc)
                self._returned(batch.id, error=str(exc), failed_ops={})
                continue
            self.store.complete_batch(batch.id, block_number=receipt.block_number, gas_used=receipt.gas_used)
            self.stats.add(batch.op, len(self.store.batch_ops(batch.id)) if count is None else count, receipt.gas_used)

    def _refused(self, batch: Batch, ops: list[tuple[int, str, str, int, int | None]], exc: ContractRevert) -> None:
        culprit = _culprit(ops, exc)
        reason = f"the ledger refused it: {exc}"
        if culprit is None:
            # no entry named (e.g. a stale tag key version): fail the batch, keep its operations
            log.warning("batch %s refused without a culprit: %s", batch.id, exc)
            self._returned(batch.id, error=str(exc), failed_ops={})
            if exc.name == "CreditListsStaleTagKeyVersion":
                raise exc
            return
        mined = self.client.receipt(batch.tx_hash)
        if self.store.sent_early(batch.id, block=mined.block_number if mined else None):
            # it went ahead of an earlier operation on one of its records (whose transaction lost
            # its nonce to another process and goes out again), or came in the block that carried
            # it, where the replay that named the culprit cannot see: early, not wrong
            log.info("batch %s was sent ahead of an earlier operation on its records: sending it again", batch.id)
            self._returned(batch.id, error=str(exc), failed_ops={})
            return
        self._returned(batch.id, error=str(exc), failed_ops={culprit.op_id: reason})
        self.stats.refused.append(culprit._replace(reason=reason))


def _culprit(ops: list[tuple[int, str, str, int, int | None]], exc: ContractRevert) -> Refused | None:
    """The operation the revert names (its reason left to the caller)."""
    named = {
        v.hex() if isinstance(v, bytes) else str(v).lower().removeprefix("0x")
        for k, v in exc.args_by_name.items()
        if k in ("entryId", "resultId", "localId")
    }
    for op_id, op, rid, _version, _target in ops:
        if rid.removeprefix("0x") in named:
            return Refused(op_id, op, rid, "")
    return None


def _groups(ops: list[OutboxOp], size: int) -> list[list[OutboxOp]]:
    """Consecutive operations of the same kind (and tag key version), at most ``size`` each."""
    groups: list[list[OutboxOp]] = []
    for o in ops:
        key = (o.op, o.record.tag_key_version if o.op == "publish" else 0)
        last = groups[-1] if groups else None
        if (
            last
            and len(last) < size
            and (last[0].op, last[0].record.tag_key_version if o.op == "publish" else 0) == key
        ):
            last.append(o)
        else:
            groups.append([o])
    return groups


def _signed(batch: Batch) -> SignedTx:
    """The journaled transaction as the client sends and waits for it."""
    data = TypedTransaction.from_bytes(HexBytes(batch.raw_tx)).as_dict()["data"]
    return SignedTx(
        sender=batch.sender,
        nonce=batch.nonce,
        tx_hash=batch.tx_hash,
        raw=batch.raw_tx,
        to=batch.to_address,
        data=bytes(data),
        gas=batch.gas,
    )
