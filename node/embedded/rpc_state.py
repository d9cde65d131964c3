"""JSON-RPC methods over state: accounts, ``eth_call``, ``eth_estimateGas``, chain facts."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from eth.vm.forks.london.headers import calculate_expected_base_fee_per_gas
from eth_abi.abi import decode as abi_decode
from eth_abi.exceptions import DecodingError
from eth_typing import Address
from lru import LRU

from node.embedded import params as p
from node.embedded import render
from node.embedded.miner import Miner
from node.embedded.state import CallRequest, CallResult
from node.embedded.txpool import TxPool
from node.embedded.view import ChainView
from node.errors import JsonRpcError

EXECUTION_REVERTED = 3
SERVER_ERROR = -32000
PRIORITY_FEE = 10**9  # the tip suggested and filled in: 1 gwei, as anvil
_ERROR_STRING = bytes.fromhex("08c379a0")  # Error(string)
_PANIC = bytes.fromhex("4e487b71")  # Panic(uint256)

Method = Callable[[list[Any]], Any]


class StateMethods:
    """``eth_getBalance``, ``eth_call``, ``eth_estimateGas``, ``eth_chainId``, ..."""

    def __init__(
        self,
        *,
        view: ChainView,
        pool: TxPool,
        miner: Miner,
        accounts: Sequence[bytes],
        client_version: str,
    ) -> None:
        self._view = view
        self._pool = pool
        self._miner = miner
        self._accounts = list(accounts)
        self._client_version = client_version
        self._balances: LRU[bytes, int] = LRU(4096)

    def methods(self) -> dict[str, Method]:
        return {
            "web3_clientVersion": lambda params: self._client_version,
            "net_version": lambda params: str(self._view.chain_id),
            "net_listening": lambda params: True,
            "eth_chainId": lambda params: render.quantity(self._view.chain_id),
            "eth_syncing": lambda params: False,
            "eth_accounts": lambda params: [render.data(a) for a in self._accounts],
            "eth_gasPrice": self.gas_price,
            "eth_maxPriorityFeePerGas": lambda params: render.quantity(PRIORITY_FEE),
            "eth_getBalance": self.get_balance,
            "eth_getCode": self.get_code,
            "eth_getStorageAt": self.get_storage_at,
            "eth_getTransactionCount": self.get_transaction_count,
            "eth_call": self.call,
            "eth_estimateGas": self.estimate_gas,
        }

    def next_base_fee(self) -> int:
        return int(calculate_expected_base_fee_per_gas(self._miner.head))

    def gas_price(self, params: list[Any]) -> str:
        """The next block's base fee plus the suggested tip (anvil's answer)."""
        return render.quantity(self.next_base_fee() + PRIORITY_FEE)

    def get_balance(self, params: list[Any]) -> str:
        account = p.address(p.arg(params, 0, "address"), "address")
        ref = p.block_ref(p.arg(params, 1, "block", "latest"))
        with self._view.read() as snap:
            state = snap.state.state_at(snap.state_header(ref))
            return render.quantity(state.get_balance(account))

    def get_code(self, params: list[Any]) -> str:
        account = p.address(p.arg(params, 0, "address"), "address")
        ref = p.block_ref(p.arg(params, 1, "block", "latest"))
        with self._view.read() as snap:
            state = snap.state.state_at(snap.state_header(ref))
            return render.data(state.get_code(account))

    def get_storage_at(self, params: list[Any]) -> str:
        account = p.address(p.arg(params, 0, "address"), "address")
        slot = p.quantity(p.arg(params, 1, "slot"), "slot")
        ref = p.block_ref(p.arg(params, 2, "block", "latest"))
        with self._view.read() as snap:
            state = snap.state.state_at(snap.state_header(ref))
            return render.data(state.get_storage(account, slot).to_bytes(32, "big"))

    def get_transaction_count(self, params: list[Any]) -> str:
        """The account nonce; at ``pending`` it counts the gap-free queued transactions too."""
        account = p.address(p.arg(params, 0, "address"), "address")
        ref = p.block_ref(p.arg(params, 1, "block", "latest"))
        if ref.tag == "pending":
            return render.quantity(self.pending_nonce(account))
        with self._view.read() as snap:
            state = snap.state.state_at(snap.state_header(ref))
            return render.quantity(state.get_nonce(account))

    def pending_nonce(self, account: Address) -> int:
        return self._pool.pending_nonce(account, committed_nonce=lambda: self.committed_nonce(account))

    def committed_nonce(self, account: Address) -> int:
        """The nonce after the miner's last committed block (no block lookup needed)."""
        with self._view.read() as snap:
            return int(snap.state.state_at(self._miner.head).get_nonce(account))

    def committed_balance(self, account: Address) -> int:
        """The balance after the miner's last committed block; remembered per block, as a
        sender's transactions tend to come in bursts."""
        head = self._miner.head
        key = head.hash + account
        balance = self._balances.get(key)
        if balance is None:
            with self._view.read() as snap:
                balance = int(snap.state.state_at(head).get_balance(account))
            self._balances[key] = balance
        return balance

    def call(self, params: list[Any]) -> str:
        """``eth_call``; a revert answers error code 3 with the revert data (as geth)."""
        request = p.call_request(p.arg(params, 0, "transaction"), default_sender=Address(bytes(20)))
        ref = p.block_ref(p.arg(params, 1, "block", "latest"))
        if len(params) > 2 and params[2]:
            raise p.invalid("state overrides are not supported")
        with self._view.read() as snap:
            result = snap.state.call(snap.state_header(ref), request)
        if not result.success:
            raise failure(result)
        return render.data(result.output)

    def estimate_gas(self, params: list[Any]) -> str:
        request = p.call_request(p.arg(params, 0, "transaction"), default_sender=Address(bytes(20)))
        ref = p.block_ref(p.arg(params, 1, "block", "latest"))
        return render.quantity(self.estimate(request, ref))

    def estimate(self, request: CallRequest, ref: p.BlockRef) -> int:
        with self._view.read() as snap:
            header = snap.state_header(ref)
            gas, result = snap.state.estimate_gas(header, request)
        if not result.success:
            if result.error.startswith("out of gas"):
                cap = request.gas if request.gas is not None else header.gas_limit
                raise JsonRpcError(SERVER_ERROR, f"gas required exceeds allowance ({cap})")
            raise failure(result)
        return gas


def failure(result: CallResult) -> JsonRpcError:
    """The JSON-RPC error for a failed call: code 3 with ``data`` for a revert, as geth."""
    if not result.reverted:
        return JsonRpcError(SERVER_ERROR, result.error or "execution failed")
    return JsonRpcError(EXECUTION_REVERTED, revert_message(result.output), data=render.data(result.output))


def revert_message(output: bytes) -> str:
    """``execution reverted``, with the reason of ``Error(string)``/``Panic(uint256)``."""
    selector, body = output[:4], output[4:]
    try:
        if selector == _ERROR_STRING:
            return f"execution reverted: {abi_decode(['string'], body)[0]}"
        if selector == _PANIC:
            return f"execution reverted: panic code {abi_decode(['uint256'], body)[0]:#x}"
    except DecodingError:
        pass
    if len(output) >= 4:
        return f"execution reverted: custom error 0x{selector.hex()}"
    return "execution reverted"
