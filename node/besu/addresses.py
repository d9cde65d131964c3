"""Ethereum account addresses as Besu reads them: 20 bytes, hex, ``0x`` optional, EIP-55 if mixed case."""

from __future__ import annotations

import re

from eth_utils.address import to_checksum_address

from node.besu.errors import InvalidAddress

_HEX40 = re.compile(r"[0-9a-fA-F]{40}")


def parse_address(value: str, *, what: str = "address") -> bytes:
    """The 20 bytes of ``value``; a mixed-case address must carry a valid EIP-55 checksum."""
    if not isinstance(value, str):
        raise InvalidAddress(f"{what} {value!r}: expected a hex string")
    digits = value[2:] if value[:2] in ("0x", "0X") else value
    if not _HEX40.fullmatch(digits):
        raise InvalidAddress(f"{what} {value!r}: expected 40 hex digits (20 bytes), optionally after 0x")
    if digits != digits.lower() and digits != digits.upper():
        expected = to_checksum_address("0x" + digits.lower())
        if expected[2:] != digits:
            raise InvalidAddress(f"{what} {value!r}: EIP-55 checksum does not match (expected {expected})")
    return bytes.fromhex(digits)


def checksum(address: bytes) -> str:
    """The EIP-55 form of a 20-byte address."""
    if len(address) != 20:
        raise InvalidAddress(f"expected 20 address bytes, found {len(address)}")
    return to_checksum_address("0x" + address.hex())
