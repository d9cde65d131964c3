"""gateway.tokens: RFC 7523 client assertions in, access tokens out, and every way to be refused."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import re
import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jwt
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from adapters.core.provinces import Province
from gateway import errors, pki, tokens

NOW = dt.datetime(2030, 3, 1, 8, 0, tzinfo=dt.UTC)
GATEWAY = "gateway-zj"
ASSERTION_TYPE = tokens.CLIENT_ASSERTION_TYPE


class Clock:
    def __init__(self, now: dt.datetime) -> None:
        self.now = now

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += dt.timedelta(seconds=seconds)


@dataclass
class Client:
    key: ec.EllipticCurvePrivateKey
    cert: x509.Certificate
    chain: list[x509.Certificate]

    @property
    def client_id(self) -> str:
        return pki.identity_of(self.cert).client_id


@dataclass
class Consortium:
    ca: pki.CertificateAuthority
    directory: Path
    clock: Clock

    def client(
        self,
        role: pki.Role = pki.Role.AGENCY,
        province: Province | None = None,
        *,
        organisation: str = "征信示范机构有限公司",
        validity: dt.timedelta = dt.timedelta(days=365),
    ) -> Client:
        key = pki.generate_key()
        cert = self.ca.issue(
            key.public_key(),
            organisation=organisation,
            role=role,
            province=province,
            validity=validity,
            now=self.clock.now,
        )
        return Client(key=key, cert=cert, chain=[cert, self.ca.certificate])

    def revoke(self, client: Client) -> None:
        assert pki.revoke(self.ca, self.directory, client.cert, now=self.clock.now)

    def trust_store(self) -> pki.TrustStore:
        return pki.TrustStore(root=self.ca.certificate, crl_path=self.directory / pki.CRL_FILE, clock=self.clock)


@pytest.fixture
def clock() -> Clock:
    return Clock(NOW)


@pytest.fixture
def consortium(tmp_path: Path, clock: Clock) -> Consortium:
    ca = pki.init_ca(tmp_path / "ca", password=b"consortium root password", now=NOW, kdf_iterations=1000)
    return Consortium(ca=ca, directory=tmp_path / "ca", clock=clock)


def make_issuer(consortium: Consortium, gateway_id: str = GATEWAY, **kwargs: Any) -> tokens.TokenIssuer:
    options: dict[str, Any] = {
        "signing_key": pki.generate_key(),
        "trust_store": consortium.trust_store(),
        "replay_store": tokens.MemoryReplayStore(),
        "clock": consortium.clock,
    }
    return tokens.TokenIssuer(gateway_id=gateway_id, **{**options, **kwargs})


@pytest.fixture
def issuer(consortium: Consortium) -> tokens.TokenIssuer:
    return make_issuer(consortium)


@pytest.fixture
def agency(consortium: Consortium) -> Client:
    return consortium.client()


def assertion_for(client: Client, clock: Clock, *, audience: str = GATEWAY, **kwargs: Any) -> str:
    return tokens.make_client_assertion(
        client.key, client.chain, client_id=client.client_id, audience=audience, now=clock.now, **kwargs
    )


def forge(
    client: Client,
    clock: Clock,
    *,
    claims: dict[str, Any] | None = None,
    drop: tuple[str, ...] = (),
    headers: dict[str, Any] | None = None,
    key: ec.EllipticCurvePrivateKey | None = None,
) -> str:
    """An assertion with chosen claims and headers (the x5c of ``client`` unless replaced)."""
    iat = int(clock.now.timestamp())
    body: dict[str, Any] = {
        "iss": client.client_id,
        "sub": client.client_id,
        "aud": GATEWAY,
        "iat": iat,
        "exp": iat + 120,
        "jti": secrets.token_urlsafe(12),
    }
    body.update(claims or {})
    for name in drop:
        body.pop(name)
    x5c = [base64.b64encode(c.public_bytes(serialization.Encoding.DER)).decode() for c in client.chain]
    head: dict[str, Any] = {"x5c": x5c}
    head.update(headers or {})
    head = {k: v for k, v in head.items() if v is not None}
    return jwt.encode(body, key or client.key, algorithm="ES256", headers=head)


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def exchange(issuer: tokens.TokenIssuer, assertion: str) -> tokens.AccessToken:
    return issuer.exchange(assertion, grant_type="client_credentials", client_assertion_type=ASSERTION_TYPE)


def refused(
    call: Callable[[], object], kind: type[errors.GatewayError], code: str, status: int, match: str = ""
) -> errors.GatewayError:
    """The error ``call`` raises: exactly ``kind``, with the HTTP ``status`` and ``code`` given."""
    with pytest.raises(kind, match=re.escape(match) if match else None) as info:
        call()
    assert type(info.value) is kind
    assert (info.value.code, info.value.status) == (code, status)
    return info.value


def unverified(token: str) -> tuple[dict[str, Any], dict[str, Any]]:
    header = jwt.get_unverified_header(token)
    claims = jwt.decode(token, options={"verify_signature": False})
    return header, claims


# -- the happy path


@pytest.mark.parametrize(
    ("role", "province", "scopes"),
    [
        (pki.Role.PROVINCE, Province.ZJ, {"lists:sync", "packages:read", "verify", "subjects:query"}),
        (pki.Role.AGENCY, None, {"verify", "subjects:query"}),
        (pki.Role.AUDITOR, None, {"verify", "history:read", "audit:read"}),
    ],
)
def test_each_role_gets_its_scopes(
    consortium: Consortium,
    issuer: tokens.TokenIssuer,
    clock: Clock,
    role: pki.Role,
    province: Province | None,
    scopes: set[str],
) -> None:
    client = consortium.client(role, province, organisation="上海市公共信用信息服务中心")
    granted = exchange(issuer, assertion_for(client, clock))
    assert granted.response() == {
        "access_token": granted.access_token,
        "token_type": "Bearer",
        "expires_in": 900,
        "scope": " ".join(sorted(scopes)),
    }
    principal = issuer.authenticate(granted.access_token)
    assert principal == granted.principal
    assert principal == tokens.Principal(
        client_id=client.client_id,
        organisation="上海市公共信用信息服务中心",
        role=role,
        province=province,
        scopes=frozenset(scopes),
        token_id=principal.token_id,
        certificate_serial=client.cert.serial_number,
        expires_at=NOW + dt.timedelta(minutes=15),
    )
    assert tokens.scopes_for(role) == scopes


def test_the_access_token_is_an_rfc_9068_jwt(issuer: tokens.TokenIssuer, agency: Client, clock: Clock) -> None:
    granted = exchange(issuer, assertion_for(agency, clock))
    header, claims = unverified(granted.access_token)
    assert header == {"alg": "ES256", "typ": "at+jwt", "kid": issuer.key_id}
    assert claims == {
        "iss": GATEWAY,
        "aud": GATEWAY,
        "sub": agency.client_id,
        "client_id": agency.client_id,
        "iat": int(NOW.timestamp()),
        "exp": int(NOW.timestamp()) + 900,
        "jti": granted.principal.token_id,
        "scope": "subjects:query verify",
        "org": "征信示范机构有限公司",
        "role": "agency",
        "province": None,
        "cert": f"{agency.cert.serial_number:x}",
    }


def test_the_client_assertion_follows_rfc_7523(agency: Client, clock: Clock) -> None:
    one, two = assertion_for(agency, clock), assertion_for(agency, clock, lifetime=dt.timedelta(seconds=60))
    header, claims = unverified(one)
    assert header["alg"] == "ES256"
    assert [base64.b64decode(c) for c in header["x5c"]] == [
        c.public_bytes(serialization.Encoding.DER) for c in agency.chain
    ]
    assert claims["iss"] == claims["sub"] == agency.client_id
    assert claims["aud"] == GATEWAY
    assert claims["exp"] - claims["iat"] == 300
    assert unverified(two)[1]["exp"] - unverified(two)[1]["iat"] == 60
    assert claims["jti"] != unverified(two)[1]["jti"]
    jwt.decode(
        one,
        agency.key.public_key(),
        algorithms=["ES256"],
        audience=GATEWAY,
        options={"verify_exp": False, "verify_iat": False},
    )
    with pytest.raises(ValueError, match="at most 0:05:00"):
        assertion_for(agency, clock, lifetime=dt.timedelta(seconds=301))


def test_a_token_lives_no_longer_than_the_certificate(consortium: Consortium, issuer: tokens.TokenIssuer) -> None:
    client = consortium.client(validity=dt.timedelta(minutes=10))
    granted = exchange(issuer, assertion_for(client, consortium.clock))
    assert granted.expires_in == 10 * 60
    assert granted.principal.expires_at == client.cert.not_valid_after_utc


def test_other_names_of_the_gateway_are_accepted_as_audience(consortium: Consortium, agency: Client) -> None:
    url = "https://zj.yrdx.example/oauth/token"
    issuer = make_issuer(consortium, audiences=[url])
    exchange(issuer, assertion_for(agency, consortium.clock, audience=url))
    exchange(issuer, forge(agency, consortium.clock, claims={"aud": [GATEWAY], "jti": "as-a-list"}))


# -- the refusal matrix: client authentication


def test_a_forged_signature_is_refused(issuer: tokens.TokenIssuer, agency: Client, clock: Clock) -> None:
    forged = forge(agency, clock, key=pki.generate_key())  # the x5c of the agency, another key
    refused(lambda: exchange(issuer, forged), errors.AssertionSignatureInvalid, "invalid_client", 401)


def test_an_expired_assertion_is_refused(issuer: tokens.TokenIssuer, agency: Client, clock: Clock) -> None:
    late = assertion_for(agency, clock)
    on_time = assertion_for(agency, clock)
    clock.advance(300 + 30)  # exp, plus the leeway for clock skew
    exchange(issuer, on_time)
    clock.advance(1)
    refused(lambda: exchange(issuer, late), errors.AssertionExpired, "invalid_client", 401, "expired at")


def test_an_assertion_valid_too_long_is_refused(issuer: tokens.TokenIssuer, agency: Client, clock: Clock) -> None:
    far = int(clock.now.timestamp()) + 600
    refused(
        lambda: exchange(issuer, forge(agency, clock, claims={"exp": far})),
        errors.AssertionLifetimeExceeded,
        "invalid_client",
        401,
        "expected exp at most 0:05:00 ahead, found 0:10:00 ahead",
    )


def test_an_assertion_for_another_gateway_is_refused(issuer: tokens.TokenIssuer, agency: Client, clock: Clock) -> None:
    refused(
        lambda: exchange(issuer, assertion_for(agency, clock, audience="gateway-sh")),
        errors.AssertionAudienceMismatch,
        "invalid_client",
        401,
        "expected aud 'gateway-zj', found 'gateway-sh'",
    )
    both = forge(agency, clock, claims={"aud": [GATEWAY, "gateway-sh"]})
    refused(lambda: exchange(issuer, both), errors.AssertionAudienceMismatch, "invalid_client", 401)


def test_a_replayed_assertion_is_refused(issuer: tokens.TokenIssuer, agency: Client, clock: Clock) -> None:
    once = assertion_for(agency, clock)
    exchange(issuer, once)
    clock.advance(10)
    refused(lambda: exchange(issuer, once), errors.AssertionReplayed, "invalid_client", 401, "was used before")


def test_jtis_are_single_use_per_client(consortium: Consortium, issuer: tokens.TokenIssuer) -> None:
    one, two = consortium.client(organisation="甲"), consortium.client(organisation="乙")
    clock = consortium.clock
    exchange(issuer, forge(one, clock, claims={"jti": "same"}))
    exchange(issuer, forge(two, clock, claims={"jti": "same"}))
    refused(
        lambda: exchange(issuer, forge(one, clock, claims={"jti": "same"})),
        errors.AssertionReplayed,
        "invalid_client",
        401,
    )


def test_an_assertion_without_x5c_is_refused(issuer: tokens.TokenIssuer, agency: Client, clock: Clock) -> None:
    refused(
        lambda: exchange(issuer, forge(agency, clock, headers={"x5c": None})),
        errors.CertificateMissing,
        "invalid_client",
        401,
    )
    refused(
        lambda: exchange(issuer, forge(agency, clock, headers={"x5c": ["not base64!"]})),
        errors.CertificateMalformed,
        "invalid_client",
        401,
    )
    refused(
        lambda: exchange(issuer, forge(agency, clock, headers={"x5c": [base64.b64encode(b"not DER").decode()]})),
        errors.CertificateMalformed,
        "invalid_client",
        401,
    )


def test_a_certificate_from_another_ca_is_refused(issuer: tokens.TokenIssuer, clock: Clock, tmp_path: Path) -> None:
    # A CA with the very same name as the consortium root, but another key.
    other = Consortium(ca=pki.CertificateAuthority.create(now=NOW), directory=tmp_path, clock=clock)
    stranger = other.client()
    refused(
        lambda: exchange(issuer, assertion_for(stranger, clock)),
        errors.CertificateUntrusted,
        "invalid_client",
        401,
    )


def test_an_expired_certificate_is_refused(consortium: Consortium, issuer: tokens.TokenIssuer) -> None:
    client = consortium.client(validity=dt.timedelta(days=1))
    consortium.clock.advance(2 * 86400)
    refused(
        lambda: exchange(issuer, assertion_for(client, consortium.clock)),
        errors.CertificateExpired,
        "invalid_client",
        401,
    )


def test_a_revocation_stops_new_and_live_tokens_without_a_restart(
    consortium: Consortium, issuer: tokens.TokenIssuer, clock: Clock
) -> None:
    bad, good = consortium.client(organisation="甲"), consortium.client(organisation="乙")
    live = exchange(issuer, assertion_for(bad, clock)).access_token
    other = exchange(issuer, assertion_for(good, clock)).access_token
    issuer.authenticate(live)

    consortium.revoke(bad)  # only crl.pem changes: the issuer and its trust store stay as they are

    refused(lambda: exchange(issuer, assertion_for(bad, clock)), errors.CertificateRevoked, "invalid_client", 401)
    refused(lambda: issuer.authenticate(live), errors.TokenRevoked, "invalid_token", 401, "was revoked")
    assert issuer.authenticate(other).client_id == good.client_id
    exchange(issuer, assertion_for(good, clock))


@pytest.mark.parametrize(
    ("claims", "drop", "kind", "match"),
    [
        ({"iss": "agency-someone-else"}, (), errors.AssertionIssuerMismatch, "expected iss and sub"),
        ({"sub": "agency-someone-else"}, (), errors.AssertionIssuerMismatch, "expected iss and sub"),
        ({"iat": +60}, (), errors.AssertionNotYetValid, "expected iat not after"),
        ({"nbf": +60}, (), errors.AssertionNotYetValid, "expected nbf not after"),
        ({}, ("exp",), errors.AssertionMalformed, "expected claims exp and iat"),
        ({}, ("iat",), errors.AssertionMalformed, "expected claims exp and iat"),
        ({}, ("jti",), errors.AssertionMalformed, "expected a jti"),
        ({"jti": "x" * 257}, (), errors.AssertionMalformed, "expected a jti"),
        ({"exp": "tomorrow"}, (), errors.AssertionMalformed, "NumericDate"),
    ],
)
def test_claims_that_do_not_fit_are_refused(
    issuer: tokens.TokenIssuer,
    agency: Client,
    clock: Clock,
    claims: dict[str, Any],
    drop: tuple[str, ...],
    kind: type[errors.GatewayError],
    match: str,
) -> None:
    now = int(clock.now.timestamp())
    # Times are given relative to now.
    claims = {k: now + v if k in ("iat", "nbf") else v for k, v in claims.items()}
    assertion = forge(agency, clock, claims=claims, drop=drop)
    refused(lambda: exchange(issuer, assertion), kind, "invalid_client", 401, match)


def test_headers_that_do_not_fit_are_refused(issuer: tokens.TokenIssuer, agency: Client, clock: Clock) -> None:
    hs256 = jwt.encode({"iss": agency.client_id}, "a shared secret of 32 bytes or more", algorithm="HS256")
    refused(lambda: exchange(issuer, hs256), errors.AssertionMalformed, "invalid_client", 401, "expected alg ES256")
    unsigned = (
        ".".join(b64url(json.dumps(part).encode()) for part in ({"alg": "none"}, {"iss": agency.client_id})) + "."
    )
    refused(lambda: exchange(issuer, unsigned), errors.AssertionMalformed, "invalid_client", 401, "expected alg ES256")
    crit = forge(agency, clock, headers={"crit": ["exp"], "exp": 1})
    refused(lambda: exchange(issuer, crit), errors.AssertionMalformed, "invalid_client", 401, "critical")
    refused(lambda: exchange(issuer, "not a jwt"), errors.AssertionMalformed, "invalid_client", 401)
    refused(lambda: exchange(issuer, "x" * 20_000), errors.AssertionMalformed, "invalid_client", 401, "at most")


def test_the_grant_and_assertion_types_are_checked(issuer: tokens.TokenIssuer, agency: Client, clock: Clock) -> None:
    good = assertion_for(agency, clock)
    refused(
        lambda: issuer.exchange(good, grant_type="password", client_assertion_type=ASSERTION_TYPE),
        errors.UnsupportedGrantType,
        "unsupported_grant_type",
        400,
    )
    refused(
        lambda: issuer.exchange(good, grant_type="client_credentials", client_assertion_type="saml2-bearer"),
        errors.BadRequest,
        "invalid_request",
        400,
    )
    exchange(issuer, good)  # the refusals above did not use up its jti


# -- the refusal matrix: access tokens


def test_an_expired_access_token_is_refused(issuer: tokens.TokenIssuer, agency: Client, clock: Clock) -> None:
    token = exchange(issuer, assertion_for(agency, clock)).access_token
    clock.advance(899)
    issuer.authenticate(token)
    clock.advance(1)
    refused(lambda: issuer.authenticate(token), errors.TokenExpired, "invalid_token", 401)


def test_a_tampered_access_token_is_refused(issuer: tokens.TokenIssuer, agency: Client, clock: Clock) -> None:
    token = exchange(issuer, assertion_for(agency, clock)).access_token
    head, body, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    claims["role"], claims["scope"] = "auditor", "audit:read"
    promoted = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    refused(
        lambda: issuer.authenticate(f"{head}.{promoted}.{signature}"),
        errors.TokenSignatureInvalid,
        "invalid_token",
        401,
    )
    flipped = signature[:10] + ("A" if signature[10] != "A" else "B") + signature[11:]
    refused(lambda: issuer.authenticate(f"{head}.{body}.{flipped}"), errors.TokenSignatureInvalid, "invalid_token", 401)
    refused(lambda: issuer.authenticate("garbage"), errors.TokenMalformed, "invalid_token", 401)


def test_an_access_token_of_another_gateway_is_refused(
    consortium: Consortium, issuer: tokens.TokenIssuer, agency: Client, clock: Clock
) -> None:
    shanghai = make_issuer(consortium, "gateway-sh")
    theirs = exchange(shanghai, assertion_for(agency, clock, audience="gateway-sh")).access_token
    refused(lambda: issuer.authenticate(theirs), errors.TokenSignatureInvalid, "invalid_token", 401, "signed by key")

    # Even were two gateways to share a signing key, each refuses the other's tokens.
    key = pki.generate_key()
    ours, twin = make_issuer(consortium, signing_key=key), make_issuer(consortium, "gateway-sh", signing_key=key)
    theirs = exchange(twin, assertion_for(agency, clock, audience="gateway-sh")).access_token
    refused(
        lambda: ours.authenticate(theirs),
        errors.TokenAudienceMismatch,
        "invalid_token",
        401,
        "expected a token issued by and for 'gateway-zj'",
    )


def test_a_client_assertion_is_no_access_token(issuer: tokens.TokenIssuer, agency: Client, clock: Clock) -> None:
    refused(lambda: issuer.authenticate(assertion_for(agency, clock)), errors.TokenMalformed, "invalid_token", 401)


def test_scopes_are_enforced(issuer: tokens.TokenIssuer, agency: Client, clock: Clock) -> None:
    principal = issuer.authenticate(exchange(issuer, assertion_for(agency, clock)).access_token)
    principal.require(tokens.Scope.VERIFY, "subjects:query")
    refused(
        lambda: principal.require(tokens.Scope.AUDIT_READ),
        errors.InsufficientScope,
        "insufficient_scope",
        403,
        "expected scope audit:read",
    )


# -- the replay store and the issuer's settings


def test_the_memory_replay_store_forgets_expired_entries() -> None:
    store = tokens.MemoryReplayStore()
    later = NOW + dt.timedelta(minutes=5)
    assert store.first_use("a", expires_at=later, now=NOW)
    assert not store.first_use("a", expires_at=later, now=NOW + dt.timedelta(minutes=4))
    assert store.first_use("b", expires_at=later + dt.timedelta(minutes=5), now=NOW)
    assert store.first_use("a", expires_at=later + dt.timedelta(minutes=5), now=later)
    assert len(store) == 2
    assert store.first_use("c", expires_at=later, now=later + dt.timedelta(minutes=6))
    assert len(store) == 1


def test_the_memory_replay_store_lets_one_of_many_threads_win() -> None:
    store = tokens.MemoryReplayStore()
    wins: list[bool] = []
    start = threading.Barrier(16)

    def claim() -> None:
        start.wait()
        wins.append(store.first_use("jti", expires_at=NOW + dt.timedelta(minutes=5), now=NOW))

    threads = [threading.Thread(target=claim) for _ in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(wins) == [False] * 15 + [True]


def test_a_full_replay_store_refuses_rather_than_forgets() -> None:
    store = tokens.MemoryReplayStore(max_entries=2)
    later = NOW + dt.timedelta(minutes=5)
    store.first_use("a", expires_at=later, now=NOW)
    store.first_use("b", expires_at=later, now=NOW)
    refused(lambda: store.first_use("c", expires_at=later, now=NOW), errors.RateLimited, "rate_limited", 429)
    assert store.first_use("c", expires_at=later + dt.timedelta(minutes=1), now=later)


def test_the_issuer_refuses_long_token_lifetimes(consortium: Consortium) -> None:
    refused(
        lambda: make_issuer(consortium, token_lifetime=dt.timedelta(minutes=16)),
        errors.ConfigurationError,
        "server_error",
        500,
    )
    refused(
        lambda: make_issuer(consortium, signing_key=ec.generate_private_key(ec.SECP384R1())),
        errors.ConfigurationError,
        "server_error",
        500,
    )


def test_the_key_id_is_the_rfc_7638_thumbprint() -> None:
    key = pki.generate_key().public_key()
    numbers = key.public_numbers()

    def b64(n: int) -> str:
        return base64.urlsafe_b64encode(n.to_bytes(32, "big")).rstrip(b"=").decode()

    # RFC 7638 section 3.2: the required members only, in lexicographic order, no whitespace.
    members = f'{{"crv":"P-256","kty":"EC","x":"{b64(numbers.x)}","y":"{b64(numbers.y)}"}}'
    want = base64.urlsafe_b64encode(hashlib.sha256(members.encode()).digest()).rstrip(b"=").decode()
    assert tokens.jwk_thumbprint(key) == want
