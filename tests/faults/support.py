"""Helpers of the fault-injection suite: the exchange's parts as real processes (the embedded
ledger, the gateways, the adapter commands), killed with SIGKILL and restarted; probes of how
far they got, read from their own databases; and the seed every random choice comes from."""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import httpx

from adapters.core.provinces import Province
from node.engines import free_port, wait_for_rpc
from tests.adapters.pipeline.support import REPO

SEED_ENV = "YRDX_FAULTS_SEED"


def suite_seed() -> int:
    """The seed of this run: ``YRDX_FAULTS_SEED`` when set (to reproduce a run), else a fresh
    one. Printed, so that a failing run names it."""
    value = os.environ.get(SEED_ENV)
    seed = int(value) if value else random.SystemRandom().randrange(1 << 32)
    print(f"fault schedule seed: {seed} (set {SEED_ENV}={seed} to repeat it)")
    return seed


def yrdx(*args: str) -> list[str]:
    """The argv of ``yrdx ARGS`` as a process of its own."""
    return [sys.executable, "-m", "yrdx", *args]


class Child:
    """A command in a process group of its own, its output appended to ``log``. ``kill`` is
    SIGKILL to the whole group (an ingest reads its export in a child process): no handler, no
    cleanup, as in a crash."""

    def __init__(self, name: str, argv: list[str], log: Path, *, env: dict[str, str] | None = None) -> None:
        self.name = name
        self.argv = argv
        self.log = log
        self._env = env or {}
        self.process: subprocess.Popen[bytes] | None = None
        self.started_at = 0.0

    def start(self) -> None:
        env = {**os.environ, "PYTHONPATH": str(REPO), **self._env}
        self.log.parent.mkdir(parents=True, exist_ok=True)
        with self.log.open("ab") as out:
            out.write(f"\n--- {time.strftime('%H:%M:%S')} start {self.name}\n".encode())
            out.flush()
            self.process = subprocess.Popen(  # noqa: S603 - the test's own command line
                self.argv, cwd=REPO, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env,
                start_new_session=True,
            )  # fmt: skip
        self.started_at = time.monotonic()

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def wait(self, timeout: float) -> int:
        """The exit code; the process is killed (and the test fails) after ``timeout`` seconds."""
        assert self.process is not None
        try:
            return self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            raise AssertionError(f"{self.name} did not finish within {timeout:.0f} s: {self.tail()}") from None

    def kill(self) -> None:
        if self.process is None:
            return
        if self.process.poll() is None:
            try:
                os.killpg(self.process.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        self.process.wait()

    def tail(self, chars: int = 3000) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")[-chars:] if self.log.exists() else ""


class LedgerNode(Child):
    """``yrdx node`` on a port of its own, restarted on the same port and data dir."""

    def __init__(self, data_dir: Path, log: Path) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        super().__init__("ledger", yrdx("node", "--data-dir", str(data_dir), "--port", str(self.port)), log)

    def serve(self, *, timeout: float = 120.0) -> None:
        """Start it and return once it answers JSON-RPC."""
        self.start()
        assert self.process is not None
        wait_for_rpc(self.url, timeout=timeout, process=self.process)


class GatewayNode(Child):
    """``yrdx gateway serve`` of one province on a port of its own."""

    def __init__(self, province: Province, data_dir: Path, rpc_url: str, log: Path, env: dict[str, str]) -> None:
        self.province = province
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.database = data_dir / "gateways" / province.value / "gateway.db"
        argv = yrdx(
            "gateway", "serve", "--province", province.value, "--data-dir", str(data_dir),
            "--port", str(self.port), "--rpc", rpc_url,
        )  # fmt: skip
        super().__init__(f"gateway-{province.value}", argv, log, env=env)

    def serve(self, *, timeout: float = 180.0) -> None:
        """Start it and return once it answers."""
        self.start()
        self.wait_ready(timeout=timeout)

    def wait_ready(self, *, timeout: float = 180.0) -> None:
        deadline = time.monotonic() + timeout
        while True:
            if not self.running:
                raise AssertionError(f"{self.name} exited while starting: {self.tail()}")
            try:
                if httpx.get(f"{self.url}/healthz", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise AssertionError(f"{self.name} did not answer within {timeout:.0f} s: {self.tail()}")
            time.sleep(0.2)


def _count(db: Path, sql: str) -> int:
    """One count from a SQLite database another process writes (0 while it does not exist)."""
    if not db.exists():
        return 0
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=30)
    try:
        return int(conn.execute(sql).fetchone()[0])
    except sqlite3.OperationalError as exc:
        if "no such table" in str(exc):  # not migrated yet
            return 0
        raise
    finally:
        conn.close()


def confirmed(store: Path) -> int:
    """Publications of a province store whose transaction was mined."""
    return _count(store, "SELECT count(*) FROM outbox WHERE op = 'publish' AND state = 'done'")


def open_batches(store: Path) -> int:
    """Batches journaled in a province store and not known to be mined yet."""
    return _count(store, "SELECT count(*) FROM batches WHERE state = 'signed'")


def package_requests(gateway_db: Path) -> int:
    """Package requests a gateway has written to its audit trail."""
    return _count(gateway_db, "SELECT count(*) FROM audit_events WHERE endpoint LIKE '%/v1/packages%'")
