"""A development exchange for the audit tests: the four provinces' samples ingested, a later
export of each (amendments, objections, repairs, revocations, new records) ingested on top,
every province synced, and governance exercised (quorum lowered and restored, a fifth member
admitted and removed)."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

from adapters.core.provinces import PROVINCES, Province
from adapters.pipeline.ingest import QuarantineReport, ingest
from adapters.pipeline.plan import Planner, utc_now
from adapters.samples import sample_path
from adapters.synthetic import generate_deltas
from node.client import LedgerClient
from node.deploy import Deployment
from tests.support import FAST_RETRY, dev_account
from yrdx.context import DataDir
from yrdx.runtime import Exchange

NEW_MEMBER = 35


@dataclass(frozen=True)
class DevExchange:
    """A finished development exchange: its data dir (stores, manifest) on a ledger."""

    data_dir: DataDir
    url: str
    deployment: Deployment

    def store_dsn(self, p: Province) -> str:
        return self.data_dir.store_dsn(p)

    def copy(self, dest: Path) -> DevExchange:
        """The same exchange with copies of its stores (to tamper with) under ``dest``."""
        shutil.copytree(self.data_dir.root, dest)
        return DevExchange(DataDir(dest), self.url, self.deployment)


def _client(url: str, index: int) -> LedgerClient:
    return LedgerClient(rpc_url=url, account=dev_account(index), retry=FAST_RETRY, poll_interval=0.005)


def _governance(url: str, deployment: Deployment) -> None:
    """Quorum 3 → 2, admit member 35, remove it, quorum back to 3: each a proposal with votes."""
    members = {code: _client(url, i + 1) for i, code in enumerate((31, 32, 33, 34))}

    def propose(code: int, function: str, *args: object) -> int:
        client = members[code]
        consortium = client.contract("Consortium", deployment.address("Consortium"))
        receipt = client.transact(getattr(consortium.functions, function)(*args))
        return int(receipt.logs[0]["topics"][1], 16)

    def vote(code: int, proposal: int) -> None:
        client = members[code]
        client.transact(client.contract("Consortium", deployment.address("Consortium")).functions.vote(proposal))

    p = propose(31, "proposeSetQuorum", 2)
    vote(32, p)
    vote(33, p)
    p = propose(32, "proposeAddMember", NEW_MEMBER, dev_account(6).address)
    vote(34, p)
    p = propose(33, "proposeRemoveMember", NEW_MEMBER)
    vote(31, p)
    p = propose(34, "proposeSetQuorum", 3)
    vote(31, p)


def build(root: Path, url: str) -> DevExchange:
    """Build the exchange in data dir ``root`` on the ledger at ``url``."""
    data_dir = DataDir(root)
    exchange = Exchange(data_dir, rpc_url=url)
    try:
        exchange.prepare()
        assert exchange.deployment is not None
        exchange.ingest_samples()
        exchange.attach_syncers()
        exchange.sync_round()
        keyring = data_dir.keyring()
        later_dir = root / "later"
        later_dir.mkdir()
        for p in PROVINCES:
            part = exchange.provinces[p]
            planner = Planner(keyring=keyring, tag_key_version=1, now=utc_now)
            for kind in ("entries", "evaluations"):
                source = sample_path(p, kind)  # type: ignore[arg-type]
                later = later_dir / f"{p.value}-{source.name}"
                generate_deltas(p, kind, source, later, seed=5, change_share=0.3, new_share=0.0)  # type: ignore[arg-type]
                report = QuarantineReport.to_path(None)
                try:
                    ingest(
                        province=p,
                        kind=kind,  # type: ignore[arg-type]
                        source=later,
                        source_name=str(later),
                        store=part.store,
                        planner=planner,
                        publisher=part.publisher,
                        quarantine=report,
                    )
                finally:
                    report.close()
        _governance(url, exchange.deployment)
        exchange.sync_round()
        exchange.sync_round()
        return DevExchange(data_dir, url, exchange.deployment)
    finally:
        exchange.stop()


def audit_args(ex: DevExchange, *extra: str, stores: bool = True) -> list[str]:
    """``yrdx audit replay`` arguments for ``ex`` (every store, the tag keyring)."""
    args = ["audit", "replay", "--data-dir", str(ex.data_dir.root), "--rpc", ex.url, "--no-progress"]
    if stores:
        for p in PROVINCES:
            args += ["--store", f"{p.value}={ex.store_dsn(p)}"]
        args += ["--tag-keys", str(ex.data_dir.tag_keys)]
    return [*args, *extra]
