"""The audit-trail check against anchored checkpoints: a faithful log passes, and each kind of
tampering (an event edited, deleted or moved, the log truncated, a forked log served) is found
and named. The gateway is the in-process stand-in of ``fake_gateway``."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from adapters.audit.findings import Findings
from adapters.audit.gateway import AuditApi
from adapters.audit.state import LedgerState
from adapters.audit.trail import GatewayTrailCheck
from tests.audit.fake_gateway import STREAM_ID, FakeGateway

URL = "http://gateway-zj.test"


def anchored(count: int = 40, *sizes: int) -> FakeGateway:
    gateway = FakeGateway(count)
    gateway.anchor(*(sizes or (10, 25, 40)))
    return gateway


def check(gateway: FakeGateway, *, page: int = 7) -> tuple[Findings, dict[str, Any], dict[str, str]]:
    api = AuditApi(URL, token=lambda: "test-token", http=httpx.Client(transport=gateway.transport()), page=page)
    findings = Findings()
    summary, consistency = GatewayTrailCheck(URL, api).check(gateway.state(), findings)
    return findings, summary, consistency


def items(findings: Findings, code: str) -> list[dict[str, Any]]:
    return [d.evidence for d in findings if d.code == code]


def test_a_faithful_log_passes_with_every_checkpoint_consistent() -> None:
    gateway = anchored(45)  # five events not anchored yet
    findings, summary, consistency = check(gateway)

    assert list(findings) == []
    assert consistency == {STREAM_ID: "verified"}
    assert (summary["events"], summary["anchored_size"], summary["checkpoints_checked"]) == (45, 40, 3)
    assert summary["unanchored_events"] == 5


def test_an_edited_event_is_named_by_its_position() -> None:
    gateway = anchored()
    gateway.edit(17, status=403, outcome="insufficient_scope")

    findings, _, consistency = check(gateway)

    assert findings.codes() == {"AUDIT_ROOT_MISMATCH", "AUDIT_EVENT_ALTERED"}
    [altered] = items(findings, "AUDIT_EVENT_ALTERED")
    assert altered["position"] == 17 and altered["event"]["status"] == 403
    assert altered["anchored_leaf_hash"] != altered["served_leaf_hash"]
    assert [m["checkpoint"] for m in items(findings, "AUDIT_ROOT_MISMATCH")] == [1, 2]
    assert consistency == {STREAM_ID: "verified"}  # the gateway's tree itself is the anchored one


def test_a_deleted_event_is_named() -> None:
    gateway = anchored()
    gateway.delete(12)

    findings, _, _ = check(gateway)

    assert "AUDIT_EVENT_DELETED" in findings.codes()
    assert items(findings, "AUDIT_EVENT_DELETED")[0]["positions"] == [12]
    assert "AUDIT_LOG_TRUNCATED" not in findings.codes()
    assert "AUDIT_EVENT_ALTERED" not in findings.codes()


def test_reordered_events_are_named() -> None:
    gateway = anchored()
    gateway.swap(30, 31)

    findings, _, _ = check(gateway)

    assert "AUDIT_EVENTS_REORDERED" in findings.codes()
    assert items(findings, "AUDIT_EVENTS_REORDERED")[0]["positions"] == [[30, 31], [31, 30]]
    assert "AUDIT_ROOT_MISMATCH" in findings.codes()
    assert "AUDIT_EVENT_DELETED" not in findings.codes()


def test_a_truncated_log_is_named() -> None:
    gateway = anchored()
    gateway.truncate(32)

    findings, _, _ = check(gateway)

    [truncated] = items(findings, "AUDIT_LOG_TRUNCATED")
    assert (truncated["served"], truncated["anchored_size"], truncated["checkpoint"]) == (32, 40, 2)
    assert "AUDIT_ROOT_MISMATCH" not in findings.codes()  # what is left is the anchored prefix


def test_a_forked_log_is_named() -> None:
    gateway = anchored()
    gateway.edit(20, client="someone-else")
    gateway.rewrite_tree()  # a self-consistent log that is not the anchored one

    findings, _, consistency = check(gateway)

    assert "AUDIT_LOG_FORKED" in findings.codes()
    assert len(items(findings, "AUDIT_LOG_FORKED")) == 1
    assert consistency == {STREAM_ID: "unverifiable"}


def test_an_opened_stream_not_anchored_yet_is_reported_as_unanchored() -> None:
    gateway = FakeGateway(5)
    findings, summary, consistency = check(gateway)

    assert findings.codes() == set()
    assert (summary["anchored_size"], summary["unanchored"], consistency) == (0, 5, {})


def test_a_stream_the_ledger_never_opened_is_named() -> None:
    gateway = FakeGateway(5)
    api = AuditApi(URL, token=lambda: "test-token", http=httpx.Client(transport=gateway.transport()), page=7)
    findings = Findings()
    summary, consistency = GatewayTrailCheck(URL, api).check(LedgerState(), findings)

    assert findings.codes() == {"AUDIT_STREAM_UNKNOWN"}
    assert (summary["anchored_size"], consistency) == (0, {})


@pytest.mark.parametrize("page", [1, 3, 500])
def test_paging_does_not_change_the_outcome(page: int) -> None:
    gateway = anchored()
    gateway.edit(3, purpose="marketing")

    findings, _, _ = check(gateway, page=page)

    assert [e["position"] for e in items(findings, "AUDIT_EVENT_ALTERED")] == [3]
