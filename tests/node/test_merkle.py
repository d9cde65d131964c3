"""node.merkle against the Certificate Transparency vectors and RFC 9162 properties."""

from __future__ import annotations

import functools
import hashlib
import json
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from node import merkle
from node.errors import LedgerError, ProofError

VECTORS = Path(__file__).parent.parent / "assets" / "merkle" / "rfc6962_vectors.json"
SOME_HASH = bytes.fromhex("abacaba000000000000000000000000000000000000000000060061e00123456")
MAX_LEAVES = 260


def load_vectors() -> dict[str, Any]:
    return json.loads(VECTORS.read_text(encoding="utf-8"))  # type: ignore[no-any-return]


def h(value: str) -> bytes:
    return bytes.fromhex(value)


# -- an independent statement of RFC 9162 section 2.1, straight from its recursive definitions


def split(n: int) -> int:
    k = 1
    while k * 2 < n:
        k *= 2
    return k


def reference_mth(leaves: Sequence[bytes]) -> bytes:
    if not leaves:
        return hashlib.sha256(b"").digest()
    if len(leaves) == 1:
        return leaves[0]
    k = split(len(leaves))
    return hashlib.sha256(b"\x01" + reference_mth(leaves[:k]) + reference_mth(leaves[k:])).digest()


def inclusion_shape(index: int, size: int) -> tuple[str, ...]:
    """Which side each hash of PATH(index, D[size]) sits on, leaf side first."""
    if size == 1:
        return ()
    k = split(size)
    if index < k:
        return (*inclusion_shape(index, k), "right")
    return (*inclusion_shape(index - k, size - k), "left")


def consistency_shape(size1: int, size2: int, whole: bool = True) -> tuple[str, ...]:
    """The structure of SUBPROOF(size1, D[size2], whole)."""
    if size1 == size2:
        return () if whole else ("first",)
    k = split(size2)
    if size1 <= k:
        return (*consistency_shape(size1, k, whole), "right")
    return (*consistency_shape(size1 - k, size2 - k, False), "left")


# -- fixtures


@pytest.fixture(scope="module")
def vectors() -> dict[str, Any]:
    return load_vectors()


@pytest.fixture(scope="module")
def vector_log(vectors: dict[str, Any]) -> merkle.MerkleLog:
    return merkle.MerkleLog.from_leaf_hashes(merkle.leaf_hash(h(x)) for x in vectors["leaves"])


@pytest.fixture(scope="module")
def leaves() -> list[bytes]:
    # Distinct leaves: with two equal leaves, a proof for one also proves the other's index.
    return [merkle.leaf_hash(i.to_bytes(4, "big")) for i in range(MAX_LEAVES)]


@pytest.fixture(scope="module")
def big_log(leaves: list[bytes]) -> merkle.MerkleLog:
    return merkle.MerkleLog.from_leaf_hashes(leaves)


@pytest.fixture(scope="module")
def roots(leaves: list[bytes]) -> list[bytes]:
    return [reference_mth(leaves[:n]) for n in range(MAX_LEAVES + 1)]


