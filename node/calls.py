"""Fast ABI encoding of contract calls.

Selectors and parameter types are derived once from the committed ABI. The batch calls (static
values and arrays of static tuples) are encoded word by word; anything else goes to ``eth_abi``.
For a batch of 100 entries web3's contract-function layer takes about 45 ms, ``eth_abi``
about 3 ms and the direct encoder well under 0.1 ms; tests pin the direct encoder to
``eth_abi``'s output.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import Any

from eth_abi.abi import encode as abi_encode
from eth_utils.crypto import keccak

from node.artifacts import committed
from node.errors import ArtifactError


def _canonical_type(param: dict[str, Any]) -> str:
    t = str(param["type"])
    if t.startswith("tuple"):
        return "(" + ",".join(_canonical_type(c) for c in param["components"]) + ")" + t[5:]
    return t


_Word = Callable[[Any], bytes]


def _word_encoder(abi_type: str) -> _Word | None:
    """Encoder of one static ABI word, or None for a type that is not a single static word."""
    if abi_type == "bytes32":

        def b32(v: Any) -> bytes:
            if not isinstance(v, bytes | bytearray) or len(v) != 32:
                raise ValueError(f"bytes32 needs 32 bytes, got {v!r}")
            return bytes(v)

        return b32
    if abi_type == "address":
        return lambda v: bytes.fromhex(str(v)[2:]).rjust(32, b"\0")
    if abi_type == "bool":
        return lambda v: (b"\0" * 31) + (b"\1" if v else b"\0")
    if abi_type.startswith("uint") and "[" not in abi_type:
        bits = int(abi_type[4:] or 256)

        def uint(v: Any) -> bytes:
            n = int(v)
            if n < 0 or n >> bits:
                raise ValueError(f"{n} does not fit {abi_type}")
            return n.to_bytes(32, "big")

        return uint
    return None


def _static_encoder(abi_type: str) -> Callable[[Any], bytes] | None:
    """Encoder for a static type (a word or a tuple of words); None when not static."""
    if abi_type.startswith("(") and abi_type.endswith(")"):
        members = [_word_encoder(t) for t in _split_tuple(abi_type[1:-1])]
        if any(m is None for m in members):
            return None
        words = [m for m in members if m is not None]
        return lambda v: b"".join(w(x) for w, x in zip(words, v, strict=True))
    return _word_encoder(abi_type)


def _split_tuple(inner: str) -> list[str]:
    parts, depth, start = [], 0, 0
    for i, ch in enumerate(inner):
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        elif ch == "," and depth == 0:
            parts.append(inner[start:i])
            start = i + 1
    parts.append(inner[start:])
    return parts


def _fast_encoder(types: tuple[str, ...]) -> Callable[[tuple[Any, ...]], bytes] | None:
    """A direct encoder for parameter lists of static values and arrays of static elements
    (every batch call of the yrdx contracts); None when some parameter is more complex."""
    plan: list[tuple[bool, Callable[[Any], bytes]]] = []  # (is dynamic array, element/value encoder)
    for t in types:
        if t.endswith("[]"):
            element = _static_encoder(t[:-2])
            if element is None:
                return None
            plan.append((True, element))
        else:
            static = _static_encoder(t)
            if static is None or t.startswith("("):
                return None
            plan.append((False, static))

    def encode(args: tuple[Any, ...]) -> bytes:
        if len(args) != len(plan):
            raise ValueError(f"expected {len(plan)} arguments, got {len(args)}")
        head: list[bytes] = []
        tail: list[bytes] = []
        offset = 32 * len(plan)
        for (dynamic, enc), value in zip(plan, args, strict=True):
            if not dynamic:
                head.append(enc(value))
                continue
            head.append(offset.to_bytes(32, "big"))
            body = len(value).to_bytes(32, "big") + b"".join(enc(v) for v in value)
            tail.append(body)
            offset += len(body)
        return b"".join(head) + b"".join(tail)

    return encode


@dataclass(frozen=True)
class FunctionAbi:
    name: str
    selector: bytes
    types: tuple[str, ...]
    fast: Callable[[tuple[Any, ...]], bytes] | None = None

    def encode(self, *args: Any) -> bytes:
        if self.fast is not None:
            return self.selector + self.fast(args)
        return self.selector + abi_encode(list(self.types), list(args))


@cache
def function_abi(contract: str, function: str) -> FunctionAbi:
    """The selector and parameter types of ``contract.function`` (which must not be overloaded)."""
    matches = [e for e in committed(contract).abi if e.get("type") == "function" and e["name"] == function]
    if len(matches) != 1:
        raise ArtifactError(f"{contract}.{function}: {len(matches)} ABI entries, expected exactly one")
    types = tuple(_canonical_type(p) for p in matches[0]["inputs"])
    return FunctionAbi(function, keccak(text=f"{function}({','.join(types)})")[:4], types, _fast_encoder(types))


def encode_call(contract: str, function: str, *args: Any) -> bytes:
    """Calldata for ``contract.function(*args)``."""
    return function_abi(contract, function).encode(*args)


@dataclass(frozen=True)
class GasModel:
    """An upper bound on the gas of a batch call, so batches need no ``eth_estimateGas`` round trip.

    The bounds sit above the measured costs (publish about 29,000 gas per entry, a status
    change about 9,300) with a margin for calldata variation; unused gas is not charged.
    """

    base: int
    per_item: int

    def limit(self, items: int) -> int:
        return self.base + self.per_item * items


PUBLISH_GAS = GasModel(base=80_000, per_item=32_000)
STATUS_GAS = GasModel(base=60_000, per_item=12_000)
AMEND_GAS = GasModel(base=60_000, per_item=16_000)
RESULTS_GAS = GasModel(base=80_000, per_item=36_000)
RECOGNISE_GAS = GasModel(base=80_000, per_item=60_000)
