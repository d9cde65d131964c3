"""Shanghai's HTTP export endpoint, served by a small local server on 127.0.0.1."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlparse

import httpx
import orjson
import pytest

from adapters.core.errors import DialectError
from adapters.core.provinces import Province
from adapters.dialects import DIALECTS, Parsed, Refusal, ShanghaiDialect
from adapters.samples import sample_path

SH = DIALECTS[Province.SH]
assert isinstance(SH, ShanghaiDialect)
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


@pytest.fixture
def platform() -> Iterator[tuple[Platform, str]]:
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


def test_pull_pages_through_the_cursor(platform: tuple[Platform, str]) -> None:
    state, base = platform
    with httpx.Client(timeout=5) as client:
        items = list(SH.pull_entries(client, base, limit=7))
    assert [i.record for i in items if isinstance(i, Parsed)] == [
        i.record for i in SH.read_entries(sample_path(Province.SH, "entries")) if isinstance(i, Parsed)
    ]
    assert len(state.requests) == 9
    assert "cursor" not in state.requests[0] and state.requests[1]["cursor"] == ["c7"]
    assert items[8].location == "page 2 item 1"


def test_pull_refuses_bad_items_and_goes_on(platform: tuple[Platform, str]) -> None:
    state, base = platform
    state.rows = [ROWS[0], {**ROWS[1], "list_type": "grey"}, "junk", ROWS[2]]
    with httpx.Client(timeout=5) as client:
        items = list(SH.pull_entries(client, base, limit=3))
    assert [type(i) for i in items] == [Parsed, Refusal, Refusal, Parsed]
    assert items[1].field == "list_type" and items[2].field == "record"
    assert items[1].source.endswith("/export/entries")


@pytest.mark.parametrize(("fault", "message"), [("500", "HTTP 500"), ("html", "not JSON"), ("loop", "repeats")])
def test_pull_faults_are_dialect_errors(platform: tuple[Platform, str], fault: str, message: str) -> None:
    state, base = platform
    state.fault = fault
    with httpx.Client(timeout=5) as client, pytest.raises(DialectError, match=message):
        list(SH.pull_entries(client, base, limit=20))


def test_pull_unreachable_is_a_dialect_error() -> None:
    with httpx.Client(timeout=1) as client, pytest.raises(DialectError, match="request failed"):
        list(SH.pull_entries(client, "http://127.0.0.1:9/export"))