def flip(value: bytes, bit: int) -> bytes:
    out = bytearray(value)
    out[bit // 8] ^= 1 << (bit % 8)
    return bytes(out)


def raises_proof_error(call: Callable[[], None]) -> bool:
    try:
        call()
    except ProofError:
        return True
    return False


# -- hashing


def test_proof_error_is_a_ledger_error() -> None:
    assert issubclass(ProofError, LedgerError)


def test_leaf_and_node_hashes_are_domain_separated() -> None:
    assert merkle.leaf_hash(b"") == hashlib.sha256(b"\x00").digest()
    a, b = merkle.leaf_hash(b"a"), merkle.leaf_hash(b"b")
    assert merkle.node_hash(a, b) == hashlib.sha256(b"\x01" + a + b).digest()
    assert merkle.leaf_hash(a + b) != merkle.node_hash(a, b)


def test_roots_of_the_vector_tree(vectors: dict[str, Any], vector_log: merkle.MerkleLog) -> None:
    leaf_hashes = [merkle.leaf_hash(h(x)) for x in vectors["leaves"]]
    for size, expected in enumerate(vectors["roots"]):
        assert merkle.root(leaf_hashes[:size]).hex() == expected
        assert vector_log.root(size).hex() == expected
    assert merkle.EMPTY_ROOT.hex() == vectors["roots"][0]


def test_the_store_holds_the_vector_subtree_hashes(vectors: dict[str, Any]) -> None:
    store = merkle.MemoryNodeStore()
    merkle.MerkleLog.from_leaf_hashes((merkle.leaf_hash(h(x)) for x in vectors["leaves"]), store=store)
    for level, expected in enumerate(vectors["node_hashes"]):
        assert [x.hex() for x in store.span(level, 0, store.width(level))] == expected
    assert store.width(len(vectors["node_hashes"])) == 0


# -- vectors: inclusion


def inclusion_cases() -> list[dict[str, Any]]:
    return load_vectors()["inclusion"]  # type: ignore[no-any-return]


@pytest.mark.parametrize("case", inclusion_cases(), ids=lambda c: f"{c['index']}of{c['size']}")
def test_inclusion_vectors(case: dict[str, Any], vectors: dict[str, Any], vector_log: merkle.MerkleLog) -> None:
    index, size = case["index"], case["size"]
    proof = [h(x) for x in case["proof"]]
    leaf = merkle.leaf_hash(h(vectors["leaves"][index]))
    root = h(vectors["roots"][size])
    assert vector_log.inclusion_proof(index, size) == proof
    merkle.verify_inclusion(leaf, index, size, proof, root)

    # The corruptions of the reference implementation's verifier tests.
    probes: list[tuple[str, bytes, int, int, list[bytes], bytes]] = [
        ("index - 1", leaf, index - 1, size, proof, root),
        ("index + 1", leaf, index + 1, size, proof, root),
        ("index ^ 2", leaf, index ^ 2, size, proof, root),
        ("size * 2", leaf, index, size * 2, proof, root),
        ("size // 2", leaf, index, size // 2, proof, root),
        ("wrong leaf", merkle.leaf_hash(b"WrongLeaf"), index, size, proof, root),
        ("empty root", leaf, index, size, proof, merkle.EMPTY_ROOT),
        ("random root", leaf, index, size, proof, SOME_HASH),
        ("trailing garbage", leaf, index, size, [*proof, b""], root),
        ("trailing root", leaf, index, size, [*proof, root], root),
        ("preceding garbage", leaf, index, size, [b"", *proof], root),
        ("preceding root", leaf, index, size, [root, *proof], root),
    ]
    for i in range(len(proof)):
        bad = list(proof)
        bad[i] = flip(bad[i], 3)
        probes.append((f"proof[{i}] bit 3", leaf, index, size, bad, root))
    if proof:
        probes.append(("removed component", leaf, index, size, proof[:-1], root))
    if len(proof) > 1:
        probes.append(("inserted component", leaf, index, size, [proof[0], SOME_HASH, *proof[1:]], root))
    wrongly_accepted = [
        desc
        for desc, lf, i, n, p, r in probes
        if not raises_proof_error(functools.partial(merkle.verify_inclusion, lf, i, n, p, r))
    ]
    assert wrongly_accepted == []


def test_inclusion_of_the_single_leaf_tree() -> None:
    leaf = merkle.leaf_hash(b"data")
    merkle.verify_inclusion(leaf, 0, 1, [], leaf)
    with pytest.raises(ProofError, match="32-byte leaf hash, found 0 bytes"):
        merkle.verify_inclusion(b"", 0, 1, [], leaf)
    with pytest.raises(ProofError, match="32-byte root, found 0 bytes"):
        merkle.verify_inclusion(leaf, 0, 1, [], b"")
    with pytest.raises(ProofError, match="leads to root"):
        merkle.verify_inclusion(leaf, 0, 1, [], SOME_HASH)


@pytest.mark.parametrize(("index", "size"), [(0, 0), (1, 0), (1, 1), (2, 1), (-1, 4)])
def test_inclusion_refuses_an_index_outside_the_tree(index: int, size: int) -> None:
    with pytest.raises(ProofError, match=rf"expected a leaf index in \[0, {size}\), found {index}"):
        merkle.verify_inclusion(SOME_HASH, index, size, [], merkle.EMPTY_ROOT)


def test_inclusion_error_messages_say_what_was_expected() -> None:
    leaves = [merkle.leaf_hash(bytes([i])) for i in range(5)]
    log = merkle.MerkleLog.from_leaf_hashes(leaves)
    proof = log.inclusion_proof(1, 5)
    with pytest.raises(ProofError, match="expected 3 proof hashes for leaf 1 of 5, found 4"):
        merkle.verify_inclusion(leaves[1], 1, 5, [*proof, SOME_HASH], log.root())
    with pytest.raises(ProofError, match="expected more than 2 proof hashes for leaf 1 of 5"):
        merkle.verify_inclusion(leaves[1], 1, 5, proof[:2], log.root())


# -- vectors: consistency


def consistency_cases() -> list[dict[str, Any]]:
    return load_vectors()["consistency"]  # type: ignore[no-any-return]


@pytest.mark.parametrize("case", consistency_cases(), ids=lambda c: f"{c['size1']}to{c['size2']}")
def test_consistency_vectors(case: dict[str, Any], vectors: dict[str, Any], vector_log: merkle.MerkleLog) -> None:
    size1, size2 = case["size1"], case["size2"]
    proof = [h(x) for x in case["proof"]]
    root1, root2 = h(vectors["roots"][size1]), h(vectors["roots"][size2])
    assert vector_log.consistency_proof(size1, size2) == proof
    merkle.verify_consistency(size1, size2, proof, root1, root2)
    if not proof:
        return

    probes: list[tuple[str, int, int, list[bytes], bytes, bytes]] = [
        ("size1 - 1", size1 - 1, size2, proof, root1, root2),
        ("size1 + 1", size1 + 1, size2, proof, root1, root2),
        ("size1 ^ 2", size1 ^ 2, size2, proof, root1, root2),
        ("size2 * 2", size1, size2 * 2, proof, root1, root2),
        ("size2 // 2", size1, size2 // 2, proof, root1, root2),
        ("wrong root1", size1, size2, proof, SOME_HASH, root2),
        ("wrong root2", size1, size2, proof, root1, SOME_HASH),
        ("swapped roots", size1, size2, proof, root2, root1),
        ("empty proof", size1, size2, [], root1, root2),
        ("trailing garbage", size1, size2, [*proof, b""], root1, root2),
        ("trailing root1", size1, size2, [*proof, root1], root1, root2),
        ("trailing root2", size1, size2, [*proof, root2], root1, root2),
        ("preceding garbage", size1, size2, [b"", *proof], root1, root2),
        ("preceding root1", size1, size2, [root1, *proof], root1, root2),
        ("preceding root2", size1, size2, [root2, *proof], root1, root2),
        ("preceding proof[0]", size1, size2, [proof[0], *proof], root1, root2),
        ("truncated proof", size1, size2, proof[:-1], root1, root2),
    ]
    for i in range(len(proof)):
        bad = list(proof)
        bad[i] = flip(bad[i], 4)
        probes.append((f"proof[{i}] bit 4", size1, size2, bad, root1, root2))
    wrongly_accepted = [
        desc
        for desc, s1, s2, p, r1, r2 in probes
        if not raises_proof_error(functools.partial(merkle.verify_consistency, s1, s2, p, r1, r2))
    ]
    assert wrongly_accepted == []


ROOT_A, ROOT_B = merkle.leaf_hash(b"don't care 1"), merkle.leaf_hash(b"don't care 2")
EMPTY = merkle.EMPTY_ROOT


@pytest.mark.parametrize(
    ("size1", "size2", "root1", "root2", "proof", "ok"),
    [
        # Always consistent: every tree extends the empty one, every tree extends itself.
        (0, 0, EMPTY, EMPTY, [], True),
        (0, 1, EMPTY, ROOT_B, [], True),
        (1, 1, ROOT_B, ROOT_B, [], True),
        # Stricter than the reference implementation, which accepts any first root at size 0.
        (0, 0, ROOT_A, ROOT_A, [], False),
        (0, 1, ROOT_A, ROOT_B, [], False),
        (0, 0, EMPTY, ROOT_B, [], False),
        (1, 1, ROOT_A, ROOT_B, [], False),
        # Time travel to the past.
        (1, 0, ROOT_A, ROOT_B, [], False),
        (2, 1, ROOT_A, ROOT_B, [], False),
        # An empty proof between different sizes.
        (1, 2, ROOT_A, ROOT_B, [], False),
        # Nothing to prove, yet a proof.
        (0, 0, EMPTY, EMPTY, [EMPTY], False),
        (0, 1, EMPTY, EMPTY, [EMPTY], False),
        (1, 1, EMPTY, EMPTY, [EMPTY], False),
    ],
)
def test_consistency_edge_cases(
    size1: int, size2: int, root1: bytes, root2: bytes, proof: list[bytes], ok: bool
) -> None:
    call = lambda: merkle.verify_consistency(size1, size2, proof, root1, root2)  # noqa: E731
    assert raises_proof_error(call) is not ok


# -- vectors: which nodes a proof is made of


def resolve(nodes: list[list[int]], rehash: list[int] | None, table: list[list[str]]) -> list[str]:
    hashes = [h(table[level][index]) for level, index in nodes]
    if rehash is not None:
        begin, end = rehash
        folded = hashes[begin]
        for x in hashes[begin + 1 : end]:
            folded = merkle.node_hash(x, folded)
        hashes[begin:end] = [folded]
    return [x.hex() for x in hashes]


def test_inclusion_proofs_are_made_of_the_reference_nodes(
    vectors: dict[str, Any], vector_log: merkle.MerkleLog
) -> None:
    for case in vectors["inclusion_nodes"]["cases"]:
        want = resolve(case["nodes"], case.get("rehash"), vectors["node_hashes"])
        got = [x.hex() for x in vector_log.inclusion_proof(case["index"], case["size"])]
        assert got == want, case


def test_consistency_proofs_are_made_of_the_reference_nodes(
    vectors: dict[str, Any], vector_log: merkle.MerkleLog
) -> None:
    for case in vectors["consistency_nodes"]["cases"]:
        want = resolve(case["nodes"], case.get("rehash"), vectors["node_hashes"])
        got = [x.hex() for x in vector_log.consistency_proof(case["size1"], case["size2"])]
        assert got == want, case


# -- properties


@st.composite
def index_and_size(draw: st.DrawFn) -> tuple[int, int]:
    size = draw(st.integers(1, MAX_LEAVES))
    return draw(st.integers(0, size - 1)), size


@st.composite
def two_sizes(draw: st.DrawFn) -> tuple[int, int]:
    size2 = draw(st.integers(0, MAX_LEAVES))
    return draw(st.integers(0, size2)), size2


@settings(max_examples=300, deadline=None)
@given(st.integers(0, MAX_LEAVES))
def test_log_root_is_the_rfc_tree_hash(
    big_log: merkle.MerkleLog, roots: list[bytes], leaves: list[bytes], size: int
) -> None:
    assert big_log.root(size) == roots[size]
    assert merkle.root(leaves[:size]) == roots[size]


@settings(max_examples=400, deadline=None)
@given(index_and_size(), st.data())
def test_every_inclusion_proof_verifies_and_every_bit_flip_is_caught(
    big_log: merkle.MerkleLog,
    roots: list[bytes],
    leaves: list[bytes],
    at: tuple[int, int],
    data: st.DataObject,
) -> None:
    index, size = at
    proof = big_log.inclusion_proof(index, size)
    leaf, root = leaves[index], roots[size]
    merkle.verify_inclusion(leaf, index, size, proof, root)

    bit = data.draw(st.integers(0, 255), label="hash bit")
    with pytest.raises(ProofError):
        merkle.verify_inclusion(leaf, index, size, proof, flip(root, bit))
    with pytest.raises(ProofError):
        merkle.verify_inclusion(flip(leaf, bit), index, size, proof, root)
    if proof:
        at_proof = data.draw(st.integers(0, len(proof) - 1), label="proof element")
        bad = list(proof)
        bad[at_proof] = flip(bad[at_proof], bit)
        with pytest.raises(ProofError):
            merkle.verify_inclusion(leaf, index, size, bad, root)

    number_bit = data.draw(st.integers(0, 10), label="number bit")
    with pytest.raises(ProofError):
        merkle.verify_inclusion(leaf, index ^ (1 << number_bit), size, proof, root)
    # A size passes only where its path has the very same shape (leaf 0 of 6 and of 7, say):
    # the verifier never sees any other trace of the size, so sizes come with their roots.
    other = size ^ (1 << number_bit)
    same_shape = index < other and inclusion_shape(index, other) == inclusion_shape(index, size)
    refused = raises_proof_error(lambda: merkle.verify_inclusion(leaf, index, other, proof, root))
    assert refused is not same_shape


@settings(max_examples=400, deadline=None)
@given(two_sizes(), st.data())
def test_every_consistency_proof_verifies_and_every_bit_flip_is_caught(
    big_log: merkle.MerkleLog, roots: list[bytes], sizes: tuple[int, int], data: st.DataObject
) -> None:
    size1, size2 = sizes
    proof = big_log.consistency_proof(size1, size2)
    root1, root2 = roots[size1], roots[size2]
    merkle.verify_consistency(size1, size2, proof, root1, root2)

    bit = data.draw(st.integers(0, 255), label="hash bit")
    with pytest.raises(ProofError):
        merkle.verify_consistency(size1, size2, proof, flip(root1, bit), root2)
    if size1:  # every tree is consistent with the empty one: there is nothing to check
        with pytest.raises(ProofError):
            merkle.verify_consistency(size1, size2, proof, root1, flip(root2, bit))
    if proof:
        at_proof = data.draw(st.integers(0, len(proof) - 1), label="proof element")
        bad = list(proof)
        bad[at_proof] = flip(bad[at_proof], bit)
        with pytest.raises(ProofError):
            merkle.verify_consistency(size1, size2, bad, root1, root2)

    number_bit = data.draw(st.integers(0, 10), label="number bit")
    with pytest.raises(ProofError):
        merkle.verify_consistency(size1 ^ (1 << number_bit), size2, proof, root1, root2)
    other = size2 ^ (1 << number_bit)
    refused = raises_proof_error(lambda: merkle.verify_consistency(size1, other, proof, root1, root2))
    if size1 == 0:  # any tree extends the empty one, but only the empty one is of size 0
        assert refused is (other == 0 and size2 != 0)
    elif size1 == size2:
        assert refused
    else:
        same_shape = size1 < other and consistency_shape(size1, other) == consistency_shape(size1, size2)
        assert refused is not same_shape


# -- the log and its store


class CountingStore(merkle.MemoryNodeStore):
    def __init__(self) -> None:
        super().__init__()
        self.reads = 0

    def nodes(self, ids: Sequence[tuple[int, int]]) -> list[bytes]:
        self.reads += len(ids)
        return super().nodes(ids)


@settings(max_examples=200, deadline=None)
@given(st.integers(1, 1 << 20), st.data())
def test_proofs_read_logarithmically_many_nodes(size: int, data: st.DataObject) -> None:
    # A tree of ``size`` leaves is simulated by a store whose levels are as wide as that
    # tree's; the hashes are arbitrary, only the number of reads matters.
    store = CountingStore()
    for level in range(size.bit_length()):
        store.extend(level, [SOME_HASH] * (size >> level))
    log = merkle.MerkleLog(store=store)
    bound = 2 * size.bit_length() + 2
    index = data.draw(st.integers(0, size - 1))
    size1 = data.draw(st.integers(0, size))

    for make in (
        lambda: log.inclusion_proof(index),
        lambda: log.consistency_proof(size1),
        lambda: log.root(size1),
    ):
        store.reads = 0
        make()
        assert store.reads <= bound


def test_append_and_extend_build_the_same_store(leaves: list[bytes]) -> None:
    one, many = merkle.MemoryNodeStore(), merkle.MemoryNodeStore()
    log = merkle.MerkleLog(store=one)
    for i, leaf in enumerate(leaves[:100]):
        assert log.append(leaf) == i
    assert merkle.MerkleLog(store=many).extend(leaves[:100], batch=7) == 100
    for level in range(8):
        assert one.span(level, 0, one.width(level)) == many.span(level, 0, many.width(level))
    assert log.size == 100
    assert log.leaf(42) == leaves[42]


def test_a_store_of_leaves_only_is_rebuilt_when_opened(
    leaves: list[bytes], roots: list[bytes], big_log: merkle.MerkleLog
) -> None:
    store = merkle.MemoryNodeStore()
    store.extend(0, leaves)
    log = merkle.MerkleLog(store=store, rebuild_batch=5)
    assert log.root() == roots[MAX_LEAVES]
    assert log.inclusion_proof(77, 200) == big_log.inclusion_proof(77, 200)
    assert log.consistency_proof(33, 250) == big_log.consistency_proof(33, 250)
    assert store.width(1) == MAX_LEAVES // 2


def test_a_store_cut_short_by_a_crash_is_repaired_when_opened(leaves: list[bytes], roots: list[bytes]) -> None:
    whole = merkle.MemoryNodeStore()
    merkle.MerkleLog.from_leaf_hashes(leaves[:200], store=whole)
    cut = merkle.MemoryNodeStore()
    cut.extend(0, leaves[:201])  # the leaf of the next append was written, its parents not
    for level in range(1, 4):
        cut.extend(level, whole.span(level, 0, whole.width(level)))
    log = merkle.MerkleLog(store=cut)
    assert log.size == 201
    assert log.root() == roots[201]
    log.append(leaves[201])
    assert log.root() == roots[202]


def test_a_store_with_more_parents_than_leaves_is_refused(leaves: list[bytes]) -> None:
    store = merkle.MemoryNodeStore()
    store.extend(0, leaves[:4])
    store.extend(1, leaves[:3])
    with pytest.raises(ProofError, match="holds 3 nodes at level 1, expected at most 2"):
        merkle.MerkleLog(store=store)


def test_the_log_refuses_questions_about_leaves_it_does_not_hold(leaves: list[bytes]) -> None:
    log = merkle.MerkleLog.from_leaf_hashes(leaves[:10])
    with pytest.raises(ProofError, match=r"expected a leaf index in \[0, 10\), found 10"):
        log.inclusion_proof(10)
    with pytest.raises(ProofError, match=r"expected a leaf index in \[0, 4\), found 5"):
        log.inclusion_proof(5, 4)
    with pytest.raises(ProofError, match=r"expected a tree size in \[0, 10\], found 11"):
        log.root(11)
    with pytest.raises(ProofError, match="expected 0 <= size1 <= 10, found size1=11"):
        log.consistency_proof(11)
    with pytest.raises(ProofError, match="32-byte leaf hash 10, found 3 bytes"):
        log.append(b"abc")
    assert log.size == 10
    assert merkle.MerkleLog().root() == merkle.EMPTY_ROOT
    assert log.consistency_proof(0) == [] and log.consistency_proof(10) == []
