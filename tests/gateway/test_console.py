"""The console's page and JSON against Zhejiang's served gateway: who may see it, and that every
figure is what the ledger index, the province's store, the audit trail and the contract hold."""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest
from sqlalchemy import text
from typer.testing import CliRunner

from adapters.chain.view import LedgerView
from adapters.core.model import DOMAIN_NAMES_ZH, EntryStatus
from gateway.client import GatewayClient
from tests.gateway.conftest import DevExchange, Served
from yrdx.cli import app
from yrdx.commands.gateway import client_dir

pytestmark = [pytest.mark.ledger, pytest.mark.rpc]

API = ("session", "consortium", "counts", "sync", "activity", "audit")


def _get(zj: Served, path: str, token: str | None) -> httpx.Response:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return httpx.get(zj.url + path, headers=headers, timeout=30)


def _api(zj: Served, clients: dict[str, GatewayClient], name: str, who: str = "province-zj") -> dict[str, Any]:
    response = _get(zj, f"/console/api/{name}", clients[who].token())
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def _sql(zj: Served, query: str, **params: Any) -> list[Any]:
    with zj.gateway.engine.connect() as conn:
        return list(conn.execute(text(query), params))


def test_the_province_and_auditors_may_see_it_others_are_refused(zj: Served, clients: dict[str, GatewayClient]) -> None:
    start = zj.gateway.deps.trail.size
    seen = []
    for name in API:
        anonymous = _get(zj, f"/console/api/{name}", None)
        assert anonymous.status_code == 401 and anonymous.json()["reason"] == "token_missing"
        for who, status in (("province-zj", 200), ("auditor", 200), ("agency", 403), ("province-js", 403)):
            response = _get(zj, f"/console/api/{name}", clients[who].token())
            assert response.status_code == status, (name, who, response.text)
            if status == 403:
                assert response.headers["content-type"] == "application/problem+json"
                assert response.json()["code"] == "insufficient_scope"
                assert "gateway-zj is for zj's province platform and auditors" in response.json()["detail"]
            seen.append((name, who, response))
    events = {i["index"]: i["event"] for i in clients["auditor"].iter_audit_events(start=start)}
    for name, who, response in seen:
        event = events[int(response.headers["x-audit-event"])]
        assert event["endpoint"] == f"GET /console/api/{name}"
        assert event["client"] == clients[who].client_id and event["status"] == response.status_code


def test_the_session_says_who_and_what(zj: Served, clients: dict[str, GatewayClient]) -> None:
    province = _api(zj, clients, "session")
    assert province["gateway"] == "gateway-zj" and province["role"] == "province"
    assert province["province"] == {"code": 33, "short": "zj", "name_zh": "浙江省", "name_en": "Zhejiang"}
    assert province["client"] == clients["province-zj"].client_id and province["can_query_subjects"] is True
    auditor = _api(zj, clients, "session", "auditor")
    assert auditor["role"] == "auditor" and auditor["client_province"] is None
    assert auditor["can_query_subjects"] is False and "audit:read" in auditor["scopes"]


def test_the_consortium_is_read_from_the_contract(
    dev_exchange: DevExchange, zj: Served, clients: dict[str, GatewayClient]
) -> None:
    answer = _api(zj, clients, "consortium", "auditor")
    part = dev_exchange.exchange.provinces[zj.gateway.deps.province]
    assert dev_exchange.exchange.deployment is not None
    view = LedgerView(client=part.client, deployment=dev_exchange.exchange.deployment)
    assert answer["source"] == "ledger" and answer["ledger_error"] is None
    assert [m["code"] for m in answer["members"]] == view.members() == [31, 32, 33, 34]
    assert answer["quorum"] == view.quorum() == 3
    assert answer["tag_key_version"] == view.tag_key_version()
    zhejiang = next(m for m in answer["members"] if m["code"] == 33)
    assert zhejiang["this_gateway"] and zhejiang["name_zh"] == "浙江省"
    assert zhejiang["signer"].lower() == part.client.account.address.lower()
    assert sum(m["this_gateway"] for m in answer["members"]) == 1


