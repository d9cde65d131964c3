"""Whole synthetic exports: ``generate`` (with a share of invalid records), ``generate_deltas``
(a later export of an earlier one) and ``write_samples`` (the bundled samples)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
import random
from collections.abc import Iterator
from dataclasses import dataclass
from typing import IO, Any

from adapters.core.model import (
    EntryStatus,
    ListType,
    SourceEntry,
    SourceEvaluation,
)
from adapters.core.provinces import Province
from adapters.synthetic.invalid import INVALID_CLASSES, broken_row
from adapters.synthetic.records import AS_OF, ExportKind, Synthesizer

# --- whole exports -----------------------------------------------------------------------


@dataclass(slots=True)
class GenerationStats:
    written: int = 0
    read: int = 0
    invalid: int = 0
    changed: int = 0
    added: int = 0


def _rows(
    synth: Synthesizer,
    kind: ExportKind,
    records: Iterator[Any],
    invalid_share: float,
    stats: GenerationStats,
) -> Iterator[dict[str, Any]]:
    from adapters.dialects import DIALECTS

    codec = DIALECTS[synth.province].codec(kind)
    classes = [c for c in INVALID_CLASSES if kind in c.kinds and c.carried_by(synth.province)]
    bad_rng = random.Random(  # noqa: S311 - synthetic data, not secrets
        synth.rng.random()
    )
    for record in records:
        stats.written += 1
        if invalid_share and bad_rng.random() < invalid_share:
            candidates = [c for c in classes if c.applies(record)]
            stats.invalid += 1
            yield broken_row(synth, codec, bad_rng.choice(candidates), record)
            continue
        yield codec.encode(record)


def generate(
    province: Province,
    kind: ExportKind,
    count: int,
    dest: str | os.PathLike[str] | IO[bytes],
    *,
    seed: int = 0,
    invalid_share: float = 0.0,
    as_of: dt.date = AS_OF,
    sample: bool = False,
) -> GenerationStats:
    """Write ``count`` records of ``province`` in its dialect to ``dest``."""
    from adapters.dialects import DIALECTS

    synth = Synthesizer(province, seed=seed, as_of=as_of, sample=sample)
    make = synth.entry if kind == "entries" else synth.evaluation
    stats = GenerationStats()
    records = (make(i) for i in range(count))
    DIALECTS[province].write_rows(kind, _rows(synth, kind, records, invalid_share, stats), dest)
    return stats


def generate_deltas(
    province: Province,
    kind: ExportKind,
    previous: str | os.PathLike[str],
    dest: str | os.PathLike[str] | IO[bytes],
    *,
    seed: int = 1,
    as_of: dt.date = AS_OF + dt.timedelta(days=92),
    change_share: float = 0.1,
    new_share: float = 0.05,
    invalid_share: float = 0.0,
    changed_only: bool = False,
) -> GenerationStats:
    """Write a later export of ``previous`` (same province and kind) as of ``as_of``.

    Each valid record changes with probability ``change_share`` along a legal lifecycle step
    (entries: amendment, objection opened, objection resolved, credit repair of a black-list
    entry, revocation; evaluations: revocation), entries whose last valid day is before
    ``as_of`` expire, and ``new_share`` of the previous count is added as new records.
    Refused records of ``previous`` are dropped. ``changed_only`` writes only changed and new
    records (an incremental export).
    """
    from adapters.dialects import DIALECTS, Parsed

    dialect = DIALECTS[province]
    synth = Synthesizer(province, seed=seed, as_of=as_of)
    stats = GenerationStats()
    seen = [0]

    def later() -> Iterator[Any]:
        reader = dialect.read_entries(previous) if kind == "entries" else dialect.read_evaluations(previous)
        for item in reader:
            seen[0] += 1
            stats.read += 1
            if not isinstance(item, Parsed):
                continue
            changed = _evolve(synth, item.record, change_share)
            if changed is not item.record:
                stats.changed += 1
                yield changed
            elif not changed_only:
                yield changed
        make = synth.entry if kind == "entries" else synth.evaluation
        # previous exports number records 0..n-1 (generate) or 1..n (samples): start after both
        for i in range(int(seen[0] * new_share)):
            stats.added += 1
            yield make(seen[0] + 1 + i)

    dialect.write_rows(kind, _rows(synth, kind, later(), invalid_share, stats), dest)
    return stats


_TERMINAL = (EntryStatus.REPAIRED, EntryStatus.EXPIRED, EntryStatus.REVOKED)


def _evolve(synth: Synthesizer, record: Any, share: float) -> Any:
    rng = synth.rng
    # ``as_of`` is later than the earlier export by more than the 30 days drawn here
    touched = synth._updated(synth.as_of - dt.timedelta(days=int(rng.random() * 30)))
    if isinstance(record, SourceEvaluation):
        if not record.revoked and rng.random() < share * 0.3:
            return dataclasses.replace(record, revoked=True, updated_at=touched)
        return record
    entry, status = record.entry, record.status
    if status in _TERMINAL:
        return record
    if entry.valid_until is not None and entry.valid_until < synth.as_of:
        return dataclasses.replace(record, status=EntryStatus.EXPIRED, updated_at=touched)
    if status is EntryStatus.DISPUTED:
        roll = rng.random()
        if roll < 0.25:  # objection rejected
            return dataclasses.replace(record, status=EntryStatus.PUBLISHED, updated_at=touched)
        if roll < 0.5:  # objection upheld: corrected
            return _amend(synth, record, touched)
        if roll < 0.5 + share * 0.1:
            return dataclasses.replace(record, status=EntryStatus.REVOKED, updated_at=touched)
        return record
    if rng.random() >= share:
        return record
    step = rng.random()
    if step < 0.35:
        return _amend(synth, record, touched)
    if step < 0.65:
        return dataclasses.replace(record, status=EntryStatus.DISPUTED, updated_at=touched)
    if step < 0.85 and entry.list_type is ListType.BLACK:
        return dataclasses.replace(record, status=EntryStatus.REPAIRED, updated_at=touched)
    return dataclasses.replace(record, status=EntryStatus.REVOKED, updated_at=touched)


def _amend(synth: Synthesizer, record: SourceEntry, touched: dt.datetime) -> SourceEntry:
    """A correction that always changes the record: a longer validity or a reworded reason."""
    entry = record.entry
    if entry.valid_until is not None and synth.rng.random() < 0.5:
        amended = dataclasses.replace(entry, valid_until=entry.valid_until + dt.timedelta(days=180))
    elif entry.reason.endswith(_CORRECTED):
        amended = dataclasses.replace(entry, reason=entry.reason.removesuffix(_CORRECTED))
    else:
        amended = dataclasses.replace(entry, reason=entry.reason + _CORRECTED)
    return SourceEntry(amended, EntryStatus.AMENDED, touched)


_CORRECTED = "（已更正）"


SAMPLE_SEED = 2026
SAMPLE_SERIES = "S"  # in the samples' local ids (ZJ2025BS00000001), which generated exports never use
SAMPLE_COUNTS: dict[ExportKind, int] = {"entries": 60, "evaluations": 20}


def write_samples(root: str | os.PathLike[str], *, seed: int = SAMPLE_SEED) -> None:
    """Write the bundled samples: ``<root>/<province>/entries.<ext>`` and ``evaluations.<ext>``.

    Valid records only, validity current until 2029-2031 or open, with a small pool of natural
    persons shared by all four provinces.
    """
    from pathlib import Path

    from adapters.dialects import DIALECTS

    for province in Province:
        dialect = DIALECTS[province]
        folder = Path(root) / province.value
        folder.mkdir(parents=True, exist_ok=True)
        for kind, count in SAMPLE_COUNTS.items():
            synth = Synthesizer(
                province, seed=seed, sample=True, shared_people=5, shared_share=0.6, series=SAMPLE_SERIES
            )
            make = synth.entry if kind == "entries" else synth.evaluation
            records = [make(i) for i in range(1, count + 1)]
            dialect.write_rows(kind, map(dialect.codec(kind).encode, records), folder / f"{kind}{dialect.extension}")
