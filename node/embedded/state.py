"""State queries at any committed block: accounts, ``eth_call`` and gas estimation."""

from __future__ import annotations

from dataclasses import dataclass
from typing import cast

from eth.abc import AtomicDatabaseAPI, BlockHeaderAPI, ComputationAPI, SignedTransactionAPI, StateAPI
from eth.chains.base import Chain
from eth.exceptions import Revert
from eth.vm.forks.cancun.transactions import CancunTransactionBuilder
from eth.vm.spoof import SpoofTransaction
from eth_typing import Address
from eth_utils.exceptions import ValidationError

_CALL_STIPEND = 2300
_ESTIMATE_ERROR_RATIO = 0.015  # geth's eth_estimateGas stops within 1.5 % of the answer


@dataclass(frozen=True)
class CallRequest:
    """The fields of an ``eth_call`` / ``eth_estimateGas`` request, decoded."""

    sender: Address
    to: Address  # b"" creates a contract
    data: bytes = b""
    value: int = 0
    gas: int | None = None
    gas_price: int | None = None
    max_fee_per_gas: int | None = None
    max_priority_fee_per_gas: int | None = None
    access_list: tuple[tuple[Address, tuple[int, ...]], ...] = ()


@dataclass(frozen=True)
class CallResult:
    """What executing a call did: success, output or revert data, gas."""

    success: bool
    reverted: bool
    output: bytes
    error: str
    gas_used: int  # before refunds, intrinsic gas included


class StateQueries:
    """Reads state at a given header over a read-only view of the store."""

    def __init__(self, *, db: AtomicDatabaseAPI, chain: type[Chain]) -> None:
        self._chain = chain(db)
        self._chain_id = chain.chain_id

    def state_at(self, header: BlockHeaderAPI) -> StateAPI:
        """The state after block ``header``."""
        return self._chain.get_vm(header).state

    def call(self, header: BlockHeaderAPI, request: CallRequest) -> CallResult:
        """Execute ``request`` on the state after ``header``, changing nothing.

        As in geth, a call that names no fee runs with a zero base fee, so any account can
        call; the nonce is always the sender's current one.
        """
        gas = request.gas if request.gas is not None else header.gas_limit
        return self._run(header, request, gas)

    def estimate_gas(self, header: BlockHeaderAPI, request: CallRequest) -> tuple[int, CallResult]:
        """The gas limit ``request`` needs, and the result at the highest limit tried.

        Follows geth's ``eth_estimateGas``: run at the cap, then try the gas used plus the
        63/64 reserve (EIP-150), then bisect until within 1.5 %. A call to an account without
        code runs nothing, so it needs exactly the gas it used (21,000 for a plain transfer).
        When the call fails at the cap, the estimate is 0 and the result says why.
        """
        cap = request.gas if request.gas is not None else header.gas_limit
        at_cap = self._run(header, request, cap)
        if not at_cap.success:
            return 0, at_cap
        if request.to and not self.state_at(header).get_code(request.to):
            return at_cap.gas_used, at_cap
        low = at_cap.gas_used - 1
        high = cap
        optimistic = (at_cap.gas_used + _CALL_STIPEND) * 64 // 63
        if optimistic < high:
            if self._run(header, request, optimistic).success:
                high = optimistic
            else:
                low = optimistic
        while low + 1 < high:
            if (high - low) / high < _ESTIMATE_ERROR_RATIO:
                break
            middle = (low + high) // 2
            if middle > low * 2:
                middle = low * 2  # the answer is usually near the gas used: probe low first
            if self._run(header, request, middle).success:
                high = middle
            else:
                low = middle
        return high, at_cap

    def _run(self, header: BlockHeaderAPI, request: CallRequest, gas: int) -> CallResult:
        fee_free = not (request.gas_price or request.max_fee_per_gas)
        if fee_free:
            header = header.copy(base_fee_per_gas=0)
        vm = self._chain.get_vm(header)
        state = vm.state
        builder = CancunTransactionBuilder
        nonce = state.get_nonce(request.sender)
        if request.gas_price is not None and request.max_fee_per_gas is None:
            unsigned = builder.create_unsigned_transaction(
                nonce=nonce,
                gas_price=request.gas_price,
                gas=gas,
                to=request.to,
                value=request.value,
                data=request.data,
            )
        else:
            max_fee = request.max_fee_per_gas or 0
            unsigned = builder.new_unsigned_dynamic_fee_transaction(
                chain_id=self._chain_id,
                nonce=nonce,
                max_priority_fee_per_gas=min(request.max_priority_fee_per_gas or 0, max_fee),
                max_fee_per_gas=max_fee,
                gas=gas,
                to=request.to,
                value=request.value,
                data=request.data,
                access_list=request.access_list,
            )
        tx = cast(SignedTransactionAPI, SpoofTransaction(unsigned, from_=request.sender))
        if gas < tx.intrinsic_gas:
            return CallResult(
                False, False, b"", f"out of gas: intrinsic gas too low: have {gas}, want {tx.intrinsic_gas}", 0
            )
        try:
            computation: ComputationAPI = state.apply_transaction(tx)
        except ValidationError as exc:  # the call cannot start: value above the balance, ...
            return CallResult(False, False, b"", f"invalid call: {exc}", 0)
        used = gas - computation.get_gas_remaining()
        if computation.is_error:
            error = computation.error
            reverted = isinstance(error, Revert)
            return CallResult(False, reverted, computation.output, _describe(error), used)
        return CallResult(True, False, computation.output, "", used)


def _describe(error: Exception) -> str:
    name = type(error).__name__
    words = "".join(f" {c.lower()}" if c.isupper() else c for c in name).strip()
    return words if not error.args or not isinstance(error.args[0], str) else f"{words}: {error.args[0]}"