def test_counts_are_the_index_s(zj: Served, clients: dict[str, GatewayClient]) -> None:
    answer = _api(zj, clients, "counts")
    rows = _sql(
        zj, "SELECT province, kind, list_type, domain, status, count(*) FROM chain_records GROUP BY 1, 2, 3, 4, 5"
    )
    assert answer["total"] == sum(n for *_, n in rows) > 0
    assert answer["index_block"] == zj.gateway.deps.index.cursor.block
    for p in answer["provinces"]:
        mine = [r for r in rows if r[0] == p["code"]]
        assert p["red"] == sum(r[5] for r in mine if r[1] == "list-entry" and r[2] == 1)
        assert p["black"] == sum(r[5] for r in mine if r[1] == "list-entry" and r[2] == 2)
        assert p["evaluations"] == sum(r[5] for r in mine if r[1] == "evaluation")
        assert p["total"] == p["red"] + p["black"] + p["evaluations"]
        for status in EntryStatus:
            expected = sum(r[5] for r in mine if r[1] == "list-entry" and r[4] == int(status))
            assert p["entry_statuses"][status.name] == expected
    assert [p["short"] for p in answer["provinces"]] == ["sh", "js", "zj", "ah"]
    for d in answer["domains"]:
        assert d["total"] == sum(r[5] for r in rows if r[3] == d["domain"])
        assert d["name_zh"] == DOMAIN_NAMES_ZH[d["domain"]]
    assert sum(c["count"] for c in answer["cells"]) == answer["total"]


def test_sync_lag_is_the_store_s_cursor_against_the_index(
    dev_exchange: DevExchange, zj: Served, clients: dict[str, GatewayClient]
) -> None:
    answer = _api(zj, clients, "sync", "auditor")
    store = dev_exchange.exchange.provinces[zj.gateway.deps.province].store
    cursor = store.cursor("sync")
    assert cursor is not None and answer["sync_block"] == cursor
    with store.engine.connect() as conn:
        held = {
            (o, p): n for o, p, n in conn.execute(text("SELECT origin, province, count(*) FROM records GROUP BY 1, 2"))
        }
    waiting = {
        p: (n, lo, hi)
        for p, n, lo, hi in _sql(
            zj,
            "SELECT r.province, count(*), min(e.block), max(e.block) FROM chain_events e "
            "JOIN chain_records r ON r.record_id = e.record_id WHERE e.block > :cursor GROUP BY 1",
            cursor=cursor,
        )
    }
    on_ledger = dict(_sql(zj, "SELECT province, count(*) FROM chain_records GROUP BY 1"))
    assert answer["own_records"] == held[("own", "zj")] and answer["own_on_ledger"] == on_ledger[33]
    assert [p["short"] for p in answer["peers"]] == ["sh", "js", "ah"]
    for peer in answer["peers"]:
        assert peer["copies"] == held.get(("synced", peer["short"]), 0) > 0
        assert peer["ledger_records"] == on_ledger[peer["code"]]
        n, lo, hi = waiting.get(peer["code"], (0, None, cursor))
        assert peer["pending_events"] == n and peer["oldest_pending_block"] == lo
        assert peer["lag_blocks"] == hi - cursor
        assert peer["state"] == ("behind" if n or peer["missing_content"] else "current")


