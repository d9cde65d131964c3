"""A stand-in for Shanghai's platform: its HTTP export endpoint on 127.0.0.1, paging the bundled
sample entries by an opaque cursor."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlparse

import orjson

from adapters.core.provinces import Province
from adapters.samples import sample_path

ROWS = [orjson.loads(line) for line in sample_path(Province.SH, "entries").read_bytes().splitlines()]


class Platform:
    """Pages ``rows`` by an opaque cursor; ``faults`` changes how it answers."""

    def __init__(self) -> None:
        self.rows: list[Any] = list(ROWS)
        self.fault: str | None = None
        self.requests: list[dict[str, list[str]]] = []

    def page(self, query: dict[str, list[str]]) -> tuple[int, bytes]:
        self.requests.append(query)
        if self.fault == "500":
            return 500, b"oops"
        if self.fault == "html":
            return 200, b"<html></html>"
        limit = int(query["limit"][0])
        start = int(query.get("cursor", ["c0"])[0][1:])
        items = self.rows[start : start + limit]
        following = start + limit
        next_cursor = f"c{following}" if following < len(self.rows) else None
        if self.fault == "loop":
            next_cursor = "c0"
        return 200, orjson.dumps({"items": items, "next_cursor": next_cursor})


@contextlib.contextmanager
def serve() -> Iterator[tuple[Platform, str]]:
    """A platform and its export endpoint's base URL while the block runs."""
    state = Platform()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - http.server's name
            url = urlparse(self.path)
            if url.path != "/export/entries":
                self.send_error(404)
                return
            status, body = state.page(parse_qs(url.query))
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state, f"http://127.0.0.1:{server.server_address[1]}/export"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)
