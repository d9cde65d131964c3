"""``yrdx up``, the main job, as a user runs it: a process on the embedded ledger that ingests
every province's bundled samples, syncs them into the other three, serves the four gateways
and stops cleanly on Ctrl-C; run again on the same data dir it resumes, repeating nothing."""

from __future__ import annotations

import re
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from adapters.core.provinces import PROVINCES
from node.engines import free_port

pytestmark = [pytest.mark.ledger, pytest.mark.slow]

READY = "press Ctrl-C to stop"
LINE = re.compile(
    r"^  (sh|js|zj|ah) \S+ +own entries +(\d+)  own results +(\d+)  synced entries +(\d+)  "
    r"synced results +(\d+)  gateway (\S+)$"
)


def _consecutive_free_ports(count: int) -> int:
    """The first of ``count`` consecutive ports free on 127.0.0.1 (as far as one can tell)."""
    for _ in range(50):
        first = free_port()
        if first + count < 65536 and all(_free(first + i) for i in range(count)):
            return first
    raise AssertionError("no run of free ports")


def _free(port: int) -> bool:
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


class Up:
    """``yrdx up`` in a process of its own, its output collected as it comes."""

    def __init__(self, data_dir: Path, ledger_port: int, gateway_port: int) -> None:
        argv = [sys.executable, "-m", "yrdx", "up", "--data-dir", str(data_dir)]
        argv += ["--ledger-port", str(ledger_port), "--gateway-port", str(gateway_port)]
        self.process = subprocess.Popen(  # noqa: S603 - our own command
            argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, text=True
        )
        self.lines: list[str] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.append(line.rstrip("\n"))

    def wait_ready(self, timeout: float) -> list[str]:
        deadline = time.monotonic() + timeout
        while READY not in self.lines:
            assert self.process.poll() is None, "\n".join(self.lines)
            assert time.monotonic() < deadline, "not up in time:\n" + "\n".join(self.lines)
            time.sleep(0.2)
        return list(self.lines)

    def interrupt(self) -> int:
        self.process.send_signal(signal.SIGINT)
        code = self.process.wait(timeout=120)
        self._reader.join(10)
        return code

    def kill(self) -> None:
        """Make sure the process is gone and its pipe closed."""
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(30)
        self._reader.join(10)
        if self.process.stdout is not None:
            self.process.stdout.close()


def _provinces(lines: list[str]) -> dict[str, tuple[int, int, int, int, str]]:
    found = {}
    for line in lines:
        m = LINE.match(line)
        if m:
            found[m[1]] = (int(m[2]), int(m[3]), int(m[4]), int(m[5]), m[6])
    return found


def _listening(url: str) -> bool:
    host, port = url.removeprefix("http://").split(":")
    with socket.socket() as s:
        s.settimeout(2)
        return s.connect_ex((host, int(port))) == 0


def test_up_runs_the_exchange_stops_on_ctrl_c_and_resumes(tmp_path: Path) -> None:
    data_dir = tmp_path / "exchange"
    ledger_port = _consecutive_free_ports(1)
    gateway_port = _consecutive_free_ports(4)
    expected = {p.value: (60, 20, 180, 60) for p in PROVINCES}  # samples: 60 entries, 20 results each
    gateways = [f"http://127.0.0.1:{gateway_port + i}" for i in range(4)]

    for run, story in enumerate(("deployed the contracts", "resumed an existing deployment")):
        up = Up(data_dir, ledger_port, gateway_port)
        try:
            lines = up.wait_ready(300)
            assert f"yrdx is up ({story})" in lines, lines
            provinces = _provinces(lines)
            assert {p: counts[:4] for p, counts in provinces.items()} == expected, (run, lines)
            assert [provinces[p.value][4] for p in PROVINCES] == gateways
            assert all(_listening(url) for url in gateways)
            code = up.interrupt()
        finally:
            up.kill()
        assert code == 0, "\n".join(up.lines)
        assert up.lines[-2:] == ["stopping", "stopped"], up.lines[-5:]
        assert not any(_listening(url) for url in gateways)
