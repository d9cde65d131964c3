"""``yrdx client`` against a served gateway: every caller's commands, with and without --json;
audit proofs checked locally."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from adapters.core.package import RecordPackage
from tests.gateway.conftest import ZJ, DevExchange, Served
from yrdx.cli import app
from yrdx.commands.gateway import client_dir

pytestmark = [pytest.mark.ledger, pytest.mark.rpc]


def _client(dev_exchange: DevExchange, zj: Served, who: str, *args: str) -> tuple[int, str]:
    base = [
        "client",
        "--cred",
        str(client_dir(dev_exchange.dd, who)),
        "--gateway",
        zj.url,
        "--password-file",
        str(dev_exchange.dd.password_file),
    ]
    result = CliRunner().invoke(app, [*base, *args])
    return result.exit_code, result.output


def test_an_agency_verifies_and_queries(dev_exchange: DevExchange, zj: Served, tmp_path: Path) -> None:
    body = dev_exchange.packages(ZJ, kind="list-entry")[0]
    package = tmp_path / "package.json"
    package.write_bytes(body)
    code, out = _client(dev_exchange, zj, "agency", "verify", str(package), "--json")
    assert code == 0 and json.loads(out)["authentic"] is True
    code, out = _client(dev_exchange, zj, "agency", "verify", str(package))
    assert code == 0 and "authentic, current" in out and "EntryPublished" in out
    forged = tmp_path / "forged.json"
    forged.write_bytes(body.replace(b'"version":1', b'"version":2'))
    code, out = _client(dev_exchange, zj, "agency", "verify", str(forged))
    assert code == 3 and "NOT authentic" in out
    subject = RecordPackage.from_json(body).record.subject_id
    code, out = _client(
        dev_exchange, zj, "agency", "subject", subject, "--purpose", "授信审查", "--authorisation", "c-1", "--json"
    )
    answer = json.loads(out)
    assert code == 0 and answer["entries"] and all(e["content"] == "minimised" for e in answer["entries"])
    assert all("legal_basis" not in (e["record"] or {}) for e in answer["entries"])


def test_a_province_and_an_agency_read_the_access_log_of_a_subject(dev_exchange: DevExchange, zj: Served) -> None:
    subject = RecordPackage.from_json(dev_exchange.packages(ZJ)[0]).record.subject_id
    _client(dev_exchange, zj, "agency", "subject", subject, "--purpose", "征信查询", "--authorisation", "c-2")
    code, out = _client(
        dev_exchange,
        zj,
        "province-zj",
        "access-log",
        subject,
        "--purpose",
        "主体查询",
        "--authorisation",
        "r-1",
        "--json",
    )
    accesses = json.loads(out)["accesses"]
    assert code == 0 and any(a["purpose"] == "征信查询" and a["role"] == "agency" for a in accesses)
    code, out = _client(
        dev_exchange, zj, "agency", "access-log", subject, "--purpose", "告知主体", "--authorisation", "c-9", "--json"
    )
    assert code == 0 and any(a["purpose"] == "主体查询" for a in json.loads(out)["accesses"])


def test_an_auditor_checks_proofs_locally(dev_exchange: DevExchange, zj: Served) -> None:
    code, out = _client(dev_exchange, zj, "auditor", "audit", "events", "--limit", "3", "--json")
    events = json.loads(out)
    assert code == 0 and events["tree_size"] >= 3 and len(events["events"]) == 3
    code, out = _client(dev_exchange, zj, "auditor", "audit", "proof", "inclusion", "--index", "2")
    assert code == 0 and out.startswith("verified locally (RFC 9162 2.1.3.2): event 2 is in the tree")
    code, out = _client(dev_exchange, zj, "auditor", "audit", "proof", "consistency", "--first", "2", "--json")
    answer = json.loads(out)
    assert code == 0 and answer["verified"] is True and answer["first"] == 2 and answer["second"] >= 2
    code, out = _client(dev_exchange, zj, "auditor", "audit", "checkpoints", "--json")
    assert code == 0 and json.loads(out)["stream_id"].startswith("0x")
    entry_id = "0x" + RecordPackage.from_json(dev_exchange.packages(ZJ)[0]).entry_id.hex()
    code, out = _client(dev_exchange, zj, "auditor", "history", entry_id, "--json")
    assert code == 0 and json.loads(out)["events"][0]["event"] in ("EntryPublished", "ResultPublished")


def test_a_peer_fetches_a_package(dev_exchange: DevExchange, zj: Served) -> None:
    pkg = RecordPackage.from_json(dev_exchange.packages(ZJ)[0])
    code, out = _client(dev_exchange, zj, "province-js", "package", "0x" + pkg.entry_id.hex())
    assert code == 0 and RecordPackage.from_json(out.strip()) == pkg
    code, out = _client(dev_exchange, zj, "province-js", "package", "0x" + "00" * 32)
    assert code == 1 and "404" in out
