"""QBFT block header ``extraData`` as Hyperledger Besu encodes it (``QbftExtraDataCodec``).

Besu's QBFT ``extraData`` is ``RLP([vanity, validators, vote, round, seals])``:

- ``vanity``: 32 bytes;
- ``validators``: a list of 20-byte addresses;
- ``vote``: the empty list for no vote, else ``[recipient, 0xff]`` to add and ``[recipient, ""]``
  to drop a validator;
- ``round``: an RLP scalar (``writeIntScalar``): round 0 is the empty string ``0x80``;
- ``seals``: a list of 65-byte signatures (r, s, recovery id).

A genesis block has 32 zero bytes of vanity, the initial validators, no vote, round 0 and no
seals (Besu documentation, "Configure QBFT consensus", section "Extra data"). IBFT 2.0 writes
the round as four bytes and no vote as ``0x80``; that form is not QBFT and is refused here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import rlp
from rlp.exceptions import DecodingError

from node.besu.addresses import checksum, parse_address
from node.besu.errors import InvalidAddress, InvalidExtraData

VANITY_LENGTH = 32
SEAL_LENGTH = 65
MAX_ROUND = 2**31 - 1  # Besu keeps the round in a Java int
_ADD = b"\xff"
_DROP = (b"", b"\x00")


@dataclass(frozen=True)
class Vote:
    """A validator vote carried in a block: add (``add=True``) or drop ``recipient``."""

    recipient: str
    add: bool


@dataclass(frozen=True)
class QbftExtraData:
    """The decoded fields of a QBFT ``extraData``; validators as EIP-55 addresses, in block order."""

    validators: tuple[str, ...]
    vanity: bytes = bytes(VANITY_LENGTH)
    vote: Vote | None = None
    round: int = 0
    seals: tuple[bytes, ...] = ()


def qbft_extra_data(validators: list[str]) -> str:
    """The 0x-hex genesis ``extraData`` for ``validators``, as ``besu rlp encode --type=QBFT_EXTRA_DATA``.

    Addresses keep the order given (Besu's encoder does not sort them; a genesis should list
    them in ascending order). Raises ``InvalidAddress`` for a malformed or repeated address.
    """
    if isinstance(validators, str | bytes):
        raise InvalidAddress("validators: expected a list of addresses, not a single string")
    seen: set[bytes] = set()
    raw: list[bytes] = []
    for i, value in enumerate(validators):
        address = parse_address(value, what=f"validator {i}")
        if address in seen:
            raise InvalidAddress(f"validator {i} {value!r} is listed twice")
        seen.add(address)
        raw.append(address)
    return "0x" + _encode(bytes(VANITY_LENGTH), raw, None, 0, ()).hex()


def encode_extra_data(data: QbftExtraData) -> bytes:
    """``QbftExtraDataCodec.encode`` of ``data`` (every field, seals included)."""
    if len(data.vanity) != VANITY_LENGTH:
        raise InvalidExtraData(f"vanity must be {VANITY_LENGTH} bytes, found {len(data.vanity)}")
    if not 0 <= data.round <= MAX_ROUND:
        raise InvalidExtraData(f"round {data.round} is outside 0..{MAX_ROUND}")
    for i, seal in enumerate(data.seals):
        if len(seal) != SEAL_LENGTH:
            raise InvalidExtraData(f"seal {i} must be {SEAL_LENGTH} bytes, found {len(seal)}")
    validators = [parse_address(v, what=f"validator {i}") for i, v in enumerate(data.validators)]
    return _encode(data.vanity, validators, data.vote, data.round, data.seals)


def decode_extra_data(value: bytes | str) -> QbftExtraData:
    """Decode a QBFT ``extraData`` (bytes or 0x-hex); raises ``InvalidExtraData`` as Besu's decoder would refuse it."""
    raw = _bytes_of(value)
    if not raw:
        raise InvalidExtraData("extraData is empty: BFT extra data required")
    try:
        items = rlp.decode(raw, strict=True)
    except DecodingError as exc:
        raise InvalidExtraData(f"extraData is not canonical RLP: {exc}") from exc
    if not isinstance(items, list) or len(items) != 5:
        raise InvalidExtraData("extraData must be an RLP list of 5 items: vanity, validators, vote, round, seals")
    vanity, validators, vote, round_, seals = items
    if not isinstance(vanity, bytes) or len(vanity) != VANITY_LENGTH:
        raise InvalidExtraData(f"vanity must be {VANITY_LENGTH} bytes")
    return QbftExtraData(
        validators=tuple(_address(v, f"validator {i}") for i, v in enumerate(_list(validators, "validators"))),
        vanity=vanity,
        vote=_vote(vote),
        round=_round(round_),
        seals=tuple(_seal(s, i) for i, s in enumerate(_list(seals, "seals"))),
    )


def _encode(
    vanity: bytes, validators: Sequence[bytes], vote: Vote | None, round_: int, seals: Sequence[bytes]
) -> bytes:
    vote_item: list[bytes] = []
    if vote is not None:
        vote_item = [parse_address(vote.recipient, what="vote recipient"), _ADD if vote.add else b""]
    round_bytes = round_.to_bytes((round_.bit_length() + 7) // 8, "big")  # scalar: 0 is b""
    encoded: bytes = rlp.encode([vanity, list(validators), vote_item, round_bytes, list(seals)])
    return encoded


def _bytes_of(value: bytes | str) -> bytes:
    if isinstance(value, bytes):
        return value
    digits = value[2:] if value[:2] in ("0x", "0X") else value
    try:
        return bytes.fromhex(digits)
    except ValueError as exc:
        raise InvalidExtraData(f"extraData {value[:20]!r}...: not hex") from exc


def _list(item: Any, what: str) -> list[Any]:
    if not isinstance(item, list):
        raise InvalidExtraData(f"{what} must be an RLP list")
    return item


def _address(item: Any, what: str) -> str:
    if not isinstance(item, bytes) or len(item) != 20:
        raise InvalidExtraData(f"{what} must be 20 bytes")
    return checksum(item)


def _vote(item: Any) -> Vote | None:
    fields = _list(item, "vote")
    if not fields:
        return None
    if len(fields) != 2 or not isinstance(fields[1], bytes):
        raise InvalidExtraData("vote must be [recipient, type]")
    recipient = _address(fields[0], "vote recipient")
    if fields[1] == _ADD:
        return Vote(recipient, add=True)
    if fields[1] in _DROP:
        return Vote(recipient, add=False)
    raise InvalidExtraData(f"vote type 0x{fields[1].hex()} is neither add (0xff) nor drop")


def _round(item: Any) -> int:
    if not isinstance(item, bytes):
        raise InvalidExtraData("round must be an RLP scalar, not a list")
    if item[:1] == b"\x00":
        raise InvalidExtraData("round has leading zero bytes: QBFT writes it as a scalar (IBFT 2.0 uses 4 bytes)")
    if len(item) > 4 or int.from_bytes(item, "big") > MAX_ROUND:
        raise InvalidExtraData(f"round 0x{item.hex()} does not fit a 32-bit signed int")
    return int.from_bytes(item, "big")


def _seal(item: Any, i: int) -> bytes:
    if not isinstance(item, bytes) or len(item) != SEAL_LENGTH:
        raise InvalidExtraData(f"seal {i} must be {SEAL_LENGTH} bytes")
    return item
