"""Cross-province sync: follow the ledger and keep a checked copy of every other province's
entries and results in this province's store.

The syncer reads the contracts' events from its cursor onwards, page by page. For each entry or
result of another province it learns from the ledger the version, status, commitment, subject
tag and validity; while the record is shared, it asks the owner for the package of a version it
does not hold yet, checks the package against what the ledger recorded, and stores it. A package
that does not match is refused and reported, never stored; one the owner cannot serve yet is
asked for again on the next run. When an entry is repaired, revoked or expires, the copies'
content (record and salt) is dropped and only the ledger facts stay. A page's writes and the
cursor move together in one store transaction.

A result in a mutual-recognition domain is recognised on the ledger by this province (through
the outbox) once the consortium's agreement maps its scheme and grade.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field
from typing import Any

from adapters.chain.view import LedgerView
from adapters.core.canonical import canonical_bytes
from adapters.core.errors import AdapterError
from adapters.core.model import RECOGNITION_DOMAINS, EntryStatus
from adapters.core.package import RecordPackage, check_package
from adapters.core.provinces import Province
from adapters.core.tags import TagKeyring
from adapters.pipeline.collector import bulk_work
from adapters.pipeline.packages import Key, PackageSource
from adapters.store.rows import Changes, StoredRecord
from adapters.store.store import Store
from node.events import LedgerEvent

log = logging.getLogger(__name__)

CURSOR = "sync"
RESULT_ACTIVE, RESULT_REVOKED = 1, 2
_RECOGNITION_DOMAINS = frozenset(int(d) for d in RECOGNITION_DOMAINS)


def is_shared(kind: str, status: int) -> bool:
    """Whether a record in ``status`` is still published and shared."""
    if kind == "list-entry":
        return EntryStatus(status).shared
    return status == RESULT_ACTIVE


@dataclass
class _Chain:
    """What the ledger says about one record of another province."""

    kind: str
    owner: int
    version: int = 0
    status: int = 0
    subject_tag: str = ""
    list_type: int | None = None
    domain: int = 0
    scheme_id: int | None = None
    grade: int | None = None
    contents: dict[int, dict[str, Any]] = field(default_factory=dict)  # version -> commitment, validity
    block: int = 0

    @classmethod
    def of_stored(cls, rec: StoredRecord, commitment: str) -> _Chain:
        return cls(
            rec.kind,
            Province.parse(rec.province).code,
            version=rec.version,
            status=rec.status,
            subject_tag=rec.subject_tag,
            list_type=rec.list_type,
            domain=rec.domain,
            scheme_id=rec.scheme_id,
            grade=rec.grade,
            contents={
                rec.version: {
                    "commitment": commitment,
                    "validFrom": rec.chain_valid_from,
                    "validUntil": rec.chain_valid_until,
                }
            },
            block=rec.block_number or 0,
        )

    def fold(self, e: LedgerEvent) -> None:
        """Advance by one of the record's events."""
        a = e.args
        self.block = e.block_number
        if e.name == "EntryPublished":
            self.version, self.status = 1, int(EntryStatus.PUBLISHED)
            self.subject_tag, self.list_type, self.domain = a["subjectTag"], a["listType"], a["domain"]
            self.contents[1] = {k: a[k] for k in ("commitment", "validFrom", "validUntil")}
        elif e.name == "EntryAmended":
            self.version, self.status = a["version"], int(EntryStatus.AMENDED)
            self.contents[a["version"]] = {k: a[k] for k in ("commitment", "validFrom", "validUntil")}
        elif e.name == "EntryStatusChanged":
            self.status = a["status"]
        elif e.name == "ResultPublished":
            self.version, self.status = 1, RESULT_ACTIVE
            self.subject_tag, self.domain = a["subjectTag"], a["domain"]
            self.scheme_id, self.grade = a["schemeId"], a["grade"]
            self.contents[1] = {
                "commitment": a["commitment"],
                "validFrom": a["evaluatedAt"],
                "validUntil": a["validUntil"],
            }
        elif e.name == "ResultRevoked":
            self.status = RESULT_REVOKED

    def complete_from(self, old: StoredRecord) -> None:
        """Fill in what this page did not show (the record was published in an earlier page)."""
        if not self.subject_tag:
            self.subject_tag, self.list_type, self.domain = old.subject_tag, old.list_type, old.domain
            self.scheme_id, self.grade = old.scheme_id, old.grade
        if self.version == 0:
            self.version = old.version
        if self.version not in self.contents and self.version == old.version:
            self.contents[self.version] = {"validFrom": old.chain_valid_from, "validUntil": old.chain_valid_until}

    @property
    def shared(self) -> bool:
        return is_shared(self.kind, self.status)


@dataclass
class SyncStats:
    pages: int = 0
    events: int = 0
    stored: int = 0
    withdrawn: int = 0
    refused: int = 0
    waiting: int = 0
    recognitions: int = 0
    to_block: int | None = None


