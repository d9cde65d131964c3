"""Records per second of each dialect reader and of canonicalise + commit, on one core.

Generates a synthetic export per province and kind (valid records only) into a temporary
directory, then times: reading it (parse + validate), canonicalise + commit of the records
read, and the whole read + validate + canonicalise + commit pipeline. CPU time of this process
is reported beside wall time, since other work on the machine skews the latter.

    python scripts/bench_canonical.py [--count 50000] [--kind entries|evaluations|both]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from adapters.core.canonical import commitment
from adapters.core.provinces import PROVINCES
from adapters.core.synthetic import generate
from adapters.dialects import DIALECTS, Parsed

SALT = bytes(range(16))


def _timed(fn: Callable[[], int]) -> tuple[int, float, float]:
    wall, cpu = time.perf_counter(), time.process_time()
    n = fn()
    return n, time.perf_counter() - wall, time.process_time() - cpu


def _line(label: str, n: int, wall: float, cpu: float) -> None:
    print(f"{label:<44} {n / cpu:>10,.0f} rec/s cpu {n / wall:>10,.0f} rec/s wall")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=50_000)
    parser.add_argument("--kind", choices=("entries", "evaluations", "both"), default="both")
    args = parser.parse_args()
    kinds = ("entries", "evaluations") if args.kind == "both" else (args.kind,)
    with tempfile.TemporaryDirectory() as tmp:
        for kind in kinds:
            for province in PROVINCES:
                dialect = DIALECTS[province]
                path = Path(tmp) / f"{province.value}-{kind}{dialect.extension}"
                n, wall, cpu = _timed(lambda: generate(province, kind, args.count, path, seed=7).written)  # noqa: B023
                _line(f"generate {province.value} {kind}", n, wall, cpu)

                def read() -> Callable[[], int]:
                    reader = dialect.read_entries if kind == "entries" else dialect.read_evaluations  # noqa: B023
                    return lambda: sum(1 for item in reader(path) if isinstance(item, Parsed))  # noqa: B023

                _line(f"read+validate {province.value} {kind}", *_timed(read()))
                items = [
                    item.record
                    for item in (dialect.read_entries(path) if kind == "entries" else dialect.read_evaluations(path))
                    if isinstance(item, Parsed)
                ]
                records = [r.entry if kind == "entries" else r.result for r in items]

                def commit_all() -> int:
                    for record in records:  # noqa: B023
                        commitment(record, SALT)
                    return len(records)  # noqa: B023

                _line(f"canonicalise+commit {province.value} {kind}", *_timed(commit_all))
                del items, records

                def pipeline() -> int:
                    reader = dialect.read_entries if kind == "entries" else dialect.read_evaluations  # noqa: B023
                    n = 0
                    for item in reader(path):  # noqa: B023
                        if isinstance(item, Parsed):
                            record = item.record
                            commitment(record.entry if kind == "entries" else record.result, SALT)  # noqa: B023
                            n += 1
                    return n

                _line(f"read+validate+canonicalise+commit {province.value} {kind}", *_timed(pipeline))


if __name__ == "__main__":
    main()
