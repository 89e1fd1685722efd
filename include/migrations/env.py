"""Alembic environment of the warehouse (not of Airflow's metadata database, which Airflow
migrates itself with `airflow db migrate`).

`include.warehouse.migrate` runs it with a programmatic configuration: the caller passes an
open connection in `config.attributes["connection"]`, or the URL in
`config.attributes["url"]` (offline mode, `--sql`). Nothing here reads the environment.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine
from sqlalchemy.pool import NullPool

from include.tables import metadata
from include.warehouse import VERSION_TABLE

config = context.config
target_metadata = metadata


def _configure(**kwargs) -> None:
    context.configure(
        target_metadata=target_metadata,
        version_table=VERSION_TABLE,
        compare_type=True,
        # SQLite alters a table by copying it: let `op.batch_alter_table` do that.
        render_as_batch=True,
        **kwargs,
    )


def run_migrations_offline() -> None:
    _configure(url=config.attributes["url"], literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _configure(connection=connection)
        with context.begin_transaction():
            context.run_migrations()
        return
    engine = create_engine(config.attributes["url"], poolclass=NullPool)
    try:
        with engine.connect() as connection:
            _configure(connection=connection)
            with context.begin_transaction():
                context.run_migrations()
    finally:
        engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
