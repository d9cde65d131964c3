"""Reading the ledger's event history: bounded ``eth_getLogs`` pages, fetched in parallel and
decoded in order, without web3's per-log formatting.

Log decoding works straight on the JSON-RPC hex strings. Static ABI words are sliced out of
the data string and converted with one ``int(word, 16)`` each; only the few events with
dynamic fields (``bytes``, arrays) go through ``eth_abi``. ``bytes32`` and ``address`` values
are lower-case ``0x`` hex strings.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import orjson
import requests
from eth_abi.abi import decode as abi_decode
from eth_utils.crypto import keccak

from node.artifacts import committed
from node.client import RetryPolicy
from node.errors import LedgerError, RpcUnavailable
from node.http import rpc_session

_STATIC_INT = ("uint", "int")


@dataclass(frozen=True, slots=True)
class LedgerEvent:
    """One decoded contract event and where it sits in the ledger."""

    contract: str
    name: str
    block_number: int
    tx_index: int
    log_index: int
    tx_hash: str
    args: dict[str, Any]

    @property
    def position(self) -> tuple[int, int]:
        return (self.block_number, self.log_index)


@dataclass(frozen=True, slots=True)
class Page:
    """The events of blocks ``from_block..to_block`` (inclusive), in ledger order."""

    from_block: int
    to_block: int
    events: list[LedgerEvent]


def _canonical_type(param: Mapping[str, Any]) -> str:
    t = str(param["type"])
    if t.startswith("tuple"):
        return "(" + ",".join(_canonical_type(c) for c in param["components"]) + ")" + t[5:]
    return t


def _word_converter(abi_type: str) -> Callable[[str], Any] | None:
    """Converter for one 64-hex-digit ABI word of a static type, or None when not static."""
    if abi_type == "bytes32":
        return lambda w: "0x" + w
    if abi_type == "address":
        return lambda w: "0x" + w[24:]
    if abi_type == "bool":
        return lambda w: w[-1] == "1"
    if abi_type.startswith("uint") and "[" not in abi_type:
        return lambda w: int(w, 16)
    if abi_type.startswith("int") and "[" not in abi_type:
        bits = int(abi_type[3:] or 256)

        def signed(w: str) -> int:
            v = int(w, 16) & ((1 << bits) - 1)
            return v - (1 << bits) if v >> (bits - 1) else v

        return signed
    return None


class _EventDecoder:
    def __init__(self, contract: str, abi: Mapping[str, Any]) -> None:
        self.contract = contract
        self.name = str(abi["name"])
        inputs = abi["inputs"]
        self.topic_fields: list[tuple[str, Callable[[str], Any]]] = []
        data_params = []
        for p in inputs:
            if p["indexed"]:
                conv = _word_converter(_canonical_type(p))
                # dynamic indexed values are hashed into the topic: keep the hash
                self.topic_fields.append((p["name"], conv or (lambda w: "0x" + w)))
            else:
                data_params.append(p)
        self.data_names = [str(p["name"]) for p in data_params]
        self.data_types = [_canonical_type(p) for p in data_params]
        convs = [_word_converter(t) for t in self.data_types]
        self.static: list[Callable[[str], Any]] | None = (
            [c for c in convs if c is not None] if all(c is not None for c in convs) else None
        )

    def decode_args(self, topics: Sequence[str], data: str) -> dict[str, Any]:
        args: dict[str, Any] = {}
        for (name, conv), topic in zip(self.topic_fields, topics[1:], strict=True):
            args[name] = conv(topic[2:])
        if self.static is not None:
            for i, (name, conv) in enumerate(zip(self.data_names, self.static, strict=True)):
                args[name] = conv(data[2 + 64 * i : 66 + 64 * i])
        else:
            values = abi_decode(self.data_types, bytes.fromhex(data[2:]))
            for name, value in zip(self.data_names, values, strict=True):
                args[name] = _plain(value)
        return args


def _plain(value: Any) -> Any:
    if isinstance(value, bytes):
        return "0x" + value.hex()
    if isinstance(value, tuple | list):
        return [_plain(v) for v in value]
    return value


def event_topic(signature_abi: Mapping[str, Any]) -> str:
    types = ",".join(_canonical_type(p) for p in signature_abi["inputs"])
    return "0x" + keccak(text=f"{signature_abi['name']}({types})").hex()


class EventCodec:
    """Decodes the logs of the yrdx contracts at the given addresses."""

    def __init__(self, addresses: Mapping[str, str]) -> None:
        self.addresses = {name: addr.lower() for name, addr in addresses.items()}
        self._by_address = {addr: name for name, addr in self.addresses.items()}
        self._decoders: dict[tuple[str, str], _EventDecoder] = {}
        self.topics: dict[str, dict[str, str]] = {}
        for name in addresses:
            self.topics[name] = {}
            for entry in committed(name).abi:
                if entry.get("type") == "event":
                    topic = event_topic(entry)
                    self._decoders[(name, topic)] = _EventDecoder(name, entry)
                    self.topics[name][entry["name"]] = topic

    def topic(self, contract: str, event: str) -> str:
        return self.topics[contract][event]

    def decode(self, log: Mapping[str, Any]) -> LedgerEvent | None:
        """The event of raw JSON-RPC log ``log``; None for logs of other contracts or removed logs."""
        if log.get("removed"):
            return None
        contract = self._by_address.get(str(log["address"]).lower())
        topics = log["topics"]
        if contract is None or not topics:
            return None
        decoder = self._decoders.get((contract, topics[0]))
        if decoder is None:
            return None
        return LedgerEvent(
            contract=contract,
            name=decoder.name,
            block_number=int(log["blockNumber"], 16),
            tx_index=int(log["transactionIndex"], 16),
            log_index=int(log["logIndex"], 16),
            tx_hash=log["transactionHash"],
            args=decoder.decode_args(topics, log["data"]),
        )


class LogQueryTooLarge(LedgerError):
    """The endpoint refused a log query as too large; the range must be split."""


class EventReader:
    """Pages the event history of the given contracts through ``eth_getLogs``.

    Block ranges of ``chunk_blocks`` are fetched by up to ``parallel`` concurrent requests and
    yielded strictly in order; a range the endpoint refuses as too large is split in halves.
    Only blocks up to ``head - confirmations`` are read. The caller persists ``Page.to_block``
    as its cursor together with whatever it did with the events, and resumes from cursor + 1.
    """

    def __init__(
        self,
        *,
        rpc_url: str,
        codec: EventCodec,
        chunk_blocks: int = 2_000,
        parallel: int = 4,
        confirmations: int = 0,
        retry: RetryPolicy | None = None,
        timeout: float = 120.0,
    ) -> None:
        self.rpc_url = rpc_url
        self.codec = codec
        self.chunk_blocks = chunk_blocks
        self.parallel = parallel
        self.confirmations = confirmations
        self.retry = retry or RetryPolicy()
        self.timeout = timeout
        self._local = threading.local()
        self._ids = iter(range(1, 1 << 62))

    def _session(self) -> requests.Session:
        session: requests.Session | None = getattr(self._local, "session", None)
        if session is None:
            session = rpc_session(self.rpc_url)
            self._local.session = session
        return session

    def request(self, method: str, params: list[Any]) -> Any:
        body = orjson.dumps({"jsonrpc": "2.0", "id": next(self._ids), "method": method, "params": params})
        last: Exception | None = None
        for delay in [*self.retry.delays(), None]:
            try:
                r = self._session().post(
                    self.rpc_url, data=body, headers={"Content-Type": "application/json"}, timeout=self.timeout
                )
                doc = orjson.loads(r.content)
                break
            except (requests.ConnectionError, requests.Timeout, requests.exceptions.ChunkedEncodingError) as exc:
                last = exc
                if delay is None:
                    raise RpcUnavailable(f"ledger endpoint {self.rpc_url} unreachable for {method}: {exc}") from exc
                time.sleep(delay)
        else:  # pragma: no cover - the loop always breaks or raises
            raise RpcUnavailable(str(last))
        if "error" in doc:
            err = doc["error"]
            message = str(err.get("message", err))
            if err.get("code") == -32005 or "too many" in message.lower() or "limit" in message.lower():
                raise LogQueryTooLarge(message)
            raise LedgerError(f"{method} failed: {message}")
        return doc["result"]

    def head(self) -> int:
        return max(int(self.request("eth_blockNumber", []), 16) - self.confirmations, -1)

    def raw_logs(
        self,
        from_block: int,
        to_block: int,
        *,
        topics: Sequence[Any] | None = None,
        addresses: Iterable[str] | None = None,
    ) -> list[dict[str, Any]]:
        """The raw logs of the contracts in ``from_block..to_block``, splitting too-large ranges."""
        params: dict[str, Any] = {
            "fromBlock": hex(from_block),
            "toBlock": hex(to_block),
            "address": list(addresses) if addresses is not None else list(self.codec.addresses.values()),
        }
        if topics is not None:
            params["topics"] = list(topics)
        try:
            logs: list[dict[str, Any]] = self.request("eth_getLogs", [params])
            return logs
        except LogQueryTooLarge:
            if from_block >= to_block:
                raise
            mid = (from_block + to_block) // 2
            return self.raw_logs(from_block, mid, topics=topics, addresses=addresses) + self.raw_logs(
                mid + 1, to_block, topics=topics, addresses=addresses
            )

    def events(self, from_block: int, to_block: int, *, topics: Sequence[Any] | None = None) -> list[LedgerEvent]:
        decode = self.codec.decode
        out = []
        for log in self.raw_logs(from_block, to_block, topics=topics):
            event = decode(log)
            if event is not None:
                out.append(event)
        return out

    def pages(self, from_block: int, to_block: int | None = None) -> Iterator[Page]:
        """Pages of events from ``from_block`` to ``to_block`` (default: the confirmed head)."""
        last = self.head() if to_block is None else to_block
        ranges = [
            (start, min(start + self.chunk_blocks - 1, last))
            for start in range(from_block, last + 1, self.chunk_blocks)
        ]
        if not ranges:
            return
        with ThreadPoolExecutor(max_workers=self.parallel, thread_name_prefix="getlogs") as pool:
            pending: list[tuple[int, int, Future[list[LedgerEvent]]]] = []
            queue = iter(ranges)
            for start, end in queue:
                pending.append((start, end, pool.submit(self.events, start, end)))
                if len(pending) >= self.parallel:
                    break
            while pending:
                start, end, fut = pending.pop(0)
                events = fut.result()
                nxt = next(queue, None)
                if nxt is not None:
                    pending.append((nxt[0], nxt[1], pool.submit(self.events, *nxt)))
                yield Page(start, end, events)
