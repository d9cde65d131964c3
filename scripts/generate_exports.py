"""Generate synthetic province exports (entries or evaluations) in the province's dialect.

    python scripts/generate_exports.py --province zj --kind entries --count 1000000 \\
        --invalid-share 0.02 --seed 7 --output zj-entries.xml
    python scripts/generate_exports.py --province zj --kind entries \\
        --deltas-of zj-entries.xml --output zj-entries-later.xml [--changed-only]
    python scripts/generate_exports.py --samples adapters/samples

A thin command line over ``adapters.synthetic``; statistics go to standard error.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import time
from typing import IO

from adapters.core.provinces import Province
from adapters.synthetic import AS_OF, generate, generate_deltas, write_samples


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--province", type=Province.parse, help="sh, js, zj, ah (or 31-34)")
    parser.add_argument("--kind", choices=("entries", "evaluations"), default="entries")
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--invalid-share", type=float, default=0.0, help="share of invalid records, 0..1")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--as-of", type=dt.date.fromisoformat, default=None, help="export date (YYYY-MM-DD)")
    parser.add_argument("--output", "-o", default="-", help="file to write, '-' for standard output")
    parser.add_argument("--deltas-of", metavar="FILE", help="write a later export of FILE instead")
    parser.add_argument("--change-share", type=float, default=0.1, help="deltas: share of records changed")
    parser.add_argument("--new-share", type=float, default=0.05, help="deltas: new records, share of FILE")
    parser.add_argument("--changed-only", action="store_true", help="deltas: write changed and new records only")
    parser.add_argument("--sample", action="store_true", help="validity current for years (like the samples)")
    parser.add_argument("--samples", metavar="DIR", help="rewrite the bundled samples under DIR and exit")
    args = parser.parse_args(argv)

    if args.samples:
        write_samples(args.samples)
        print(f"samples written under {args.samples}", file=sys.stderr)
        return 0
    if args.province is None:
        parser.error("--province is required")
    for name in ("invalid_share", "change_share", "new_share"):
        if not 0.0 <= getattr(args, name) <= 1.0:
            parser.error(f"--{name.replace('_', '-')} must be within 0..1")

    dest: str | IO[bytes] = sys.stdout.buffer if args.output == "-" else args.output
    started = time.perf_counter()
    if args.deltas_of:
        stats = generate_deltas(
            args.province,
            args.kind,
            args.deltas_of,
            dest,
            seed=args.seed,
            as_of=args.as_of or AS_OF + dt.timedelta(days=92),
            change_share=args.change_share,
            new_share=args.new_share,
            invalid_share=args.invalid_share,
            changed_only=args.changed_only,
        )
    else:
        stats = generate(
            args.province,
            args.kind,
            args.count,
            dest,
            seed=args.seed,
            invalid_share=args.invalid_share,
            as_of=args.as_of or AS_OF,
            sample=args.sample,
        )
    elapsed = time.perf_counter() - started
    handled = stats.written + stats.read
    print(
        f"{stats.written} records ({stats.invalid} invalid, {stats.changed} changed, {stats.added} new)"
        + (f" from {stats.read} read" if stats.read else "")
        + f" in {elapsed:.1f} s, {handled / max(elapsed, 1e-9):,.0f} records/s",
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
