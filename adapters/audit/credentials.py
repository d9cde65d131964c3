"""The auditor's access tokens: OAuth 2.0 client credentials with a ``private_key_jwt`` client
assertion (RFC 7523 section 2.2), from the credential directory ``yrdx pki issue --role
auditor`` writes (``key.pem``, encrypted PKCS #8; ``chain.pem``, leaf first).

The assertion carries what gateways require: ES256, the chain in ``x5c``, ``iss`` = ``sub`` =
the client id (the leaf certificate's CN), ``aud`` = the gateway's id (from ``/healthz``),
``iat``, ``exp`` at most five minutes later and a random ``jti``. Tokens are renewed shortly
before they expire.
"""

from __future__ import annotations

import base64
import secrets
import threading
import time
from pathlib import Path

import httpx
import jwt
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from adapters.audit.errors import AuditError, GatewayUnreachable

ASSERTION_LIFETIME = 300  # seconds, the most gateways accept
GRANT_TYPE = "client_credentials"
ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
_RENEW_BEFORE = 30.0


class AuditorCredentials:
    """An auditor's key and certificate chain."""

    def __init__(self, key: ec.EllipticCurvePrivateKey, chain: list[x509.Certificate]) -> None:
        if not chain:
            raise AuditError("expected a certificate chain, found none")
        self.key = key
        self.chain = chain
        names = chain[0].subject.get_attributes_for_oid(NameOID.COMMON_NAME)
        if len(names) != 1:
            raise AuditError("expected one CN (the client id) in the auditor's certificate")
        self.client_id = str(names[0].value)

    @classmethod
    def load(cls, directory: Path, *, password: bytes) -> AuditorCredentials:
        try:
            key = serialization.load_pem_private_key((directory / "key.pem").read_bytes(), password)
            chain = x509.load_pem_x509_certificates((directory / "chain.pem").read_bytes())
        except (OSError, ValueError, TypeError) as exc:
            raise AuditError(f"auditor credentials in {directory} cannot be read: {exc}") from exc
        if not isinstance(key, ec.EllipticCurvePrivateKey):
            raise AuditError(f"expected an EC key in {directory / 'key.pem'}, found {type(key).__name__}")
        return cls(key, chain)

    def assertion(self, audience: str) -> str:
        """A fresh RFC 7523 client assertion for the gateway ``audience``."""
        now = int(time.time())
        claims = {
            "iss": self.client_id,
            "sub": self.client_id,
            "aud": audience,
            "iat": now,
            "exp": now + ASSERTION_LIFETIME,
            "jti": secrets.token_urlsafe(24),
        }
        x5c = [base64.b64encode(c.public_bytes(serialization.Encoding.DER)).decode("ascii") for c in self.chain]
        return jwt.encode(claims, self.key, algorithm="ES256", headers={"x5c": x5c})


class TokenSource:
    """Access tokens of one gateway for ``credentials``; call it for a valid token."""

    def __init__(self, base_url: str, credentials: AuditorCredentials, *, http: httpx.Client | None = None) -> None:
        self.base_url = base_url.rstrip("/")
        self.credentials = credentials
        self._http = http or httpx.Client(timeout=30.0)
        self._token: tuple[str, float] | None = None
        self._lock = threading.Lock()

    def __call__(self) -> str:
        with self._lock:
            if self._token is not None and time.monotonic() < self._token[1]:
                return self._token[0]
            try:
                audience = str(self._http.get(self.base_url + "/healthz").json()["gateway"])
                r = self._http.post(
                    self.base_url + "/oauth/token",
                    data={
                        "grant_type": GRANT_TYPE,
                        "client_assertion_type": ASSERTION_TYPE,
                        "client_assertion": self.credentials.assertion(audience),
                    },
                )
                answer = r.json()
            except (httpx.HTTPError, ValueError, KeyError, TypeError) as exc:
                raise GatewayUnreachable(f"no access token from {self.base_url}: {exc}") from exc
            if r.status_code != 200 or "access_token" not in answer:
                raise GatewayUnreachable(f"{self.base_url} refused the auditor's token request: {r.text[:300]}")
            lifetime = float(answer.get("expires_in", 60))
            self._token = (str(answer["access_token"]), time.monotonic() + max(1.0, lifetime - _RENEW_BEFORE))
            return self._token[0]
