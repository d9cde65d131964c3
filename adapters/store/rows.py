"""The store's rows as the rest of the adapters see them: a record, a version of it, a pending
ledger write, a journaled batch, and the changes one step writes."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from adapters.store import schema

RECORD_COLUMNS = tuple(c.name for c in schema.records.columns)


@dataclass(frozen=True, slots=True)
class StoredRecord:
    """A ``records`` row."""

    record_id: str
    kind: str
    province: str
    local_id: str
    origin: str
    version: int
    status: int
    anchored_version: int
    anchored_status: int
    subject_tag: str
    tag_key_version: int
    list_type: int | None
    domain: int
    scheme_id: int | None
    grade: int | None
    chain_valid_from: int
    chain_valid_until: int
    source_updated_at: str | None
    block_number: int | None


@dataclass(frozen=True, slots=True)
class StoredVersion:
    record_id: str
    version: int
    commitment: str
    salt: str | None
    record: str | None  # canonical JSON
    valid_from: int | None = None  # the version's ledger validity (None: not recorded)
    valid_until: int | None = None


@dataclass(frozen=True, slots=True)
class OutboxOp:
    """A pending ledger write with what its call needs. ``record`` is the record's row, which
    describes its latest version; ``content`` is the canonical record of the version this
    operation writes, which may be an earlier one."""

    id: int
    op: str
    record: StoredRecord
    version: int
    target_status: int | None
    commitment: str
    content: str | None = None
    valid_from: int | None = None  # of the version this operation writes
    valid_until: int | None = None


@dataclass(frozen=True, slots=True)
class Batch:
    """A journaled transaction."""

    id: int
    op: str
    sender: str
    nonce: int
    tx_hash: str
    raw_tx: bytes
    to_address: str
    gas: int
    state: str


@dataclass
class Changes:
    """What one ingest or sync step writes, applied atomically by ``Store.write``."""

    new_records: list[dict[str, Any]]
    record_updates: list[dict[str, Any]]  # each with record_id and the columns to set
    new_versions: list[dict[str, Any]]
    version_updates: list[dict[str, Any]]  # record_id, version, salt, record
    ops: list[dict[str, Any]]  # op, record_id, version, target_status
    refusals: list[dict[str, Any]]
    cursor: tuple[str, int] | None = None

    @classmethod
    def empty(cls) -> Changes:
        return cls([], [], [], [], [], [])

    def __bool__(self) -> bool:
        return bool(
            self.new_records
            or self.record_updates
            or self.new_versions
            or self.version_updates
            or self.ops
            or self.refusals
            or self.cursor
        )


# EntryStatus values; kept here as ints so the store does not depend on the record model.
PUBLISHED, AMENDED = 1, 3
SHARED_ENTRY = (1, 2, 3)  # PUBLISHED, DISPUTED, AMENDED
RESULT_ACTIVE, RESULT_REVOKED = 1, 2
