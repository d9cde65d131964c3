"""Peak memory of a real ``yrdx adapter ingest`` of a large export against anvil.

Generates a synthetic export (1,000,000 Zhejiang entries by default), prepares a development
data dir on a fresh anvil, runs ``yrdx adapter ingest --province zj FILE --json`` as a child
process and prints its peak resident set size (the kernel's ``ru_maxrss`` of the child) and the
peak of the sum of it and the processes it starts (a reader ahead of the pipeline), sampled
from /proc, with the time it took and its summary. The issue's bound is a peak under 300 MB.

    .venv/bin/python scripts/measure_ingest_memory.py [--count N] [--province zj] [--work DIR]

A million entries take a while (tens of minutes on two cores): generation, then validation,
planning, storing and publishing in batches of 500 on anvil.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from adapters.core.provinces import Province  # noqa: E402
from adapters.dialects import DIALECTS  # noqa: E402
from adapters.synthetic import generate  # noqa: E402
from node.engines import Anvil  # noqa: E402
from yrdx.context import DataDir, init_development  # noqa: E402

LIMIT_MB = 300


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=1_000_000, help="entries in the export")
    parser.add_argument("--province", default="zj", help="sh, js, zj or ah")
    parser.add_argument("--invalid-share", type=float, default=0.01, help="share of invalid records")
    parser.add_argument("--work", type=Path, help="working directory (default: a temporary one)")
    args = parser.parse_args()
    province = Province.parse(args.province)
    work = args.work or Path(tempfile.mkdtemp(prefix="yrdx-ingest-memory-"))
    work.mkdir(parents=True, exist_ok=True)

    export = work / f"entries-{args.count}{DIALECTS[province].extension}"
    if not export.exists():
        started = time.monotonic()
        stats = generate(province, "entries", args.count, export, seed=1, invalid_share=args.invalid_share)
        print(f"generated {stats.written} entries ({stats.invalid} invalid) in {time.monotonic() - started:.0f} s: "
              f"{export} ({export.stat().st_size / 1e6:.0f} MB)")  # fmt: skip

    with Anvil(log_path=work / "anvil.log") as anvil:
        data_dir = DataDir(work / "data")
        init_development(data_dir, rpc_url=anvil.url)
        argv = [
            sys.executable, "-m", "yrdx", "adapter", "ingest", "--province", province.value, str(export),
            "--json", "--data-dir", str(data_dir.root), "--rpc", anvil.url,
            "--quarantine", str(work / "quarantine.jsonl"),
        ]  # fmt: skip
        started = time.monotonic()
        out = (work / "ingest.out").open("w+", encoding="utf-8")
        child = subprocess.Popen(argv, cwd=REPO, stdout=out, text=True)  # noqa: S603
        family_kib = 0
        while True:
            pid, status, usage = os.wait4(child.pid, os.WNOHANG)
            if pid:
                break
            family_kib = max(family_kib, sum(_rss_kib(p) for p in _family(child.pid)))
            time.sleep(0.2)
        child.returncode = os.waitstatus_to_exitcode(status)
        elapsed = time.monotonic() - started
        out.seek(0)
        output = out.read()
        out.close()

    peak_mb = usage.ru_maxrss * 1024 / 1e6  # ru_maxrss is in KiB on Linux
    family_mb = family_kib * 1024 / 1e6
    lines = [line for line in output.splitlines() if line.startswith("{")]
    summary = json.loads(lines[-1]) if lines else None
    print(f"exit code {child.returncode} after {elapsed:.0f} s ({args.count / elapsed:.0f} entries/s)")
    print(f"summary: {json.dumps(summary)}")
    print(f"peak RSS of yrdx adapter ingest: {peak_mb:.1f} MB (kernel)")
    print(f"peak RSS of yrdx adapter ingest with its child processes: {family_mb:.1f} MB (sampled sum)")
    print(f"limit: {LIMIT_MB} MB; work directory: {work}")
    return 0 if child.returncode in (0, 3) and max(peak_mb, family_mb) < LIMIT_MB else 1


def _family(pid: int) -> list[int]:
    """``pid`` and its descendants, from /proc."""
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        try:
            for task in Path(f"/proc/{current}/task").iterdir():
                todo += [int(c) for c in (task / "children").read_text().split()]
        except OSError:
            continue
    return found


def _rss_kib(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
