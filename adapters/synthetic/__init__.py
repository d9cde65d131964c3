"""Realistic synthetic exports for development, tests and benchmarks (never real data).

``Synthesizer`` makes valid records for one province, deterministically from a seed:
USCCs with the province's region codes and correct GB 11714 / GB 32100-2015 check
characters, resident identity numbers with address codes that existed in the birth year and
ISO 7064 MOD 11-2 check digits, Chinese names, reasons and legal bases per domain, and
authorities that recur as on a real platform. ``generate`` streams a whole export in a
province's dialect with a share of invalid records of every class in ``INVALID_CLASSES``;
``generate_deltas`` reads an earlier export and writes a later one: amendments, objections
opened and resolved, credit repair (black list only), expiry, revocation and new records.
Memory stays bounded: records are made, corrupted and written one at a time.
"""

from adapters.synthetic.codes import REGIONS, make_ric, make_uscc, org_code_check_char, ric_check_char, uscc_check_char
from adapters.synthetic.exports import (
    SAMPLE_COUNTS,
    SAMPLE_SEED,
    GenerationStats,
    generate,
    generate_deltas,
    write_samples,
)
from adapters.synthetic.invalid import INVALID_CLASSES, InvalidClass, broken_row
from adapters.synthetic.records import AS_OF, ExportKind, Synthesizer

__all__ = [
    "AS_OF",
    "INVALID_CLASSES",
    "REGIONS",
    "SAMPLE_COUNTS",
    "SAMPLE_SEED",
    "ExportKind",
    "GenerationStats",
    "InvalidClass",
    "Synthesizer",
    "broken_row",
    "generate",
    "generate_deltas",
    "make_ric",
    "make_uscc",
    "org_code_check_char",
    "ric_check_char",
    "uscc_check_char",
    "write_samples",
]
