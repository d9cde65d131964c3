"""``yrdx bench gateway``: ``/v1/verify`` requests per second and p50/p99 latency at 32
concurrent clients, beside a bare FastAPI endpoint served with the same server settings in the
same run.

The bench brings up a development exchange on a fresh anvil, ingests a few hundred generated
entries and evaluation results of every province and syncs them, then serves Zhejiang's
gateway (ledger index, audit trail with group commit and anchoring, all on) and the bare
endpoint on 127.0.0.1. The load comes from a separate process (``python -m
yrdx.bench.gateway load``): an asyncio HTTP/1.1 client holding 32 keep-alive connections, each
sending its next request as soon as the last answer is in, for a bounded time and count, after
a warm-up. Verify requests cycle through valid packages of the exchange with an agency's token.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import orjson
from fastapi import FastAPI, Request
from starlette.responses import Response

from adapters.core.provinces import PROVINCES, Province
from adapters.dialects import DIALECTS
from adapters.pipeline.packages import load_packages
from adapters.synthetic import generate
from gateway.app import APP_OPTIONS
from gateway.client import GatewayClient
from gateway.server import ThreadedServer
from node.engines import Anvil, free_port
from yrdx.commands.gateway import dev_credentials, gateway_settings, open_dev_gateway
from yrdx.context import DataDir
from yrdx.runtime import Exchange

CONCURRENCY = 32
GATEWAY = Province.ZJ


@dataclass(frozen=True)
class LoadFigures:
    requests: int
    seconds: float
    rps: float
    p50_ms: float
    p99_ms: float
    failures: int


@dataclass(frozen=True)
class GatewayFigures:
    verify_rps: float
    verify_p50_ms: float
    verify_p99_ms: float
    bare_rps: float
    bare_p50_ms: float
    bare_p99_ms: float
    packages: int
    concurrency: int

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


def bare_app() -> FastAPI:
    """The baseline: one FastAPI endpoint that reads the body and answers a constant, on the
    gateway's FastAPI settings."""
    app = FastAPI(openapi_url=None, **APP_OPTIONS)

    @app.post("/bare")
    async def bare(request: Request) -> Response:
        await request.body()
        return Response(b'{"ok":true}', media_type="application/json")

    return app


def measure(*, entries: int = 100, results: int = 20, duration: float = 10.0, warmup: float = 2.0) -> GatewayFigures:
    """Bring up a development exchange and serve the gateway and the bare endpoint side by side;
    then load them in alternating slices, so that both meet the same machine."""
    with tempfile.TemporaryDirectory(prefix="yrdx-bench-gateway-") as tmp, Anvil() as anvil:
        root = Path(tmp)
        dd = DataDir(root / "data")
        samples = root / "samples"
        for p in PROVINCES:
            (samples / p.value).mkdir(parents=True)
            extension = DIALECTS[p].extension
            generate(p, "entries", entries, samples / p.value / f"entries{extension}", seed=7, sample=True)
            generate(p, "evaluations", results, samples / p.value / f"evaluations{extension}", seed=7, sample=True)
        dd.root.mkdir(parents=True)
        exchange = Exchange(dd, rpc_url=anvil.url)
        try:
            exchange.prepare()
            exchange.ingest_samples(samples)
            exchange.attach_syncers()
            exchange.sync_round()
            exchange.sync_round()
            packages = _packages(exchange)
            settings = gateway_settings(dd, GATEWAY, port=free_port())
            limits = settings.limits.model_copy(update={"rate_per_second": 1e9, "rate_burst": 1_000_000_000})
            gateway = open_dev_gateway(
                dd,
                GATEWAY,
                rpc_url=anvil.url,
                client=exchange.provinces[GATEWAY].client,
                store=exchange.provinces[GATEWAY].store,
                settings=settings.model_copy(update={"limits": limits}),
            )
            gateway.start()
            server = ThreadedServer(gateway.app, port=settings.listen_port, name="gateway-zj")
            bare = ThreadedServer(bare_app(), port=free_port(), name="bare")
            server.start()
            bare.start()
            try:
                with GatewayClient(server.url, credentials=dev_credentials(dd, "agency")) as client:
                    token = client.token()
                    check = client.verify(packages[0])
                    if not check["authentic"]:
                        raise RuntimeError(f"a bench package does not verify: {check['reasons']}")
                targets = {
                    "bare": (bare.port, [_request("/bare", packages[0], None)]),
                    "verify": (server.port, [_request("/v1/verify", pkg, token) for pkg in packages]),
                }
                figures = _load(root, targets, duration, warmup)
            finally:
                server.stop()
                bare.stop()
                gateway.close()
        finally:
            exchange.stop()
    bare_figures, verify_figures = figures["bare"], figures["verify"]
    if bare_figures.failures or verify_figures.failures:
        raise RuntimeError(f"failed requests: bare {bare_figures.failures}, verify {verify_figures.failures}")
    return GatewayFigures(
        verify_rps=round(verify_figures.rps, 1),
        verify_p50_ms=round(verify_figures.p50_ms, 2),
        verify_p99_ms=round(verify_figures.p99_ms, 2),
        bare_rps=round(bare_figures.rps, 1),
        bare_p50_ms=round(bare_figures.p50_ms, 2),
        bare_p99_ms=round(bare_figures.p99_ms, 2),
        packages=len(packages),
        concurrency=CONCURRENCY,
    )


