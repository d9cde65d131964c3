"""Anchoring the audit log's checkpoints in the ``AnchorLog`` contract.

The gateway's province opens one stream (``openStream(name)``, stream id
``keccak256(uint8 code, bytes32 name)``) and appends a checkpoint (tree size, root) every
``every_events`` events or ``every_seconds`` seconds, whichever comes first, when the log has
grown. A checkpoint is journaled as pending in the gateway database before its transaction is
signed and re-driven after a restart, so none is lost.

The province key also signs for the adapters' publisher. When another process used the nonce
first, ``LedgerClient.submit`` (or ``wait``) raises ``TransactionFailed``: the nonce counter is
re-read and the checkpoint signed again. A checkpoint that reverts because the stream already
holds its size was anchored by an earlier attempt; the chain's copy is compared with the log.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from eth_utils.crypto import keccak
from sqlalchemy import Connection, Engine, select, update
from web3.contract.contract import ContractFunction

from gateway.audit.check import Checkpoint
from gateway.audit.trail import AuditTrail
from gateway.db import run
from gateway.errors import AuditLogMismatch, ConfigurationError
from gateway.schema import audit_checkpoints
from node.client import LedgerClient, Receipt
from node.deploy import Deployment
from node.errors import ContractRevert, LedgerError, RpcUnavailable, TransactionFailed

log = logging.getLogger(__name__)

DEFAULT_STREAM = "yrdx.gateway.audit"


def stream_name(name: str) -> bytes:
    """A stream name as the contract's ``bytes32``: ASCII, right-padded with zero bytes."""
    raw = name.encode("ascii")
    if not 0 < len(raw) <= 32:
        raise ConfigurationError(f"expected a stream name of 1 to 32 ASCII characters, found {name!r}")
    return raw.ljust(32, b"\x00")


def stream_id(province_code: int, name: bytes) -> bytes:
    """``keccak256(abi.encodePacked(uint8 province, bytes32 name))``, as ``AnchorLog.streamIdOf``."""
    return keccak(bytes([province_code]) + name)


class AnchorLogReader:
    """Reads a stream's checkpoints from the ``AnchorLog`` contract."""

    def __init__(self, *, client: LedgerClient, deployment: Deployment) -> None:
        self._client = client
        self._contract = client.contract("AnchorLog", deployment.address("AnchorLog"))

    def owner(self, stream: bytes) -> int:
        return int(self._client.call(self._contract.functions.ownerOf(stream)))

    def count(self, stream: bytes) -> int:
        return int(self._client.call(self._contract.functions.checkpointCount(stream)))

    def checkpoint(self, stream: bytes, index: int) -> Checkpoint:
        size, at, root = self._client.call(self._contract.functions.checkpoint(stream, index))
        return Checkpoint(index=index, tree_size=int(size), root=bytes(root), anchored_at=int(at))

    def latest(self, stream: bytes) -> Checkpoint | None:
        n = self.count(stream)
        return self.checkpoint(stream, n - 1) if n else None


