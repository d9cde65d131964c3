"""One audit: the ledger replayed (resuming from a saved replay checkpoint when there is one),
then each given province store and gateway audit trail checked against the rebuilt state, and
the report made.

Ledger findings travel with the replay checkpoint (a resumed replay reports everything found
since the deployment block); store and gateway findings are made afresh by every audit.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from adapters.audit.chain import ChainReplay, Progress, Replay
from adapters.audit.findings import Findings
from adapters.audit.report import build
from adapters.audit.state import LedgerState
from adapters.audit.stores import StoreCheck
from adapters.core.provinces import Province
from adapters.core.tags import TagKeyring
from adapters.store import Store


class TrailCheck(Protocol):
    """A gateway audit-trail check (see ``trail``)."""

    name: str

    def check(self, state: LedgerState, findings: Findings) -> tuple[dict[str, Any], dict[str, str]]:
        """Check the trail; returns its summary and, per stream id, "verified" or "failed"."""
        ...


@dataclass
class AuditOutcome:
    report: dict[str, Any]
    replay: Replay

    @property
    def ok(self) -> bool:
        return bool(self.report["ok"])


class Audit:
    """Replays with ``engine`` and cross-checks ``stores`` and ``trails``."""

    def __init__(
        self,
        *,
        engine: ChainReplay,
        stores: Mapping[Province, Store] | None = None,
        trails: Sequence[TrailCheck] = (),
        keyring: TagKeyring | None = None,
    ) -> None:
        self.engine = engine
        self.stores = dict(stores or {})
        self.trails = list(trails)
        self.keyring = keyring

    def run(
        self,
        *,
        checkpoint: Path | None = None,
        from_block: int | None = None,
        to_block: int | None = None,
        progress: Progress | None = None,
    ) -> AuditOutcome:
        replay = self.engine.start(checkpoint)
        first = replay.state.block + 1 if replay.state.block >= 0 else self.engine.deployment.deploy_block
        save = (lambda r: r.save(checkpoint)) if checkpoint is not None else None
        self.engine.run(replay, from_block=from_block, to_block=to_block, progress=progress, save=save)
        if checkpoint is not None:
            replay.save(checkpoint)
        findings = Findings()
        findings.merge(replay.findings)
        notes: list[str] = []
        stores: dict[str, dict[str, Any]] = {}
        if self.stores:
            checked = StoreCheck(state=replay.state, stores=self.stores, findings=findings, keyring=self.keyring).run()
            stores = {name: summary.to_json() for name, summary in checked.items()}
            for name, summary in checked.items():
                if summary.behind:
                    notes.append(
                        f"store {name}: {summary.behind} copies changed on the ledger after its sync cursor "
                        f"(block {summary.sync_cursor}) were not compared"
                    )
                if summary.waiting:
                    notes.append(f"store {name}: {summary.waiting} shared copies have no content yet")
        if self.keyring is None and self.stores:
            notes.append("subject tags of stored records were not recomputed (no tag keyring given)")
        gateways: dict[str, dict[str, Any]] = {}
        consistency: dict[str, str] = {}
        for trail in self.trails:
            trail_summary, streams = trail.check(replay.state, findings)
            gateways[trail.name] = trail_summary
            consistency.update(streams)
        for sid, stream in sorted(replay.state.streams.items()):
            if len(stream.checkpoints) > 1 and sid not in consistency:
                notes.append(
                    f"stream {sid}: consistency of its {len(stream.checkpoints)} checkpoints not checked "
                    "(no gateway of its owner given)"
                )
        report = build(
            replay,
            findings=findings,
            from_block=first,
            stores=stores,
            gateways=gateways,
            consistency=consistency,
            notes=notes,
        )
        return AuditOutcome(report, replay)