def _packages(exchange: Exchange) -> list[bytes]:
    """Every province's own anchored records, as package JSON."""
    out: list[bytes] = []
    for part in exchange.provinces.values():
        keys = [(rec.record_id, rec.anchored_version) for rec, _ in part.store.iter_records(origin="own")]
        out.extend(pkg.to_json() for pkg in load_packages(part.store, keys).values())
    if not out:
        raise RuntimeError("the bench exchange holds no packages")
    return out


def _request(path: str, body: bytes, token: str | None) -> bytes:
    head = [
        f"POST {path} HTTP/1.1",
        "Host: 127.0.0.1",
        "Content-Type: application/json",
        f"Content-Length: {len(body)}",
    ]
    if token is not None:
        head.append(f"Authorization: Bearer {token}")
    return ("\r\n".join(head) + "\r\n\r\n").encode("ascii") + body


def _load(
    root: Path, targets: dict[str, tuple[int, list[bytes]]], duration: float, warmup: float
) -> dict[str, LoadFigures]:
    """Run the load generator in a child process and read its figures, per target."""
    spec = root / "load.json"
    spec.write_bytes(
        orjson.dumps({name: [port, [r.decode("utf-8") for r in reqs]] for name, (port, reqs) in targets.items()})
    )
    child = subprocess.run(  # noqa: S603 - our own module with our own arguments
        [sys.executable, "-m", "yrdx.bench.gateway", "load", str(spec), str(duration), str(warmup)],
        capture_output=True,
        text=True,
        check=False,
        timeout=len(targets) * (duration + warmup) + 120,
    )
    if child.returncode != 0:
        raise RuntimeError(f"load generator failed:\n{child.stderr[-3000:]}")
    doc = json.loads(child.stdout.strip().splitlines()[-1])
    return {name: LoadFigures(**figures) for name, figures in doc.items()}


# -- the load generator (child process) ----------------------------------------------------------

SLICE_SECONDS = 1.0


@dataclass
class _Target:
    port: int
    requests: list[bytes]
    latencies: list[float]
    failures: int = 0
    seconds: float = 0.0
    streams: list[tuple[asyncio.StreamReader, asyncio.StreamWriter]] | None = None


async def _client(target: _Target, k: int, until: float, record: bool) -> None:
    assert target.streams is not None
    reader, writer = target.streams[k]
    requests = target.requests
    i = k * 7
    while True:
        sent = time.perf_counter()
        if sent >= until:
            return
        writer.write(requests[i % len(requests)])
        i += 1
        head = await reader.readuntil(b"\r\n\r\n")
        length = 0
        for line in head.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value)
        await reader.readexactly(length)
        if record:
            target.latencies.append(time.perf_counter() - sent)
            if not head.startswith(b"HTTP/1.1 200"):
                target.failures += 1


async def _slice(target: _Target, seconds: float, *, record: bool) -> None:
    """``CONCURRENCY`` clients, each sending its next request as soon as the last answer is in."""
    started = time.perf_counter()
    until = started + seconds
    await asyncio.gather(*(_client(target, k, until, record) for k in range(CONCURRENCY)))
    if record:
        target.seconds += time.perf_counter() - started


async def _generate(targets: dict[str, _Target], duration: float, warmup: float) -> dict[str, LoadFigures]:
    for target in targets.values():
        target.streams = [await asyncio.open_connection("127.0.0.1", target.port) for _ in range(CONCURRENCY)]
        await _slice(target, warmup, record=False)
    slices = max(1, round(duration / SLICE_SECONDS))
    for _ in range(slices):  # alternate, so that every target meets the same machine
        for target in targets.values():
            await _slice(target, duration / slices, record=True)
    out = {}
    for name, target in targets.items():
        for _, writer in target.streams or []:
            writer.close()
        ordered = sorted(target.latencies)
        n = len(ordered)
        if n == 0:
            raise RuntimeError(f"no request to {name} completed")
        out[name] = LoadFigures(
            requests=n,
            seconds=round(target.seconds, 3),
            rps=n / target.seconds,
            p50_ms=ordered[n // 2] * 1000,
            p99_ms=ordered[min(n - 1, int(n * 0.99))] * 1000,
            failures=target.failures,
        )
    return out


def _main(argv: list[str]) -> None:
    if len(argv) != 4 or argv[0] != "load":
        raise SystemExit("usage: python -m yrdx.bench.gateway load SPEC.json SECONDS WARMUP")
    spec, duration, warmup = Path(argv[1]), float(argv[2]), float(argv[3])
    doc = orjson.loads(spec.read_bytes())
    targets = {
        name: _Target(port=int(port), requests=[r.encode("utf-8") for r in reqs], latencies=[])
        for name, (port, reqs) in doc.items()
    }
    figures = asyncio.run(_generate(targets, duration, warmup))
    print(json.dumps({name: asdict(f) for name, f in figures.items()}))


if __name__ == "__main__":
    _main(sys.argv[1:])
