"""Starting external EVM engines for development, tests and benchmarks: anvil (npm
``@foundry-rs/anvil``) as a child process on 127.0.0.1."""

from __future__ import annotations

import contextlib
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from types import TracebackType

import requests

from node.compiler import NODE_MODULES
from node.errors import ConfigError, RpcUnavailable

ANVIL_CHAIN_ID = 31337


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with contextlib.closing(socket.socket(socket.AF_INET, socket.SOCK_STREAM)) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def port_in_use(port: int, host: str = "127.0.0.1") -> bool:
    """Whether something already listens on ``host:port``."""
    with contextlib.closing(socket.socket(socket.AF_INET, socket.SOCK_STREAM)) as s:
        s.settimeout(0.5)
        return s.connect_ex((host, port)) == 0


def anvil_binary() -> Path:
    """The anvil executable from the pinned npm package (or on PATH)."""
    local = NODE_MODULES / ".bin" / "anvil"
    if local.exists():
        return local
    found = shutil.which("anvil")
    if found:
        return Path(found)
    raise ConfigError("anvil not found: run `npm ci` in the repository")


def wait_for_rpc(url: str, *, timeout: float = 30.0, process: subprocess.Popen[bytes] | None = None) -> None:
    """Wait until ``url`` answers ``eth_chainId``."""
    deadline = time.monotonic() + timeout
    while True:
        if process is not None and process.poll() is not None:
            raise RpcUnavailable(f"the node process for {url} exited with code {process.returncode}")
        try:
            r = requests.post(url, json={"jsonrpc": "2.0", "id": 1, "method": "eth_chainId", "params": []}, timeout=2)
            if r.ok and "result" in r.json():
                return
        except (requests.ConnectionError, requests.Timeout, ValueError):
            pass
        if time.monotonic() > deadline:
            raise RpcUnavailable(f"{url} did not answer within {timeout:.0f} s")
        time.sleep(0.05)


class Anvil:
    """An anvil node on 127.0.0.1, stopped on exit. Accounts come from the standard test mnemonic.

    anvil persists old states under ``~/.foundry/anvil/tmp`` and leaves them there when it
    stops; each node here gets a cache directory of its own instead, removed when it stops.
    """

    def __init__(
        self,
        *,
        port: int | None = None,
        block_gas_limit: int = 60_000_000,
        chain_id: int = ANVIL_CHAIN_ID,
        block_time: float | None = None,
        log_path: Path | None = None,
    ) -> None:
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._args = [
            str(anvil_binary()),
            "--host", "127.0.0.1",
            "--port", str(self.port),
            "--chain-id", str(chain_id),
            "--gas-limit", str(block_gas_limit),
            "--silent",
        ]  # fmt: skip
        if block_time is not None:
            self._args += ["--block-time", str(block_time)]
        self._log_path = log_path
        self._process: subprocess.Popen[bytes] | None = None
        self._cache: Path | None = None

    def start(self) -> str:
        self._cache = Path(tempfile.mkdtemp(prefix="yrdx-anvil-"))
        args = [*self._args, "--cache-path", str(self._cache)]
        out = open(self._log_path, "ab") if self._log_path else subprocess.DEVNULL  # noqa: SIM115
        self._process = subprocess.Popen(args, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)  # noqa: S603
        try:
            wait_for_rpc(self.url, process=self._process)
        except BaseException:
            self.stop()
            raise
        return self.url

    def stop(self) -> None:
        if self._process is not None and self._process.poll() is None:
            self._process.terminate()
            try:
                self._process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
        self._process = None
        if self._cache is not None:
            shutil.rmtree(self._cache, ignore_errors=True)
            self._cache = None

    def __enter__(self) -> Anvil:
        self.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
