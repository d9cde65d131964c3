"""The authorisation matrix: every role against every endpoint, and every way to be refused —
forged, expired and replayed assertions, tokens of another gateway, revoked certificates,
certificates of another CA — each with the right status, and each request audited."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest

from adapters.core.package import RecordPackage
from gateway import pki, tokens
from gateway.client import GatewayClient
from gateway.credentials import ClientCredentials
from tests.gateway.conftest import ZJ, DevExchange, Served, serve
from yrdx.commands.gateway import pki_dir

pytestmark = [pytest.mark.ledger, pytest.mark.rpc]

ROLES = ("province-zj", "province-js", "agency", "auditor")
PROVINCES_ = {"province-zj", "province-js"}


@dataclass(frozen=True)
class Call:
    name: str
    method: str
    path: str
    params: dict[str, Any] | None = None
    body: bytes | None = None
    allowed: frozenset[str] = frozenset()
    subject: str | None = None  # the raw subject id the call carries, never to be audited


def _calls(dev_exchange: DevExchange) -> list[Call]:
    own = RecordPackage.from_json(dev_exchange.packages(ZJ, kind="list-entry")[0])
    entry_id = "0x" + own.entry_id.hex()
    subject = own.record.subject_id
    why = {"purpose": "授信审查", "authorisation": "consent-2030-0001"}
    query = orjson.dumps({"keys": [{"entry_id": entry_id, "version": own.version}]})
    everyone = frozenset(ROLES)
    return [
        Call("verify", "POST", "/v1/verify", body=own.to_json(), allowed=everyone),
        Call(
            "subject",
            "GET",
            f"/v1/subjects/{subject}/entries",
            why,
            allowed=frozenset({*PROVINCES_, "agency"}),
            subject=subject,
        ),
        Call(
            "access-log",
            "GET",
            f"/v1/subjects/{subject}/access-log",
            why,
            allowed=frozenset({*PROVINCES_, "agency", "auditor"}),
            subject=subject,
        ),
        Call("package", "GET", f"/v1/packages/{entry_id}", allowed=frozenset(PROVINCES_)),
        Call("packages", "POST", "/v1/packages/query", body=query, allowed=frozenset(PROVINCES_)),
        Call("history", "GET", f"/v1/entries/{entry_id}/history", allowed=frozenset({"auditor"})),
        Call("events", "GET", "/v1/audit/events", {"limit": 5}, allowed=frozenset({"auditor"})),
        Call("checkpoints", "GET", "/v1/audit/checkpoints", allowed=frozenset({"auditor"})),
        Call("inclusion", "GET", "/v1/audit/proofs/inclusion", {"index": 0}, allowed=frozenset({"auditor"})),
        Call("consistency", "GET", "/v1/audit/proofs/consistency", {"first": 1}, allowed=frozenset({"auditor"})),
    ]


def _send(zj: Served, call: Call, token: str | None) -> httpx.Response:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    if call.body is not None:
        headers["Content-Type"] = "application/json"
    return httpx.request(call.method, zj.url + call.path, params=call.params, content=call.body, headers=headers)


def _events(clients: dict[str, GatewayClient], start: int) -> dict[int, dict[str, Any]]:
    return {item["index"]: item["event"] for item in clients["auditor"].iter_audit_events(start=start)}


def _audited(response: httpx.Response) -> int:
    return int(response.headers["x-audit-event"])


def test_every_role_against_every_endpoint(
    dev_exchange: DevExchange, zj: Served, clients: dict[str, GatewayClient]
) -> None:
    start = zj.gateway.deps.trail.size
    seen: list[tuple[Call, str | None, httpx.Response]] = []
    for call in _calls(dev_exchange):
        anonymous = _send(zj, call, None)
        assert anonymous.status_code == 401, (call.name, anonymous.text)
        assert anonymous.headers["www-authenticate"] == 'Bearer realm="gateway-zj"'
        seen.append((call, None, anonymous))
        for role in ROLES:
            response = _send(zj, call, clients[role].token())
            expected = 200 if role in call.allowed else 403
            assert response.status_code == expected, (call.name, role, response.text)
            if expected == 403:
                problem = response.json()
                assert response.headers["content-type"] == "application/problem+json"
                assert problem["code"] == "insufficient_scope" and problem["status"] == 403
            seen.append((call, role, response))
    events = _events(clients, start)
    for call, role, response in seen:
        event = events[_audited(response)]
        assert event["status"] == response.status_code
        assert event["endpoint"].startswith(call.method + " /")
        if role is None:
            assert event["client"] is None and event["outcome"] == "token_missing"
            continue
        assert event["client"] == clients[role].client_id
        assert event["role"] == ("province" if role.startswith("province") else role)
        assert event["outcome"] == ("ok" if response.status_code == 200 else "insufficient_scope")
        if call.subject is not None:
            assert call.subject not in orjson.dumps(event).decode()
            assert call.subject not in event["params"]
            if response.status_code == 200:
                assert event["subject_tag"] == "0x" + dev_exchange.dd.keyring().tag(call.subject).hex()
                assert event["purpose"] == "授信审查" and event["authorisation"] == "consent-2030-0001"


def test_open_endpoints_are_audited_too(zj: Served, clients: dict[str, GatewayClient]) -> None:
    health = httpx.get(zj.url + "/healthz")
    metrics = httpx.get(zj.url + "/metrics")
    assert health.status_code == 200 and health.json()["gateway"] == "gateway-zj"
    assert metrics.status_code == 200 and "yrdx_gateway_requests_total" in metrics.text
    events = _events(clients, _audited(health))
    assert events[_audited(health)]["endpoint"] == "GET /healthz"
    assert events[_audited(metrics)]["endpoint"] == "GET /metrics"


def test_subject_queries_need_a_purpose_and_an_authorisation(
    dev_exchange: DevExchange, zj: Served, clients: dict[str, GatewayClient]
) -> None:
    subject = RecordPackage.from_json(dev_exchange.packages(ZJ)[0]).record.subject_id
    token = clients["agency"].token()
    path = f"{zj.url}/v1/subjects/{subject}/entries"
    cases = [
        ({}, 403, "purpose_required"),
        ({"purpose": "  "}, 403, "purpose_required"),
        ({"purpose": "授信审查"}, 403, "authorisation_required"),
        ({"purpose": "x" * 201, "authorisation": "a"}, 422, "request_invalid"),
    ]
    responses = []
    for params, status, reason in cases:
        r = httpx.get(path, params=params, headers={"Authorization": f"Bearer {token}"})
        assert r.status_code == status and r.json()["reason"] == reason, r.text
        responses.append((r, reason))
    bad = httpx.get(
        f"{zj.url}/v1/subjects/ABCDEF123/entries",
        params={"purpose": "p", "authorisation": "a"},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert bad.status_code == 422 and bad.json()["reason"] == "unprocessable"
    responses.append((bad, "unprocessable"))
    events = _events(clients, min(_audited(r) for r, _ in responses))
    for r, reason in responses:
        event = events[_audited(r)]
        assert event["outcome"] == reason and event["client"] is not None
        assert subject not in orjson.dumps(event).decode() and "ABCDEF123" not in orjson.dumps(event).decode()


def test_unknown_fields_and_oversized_bodies_are_refused(
    dev_exchange: DevExchange, zj: Served, clients: dict[str, GatewayClient]
) -> None:
    token = clients["agency"].token()
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    package = orjson.loads(dev_exchange.packages(ZJ)[0])
    extra = httpx.post(zj.url + "/v1/verify", content=orjson.dumps({**package, "note": "x"}), headers=headers)
    assert extra.status_code == 422 and extra.json()["reason"] == "request_invalid"
    nested = dict(package, record={**package["record"], "note": "x"})
    assert httpx.post(zj.url + "/v1/verify", content=orjson.dumps(nested), headers=headers).status_code == 422
    garbled = httpx.post(zj.url + "/v1/verify", content=b'{"kind": "list-entry",', headers=headers)
    assert garbled.status_code == 422 and garbled.json()["reason"] == "request_invalid"
    assert garbled.json()["errors"] and garbled.headers["content-type"] == "application/problem+json"
    large = httpx.post(zj.url + "/v1/verify", content=b"{" + b" " * (300 * 1024) + b"}", headers=headers)
    assert large.status_code == 413 and large.json()["code"] == "payload_too_large"
    events = _events(clients, _audited(extra))
    assert events[_audited(garbled)]["outcome"] == "request_invalid"
    assert events[_audited(garbled)]["endpoint"] == "POST /v1/verify"
    assert events[_audited(large)]["outcome"] == "payload_too_large"
    assert events[_audited(large)]["endpoint"] == "POST /v1/verify"


def test_a_tampered_package_is_authentic_no_more(dev_exchange: DevExchange, clients: dict[str, GatewayClient]) -> None:
    doc = orjson.loads(dev_exchange.packages(ZJ, kind="list-entry")[0])
    good = clients["agency"].verify(orjson.dumps(doc))
    assert good["authentic"] and good["current"] and good["owner"] == "zj"
    assert good["published"]["event"] == "EntryPublished" and good["as_of_block"] >= good["published"]["block"]
    doc["record"]["reason"] = doc["record"]["reason"] + "（已更正）"
    bad = clients["agency"].verify(orjson.dumps(doc))
    assert not bad["authentic"] and any("commitment" in r for r in bad["reasons"])


# -- refused credentials --------------------------------------------------------------------------


def _token_request(zj: Served, assertion: str) -> httpx.Response:
    form = {
        "grant_type": tokens.GRANT_TYPE,
        "client_assertion_type": tokens.CLIENT_ASSERTION_TYPE,
        "client_assertion": assertion,
    }
    return httpx.post(zj.url + "/oauth/token", data=form)


def _agency(dev_exchange: DevExchange) -> ClientCredentials:
    from yrdx.commands.gateway import dev_credentials

    return dev_credentials(dev_exchange.dd, "agency")


def _refusal(response: httpx.Response, status: int, error: str) -> None:
    assert response.status_code == status, response.text
    assert response.json()["error"] == error
    assert response.headers["cache-control"] == "no-store"


def test_refused_assertions(dev_exchange: DevExchange, zj: Served, clients: dict[str, GatewayClient]) -> None:
    agency = _agency(dev_exchange)
    now = dt.datetime.now(dt.UTC)
    cases: list[tuple[str, httpx.Response, int, str, str]] = []

    forged = tokens.make_client_assertion(
        pki.generate_key(), list(agency.chain), client_id=agency.client_id, audience="gateway-zj"
    )
    cases.append(("forged", _token_request(zj, forged), 401, "invalid_client", "assertion_signature_invalid"))
    expired = agency.assertion("gateway-zj", now=now - dt.timedelta(minutes=10))
    cases.append(("expired", _token_request(zj, expired), 401, "invalid_client", "assertion_expired"))
    elsewhere = agency.assertion("gateway-js")
    cases.append(
        ("other audience", _token_request(zj, elsewhere), 401, "invalid_client", "assertion_audience_mismatch")
    )
    once = agency.assertion("gateway-zj")
    first = _token_request(zj, once)
    assert first.status_code == 200 and first.json()["token_type"] == "Bearer"
    assert first.json()["expires_in"] <= 900 and set(first.json()["scope"].split()) == {"verify", "subjects:query"}
    cases.append(("replayed", _token_request(zj, once), 401, "invalid_client", "assertion_replayed"))
    cases.append(("not JWT", _token_request(zj, "not.a.jwt"), 401, "invalid_client", "assertion_malformed"))
    wrong_grant = httpx.post(
        zj.url + "/oauth/token",
        data={
            "grant_type": "password",
            "client_assertion_type": tokens.CLIENT_ASSERTION_TYPE,
            "client_assertion": agency.assertion("gateway-zj"),
        },
    )
    cases.append(("grant", wrong_grant, 400, "unsupported_grant_type", "unsupported_grant_type"))
    missing = httpx.post(zj.url + "/oauth/token", data={"grant_type": tokens.GRANT_TYPE})
    cases.append(("missing", missing, 400, "invalid_request", "invalid_request"))

    for name, response, status, error, _ in cases:
        assert response.status_code == status, (name, response.text)
        _refusal(response, status, error)
    events = _events(clients, min(_audited(r) for _, r, *_ in cases))
    for name, response, _, _, reason in cases:
        event = events[_audited(response)]
        assert event["endpoint"] == "POST /oauth/token" and event["outcome"] == reason, name
        if name in ("forged", "expired", "other audience", "replayed"):
            assert event["client"] == agency.client_id, name  # the certificate verified: audited under its client
    assert events[_audited(first)]["outcome"] == "ok" and events[_audited(first)]["client"] == agency.client_id


def test_certificates_of_another_ca_are_untrusted(zj: Served, clients: dict[str, GatewayClient]) -> None:
    other = pki.CertificateAuthority.create(organisation="Not The Consortium")
    key = pki.generate_key()
    cert = other.issue(key.public_key(), organisation="冒名机构", role=pki.Role.AGENCY)
    client_id = pki.identity_of(cert).client_id
    assertion = tokens.make_client_assertion(key, [cert], client_id=client_id, audience="gateway-zj")
    response = _token_request(zj, assertion)
    _refusal(response, 401, "invalid_client")
    event = _events(clients, _audited(response))[_audited(response)]
    assert event["outcome"] == "certificate_untrusted" and event["client"] is None


def test_tokens_of_another_gateway_are_refused(
    dev_exchange: DevExchange, zj: Served, clients: dict[str, GatewayClient]
) -> None:
    agency = _agency(dev_exchange)
    issuer = tokens.TokenIssuer(
        gateway_id="gateway-js",
        signing_key=pki.generate_key(),
        trust_store=zj.gateway.deps.trust,
        replay_store=tokens.MemoryReplayStore(),
    )
    foreign = issuer.exchange(
        agency.assertion("gateway-js"), grant_type=tokens.GRANT_TYPE, client_assertion_type=tokens.CLIENT_ASSERTION_TYPE
    ).access_token
    response = httpx.get(zj.url + "/v1/audit/events", headers={"Authorization": f"Bearer {foreign}"})
    assert response.status_code == 401 and response.json()["code"] == "invalid_token"
    assert 'error="invalid_token"' in response.headers["www-authenticate"]
    garbage = httpx.get(zj.url + "/v1/audit/events", headers={"Authorization": "Bearer abc.def.ghi"})
    assert garbage.status_code == 401
    events = _events(clients, _audited(response))
    assert events[_audited(response)]["outcome"] == "token_signature_invalid"
    assert events[_audited(garbage)]["outcome"] == "token_malformed"


def test_revoked_certificates_lose_their_tokens_at_once(
    dev_exchange: DevExchange, zj: Served, clients: dict[str, GatewayClient], tmp_path: Path
) -> None:
    ca_dir = pki_dir(dev_exchange.dd) / "ca"
    ca = pki.open_ca(ca_dir, password=dev_exchange.dd.password())
    issued = pki.issue_client(
        ca, ca_dir, tmp_path / "leaving", key_password=b"a password of the test", organisation="即将吊销机构",
        role=pki.Role.AGENCY, kdf_iterations=1000,
    )  # fmt: skip
    leaving = ClientCredentials.load(tmp_path / "leaving", password=b"a password of the test")
    package = dev_exchange.packages(ZJ)[0]
    with GatewayClient(zj.url, credentials=leaving, audience="gateway-zj") as client:
        token = client.token()
        assert client.verify(package)["authentic"]
    pki.revoke(ca, ca_dir, pki.load_certificates(issued.cert_path)[0], reason=pki.RevocationReason.KEY_COMPROMISE)
    live = httpx.post(zj.url + "/v1/verify", content=package, headers={"Authorization": f"Bearer {token}"})
    assert live.status_code == 401 and live.json()["reason"] == "token_revoked"
    again = _token_request(zj, leaving.assertion("gateway-zj"))
    _refusal(again, 401, "invalid_client")
    events = _events(clients, _audited(live))
    assert events[_audited(live)]["outcome"] == "token_revoked" and events[_audited(live)]["client"] is None
    assert events[_audited(again)]["outcome"] == "certificate_revoked"


def test_replay_protection_survives_a_restart(dev_exchange: DevExchange, tmp_path: Path) -> None:
    settings = dev_exchange.gateway_settings(ZJ, tmp_path / "gateway.db", gateway_id="gateway-zj")
    agency = _agency(dev_exchange)
    assertion = agency.assertion("gateway-zj")
    first = serve(dev_exchange.open_gateway(ZJ, settings))
    try:
        assert _token_request(first, assertion).status_code == 200
    finally:
        first.stop()
    second = serve(dev_exchange.open_gateway(ZJ, settings))
    try:
        replay = _token_request(second, assertion)
        assert replay.status_code == 401 and replay.json()["error"] == "invalid_client"
    finally:
        second.stop()
