"""Decoding of revert data into typed errors: Solidity custom errors of every yrdx contract,
``Error(string)`` and ``Panic(uint256)``."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any

from eth_abi.abi import decode as abi_decode
from eth_abi.exceptions import DecodingError
from eth_utils.crypto import keccak

from node.artifacts import all_abis
from node.errors import ContractRevert


@dataclass(frozen=True)
class _ErrorAbi:
    name: str
    names: tuple[str, ...]
    types: tuple[str, ...]


def _type_of(param: dict[str, Any]) -> str:
    t = str(param["type"])
    if t.startswith("tuple"):
        inner = ",".join(_type_of(c) for c in param["components"])
        return f"({inner}){t[5:]}"
    return t


@cache
def _selectors() -> dict[bytes, _ErrorAbi]:
    table: dict[bytes, _ErrorAbi] = {
        keccak(text="Error(string)")[:4]: _ErrorAbi("Error", ("message",), ("string",)),
        keccak(text="Panic(uint256)")[:4]: _ErrorAbi("Panic", ("code",), ("uint256",)),
    }
    for entry in all_abis():
        if entry.get("type") != "error":
            continue
        types = tuple(_type_of(p) for p in entry["inputs"])
        signature = f"{entry['name']}({','.join(types)})"
        table[keccak(text=signature)[:4]] = _ErrorAbi(
            entry["name"], tuple(p["name"] or f"arg{i}" for i, p in enumerate(entry["inputs"])), types
        )
    return table


def decode_revert(data: bytes | str | None, *, tx_hash: str | None = None) -> ContractRevert:
    """The typed error for revert ``data`` (bytes or 0x-hex). Unknown data keeps its raw bytes."""
    if isinstance(data, str):
        data = bytes.fromhex(data.removeprefix("0x"))
    data = data or b""
    spec = _selectors().get(data[:4])
    if spec is None:
        return ContractRevert(None, {}, raw=data, tx_hash=tx_hash)
    try:
        values = abi_decode(list(spec.types), data[4:])
    except (DecodingError, ValueError):  # a known selector with a malformed payload
        return ContractRevert(None, {}, raw=data, tx_hash=tx_hash)
    return ContractRevert(spec.name, dict(zip(spec.names, values, strict=True)), raw=data, tx_hash=tx_hash)


def selector(name: str) -> bytes:
    """The 4-byte selector of error ``name`` (first match across the contracts)."""
    for sel, spec in _selectors().items():
        if spec.name == name:
            return sel
    raise KeyError(name)
