"""Helpers of the pipeline tests: one exchange on a development data dir (``Net``), the ledger's
record set rebuilt from its events, and where each record of a generated export sits."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any

from click.testing import Result
from typer.testing import CliRunner

from adapters.chain.view import LedgerView
from adapters.core.canonical import record_id
from adapters.core.model import EntryStatus
from adapters.core.provinces import PROVINCES, Province
from adapters.core.tags import TagKeyring
from adapters.dialects import DIALECTS, Parsed
from adapters.pipeline.ingest import IngestSummary, Kind, QuarantineReport, ingest
from adapters.pipeline.packages import StorePackageSource
from adapters.pipeline.plan import Planner, utc_now
from adapters.pipeline.publisher import Publisher
from adapters.pipeline.sync import Syncer
from adapters.store import Store
from node.client import LedgerClient
from node.deploy import Deployment
from node.events import LedgerEvent
from tests.adapters.conftest import StoreFactory
from yrdx.cli import app
from yrdx.context import DataDir

REPO = Path(__file__).resolve().parents[3]
RESULT_ACTIVE, RESULT_REVOKED = 1, 2


@dataclass
class ChainRecord:
    """A record as the ledger's events leave it."""

    kind: str
    owner: int
    version: int = 0
    status: int = 0
    published: int = 0  # EntryPublished / ResultPublished events seen
    amended: int = 0
    status_changes: list[int] = field(default_factory=list)

    @property
    def shared(self) -> bool:
        if self.kind == "list-entry":
            return EntryStatus(self.status).shared
        return self.status == RESULT_ACTIVE


def chain_records(events: list[LedgerEvent]) -> dict[str, ChainRecord]:
    """Every entry and result on the ledger, rebuilt from its events (record id → state)."""
    out: dict[str, ChainRecord] = {}
    for e in sorted(events, key=lambda e: e.position):
        a = e.args
        if e.name == "EntryPublished":
            rec = out.setdefault(a["entryId"], ChainRecord("list-entry", a["province"]))
            rec.version, rec.status, rec.published = 1, int(EntryStatus.PUBLISHED), rec.published + 1
        elif e.name == "EntryAmended":
            rec = out[a["entryId"]]
            rec.version, rec.status, rec.amended = a["version"], int(EntryStatus.AMENDED), rec.amended + 1
        elif e.name == "EntryStatusChanged":
            rec = out[a["entryId"]]
            rec.status = a["status"]
            rec.status_changes.append(a["status"])
        elif e.name == "ResultPublished":
            rec = out.setdefault(a["resultId"], ChainRecord("evaluation", a["province"]))
            rec.version, rec.status, rec.published = 1, RESULT_ACTIVE, rec.published + 1
        elif e.name == "ResultRevoked":
            rec = out[a["resultId"]]
            rec.status = RESULT_REVOKED
            rec.status_changes.append(RESULT_REVOKED)
    return out


def record_key(record: Any) -> str:
    """The 0x record id of a source entry or evaluation."""
    inner = record.entry if hasattr(record, "entry") else record.result
    return "0x" + record_id(inner).hex()


def read_valid(province: Province, kind: str, path: Path) -> dict[str, Any]:
    """The valid records of an export, by record id (the last one wins, as in a later line)."""
    dialect = DIALECTS[province]
    items = dialect.read_entries(path) if kind == "entries" else dialect.read_evaluations(path)
    return {record_key(i.record): i.record for i in items if isinstance(i, Parsed)}


def location_of(province: Province, index: int) -> str:
    """Where record ``index`` (0-based) of a file written by the generator is reported: every
    writer puts one record per line after its header lines; Anhui names the array slot."""
    if province is Province.AH:
        return f"rows[{index}]"
    header_lines = {Province.SH: 0, Province.JS: 1, Province.ZJ: 2}[province]
    return f"line {index + 1 + header_lines}"


def file_name(province: Province, kind: str) -> str:
    return f"{kind}{DIALECTS[province].extension}"


