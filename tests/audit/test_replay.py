"""The replay of a development exchange: nothing wrong is found, the report holds what happened,
and the state digest does not depend on paging, parallelism or resuming."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from adapters.audit.chain import ChainReplay, Replay
from adapters.audit.errors import ReplayCheckpointInvalid
from node.deploy import Deployment
from node.events import EventCodec, EventReader
from tests.audit.support import NEW_MEMBER, DevExchange, audit_args
from yrdx.cli import app

pytestmark = [pytest.mark.ledger, pytest.mark.rpc]


def run_audit(*args: str) -> tuple[int, dict[str, Any]]:
    result = CliRunner().invoke(app, [*args, "--json"], catch_exceptions=False)
    lines = [line for line in result.stdout.splitlines() if line.startswith("{")]
    assert lines, result.output
    return result.exit_code, json.loads(lines[-1])


def engine(ex: DevExchange, **options: Any) -> ChainReplay:
    reader = EventReader(rpc_url=ex.url, codec=EventCodec(ex.deployment.addresses()))
    return ChainReplay(reader=reader, deployment=ex.deployment, **options)


def full_replay(ex: DevExchange, **options: Any) -> Replay:
    e = engine(ex, **options)
    return e.run(e.start())


def test_clean_exchange_passes_with_every_store_checked(dev_exchange: DevExchange, tmp_path: Path) -> None:
    code, report = run_audit(*audit_args(dev_exchange, "--report", str(tmp_path / "report.json")))

    assert report["discrepancies"] == {"counts": {}, "items": []}
    assert (code, report["ok"]) == (0, True)
    counts = report["replay"]["counts"]
    for event in ("EntryPublished", "EntryAmended", "EntryStatusChanged", "ResultPublished", "ResultRecognised"):
        assert counts.get(event, 0) > 0, event
    assert report["replay"]["senders_checked"] > 0
    for name in ("sh", "js", "zj", "ah"):
        province = report["provinces"][name]
        assert province["entries"]["total"] == 60
        assert sum(province["entries"]["by_status"].values()) == 60
        assert set(province["entries"]["by_list_type"]) <= {"red", "black"}
        store = province["store"]
        assert (store["own"], store["synced"]) == (80, 240)
        assert store["content_checked"] > 200
    written = json.loads((tmp_path / "report.json").read_text(encoding="utf-8"))
    assert written["replay"]["state_digest"] == report["replay"]["state_digest"]
    html = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert "<svg" in html and "No discrepancies found." in html
    assert "http://" not in html.replace('xmlns="http://www.w3.org/2000/svg"', "")


def test_governance_history_and_quorum_are_rebuilt(dev_exchange: DevExchange) -> None:
    replay = full_replay(dev_exchange)
    c = replay.state.consortium

    assert (sorted(c.members), c.quorum, c.tag_key_version) == ([31, 32, 33, 34], 3, 1)
    events = [(h[2], h[3].get("code"), h[3].get("quorum")) for h in c.history]
    assert ("MemberAdded", NEW_MEMBER, None) in events and ("MemberRemoved", NEW_MEMBER, None) in events
    assert [q for name, _, q in events if name == "QuorumChanged"] == [3, 2, 3]
    executed = [h[3] for h in c.history if h[2] == "ProposalExecuted"]
    assert len(executed) == 8  # four agreements and four governance changes
    assert all(d["votes"] >= d["quorum"] for d in executed)
    assert c.terms[NEW_MEMBER] == 1
    assert len(replay.findings) == 0


def test_digest_does_not_depend_on_paging_or_parallelism(dev_exchange: DevExchange) -> None:
    adaptive = full_replay(dev_exchange)
    one_block = full_replay(dev_exchange, page_blocks=1, parallel=1)
    seven = full_replay(dev_exchange, page_blocks=7, parallel=3)

    assert adaptive.events > 500
    assert adaptive.state.digest() == one_block.state.digest() == seven.state.digest()
    assert adaptive.counts == one_block.counts == seven.counts


def test_resumed_replay_ends_with_the_full_replay_digest(dev_exchange: DevExchange, tmp_path: Path) -> None:
    full = full_replay(dev_exchange)
    checkpoint = tmp_path / "replay.json"
    e = engine(dev_exchange, page_blocks=5)
    middle = (dev_exchange.deployment.deploy_block + full.state.block) // 2  # the anvil is shared: deployed late
    first = e.run(e.start(checkpoint), to_block=middle)
    first.save(checkpoint)
    assert first.state.block == middle and first.events < full.events

    resumed = engine(dev_exchange).start(checkpoint)
    assert resumed.resumed_from == middle
    engine(dev_exchange).run(resumed, from_block=middle + 1, to_block=full.state.block)  # the same end

    assert resumed.state.block == full.state.block
    assert resumed.state.digest() == full.state.digest()
    assert resumed.counts == full.counts
    assert resumed.events_read == full.events - first.events


def test_cli_resume_reports_the_full_digest(dev_exchange: DevExchange, tmp_path: Path) -> None:
    checkpoint = tmp_path / "replay.json"
    code1, first = run_audit(*audit_args(dev_exchange, "--checkpoint", str(checkpoint), stores=False))
    code2, again = run_audit(*audit_args(dev_exchange, "--checkpoint", str(checkpoint), stores=False))

    assert (code1, code2) == (0, 0)
    assert again["replay"]["resumed_from"] == first["replay"]["to_block"]
    assert again["replay"]["state_digest"] == first["replay"]["state_digest"]
    assert again["replay"]["events"] == first["replay"]["events"]


def test_a_replay_never_skips_blocks(dev_exchange: DevExchange, tmp_path: Path) -> None:
    e = engine(dev_exchange)
    later = dev_exchange.deployment.deploy_block + 3
    with pytest.raises(ReplayCheckpointInvalid, match="skipping blocks"):
        e.run(e.start(), from_block=later)
    result = CliRunner().invoke(app, [*audit_args(dev_exchange, stores=False), "--from-block", str(later)])
    assert result.exit_code == 2
    assert "skipping blocks" in result.output


def test_a_checkpoint_of_another_deployment_is_refused(dev_exchange: DevExchange, tmp_path: Path) -> None:
    checkpoint = tmp_path / "replay.json"
    e = engine(dev_exchange)
    e.run(e.start(checkpoint)).save(checkpoint)
    doc = dev_exchange.deployment.to_json()
    doc["contracts"]["CreditLists"]["address"] = "0x" + "11" * 20
    other = Deployment.from_json(doc)
    reader = EventReader(rpc_url=dev_exchange.url, codec=EventCodec(other.addresses()))

    with pytest.raises(ReplayCheckpointInvalid, match="another chain or deployment"):
        ChainReplay(reader=reader, deployment=other).start(checkpoint)
