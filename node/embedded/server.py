"""JSON-RPC over HTTP (POST) on a threaded stdlib HTTP server."""

from __future__ import annotations

import errno
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from node.embedded.rpc import Dispatcher
from node.errors import ConfigError

MAX_BODY_BYTES = 64 * 1024 * 1024


class RpcServer:
    """Serves a :class:`Dispatcher` at ``http://host:port/``; one thread per connection."""

    def __init__(self, *, host: str, port: int, dispatcher: Dispatcher) -> None:
        try:
            self._httpd = _HttpServer((host, port), dispatcher)
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                raise ConfigError(f"cannot listen on {host}:{port}: the port is in use") from exc
            raise ConfigError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from exc
        self._thread = threading.Thread(
            target=self._httpd.serve_forever,
            kwargs={"poll_interval": 0.1},
            name="yrdx-rpc",
            daemon=True,
        )

    @property
    def url(self) -> str:
        host, port = self._httpd.server_address[:2]
        name = host.decode() if isinstance(host, bytes) else host
        shown = f"[{name}]" if ":" in name else name
        return f"http://{shown}:{port}"

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        """Stop accepting, end open keep-alive connections, wait for the handler threads."""
        if self._thread.is_alive():
            self._httpd.shutdown()
            self._thread.join()
        self._httpd.close_connections()
        self._httpd.server_close()


class _HttpServer(ThreadingHTTPServer):
    daemon_threads = False
    block_on_close = True

    def __init__(self, address: tuple[str, int], dispatcher: Dispatcher) -> None:
        self.dispatcher = dispatcher
        self._connections: set[socket.socket] = set()
        self._connections_lock = threading.Lock()
        if ":" in address[0]:
            self.address_family = socket.AF_INET6
        super().__init__(address, _Handler)

    def process_request(self, request: Any, client_address: Any) -> None:
        with self._connections_lock:
            self._connections.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        with self._connections_lock:
            self._connections.discard(request)
        super().shutdown_request(request)

    def close_connections(self) -> None:
        with self._connections_lock:
            open_now = list(self._connections)
        for connection in open_now:
            try:
                connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass  # the client closed it already


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # small answers must not wait for delayed ACKs
    server: _HttpServer

    def do_POST(self) -> None:  # noqa: N802 - the name http.server dispatches to
        length_header = self.headers.get("Content-Length")
        if length_header is None:
            self._reply(411, [b"Content-Length required"], "text/plain")
            return
        length = int(length_header)
        if length > MAX_BODY_BYTES:
            self._reply(413, [b"request body too large"], "text/plain")
            self.close_connection = True
            return
        body = self.rfile.read(length)
        self._reply(200, self.server.dispatcher.handle(body), "application/json")

    def do_GET(self) -> None:  # noqa: N802
        self._reply(405, [b"JSON-RPC answers POST requests"], "text/plain")

    def _reply(self, status: int, body: list[bytes], content_type: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(sum(len(piece) for piece in body)))
        self.end_headers()
        for piece in body:
            self.wfile.write(piece)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        pass  # one line per request would drown the console
