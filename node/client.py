"""The ledger client: one interface over web3.py for any Ethereum JSON-RPC endpoint.

Transactions are signed locally with the province's key. Each signed transaction keeps its
raw bytes, so a retry after a lost answer re-sends the *same* transaction (same nonce, same
hash) and can never submit a second one. Calls to the endpoint are retried with exponential
backoff while it is unreachable; a revert comes back as a typed ``ContractRevert`` carrying the
custom error's name and arguments.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

import orjson
import requests
from eth_account.signers.local import LocalAccount
from hexbytes import HexBytes
from web3 import HTTPProvider, Web3
from web3.contract import Contract
from web3.contract.contract import ContractFunction
from web3.exceptions import (
    ContractCustomError,
    ContractLogicError,
    ContractPanicError,
    ProviderConnectionError,
    TransactionNotFound,
    Web3RPCError,
)
from web3.middleware import ExtraDataToPOAMiddleware
from web3.types import BlockIdentifier, TxParams

from node.artifacts import committed
from node.errors import ConfigError, ContractRevert, RpcUnavailable, TransactionFailed
from node.http import rpc_session
from node.reverts import decode_revert

T = TypeVar("T")

_JSON_HEADERS = {"Content-Type": "application/json"}

_TRANSIENT = (
    requests.ConnectionError,
    requests.Timeout,
    requests.exceptions.ChunkedEncodingError,  # the endpoint went away in the middle of an answer
    ProviderConnectionError,
    ConnectionError,
    TimeoutError,
)


# Jitter draws from its own generator: the module-level one belongs to whoever embeds the client.
_JITTER = random.Random()  # noqa: S311 - jitter, not a secret


@dataclass(frozen=True)
class RetryPolicy:
    """Exponential backoff with full jitter for an unreachable endpoint."""

    attempts: int = 10
    initial_delay: float = 0.1
    max_delay: float = 5.0

    def delays(self) -> list[float]:
        return [_JITTER.uniform(0, min(self.max_delay, self.initial_delay * 2**i)) for i in range(self.attempts - 1)]


@dataclass(frozen=True)
class Receipt:
    """What the ledger recorded for a mined transaction."""

    tx_hash: str
    block_number: int
    block_hash: str
    status: int
    gas_used: int
    contract_address: str | None
    logs: list[dict[str, Any]] = field(repr=False)


@dataclass(frozen=True)
class SignedTx:
    """A transaction signed with a reserved nonce; ``raw`` is what gets (re-)sent."""

    sender: str
    nonce: int
    tx_hash: str
    raw: bytes
    to: str | None
    data: bytes
    gas: int


class NonceManager:
    """Hands out consecutive nonces for one sender, starting from the node's pending count.

    A nonce is reserved when a transaction is signed and never handed out twice. When a
    signed transaction is refused by the node for good, the counter is re-read from the
    ledger so no gap blocks the ones after it (``resync``). When another process may have
    signed for the same sender meanwhile, ``catch_up`` has the next reservation skip what the
    node has seen, without handing out again a nonce reserved here and not sent yet.
    """

    def __init__(self, *, fetch: Callable[[], int]) -> None:
        self._fetch = fetch
        self._next: int | None = None
        self._behind = False
        self._lock = threading.Lock()

    def reserve(self) -> int:
        with self._lock:
            if self._next is None:
                self._next = self._fetch()
            elif self._behind:
                self._next = max(self._next, self._fetch())
            self._behind = False
            nonce = self._next
            self._next += 1
            return nonce

    def resync(self) -> None:
        with self._lock:
            self._next = None

    def catch_up(self) -> None:
        """The node may know of nonces this counter has not handed out: look before the next one."""
        with self._lock:
            self._behind = True


class LedgerClient:
    """Reads from and writes to the ledger through one JSON-RPC endpoint.

    ``account`` signs transactions; a client without one can only read. ``confirmations`` is
    the number of blocks that must follow a transaction's block before ``wait`` returns (0 on
    engines with immediate finality such as QBFT or a dev ledger).
    """

    def __init__(
        self,
        *,
        rpc_url: str,
        account: LocalAccount | None = None,
        confirmations: int = 0,
        retry: RetryPolicy | None = None,
        timeout: float = 60.0,
        poll_interval: float = 0.02,
        fee_cache_seconds: float = 5.0,
    ) -> None:
        self.rpc_url = rpc_url
        self.account = account
        self.confirmations = confirmations
        self.retry = retry or RetryPolicy()
        self.poll_interval = poll_interval
        self.timeout = timeout
        self._session = rpc_session(rpc_url)
        self._ids_lock = threading.Lock()
        self._last_id = 0
        self.w3 = Web3(HTTPProvider(rpc_url, request_kwargs={"timeout": timeout}, exception_retry_configuration=None))
        # A QBFT block's extraData (node.besu) is longer than the 32 bytes web3 formats: it is
        # read as ``proofOfAuthorityData``. web3's validation middleware would ask the node for
        # its chain id before every eth_call and eth_estimateGas; transactions are signed here,
        # with the chain id read once, so it has nothing to add. Nor has ENS: addresses are hex.
        for name in ("validation", "ens_name_to_address"):
            self.w3.middleware_onion.remove(name)
        self.w3.middleware_onion.inject(ExtraDataToPOAMiddleware, layer=0)
        self._chain_id: int | None = None
        self._fees: tuple[float, int, int] | None = None  # (fetched at, max fee, priority fee)
        self._fee_cache_seconds = fee_cache_seconds
        self._fee_lock = threading.Lock()
        self.nonces = NonceManager(fetch=self._pending_nonce)

    # -- endpoint -------------------------------------------------------------------------

    def rpc(self, fn: Callable[[], T], *, what: str = "request") -> T:
        """Run ``fn`` (a web3 call), retrying with backoff while the endpoint is unreachable."""
        last: Exception | None = None
        for delay in [*self.retry.delays(), None]:
            try:
                return fn()
            except _TRANSIENT as exc:
                last = exc
                if delay is None:
                    break
                time.sleep(delay)
        raise RpcUnavailable(
            f"ledger endpoint {self.rpc_url} unreachable for {what} after {self.retry.attempts} attempts: {last}"
        ) from last

    def raw_request(self, method: str, params: Sequence[Any]) -> Any:
        """A plain JSON-RPC request, without web3's formatting (a receipt of a batch carries
        hundreds of logs, a batch transaction a hundred kilobytes of hex); RPC errors raise
        ``Web3RPCError``."""
        with self._ids_lock:
            self._last_id += 1
            body = orjson.dumps({"jsonrpc": "2.0", "id": self._last_id, "method": method, "params": list(params)})

        def post() -> Any:
            answer = self._session.post(self.rpc_url, data=body, headers=_JSON_HEADERS, timeout=self.timeout)
            answer.raise_for_status()
            return orjson.loads(answer.content)

        response = self.rpc(post, what=method)
        if "error" in response:
            raise Web3RPCError(str(response["error"]), rpc_response=response)
        return response["result"]

    @property
    def chain_id(self) -> int:
        if self._chain_id is None:
            self._chain_id = int(self.rpc(lambda: self.w3.eth.chain_id, what="eth_chainId"))
        return self._chain_id

    def block_number(self) -> int:
        return int(self.rpc(lambda: self.w3.eth.block_number, what="eth_blockNumber"))

    def block(self, number: BlockIdentifier) -> dict[str, Any]:
        return dict(self.rpc(lambda: self.w3.eth.get_block(number), what="eth_getBlockByNumber"))

    def code_at(self, address: str, block: BlockIdentifier = "latest") -> bytes:
        return bytes(
            self.rpc(lambda: self.w3.eth.get_code(Web3.to_checksum_address(address), block), what="eth_getCode")
        )

    def contract(self, name: str, address: str) -> Contract:
        """A web3 contract object for yrdx contract ``name`` deployed at ``address``."""
        return self.w3.eth.contract(address=Web3.to_checksum_address(address), abi=committed(name).abi)

    # -- reads ----------------------------------------------------------------------------

    def call(self, fn: ContractFunction, *, block: BlockIdentifier = "latest") -> Any:
        """Evaluate a view function; a revert raises ``ContractRevert``."""
        sender: TxParams = {"from": self.account.address} if self.account else {}
        try:
            return self.rpc(lambda: fn.call(sender, block_identifier=block), what=f"call {fn.fn_name}")
        except (ContractCustomError, ContractPanicError, ContractLogicError) as exc:
            raise _revert_of(exc) from exc

    # -- writes ---------------------------------------------------------------------------

    def _signer(self) -> LocalAccount:
        if self.account is None:
            raise ConfigError("this ledger client has no signing key: it can only read")
        return self.account

    def _pending_nonce(self) -> int:
        address = self._signer().address
        return int(
            self.rpc(lambda: self.w3.eth.get_transaction_count(address, "pending"), what="eth_getTransactionCount")
        )

    def _fee_params(self) -> tuple[int, int]:
        with self._fee_lock:
            now = time.monotonic()
            if self._fees is None or now - self._fees[0] > self._fee_cache_seconds:
                latest = self.block("latest")
                base = int(latest.get("baseFeePerGas", 0))
                priority = int(self.rpc(lambda: self.w3.eth.max_priority_fee, what="eth_maxPriorityFeePerGas"))
                self._fees = (now, 2 * base + priority, priority)
            return self._fees[1], self._fees[2]

    def estimate_gas(self, fn: ContractFunction) -> int:
        """Gas for ``fn`` from the signer; a revert raises ``ContractRevert`` before anything is sent."""
        return self.estimate_raw(to=fn.address, data=bytes(HexBytes(fn._encode_transaction_data())))

    def estimate_raw(self, *, to: str | None, data: bytes) -> int:
        """Gas for sending ``data`` to ``to`` (None: contract creation) from the signer."""
        tx: dict[str, Any] = {"from": self._signer().address, "data": data}
        if to is not None:
            tx["to"] = Web3.to_checksum_address(to)
        try:
            return int(self.rpc(lambda: self.w3.eth.estimate_gas(tx), what="eth_estimateGas"))  # type: ignore[arg-type]
        except (ContractCustomError, ContractPanicError, ContractLogicError) as exc:
            raise _revert_of(exc) from exc

    def sign(
        self,
        *,
        to: str | None,
        data: bytes,
        gas: int,
        value: int = 0,
        nonce: int | None = None,
    ) -> SignedTx:
        """Sign a transaction with a freshly reserved nonce (or the given one)."""
        account = self._signer()
        max_fee, priority = self._fee_params()
        nonce = self.nonces.reserve() if nonce is None else nonce
        tx: dict[str, Any] = {
            "type": 2,
            "chainId": self.chain_id,
            "nonce": nonce,
            "gas": gas,
            "maxFeePerGas": max_fee,
            "maxPriorityFeePerGas": priority,
            "value": value,
            "data": data,
        }
        if to is not None:
            tx["to"] = Web3.to_checksum_address(to)
        signed = account.sign_transaction(tx)
        return SignedTx(
            sender=account.address,
            nonce=nonce,
            tx_hash="0x" + bytes(signed.hash).hex(),
            raw=bytes(signed.raw_transaction),
            to=to,
            data=data,
            gas=gas,
        )

    def sign_call(self, fn: ContractFunction, *, gas: int | None = None) -> SignedTx:
        """Sign a contract call; without ``gas`` it is estimated (and a revert raised) first."""
        data = HexBytes(fn._encode_transaction_data())
        return self.sign(to=fn.address, data=bytes(data), gas=gas or _with_margin(self.estimate_gas(fn)))

    def submit(self, tx: SignedTx) -> None:
        """Send ``tx``; safe to repeat. The node already knowing it counts as success."""
        try:
            self.raw_request("eth_sendRawTransaction", ["0x" + tx.raw.hex()])
        except Web3RPCError as exc:
            message = str(exc).lower()
            if "already known" in message or "known transaction" in message or "already imported" in message:
                return
            if "nonce too low" in message or "nonce is too low" in message:
                if self._find_transaction(tx.tx_hash):
                    return
                self.nonces.resync()
                raise TransactionFailed(
                    f"nonce {tx.nonce} of {tx.sender} was used by another transaction", tx_hash=tx.tx_hash
                ) from exc
            self.nonces.resync()
            raise TransactionFailed(f"the ledger refused transaction {tx.tx_hash}: {exc}", tx_hash=tx.tx_hash) from exc

    def _find_transaction(self, tx_hash: str) -> bool:
        try:
            self.rpc(lambda: self.w3.eth.get_transaction(HexBytes(tx_hash)), what="eth_getTransactionByHash")
        except TransactionNotFound:
            return False
        return True

    def receipt(self, tx_hash: str) -> Receipt | None:
        """The receipt of ``tx_hash`` if it is mined, else None.

        Read as plain JSON-RPC: web3's result formatting of a receipt with hundreds of logs
        costs more than the rest of publishing a batch.
        """
        r = self.raw_request("eth_getTransactionReceipt", [tx_hash])
        if r is None:
            return None
        return Receipt(
            tx_hash=r["transactionHash"],
            block_number=int(r["blockNumber"], 16),
            block_hash=r["blockHash"],
            status=int(r["status"], 16),
            gas_used=int(r["gasUsed"], 16),
            contract_address=r.get("contractAddress"),
            logs=r["logs"],
        )

    def wait(self, tx: SignedTx | str, *, timeout: float = 120.0, resend_every: float = 10.0) -> Receipt:
        """Wait for a transaction to be mined with the configured confirmations.

        A signed transaction is re-sent now and then while it is not mined (the node may have
        restarted and lost its pool); re-sending the same bytes cannot duplicate it. A failed
        transaction raises ``ContractRevert`` (decoded by replaying the call at its block) or
        ``TransactionFailed``.
        """
        tx_hash = tx.tx_hash if isinstance(tx, SignedTx) else tx
        deadline = time.monotonic() + timeout
        last_send = time.monotonic()
        while True:
            receipt = self.receipt(tx_hash)
            if receipt is not None and self._confirmed(receipt):
                if receipt.status != 1:
                    raise self._failure(receipt, tx)
                return receipt
            now = time.monotonic()
            if now > deadline:
                raise TransactionFailed(f"transaction {tx_hash} not mined within {timeout:.0f} s", tx_hash=tx_hash)
            if isinstance(tx, SignedTx) and receipt is None and now - last_send > resend_every:
                self.submit(tx)
                last_send = now
            time.sleep(self.poll_interval)

    def _confirmed(self, receipt: Receipt) -> bool:
        return self.confirmations == 0 or self.block_number() >= receipt.block_number + self.confirmations

    def _failure(self, receipt: Receipt, tx: SignedTx | str) -> TransactionFailed:
        if isinstance(tx, SignedTx) and tx.to is not None:
            call = {"from": tx.sender, "to": Web3.to_checksum_address(tx.to), "data": tx.data, "gas": tx.gas}
            try:
                self.rpc(lambda: self.w3.eth.call(call, receipt.block_number - 1), what="replay failed transaction")  # type: ignore[arg-type]
            except (ContractCustomError, ContractPanicError, ContractLogicError) as exc:
                revert = _revert_of(exc)
                return ContractRevert(revert.name, revert.args_by_name, raw=revert.raw, tx_hash=receipt.tx_hash)
            except Web3RPCError:
                pass  # the engine keeps no state for that block: report the failure undecoded
        return TransactionFailed(
            f"transaction {receipt.tx_hash} failed in block {receipt.block_number} (gas used {receipt.gas_used})",
            tx_hash=receipt.tx_hash,
        )

    def transact(self, fn: ContractFunction, *, gas: int | None = None, timeout: float = 120.0) -> Receipt:
        """Sign, send and wait for one contract call."""
        tx = self.sign_call(fn, gas=gas)
        self.submit(tx)
        return self.wait(tx, timeout=timeout)

    def wait_for_endpoint(self, *, timeout: float = 30.0) -> None:
        """Block until the endpoint answers ``eth_chainId`` or raise ``RpcUnavailable``."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                self._chain_id = int(self.w3.eth.chain_id)
                return
            except _TRANSIENT as exc:
                if time.monotonic() > deadline:
                    raise RpcUnavailable(
                        f"ledger endpoint {self.rpc_url} did not answer within {timeout:.0f} s: {exc}"
                    ) from exc
                time.sleep(0.1)


def _with_margin(gas: int) -> int:
    return gas + gas // 5 + 10_000


def _revert_of(exc: ContractLogicError) -> ContractRevert:
    data = exc.data
    if isinstance(data, dict):
        data = data.get("data")
    if not data and exc.message:
        return ContractRevert(None, {"message": exc.message})
    return decode_revert(data)


__all__ = [
    "LedgerClient",
    "NonceManager",
    "Receipt",
    "RetryPolicy",
    "SignedTx",
]