class Net:
    """One exchange: a development data dir on a ledger, and the provinces' stores."""

    def __init__(self, data_dir: DataDir, url: str, deployment: Deployment, stores: StoreFactory) -> None:
        self.dd = data_dir
        self.url = url
        self.deployment = deployment
        self.stores = stores
        self.keyring: TagKeyring = data_dir.keyring()
        self._stores: dict[Province, Store] = {}
        self._clients: dict[Province, LedgerClient] = {}
        self._publishers: dict[Province, Publisher] = {}
        self._view: LedgerView | None = None

    def __enter__(self) -> Net:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._stores.clear()  # the store factory closes them
        self._publishers.clear()

    # -- parts ----------------------------------------------------------------------------

    def dsn(self, p: Province) -> str:
        return self.stores.dsn(p.value)

    def store(self, p: Province) -> Store:
        if p not in self._stores:
            self._stores[p] = self.stores.open(p.value)
        return self._stores[p]

    def client(self, p: Province) -> LedgerClient:
        if p not in self._clients:
            self._clients[p] = self.dd.province_client(p, rpc_url=self.url)
        return self._clients[p]

    def publisher(self, p: Province) -> Publisher:
        """The one publisher of province ``p`` (one per key: they share its nonces)."""
        if p not in self._publishers:
            self._publishers[p] = Publisher(store=self.store(p), client=self.client(p), deployment=self.deployment)
        return self._publishers[p]

    @property
    def view(self) -> LedgerView:
        if self._view is None:
            self._view = LedgerView(client=self.client(Province.SH), deployment=self.deployment)
        return self._view

    def head(self) -> int:
        return self.view.reader.head()

    def events(self) -> list[LedgerEvent]:
        return self.view.reader.events(self.deployment.deploy_block, self.head())

    def chain(self) -> dict[str, ChainRecord]:
        return chain_records(self.events())

    def planner(self) -> Planner:
        return Planner(keyring=self.keyring, tag_key_version=self.view.tag_key_version(), now=utc_now)

    def syncer(self, p: Province, *, recognise: bool = True) -> Syncer:
        view = LedgerView(client=self.client(p), deployment=self.deployment)
        source = StorePackageSource({q: self.store(q) for q in PROVINCES})
        return Syncer(
            province=p, store=self.store(p), view=view, source=source, keyring=self.keyring, recognise=recognise
        )

    # -- running --------------------------------------------------------------------------

    def ingest(
        self, p: Province, path: Path, kind: Kind = "entries", *, quarantine: Path | None = None
    ) -> IngestSummary:
        """The library ingest, as the CLI wires it."""
        report = QuarantineReport.to_path(quarantine)
        try:
            return ingest(
                province=p,
                kind=kind,
                source=path,
                source_name=str(path),
                store=self.store(p),
                planner=self.planner(),
                publisher=self.publisher(p),
                quarantine=report,
            )
        finally:
            report.close()

    def cli(self, *args: str, store_of: Province | None = None, ledger: bool = True) -> Result:
        """``yrdx ARGS --data-dir ...`` in this process, with ``--rpc`` unless not ``ledger``
        and ``--store`` of ``store_of``."""
        extra = ["--data-dir", str(self.dd.root)]
        if ledger:
            extra += ["--rpc", self.url]
        if store_of is not None:
            extra += ["--store", self.dsn(store_of)]
        return self.invoke([*args, *extra])

    def invoke(self, args: list[str]) -> Result:
        """``yrdx ARGS`` exactly as given, in this process."""
        with closing_opened_stores():
            return CliRunner().invoke(app, args, catch_exceptions=True)

    def ingest_cli(
        self, p: Province, path: Path | str, kind: str = "entries", *, quarantine: Path | None = None
    ) -> tuple[int, dict[str, int] | None, Result]:
        """``yrdx adapter ingest --json``: exit code, the printed summary (None if none) and the run."""
        args = ["adapter", "ingest", "--province", p.value, str(path), "--kind", kind, "--json"]
        if quarantine is not None:
            args += ["--quarantine", str(quarantine)]
        result = self.cli(*args, store_of=p)
        if result.exception is not None and not isinstance(result.exception, SystemExit):
            raise result.exception
        lines = [line for line in result.stdout.splitlines() if line.startswith("{")]
        return result.exit_code, (json.loads(lines[-1]) if lines else None), result

    def ingest_command(
        self, p: Province, path: Path, *, batch_size: int = 500, quarantine: Path | None = None
    ) -> list[str]:
        """The argv of ``yrdx adapter ingest`` as its own process."""
        argv = [
            sys.executable, "-m", "yrdx", "adapter", "ingest", "--province", p.value, str(path), "--json",
            "--data-dir", str(self.dd.root), "--rpc", self.url, "--store", self.dsn(p),
            "--batch-size", str(batch_size),
        ]  # fmt: skip
        if quarantine is not None:
            argv += ["--quarantine", str(quarantine)]
        return argv


@contextlib.contextmanager
def closing_opened_stores() -> Iterator[None]:
    """Close the stores a command opens while it runs in this process: ``yrdx adapter`` leaves
    them to the end of its process, which an in-process run does not reach."""
    opened: list[Store] = []
    original = Store.__dict__["open"]

    def open_and_keep(cls: type[Store], dsn: str) -> Store:
        store: Store = original.__func__(cls, dsn)
        opened.append(store)
        return store

    Store.open = classmethod(open_and_keep)  # type: ignore[method-assign, assignment]
    try:
        yield
    finally:
        Store.open = original  # type: ignore[method-assign]
        for store in opened:
            store.close()


def spawn(argv: list[str], log: Path) -> subprocess.Popen[bytes]:
    """Start ``argv`` in the repository root in its own process group, output to ``log``."""
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    with log.open("ab") as out:
        return subprocess.Popen(  # noqa: S603 - the test's own command line
            argv, cwd=REPO, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env,
            start_new_session=True,
        )  # fmt: skip


def kill_hard(process: subprocess.Popen[bytes]) -> None:
    """SIGKILL, as a crash: no handler, no cleanup."""
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
