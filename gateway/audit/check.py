"""Checking an audit log against the checkpoints anchored on the ledger (RFC 9162 section 2.1).

A checkpoint is a tree size and the root the gateway claimed for it, written on the ledger, so
the gateway cannot take it back. A log that is shorter than an anchored size was truncated; a
log whose root at an anchored size differs was rewritten. ``check_leaves`` recomputes every
root from the leaves themselves, streaming, so it trusts neither the stored subtree hashes nor
the gateway's word.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from gateway.errors import AuditLogMismatch
from node.merkle import EMPTY_ROOT, leaf_hash, node_hash


@dataclass(frozen=True, slots=True)
class Checkpoint:
    """One anchored checkpoint of a stream."""

    index: int
    tree_size: int
    root: bytes
    anchored_at: int = 0
    block: int | None = None
    tx_hash: str | None = None


def check_leaves(leaves: Iterable[bytes], checkpoints: Sequence[Checkpoint]) -> int:
    """Hash ``leaves`` (the log's events, in order) and compare the root at every anchored tree
    size; returns the number of leaves. Raises ``AuditLogMismatch`` for a truncated or
    rewritten log."""
    wanted = sorted(checkpoints, key=lambda c: c.tree_size)
    peaks: list[tuple[int, bytes]] = []  # (height, hash), largest first
    at = 0
    size = 0
    while at < len(wanted) and wanted[at].tree_size == 0:
        _compare(wanted[at], EMPTY_ROOT)
        at += 1
    for leaf in leaves:
        h = leaf_hash(leaf)
        height = 0
        while peaks and peaks[-1][0] == height:
            h = node_hash(peaks.pop()[1], h)
            height += 1
        peaks.append((height, h))
        size += 1
        while at < len(wanted) and wanted[at].tree_size == size:
            _compare(wanted[at], _fold([p[1] for p in peaks]))
            at += 1
    if at < len(wanted):
        missing = wanted[at]
        raise AuditLogMismatch(
            f"the audit log was truncated: it holds {size} events, but checkpoint {missing.index} anchored "
            f"{missing.tree_size}"
        )
    return size


def check_roots(root_at: dict[int, bytes], checkpoints: Sequence[Checkpoint], size: int) -> None:
    """Compare the roots a log gives (``root_at[tree size]``) with the anchored ones."""
    for cp in checkpoints:
        if cp.tree_size > size:
            raise AuditLogMismatch(
                f"the audit log was truncated: it holds {size} events, "
                f"but checkpoint {cp.index} anchored {cp.tree_size}"
            )
        _compare(cp, root_at[cp.tree_size])


def _compare(cp: Checkpoint, root: bytes) -> None:
    if root != cp.root:
        raise AuditLogMismatch(
            f"the audit log was rewritten: its root at size {cp.tree_size} is {root.hex()}, "
            f"checkpoint {cp.index} anchored {cp.root.hex()}"
        )


def _fold(hashes: list[bytes]) -> bytes:
    r = hashes[-1]
    for h in reversed(hashes[:-1]):
        r = node_hash(h, r)
    return r
