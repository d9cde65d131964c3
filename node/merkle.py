"""RFC 6962 / RFC 9162 Merkle log: tree hashes, inclusion and consistency proofs.

The tree is the one of RFC 9162 section 2.1.1 (RFC 6962 section 2.1): SHA-256, leaves hashed
as ``HASH(0x00 || data)``, interior nodes as ``HASH(0x01 || left || right)``, the empty tree's
hash is ``HASH()``. A ``MerkleLog`` keeps the hash of every complete subtree in a ``NodeStore``,
level by level, so that a root at any past size and any proof costs O(log n) hashes and reads.

Node coordinates: the node at ``(level, index)`` is the hash of the complete subtree over
leaves ``[index * 2**level, (index + 1) * 2**level)``; level 0 holds the leaf hashes.

A tree size and its root only mean something together; take both from one signed or anchored
checkpoint. RFC 9162's verification cannot tell apart two sizes whose proofs have the same
shape (leaf 0 in trees of 6 and 7 leaves, for instance), and need not: a root is the root of
one size only.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Iterable, Iterator, Sequence
from typing import Protocol

from node.errors import ProofError

HASH_SIZE = 32
EMPTY_ROOT = hashlib.sha256(b"").digest()


def leaf_hash(data: bytes) -> bytes:
    """``MTH({d})`` of RFC 9162 section 2.1.1: SHA-256 of ``0x00 || data``."""
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """An interior node of RFC 9162 section 2.1.1: SHA-256 of ``0x01 || left || right``."""
    return hashlib.sha256(b"\x01" + left + right).digest()


def root(leaf_hashes: Sequence[bytes]) -> bytes:
    """``MTH(D[n])`` of RFC 9162 section 2.1.1, over leaves that are already hashed."""
    for i, h in enumerate(leaf_hashes):
        _check_hash(h, f"leaf hash {i}")
    if not leaf_hashes:
        return EMPTY_ROOT
    peaks: list[bytes] = []
    for i, h in enumerate(leaf_hashes):
        peaks.append(h)
        for _ in range(_trailing_ones(i)):
            right = peaks.pop()
            peaks.append(node_hash(peaks.pop(), right))
    return _fold(peaks)


def verify_inclusion(leaf_hash: bytes, index: int, tree_size: int, proof: Sequence[bytes], root: bytes) -> None:
    """Check an inclusion proof; RFC 9162 section 2.1.3.2.

    Returns None when ``proof`` shows that ``leaf_hash`` is leaf ``index`` of the tree of
    ``tree_size`` leaves whose hash is ``root``; raises ``ProofError`` otherwise.
    """
    _check_hash(leaf_hash, "leaf hash")
    _check_hash(root, "root")
    _check_proof(proof)
    if not 0 <= index < tree_size:
        raise ProofError(f"expected a leaf index in [0, {tree_size}), found {index}")
    fn, sn = index, tree_size - 1
    r = leaf_hash
    for used, p in enumerate(proof):
        if sn == 0:
            raise ProofError(f"expected {used} proof hashes for leaf {index} of {tree_size}, found {len(proof)}")
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            while fn and not fn & 1:
                fn >>= 1
                sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise ProofError(f"expected more than {len(proof)} proof hashes for leaf {index} of {tree_size}")
    if r != root:
        raise ProofError(
            f"inclusion proof for leaf {index} of {tree_size} leads to root {r.hex()}, expected {root.hex()}"
        )


def verify_consistency(size1: int, size2: int, proof: Sequence[bytes], root1: bytes, root2: bytes) -> None:
    """Check a consistency proof; RFC 9162 section 2.1.4.2.

    Returns None when ``proof`` shows that the tree of ``size1`` leaves with hash ``root1`` is
    a prefix of the tree of ``size2`` leaves with hash ``root2``; raises ``ProofError``
    otherwise. The cases the RFC leaves out are decided strictly: equal sizes need an empty
    proof and equal roots; an empty first tree needs an empty proof and the empty tree's hash.
    """
    _check_hash(root1, "first root")
    _check_hash(root2, "second root")
    _check_proof(proof)
    if not 0 <= size1 <= size2:
        raise ProofError(f"expected 0 <= size1 <= size2, found size1={size1}, size2={size2}")
    if size1 == size2 or size1 == 0:
        if proof:
            raise ProofError(f"expected an empty consistency proof from {size1} to {size2}, found {len(proof)} hashes")
        if size1 == 0 and root1 != EMPTY_ROOT:
            raise ProofError(f"expected the empty tree's hash {EMPTY_ROOT.hex()} as first root, found {root1.hex()}")
        if size1 == size2 and root1 != root2:
            raise ProofError(f"expected equal roots for equal sizes {size1}, found {root1.hex()} and {root2.hex()}")
        return
    if not proof:
        raise ProofError(f"expected a non-empty consistency proof from {size1} to {size2}")
    path = list(proof)
    if size1 & (size1 - 1) == 0:
        path.insert(0, root1)
    fn, sn = size1 - 1, size2 - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    prepended = len(path) - len(proof)
    for at, c in enumerate(path[1:], start=1):
        if sn == 0:
            raise ProofError(
                f"expected {at - prepended} hashes in the consistency proof from {size1} to {size2}, found {len(proof)}"
            )
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            while fn and not fn & 1:
                fn >>= 1
                sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise ProofError(f"consistency proof from {size1} to {size2} has fewer hashes than expected ({len(proof)})")
    if fr != root1:
        raise ProofError(f"consistency proof leads to first root {fr.hex()}, expected {root1.hex()}")
    if sr != root2:
        raise ProofError(f"consistency proof leads to second root {sr.hex()}, expected {root2.hex()}")


class NodeStore(Protocol):
    """Where a ``MerkleLog`` keeps the hashes of its complete subtrees.

    Each level is a list that only grows at its end; level 0 holds the leaf hashes, and the
    node at ``(level, index)`` is the hash of its children ``(level - 1, 2 * index)`` and
    ``(level - 1, 2 * index + 1)``. A persistent provider may hold only level 0 (a column of
    its event table, say): the log computes and stores the missing levels when it opens.
    """

    def width(self, level: int) -> int:
        """How many nodes the level holds."""
        ...

    def nodes(self, ids: Sequence[tuple[int, int]]) -> list[bytes]:
        """The hashes at the given ``(level, index)`` coordinates, in order."""
        ...

    def span(self, level: int, start: int, stop: int) -> list[bytes]:
        """The hashes of nodes ``start`` to ``stop - 1`` of a level."""
        ...

    def extend(self, level: int, hashes: Sequence[bytes]) -> None:
        """Append hashes at the end of a level."""
        ...


class MemoryNodeStore:
    """A ``NodeStore`` in memory: one flat byte buffer per level, 32 bytes per node."""

    def __init__(self) -> None:
        self._levels: list[bytearray] = []

    def width(self, level: int) -> int:
        return len(self._levels[level]) // HASH_SIZE if level < len(self._levels) else 0

    def nodes(self, ids: Sequence[tuple[int, int]]) -> list[bytes]:
        out = []
        for level, index in ids:
            if not 0 <= index < self.width(level):
                raise ProofError(f"no node ({level}, {index}) in the store")
            out.append(bytes(self._levels[level][index * HASH_SIZE : (index + 1) * HASH_SIZE]))
        return out

    def span(self, level: int, start: int, stop: int) -> list[bytes]:
        if not 0 <= start <= stop <= self.width(level):
            raise ProofError(f"no nodes [{start}, {stop}) at level {level} in the store")
        if start == stop:
            return []
        buf = self._levels[level]
        return [bytes(buf[i * HASH_SIZE : (i + 1) * HASH_SIZE]) for i in range(start, stop)]

    def extend(self, level: int, hashes: Sequence[bytes]) -> None:
        while len(self._levels) <= level:
            self._levels.append(bytearray())
        self._levels[level] += b"".join(hashes)


class MerkleLog:
    """An append-only RFC 9162 log of leaf hashes with roots and proofs at any size.

    Appending a leaf hashes once per subtree it completes (one hash on average); a root at a
    past size, an inclusion proof and a consistency proof each read and hash O(log n) nodes.
    Opening a store that lacks interior levels (or lost the tail of one in a crash) computes
    them from the level below, streaming ``rebuild_batch`` nodes at a time.
    """

    def __init__(self, *, store: NodeStore | None = None, rebuild_batch: int = 1 << 16) -> None:
        self._store: NodeStore = MemoryNodeStore() if store is None else store
        self._lock = threading.Lock()
        self._size = self._store.width(0)
        self._repair(rebuild_batch)
        # Peaks of the current tree (its perfect subtrees, largest first), kept so that an
        # append need not read the store.
        self._peaks = self._store.nodes(_peak_ids(self._size))

    @classmethod
    def from_leaf_hashes(cls, leaf_hashes: Iterable[bytes], *, store: NodeStore | None = None) -> MerkleLog:
        """A log holding the given leaf hashes, appended to ``store`` (a new memory store by
        default)."""
        log = cls(store=store)
        log.extend(leaf_hashes)
        return log

    @property
    def size(self) -> int:
        """The number of leaves."""
        return self._size

    def append(self, leaf_hash: bytes) -> int:
        """Append one leaf hash; returns its index."""
        with self._lock:
            index = self._size
            self._append_locked([leaf_hash])
            return index

    def extend(self, leaf_hashes: Iterable[bytes], *, batch: int = 1 << 16) -> int:
        """Append leaf hashes in order, writing to the store ``batch`` leaves at a time;
        returns the new size."""
        with self._lock:
            chunk: list[bytes] = []
            for h in leaf_hashes:
                chunk.append(h)
                if len(chunk) >= batch:
                    self._append_locked(chunk)
                    chunk = []
            if chunk:
                self._append_locked(chunk)
            return self._size

    def leaf(self, index: int) -> bytes:
        """The hash of leaf ``index``."""
        _check_index(index, self._size)
        return self._store.nodes([(0, index)])[0]

    def root(self, size: int | None = None) -> bytes:
        """``MTH(D[size])``: the tree hash at ``size`` leaves (the current size by default)."""
        with self._lock:
            current, peaks = self._size, list(self._peaks)
        if size is None or size == current:
            return _fold(peaks) if peaks else EMPTY_ROOT
        _check_size(size, current)
        return self._range_hashes([(0, size)])[0] if size else EMPTY_ROOT

    def inclusion_proof(self, index: int, size: int | None = None) -> list[bytes]:
        """``PATH(index, D[size])`` of RFC 9162 section 2.1.3.1, leaf side first."""
        size = self._resolve(size)
        _check_index(index, size)
        return self._range_hashes(_inclusion_ranges(index, size))

    def consistency_proof(self, size1: int, size2: int | None = None) -> list[bytes]:
        """``PROOF(size1, D[size2])`` of RFC 9162 section 2.1.4.1 (empty when the sizes are
        equal or ``size1`` is 0)."""
        size2 = self._resolve(size2)
        if not 0 <= size1 <= size2:
            raise ProofError(f"expected 0 <= size1 <= {size2}, found size1={size1}")
        if size1 in (0, size2):
            return []
        return self._range_hashes(_consistency_ranges(size1, size2))

    def _resolve(self, size: int | None) -> int:
        current = self._size
        if size is None:
            return current
        _check_size(size, current)
        return size

    def _append_locked(self, leaves: Sequence[bytes]) -> None:
        for i, h in enumerate(leaves):
            _check_hash(h, f"leaf hash {self._size + i}")
        new: list[list[bytes]] = [list(leaves)]
        peaks = self._peaks
        for offset, h in enumerate(leaves):
            peaks.append(h)
            for level in range(1, _trailing_ones(self._size + offset) + 1):
                right = peaks.pop()
                parent = node_hash(peaks.pop(), right)
                peaks.append(parent)
                if len(new) <= level:
                    new.append([])
                new[level].append(parent)
        # Lower levels first: a crash between two writes leaves upper levels short, which
        # opening the store repairs.
        for level, hashes in enumerate(new):
            self._store.extend(level, hashes)
        self._size += len(leaves)

    def _repair(self, batch: int) -> None:
        level = 1
        while (want := self._size >> level) > 0:
            have = self._store.width(level)
            if have > want:
                raise ProofError(
                    f"node store holds {have} nodes at level {level}, expected at most {want} for {self._size} leaves"
                )
            while have < want:
                stop = min(want, have + batch)
                children = self._store.span(level - 1, 2 * have, 2 * stop)
                self._store.extend(level, [node_hash(children[i], children[i + 1]) for i in range(0, len(children), 2)])
                have = stop
            level += 1

    def _range_hashes(self, ranges: Sequence[tuple[int, int]]) -> list[bytes]:
        """The tree hash of each leaf range, from one batched read of perfect subtrees."""
        parts = [list(_perfect_subtrees(lo, hi)) for lo, hi in ranges]
        flat = self._store.nodes([node for part in parts for node in part])
        out, at = [], 0
        for part in parts:
            out.append(_fold(flat[at : at + len(part)]))
            at += len(part)
        return out


def _inclusion_ranges(index: int, size: int) -> list[tuple[int, int]]:
    """Leaf ranges of the subtree hashes in ``PATH(index, D[size])``, leaf side first."""
    out = []
    lo, hi = 0, size
    while hi - lo > 1:
        k = _split(hi - lo)
        if index < lo + k:
            out.append((lo + k, hi))
            hi = lo + k
        else:
            out.append((lo, lo + k))
            lo += k
    out.reverse()
    return out


def _consistency_ranges(size1: int, size2: int) -> list[tuple[int, int]]:
    """Leaf ranges of the subtree hashes in ``PROOF(size1, D[size2])``, in proof order."""
    out = []
    lo, hi, whole = 0, size2, True
    while size1 != hi:
        k = _split(hi - lo)
        if size1 <= lo + k:
            out.append((lo + k, hi))
            hi = lo + k
        else:
            out.append((lo, lo + k))
            lo += k
            whole = False
    if not whole:
        out.append((lo, hi))
    out.reverse()
    return out


def _perfect_subtrees(lo: int, hi: int) -> Iterator[tuple[int, int]]:
    """Coordinates of the perfect subtrees whose fold is ``MTH(D[lo:hi])``, left to right.

    Holds for the ranges RFC 9162 proofs use: ``lo`` is a multiple of a power of two that is
    at least ``hi - lo``.
    """
    while lo < hi:
        level = (hi - lo).bit_length() - 1
        if lo:
            level = min(level, (lo & -lo).bit_length() - 1)
        yield level, lo >> level
        lo += 1 << level


def _peak_ids(size: int) -> list[tuple[int, int]]:
    return list(_perfect_subtrees(0, size))


def _fold(hashes: Sequence[bytes]) -> bytes:
    r = hashes[-1]
    for h in reversed(hashes[:-1]):
        r = node_hash(h, r)
    return r


def _split(n: int) -> int:
    """The largest power of two smaller than ``n`` (n > 1)."""
    return 1 << ((n - 1).bit_length() - 1)


def _trailing_ones(n: int) -> int:
    return (n ^ (n + 1)).bit_length() - 1


def _check_hash(value: bytes, what: str) -> None:
    if len(value) != HASH_SIZE:
        raise ProofError(f"expected a {HASH_SIZE}-byte {what}, found {len(value)} bytes")


def _check_proof(proof: Sequence[bytes]) -> None:
    for i, p in enumerate(proof):
        _check_hash(p, f"proof hash {i}")


def _check_index(index: int, size: int) -> None:
    if not 0 <= index < size:
        raise ProofError(f"expected a leaf index in [0, {size}), found {index}")


def _check_size(size: int, current: int) -> None:
    if not 0 <= size <= current:
        raise ProofError(f"expected a tree size in [0, {current}], found {size}")