class Anchorer:
    """Anchors the checkpoints of one gateway's audit trail, in a thread of its own."""

    def __init__(
        self,
        *,
        trail: AuditTrail,
        engine: Engine,
        client: LedgerClient,
        deployment: Deployment,
        province_code: int,
        name: str = DEFAULT_STREAM,
        every_events: int = 1_000,
        every_seconds: float = 60.0,
        attempts: int = 8,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if every_events < 1 or every_seconds <= 0:
            raise ConfigurationError("expected checkpoints every >= 1 events and > 0 seconds")
        self._trail = trail
        self._engine = engine
        self._client = client
        self._deployment = deployment
        self._code = province_code
        self._name = stream_name(name)
        self.stream_id = stream_id(province_code, self._name)
        self._contract = client.contract("AnchorLog", deployment.address("AnchorLog"))
        self.reader = AnchorLogReader(client=client, deployment=deployment)
        self._every_events = every_events
        self._every_seconds = every_seconds
        self._attempts = attempts
        self._clock = clock
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.anchored_size = 0
        self.last_error: str | None = None
        trail.add_listener(self._on_commit)

    # -- start-up -------------------------------------------------------------------------

    def open_stream(self) -> None:
        """Open the province's stream unless it exists; the signer must be the province's."""
        owner = self.reader.owner(self.stream_id)
        if owner == 0:
            try:
                self._transact(lambda: self._contract.functions.openStream(self._name), what="the audit stream")
            except ContractRevert as exc:
                if exc.name != "AnchorLogStreamExists":  # else: an earlier attempt opened it
                    raise
            owner = self.reader.owner(self.stream_id)
        if owner != self._code:
            raise ConfigurationError(
                f"stream 0x{self.stream_id.hex()} belongs to province {owner}, expected {self._code}: "
                "the ledger client signs for another province"
            )

    def verify_against_chain(self) -> Checkpoint | None:
        """Compare the log with the newest anchored checkpoint; ``AuditLogMismatch`` when the
        log is shorter (truncated) or its root differs (rewritten)."""
        latest = self.reader.latest(self.stream_id)
        if latest is None:
            return None
        if latest.tree_size > self._trail.size:
            raise AuditLogMismatch(
                f"the audit log was truncated: it holds {self._trail.size} events, "
                f"the ledger anchored {latest.tree_size}"
            )
        root = self._trail.root(latest.tree_size)
        if root != latest.root:
            raise AuditLogMismatch(
                f"the audit log was rewritten: its root at size {latest.tree_size} is {root.hex()}, "
                f"the ledger anchored {latest.root.hex()}"
            )
        self.anchored_size = latest.tree_size
        return latest

    # -- the loop -------------------------------------------------------------------------

    def start(self) -> None:
        if self._thread is not None:
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="audit-anchor", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop the loop after anchoring what is committed."""
        if self._thread is None:
            return
        self._stop.set()
        self._wake.set()
        self._thread.join(timeout=60)
        self._thread = None

    def _on_commit(self, size: int, _events: int) -> None:
        if size - self.anchored_size >= self._every_events:
            self._wake.set()

    def _run(self) -> None:
        while True:
            self._wake.wait(self._every_seconds)
            self._wake.clear()
            try:
                self.anchor()
                self.last_error = None
            except (LedgerError, AuditLogMismatch, ConfigurationError) as exc:
                self.last_error = str(exc)
                log.warning("checkpoint not anchored yet: %s", exc)
            except Exception as exc:  # noqa: BLE001 - the loop must survive to retry
                self.last_error = str(exc)
                log.exception("checkpoint anchoring failed")
            if self._stop.is_set():
                return

    # -- anchoring ------------------------------------------------------------------------

    def anchor(self) -> Checkpoint | None:
        """Anchor the pending checkpoints, then the committed size if the log grew; returns the
        checkpoint anchored last (None when there was nothing to do)."""
        with self._lock:
            done: Checkpoint | None = None
            for size, root in self._pending():
                done = self._send(size, root) or done
            size = self._trail.size
            if size > self.anchored_size:
                root = self._trail.root(size)
                self._journal(size, root)
                done = self._send(size, root) or done
            return done

    def _send(self, size: int, root: bytes) -> Checkpoint | None:
        if size <= self.anchored_size:  # a later checkpoint covers it
            self._mark(size, tx_hash=None, block=None, state="covered")
            return None
        try:
            receipt = self._transact(
                lambda: self._contract.functions.appendCheckpoint(self.stream_id, size, root), what=f"checkpoint {size}"
            )
        except ContractRevert as exc:
            if exc.name != "AnchorLogTreeSizeNotGrowing":
                raise
            self.verify_against_chain()  # an earlier attempt made it, or a later checkpoint did
            self._mark(size, tx_hash=None, block=None, state="covered")
            return None
        self._mark(size, tx_hash=receipt.tx_hash, block=receipt.block_number, state="anchored")
        self.anchored_size = max(self.anchored_size, size)
        n = self.reader.count(self.stream_id)
        return Checkpoint(index=n - 1, tree_size=size, root=root, block=receipt.block_number, tx_hash=receipt.tx_hash)

    def _transact(self, call: Callable[[], ContractFunction], *, what: str) -> Receipt:
        """Sign, send and wait for ``call()``; when another process took the nonce (or the
        endpoint is away) sign again with a fresh one. A revert is raised as it is."""
        delay = 0.2
        last: Exception | None = None
        for _ in range(self._attempts):
            try:
                tx = self._client.sign_call(call())
                self._client.submit(tx)
                return self._client.wait(tx, timeout=60)
            except ContractRevert:
                raise
            except (TransactionFailed, RpcUnavailable) as exc:
                last = exc
                log.info("%s not anchored (%s); signing again with a fresh nonce", what, exc)
                self._client.nonces.resync()
                time.sleep(delay)
                delay = min(delay * 2, 5.0)
        raise TransactionFailed(f"{what} not anchored after {self._attempts} attempts: {last}")

    def _pending(self) -> list[tuple[int, bytes]]:
        c = audit_checkpoints
        stmt = select(c.c.tree_size, c.c.root).where(c.c.state == "pending").order_by(c.c.tree_size)
        rows = run(self._engine, "read pending checkpoints", lambda conn: conn.execute(stmt).all())
        return [(int(size), bytes.fromhex(root[2:])) for size, root in rows]

    def _journal(self, size: int, root: bytes) -> None:
        c = audit_checkpoints

        def write(conn: Connection) -> None:
            if conn.execute(select(c.c.tree_size).where(c.c.tree_size == size)).first() is None:
                conn.execute(
                    c.insert().values(
                        tree_size=size, root="0x" + root.hex(), state="pending", created_ms=int(self._clock() * 1000)
                    )
                )

        run(self._engine, "journal a checkpoint", write, write=True)

    def _mark(self, size: int, *, tx_hash: str | None, block: int | None, state: str) -> None:
        c = audit_checkpoints
        values: dict[str, object] = {"state": state}
        if tx_hash is not None:
            values.update(tx_hash=tx_hash, block=block)
        run(
            self._engine,
            "record an anchored checkpoint",
            lambda conn: conn.execute(update(c).where(c.c.tree_size == size).values(values)),
            write=True,
        )
