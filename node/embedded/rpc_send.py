"""JSON-RPC methods that change the chain: sending transactions and anvil's dev controls."""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from typing import Any

from eth.abc import SignedTransactionAPI
from eth.vm.forks.shanghai.constants import MAX_INITCODE_SIZE
from eth_account.signers.local import LocalAccount
from eth_utils.address import to_checksum_address

from node.embedded import params as p
from node.embedded import render
from node.embedded.chain import VM
from node.embedded.miner import Miner
from node.embedded.rpc_state import PRIORITY_FEE, StateMethods
from node.embedded.txpool import TX_REFUSED, TxPool
from node.embedded.view import ChainView
from node.errors import JsonRpcError, LedgerStoreError

INTERNAL_ERROR = -32603
_BLOB_TX_TYPE = 3

Method = Callable[[list[Any]], Any]


class SendMethods:
    """``eth_sendRawTransaction``, ``eth_sendTransaction``, ``evm_mine``, ``evm_*Time*``."""

    def __init__(
        self,
        *,
        view: ChainView,
        pool: TxPool,
        miner: Miner,
        state: StateMethods,
        accounts: Sequence[LocalAccount],
    ) -> None:
        self._view = view
        self._pool = pool
        self._miner = miner
        self._state = state
        self._keys = {bytes.fromhex(a.address[2:]): a for a in accounts}
        self._send_lock = threading.Lock()

    def methods(self) -> dict[str, Method]:
        return {
            "eth_sendRawTransaction": self.send_raw_transaction,
            "eth_sendTransaction": self.send_transaction,
            "evm_mine": self.evm_mine,
            "evm_increaseTime": self.evm_increase_time,
            "evm_setNextBlockTimestamp": self.evm_set_next_block_timestamp,
        }

    def send_raw_transaction(self, params: list[Any]) -> str:
        """Validate and queue a signed transaction; answer its hash before it is mined."""
        raw = p.data(p.arg(params, 0, "raw transaction"), "raw transaction")
        return render.data(self.admit(self.decode(raw)))

    def send_transaction(self, params: list[Any]) -> str:
        """Sign with an unlocked dev account, filling nonce, gas and fees, then queue."""
        fields = p.arg(params, 0, "transaction")
        if not isinstance(fields, dict) or not fields.get("from"):
            raise p.invalid("the transaction must be an object with from")
        sender = p.address(fields["from"], "from")
        account = self._keys.get(sender)
        if account is None:
            raise JsonRpcError(TX_REFUSED, f"unknown account {render.data(sender)}: not unlocked")
        request = p.call_request(fields, default_sender=sender)
        with self._send_lock:  # so two concurrent sends never pick the same nonce
            nonce = fields.get("nonce")
            tx: dict[str, Any] = {
                "chainId": self._view.chain_id,
                "nonce": p.quantity(nonce, "nonce") if nonce is not None else self._state.pending_nonce(sender),
                "value": request.value,
                "data": request.data,
                "gas": request.gas
                if request.gas is not None
                else self._state.estimate(request, p.BlockRef(tag="latest")),
            }
            if request.to:
                tx["to"] = to_checksum_address(request.to)
            if request.access_list:
                tx["accessList"] = [
                    {"address": to_checksum_address(a), "storageKeys": [k.to_bytes(32, "big") for k in keys]}
                    for a, keys in request.access_list
                ]
            if request.gas_price is not None:
                tx["gasPrice"] = request.gas_price
            else:
                tip = request.max_priority_fee_per_gas
                max_fee = request.max_fee_per_gas
                if max_fee is None:
                    max_fee = 2 * self._state.next_base_fee() + (tip if tip is not None else PRIORITY_FEE)
                tx["maxFeePerGas"] = max_fee
                tx["maxPriorityFeePerGas"] = min(tip if tip is not None else PRIORITY_FEE, max_fee)
                tx["type"] = 2
            signed = account.sign_transaction(tx)
            return render.data(self.admit(self.decode(bytes(signed.raw_transaction))))

    def evm_mine(self, params: list[Any]) -> str:
        """Seal one block now, optionally at a given timestamp (anvil's ``evm_mine``)."""
        when = p.arg(params, 0, "timestamp", None)
        if isinstance(when, dict):
            when = when.get("timestamp")
        if when is not None:
            self._miner.set_next_timestamp(p.quantity(when, "timestamp"))
        self._mine()
        return "0x0"

    def evm_increase_time(self, params: list[Any]) -> str:
        seconds = p.quantity(p.arg(params, 0, "seconds"), "seconds")
        return render.quantity(self._miner.increase_time(seconds))

    def evm_set_next_block_timestamp(self, params: list[Any]) -> None:
        self._miner.set_next_timestamp(p.quantity(p.arg(params, 0, "timestamp"), "timestamp"))

    def decode(self, raw: bytes) -> SignedTransactionAPI:
        if not raw:
            raise p.invalid("empty raw transaction")
        if raw[0] == _BLOB_TX_TYPE:
            raise JsonRpcError(TX_REFUSED, "blob transactions (type 3) are not supported")
        try:
            tx: SignedTransactionAPI = VM.get_transaction_builder().decode(raw)
        except Exception as exc:  # rlp and py-evm raise many kinds for malformed input
            raise p.invalid(f"cannot decode the raw transaction: {exc}") from None
        try:
            tx.validate()
            tx.sender  # noqa: B018 - recovers the signer, raising on a bad signature
        except Exception as exc:
            raise JsonRpcError(TX_REFUSED, f"invalid transaction: {exc}") from None
        return tx

    def admit(self, tx: SignedTransactionAPI) -> bytes:
        """geth's txpool checks against the head, then queue ``tx``; returns its hash."""
        if self._miner.failure is not None:
            raise JsonRpcError(INTERNAL_ERROR, f"the ledger stopped: {self._miner.failure}")
        chain_id = self._view.chain_id
        if tx.chain_id is not None and tx.chain_id != chain_id:
            raise JsonRpcError(TX_REFUSED, f"invalid chain id: transaction has {tx.chain_id}, ledger is {chain_id}")
        if tx.gas < tx.intrinsic_gas:
            raise JsonRpcError(TX_REFUSED, f"intrinsic gas too low: have {tx.gas}, want {tx.intrinsic_gas}")
        gas_limit = self._miner.head.gas_limit
        if tx.gas > gas_limit:
            raise JsonRpcError(TX_REFUSED, f"exceeds block gas limit: {tx.gas} > {gas_limit}")
        if not tx.to and len(tx.data) > MAX_INITCODE_SIZE:
            raise JsonRpcError(TX_REFUSED, f"max initcode size exceeded: {len(tx.data)} > {MAX_INITCODE_SIZE}")
        if tx.max_priority_fee_per_gas > tx.max_fee_per_gas:
            raise JsonRpcError(TX_REFUSED, "max priority fee per gas higher than max fee per gas")
        base_fee = self._state.next_base_fee()
        if tx.max_fee_per_gas < base_fee:
            raise JsonRpcError(
                TX_REFUSED,
                f"max fee per gas less than block base fee: maxFeePerGas {tx.max_fee_per_gas}, baseFee {base_fee}",
            )
        balance = self._state.committed_balance(tx.sender)
        cost = tx.gas * tx.max_fee_per_gas + tx.value
        if balance < cost:
            raise JsonRpcError(
                TX_REFUSED,
                f"insufficient funds for gas * price + value: have {balance} want {cost}",
            )
        sender = tx.sender
        ready = self._pool.add(tx, committed_nonce=lambda: self._state.committed_nonce(sender))
        if ready:
            self._miner.wake()
        return bytes(tx.hash)

    def _mine(self) -> int:
        try:
            return self._miner.mine()
        except LedgerStoreError as exc:
            raise JsonRpcError(INTERNAL_ERROR, f"the ledger stopped: {exc}") from exc
