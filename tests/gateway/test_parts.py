"""Gateway parts without a ledger: the persistent assertion-id store, rate limits, subject ids,
the token cache, settings and the problem answers."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Iterator
from pathlib import Path

import orjson
import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import Engine

from adapters.core.model import SubjectKind
from adapters.core.provinces import Province
from adapters.core.tags import TagKeyring
from adapters.synthetic import Synthesizer
from gateway import pki, tokens
from gateway.api.problems import problem_of
from gateway.auth import Authenticator
from gateway.db import open_engine
from gateway.errors import (
    InsufficientScope,
    RateLimited,
    TokenExpired,
    TokenMissing,
    TokenRevoked,
    Unprocessable,
)
from gateway.keyring import LoopKeyring
from gateway.ratelimit import RateLimiter, RateLimitExceeded
from gateway.replay import SqlReplayStore
from gateway.settings import GatewaySettings
from gateway.subjects import parse_subject_id

NOW = dt.datetime(2030, 3, 1, 8, 0, tzinfo=dt.UTC)


class Tick:
    """A settable clock (seconds)."""

    def __init__(self) -> None:
        self.t = 0.0

    def __call__(self) -> float:
        return self.t


# -- assertion ids ------------------------------------------------------------------------------


@pytest.fixture
def engine(gateway_dsn: str) -> Iterator[Engine]:
    engine = open_engine(gateway_dsn)
    yield engine
    engine.dispose()


def test_an_assertion_id_is_accepted_once_until_it_expires(engine: Engine) -> None:
    store = SqlReplayStore(engine=engine)
    expires = NOW + dt.timedelta(minutes=5)
    assert store.first_use("client jti-1", expires_at=expires, now=NOW)
    assert not store.first_use("client jti-1", expires_at=expires, now=NOW + dt.timedelta(minutes=4))
    assert store.first_use("client jti-2", expires_at=expires, now=NOW)
    assert store.first_use(
        "client jti-1", expires_at=expires + dt.timedelta(minutes=6), now=expires + dt.timedelta(seconds=2)
    )


def test_assertion_ids_survive_a_restart(gateway_dsn: str) -> None:
    expires = NOW + dt.timedelta(minutes=5)
    for fresh in (True, False):
        engine = open_engine(gateway_dsn)
        try:
            assert SqlReplayStore(engine=engine).first_use("c j", expires_at=expires, now=NOW) is fresh
        finally:
            engine.dispose()


def test_of_concurrent_first_uses_exactly_one_wins(engine: Engine) -> None:
    store = SqlReplayStore(engine=engine)
    results: list[bool] = []
    barrier = threading.Barrier(8)

    def use() -> None:
        barrier.wait()
        results.append(store.first_use("c same", expires_at=NOW + dt.timedelta(minutes=5), now=NOW))

    threads = [threading.Thread(target=use) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == [False] * 7 + [True]


# -- rate limits ----------------------------------------------------------------------------------


def test_a_client_past_its_burst_waits_for_the_rate() -> None:
    tick = Tick()
    limiter = RateLimiter(rate=2.0, burst=3, clock=tick)
    for _ in range(3):
        limiter.check("a")
    with pytest.raises(RateLimitExceeded) as refused:
        limiter.check("a")
    assert refused.value.retry_after == 1 and isinstance(refused.value, RateLimited)
    limiter.check("b")  # per client
    tick.t = 0.5
    limiter.check("a")
    with pytest.raises(RateLimitExceeded):
        limiter.check("a")


def test_rate_limited_answers_say_when_to_retry() -> None:
    response = problem_of(RateLimitExceeded("slow down", retry_after=3), realm="gateway-zj")
    assert response.status_code == 429 and response.headers["retry-after"] == "3"
    assert orjson.loads(response.body)["code"] == "rate_limited"


# -- problems -------------------------------------------------------------------------------------


def test_unauthorised_answers_carry_the_bearer_challenge() -> None:
    missing = problem_of(TokenMissing("no token"), realm="gateway-zj")
    assert missing.headers["www-authenticate"] == 'Bearer realm="gateway-zj"'
    expired = problem_of(TokenExpired("old"), realm="gateway-zj")
    assert expired.headers["www-authenticate"] == 'Bearer realm="gateway-zj", error="invalid_token"'
    scope = problem_of(InsufficientScope("no"), realm="gateway-zj")
    assert scope.status_code == 403 and 'error="insufficient_scope"' in scope.headers["www-authenticate"]
    body = orjson.loads(expired.body)
    assert body == {
        "type": "urn:yrdx:problem:invalid_token",
        "title": "Unauthorized",
        "status": 401,
        "detail": "old",
        "code": "invalid_token",
        "reason": "token_expired",
    }
    assert expired.media_type == "application/problem+json"


def test_server_errors_keep_their_details_inside() -> None:
    from gateway.errors import AuditUnavailable

    body = orjson.loads(problem_of(AuditUnavailable("sqlite: disk I/O error at /var/x"), realm="g").body)
    assert body["status"] == 503 and "/var/x" not in body["detail"] and body["reason"] == "audit_unavailable"


# -- subject ids ----------------------------------------------------------------------------------


def test_subject_ids_of_both_kinds_are_accepted_and_normalised() -> None:
    synth = Synthesizer(Province.ZJ, seed=3)
    uscc = synth.subject(SubjectKind.LEGAL_PERSON).subject_id
    ric = synth.subject(SubjectKind.NATURAL_PERSON).subject_id
    assert parse_subject_id(f"  {uscc.lower()} ") == uscc
    assert parse_subject_id(ric) == ric


@pytest.mark.parametrize("bad", ["", "abc", "91330100MA2XXXXXX0", "330102198001010051", "9" * 18, "0x" + "ab" * 32])
def test_anything_else_is_unprocessable(bad: str) -> None:
    with pytest.raises(Unprocessable, match="subject_id"):
        parse_subject_id(bad)


# -- the token cache ------------------------------------------------------------------------------


class Clock:
    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> dt.datetime:
        return self.now


def test_a_remembered_token_still_expires_and_is_still_revoked(tmp_path: Path) -> None:
    clock, tick = Clock(), Tick()
    ca = pki.init_ca(tmp_path / "ca", password=b"consortium root password", now=NOW, kdf_iterations=1000)
    trust = pki.TrustStore(root=ca.certificate, crl_path=tmp_path / "ca" / pki.CRL_FILE, clock=clock)
    issuer = tokens.TokenIssuer(
        gateway_id="gateway-zj",
        signing_key=pki.generate_key(),
        trust_store=trust,
        replay_store=tokens.MemoryReplayStore(),
        clock=clock,
    )
    key = pki.generate_key()
    cert = ca.issue(key.public_key(), organisation="征信机构", role=pki.Role.AGENCY, now=NOW)
    client_id = pki.identity_of(cert).client_id
    assertion = tokens.make_client_assertion(key, [cert], client_id=client_id, audience="gateway-zj", now=NOW)
    token = issuer.exchange(
        assertion, grant_type=tokens.GRANT_TYPE, client_assertion_type=tokens.CLIENT_ASSERTION_TYPE
    ).access_token
    auth = Authenticator(issuer=issuer, trust=trust, clock=clock, revocation_recheck=1.0, monotonic=tick)
    assert auth.authenticate(token).client_id == client_id
    assert auth.authenticate(token).client_id == client_id  # remembered
    pki.revoke(ca, tmp_path / "ca", cert, now=NOW)
    assert auth.authenticate(token).client_id == client_id  # within the recheck interval
    tick.t = 1.0
    with pytest.raises(TokenRevoked):
        auth.authenticate(token)
    fresh = Authenticator(issuer=issuer, trust=trust, clock=clock)
    clock.now = NOW + dt.timedelta(minutes=16)
    with pytest.raises(TokenExpired):
        fresh.authenticate(token)


# -- settings -------------------------------------------------------------------------------------


def test_settings_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("YRDX_GATEWAY_PROVINCE", "js")
    monkeypatch.setenv("YRDX_GATEWAY_LIMITS__RATE_PER_SECOND", "7.5")
    monkeypatch.setenv("YRDX_GATEWAY_AUDIT__CHECKPOINT_EVERY_EVENTS", "42")
    monkeypatch.setenv("YRDX_GATEWAY_PUBLIC_URL", "https://gw.js.example/")
    settings = GatewaySettings()  # type: ignore[call-arg]
    assert settings.province is Province.JS and settings.identity == "gateway-js" and settings.listen_port == 8102
    assert settings.limits.rate_per_second == 7.5 and settings.audit.checkpoint_every_events == 42
    assert settings.audiences() == ["https://gw.js.example/oauth/token"]


def test_tokens_cannot_be_set_to_live_past_fifteen_minutes() -> None:
    with pytest.raises(ValueError, match="token_lifetime_seconds"):
        GatewaySettings(province=Province.ZJ, token_lifetime_seconds=901)


# -- the loop keyring -----------------------------------------------------------------------------


@given(st.text(max_size=40), st.sampled_from([1, 2, 3]))
def test_the_loop_keyring_tags_as_the_consortium_keyring_does(subject_id: str, version: int) -> None:
    keyring = TagKeyring.development(versions=3)
    assert LoopKeyring.of(keyring).tag(subject_id, version) == keyring.tag(subject_id, version)
    assert LoopKeyring.of(keyring).tag(subject_id) == keyring.tag(subject_id)


def test_gateways_in_one_process_take_what_differs_from_the_data_dir(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from yrdx.commands.gateway import gateway_settings
    from yrdx.context import DataDir

    dd = DataDir(tmp_path)
    (tmp_path / "keys").mkdir()
    dd.password_file.write_text("a development password\n")
    monkeypatch.setenv("YRDX_GATEWAY_PORT", "9000")
    monkeypatch.setenv("YRDX_GATEWAY_DATABASE_URL", "sqlite:////tmp/one.db")
    monkeypatch.setenv("YRDX_GATEWAY_LIMITS__RATE_PER_SECOND", "9")
    alone = gateway_settings(dd, Province.SH)
    assert alone.listen_port == 9000 and alone.database_url == "sqlite:////tmp/one.db"
    fleet = [gateway_settings(dd, p, one_of_several=True) for p in (Province.SH, Province.AH)]
    assert [s.listen_port for s in fleet] == [8101, 8104]
    assert len({s.database_url for s in fleet}) == 2 and all(str(tmp_path) in str(s.database_url) for s in fleet)
    assert all(s.limits.rate_per_second == 9 for s in fleet)  # what is shared still comes from the environment
