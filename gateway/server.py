"""Serving ASGI applications with uvicorn from threads, so that several gateways (and a
benchmark's baseline) run in one process, each on its own port of 127.0.0.1."""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence

import uvicorn
from starlette.types import ASGIApp

from gateway.errors import ConfigurationError
from gateway.runtime import Gateway


def server_config(app: ASGIApp, *, host: str = "127.0.0.1", port: int) -> uvicorn.Config:
    """The uvicorn settings every gateway is served with (one event loop, no access log: the
    audit trail is the record of requests)."""
    return uvicorn.Config(
        app,
        host=host,
        port=port,
        log_level="warning",
        access_log=False,
        lifespan="off",
        timeout_keep_alive=30,
        server_header=False,
    )


class ThreadedServer:
    """A uvicorn server running in a thread of its own."""

    def __init__(self, app: ASGIApp, *, host: str = "127.0.0.1", port: int, name: str = "gateway") -> None:
        self.port = port
        self.url = f"http://{host}:{port}"
        self._server = uvicorn.Server(server_config(app, host=host, port=port))
        self._thread = threading.Thread(target=self._server.run, name=f"http-{name}", daemon=True)

    def start(self, *, timeout: float = 30.0) -> None:
        """Start serving; returns once the socket accepts connections."""
        self._thread.start()
        deadline = time.monotonic() + timeout
        while not self._server.started:
            if not self._thread.is_alive():
                raise ConfigurationError(f"the server for {self.url} stopped while starting (is the port free?)")
            if time.monotonic() > deadline:
                raise ConfigurationError(f"the server for {self.url} did not start within {timeout:.0f} s")
            time.sleep(0.01)

    def stop(self, *, timeout: float = 10.0) -> None:
        """Stop accepting requests, finish the ones in flight, and stop."""
        self._server.should_exit = True
        if self._thread.is_alive():
            self._thread.join(timeout=timeout)


class GatewayFleet:
    """Gateways served from one process, each by its own server thread."""

    def __init__(self, gateways: Sequence[tuple[Gateway, int]], *, host: str = "127.0.0.1") -> None:
        self.gateways = [g for g, _ in gateways]
        self._servers = [ThreadedServer(g.app, host=host, port=port, name=g.deps.gateway_id) for g, port in gateways]
        self.urls = {g.deps.province: s.url for g, s in zip(self.gateways, self._servers, strict=True)}

    def start(self) -> None:
        """Start every gateway's background work, then its server."""
        try:
            for gateway, server in zip(self.gateways, self._servers, strict=True):
                gateway.start()
                server.start()
        except BaseException:
            self.stop()
            raise

    def stop(self) -> None:
        """Stop the servers, then the gateways (anchoring their last checkpoints)."""
        for server in self._servers:
            server.stop()
        for gateway in self.gateways:
            gateway.close()