class Syncer:
    """Keeps ``province``'s store in step with the ledger for other provinces' records."""

    def __init__(
        self,
        *,
        province: Province,
        store: Store,
        view: LedgerView,
        source: PackageSource,
        keyring: TagKeyring | None = None,
        recognise: bool = True,
    ) -> None:
        self.province = province
        self.store = store
        self.view = view
        self.source = source
        self.keyring = keyring
        self.recognise = recognise
        self._mappings: dict[tuple[int, int, int], int] = {}  # (domain, owner, scheme) -> grades mapped

    def run_once(self, *, to_block: int | None = None) -> SyncStats:
        """Sync from the cursor to ``to_block`` (default: the ledger head), then ask again for
        the packages that could not be had before."""
        stats = SyncStats()
        cursor = self.store.cursor(CURSOR)
        start = self.view.deployment.deploy_block if cursor is None else cursor + 1
        asked: set[Key] = set()
        with bulk_work():
            for page in self.view.reader.pages(start, to_block):
                stats.pages += 1
                stats.events += len(page.events)
                self._apply(page.events, page.to_block, stats, asked)
                stats.to_block = page.to_block
            self._retry_missing(stats, skip=asked)
        return stats

    # -- one page ---------------------------------------------------------------------------

    def _apply(self, events: list[LedgerEvent], to_block: int, stats: SyncStats, asked: set[Key]) -> None:
        ours = self.province.code
        chains: dict[str, _Chain] = {}
        recognised_by_us: set[str] = set()
        for e in events:
            if e.name == "SchemeMapped":
                key = (e.args["domain"], e.args["province"], e.args["schemeId"])
                self._mappings[key] = len(e.args["yrdGrades"])
                continue
            rid = e.args.get("entryId") or e.args.get("resultId")
            if rid is None:
                continue
            if e.name == "ResultRecognised":
                if e.args["province"] == ours:
                    recognised_by_us.add(rid)
                continue
            if e.args["province"] == ours:
                continue
            chain = chains.get(rid)
            if chain is None:
                kind = "list-entry" if e.contract == "CreditLists" else "evaluation"
                chain = chains[rid] = _Chain(kind, int(e.args["province"]))
            chain.fold(e)
        changes = Changes.empty()
        changes.cursor = (CURSOR, to_block)
        if chains:
            stored = self.store.records(sorted(chains))
            for rid, chain in chains.items():
                if rid in stored:
                    chain.complete_from(stored[rid])
            wanted: dict[int, list[Key]] = {}
            for rid, chain in chains.items():
                old = stored.get(rid)
                if chain.shared and (old is None or old.version != chain.version):
                    wanted.setdefault(chain.owner, []).append((rid, chain.version))
            asked.update(key for keys in wanted.values() for key in keys)
            packages = self._fetch(wanted)
            for rid, chain in chains.items():
                pkg = packages.get((rid, chain.version))
                self._stage(rid, chain, stored.get(rid), pkg, changes, stats, recognised_by_us)
        self.store.write(changes)

    def _fetch(self, wanted: dict[int, list[Key]], away: set[int] | None = None) -> dict[Key, RecordPackage]:
        """The packages the owners serve; an owner that cannot is added to ``away``."""
        out: dict[Key, RecordPackage] = {}
        for owner, keys in wanted.items():
            try:
                out.update(self.source.packages(Province.from_code(owner), keys))
            except (AdapterError, OSError, ValueError) as exc:
                log.warning("packages of province %s unavailable, asking again later: %s", owner, exc)
                if away is not None:
                    away.add(owner)
        return out

    def _stage(
        self,
        rid: str,
        chain: _Chain,
        old: StoredRecord | None,
        pkg: RecordPackage | None,
        changes: Changes,
        stats: SyncStats,
        recognised_by_us: set[str],
    ) -> None:
        content = chain.contents.get(chain.version, {})
        row = {
            "version": chain.version,
            "status": chain.status,
            "anchored_version": chain.version,
            "anchored_status": chain.status,
            "block_number": chain.block,
            "chain_valid_from": content.get("validFrom", 0),
            "chain_valid_until": content.get("validUntil", 0),
        }
        if old is None:
            changes.new_records.append(
                {
                    "record_id": rid,
                    "kind": chain.kind,
                    "province": Province.from_code(chain.owner).value,
                    "local_id": "",
                    "origin": "synced",
                    "subject_tag": chain.subject_tag,
                    "tag_key_version": 0,
                    "list_type": chain.list_type,
                    "domain": chain.domain,
                    "scheme_id": chain.scheme_id,
                    "grade": chain.grade,
                    "source_updated_at": None,
                    **row,
                }
            )
            identity = changes.new_records[-1]
        else:
            changes.record_updates.append({"record_id": rid, **row})
            identity = changes.record_updates[-1]
        for version, c in sorted(chain.contents.items()):
            if version > (old.version if old else 0) and "commitment" in c:
                changes.new_versions.append(
                    {
                        "record_id": rid,
                        "version": version,
                        "commitment": c["commitment"],
                        "salt": None,
                        "record": None,
                        "valid_from": c.get("validFrom"),
                        "valid_until": c.get("validUntil"),
                    }
                )
        if not chain.shared:
            if old is not None and is_shared(old.kind, old.status):
                stats.withdrawn += 1
            changes.version_updates.extend(
                {"record_id": rid, "version": v, "salt": None, "record": None} for v in range(1, chain.version + 1)
            )
            return
        if pkg is None:
            if old is None or old.version != chain.version:
                stats.waiting += 1
            return
        if not self._store_package(rid, chain, pkg, changes, stats, identity):
            return
        if self.recognise and chain.kind == "evaluation" and rid not in recognised_by_us and self._recognisable(chain):
            changes.ops.append({"op": "recognise", "record_id": rid, "version": 1, "target_status": None})
            stats.recognitions += 1

    def _store_package(
        self,
        rid: str,
        chain: _Chain,
        pkg: RecordPackage,
        changes: Changes,
        stats: SyncStats,
        identity: dict[str, Any],
    ) -> bool:
        problem = self._check(pkg, rid, chain)
        if problem:
            stats.refused += 1
            changes.refusals.append(
                {
                    "record_id": rid,
                    "version": chain.version,
                    "owner": Province.from_code(chain.owner).value,
                    "reason": problem,
                    "block_number": chain.block,
                }
            )
            return False
        changes.version_updates.append(
            {
                "record_id": rid,
                "version": chain.version,
                "salt": "0x" + pkg.salt.hex(),
                "record": canonical_bytes(pkg.record).decode("utf-8"),
            }
        )
        identity.update(local_id=pkg.record.local_id, tag_key_version=pkg.tag_key_version)
        stats.stored += 1
        return True

    def _check(self, pkg: RecordPackage, rid: str, chain: _Chain) -> str | None:
        """Why ``pkg`` does not match the ledger (None when it does)."""
        try:
            expected = check_package(pkg, keyring=self.keyring)
        except AdapterError as exc:
            return f"the package does not hold together: {exc}"
        content = chain.contents.get(chain.version, {})
        checks = (
            ("entry id", "0x" + expected.entry_id.hex() == rid),
            ("owner", expected.province == chain.owner),
            ("version", expected.version == chain.version),
            ("commitment", "0x" + expected.commitment.hex() == content.get("commitment")),
            ("subject tag", "0x" + expected.subject_tag.hex() == chain.subject_tag),
            ("domain", expected.domain == chain.domain),
            ("valid-from", expected.valid_from == content.get("validFrom")),
            ("valid-until", expected.valid_until == content.get("validUntil")),
            ("list type", chain.kind != "list-entry" or expected.list_type == chain.list_type),
            (
                "grade",
                chain.kind == "list-entry" or (expected.grade, expected.scheme_id) == (chain.grade, chain.scheme_id),
            ),
        )
        mismatches = [name for name, ok in checks if not ok]
        if mismatches:
            return "the package does not match the ledger: " + ", ".join(mismatches)
        return None

    # -- recognition ----------------------------------------------------------------------

    def _recognisable(self, chain: _Chain) -> bool:
        if chain.domain not in _RECOGNITION_DOMAINS or chain.scheme_id is None or chain.grade is None:
            return False
        valid_until = chain.contents.get(1, {}).get("validUntil", 0)
        if valid_until and valid_until <= int(dt.datetime.now(dt.UTC).timestamp()):
            return False
        key = (chain.domain, chain.owner, chain.scheme_id)
        if key not in self._mappings:
            self._mappings[key] = len(self.view.scheme_mapping(*key))
        return 0 < chain.grade <= self._mappings[key]

    # -- retries --------------------------------------------------------------------------

    def _retry_missing(self, stats: SyncStats, *, skip: set[Key]) -> None:
        """Ask again for every shared version whose package could not be had earlier, a page at
        a time (not those asked for in this run already: a refused package is reported once per
        run; nor, for the rest of the run, those of an owner that could not serve a page)."""
        after = ""
        away: set[int] = set()
        while page := self.store.missing_content(after=after):
            after = page[-1].record_id
            missing = [
                rec
                for rec in page
                if (rec.record_id, rec.version) not in skip and Province.parse(rec.province).code not in away
            ]
            if missing:
                self._retry_page(missing, stats, away)

    def _retry_page(self, missing: list[StoredRecord], stats: SyncStats, away: set[int]) -> None:
        wanted: dict[int, list[Key]] = {}
        for rec in missing:
            wanted.setdefault(Province.parse(rec.province).code, []).append((rec.record_id, rec.version))
        packages = self._fetch(wanted, away)
        if not packages:
            return
        versions = self.store.versions(list(packages))
        changes = Changes.empty()
        for rec in missing:
            pkg = packages.get((rec.record_id, rec.version))
            stored = versions.get((rec.record_id, rec.version))
            if pkg is None or stored is None:
                continue
            identity: dict[str, Any] = {"record_id": rec.record_id}
            chain = _Chain.of_stored(rec, stored.commitment)
            if self._store_package(rec.record_id, chain, pkg, changes, stats, identity):
                changes.record_updates.append(identity)
        self.store.write(changes)


def synced_set(store: Store) -> set[tuple[str, int, int]]:
    """(record id, version, status) of every synced copy: what convergence compares."""
    return {(rec.record_id, rec.version, rec.status) for rec, _ in store.iter_records(origin="synced")}
