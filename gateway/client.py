"""``GatewayClient``: a Python client of a province gateway, for every kind of caller, and the
local checks of the audit proofs it fetches.

The client obtains access tokens itself (client credentials with a ``private_key_jwt``
assertion, RFC 7523) and renews them before they expire. Error answers (RFC 9457 problems,
RFC 6749 token errors) raise ``RemoteError`` with the gateway's status, code and reason; a
gateway that cannot be reached raises ``PeerUnavailable``.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import httpx
import orjson

from gateway.audit.events import leaf_bytes
from gateway.credentials import ClientCredentials
from gateway.errors import PeerUnavailable, ProofMismatch, RemoteError
from gateway.tokens import CLIENT_ASSERTION_TYPE, GRANT_TYPE
from node.errors import ProofError
from node.merkle import leaf_hash, verify_consistency, verify_inclusion

_RENEW_BEFORE = 30.0  # seconds


class GatewayClient:
    """Talks to one gateway as the client ``credentials`` name."""

    def __init__(
        self,
        base_url: str,
        *,
        credentials: ClientCredentials,
        audience: str | None = None,
        http: httpx.Client | None = None,
        timeout: float = 30.0,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self._credentials = credentials
        self._audience = audience
        self._http = http or httpx.Client(timeout=timeout)
        self._owns_http = http is None
        self._token: tuple[str, float] | None = None  # (access token, renew after monotonic)
        self._lock = threading.Lock()

    def close(self) -> None:
        if self._owns_http:
            self._http.close()

    def __enter__(self) -> GatewayClient:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    @property
    def client_id(self) -> str:
        return self._credentials.client_id

    # -- tokens -----------------------------------------------------------------------------

    @property
    def audience(self) -> str:
        """The gateway's id (the ``aud`` of assertions); asked of ``/healthz`` unless given."""
        if self._audience is None:
            self._audience = str(self._send("GET", "/healthz").json()["gateway"])
        return self._audience

    def token(self, *, renew: bool = False) -> str:
        """A valid access token, obtained or renewed as needed."""
        with self._lock:
            if not renew and self._token is not None and time.monotonic() < self._token[1]:
                return self._token[0]
            form = {
                "grant_type": GRANT_TYPE,
                "client_assertion_type": CLIENT_ASSERTION_TYPE,
                "client_assertion": self._credentials.assertion(self.audience),
            }
            answer = self._send("POST", "/oauth/token", data=form).json()
            self._token = (answer["access_token"], time.monotonic() + max(1.0, answer["expires_in"] - _RENEW_BEFORE))
            return self._token[0]

    # -- requests ---------------------------------------------------------------------------

    def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        body: bytes | None = None,
    ) -> httpx.Response:
        """An authenticated request; a token the gateway no longer accepts is renewed once."""
        for attempt in (0, 1):
            headers = {"Authorization": f"Bearer {self.token(renew=attempt > 0)}"}
            if body is not None:
                headers["Content-Type"] = "application/json"
            try:
                return self._send(method, path, params=params, content=body, headers=headers)
            except RemoteError as exc:
                if attempt == 0 and exc.status == 401 and exc.reason in ("token_expired", "token_signature_invalid"):
                    continue
                raise
        raise AssertionError("unreachable")  # pragma: no cover

    def _send(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        try:
            response = self._http.request(method, self.base_url + path, **kwargs)
        except httpx.HTTPError as exc:
            raise PeerUnavailable(f"gateway {self.base_url} unreachable: {exc}") from exc
        if response.status_code >= 400:
            raise _remote_error(response)
        return response

    def _json(self, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        doc: dict[str, Any] = orjson.loads(self.request(method, path, **kwargs).content)
        return doc

    # -- the endpoints ----------------------------------------------------------------------

    def health(self) -> dict[str, Any]:
        doc: dict[str, Any] = self._send("GET", "/healthz").json()
        return doc

    def verify(self, package: bytes) -> dict[str, Any]:
        """``POST /v1/verify`` with a record package (its JSON bytes)."""
        return self._json("POST", "/v1/verify", body=package)

    def subject(self, subject_id: str, *, purpose: str, authorisation: str) -> dict[str, Any]:
        params = {"purpose": purpose, "authorisation": authorisation}
        return self._json("GET", f"/v1/subjects/{subject_id}/entries", params=params)

    def access_log(
        self, subject_id: str, *, purpose: str, authorisation: str, start: int = 0, limit: int = 100
    ) -> dict[str, Any]:
        params = {"purpose": purpose, "authorisation": authorisation, "start": start, "limit": limit}
        return self._json("GET", f"/v1/subjects/{subject_id}/access-log", params=params)

    def package(self, entry_id: str, version: int | None = None) -> bytes:
        params = {"version": version} if version is not None else None
        return self.request("GET", f"/v1/packages/{entry_id}", params=params).content

    def packages(self, keys: Sequence[tuple[str, int]]) -> tuple[list[dict[str, Any]], list[tuple[str, int]]]:
        """``POST /v1/packages/query``: the packages found (as JSON objects) and the keys missing."""
        body = orjson.dumps({"keys": [{"entry_id": rid, "version": v} for rid, v in keys]})
        doc = self._json("POST", "/v1/packages/query", body=body)
        return list(doc["packages"]), [(m["entry_id"], int(m["version"])) for m in doc["missing"]]

    def history(self, entry_id: str, *, start: int = 0, limit: int = 100) -> dict[str, Any]:
        return self._json("GET", f"/v1/entries/{entry_id}/history", params={"start": start, "limit": limit})

    def audit_events(self, *, start: int = 0, limit: int = 100) -> dict[str, Any]:
        return self._json("GET", "/v1/audit/events", params={"start": start, "limit": limit})

    def iter_audit_events(self, *, start: int = 0, page: int = 500) -> Iterator[dict[str, Any]]:
        """Every audit event from ``start`` on, page by page."""
        cursor: int | None = start
        while cursor is not None:
            doc = self.audit_events(start=cursor, limit=page)
            yield from doc["events"]
            cursor = doc["next"]

    def checkpoints(self, *, start: int = 0, limit: int = 100) -> dict[str, Any]:
        return self._json("GET", "/v1/audit/checkpoints", params={"start": start, "limit": limit})

    def inclusion_proof(self, index: int, tree_size: int | None = None) -> dict[str, Any]:
        params: dict[str, int] = {"index": index}
        if tree_size is not None:
            params["tree_size"] = tree_size
        return self._json("GET", "/v1/audit/proofs/inclusion", params=params)

    def consistency_proof(self, first: int, second: int | None = None) -> dict[str, Any]:
        params: dict[str, int] = {"first": first}
        if second is not None:
            params["second"] = second
        return self._json("GET", "/v1/audit/proofs/consistency", params=params)


# -- local checks -------------------------------------------------------------------------------


def check_inclusion(
    answer: Mapping[str, Any], *, event: Mapping[str, Any] | None = None, root: bytes | None = None
) -> None:
    """Check an inclusion proof answer locally (RFC 9162 section 2.1.3.2). With ``event``, its
    leaf hash is recomputed from its RFC 8785 JSON; with ``root`` (from an anchored
    checkpoint, say), the proof must lead to that root rather than the one the gateway gave.
    Raises ``ProofMismatch``."""
    given = _unhex(answer["leaf_hash"])
    if event is not None:
        computed = leaf_hash(leaf_bytes(dict(event)))
        if computed != given:
            raise ProofMismatch(f"the event hashes to {computed.hex()}, the gateway gave leaf hash {given.hex()}")
    try:
        verify_inclusion(
            given,
            int(answer["index"]),
            int(answer["tree_size"]),
            [_unhex(p) for p in answer["proof"]],
            root if root is not None else _unhex(answer["root"]),
        )
    except ProofError as exc:
        raise ProofMismatch(str(exc)) from exc


def check_consistency(
    answer: Mapping[str, Any], *, first_root: bytes | None = None, second_root: bytes | None = None
) -> None:
    """Check a consistency proof answer locally (RFC 9162 section 2.1.4.2), against the roots
    given (anchored checkpoints, say) or else the ones in the answer. Raises ``ProofMismatch``."""
    try:
        verify_consistency(
            int(answer["first"]),
            int(answer["second"]),
            [_unhex(p) for p in answer["proof"]],
            first_root if first_root is not None else _unhex(answer["first_root"]),
            second_root if second_root is not None else _unhex(answer["second_root"]),
        )
    except ProofError as exc:
        raise ProofMismatch(str(exc)) from exc


def _unhex(value: str) -> bytes:
    return bytes.fromhex(value[2:] if value.startswith("0x") else value)


def _remote_error(response: httpx.Response) -> RemoteError:
    try:
        doc = orjson.loads(response.content)
    except orjson.JSONDecodeError:
        doc = {}
    if not isinstance(doc, dict):
        doc = {}
    if "error" in doc:  # RFC 6749 section 5.2
        code = str(doc["error"])
        return RemoteError(str(doc.get("error_description", code)), status=response.status_code, code=code, reason=code)
    return RemoteError(
        str(doc.get("detail", response.reason_phrase)),
        status=response.status_code,
        code=str(doc.get("code", "server_error")),
        reason=str(doc.get("reason", "remote_error")),
    )
