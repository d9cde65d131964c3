"""A Besu QBFT genesis for a free-gas network on the Cancun rules.

Follows Besu's documentation: "Configure QBFT consensus" (``config.qbft`` with
``blockperiodseconds``, ``epochlength``, ``requesttimeoutseconds``; ``extraData`` of the initial
validators; ``difficulty`` 0x1 and the Istanbul ``mixHash``) and "Configure free gas networks"
(``zeroBaseFee`` from London on, nodes started with ``min-gas-price=0``). Shanghai and Cancun
are active from genesis because the contracts are compiled for ``evmVersion`` cancun.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from node.besu.addresses import parse_address
from node.besu.errors import InvalidNetworkSpec
from node.besu.extra_data import qbft_extra_data

ISTANBUL_MIX_HASH = "0x63746963616c2062797a616e74696e65206661756c7420746f6c6572616e6365"
ZERO_HASH = "0x" + "00" * 32
ZERO_ADDRESS = "0x" + "00" * 20
_BLOCK_FORKS = (
    "homesteadBlock",
    "eip150Block",
    "eip155Block",
    "eip158Block",
    "byzantiumBlock",
    "constantinopleBlock",
    "petersburgBlock",
    "istanbulBlock",
    "berlinBlock",
    "londonBlock",
)
_TIME_FORKS = ("shanghaiTime", "cancunTime")


@dataclass(frozen=True)
class ChainParams:
    """What every node of the network must agree on, besides the validators."""

    chain_id: int = 3134
    block_period_seconds: int = 2
    request_timeout_seconds: int = 4
    epoch_length: int = 30_000
    block_gas_limit: int = 60_000_000

    def __post_init__(self) -> None:
        if not 0 < self.chain_id < 2**63:
            raise InvalidNetworkSpec(f"chain id {self.chain_id} must be positive")
        if self.block_period_seconds < 1:
            raise InvalidNetworkSpec("the block period must be at least 1 second")
        if self.request_timeout_seconds <= self.block_period_seconds:
            raise InvalidNetworkSpec(
                f"the round timeout ({self.request_timeout_seconds} s) must exceed the block period "
                f"({self.block_period_seconds} s); Besu suggests twice the period"
            )
        if self.epoch_length < 1:
            raise InvalidNetworkSpec("the epoch length must be at least 1 block")
        if self.block_gas_limit < 5_000_000:
            raise InvalidNetworkSpec(f"a block gas limit of {self.block_gas_limit} cannot hold a batch of entries")


def qbft_genesis(params: ChainParams, validators: Sequence[str], alloc: Mapping[str, int]) -> dict[str, Any]:
    """The genesis document: ``validators`` in ascending order in ``extraData``, ``alloc`` in wei."""
    if not validators:
        raise InvalidNetworkSpec("a QBFT network needs at least one validator")
    ordered = sorted(validators, key=lambda a: parse_address(a, what="validator"))
    accounts: dict[str, dict[str, str]] = {}
    for address, balance in alloc.items():
        key = "0x" + parse_address(address, what="genesis account").hex()
        if balance < 0:
            raise InvalidNetworkSpec(f"balance of {address} is negative")
        accounts[key] = {"balance": hex(balance)}
    config: dict[str, Any] = {"chainId": params.chain_id}
    config.update(dict.fromkeys(_BLOCK_FORKS, 0))
    config.update(dict.fromkeys(_TIME_FORKS, 0))
    config["zeroBaseFee"] = True
    config["qbft"] = {
        "blockperiodseconds": params.block_period_seconds,
        "epochlength": params.epoch_length,
        "requesttimeoutseconds": params.request_timeout_seconds,
    }
    return {
        "config": config,
        "nonce": "0x0",
        "timestamp": "0x0",
        "extraData": qbft_extra_data(list(ordered)),
        "gasLimit": hex(params.block_gas_limit),
        "difficulty": "0x1",
        "mixHash": ISTANBUL_MIX_HASH,
        "coinbase": ZERO_ADDRESS,
        "baseFeePerGas": "0x0",
        "number": "0x0",
        "gasUsed": "0x0",
        "parentHash": ZERO_HASH,
        "alloc": accounts,
    }


@dataclass(frozen=True)
class FaultTolerance:
    """What a QBFT network of ``validators`` survives (Besu ``BftHelpers``; Besu's QBFT docs).

    ``quorum`` validators must sign each block: ceil(2n/3). ``stopped``: how many may be down
    and blocks still come (n - quorum). ``byzantine``: how many may misbehave without breaking
    safety, floor((n-1)/3).
    """

    validators: int
    quorum: int
    stopped: int
    byzantine: int


def fault_tolerance(validators: int) -> FaultTolerance:
    """The quorum and the faults a network of ``validators`` QBFT validators tolerates."""
    if validators < 1:
        raise InvalidNetworkSpec("a QBFT network needs at least one validator")
    quorum = -(-2 * validators // 3)
    return FaultTolerance(validators, quorum, validators - quorum, (validators - 1) // 3)
