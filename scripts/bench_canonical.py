"""Records per second of each dialect reader and of canonicalise + commit, on one core.

Generates a synthetic export per province and kind (valid records only) into a temporary
directory, then times: generating it, reading it (parse + validate), canonicalise + commit of
the records read, and the whole read + validate + canonicalise + commit pipeline. CPU time of
this process is reported beside wall time, since other work on the machine skews the latter.

    python scripts/bench_canonical.py [--count 50000] [--kind entries|evaluations|both]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from adapters.core.canonical import commitment
from adapters.core.provinces import PROVINCES, Province
from adapters.dialects import DIALECTS, Parsed
from adapters.synthetic import ExportKind, generate

SALT = bytes(range(16))


def _timed(fn: Callable[[], int]) -> tuple[int, float, float]:
    wall, cpu = time.perf_counter(), time.process_time()
    n = fn()
    return n, time.perf_counter() - wall, time.process_time() - cpu


def _line(label: str, n: int, wall: float, cpu: float) -> None:
    print(f"{label:<48} {n / cpu:>9,.0f} rec/s (cpu) {n / wall:>9,.0f} rec/s (wall)", flush=True)


def _read(province: Province, kind: ExportKind, path: Path) -> Iterator[Any]:
    dialect = DIALECTS[province]
    return dialect.read_entries(path) if kind == "entries" else dialect.read_evaluations(path)


def _record(item: Any) -> Any:
    source = item.record
    return getattr(source, "entry", None) or source.result


def bench(province: Province, kind: ExportKind, count: int, folder: Path) -> None:
    path = folder / f"{province.value}-{kind}{DIALECTS[province].extension}"
    tag = f"{province.value} {kind}"
    _line(f"generate {tag}", *_timed(lambda: generate(province, kind, count, path, seed=7).written))
    _line(f"read+validate {tag}", *_timed(lambda: sum(isinstance(i, Parsed) for i in _read(province, kind, path))))
    records = [_record(i) for i in _read(province, kind, path) if isinstance(i, Parsed)]

    def commit_all() -> int:
        for record in records:
            commitment(record, SALT)
        return len(records)

    _line(f"canonicalise+commit {tag}", *_timed(commit_all))

    def pipeline() -> int:
        n = 0
        for item in _read(province, kind, path):
            if isinstance(item, Parsed):
                commitment(_record(item), SALT)
                n += 1
        return n

    _line(f"read+validate+canonicalise+commit {tag}", *_timed(pipeline))


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--count", type=int, default=50_000)
    parser.add_argument("--kind", choices=("entries", "evaluations", "both"), default="both")
    parser.add_argument("--province", type=Province.parse, action="append", help="default: all four")
    args = parser.parse_args()
    kinds: tuple[ExportKind, ...] = ("entries", "evaluations") if args.kind == "both" else (args.kind,)
    with tempfile.TemporaryDirectory() as tmp:
        for kind in kinds:
            for province in args.province or PROVINCES:
                bench(province, kind, args.count, Path(tmp))


if __name__ == "__main__":
    main()
