"""Prometheus metrics of one gateway, in a registry of its own (several gateways may share a
process)."""

from __future__ import annotations

from collections.abc import Callable

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST

CONTENT_TYPE = CONTENT_TYPE_LATEST


class GatewayMetrics:
    """Requests, the audit trail and the ledger index, as Prometheus series."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.requests = Counter(
            "yrdx_gateway_requests", "Requests answered, by endpoint and status.", ["endpoint", "status"],
            registry=self.registry,
        )  # fmt: skip
        self.latency = Histogram(
            "yrdx_gateway_request_seconds",
            "Time from the request's arrival to its answer, audit commit included.",
            ["endpoint"],
            buckets=(0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0, 2.0, 5.0),
            registry=self.registry,
        )
        self.audit_batch = Histogram(
            "yrdx_gateway_audit_batch_events",
            "Events per audit group commit.",
            buckets=(1, 2, 4, 8, 16, 32, 64, 128, 256, 512),
            registry=self.registry,
        )
        self._audit_size = Gauge("yrdx_gateway_audit_events", "Events in the audit log.", registry=self.registry)
        self._anchored = Gauge(
            "yrdx_gateway_audit_anchored_events", "Tree size of the newest anchored checkpoint.", registry=self.registry
        )
        self._index_block = Gauge("yrdx_gateway_index_block", "Last block in the ledger index.", registry=self.registry)
        self._head_block = Gauge("yrdx_gateway_ledger_head_block", "Ledger head last seen.", registry=self.registry)

    def follow(
        self,
        *,
        audit_size: Callable[[], float],
        anchored: Callable[[], float],
        index_block: Callable[[], float],
        head_block: Callable[[], float],
    ) -> None:
        """Read the gauges from these functions at every scrape."""
        self._audit_size.set_function(audit_size)
        self._anchored.set_function(anchored)
        self._index_block.set_function(index_block)
        self._head_block.set_function(head_block)

    def render(self) -> bytes:
        return generate_latest(self.registry)
