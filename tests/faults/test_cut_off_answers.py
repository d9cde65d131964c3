"""A ledger that dies in the middle of an answer: the HTTP response is cut off after its
headers. The ledger client and the event reader treat that like an unreachable endpoint — they
back off and ask again — instead of letting the transport's exception end the process."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from node.client import LedgerClient, RetryPolicy
from node.errors import RpcUnavailable
from node.events import EventCodec, EventReader

pytestmark = [pytest.mark.faults]

RETRY = RetryPolicy(attempts=5, initial_delay=0.01, max_delay=0.02)


class CutOff(ThreadingHTTPServer):
    """Answers ``eth_blockNumber`` with 0x2a, after cutting off the first ``cut`` answers."""

    def __init__(self, cut: int) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.cut = cut
        self.requests = 0
        self.lock = threading.Lock()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class _Handler(BaseHTTPRequestHandler):
    server: CutOff

    def do_POST(self) -> None:  # noqa: N802 - http.server's name
        request = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        body = json.dumps({"jsonrpc": "2.0", "id": request["id"], "result": "0x2a"}).encode()
        with self.server.lock:
            self.server.requests += 1
            cut = self.server.requests <= self.server.cut
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if cut:  # the process died here: the headers went out, the body never did
            self.close_connection = True
            return
        self.wfile.write(body)

    def log_message(self, *_: object) -> None:
        pass


@pytest.fixture
def cut_off() -> Iterator[CutOff]:
    server = CutOff(cut=2)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


def test_the_client_asks_again_after_an_answer_was_cut_off(cut_off: CutOff) -> None:
    client = LedgerClient(rpc_url=cut_off.url, retry=RETRY)
    assert client.block_number() == 42
    assert cut_off.requests == 3


def test_the_event_reader_asks_again_after_an_answer_was_cut_off(cut_off: CutOff) -> None:
    reader = EventReader(rpc_url=cut_off.url, codec=EventCodec({}), retry=RETRY)
    assert reader.head() == 42
    assert cut_off.requests == 3


def test_answers_cut_off_every_time_make_the_endpoint_unavailable(cut_off: CutOff) -> None:
    cut_off.cut = 100
    with pytest.raises(RpcUnavailable):
        LedgerClient(rpc_url=cut_off.url, retry=RETRY).block_number()
    with pytest.raises(RpcUnavailable):
        EventReader(rpc_url=cut_off.url, codec=EventCodec({}), retry=RETRY).head()
