"""OAuth 2.0 client credentials with ``private_key_jwt`` assertions (RFC 7523) and access tokens.

A client proves who it is with a JWT it signs with its consortium key (ES256), its certificate
chain in the ``x5c`` header (RFC 7515 section 4.1.6). The gateway validates the chain to the
consortium root and the CRL, checks the claims of RFC 7523 section 3, remembers the ``jti``
and answers with a short-lived access token: a JWT of RFC 9068 (``typ`` ``at+jwt``) signed
by the gateway, naming the client's organisation, role, province and scopes. Every use of a
token checks the client's certificate against the current CRL again, so a revocation cuts
off live tokens at once.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hashlib
import heapq
import json
import secrets
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Protocol

import jwt
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from adapters.core.provinces import Province
from gateway.errors import (
    AssertionAudienceMismatch,
    AssertionExpired,
    AssertionIssuerMismatch,
    AssertionLifetimeExceeded,
    AssertionMalformed,
    AssertionNotYetValid,
    AssertionReplayed,
    AssertionSignatureInvalid,
    BadRequest,
    CertificateMalformed,
    CertificateMissing,
    CertificateRevoked,
    ConfigurationError,
    InsufficientScope,
    RateLimited,
    TokenAudienceMismatch,
    TokenExpired,
    TokenMalformed,
    TokenRevoked,
    TokenSignatureInvalid,
    UnsupportedGrantType,
)
from gateway.pki import Role, TrustStore

GRANT_TYPE = "client_credentials"
CLIENT_ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
MAX_ASSERTION_LIFETIME = dt.timedelta(minutes=5)
MAX_TOKEN_LIFETIME = dt.timedelta(minutes=15)
ACCESS_TOKEN_TYPE = "at+jwt"  # noqa: S105 - a media type (RFC 9068 section 2.1)
_ALGORITHM = "ES256"
_MAX_JWT_CHARS = 16_384
_MAX_JTI_CHARS = 256


class Scope(StrEnum):
    LISTS_SYNC = "lists:sync"
    PACKAGES_READ = "packages:read"
    VERIFY = "verify"
    SUBJECTS_QUERY = "subjects:query"
    HISTORY_READ = "history:read"
    AUDIT_READ = "audit:read"


def scopes_for(role: Role) -> frozenset[Scope]:
    """The scopes a role is granted."""
    if role is Role.PROVINCE:
        return frozenset({Scope.LISTS_SYNC, Scope.PACKAGES_READ, Scope.VERIFY, Scope.SUBJECTS_QUERY})
    if role is Role.AGENCY:
        return frozenset({Scope.VERIFY, Scope.SUBJECTS_QUERY})
    return frozenset({Scope.VERIFY, Scope.HISTORY_READ, Scope.AUDIT_READ})


@dataclass(frozen=True)
class Principal:
    """The client behind a valid access token."""

    client_id: str
    organisation: str
    role: Role
    province: Province | None
    scopes: frozenset[str]
    token_id: str
    certificate_serial: int
    expires_at: dt.datetime

    def require(self, *scopes: str) -> None:
        """Raise ``InsufficientScope`` unless the token grants every one of ``scopes``."""
        missing = sorted(set(scopes) - self.scopes)
        if missing:
            raise InsufficientScope(
                f"expected scope {' '.join(missing)}, the token of {self.client_id} grants "
                f"{' '.join(sorted(self.scopes)) or 'none'}"
            )


@dataclass(frozen=True)
class AccessToken:
    """A successful token response (RFC 6749 section 5.1) and whom it was issued to."""

    access_token: str
    expires_in: int
    scope: str
    principal: Principal
    token_type: str = "Bearer"  # noqa: S105 - RFC 6750

    def response(self) -> dict[str, str | int]:
        """The JSON body of the token response."""
        return {
            "access_token": self.access_token,
            "token_type": self.token_type,
            "expires_in": self.expires_in,
            "scope": self.scope,
        }


class ReplayStore(Protocol):
    """Remembers assertion ids until they expire, so that each is accepted once."""

    def first_use(self, key: str, *, expires_at: dt.datetime, now: dt.datetime) -> bool:
        """Record ``key`` until ``expires_at``; False if it is already recorded and unexpired.
        Must be atomic: of two concurrent calls with one key, one returns False."""
        ...


class MemoryReplayStore:
    """A ``ReplayStore`` in one process: thread-safe, forgets entries once they expire."""

    def __init__(self, *, max_entries: int = 1_000_000) -> None:
        self._max_entries = max_entries
        self._lock = threading.Lock()
        self._expiry: dict[str, dt.datetime] = {}
        self._queue: list[tuple[dt.datetime, str]] = []

    def __len__(self) -> int:
        return len(self._expiry)

    def first_use(self, key: str, *, expires_at: dt.datetime, now: dt.datetime) -> bool:
        with self._lock:
            while self._queue and self._queue[0][0] <= now:
                at, old = heapq.heappop(self._queue)
                if self._expiry.get(old) == at:
                    del self._expiry[old]
            if key in self._expiry:
                return False
            if len(self._expiry) >= self._max_entries:
                raise RateLimited("too many client assertions in flight; try again shortly")
            self._expiry[key] = expires_at
            heapq.heappush(self._queue, (expires_at, key))
            return True


def make_client_assertion(
    key: ec.EllipticCurvePrivateKey,
    chain: Sequence[x509.Certificate],
    *,
    client_id: str,
    audience: str,
    lifetime: dt.timedelta = MAX_ASSERTION_LIFETIME,
    now: dt.datetime | None = None,
) -> str:
    """A client assertion of RFC 7523 section 3 for ``private_key_jwt`` client authentication.

    ES256, the certificate chain (leaf first) in ``x5c``; claims ``iss`` = ``sub`` =
    ``client_id``, ``aud`` = the gateway, ``iat``, ``exp`` = ``iat + lifetime`` and a random
    ``jti``.
    """
    if not dt.timedelta(0) < lifetime <= MAX_ASSERTION_LIFETIME:
        raise ValueError(f"expected a lifetime of at most {MAX_ASSERTION_LIFETIME}, found {lifetime}")
    if not chain:
        raise ValueError("expected the client certificate chain, found none")
    issued = int((now or _now()).timestamp())
    claims = {
        "iss": client_id,
        "sub": client_id,
        "aud": audience,
        "iat": issued,
        "exp": issued + int(lifetime.total_seconds()),
        "jti": secrets.token_urlsafe(24),
    }
    x5c = [base64.b64encode(c.public_bytes(serialization.Encoding.DER)).decode("ascii") for c in chain]
    return jwt.encode(claims, key, algorithm=_ALGORITHM, headers={"x5c": x5c})


class TokenIssuer:
    """The logic behind a gateway's ``POST /oauth/token`` and its bearer-token checks.

    ``gateway_id`` names this gateway: it is the ``aud`` a client assertion must carry (as are
    any of ``audiences``, such as the token endpoint's URL) and the ``iss`` and ``aud`` of the
    access tokens it issues. ``leeway`` absorbs clock skew with clients.
    """

    def __init__(
        self,
        *,
        gateway_id: str,
        signing_key: ec.EllipticCurvePrivateKey,
        trust_store: TrustStore,
        replay_store: ReplayStore,
        clock: Callable[[], dt.datetime] | None = None,
        token_lifetime: dt.timedelta = MAX_TOKEN_LIFETIME,
        audiences: Iterable[str] = (),
        leeway: dt.timedelta = dt.timedelta(seconds=30),
    ) -> None:
        if not dt.timedelta(0) < token_lifetime <= MAX_TOKEN_LIFETIME:
            raise ConfigurationError(
                f"expected a token lifetime of at most {MAX_TOKEN_LIFETIME}, found {token_lifetime}"
            )
        if not dt.timedelta(0) <= leeway <= dt.timedelta(minutes=2):
            raise ConfigurationError(f"expected a leeway of at most 2 minutes, found {leeway}")
        if signing_key.curve.name != "secp256r1":
            raise ConfigurationError(f"expected a P-256 signing key for ES256, found {signing_key.curve.name}")
        self._gateway_id = gateway_id
        self._audiences = frozenset({gateway_id, *audiences})
        self._key = signing_key
        self._public_key = signing_key.public_key()
        self._kid = jwk_thumbprint(self._public_key)
        self._trust = trust_store
        self._replay = replay_store
        self._clock = clock or _now
        self._lifetime = token_lifetime
        self._leeway = leeway

    @property
    def key_id(self) -> str:
        """The ``kid`` of the access tokens: the RFC 7638 thumbprint of the signing key."""
        return self._kid

    def exchange(self, assertion: str, *, grant_type: str, client_assertion_type: str) -> AccessToken:
        """Authenticate a client by its assertion (RFC 7523 sections 2.2 and 3) and issue an
        access token for its role's scopes."""
        if grant_type != GRANT_TYPE:
            raise UnsupportedGrantType(f"expected grant_type {GRANT_TYPE}, found {grant_type!r}")
        if client_assertion_type != CLIENT_ASSERTION_TYPE:
            raise BadRequest(f"expected client_assertion_type {CLIENT_ASSERTION_TYPE}, found {client_assertion_type!r}")
        chain = _x5c(_header(assertion, AssertionMalformed))
        identity = self._trust.verify_chain(chain)
        leaf = x509.load_der_x509_certificate(chain[0])
        claims = _verified_claims(
            assertion, leaf.public_key(), bad_signature=AssertionSignatureInvalid, malformed=AssertionMalformed
        )
        now = self._clock()
        iss, sub = claims.get("iss"), claims.get("sub")
        if iss != identity.client_id or sub != identity.client_id:
            raise AssertionIssuerMismatch(
                f"expected iss and sub {identity.client_id!r} (the certificate's client), "
                f"found iss {iss!r}, sub {sub!r}"
            )
        aud = claims.get("aud")
        if isinstance(aud, list) and len(aud) == 1:
            aud = aud[0]
        if not isinstance(aud, str) or aud not in self._audiences:
            raise AssertionAudienceMismatch(f"expected aud {self._gateway_id!r}, found {aud!r}")
        exp = _time_claim(claims, "exp", AssertionMalformed)
        iat = _time_claim(claims, "iat", AssertionMalformed)
        if exp is None or iat is None:
            raise AssertionMalformed("expected claims exp and iat, found them missing")
        if now > exp + self._leeway:
            raise AssertionExpired(f"the assertion expired at {exp:%Y-%m-%dT%H:%M:%SZ}, it is {now:%Y-%m-%dT%H:%M:%SZ}")
        if exp - now > MAX_ASSERTION_LIFETIME + self._leeway:
            raise AssertionLifetimeExceeded(
                f"expected exp at most {MAX_ASSERTION_LIFETIME} ahead, found {exp - now} ahead"
            )
        nbf = _time_claim(claims, "nbf", AssertionMalformed)
        for name, value in (("iat", iat), ("nbf", nbf)):
            if value is not None and value > now + self._leeway:
                raise AssertionNotYetValid(
                    f"expected {name} not after {now:%Y-%m-%dT%H:%M:%SZ}, found {value:%Y-%m-%dT%H:%M:%SZ}"
                )
        jti = claims.get("jti")
        if not isinstance(jti, str) or not 0 < len(jti) <= _MAX_JTI_CHARS:
            raise AssertionMalformed(f"expected a jti of 1 to {_MAX_JTI_CHARS} characters, found {jti!r}")
        if not self._replay.first_use(f"{identity.client_id} {jti}", expires_at=exp + self._leeway, now=now):
            raise AssertionReplayed(f"the assertion {jti!r} of {identity.client_id} was used before")

        expires = min(now + self._lifetime, identity.not_after)
        scopes = frozenset(str(s) for s in scopes_for(identity.role))
        scope = " ".join(sorted(scopes))
        token_id = secrets.token_urlsafe(24)
        access_claims: dict[str, Any] = {
            "iss": self._gateway_id,
            "aud": self._gateway_id,
            "sub": identity.client_id,
            "client_id": identity.client_id,
            "iat": int(now.timestamp()),
            "exp": int(expires.timestamp()),
            "jti": token_id,
            "scope": scope,
            "org": identity.organisation,
            "role": identity.role.value,
            "province": identity.province.value if identity.province else None,
            "cert": f"{identity.serial:x}",
        }
        token = jwt.encode(
            access_claims, self._key, algorithm=_ALGORITHM, headers={"typ": ACCESS_TOKEN_TYPE, "kid": self._kid}
        )
        principal = Principal(
            client_id=identity.client_id,
            organisation=identity.organisation,
            role=identity.role,
            province=identity.province,
            scopes=scopes,
            token_id=token_id,
            certificate_serial=identity.serial,
            expires_at=dt.datetime.fromtimestamp(access_claims["exp"], dt.UTC),
        )
        return AccessToken(
            access_token=token, expires_in=access_claims["exp"] - access_claims["iat"], scope=scope, principal=principal
        )

    def authenticate(self, access_token: str) -> Principal:
        """The principal of a bearer token this gateway issued (RFC 6750, RFC 9068 section 4):
        signature, ``typ``, issuer, audience, expiry, and the client's certificate not revoked."""
        header = _header(access_token, TokenMalformed)
        if header.get("typ") != ACCESS_TOKEN_TYPE:
            raise TokenMalformed(f"expected typ {ACCESS_TOKEN_TYPE}, found {header.get('typ')!r}")
        if header.get("kid") != self._kid:
            raise TokenSignatureInvalid(
                f"expected a token signed by key {self._kid}, found one naming key {header.get('kid')!r}"
            )
        claims = _verified_claims(
            access_token, self._public_key, bad_signature=TokenSignatureInvalid, malformed=TokenMalformed
        )
        if claims.get("iss") != self._gateway_id or claims.get("aud") != self._gateway_id:
            raise TokenAudienceMismatch(
                f"expected a token issued by and for {self._gateway_id!r}, found iss {claims.get('iss')!r}, "
                f"aud {claims.get('aud')!r}"
            )
        exp = _time_claim(claims, "exp", TokenMalformed)
        now = self._clock()
        if exp is None:
            raise TokenMalformed("expected claim exp, found it missing")
        if now >= exp:
            raise TokenExpired(f"the access token expired at {exp:%Y-%m-%dT%H:%M:%SZ}")
        principal = _principal(claims, exp)
        try:
            self._trust.check_not_revoked(principal.certificate_serial)
        except CertificateRevoked as exc:
            raise TokenRevoked(f"the certificate of {principal.client_id} was revoked: {exc}") from exc
        return principal


def jwk_thumbprint(key: ec.EllipticCurvePublicKey) -> str:
    """The RFC 7638 JWK thumbprint (SHA-256) of a P-256 public key."""
    numbers = key.public_numbers()
    members = {
        "crv": "P-256",
        "kty": "EC",
        "x": _b64url(numbers.x.to_bytes(32, "big")),
        "y": _b64url(numbers.y.to_bytes(32, "big")),
    }
    canonical = json.dumps(members, separators=(",", ":"), sort_keys=True).encode()
    return _b64url(hashlib.sha256(canonical).digest())


def _header(token: str, malformed: type[Exception]) -> Mapping[str, Any]:
    if len(token) > _MAX_JWT_CHARS:
        raise malformed(f"expected a JWT of at most {_MAX_JWT_CHARS} characters, found {len(token)}")
    try:
        header = jwt.get_unverified_header(token)
    except jwt.PyJWTError as exc:
        raise malformed(f"expected a compact JWS: {exc}") from exc
    if header.get("alg") != _ALGORITHM:
        raise malformed(f"expected alg {_ALGORITHM}, found {header.get('alg')!r}")
    if "crit" in header:
        raise malformed(f"expected no critical header parameters, found {header['crit']!r}")
    return header


def _x5c(header: Mapping[str, Any]) -> list[bytes]:
    chain = header.get("x5c")
    if not chain:
        raise CertificateMissing("expected the client certificate chain in the x5c header, found none")
    if not isinstance(chain, list) or not all(isinstance(c, str) for c in chain):
        raise CertificateMalformed("expected x5c to be a list of base64 strings")
    try:
        return [base64.b64decode(c, validate=True) for c in chain]
    except binascii.Error as exc:
        raise CertificateMalformed(f"expected base64 DER certificates in x5c: {exc}") from exc


def _verified_claims(
    token: str, key: Any, *, bad_signature: type[Exception], malformed: type[Exception]
) -> dict[str, Any]:
    try:
        decoded = jwt.api_jws.decode_complete(token, key=key, algorithms=[_ALGORITHM])
    except jwt.InvalidSignatureError as exc:
        raise bad_signature("the JWT's signature does not verify with the expected key") from exc
    except jwt.PyJWTError as exc:
        raise malformed(f"expected a compact JWS: {exc}") from exc
    try:
        claims = json.loads(decoded["payload"])
    except ValueError as exc:
        raise malformed("expected a JSON claims set") from exc
    if not isinstance(claims, dict):
        raise malformed("expected a JSON object as claims set")
    return claims


def _time_claim(claims: Mapping[str, Any], name: str, malformed: type[Exception]) -> dt.datetime | None:
    value = claims.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise malformed(f"expected {name} as NumericDate, found {value!r}")
    try:
        return dt.datetime.fromtimestamp(value, dt.UTC)
    except (OverflowError, OSError, ValueError) as exc:
        raise malformed(f"expected {name} as NumericDate, found {value!r}") from exc


def _principal(claims: Mapping[str, Any], exp: dt.datetime) -> Principal:
    sub, role, scope, cert = (_text(claims, name) for name in ("sub", "role", "scope", "cert"))
    province = claims.get("province")
    if claims.get("client_id") != sub:
        raise TokenMalformed(f"expected client_id equal to sub {sub!r}, found {claims.get('client_id')!r}")
    members = {p.value for p in Province}
    if role not in set(Role) or not (province is None or province in members):
        raise TokenMalformed(f"expected a role and province of the consortium, found {role!r}, {province!r}")
    try:
        serial = int(cert, 16)
    except ValueError as exc:
        raise TokenMalformed(f"expected a hexadecimal certificate serial, found {cert!r}") from exc
    # A role that has since lost a scope loses it on live tokens too.
    granted = frozenset(scope.split()) & {str(s) for s in scopes_for(Role(role))}
    return Principal(
        client_id=sub,
        organisation=_text(claims, "org"),
        role=Role(role),
        province=Province(province) if province else None,
        scopes=granted,
        token_id=_text(claims, "jti"),
        certificate_serial=serial,
        expires_at=exp,
    )


def _text(claims: Mapping[str, Any], name: str) -> str:
    value = claims.get(name)
    if not isinstance(value, str):
        raise TokenMalformed(f"expected claim {name} as a string, found {value!r}")
    return value


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)
