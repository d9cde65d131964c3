"""A small HTTP client of a gateway's audit endpoints, for the auditor (``audit:read``).

``GET /v1/audit/events``, ``/v1/audit/checkpoints``, ``/v1/audit/proofs/inclusion`` and
``/v1/audit/proofs/consistency``, with a bearer token from ``token()`` (the composition root
hands in a provider that does the RFC 7523 client-credentials exchange). Answers are taken as
data to be checked, never trusted: hex fields are parsed strictly and anything out of shape is
``GatewayUnreachable``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import orjson

from adapters.audit.errors import GatewayUnreachable

_HEX32 = re.compile(r"0x[0-9a-f]{64}")


def unhex32(value: object, what: str) -> bytes:
    if not isinstance(value, str) or not _HEX32.fullmatch(value):
        raise GatewayUnreachable(f"expected {what} as 0x and 64 lower-case hex digits, found {value!r}")
    return bytes.fromhex(value[2:])


@dataclass(frozen=True, slots=True)
class ServedEvent:
    """One event as the gateway serves it: the position it claims, its leaf hash, the event."""

    index: int
    leaf_hash: str
    event: dict[str, Any]


@dataclass(frozen=True, slots=True)
class ServedCheckpoint:
    index: int
    tree_size: int
    root: str


@dataclass(frozen=True, slots=True)
class TreeHead:
    """What the checkpoints endpoint says of the log now and of its anchored checkpoints."""

    stream_id: str
    tree_size: int
    root: str
    checkpoints: list[ServedCheckpoint]


class AuditApi:
    """The audit endpoints of the gateway at ``base_url``."""

    def __init__(
        self,
        base_url: str,
        *,
        token: Callable[[], str],
        http: httpx.Client | None = None,
        page: int = 500,
        timeout: float = 60.0,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self._token = token
        self._http = http or httpx.Client(timeout=timeout)
        self._owns_http = http is None
        self.page = page
        self.requests = 0

    def close(self) -> None:
        if self._owns_http:
            self._http.close()

    def _get(self, path: str, **params: Any) -> dict[str, Any]:
        query = {k: v for k, v in params.items() if v is not None}
        try:
            r = self._http.get(self.base_url + path, params=query, headers={"Authorization": f"Bearer {self._token()}"})
        except httpx.HTTPError as exc:
            raise GatewayUnreachable(f"gateway {self.base_url} unreachable: {exc}") from exc
        self.requests += 1
        if r.status_code != 200:
            raise GatewayUnreachable(f"gateway {self.base_url}{path} answered {r.status_code}: {r.text[:300]}")
        try:
            doc = orjson.loads(r.content)
        except orjson.JSONDecodeError as exc:
            raise GatewayUnreachable(f"gateway {self.base_url}{path} answered no JSON: {exc}") from exc
        if not isinstance(doc, dict):
            raise GatewayUnreachable(f"gateway {self.base_url}{path} answered {str(doc)[:200]}")
        return doc

    def tree_head(self) -> TreeHead:
        """The stream id, the log's size and root now, and every checkpoint the gateway lists."""
        checkpoints: list[ServedCheckpoint] = []
        start: int | None = 0
        doc: dict[str, Any] = {}
        try:
            while start is not None:
                doc = self._get("/v1/audit/checkpoints", start=start, limit=self.page)
                checkpoints += [
                    ServedCheckpoint(int(c["index"]), int(c["tree_size"]), str(c["root"])) for c in doc["checkpoints"]
                ]
                start = doc["next"]
            return TreeHead(str(doc["stream_id"]), int(doc["tree_size"]), str(doc["root"]), checkpoints)
        except (KeyError, TypeError, ValueError) as exc:
            raise GatewayUnreachable(f"gateway {self.base_url}: checkpoints out of shape: {exc!r}") from exc

    def events(self, *, start: int = 0, stop: int | None = None) -> Iterator[ServedEvent]:
        """Events in the order served, from position ``start`` until the log ends or an event at
        position ``stop`` or beyond."""
        cursor: int | None = start
        try:
            while cursor is not None:
                doc = self._get("/v1/audit/events", start=cursor, limit=self.page)
                for item in doc["events"]:
                    served = ServedEvent(int(item["index"]), str(item["leaf_hash"]), dict(item["event"]))
                    if stop is not None and served.index >= stop:
                        return
                    yield served
                cursor = doc["next"]
        except (KeyError, TypeError, ValueError) as exc:
            raise GatewayUnreachable(f"gateway {self.base_url}: events out of shape: {exc!r}") from exc

    def inclusion(self, index: int, tree_size: int) -> tuple[bytes, bytes, list[bytes]]:
        """(leaf hash, root, proof) of leaf ``index`` in the gateway's tree of ``tree_size``."""
        doc = self._get("/v1/audit/proofs/inclusion", index=index, tree_size=tree_size)
        try:
            proof = [unhex32(p, "a proof hash") for p in doc["proof"]]
            return unhex32(doc["leaf_hash"], "a leaf hash"), unhex32(doc["root"], "a root"), proof
        except (KeyError, TypeError) as exc:
            raise GatewayUnreachable(f"gateway {self.base_url}: inclusion proof out of shape: {exc!r}") from exc

    def consistency(self, first: int, second: int) -> tuple[bytes, bytes, list[bytes]]:
        """(first root, second root, proof) of the gateway's tree between two sizes."""
        doc = self._get("/v1/audit/proofs/consistency", first=first, second=second)
        try:
            proof = [unhex32(p, "a proof hash") for p in doc["proof"]]
            return unhex32(doc["first_root"], "a root"), unhex32(doc["second_root"], "a root"), proof
        except (KeyError, TypeError) as exc:
            raise GatewayUnreachable(f"gateway {self.base_url}: consistency proof out of shape: {exc!r}") from exc
