"""``yrdx demo``: the exchange's whole story on a fresh data dir, every step checked.

Zhejiang publishes a black-list entry; Shanghai, Jiangsu and Anhui sync it and write it to their
platforms; a credit agency verifies the package (authentic, PUBLISHED); the subject objects and
the entry goes DISPUTED, then Zhejiang amends it; the subject completes credit repair and the
entry goes REPAIRED; the agency verifies again and sees REPAIRED; an evaluation result from
Jiangsu is recognised in the other three provinces with mapped grades; the agency asks who
queried the subject; an auditor replays the ledger and the report is clean.

Each step says what it did and raises ``DemoFailure`` when what it sees is not what the story
expects.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from adapters.audit.chain import ChainReplay
from adapters.audit.credentials import AuditorCredentials, TokenSource
from adapters.audit.gateway import AuditApi
from adapters.audit.run import Audit, TrailCheck
from adapters.audit.trail import GatewayTrailCheck
from adapters.core.canonical import record_id
from adapters.core.grades import SCHEME_OF_PROVINCE, YRD_SCALE
from adapters.core.model import (
    Domain,
    EntryStatus,
    EvaluationResult,
    ListEntry,
    ListType,
    SourceEntry,
    SourceEvaluation,
    SubjectKind,
)
from adapters.core.provinces import PROVINCES, Province
from adapters.dialects import DIALECTS
from adapters.pipeline.export import export
from adapters.pipeline.packages import load_packages
from adapters.synthetic import Synthesizer
from gateway.client import GatewayClient
from gateway.server import GatewayFleet
from node.engines import free_port
from node.events import EventCodec, EventReader
from yrdx.commands.gateway import client_dir, dev_credentials, package_source, start_gateways
from yrdx.context import DataDir
from yrdx.runtime import Exchange

ZJ, SH, JS, AH = Province.ZJ, Province.SH, Province.JS, Province.AH
PEERS = (SH, JS, AH)
PURPOSE = "信用报告（贷款审查）"  # credit report for a loan review
AUTHORISATION = "consent:YRD-2026-000731"


class DemoFailure(Exception):
    """A step of the story did not turn out as it should."""


@dataclass
class Story:
    """What the demo saw, step by step (printed as the summary)."""

    steps: list[str] = field(default_factory=list)
    facts: dict[str, Any] = field(default_factory=dict)

    def say(self, line: str) -> None:
        self.steps.append(line)


def _expect(condition: bool, what: str) -> None:
    if not condition:
        raise DemoFailure(what)


class Demo:
    """Runs the story against an exchange whose ledger is at ``rpc_url``."""

    def __init__(self, data_dir: DataDir, *, rpc_url: str, echo: Callable[[str], None]) -> None:
        self.dd = data_dir
        self.rpc_url = rpc_url
        self.echo = echo
        self.story = Story()
        self.exchange = Exchange(data_dir, rpc_url=rpc_url)
        self.fleet: GatewayFleet | None = None
        self.exports = data_dir.root / "demo"

    def _say(self, line: str) -> None:
        self.story.say(line)
        self.echo(line)

    # -- set up ---------------------------------------------------------------------------

    def start(self) -> None:
        self.exchange.prepare()
        ports = {p: free_port() for p in PROVINCES}
        self.fleet = start_gateways(
            self.dd,
            rpc_url=self.rpc_url,
            clients={p: part.client for p, part in self.exchange.provinces.items()},
            stores={p: part.store for p, part in self.exchange.provinces.items()},
            ports=ports,
        )
        urls = self.fleet.urls
        self.exchange.attach_syncers(lambda p: package_source(self.dd, p, urls))
        self._say(f"exchange ready: ledger {self.rpc_url}, gateways {', '.join(urls.values())}")

    def stop(self) -> None:
        if self.fleet is not None:
            self.fleet.stop()
        self.exchange.stop()

    def gateway(self, province: Province, client: str) -> GatewayClient:
        assert self.fleet is not None
        return GatewayClient(self.fleet.urls[province], credentials=dev_credentials(self.dd, client))

    # -- the story ------------------------------------------------------------------------

    def run(self) -> Story:
        entry = self._listed_entry()
        entry_id = "0x" + record_id(entry).hex()
        self.story.facts["entry_id"] = entry_id

        self._publish(entry, EntryStatus.PUBLISHED, "Zhejiang publishes a black-list entry", expect_published=1)
        self._wait_for_indexes()
        self._sync_and_export(entry_id, shared=True)
        package = self._package(entry_id, 1)
        verdict = self._verify(package)
        _expect(verdict["authentic"] and verdict["current"], f"the agency's first verification: {verdict['reasons']}")
        _expect(verdict["status"] == "PUBLISHED", f"expected PUBLISHED, the ledger says {verdict['status']}")
        self._say(f"the credit agency verifies the package: authentic, current, {verdict['status']}")
        with self.gateway(SH, "agency") as agency:
            found = agency.subject(entry.subject_id, purpose=PURPOSE, authorisation=AUTHORISATION)
        _expect(
            any(e.get("entry_id") == entry_id for e in found.get("entries", [])),
            "the agency's subject query did not find the entry",
        )
        self._say(f"the agency queries the subject at Shanghai's gateway for “{PURPOSE}”: the entry is found")

        self._publish(entry, EntryStatus.DISPUTED, "the subject objects: Zhejiang marks the entry DISPUTED")
        self._expect_status(entry_id, "DISPUTED")
        amended = dataclasses.replace(
            entry,
            reason=entry.reason + "（经复核，违法事实部分更正）",
            valid_until=entry.valid_until - dt.timedelta(days=365) if entry.valid_until else None,
        )
        self._publish(amended, EntryStatus.AMENDED, "the objection is partly upheld: Zhejiang amends the entry")
        self._expect_status(entry_id, "AMENDED", version=2)
        self._publish(amended, EntryStatus.REPAIRED, "the subject completes credit repair: the entry is REPAIRED")
        self._expect_status(entry_id, "REPAIRED", version=2)
        self._wait_for_indexes()
        repaired = self._verify(self._package(entry_id, 2))
        _expect(repaired["authentic"], f"the amended package should be authentic: {repaired['reasons']}")
        _expect(repaired["status"] == "REPAIRED" and not repaired["current"], "the agency should see REPAIRED")
        self._say(f"the agency verifies again: authentic, not current — {'; '.join(repaired['reasons'])}")
        self._sync_and_export(entry_id, shared=False)

        self._recognition()
        self._access_log(entry.subject_id)
        self._audit()
        return self.story

    # -- steps ----------------------------------------------------------------------------

    def _listed_entry(self) -> ListEntry:
        synth = Synthesizer(ZJ, seed=2026, sample=True)
        subject = synth.subject(SubjectKind.LEGAL_PERSON)
        authority_name, authority_uscc = synth.authority(Domain.ECOLOGY)
        today = dt.date.today()
        return ListEntry(
            province=ZJ,
            local_id=f"ZJ-DEMO-{today:%Y%m%d}-0001",
            list_type=ListType.BLACK,
            domain=Domain.ECOLOGY,
            subject_kind=subject.kind,
            subject_name=subject.name,
            subject_id=subject.subject_id,
            reason="通过暗管排放水污染物，逃避监管",
            legal_basis="《中华人民共和国水污染防治法》第八十三条",
            authority_name=authority_name,
            authority_uscc=authority_uscc,
            decided_on=today - dt.timedelta(days=3),
            valid_from=today - dt.timedelta(days=3),
            valid_until=today + dt.timedelta(days=3 * 365),
        )

    def _publish(self, entry: ListEntry, status: EntryStatus, line: str, *, expect_published: int = 0) -> None:
        path = self.exports / f"zj-{status.name.lower()}{DIALECTS[ZJ].extension}"
        path.parent.mkdir(parents=True, exist_ok=True)
        updated = dt.datetime.now(dt.UTC).replace(microsecond=0)
        DIALECTS[ZJ].write_entries([SourceEntry(entry, status, updated)], path)
        summary = self.exchange.ingest(ZJ, path, "entries")
        _expect(summary.quarantined == 0, f"Zhejiang's export was refused: see the quarantine report ({line})")
        _expect(summary.published == expect_published, f"expected {expect_published} published, got {summary}")
        self._say(f"{line} (Zhejiang's XML export ingested, confirmed on the ledger)")

    def _expect_status(self, entry_id: str, status: str, *, version: int = 1) -> None:
        rec = self.exchange.provinces[ZJ].store.record(entry_id)
        _expect(rec is not None, "Zhejiang's store lost the entry")
        assert rec is not None
        anchored = EntryStatus(rec.anchored_status).name
        _expect(
            anchored == status and rec.anchored_version == version,
            f"expected {status} v{version} on the ledger, Zhejiang's store says {anchored} v{rec.anchored_version}",
        )

    def _wait_for_indexes(self) -> None:
        """Until every gateway's ledger index has caught up with the head."""
        assert self.fleet is not None
        head = self.exchange.provinces[ZJ].client.block_number()
        for gateway in self.fleet.gateways:
            if gateway.deps.follower is not None:
                gateway.deps.follower.catch_up()
            _expect(
                gateway.deps.index.cursor is not None and gateway.deps.index.cursor.block >= head,
                f"the ledger index of {gateway.deps.gateway_id} is behind block {head}",
            )

    def _sync_and_export(self, entry_id: str, *, shared: bool) -> None:
        self.exchange.sync_round()
        for p in PEERS:
            store = self.exchange.provinces[p].store
            copy = store.record(entry_id)
            _expect(copy is not None, f"{p.name_en} did not sync the entry")
            version = store.current_versions([entry_id]).get(entry_id)
            has_content = version is not None and version.record is not None
            _expect(
                has_content == shared, f"{p.name_en}'s copy should {'hold' if shared else 'no longer hold'} content"
            )
            result = export(store, p, self.dd.export_dir(p))
            listed = self._listed_in(p, result.entries_path, entry_id)
            _expect(listed == shared, f"{p.name_en}'s platform export should {'list' if shared else 'drop'} the entry")
        verb = "sync the entry and write it to their platforms" if shared else "drop it from their platforms"
        self._say(f"Shanghai, Jiangsu and Anhui {verb} (exports in {self.dd.root / 'exports'})")

    def _listed_in(self, province: Province, path: Path, entry_id: str) -> bool:
        for item in DIALECTS[province].read_entries(path):
            record = getattr(item, "record", None)
            if record is not None and "0x" + record_id(record.entry).hex() == entry_id:
                return True
        return False

    def _package(self, entry_id: str, version: int) -> bytes:
        """The package Zhejiang hands the subject (and the subject the agency)."""
        packages = load_packages(self.exchange.provinces[ZJ].store, [(entry_id, version)])
        _expect((entry_id, version) in packages, f"Zhejiang cannot produce the package of version {version}")
        return packages[(entry_id, version)].to_json()

    def _verify(self, package: bytes) -> dict[str, Any]:
        with self.gateway(SH, "agency") as agency:
            return agency.verify(package)

    def _recognition(self) -> None:
        scheme = SCHEME_OF_PROVINCE[JS]
        synth = Synthesizer(JS, seed=2026, sample=True)
        subject = synth.subject(SubjectKind.LEGAL_PERSON)
        today = dt.date.today()
        result = EvaluationResult(
            province=JS,
            local_id=f"JS-DEMO-EV-{today:%Y%m%d}",
            subject_kind=subject.kind,
            subject_name=subject.name,
            subject_id=subject.subject_id,
            domain=Domain.ECOLOGY,
            scheme_id=scheme.scheme_id,
            grade="蓝",
            evaluated_on=today - dt.timedelta(days=1),
            valid_until=today + dt.timedelta(days=365),
        )
        path = self.exports / f"js-evaluation{DIALECTS[JS].extension}"
        DIALECTS[JS].write_evaluations(
            [SourceEvaluation(result, False, dt.datetime.now(dt.UTC).replace(microsecond=0))], path
        )
        summary = self.exchange.ingest(JS, path, "evaluations")
        _expect(summary.published == 1, f"Jiangsu's evaluation was not published: {summary}")
        self.exchange.sync_round()
        self._wait_for_indexes()
        result_id = "0x" + record_id(result).hex()
        package = load_packages(self.exchange.provinces[JS].store, [(result_id, 1)])[(result_id, 1)].to_json()
        verdict = self._verify(package)
        expected = YRD_SCALE[scheme.yrd_indexes()[scheme.index("蓝") - 1] - 1]
        recognised = {p: r["yrd_grade"] for p, r in verdict.get("recognition", {}).items()}
        _expect(
            recognised == {p.value: expected for p in (SH, ZJ, AH)},
            f"expected YRD grade {expected} in sh, zj, ah; the ledger says {recognised}",
        )
        self._say(
            "Jiangsu's evaluation (生态环境, grade 蓝) is recognised in Shanghai, Zhejiang and Anhui "
            f"as YRD grade {expected}"
        )

    def _access_log(self, subject_id: str) -> None:
        with self.gateway(SH, "agency") as agency:
            log = agency.access_log(subject_id, purpose="查询记录告知（数据主体请求）", authorisation=AUTHORISATION)
        purposes = [a.get("purpose") for a in log.get("accesses", [])]
        _expect(PURPOSE in purposes, f"the access log does not show the earlier query: {purposes}")
        self._say(f"the agency asks who queried the subject: {len(purposes)} queries, including “{PURPOSE}”")

    def _audit(self) -> None:
        assert self.fleet is not None
        self.exchange.sync_round()
        for gateway in self.fleet.gateways:
            if gateway.deps.anchorer is not None:
                gateway.deps.anchorer.anchor()  # checkpoint the trails as they stand
        deployment = self.dd.deployment()
        reader = EventReader(rpc_url=self.rpc_url, codec=EventCodec(deployment.addresses()))
        credentials = AuditorCredentials.load(client_dir(self.dd, "auditor"), password=self.dd.password())
        trails: list[TrailCheck] = [
            GatewayTrailCheck(url, AuditApi(url, token=TokenSource(url, credentials)))
            for url in self.fleet.urls.values()
        ]
        outcome = Audit(
            engine=ChainReplay(reader=reader, deployment=deployment),
            stores={p: part.store for p, part in self.exchange.provinces.items()},
            trails=trails,
            keyring=self.dd.keyring(),
        ).run()
        _expect(outcome.ok, f"the audit found discrepancies: {outcome.report['discrepancies']}")
        digest = outcome.report["replay"]["state_digest"]
        self.story.facts["state_digest"] = digest
        self._say(f"an auditor replays the ledger and checks the four stores and gateway trails: clean, state {digest}")
