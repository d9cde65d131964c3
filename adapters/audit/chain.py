"""Replaying one deployment's chain, from its deployment block or from a saved replay
checkpoint, to the confirmed head.

Replay checkpoint (a JSON file, ``CHECKPOINT_FORMAT`` 1): the chain (id, genesis hash), the
contracts' addresses, the last block replayed, the state (``state`` JSON form), the findings so
far, the event counts and the activity. Resuming reads blocks ``block + 1`` onwards and ends in
the same state, digest and findings as a replay from the deployment block. A checkpoint of
another chain or deployment is refused.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from adapters.audit.activity import Activity
from adapters.audit.errors import ChainMismatch, ReplayCheckpointInvalid
from adapters.audit.fetch import LogPages
from adapters.audit.findings import Findings
from adapters.audit.replay import Replayer
from adapters.audit.senders import SenderCheck
from adapters.audit.state import LedgerState
from node.deploy import Deployment
from node.events import EventCodec, EventReader

CHECKPOINT_FORMAT = 1

#: progress(blocks done, blocks in all, events so far)
Progress = Callable[[int, int, int], None]


@dataclass
class Replay:
    """A replay's outcome so far: state, findings, counts and activity, up to ``state.block``."""

    deployment: Deployment
    chain_id: int
    genesis_hash: str
    state: LedgerState = field(default_factory=LedgerState)
    findings: Findings = field(default_factory=Findings)
    counts: dict[str, int] = field(default_factory=dict)
    activity: Activity = field(default_factory=Activity)
    resumed_from: int | None = None
    events_read: int = 0  # in this run
    seconds: float = 0.0  # of reading and replaying in this run
    senders_checked: int = 0

    @property
    def events(self) -> int:
        return sum(self.counts.values())

    # -- the checkpoint file ------------------------------------------------------------------

    def to_checkpoint(self) -> dict[str, Any]:
        return {
            "format": CHECKPOINT_FORMAT,
            "chain_id": self.chain_id,
            "genesis_hash": self.genesis_hash,
            "contracts": {k: v.lower() for k, v in sorted(self.deployment.addresses().items())},
            "block": self.state.block,
            "state": self.state.to_json(),
            "findings": self.findings.to_json(),
            "counts": dict(sorted(self.counts.items())),
            "activity": self.activity.to_json(),
        }

    def save(self, path: Path) -> None:
        """Write the replay checkpoint atomically."""
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(path.suffix + ".tmp")
        with open(tmp, "wb") as f:
            f.write(orjson.dumps(self.to_checkpoint()))
            f.flush()
            os.fsync(f.fileno())
        tmp.replace(path)

    @classmethod
    def load(cls, path: Path, *, deployment: Deployment, chain_id: int, genesis_hash: str) -> Replay:
        """The replay saved at ``path``; refuses one of another chain or deployment."""
        try:
            doc = orjson.loads(path.read_bytes())
        except (OSError, orjson.JSONDecodeError) as exc:
            raise ReplayCheckpointInvalid(f"replay checkpoint {path} cannot be read: {exc}") from exc
        if not isinstance(doc, dict) or doc.get("format") != CHECKPOINT_FORMAT:
            raise ReplayCheckpointInvalid(f"replay checkpoint {path}: expected format {CHECKPOINT_FORMAT}")
        contracts = {k: v.lower() for k, v in sorted(deployment.addresses().items())}
        ours = {"chain_id": chain_id, "genesis_hash": genesis_hash, "contracts": contracts}
        theirs = {k: doc.get(k) for k in ours}
        if theirs != ours:
            raise ReplayCheckpointInvalid(
                f"replay checkpoint {path} is of another chain or deployment: expected {ours}, found {theirs}"
            )
        try:
            block = int(doc["block"])
            return cls(
                deployment=deployment,
                chain_id=chain_id,
                genesis_hash=genesis_hash,
                state=LedgerState.from_json(doc["state"], block=block),
                findings=Findings.from_json(doc["findings"]),
                counts={str(k): int(v) for k, v in doc["counts"].items()},
                activity=Activity.from_json(doc["activity"]),
                resumed_from=block,
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise ReplayCheckpointInvalid(f"replay checkpoint {path} is malformed: {exc!r}") from exc


def chain_identity(reader: EventReader, deployment: Deployment) -> tuple[int, str]:
    """The endpoint's chain id and genesis hash; ``ChainMismatch`` unless they are the
    deployment's."""
    chain_id = int(reader.request("eth_chainId", []), 16)
    genesis = str(reader.request("eth_getBlockByNumber", ["0x0", False])["hash"]).lower()
    if (chain_id, genesis) != (deployment.chain_id, deployment.genesis_hash.lower()):
        raise ChainMismatch(
            f"the deployment is on chain {deployment.chain_id} with genesis {deployment.genesis_hash}, "
            f"the endpoint serves chain {chain_id} with genesis {genesis}"
        )
    return chain_id, genesis


class ChainReplay:
    """Replays a deployment's events through ``reader``'s endpoint."""

    def __init__(
        self,
        *,
        reader: EventReader,
        deployment: Deployment,
        parallel: int = 4,
        page_blocks: int | None = None,
        target_logs: int = 8_000,
        check_senders: bool = True,
    ) -> None:
        self.reader = reader
        self.deployment = deployment
        self.pages = LogPages(reader, parallel=parallel, page_blocks=page_blocks, target_logs=target_logs)
        self.check_senders = check_senders

    def start(self, saved: Path | None = None) -> Replay:
        """A fresh replay, or the one saved at ``saved`` when that file exists."""
        chain_id, genesis = chain_identity(self.reader, self.deployment)
        if saved is not None and saved.exists():
            return Replay.load(saved, deployment=self.deployment, chain_id=chain_id, genesis_hash=genesis)
        return Replay(deployment=self.deployment, chain_id=chain_id, genesis_hash=genesis)

    def run(
        self,
        replay: Replay,
        *,
        from_block: int | None = None,
        to_block: int | None = None,
        progress: Progress | None = None,
        save: Callable[[Replay], None] | None = None,
        save_every: float = 60.0,
    ) -> Replay:
        """Replay from the block after ``replay.state.block`` (or the deployment block) to
        ``to_block`` (default: the confirmed head). ``from_block``, when given, must be exactly
        where the replay stands: an audit never skips blocks. ``save`` is called with the replay
        between pages every ``save_every`` seconds, so that an interrupted replay resumes
        near where it stopped."""
        deploy_block = self.deployment.deploy_block
        start = deploy_block if replay.state.block < 0 else replay.state.block + 1
        if from_block is not None and from_block != start and not (replay.state.block < 0 and from_block <= start):
            raise ReplayCheckpointInvalid(
                f"cannot replay from block {from_block}: the replay stands at block {replay.state.block} "
                f"(the deployment block is {deploy_block}), so it continues at {start}; skipping blocks would "
                "leave their events unchecked"
            )
        end = self.reader.head() if to_block is None else to_block
        senders = (
            SenderCheck(rpc_url=self.reader.rpc_url, consortium=replay.state.consortium, findings=replay.findings)
            if self.check_senders
            else None
        )
        replayer = Replayer(
            deployment=self.deployment,
            state=replay.state,
            findings=replay.findings,
            block_time=self._block_time,
            senders=senders,
        )
        replayer.counts = replay.counts
        began = time.perf_counter()
        total = max(end - start + 1, 0)
        read = 0
        saved = time.monotonic()
        for page in self.pages.pages(start, end):
            read += replayer.apply(page.logs)
            replayer.end_page(page.to_block)
            replay.activity.add_counts(replayer.take_activity())
            if progress is not None:
                progress(page.to_block - start + 1, total, read)
            if save is not None and time.monotonic() - saved >= save_every:
                save(replay)
                saved = time.monotonic()
        if end >= start:
            replay.state.block = max(replay.state.block, end)
        replay.events_read += read
        replay.seconds += time.perf_counter() - began
        replay.senders_checked += senders.checked if senders is not None else 0
        return replay

    def _block_time(self, number: int) -> int:
        block = self.reader.request("eth_getBlockByNumber", [hex(number), False])
        return int(block["timestamp"], 16)


def codec_for(deployment: Deployment) -> EventCodec:
    return EventCodec(deployment.addresses())
