"""The first gateway database schema: audit trail, assertion ids, ledger index.

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None


def upgrade() -> None:
    op.create_table(
        "audit_events",
        sa.Column("seq", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("time_ms", sa.BigInteger, nullable=False),
        sa.Column("client_id", sa.String(64)),
        sa.Column("role", sa.String(16)),
        sa.Column("endpoint", sa.String(128), nullable=False),
        sa.Column("subject_tag", sa.String(66)),
        sa.Column("status", sa.SmallInteger, nullable=False),
        sa.Column("leaf", sa.Text, nullable=False),
    )
    op.create_index("ix_audit_events_subject_tag", "audit_events", ["subject_tag", "seq"])
    op.create_table(
        "audit_nodes",
        sa.Column("level", sa.SmallInteger, primary_key=True, autoincrement=False),
        sa.Column("idx", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("hash", sa.LargeBinary(32), nullable=False),
    )
    op.create_table(
        "audit_checkpoints",
        sa.Column("tree_size", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("root", sa.String(66), nullable=False),
        sa.Column("state", sa.String(8), nullable=False),
        sa.Column("tx_hash", sa.String(66)),
        sa.Column("block", sa.BigInteger),
        sa.Column("created_ms", sa.BigInteger, nullable=False),
    )
    op.create_table(
        "assertion_ids",
        sa.Column("key", sa.String(330), primary_key=True),
        sa.Column("expires_at", sa.BigInteger, nullable=False),
    )
    op.create_index("ix_assertion_ids_expires_at", "assertion_ids", ["expires_at"])
    op.create_table(
        "chain_records",
        sa.Column("record_id", sa.String(66), primary_key=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("province", sa.SmallInteger, nullable=False),
        sa.Column("subject_tag", sa.String(66), nullable=False),
        sa.Column("list_type", sa.SmallInteger),
        sa.Column("status", sa.SmallInteger, nullable=False),
        sa.Column("domain", sa.Integer, nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("valid_from", sa.BigInteger, nullable=False),
        sa.Column("valid_until", sa.BigInteger, nullable=False),
        sa.Column("updated_at", sa.BigInteger, nullable=False),
        sa.Column("scheme_id", sa.Integer),
        sa.Column("grade", sa.SmallInteger),
    )
    op.create_index("ix_chain_records_subject_tag", "chain_records", ["subject_tag"])
    op.create_table(
        "chain_events",
        sa.Column("block", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("log_index", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("record_id", sa.String(66), nullable=False),
        sa.Column("tx_index", sa.Integer, nullable=False),
        sa.Column("tx_hash", sa.String(66), nullable=False),
        sa.Column("contract", sa.String(16), nullable=False),
        sa.Column("name", sa.String(32), nullable=False),
        sa.Column("args", sa.Text, nullable=False),
    )
    op.create_index("ix_chain_events_record", "chain_events", ["record_id", "block", "log_index"])
    op.create_table(
        "chain_blocks",
        sa.Column("number", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("time", sa.BigInteger, nullable=False),
    )
    op.create_table(
        "chain_recognitions",
        sa.Column("result_id", sa.String(66), primary_key=True),
        sa.Column("province", sa.SmallInteger, primary_key=True, autoincrement=False),
        sa.Column("yrd_grade", sa.SmallInteger, nullable=False),
        sa.Column("agreement_version", sa.Integer, nullable=False),
    )
    op.create_table(
        "chain_members",
        sa.Column("code", sa.SmallInteger, primary_key=True, autoincrement=False),
    )
    op.create_table(
        "chain_checkpoints",
        sa.Column("stream_id", sa.String(66), primary_key=True),
        sa.Column("idx", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("owner", sa.SmallInteger, nullable=False),
        sa.Column("tree_size", sa.BigInteger, nullable=False),
        sa.Column("root", sa.String(66), nullable=False),
        sa.Column("anchored_at", sa.BigInteger, nullable=False),
        sa.Column("block", sa.BigInteger, nullable=False),
        sa.Column("tx_hash", sa.String(66), nullable=False),
    )
    op.create_table(
        "chain_cursor",
        sa.Column("name", sa.String(40), primary_key=True),
        sa.Column("block", sa.BigInteger, nullable=False),
        sa.Column("time", sa.BigInteger, nullable=False),
    )


def downgrade() -> None:
    for table in (
        "chain_cursor",
        "chain_checkpoints",
        "chain_members",
        "chain_recognitions",
        "chain_blocks",
        "chain_events",
        "chain_records",
        "assertion_ids",
        "audit_checkpoints",
        "audit_nodes",
        "audit_events",
    ):
        op.drop_table(table)
