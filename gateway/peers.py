"""``HttpPackageSource``: the adapters' ``PackageSource`` over HTTP, so that a province's
syncer fetches other provinces' record packages from their owners' gateways.

Each owner's gateway is asked in batches (``POST /v1/packages/query``) by a ``GatewayClient``
of its own, holding its own access token for that gateway. Anything that keeps an answer
from arriving (the gateway away, a refusal) raises ``PeerUnavailable`` — a
``ConnectionError`` — which the syncer treats as "ask again later"; what does arrive is checked
against the ledger by the syncer before it is stored.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence

import httpx
import orjson

from adapters.core.errors import PackageInvalid
from adapters.core.package import RecordPackage
from adapters.core.provinces import Province
from adapters.pipeline.packages import Key
from gateway.client import GatewayClient
from gateway.credentials import ClientCredentials
from gateway.errors import GatewayError, PeerUnavailable

BATCH = 500


class HttpPackageSource:
    """Packages from the owners' gateways (``gateways``: province -> base URL)."""

    def __init__(
        self,
        *,
        gateways: Mapping[Province, str],
        credentials: ClientCredentials,
        http: httpx.Client | None = None,
        batch: int = BATCH,
    ) -> None:
        self._urls = dict(gateways)
        self._credentials = credentials
        self._http = http or httpx.Client(timeout=60.0)
        self._batch = batch
        self._clients: dict[Province, GatewayClient] = {}
        self._lock = threading.Lock()

    def packages(self, owner: Province, keys: Sequence[Key]) -> dict[Key, RecordPackage]:
        """The packages of ``keys`` that ``owner``'s gateway serves; missing ones are left out."""
        client = self._client(owner)
        out: dict[Key, RecordPackage] = {}
        for i in range(0, len(keys), self._batch):
            try:
                found, _missing = client.packages(keys[i : i + self._batch])
            except PeerUnavailable:
                raise
            except GatewayError as exc:
                raise PeerUnavailable(f"the gateway of {owner.value} did not serve packages: {exc}") from exc
            for doc in found:
                pkg = RecordPackage.from_json(orjson.dumps(doc))
                if pkg.province is not owner:
                    raise PackageInvalid(f"the gateway of {owner.value} served a package of {pkg.province.value}")
                out[("0x" + pkg.entry_id.hex(), pkg.version)] = pkg
        return out

    def close(self) -> None:
        self._http.close()

    def _client(self, owner: Province) -> GatewayClient:
        with self._lock:
            client = self._clients.get(owner)
            if client is None:
                url = self._urls.get(owner)
                if url is None:
                    raise PeerUnavailable(f"no gateway known for {owner.value}")
                client = GatewayClient(url, credentials=self._credentials, http=self._http)
                self._clients[owner] = client
            return client
