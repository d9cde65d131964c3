"""``open_gateway``: one gateway's parts built from its settings and injected dependencies,
with the background work (ledger index follower, audit writer, checkpoint anchoring) behind
``start`` and ``stop``.

Several gateways may run in one process; each has its own database, audit trail and metrics.
Components that sign for a province share that province's ``LedgerClient`` (its nonces).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass

from cryptography.hazmat.primitives.asymmetric import ec
from fastapi import FastAPI
from sqlalchemy import Engine

from adapters.core.tags import TagKeyring
from adapters.store.store import Store
from gateway.api.deps import GatewayDeps
from gateway.app import create_app
from gateway.audit.anchor import Anchorer, stream_id, stream_name
from gateway.audit.trail import AuditTrail
from gateway.auth import Authenticator
from gateway.db import open_engine
from gateway.errors import ConfigurationError
from gateway.index.follower import IndexFollower
from gateway.index.store import LedgerIndex
from gateway.keyring import LoopKeyring
from gateway.metrics import GatewayMetrics
from gateway.packages import PackageDesk
from gateway.pki import TrustStore
from gateway.ratelimit import RateLimiter
from gateway.replay import SqlReplayStore
from gateway.settings import GatewaySettings
from gateway.subjects import SubjectDirectory
from gateway.tokens import TokenIssuer
from gateway.verify import Verifier
from node.client import LedgerClient
from node.deploy import Deployment
from node.events import EventCodec, EventReader

log = logging.getLogger(__name__)


@dataclass
class Gateway:
    """One gateway: its application and its background work."""

    settings: GatewaySettings
    deps: GatewayDeps
    app: FastAPI
    engine: Engine
    started: bool = False

    def start(self) -> None:
        """Check the audit log against the ledger, catch the index up, then start the audit
        writer, the follower and the anchoring loop."""
        if self.started:
            return
        anchorer, follower = self.deps.anchorer, self.deps.follower
        if anchorer is not None:
            anchorer.open_stream()
            anchorer.verify_against_chain()
        if follower is not None:
            follower.catch_up()
        self.deps.trail.start()
        if follower is not None:
            follower.start()
        if anchorer is not None:
            anchorer.start()
        self.started = True

    def stop(self) -> None:
        """Stop the background work; what the audit log holds is anchored one last time."""
        if not self.started:
            return
        anchorer = self.deps.anchorer
        if anchorer is not None:
            anchorer.stop()
        if self.deps.follower is not None:
            self.deps.follower.stop()
        self.deps.trail.stop()
        if anchorer is not None:
            try:
                anchorer.anchor()
            except Exception as exc:  # noqa: BLE001 - journaled as pending, re-driven on the next start
                log.warning("last checkpoint of %s left pending: %s", self.deps.gateway_id, exc)
        self.started = False

    def close(self) -> None:
        self.stop()
        self.engine.dispose()


def open_gateway(
    settings: GatewaySettings,
    *,
    store: Store,
    client: LedgerClient,
    deployment: Deployment,
    keyring: TagKeyring,
    trust: TrustStore,
    signing_key: ec.EllipticCurvePrivateKey,
    database_url: str | None = None,
    clock: Callable[[], dt.datetime] | None = None,
    follow: bool = True,
    anchor: bool = True,
) -> Gateway:
    """Build the gateway of ``settings.province``.

    ``store`` is the province's own store; ``client`` signs for the province (checkpoints) and
    should be the one the province's other components use; ``signing_key`` signs access
    tokens. ``follow`` and ``anchor`` turn the ledger follower and the anchoring off (tests).
    """
    dsn = database_url or settings.database_url
    if dsn is None:
        raise ConfigurationError("no gateway database: set YRDX_GATEWAY_DATABASE_URL")
    now = clock or _now
    engine = open_engine(dsn)
    gateway_id = settings.identity
    trail = AuditTrail(
        engine=engine, gateway_id=gateway_id, max_batch=settings.audit.max_batch, gather_ms=settings.audit.gather_ms
    )
    index = LedgerIndex(engine=engine, cache_size=settings.index.cache_records)
    reader = EventReader(
        rpc_url=client.rpc_url, codec=EventCodec(deployment.addresses()), confirmations=client.confirmations
    )
    follower = (
        IndexFollower(index=index, reader=reader, deployment=deployment, poll_interval=settings.index.poll_seconds)
        if follow
        else None
    )
    anchorer = (
        Anchorer(
            trail=trail,
            engine=engine,
            client=client,
            deployment=deployment,
            province_code=settings.province.code,
            name=settings.audit.stream_name,
            every_events=settings.audit.checkpoint_every_events,
            every_seconds=settings.audit.checkpoint_every_seconds,
        )
        if anchor
        else None
    )
    issuer = TokenIssuer(
        gateway_id=gateway_id,
        signing_key=signing_key,
        trust_store=trust,
        replay_store=SqlReplayStore(engine=engine),
        clock=now,
        token_lifetime=dt.timedelta(seconds=settings.token_lifetime_seconds),
        audiences=settings.audiences(),
    )
    metrics = GatewayMetrics()
    trail.add_listener(lambda _size, events: metrics.audit_batch.observe(events))
    metrics.follow(
        audit_size=lambda: trail.size,
        anchored=lambda: anchorer.anchored_size if anchorer else 0,
        index_block=lambda: index.cursor.block if index.cursor else -1,
        head_block=lambda: index.head if index.head is not None else -1,
    )
    deps = GatewayDeps(
        settings=settings,
        province=settings.province,
        gateway_id=gateway_id,
        issuer=issuer,
        trust=trust,
        authenticator=Authenticator(
            issuer=issuer, trust=trust, clock=now, revocation_recheck=settings.revocation_recheck_seconds
        ),
        limiter=RateLimiter(rate=settings.limits.rate_per_second, burst=settings.limits.rate_burst),
        trail=trail,
        anchorer=anchorer,
        index=index,
        follower=follower,
        store=store,
        keyring=keyring,
        verifier=Verifier(index=index, keyring=LoopKeyring.of(keyring), clock=now),
        subjects=SubjectDirectory(index=index, store=store, keyring=keyring),
        packages=PackageDesk(store=store, province=settings.province),
        metrics=metrics,
        clock=now,
        stream_id=stream_id(settings.province.code, stream_name(settings.audit.stream_name)),
    )
    return Gateway(settings=settings, deps=deps, app=create_app(settings, deps=deps), engine=engine)


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)