def test_activity_is_the_newest_events_and_their_spread(zj: Served, clients: dict[str, GatewayClient]) -> None:
    answer = _api(zj, clients, "activity?limit=5")
    newest = _sql(
        zj,
        "SELECT record_id, block FROM chain_events WHERE name IN ('EntryPublished', 'ResultPublished') "
        "ORDER BY block DESC, log_index DESC LIMIT 5",
    )
    assert [(e["record_id"], e["block"]) for e in answer["publications"]] == [tuple(r) for r in newest]
    assert all(e["status"] in ("PUBLISHED", "ACTIVE") and e["version"] == 1 for e in answer["publications"])
    assert all(e["domain_zh"] for e in answer["publications"])
    published = _sql(zj, "SELECT count(*) FROM chain_events WHERE name IN ('EntryPublished', 'ResultPublished')")
    buckets = answer["buckets"]
    assert buckets and sum(b["published"] for b in buckets) == published[0][0]
    assert buckets[-1]["last_block"] == answer["index_block"]
    assert all(a["last_block"] + 1 == b["first_block"] for a, b in zip(buckets, buckets[1:], strict=False))
    assert _get(zj, "/console/api/activity?limit=51", clients["auditor"].token()).status_code == 422


def test_audit_shows_the_trail_and_its_anchored_checkpoints(zj: Served, clients: dict[str, GatewayClient]) -> None:
    before = zj.gateway.deps.trail.size
    answer = _api(zj, clients, "audit", "auditor")
    deps = zj.gateway.deps
    assert before <= answer["tree_size"] <= deps.trail.size
    assert answer["stream_id"] == "0x" + deps.stream_id.hex()
    # the gateway goes on anchoring: what the index holds now may be newer than the answer
    stored = _sql(
        zj,
        "SELECT idx, tree_size, root, block FROM chain_checkpoints WHERE stream_id = :s AND idx < :n ORDER BY idx DESC",
        s=answer["stream_id"],
        n=answer["checkpoint_count"],
    )
    assert answer["checkpoint_count"] == len(stored) > 0
    shown = [(c["index"], c["tree_size"], c["root"], c["block"]) for c in answer["checkpoints"]]
    assert shown == [tuple(r) for r in stored[: len(shown)]]
    assert (
        answer["anchored_size"] >= stored[0][1]
        and answer["unanchored"] == answer["tree_size"] - answer["anchored_size"]
    )
    assert answer["health"] == "ok" and answer["last_error"] is None
    assert answer["journal"].get("anchored", 0) >= 1 and answer["every_events"] == 25


def test_the_page_is_self_contained(zj: Served) -> None:
    page = httpx.get(zj.url + "/console")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    csp = page.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "default-src 'none'" in csp and "frame-ancestors 'none'" in csp
    assert page.headers["referrer-policy"] == "no-referrer"
    bodies = [page.text]
    for name in ("console.js", "console.css"):
        asset = httpx.get(f"{zj.url}/console/static/{name}")
        assert asset.status_code == 200 and asset.headers["x-content-type-options"] == "nosniff"
        bodies.append(asset.text)
    for body in bodies:  # nothing fetched from elsewhere: no CDN, no web fonts
        assert not re.search(r"""(src|href|url)\s*[=(]\s*["']?(https?:)?//""", body), body[:200]
        assert "@import" not in body and "cookie" not in body.lower()
    assert "sessionStorage" in bodies[1] and "localStorage" not in bodies[1]
    assert httpx.get(zj.url + "/console/static/index.py").status_code == 404
    assert "/console" not in httpx.get(zj.url + "/openapi.json").json()["paths"]


def test_the_token_command_opens_the_console(dev_exchange: DevExchange, zj: Served) -> None:
    base = ["client", "--cred", str(client_dir(dev_exchange.dd, "auditor")), "--gateway", zj.url]
    base += ["--password-file", str(dev_exchange.dd.password_file)]
    result = CliRunner().invoke(app, [*base, "token", "--console"])
    assert result.exit_code == 0, result.output
    url = result.output.strip()
    assert url.startswith(zj.url + "/console#token=")
    token = url.split("#token=", 1)[1]
    assert _get(zj, "/console/api/session", token).json()["role"] == "auditor"
    plain = CliRunner().invoke(app, [*base, "token"])
    assert plain.exit_code == 0 and re.fullmatch(r"[\w-]+\.[\w-]+\.[\w-]+", plain.output.strip())
