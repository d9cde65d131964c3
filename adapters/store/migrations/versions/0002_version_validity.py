"""Each version keeps its own ledger validity.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"


def upgrade() -> None:
    with op.batch_alter_table("versions") as batch:
        batch.add_column(sa.Column("valid_from", sa.BigInteger))
        batch.add_column(sa.Column("valid_until", sa.BigInteger))


def downgrade() -> None:
    with op.batch_alter_table("versions") as batch:
        batch.drop_column("valid_until")
        batch.drop_column("valid_from")
