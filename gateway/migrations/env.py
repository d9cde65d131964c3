"""Alembic environment for the gateway database: runs on the connection the gateway hands over."""

from __future__ import annotations

from alembic import context

from gateway.schema import metadata

config = context.config
connection = config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=metadata,
    render_as_batch=True,
    version_table=config.get_main_option("version_table") or "alembic_version",
)
with context.begin_transaction():
    context.run_migrations()
