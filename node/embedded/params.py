"""Decoding JSON-RPC parameters (execution-apis encodings) into Python values."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from eth_typing import Address

from node.embedded.state import CallRequest
from node.errors import JsonRpcError

INVALID_PARAMS = -32602
BLOCK_TAGS = frozenset({"latest", "earliest", "pending", "safe", "finalized"})


def invalid(message: str) -> JsonRpcError:
    return JsonRpcError(INVALID_PARAMS, f"invalid params: {message}")


def arg(params: Sequence[Any], index: int, name: str, default: Any = ...) -> Any:
    """Positional parameter ``index``; ``default`` when absent (required when not given)."""
    if index < len(params) and params[index] is not None:
        return params[index]
    if default is ...:
        raise invalid(f"missing {name}")
    return default


def quantity(value: Any, name: str) -> int:
    """A QUANTITY: ``0x``-prefixed hex (JSON integers accepted too)."""
    if isinstance(value, bool):
        raise invalid(f"{name} must be a hex quantity")
    if isinstance(value, int):
        if value < 0:
            raise invalid(f"{name} must not be negative")
        return value
    if isinstance(value, str) and value[:2] in ("0x", "0X") and len(value) > 2:
        try:
            return int(value[2:], 16)
        except ValueError:
            pass
    raise invalid(f"{name} must be a hex quantity, got {value!r}")


def data(value: Any, name: str, *, size: int | None = None) -> bytes:
    """DATA: ``0x``-prefixed hex bytes, of exactly ``size`` bytes when given."""
    if not isinstance(value, str) or value[:2] not in ("0x", "0X"):
        raise invalid(f"{name} must be 0x-prefixed hex data")
    try:
        decoded = bytes.fromhex(value[2:])
    except ValueError:
        raise invalid(f"{name} is not valid hex data") from None
    if size is not None and len(decoded) != size:
        raise invalid(f"{name} must be {size} bytes, got {len(decoded)}")
    return decoded


def address(value: Any, name: str) -> Address:
    return Address(data(value, name, size=20))


def hash32(value: Any, name: str) -> bytes:
    return data(value, name, size=32)


def boolean(value: Any, name: str) -> bool:
    if not isinstance(value, bool):
        raise invalid(f"{name} must be true or false")
    return value


@dataclass(frozen=True)
class BlockRef:
    """A block named by tag, number or hash (EIP-1898 objects included)."""

    tag: str | None = None
    number: int | None = None
    hash: bytes | None = None


def block_ref(value: Any, name: str = "block") -> BlockRef:
    """A block parameter: a tag, a hex number, a block hash, or an EIP-1898 object."""
    if isinstance(value, str):
        if value in BLOCK_TAGS:
            return BlockRef(tag=value)
        if len(value) == 66:
            return BlockRef(hash=hash32(value, name))
        return BlockRef(number=quantity(value, name))
    if isinstance(value, int) and not isinstance(value, bool):
        return BlockRef(number=quantity(value, name))
    if isinstance(value, dict):
        if "blockHash" in value:
            return BlockRef(hash=hash32(value["blockHash"], f"{name}.blockHash"))
        if "blockNumber" in value:
            return block_ref(value["blockNumber"], f"{name}.blockNumber")
    raise invalid(f"{name} must be a block tag, number or hash, got {value!r}")


def call_request(value: Any, *, default_sender: Address) -> CallRequest:
    """The transaction object of ``eth_call`` / ``eth_estimateGas``."""
    if not isinstance(value, dict):
        raise invalid("the transaction must be an object")
    if "input" in value and "data" in value and value["input"] != value["data"]:
        raise invalid("both input and data given, and they differ")
    payload = value.get("input", value.get("data"))
    to = value.get("to")
    return CallRequest(
        sender=address(value["from"], "from") if value.get("from") else default_sender,
        to=address(to, "to") if to else Address(b""),
        data=data(payload, "input") if payload is not None else b"",
        value=_optional_quantity(value, "value") or 0,
        gas=_optional_quantity(value, "gas"),
        gas_price=_optional_quantity(value, "gasPrice"),
        max_fee_per_gas=_optional_quantity(value, "maxFeePerGas"),
        max_priority_fee_per_gas=_optional_quantity(value, "maxPriorityFeePerGas"),
        access_list=access_list(value.get("accessList") or []),
    )


def access_list(value: Any) -> tuple[tuple[Address, tuple[int, ...]], ...]:
    """An EIP-2930 access list: ``[{address, storageKeys}]``."""
    if not isinstance(value, list):
        raise invalid("accessList must be a list")
    entries = []
    for item in value:
        if not isinstance(item, dict):
            raise invalid("accessList entries must be objects")
        keys = tuple(int.from_bytes(hash32(k, "storageKey"), "big") for k in item.get("storageKeys", []))
        entries.append((address(item.get("address"), "accessList.address"), keys))
    return tuple(entries)


def _optional_quantity(obj: dict[str, Any], key: str) -> int | None:
    value = obj.get(key)
    return None if value is None else quantity(value, key)
