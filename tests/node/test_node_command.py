"""``yrdx node``: refusals are one clear line and exit code 2; SIGTERM stops it cleanly."""

from __future__ import annotations

import socket
import subprocess
import sys
from pathlib import Path

import pytest

from tests.node.embedded_support import NodeProcess, result

pytestmark = [pytest.mark.ledger, pytest.mark.rpc]


def run_node(*args: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "yrdx", "node", *args]
    return subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)  # noqa: S603


def test_a_port_in_use_is_one_line_and_exit_code_2(tmp_path: Path) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        done = run_node("--data-dir", str(tmp_path), "--port", str(port))
    assert done.returncode == 2
    assert done.stderr.strip() == f"error: cannot listen on 127.0.0.1:{port}: the port is in use"
    assert "Traceback" not in done.stdout + done.stderr


def test_a_foreign_data_dir_is_refused(tmp_path: Path) -> None:
    (tmp_path / "ledger.sqlite").write_bytes(b"not a database at all" * 50)
    done = run_node("--data-dir", str(tmp_path), "--port", "0")
    assert done.returncode == 2
    assert done.stderr.startswith("error: ") and "not a usable ledger database" in done.stderr
    assert "Traceback" not in done.stderr


def test_serves_then_stops_on_sigterm(tmp_path: Path) -> None:
    node = NodeProcess(tmp_path, "--chain-id", "31337")
    url = node.start()
    try:
        assert result(url, "eth_chainId") == hex(31337)
        assert result(url, "eth_accounts")[0] == "0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266"
        assert node.terminate() == 0
    finally:
        node.kill()
