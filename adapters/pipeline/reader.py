"""Reading an export ahead of the pipeline, in a process of its own.

Parsing and validating a record costs more than everything else the ingest does with it, and
the Python interpreter runs one thread at a time; so for large files the dialect reader runs in
a child process (``python -m adapters.pipeline.reader``) that hands over validated records,
with their record ids, a chunk at a time as length-prefixed frames on its standard output.
Memory stays bounded: the child waits on the pipe while the pipeline is behind. Small files and
open streams are read in-process.

On the pipe a parsed record travels as one flat tuple of plain values (enumerations as their
values), not as its dataclasses: pickling frozen dataclasses field by field cost the two
processes more than the rest of the hand-over.
"""

from __future__ import annotations

import contextlib
import os
import pickle
import subprocess
import sys
from collections.abc import Iterator
from itertools import islice
from operator import attrgetter
from pathlib import Path
from typing import IO, Any, BinaryIO, Literal

from adapters.core.canonical import record_id
from adapters.core.errors import AdapterError, DialectError
from adapters.core.model import (
    Domain,
    EntryStatus,
    EvaluationResult,
    ListEntry,
    ListType,
    SourceEntry,
    SourceEvaluation,
    SubjectKind,
)
from adapters.core.provinces import Province
from adapters.dialects import DIALECTS
from adapters.dialects.base import Parsed, Refusal, Source, is_url
from adapters.pipeline.collector import bulk_work

Kind = Literal["entries", "evaluations"]
Chunk = tuple[list[Parsed[Any] | Refusal], list[str]]  # items, record ids of the parsed ones in order

IN_PROCESS_BELOW = 2 * 1024 * 1024  # bytes: smaller files are not worth a process


def _record_ids(items: list[Parsed[Any] | Refusal]) -> list[str]:
    ids = []
    for item in items:
        if isinstance(item, Parsed):
            inner = item.record.entry if hasattr(item.record, "entry") else item.record.result
            ids.append("0x" + record_id(inner).hex())
    return ids


FIRST_CHUNK = 250  # records: the first chunks are small, so publishing starts early


def _chunks(province: Province, kind: Kind, source: Source, size: int) -> Iterator[Chunk]:
    """Chunks of at most ``size`` records; the first ones smaller, doubling up to ``size``."""
    dialect = DIALECTS[province]
    items = iter(dialect.read_entries(source) if kind == "entries" else dialect.read_evaluations(source))
    step = min(FIRST_CHUNK, size)
    while chunk := list(islice(items, step)):
        yield chunk, _record_ids(chunk)
        step = min(step * 2, size)


# -- the wire form of a chunk ---------------------------------------------------------------

_ENTRY_FIELDS = attrgetter(*ListEntry.__slots__)
_RESULT_FIELDS = attrgetter(*EvaluationResult.__slots__)
_PROVINCE = {m.value: m for m in Province}
_LIST_TYPE = {m.value: m for m in ListType}
_DOMAIN = {m.value: m for m in Domain}
_KIND = {m.value: m for m in SubjectKind}
_STATUS = {m.value: m for m in EntryStatus}


def _pack(items: list[Parsed[Any] | Refusal]) -> list[tuple[Any, ...] | Refusal]:
    """``items`` as plain tuples: ``("e", location, status, updated_at, *entry fields)`` or
    ``("r", location, revoked, updated_at, *result fields)``; refusals go as they are."""
    out: list[tuple[Any, ...] | Refusal] = []
    for item in items:
        if not isinstance(item, Parsed):
            out.append(item)
            continue
        src = item.record
        if isinstance(src, SourceEntry):
            e = _ENTRY_FIELDS(src.entry)
            head = ("e", item.location, src.status.value, src.updated_at)
            out.append((*head, e[0].value, e[1], e[2].value, e[3].value, e[4].value, *e[5:]))
        else:
            r = _RESULT_FIELDS(src.result)
            head = ("r", item.location, src.revoked, src.updated_at)
            out.append((*head, r[0].value, r[1], r[2].value, r[3], r[4], r[5].value, *r[6:]))
    return out


