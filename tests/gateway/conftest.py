"""Gateway fixtures: a development exchange on anvil (samples ingested and synced), Zhejiang's
gateway on it served on 127.0.0.1, and clients of every role."""

from __future__ import annotations

import hashlib
import secrets
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import create_engine
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

from adapters.core.provinces import PROVINCES, Province
from adapters.pipeline.packages import load_packages
from gateway.client import GatewayClient
from gateway.runtime import Gateway
from gateway.server import ThreadedServer
from gateway.settings import GatewaySettings
from node.client import LedgerClient
from node.engines import free_port
from tests.adapters.conftest import pg_admin_dsn
from tests.running import sample_exchange
from yrdx.commands.gateway import dev_credentials, ensure_dev_pki, gateway_settings, open_dev_gateway
from yrdx.context import DataDir
from yrdx.runtime import Exchange

ZJ = Province.ZJ


@dataclass
class DevExchange:
    """A development exchange on anvil: the four provinces' samples ingested and synced."""

    dd: DataDir
    url: str
    exchange: Exchange

    def packages(self, province: Province, *, kind: str | None = None) -> list[bytes]:
        store = self.exchange.provinces[province].store
        keys = [(r.record_id, r.anchored_version) for r, _ in store.iter_records(origin="own", kind=kind)]
        return [pkg.to_json() for pkg in load_packages(store, keys).values()]

    def gateway_settings(
        self, province: Province, db: Path, *, stream: str | None = None, **changes: Any
    ) -> GatewaySettings:
        """Test settings: a fresh database with an audit stream of its own, no rate limit to speak
        of, revocations seen at once, frequent checkpoints."""
        base = gateway_settings(self.dd, province, port=free_port())
        limits = base.limits.model_copy(update={"rate_per_second": 10_000.0, "rate_burst": 10_000})
        stream = stream or "t." + hashlib.sha256(str(db).encode()).hexdigest()[:24]
        audit = base.audit.model_copy(
            update={"checkpoint_every_events": 25, "checkpoint_every_seconds": 1.0, "stream_name": stream}
        )
        index = base.index.model_copy(update={"poll_seconds": 0.2})
        update: dict[str, Any] = {
            "database_url": f"sqlite:///{db}",
            "limits": limits,
            "audit": audit,
            "index": index,
            "revocation_recheck_seconds": 0.0,
            **changes,
        }
        return base.model_copy(update=update)

    def open_gateway(
        self, province: Province, settings: GatewaySettings, *, client: LedgerClient | None = None
    ) -> Gateway:
        """The province's gateway, sharing the exchange's ledger client and store unless
        ``client`` is given."""
        part = self.exchange.provinces[province]
        return open_dev_gateway(
            self.dd, province, rpc_url=self.url, client=client or part.client, store=part.store, settings=settings
        )


@dataclass
class Served:
    """A started gateway and its server."""

    gateway: Gateway
    server: ThreadedServer

    @property
    def url(self) -> str:
        return self.server.url

    def stop(self) -> None:
        self.server.stop()
        self.gateway.close()


def serve(gateway: Gateway) -> Served:
    gateway.start()
    server = ThreadedServer(gateway.app, port=gateway.settings.listen_port, name=gateway.deps.gateway_id)
    server.start()
    return Served(gateway, server)


def wait_for(condition: Callable[[], bool], *, timeout: float = 30.0, what: str = "condition") -> None:
    """Poll until ``condition()`` holds (background work: indexing, anchoring)."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


@pytest.fixture(scope="session")
def dev_exchange(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DevExchange]:
    with sample_exchange(tmp_path_factory.mktemp("gateway-exchange")) as (exchange, url):
        exchange.sync_round()
        exchange.sync_round()
        ensure_dev_pki(exchange.data_dir)
        yield DevExchange(exchange.data_dir, url, exchange)


@pytest.fixture(scope="session")
def zj(dev_exchange: DevExchange, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """Zhejiang's gateway, served for the whole session."""
    db = tmp_path_factory.mktemp("gateway-zj") / "gateway.db"
    served = serve(dev_exchange.open_gateway(ZJ, dev_exchange.gateway_settings(ZJ, db)))
    try:
        yield served
    finally:
        served.stop()


@pytest.fixture(scope="session")
def clients(dev_exchange: DevExchange, zj: Served) -> Iterator[dict[str, GatewayClient]]:
    """A client of Zhejiang's gateway per development identity."""
    http = httpx.Client(timeout=30)
    names = [f"province-{p.value}" for p in PROVINCES] + ["agency", "auditor"]
    made = {
        name: GatewayClient(zj.url, credentials=dev_credentials(dev_exchange.dd, name), http=http) for name in names
    }
    try:
        yield made
    finally:
        http.close()


# -- database backends ------------------------------------------------------------------------------

BACKENDS = ("sqlite", pytest.param("postgresql", marks=pytest.mark.db))


@pytest.fixture(params=BACKENDS)
def gateway_dsn(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty gateway database on each backend: a SQLite file, or a PostgreSQL database of its
    own (created and dropped through the admin DSN the adapters' tests use)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'gateway.db'}"
        return
    admin_dsn = pg_admin_dsn()
    admin = create_engine(admin_dsn, isolation_level="AUTOCOMMIT")
    name = f"yrdx_gw_{secrets.token_hex(6)}"
    try:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    except OperationalError as exc:
        admin.dispose()
        pytest.fail(f"no PostgreSQL server for the gateway tests ({exc.orig}); run `scripts/setup --dev`")
    try:
        yield make_url(admin_dsn).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()
