"""Checking a gateway's audit trail against the checkpoints its province anchored on the ledger
(RFC 9162 section 2.1), trusting nothing the gateway says that the ledger does not confirm.

1. Every event served is re-hashed (leaf = RFC 8785 JSON of the event) and appended to a tree
   of our own. Positions must run without gaps (``AUDIT_EVENT_DELETED``) and each event's own
   ``seq`` must be its position (``AUDIT_EVENTS_REORDERED``).
2. A log shorter than the newest anchored tree size was truncated (``AUDIT_LOG_TRUNCATED``).
3. Our root at every anchored size must be the anchored root (``AUDIT_ROOT_MISMATCH``). In the
   first stretch that differs, each position is located with the gateway's inclusion proof,
   which must lead to the *anchored* root: a proven leaf hash other than the re-hashed event's
   names an altered event (``AUDIT_EVENT_ALTERED``).
4. Each consecutive pair of anchored checkpoints must be consistent: the gateway's consistency
   proof between the two sizes must verify against the two anchored roots
   (``CHECKPOINT_INCONSISTENT``), and so must the proof from the newest anchored size to the
   log's size now. A gateway whose own tree has other roots at anchored sizes than the ledger
   serves a forked log (``AUDIT_LOG_FORKED``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import orjson

from adapters.audit.findings import Findings
from adapters.audit.gateway import AuditApi, ServedEvent
from adapters.audit.state import LedgerState, Stream
from node.errors import ProofError
from node.merkle import MerkleLog, leaf_hash, verify_consistency, verify_inclusion

#: At most this many positions are located with inclusion proofs per audit of one gateway.
PROBE_LIMIT = 2_000
#: At most this many positions are listed in one finding's evidence.
LIST_LIMIT = 50


def event_leaf(event: dict[str, Any]) -> bytes:
    """An audit event's Merkle leaf: its RFC 8785 JSON (keys sorted; for an event's values —
    strings, integers below 2**53, null — orjson's output is JCS's)."""
    return orjson.dumps(event, option=orjson.OPT_SORT_KEYS)


@dataclass
class _Walk:
    """What reading the events found."""

    tree: MerkleLog = field(default_factory=MerkleLog)
    deleted: list[int] = field(default_factory=list)
    reordered: list[tuple[int, Any]] = field(default_factory=list)
    malformed: list[int] = field(default_factory=list)
    events: dict[int, ServedEvent] = field(default_factory=dict)  # kept for evidence, first stretch only
    end: int = 0  # one past the last position served


class GatewayTrailCheck:
    """Checks the audit trail of one gateway (``name``: its URL) through ``api``."""

    def __init__(self, name: str, api: AuditApi, *, probe_limit: int = PROBE_LIMIT) -> None:
        self.name = name
        self.api = api
        self.probe_limit = probe_limit
        self._forked = False

    def check(self, state: LedgerState, findings: Findings) -> tuple[dict[str, Any], dict[str, str]]:
        head = self.api.tree_head()
        sid = head.stream_id.lower()
        stream = state.streams.get(sid)
        summary: dict[str, Any] = {"stream": sid, "tree_size": head.tree_size, "events": 0, "anchored_size": 0}
        if stream is None:
            self._add(
                findings,
                "AUDIT_STREAM_UNKNOWN",
                f"the gateway names stream {sid}, which was never opened on the ledger; its log holds "
                f"{head.tree_size} events",
                stream=sid,
                tree_size=head.tree_size,
            )
            return summary, {}
        if not stream.checkpoints:
            # opened but not anchored yet (fewer events than the anchoring interval): nothing to
            # compare; the summary shows how much of the log no checkpoint covers
            summary["unanchored"] = head.tree_size
            return summary, {}
        anchored = stream.checkpoints
        latest = anchored[-1][1]
        summary["anchored_size"] = latest
        summary["checkpoints"] = len(anchored)
        self._listing(findings, head.checkpoints, anchored)
        walk = self._walk(findings, max(head.tree_size, latest))
        summary["events"] = walk.tree.size
        if walk.end < latest or head.tree_size < latest:
            self._add(
                findings,
                "AUDIT_LOG_TRUNCATED",
                f"the audit log ends at position {walk.end} (and says it holds {head.tree_size} events), "
                f"the ledger anchored {latest} in checkpoint {anchored[-1][0]}",
                served=walk.end,
                gateway_tree_size=head.tree_size,
                anchored_size=latest,
                checkpoint=anchored[-1][0],
            )
        summary["checkpoints_checked"] = self._roots(findings, walk, anchored)
        consistency = self._consistency(findings, stream, head.tree_size, head.root)
        summary["unanchored_events"] = max(head.tree_size - latest, 0)
        summary["requests"] = self.api.requests
        return summary, {sid: consistency}

    # -- steps ------------------------------------------------------------------------------

    def _listing(self, findings: Findings, served: list[Any], anchored: list[tuple[int, int, str, int, int]]) -> None:
        for c in served:
            if 0 <= c.index < len(anchored) and (c.tree_size, c.root.lower()) != anchored[c.index][1:3]:
                self._fork(
                    findings,
                    f"the gateway lists checkpoint {c.index} as size {c.tree_size} root {c.root}, the ledger "
                    f"anchored size {anchored[c.index][1]} root {anchored[c.index][2]}",
                    checkpoint=c.index,
                    gateway=[c.tree_size, c.root],
                    ledger=[anchored[c.index][1], anchored[c.index][2]],
                )

    def _walk(self, findings: Findings, stop: int) -> _Walk:
        walk = _Walk()
        expected = 0
        for served in self.api.events(stop=stop):
            h = leaf_hash(event_leaf(served.event))
            if "0x" + h.hex() != served.leaf_hash.lower():
                walk.malformed.append(served.index)
            if served.index > expected:
                walk.deleted.extend(range(expected, min(served.index, expected + LIST_LIMIT)))
            elif served.index < expected:
                walk.reordered.append((served.index, served.event.get("seq")))
            seq = served.event.get("seq")
            if seq != served.index and served.index >= expected:
                walk.reordered.append((served.index, seq))
            expected = max(expected, served.index + 1)
            walk.end = expected
            walk.tree.append(h)
            if len(walk.events) < self.probe_limit:
                walk.events[walk.tree.size - 1] = served
        if walk.deleted:
            self._add(
                findings,
                "AUDIT_EVENT_DELETED",
                f"the audit log lacks the events at positions {_show(walk.deleted)}",
                positions=walk.deleted[:LIST_LIMIT],
            )
        if walk.reordered:
            self._add(
                findings,
                "AUDIT_EVENTS_REORDERED",
                "events sit at other positions than their own sequence numbers: "
                + ", ".join(f"position {i} holds event {s}" for i, s in walk.reordered[:10]),
                positions=[[i, s] for i, s in walk.reordered[:LIST_LIMIT]],
            )
        if walk.malformed:
            self._add(
                findings,
                "AUDIT_EVENT_MALFORMED",
                f"the gateway's leaf hashes of events {_show(walk.malformed)} differ from the events it serves",
                positions=walk.malformed[:LIST_LIMIT],
            )
        return walk

    def _roots(self, findings: Findings, walk: _Walk, anchored: list[tuple[int, int, str, int, int]]) -> int:
        checked = 0
        previous = 0
        located = False
        for index, size, root, _, block in anchored:
            if size > walk.tree.size:
                break
            checked += 1
            ours = "0x" + walk.tree.root(size).hex()
            if ours != root:
                self._add(
                    findings,
                    "AUDIT_ROOT_MISMATCH",
                    f"the events re-hashed give root {ours} at size {size}, checkpoint {index} anchored {root}",
                    checkpoint=index,
                    tree_size=size,
                    anchored_root=root,
                    recomputed_root=ours,
                    block=block,
                )
                if not located and not walk.deleted and not walk.reordered:
                    self._locate(findings, walk, previous, size, bytes.fromhex(root[2:]))
                located = True
            previous = size
        return checked

    def _locate(self, findings: Findings, walk: _Walk, low: int, size: int, root: bytes) -> None:
        """Name the altered events in positions ``low..size - 1`` by the gateway's inclusion
        proofs against the anchored ``root``."""
        for i in range(low, min(size, low + self.probe_limit)):
            gateway_leaf, gateway_root, proof = self.api.inclusion(i, size)
            try:
                verify_inclusion(gateway_leaf, i, size, proof, root)
            except ProofError as exc:
                self._fork(
                    findings,
                    f"the gateway's inclusion proof of position {i} does not lead to the root anchored at "
                    f"size {size}: {exc}",
                    tree_size=size,
                    anchored_root="0x" + root.hex(),
                    gateway_root="0x" + gateway_root.hex(),
                )
                return
            ours = walk.tree.leaf(i)
            if gateway_leaf != ours:
                served = walk.events.get(i)
                self._add(
                    findings,
                    "AUDIT_EVENT_ALTERED",
                    f"the event at position {i} hashes to {ours.hex()}, the anchored tree holds "
                    f"{gateway_leaf.hex()} there",
                    position=i,
                    anchored_leaf_hash="0x" + gateway_leaf.hex(),
                    served_leaf_hash="0x" + ours.hex(),
                    event=served.event if served else None,
                )

    def _consistency(self, findings: Findings, stream: Stream, size_now: int, root_now: str) -> str:
        status = "verified"
        pairs = [(a[1], a[2], b[1], b[2]) for a, b in zip(stream.checkpoints, stream.checkpoints[1:], strict=False)]
        latest = stream.checkpoints[-1]
        if size_now > latest[1]:
            pairs.append((latest[1], latest[2], size_now, root_now.lower()))
        for size1, root1, size2, root2 in pairs:
            if size2 > size_now:
                return "unverifiable"  # the log is shorter than anchored: reported as truncated
            r1, r2 = bytes.fromhex(root1[2:]), bytes.fromhex(root2[2:])
            first_root, second_root, proof = self.api.consistency(size1, size2)
            if (first_root, second_root) != (r1, r2):
                self._fork(
                    findings,
                    f"the gateway's tree has root 0x{first_root.hex()} at size {size1} and 0x{second_root.hex()} at "
                    f"{size2}, the anchored roots are {root1} and {root2}",
                    sizes=[size1, size2],
                    gateway_roots=["0x" + first_root.hex(), "0x" + second_root.hex()],
                    anchored_roots=[root1, root2],
                )
                return "unverifiable"
            try:
                verify_consistency(size1, size2, proof, r1, r2)
            except ProofError as exc:
                status = "failed"
                findings.add(
                    "CHECKPOINT_INCONSISTENT",
                    self.name,
                    f"no valid consistency proof from size {size1} to {size2} of stream {stream.name}: {exc}",
                    sizes=[size1, size2],
                    roots=[root1, root2],
                )
        return status

    # -- findings ---------------------------------------------------------------------------

    def _add(self, findings: Findings, code: str, message: str, **evidence: Any) -> None:
        findings.add(code, self.name, message, gateway=self.name, **evidence)

    def _fork(self, findings: Findings, message: str, **evidence: Any) -> None:
        if not self._forked:
            self._forked = True
            self._add(findings, "AUDIT_LOG_FORKED", message, **evidence)


def _show(positions: list[int]) -> str:
    shown = ", ".join(str(p) for p in positions[:10])
    return shown + (", ..." if len(positions) > 10 else "")