def _unpack(rows: list[tuple[Any, ...] | Refusal]) -> list[Parsed[Any] | Refusal]:
    """The inverse of ``_pack``."""
    out: list[Parsed[Any] | Refusal] = []
    for row in rows:
        if not isinstance(row, tuple):
            out.append(row)
        elif row[0] == "e":
            entry = ListEntry(_PROVINCE[row[4]], row[5], _LIST_TYPE[row[6]], _DOMAIN[row[7]], _KIND[row[8]], *row[9:])
            out.append(Parsed(SourceEntry(entry, _STATUS[row[2]], row[3]), row[1]))
        else:
            result = EvaluationResult(
                _PROVINCE[row[4]], row[5], _KIND[row[6]], row[7], row[8], _DOMAIN[row[9]], *row[10:]
            )
            out.append(Parsed(SourceEvaluation(result, row[2], row[3]), row[1]))
    return out


def _produce(province: str, kind: Kind, source: str, size: int, out: BinaryIO) -> None:
    """Child process: write framed chunks of ``source`` to ``out``, then an end (or error) frame."""
    src: Source = source if is_url(source) else Path(source)
    try:
        for items, ids in _chunks(Province(province), kind, src, size):
            _frame(out, ("chunk", (_pack(items), ids)))
        _frame(out, ("end", None))
    except BrokenPipeError:
        # the ingest went away (stopped or killed): nothing left to read for; keep the
        # interpreter's last flush of standard output quiet as well
        os.dup2(os.open(os.devnull, os.O_WRONLY), out.fileno())
        return
    except DialectError as exc:
        _frame(out, ("dialect", (exc.source, exc.reason)))
    except Exception as exc:  # noqa: BLE001 - reported to the parent as it is
        _frame(out, ("error", f"{type(exc).__name__}: {exc}"))
    with contextlib.suppress(BrokenPipeError):
        out.flush()


def _frame(out: BinaryIO, message: tuple[str, Any]) -> None:
    payload = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
    out.write(len(payload).to_bytes(8, "big") + payload)


def _read_frame(stream: IO[bytes]) -> tuple[str, Any] | None:
    head = stream.read(8)
    if len(head) < 8:
        return None
    size = int.from_bytes(head, "big")
    payload = stream.read(size)
    if len(payload) < size:
        return None  # the child stopped in the middle of a frame
    message: tuple[str, Any] = pickle.loads(payload)  # noqa: S301 - our own child process
    return message


def read_chunks(province: Province, kind: Kind, source: Source, *, size: int) -> Iterator[Chunk]:
    """Chunks of validated records (or refusals) of ``source``, each with the record ids of
    its parsed records. Raises ``DialectError`` like the dialect reader does."""
    big = isinstance(source, str | os.PathLike) and (is_url(source) or _size(Path(source)) >= IN_PROCESS_BELOW)
    if not big:
        yield from _chunks(province, kind, source, size)
        return
    assert isinstance(source, str | os.PathLike)
    args = [sys.executable, "-m", "adapters.pipeline.reader", province.value, kind, os.fspath(source), str(size)]
    # the pipe's buffer is the queue: the reader waits while the pipeline is behind
    child = subprocess.Popen(args, stdout=subprocess.PIPE, stdin=subprocess.DEVNULL)  # noqa: S603
    assert child.stdout is not None
    try:
        while True:
            message = _read_frame(child.stdout)
            if message is None:
                code = child.wait()
                raise AdapterError(f"reading {source}: the reader process stopped (exit code {code})")
            tag, payload = message
            if tag == "chunk":
                rows, ids = payload
                yield _unpack(rows), ids
            elif tag == "end":
                return
            elif tag == "dialect":
                raise DialectError(*payload)
            else:
                raise AdapterError(f"reading {source} failed: {payload}")
    finally:
        if child.poll() is None:
            child.kill()
        child.wait()
        child.stdout.close()


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0  # let the dialect reader report it


if __name__ == "__main__":
    _province, _kind, _source, _size_arg = sys.argv[1:5]
    with bulk_work():
        _produce(
            _province, "entries" if _kind == "entries" else "evaluations", _source, int(_size_arg), sys.stdout.buffer
        )
