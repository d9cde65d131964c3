"""An in-process stand-in for a gateway's audit endpoints (the shapes of ``GET /v1/audit/*``),
over ``httpx.MockTransport``: an events table and, apart from it, the Merkle tree the gateway
keeps of its leaf hashes, each of which a test can tamper with on its own."""

from __future__ import annotations

import hashlib
from typing import Any

import httpx
import orjson
from eth_utils.crypto import keccak

from adapters.audit.state import LedgerState, Stream
from node.merkle import MerkleLog, leaf_hash

OWNER = 33
NAME = b"yrdx.gateway.audit".ljust(32, b"\x00")
STREAM_ID = "0x" + keccak(bytes([OWNER]) + NAME).hex()


def make_event(seq: int) -> dict[str, Any]:
    return {
        "v": 1,
        "seq": seq,
        "gateway": "gateway-zj",
        "time": f"2026-03-01T08:00:{seq % 60:02d}.000Z",
        "client": "agency-1",
        "organisation": "信用服务机构甲",
        "role": "agency",
        "purpose": "credit-report",
        "authorisation": f"consent-{seq}",
        "endpoint": "POST /v1/verify",
        "subject_tag": None,
        "params": hashlib.sha256(f"p{seq}".encode()).hexdigest(),
        "status": 200,
        "outcome": "ok",
        "answer": hashlib.sha256(f"a{seq}".encode()).hexdigest(),
    }


def leaf_text(event: dict[str, Any]) -> str:
    return orjson.dumps(event, option=orjson.OPT_SORT_KEYS).decode("utf-8")


class FakeGateway:
    """``rows`` is the events table (seq, leaf text); ``tree`` the gateway's node store."""

    def __init__(self, count: int) -> None:
        self.rows: list[tuple[int, str]] = [(i, leaf_text(make_event(i))) for i in range(count)]
        self.tree = self._tree_of_rows()
        self.checkpoints: list[tuple[int, int, str, int, int]] = []

    def _tree_of_rows(self) -> MerkleLog:
        return MerkleLog.from_leaf_hashes(leaf_hash(text.encode()) for _, text in self.rows)

    def anchor(self, *sizes: int) -> None:
        """Checkpoints of the tree as it is now, as the ledger would hold them."""
        for size in sizes:
            index = len(self.checkpoints)
            self.checkpoints.append((index, size, "0x" + self.tree.root(size).hex(), 1_770_000_000 + index, 10 + index))

    def state(self) -> LedgerState:
        """A ledger state holding the stream and its anchored checkpoints."""
        state = LedgerState()
        state.streams[STREAM_ID] = Stream(OWNER, "0x" + NAME.hex(), 5, list(self.checkpoints))
        return state

    # -- tampering --------------------------------------------------------------------------

    def edit(self, seq: int, **changes: Any) -> None:
        at = [i for i, (s, _) in enumerate(self.rows) if s == seq][0]
        event = orjson.loads(self.rows[at][1])
        event.update(changes)
        self.rows[at] = (seq, leaf_text(event))

    def delete(self, seq: int) -> None:
        self.rows = [r for r in self.rows if r[0] != seq]

    def swap(self, a: int, b: int) -> None:
        texts = dict(self.rows)
        self.rows = [(s, texts[b] if s == a else texts[a] if s == b else t) for s, t in self.rows]

    def truncate(self, size: int) -> None:
        """The log cut back to ``size`` events, tree and all (as a restored old backup)."""
        self.rows = self.rows[:size]
        self.tree = self._tree_of_rows()

    def rewrite_tree(self) -> None:
        """Recompute the node store from the (tampered) events: a self-consistent other log."""
        self.tree = self._tree_of_rows()

    # -- the endpoints ----------------------------------------------------------------------

    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self._handle)

    def _handle(self, request: httpx.Request) -> httpx.Response:
        if request.headers.get("Authorization") != "Bearer test-token":
            return httpx.Response(401, json={"error": "invalid_token"})
        q = {k: int(v) for k, v in request.url.params.items()}
        path = request.url.path
        size = self.tree.size
        if path == "/v1/audit/events":
            start, limit = q.get("start", 0), q.get("limit", 100)
            rows = [r for r in self.rows if r[0] >= start][: limit + 1]
            events = [
                {
                    "index": s,
                    "leaf_hash": "0x" + leaf_hash(t.encode()).hex(),
                    "event": orjson.loads(t),
                }
                for s, t in rows[:limit]
            ]
            return httpx.Response(
                200, json={"tree_size": size, "events": events, "next": rows[limit][0] if len(rows) > limit else None}
            )
        if path == "/v1/audit/checkpoints":
            return httpx.Response(
                200,
                json={
                    "stream_id": STREAM_ID,
                    "tree_size": size,
                    "root": "0x" + self.tree.root().hex(),
                    "checkpoints": [
                        {"index": i, "tree_size": s, "root": r, "anchored_at": t, "block": b, "tx": None}
                        for i, s, r, t, b in self.checkpoints
                    ],
                    "next": None,
                },
            )
        if path == "/v1/audit/proofs/inclusion":
            index, tree_size = q["index"], q.get("tree_size", size)
            if tree_size > size or index >= tree_size:
                return httpx.Response(404, json={"detail": "no such tree"})
            return httpx.Response(
                200,
                json={
                    "index": index,
                    "tree_size": tree_size,
                    "leaf_hash": "0x" + self.tree.leaf(index).hex(),
                    "root": "0x" + self.tree.root(tree_size).hex(),
                    "proof": ["0x" + p.hex() for p in self.tree.inclusion_proof(index, tree_size)],
                },
            )
        if path == "/v1/audit/proofs/consistency":
            first, second = q["first"], q.get("second", size)
            if second > size or first > second:
                return httpx.Response(404, json={"detail": "no such tree"})
            return httpx.Response(
                200,
                json={
                    "first": first,
                    "second": second,
                    "first_root": "0x" + self.tree.root(first).hex(),
                    "second_root": "0x" + self.tree.root(second).hex(),
                    "proof": ["0x" + p.hex() for p in self.tree.consistency_proof(first, second)],
                },
            )
        return httpx.Response(404, json={"detail": "no route"})
