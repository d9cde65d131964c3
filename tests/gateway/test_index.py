"""The gateway's ledger index gives the verdicts ``LedgerView`` gives — one verification code
fed by either — including after status changes it followed."""

from __future__ import annotations

import datetime as dt

import pytest

from adapters.chain.verify import verify_package
from adapters.chain.view import LedgerView
from adapters.core.model import EntryStatus
from adapters.core.package import RecordPackage
from adapters.core.provinces import PROVINCES, Province
from gateway.client import GatewayClient
from tests.gateway.conftest import DevExchange, Served, wait_for

pytestmark = [pytest.mark.ledger, pytest.mark.rpc]

SH = Province.SH


def _change_sh_records(dev_exchange: DevExchange) -> tuple[str, str, int]:
    """Dispute Shanghai's last entry and revoke its last result, straight on the ledger."""
    entry = RecordPackage.from_json(dev_exchange.packages(SH, kind="list-entry")[-1])
    result = RecordPackage.from_json(dev_exchange.packages(SH, kind="evaluation")[-1])
    client = dev_exchange.exchange.provinces[SH].client
    deployment = dev_exchange.exchange.deployment
    assert deployment is not None
    lists = client.contract("CreditLists", deployment.address("CreditLists"))
    evaluations = client.contract("Evaluations", deployment.address("Evaluations"))
    client.transact(lists.functions.changeStatusBatch([(entry.entry_id, int(EntryStatus.DISPUTED))]))
    receipt = client.transact(evaluations.functions.revokeResults([result.entry_id]))
    return "0x" + entry.entry_id.hex(), "0x" + result.entry_id.hex(), receipt.block_number


def test_index_and_ledger_view_give_the_same_verdicts(
    dev_exchange: DevExchange, zj: Served, clients: dict[str, GatewayClient]
) -> None:
    entry_id, result_id, block = _change_sh_records(dev_exchange)
    index = zj.gateway.deps.index
    wait_for(lambda: index.cursor is not None and index.cursor.block >= block, what="the index to follow")
    view = LedgerView(client=dev_exchange.exchange.provinces[SH].client, deployment=dev_exchange.exchange.deployment)  # type: ignore[arg-type]
    keyring = dev_exchange.dd.keyring()
    now = int(dt.datetime.now(dt.UTC).timestamp())
    compared = 0
    for province in PROVINCES:
        for body in dev_exchange.packages(province):
            pkg = RecordPackage.from_json(body)
            expected = verify_package(pkg, view, keyring=keyring, now=now).to_json()
            got = verify_package(pkg, index.view().as_ledger_view(), keyring=keyring, now=now).to_json()
            assert got == expected, pkg.entry_id.hex()
            compared += 1
    assert compared >= 300
    answers = {
        rid: clients["agency"].verify(body)
        for body in dev_exchange.packages(SH)
        if (rid := "0x" + RecordPackage.from_json(body).entry_id.hex()) in (entry_id, result_id)
    }
    disputed, revoked = answers[entry_id], answers[result_id]
    assert disputed["authentic"] and disputed["current"] and disputed["status"] == "DISPUTED"
    assert "an objection is pending (DISPUTED)" in disputed["reasons"]
    assert [h["event"] for h in disputed["history"]][-1] == "EntryStatusChanged"
    assert disputed["history"][-1]["block"] >= block - 1 and disputed["history"][-1]["tx"].startswith("0x")
    assert revoked["authentic"] and not revoked["current"] and revoked["status"] == "REVOKED"
    assert revoked["recognition"] == {}  # a revoked result is recognised nowhere any more


def test_a_package_of_no_record_is_refused_with_reasons(
    clients: dict[str, GatewayClient], dev_exchange: DevExchange
) -> None:
    import orjson

    doc = orjson.loads(dev_exchange.packages(Province.JS, kind="evaluation")[0])
    good = clients["agency"].verify(orjson.dumps(doc))
    assert good["authentic"] and good["kind"] == "evaluation"
    assert set(good["recognition"]) == {"sh", "zj", "ah"}
    doc["record"]["local_id"] = "JSPJ-NEVER-PUBLISHED"
    doc["entry_id"] = "0x" + "00" * 32
    answer = clients["agency"].verify(orjson.dumps(doc))
    assert not answer["authentic"] and answer["reasons"][0].startswith("the package does not hold together")


def test_the_index_follows_on_each_backend(dev_exchange: DevExchange, gateway_dsn: str) -> None:
    from gateway.db import open_engine
    from gateway.index.follower import IndexFollower
    from gateway.index.store import LedgerIndex

    deployment = dev_exchange.exchange.deployment
    assert deployment is not None
    view = LedgerView(client=dev_exchange.exchange.provinces[Province.JS].client, deployment=deployment)
    engine = open_engine(gateway_dsn)
    try:
        index = LedgerIndex(engine=engine)
        head = IndexFollower(index=index, reader=view.reader, deployment=deployment).catch_up()
        assert index.cursor is not None and index.cursor.block == head
        assert index.members() == [31, 32, 33, 34]
        keyring = dev_exchange.dd.keyring()
        now = int(dt.datetime.now(dt.UTC).timestamp())
        for body in dev_exchange.packages(Province.JS):
            pkg = RecordPackage.from_json(body)
            expected = verify_package(pkg, view, keyring=keyring, now=now).to_json()
            assert verify_package(pkg, index.view().as_ledger_view(), keyring=keyring, now=now).to_json() == expected
        again = LedgerIndex(engine=engine)  # the cursor is persistent: nothing is read twice
        assert again.cursor == index.cursor
    finally:
        engine.dispose()
