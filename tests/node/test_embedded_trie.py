"""The one-pass transaction/receipt trie equals py-evm's (Yellow Paper appendix D)."""

from __future__ import annotations

from dataclasses import dataclass

import rlp
from eth.constants import BLANK_ROOT_HASH
from eth.db.trie import make_trie_root_and_nodes
from eth_utils.crypto import keccak
from hypothesis import given, settings
from hypothesis import strategies as st

from node.embedded.ordered_trie import root_and_nodes


@dataclass(frozen=True)
class Encoded:
    value: bytes

    def encode(self) -> bytes:
        return self.value


def reference(values: list[bytes]) -> tuple[bytes, dict[bytes, bytes]]:
    root, nodes = make_trie_root_and_nodes(tuple(Encoded(v) for v in values))  # type: ignore[arg-type]
    return root, dict(nodes)


@settings(max_examples=150, deadline=None)
@given(st.lists(st.binary(min_size=1, max_size=120), max_size=300))
def test_root_and_nodes_match_py_evm(values: list[bytes]) -> None:
    assert root_and_nodes(values) == reference(values)


def test_sizes_across_rlp_key_lengths() -> None:
    # keys rlp(i) change length at 1 (0x80 for 0), 128 and 256: cover those edges
    for count in (1, 2, 16, 17, 127, 128, 129, 255, 256, 257, 1000):
        values = [keccak(i.to_bytes(4, "big"))[: 1 + i % 40] for i in range(count)]
        assert root_and_nodes(values) == reference(values), count


def test_empty_and_single_item_roots() -> None:
    assert root_and_nodes([]) == (BLANK_ROOT_HASH, {})
    root, nodes = root_and_nodes([b"\x01"])
    leaf = rlp.encode([b"\x20\x80", b"\x01"])  # hex prefix: even leaf path 0x80 = rlp(0)
    assert root == keccak(leaf)
    assert nodes == {root: leaf}
