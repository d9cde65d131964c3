"""Besu node keys: a secp256k1 key pair, its validator address, enode URL and key files.

Besu reads the node key file (``--node-private-key-file``, default ``DATA/key``) as one line
of hex, ``0x`` optional, and writes it ``0x``-prefixed (``KeyPairUtil.storeKeyPair``); the
public key is the 64-byte uncompressed point without the ``04`` prefix; the node's address,
which is its validator address in QBFT, is the last 20 bytes of keccak-256 of the public key.
An enode URL is ``enode://<128 hex public key>@<host>:<port>`` (devp2p), an IPv6 host in brackets.
"""

from __future__ import annotations

import ipaddress
import os
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from eth_keys.datatypes import PrivateKey
from eth_utils.crypto import keccak

from node.besu.addresses import checksum
from node.besu.errors import InvalidNetworkSpec

SECP256K1_N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141
_HEX64 = re.compile(r"[0-9a-fA-F]{64}")


@dataclass(frozen=True)
class NodeKey:
    """A node's secp256k1 key pair; the private key never appears in ``repr``."""

    private_key: bytes = field(repr=False)

    def __post_init__(self) -> None:
        if len(self.private_key) != 32 or not 0 < int.from_bytes(self.private_key, "big") < SECP256K1_N:
            raise InvalidNetworkSpec("a node key must be 32 bytes in 1..n-1 of secp256k1")

    @classmethod
    def generate(cls, randbytes: Callable[[int], bytes] = secrets.token_bytes) -> NodeKey:
        """A fresh key from ``randbytes`` (the OS's CSPRNG by default)."""
        while True:
            candidate = randbytes(32)
            if 0 < int.from_bytes(candidate, "big") < SECP256K1_N:
                return cls(candidate)

    @classmethod
    def from_hex(cls, text: str) -> NodeKey:
        """A key from the hex Besu keeps in its key file (``0x`` optional, surrounding blanks ignored)."""
        digits = text.strip()
        digits = digits[2:] if digits[:2] in ("0x", "0X") else digits
        if not _HEX64.fullmatch(digits):
            raise InvalidNetworkSpec("a node key file holds one line of 64 hex digits")
        return cls(bytes.fromhex(digits))

    @property
    def public_key(self) -> bytes:
        """The 64-byte uncompressed public key (x || y), as in an enode URL."""
        return bytes(PrivateKey(self.private_key).public_key.to_bytes())

    @property
    def address(self) -> str:
        """The node's (validator's) address, EIP-55: keccak-256 of the public key, last 20 bytes."""
        return checksum(keccak(self.public_key)[-20:])

    def enode(self, host: str, port: int) -> str:
        """The enode URL of this node listening on ``host:port``."""
        return enode_url(self.public_key, host, port)

    def write(self, directory: Path) -> None:
        """Write ``key`` (mode 0600, Besu's format) and ``key.pub`` (0644) into ``directory``."""
        _write(directory / "key", "0x" + self.private_key.hex(), 0o600)
        _write(directory / "key.pub", "0x" + self.public_key.hex(), 0o644)


def enode_url(public_key: bytes, host: str, port: int) -> str:
    """``enode://<pubkey>@host:port``; an IPv6 literal goes in brackets."""
    if len(public_key) != 64:
        raise InvalidNetworkSpec(f"an enode public key is 64 bytes, found {len(public_key)}")
    if not 0 < port < 65536:
        raise InvalidNetworkSpec(f"port {port} is outside 1..65535")
    return f"enode://{public_key.hex()}@{url_host(host)}:{port}"


def url_host(host: str) -> str:
    """``host`` as it stands in a URL: an IPv6 literal in brackets."""
    try:
        if ipaddress.ip_address(host).version == 6:
            return f"[{host}]"
    except ValueError:
        pass
    return host


def _write(path: Path, text: str, mode: int) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    with os.fdopen(fd, "w", encoding="ascii") as f:
        os.fchmod(f.fileno(), mode)  # the mode of a file that existed, and past the umask
        f.write(text)
