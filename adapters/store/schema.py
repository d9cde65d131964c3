"""The province store's tables (SQLAlchemy Core).

``records`` holds one row per list entry or evaluation result the province knows: its own
(``origin = 'own'``) and copies synced in from other provinces (``'synced'``). ``versions``
keeps every version's record, salt and commitment, so a package can be served for exactly the
version the ledger holds. ``outbox`` and ``batches`` are the journal of ledger writes: an
operation is in the outbox before it is batched, and a batch's signed transaction is on disk
before it is sent, so a restarted process re-sends the very same transaction instead of a new
one. ``cursors`` records how far each event follower has read.

Hex values (ids, tags, commitments, salts) are lower-case ``0x`` strings.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Column,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    SmallInteger,
    String,
    Table,
    Text,
)

metadata = MetaData()

records = Table(
    "records",
    metadata,
    Column("record_id", String(66), primary_key=True),
    Column("kind", String(16), nullable=False),  # list-entry | evaluation
    Column("province", String(2), nullable=False),  # owner
    Column("local_id", String(32), nullable=False),
    Column("origin", String(8), nullable=False),  # own | synced
    Column("version", Integer, nullable=False),  # latest version known here
    Column("status", SmallInteger, nullable=False),  # status the record should have
    Column("anchored_version", Integer, nullable=False, default=0),  # confirmed on the ledger
    Column("anchored_status", SmallInteger, nullable=False, default=0),
    Column("subject_tag", String(66), nullable=False),
    Column("tag_key_version", Integer, nullable=False),
    Column("list_type", SmallInteger),  # entries
    Column("domain", Integer, nullable=False),
    Column("scheme_id", Integer),  # results
    Column("grade", SmallInteger),  # results, 1-based
    Column("chain_valid_from", BigInteger, nullable=False),  # validFrom / evaluatedAt
    Column("chain_valid_until", BigInteger, nullable=False),
    Column("source_updated_at", String(40)),
    Column("block_number", BigInteger),  # block of the last confirmed change
    Index("ix_records_subject_tag", "subject_tag"),
    Index("ix_records_origin_province", "origin", "province"),
)

versions = Table(
    "versions",
    metadata,
    Column("record_id", String(66), primary_key=True),
    Column("version", Integer, primary_key=True),
    Column("commitment", String(66), nullable=False),
    Column("salt", String(34)),  # None once a synced copy stops being shared
    Column("record", Text),  # canonical JSON; None once a synced copy stops being shared
    # the version's own validFrom/evaluatedAt and validUntil as written on the ledger (the
    # record's row holds the latest version's); None in rows older than migration 0002
    Column("valid_from", BigInteger),
    Column("valid_until", BigInteger),
)

outbox = Table(
    "outbox",
    metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True),
    Column("op", String(12), nullable=False),  # publish | amend | status | results | revoke | recognise
    Column("record_id", String(66), nullable=False),
    Column("version", Integer, nullable=False),
    Column("target_status", SmallInteger),
    Column("state", String(8), nullable=False),  # pending | batched | done | failed
    Column("batch_id", BigInteger),
    Column("error", Text),
    Index("ix_outbox_state_id", "state", "id"),
    Index("ix_outbox_batch", "batch_id"),
)

batches = Table(
    "batches",
    metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True),
    Column("op", String(12), nullable=False),
    Column("sender", String(42), nullable=False),
    Column("nonce", BigInteger, nullable=False),
    Column("tx_hash", String(66), nullable=False, unique=True),
    Column("raw_tx", LargeBinary, nullable=False),
    Column("to_address", String(42), nullable=False),
    Column("gas", BigInteger, nullable=False),
    Column("state", String(8), nullable=False),  # signed | mined | failed
    Column("block_number", BigInteger),
    Column("gas_used", BigInteger),
    Column("error", Text),
    Index("ix_batches_state", "state"),
)

cursors = Table(
    "cursors",
    metadata,
    Column("name", String(40), primary_key=True),
    Column("block", BigInteger, nullable=False),
)

refusals = Table(
    "refusals",
    metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True),
    Column("record_id", String(66), nullable=False),
    Column("version", Integer, nullable=False),
    Column("owner", String(2), nullable=False),
    Column("reason", Text, nullable=False),
    Column("block_number", BigInteger, nullable=False),
)
