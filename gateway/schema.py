"""The gateway database's tables (SQLAlchemy Core).

Audit trail
    ``audit_events`` holds every request as its canonical JSON leaf (RFC 8785), numbered from 0
    in log order, with a few columns copied out for queries; ``audit_nodes`` the hash of every
    complete subtree of the RFC 6962 Merkle tree over them, level by level (level 0: the leaf
    hashes); ``audit_checkpoints`` the checkpoints this gateway has anchored or is anchoring.

Client assertions
    ``assertion_ids`` remembers each client assertion's ``jti`` until it expires (RFC 7523
    section 3, item 7), so that replay protection survives a restart.

Ledger index
    What the gateway follows from the ledger's events: ``chain_records`` the current state of
    every entry and evaluation result, ``chain_events`` every event about them with its block
    and transaction, ``chain_blocks`` the time of each block that holds such an event,
    ``chain_recognitions`` who recognised which result, ``chain_members`` the members,
    ``chain_checkpoints`` the anchored checkpoints of every stream and ``chain_cursor`` how far
    the index has read. Hex values are lower-case ``0x`` strings.
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

audit_events = Table(
    "audit_events",
    metadata,
    Column("seq", BigInteger, primary_key=True, autoincrement=False),
    Column("time_ms", BigInteger, nullable=False),
    Column("client_id", String(64)),
    Column("role", String(16)),
    Column("endpoint", String(128), nullable=False),
    Column("subject_tag", String(66)),
    Column("status", SmallInteger, nullable=False),
    Column("leaf", Text, nullable=False),
    Index("ix_audit_events_subject_tag", "subject_tag", "seq"),
)

audit_nodes = Table(
    "audit_nodes",
    metadata,
    Column("level", SmallInteger, primary_key=True, autoincrement=False),
    Column("idx", BigInteger, primary_key=True, autoincrement=False),
    Column("hash", LargeBinary(32), nullable=False),
)

audit_checkpoints = Table(
    "audit_checkpoints",
    metadata,
    Column("tree_size", BigInteger, primary_key=True, autoincrement=False),
    Column("root", String(66), nullable=False),
    Column("state", String(8), nullable=False),  # pending | anchored | covered (by a later one)
    Column("tx_hash", String(66)),
    Column("block", BigInteger),
    Column("created_ms", BigInteger, nullable=False),
)

assertion_ids = Table(
    "assertion_ids",
    metadata,
    Column("key", String(330), primary_key=True),
    Column("expires_at", BigInteger, nullable=False),
    Index("ix_assertion_ids_expires_at", "expires_at"),
)

chain_records = Table(
    "chain_records",
    metadata,
    Column("record_id", String(66), primary_key=True),
    Column("kind", String(16), nullable=False),  # list-entry | evaluation
    Column("province", SmallInteger, nullable=False),
    Column("subject_tag", String(66), nullable=False),
    Column("list_type", SmallInteger),
    Column("status", SmallInteger, nullable=False),
    Column("domain", Integer, nullable=False),
    Column("version", Integer, nullable=False),
    Column("valid_from", BigInteger, nullable=False),  # validFrom, or evaluatedAt of a result
    Column("valid_until", BigInteger, nullable=False),
    Column("updated_at", BigInteger, nullable=False),
    Column("scheme_id", Integer),
    Column("grade", SmallInteger),
    Index("ix_chain_records_subject_tag", "subject_tag"),
)

chain_events = Table(
    "chain_events",
    metadata,
    Column("block", BigInteger, primary_key=True, autoincrement=False),
    Column("log_index", Integer, primary_key=True, autoincrement=False),
    Column("record_id", String(66), nullable=False),
    Column("tx_index", Integer, nullable=False),
    Column("tx_hash", String(66), nullable=False),
    Column("contract", String(16), nullable=False),
    Column("name", String(32), nullable=False),
    Column("args", Text, nullable=False),  # JSON
    Index("ix_chain_events_record", "record_id", "block", "log_index"),
)

chain_blocks = Table(
    "chain_blocks",
    metadata,
    Column("number", BigInteger, primary_key=True, autoincrement=False),
    Column("time", BigInteger, nullable=False),
)

chain_recognitions = Table(
    "chain_recognitions",
    metadata,
    Column("result_id", String(66), primary_key=True),
    Column("province", SmallInteger, primary_key=True, autoincrement=False),
    Column("yrd_grade", SmallInteger, nullable=False),
    Column("agreement_version", Integer, nullable=False),
)

chain_members = Table(
    "chain_members",
    metadata,
    Column("code", SmallInteger, primary_key=True, autoincrement=False),
)

chain_checkpoints = Table(
    "chain_checkpoints",
    metadata,
    Column("stream_id", String(66), primary_key=True),
    Column("idx", BigInteger, primary_key=True, autoincrement=False),
    Column("owner", SmallInteger, nullable=False),
    Column("tree_size", BigInteger, nullable=False),
    Column("root", String(66), nullable=False),
    Column("anchored_at", BigInteger, nullable=False),
    Column("block", BigInteger, nullable=False),
    Column("tx_hash", String(66), nullable=False),
)

chain_cursor = Table(
    "chain_cursor",
    metadata,
    Column("name", String(40), primary_key=True),
    Column("block", BigInteger, nullable=False),  # every block up to this one is indexed
    Column("time", BigInteger, nullable=False),  # that block's timestamp
)
