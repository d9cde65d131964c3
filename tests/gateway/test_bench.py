"""The gateway benchmark's load generator: it drives keep-alive connections to the targets in
alternating slices and counts answers (figures are printed by the benchmark, never asserted)."""

from __future__ import annotations

from pathlib import Path

import pytest

from gateway.server import ThreadedServer
from node.engines import free_port
from yrdx.bench.gateway import CONCURRENCY, _load, _request, bare_app

pytestmark = pytest.mark.rpc


def test_the_load_generator_alternates_between_targets(tmp_path: Path) -> None:
    servers = [ThreadedServer(bare_app(), port=free_port(), name=f"bare-{i}") for i in range(2)]
    for server in servers:
        server.start()
    try:
        targets = {f"t{i}": (s.port, [_request("/bare", b"{}", None)]) for i, s in enumerate(servers)}
        targets["missing"] = (servers[0].port, [_request("/nowhere", b"{}", None)])
        figures = _load(tmp_path, targets, 1.0, 0.2)
    finally:
        for server in servers:
            server.stop()
    assert set(figures) == {"t0", "t1", "missing"}
    for name in ("t0", "t1"):
        assert figures[name].requests >= CONCURRENCY and figures[name].failures == 0
        assert figures[name].p50_ms <= figures[name].p99_ms
    assert figures["missing"].failures == figures["missing"].requests > 0  # 404s are counted as failures
