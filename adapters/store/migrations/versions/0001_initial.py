"""The first province store schema.

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None

_ID = sa.BigInteger().with_variant(sa.Integer, "sqlite")


def upgrade() -> None:
    op.create_table(
        "records",
        sa.Column("record_id", sa.String(66), primary_key=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("province", sa.String(2), nullable=False),
        sa.Column("local_id", sa.String(32), nullable=False),
        sa.Column("origin", sa.String(8), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("status", sa.SmallInteger, nullable=False),
        sa.Column("anchored_version", sa.Integer, nullable=False),
        sa.Column("anchored_status", sa.SmallInteger, nullable=False),
        sa.Column("subject_tag", sa.String(66), nullable=False),
        sa.Column("tag_key_version", sa.Integer, nullable=False),
        sa.Column("list_type", sa.SmallInteger),
        sa.Column("domain", sa.Integer, nullable=False),
        sa.Column("scheme_id", sa.Integer),
        sa.Column("grade", sa.SmallInteger),
        sa.Column("chain_valid_from", sa.BigInteger, nullable=False),
        sa.Column("chain_valid_until", sa.BigInteger, nullable=False),
        sa.Column("source_updated_at", sa.String(40)),
        sa.Column("block_number", sa.BigInteger),
    )
    op.create_index("ix_records_subject_tag", "records", ["subject_tag"])
    op.create_index("ix_records_origin_province", "records", ["origin", "province"])
    op.create_table(
        "versions",
        sa.Column("record_id", sa.String(66), primary_key=True),
        sa.Column("version", sa.Integer, primary_key=True),
        sa.Column("commitment", sa.String(66), nullable=False),
        sa.Column("salt", sa.String(34)),
        sa.Column("record", sa.Text),
    )
    op.create_table(
        "outbox",
        sa.Column("id", _ID, primary_key=True, autoincrement=True),
        sa.Column("op", sa.String(12), nullable=False),
        sa.Column("record_id", sa.String(66), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("target_status", sa.SmallInteger),
        sa.Column("state", sa.String(8), nullable=False),
        sa.Column("batch_id", sa.BigInteger),
        sa.Column("error", sa.Text),
    )
    op.create_index("ix_outbox_state_id", "outbox", ["state", "id"])
    op.create_index("ix_outbox_batch", "outbox", ["batch_id"])
    op.create_table(
        "batches",
        sa.Column("id", _ID, primary_key=True, autoincrement=True),
        sa.Column("op", sa.String(12), nullable=False),
        sa.Column("sender", sa.String(42), nullable=False),
        sa.Column("nonce", sa.BigInteger, nullable=False),
        sa.Column("tx_hash", sa.String(66), nullable=False, unique=True),
        sa.Column("raw_tx", sa.LargeBinary, nullable=False),
        sa.Column("to_address", sa.String(42), nullable=False),
        sa.Column("gas", sa.BigInteger, nullable=False),
        sa.Column("state", sa.String(8), nullable=False),
        sa.Column("block_number", sa.BigInteger),
        sa.Column("gas_used", sa.BigInteger),
        sa.Column("error", sa.Text),
    )
    op.create_index("ix_batches_state", "batches", ["state"])
    op.create_table(
        "cursors",
        sa.Column("name", sa.String(40), primary_key=True),
        sa.Column("block", sa.BigInteger, nullable=False),
    )
    op.create_table(
        "refusals",
        sa.Column("id", _ID, primary_key=True, autoincrement=True),
        sa.Column("record_id", sa.String(66), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("owner", sa.String(2), nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("block_number", sa.BigInteger, nullable=False),
    )


def downgrade() -> None:
    for table in ("refusals", "cursors", "batches", "outbox", "versions", "records"):
        op.drop_table(table)
