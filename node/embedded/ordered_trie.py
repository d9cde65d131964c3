"""Root and nodes of a block's transaction or receipt trie, built in one pass.

The trie is the Merkle Patricia trie of the Yellow Paper, appendix D, keyed by ``rlp(index)``
(section 4.3: ``transactionsRoot``, ``receiptsRoot``); values are the items' canonical
encodings (EIP-2718 for typed ones). py-evm inserts items one at a time into a ``HexaryTrie``,
which costs about 0.2 ms per item; building it from the sorted keys at once gives the same root
and the same stored nodes for a fraction of that.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import rlp
from eth.constants import BLANK_ROOT_HASH
from eth_typing import Hash32
from eth_utils.crypto import keccak

_Pair = tuple[tuple[int, ...], bytes]


def root_and_nodes(values: Sequence[bytes]) -> tuple[Hash32, dict[Hash32, bytes]]:
    """The root of the trie mapping ``rlp(i)`` to ``values[i]``, and its nodes by hash.

    As py-evm stores them: every node whose encoding is 32 bytes or longer, and the root.
    """
    if not values:
        return BLANK_ROOT_HASH, {}
    pairs = sorted((_nibbles(rlp.encode(index)), value) for index, value in enumerate(values))
    nodes: dict[Hash32, bytes] = {}
    encoded = rlp.encode(_node(pairs, 0, nodes))
    root = Hash32(keccak(encoded))
    nodes[root] = encoded
    return root, nodes


def _node(pairs: list[_Pair], depth: int, nodes: dict[Hash32, bytes]) -> list[Any]:
    """The node for ``pairs`` (sorted, sharing their first ``depth`` nibbles)."""
    if len(pairs) == 1:
        key, value = pairs[0]
        return [_hex_prefix(key[depth:], leaf=True), value]
    shared = _shared_prefix_length(pairs[0][0], pairs[-1][0], depth)
    if shared > depth:
        return [_hex_prefix(pairs[0][0][depth:shared], leaf=False), _reference(_node(pairs, shared, nodes), nodes)]
    branch: list[Any] = [b""] * 17
    start = 0
    if len(pairs[0][0]) == depth:  # a key ending here: its value sits in the branch
        branch[16] = pairs[0][1]
        start = 1
    while start < len(pairs):
        nibble = pairs[start][0][depth]
        end = start + 1
        while end < len(pairs) and pairs[end][0][depth] == nibble:
            end += 1
        branch[nibble] = _reference(_node(pairs[start:end], depth + 1, nodes), nodes)
        start = end
    return branch


def _reference(node: list[Any], nodes: dict[Hash32, bytes]) -> Any:
    """A child as its parent holds it: inline below 32 bytes, else by hash (appendix D, c)."""
    encoded = rlp.encode(node)
    if len(encoded) < 32:
        return node
    digest = Hash32(keccak(encoded))
    nodes[digest] = encoded
    return digest


def _shared_prefix_length(first: tuple[int, ...], last: tuple[int, ...], depth: int) -> int:
    """Sorted keys share with all others what the first shares with the last."""
    limit = min(len(first), len(last))
    position = depth
    while position < limit and first[position] == last[position]:
        position += 1
    return position


def _nibbles(key: bytes) -> tuple[int, ...]:
    return tuple(n for byte in key for n in (byte >> 4, byte & 0x0F))


def _hex_prefix(path: tuple[int, ...], *, leaf: bool) -> bytes:
    """Hex-prefix encoding of a nibble path (Yellow Paper, appendix C)."""
    flag = 2 if leaf else 0
    if len(path) % 2:
        head = bytes([((flag + 1) << 4) | path[0]])
        path = path[1:]
    else:
        head = bytes([flag << 4])
    return head + bytes((path[i] << 4) | path[i + 1] for i in range(0, len(path), 2))
