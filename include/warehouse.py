"""The warehouse behind one small module: SQLAlchemy Core, one URL, partitions replaced whole.

Every write replaces exactly one period's rows of a table inside the caller's
transaction, so a rerun or backfill of a date can never leave half of it behind.

The schema is Alembic's (include/migrations): `migrate(url)` creates or upgrades it, run by
`make setup` and the deployment's init step as `python -m include.warehouse migrate`;
opening an engine changes nothing. A change to include/tables.py is a new revision:
`python -m include.warehouse revision -m "what changed"`, then review the file it writes.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import tempfile
import uuid
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import date
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from sqlalchemy import (
    BigInteger,
    Boolean,
    Connection,
    Date,
    DateTime,
    Engine,
    Float,
    Integer,
    Table,
    and_,
    create_engine,
    delete,
    event,
    false,
    insert,
    make_url,
    select,
    text,
)
from sqlalchemy.pool import NullPool

from include.config import Settings
from include.tables import ANALYST_TABLES, partition_versions
from transforms.collector import cycle_collector_paused

if TYPE_CHECKING:
    from alembic.config import Config

# Alembic is imported by the functions that use it: a task that only reads and writes rows
# does not pay for it.
MIGRATIONS = Path(__file__).resolve().parent / "migrations"
# Not `alembic_version`: the warehouse's history must never be mistaken for Airflow's, even on
# a server (or in a SQLite folder) the two share.
VERSION_TABLE = "citystats_alembic_version"
# rows converted to and from Python values at once when writing or reading a table
ROWS_PER_BATCH = 20_000
# Bound parameters of one `IN (...)`, well below what SQLite and Postgres allow a statement.
VALUES_PER_QUERY = 5_000


def _new_engine(url: str, **options) -> Engine:
    engine = create_engine(url, pool_pre_ping=True, **options)
    if engine.dialect.name == "sqlite":
        # Parallel task processes write to one file: wait for the lock instead of failing.
        event.listen(engine, "connect", lambda dbapi, _: dbapi.execute("PRAGMA busy_timeout=60000"))
    return engine


@cache
def engine_for(url: str) -> Engine:
    """The engine of the warehouse at `url`, one per process. It changes nothing in the
    database: the schema is `migrate`'s (run by `make setup` and the deployment's init step)."""
    return _new_engine(url)


def lock_id(key: str) -> int:
    """A stable signed 64-bit number for `key`, the same in every process and on every host
    (PostgreSQL's advisory locks are taken on a bigint)."""
    return int.from_bytes(hashlib.sha256(key.encode()).digest()[:8], "big", signed=True)


@contextmanager
def locked(engine: Engine, key: str) -> Iterator[Connection]:
    """Hold the warehouse's lock on `key` ("publish:daily/2020-03-17", "publish:root") for
    the block, against every process and worker on any host that uses this warehouse, and
    yield the connection that holds it: one transaction, committed when the block ends and
    rolled back if it raises, so that what the block records through it becomes visible as
    the lock is released.

    PostgreSQL: a transaction-scoped advisory lock on `lock_id(key)`; other keys go on.
    SQLite: the database's own write lock (`BEGIN IMMEDIATE`), one for every key: other
    writers wait for the block (the busy timeout), so it is kept short and never nested.
    """
    dialect = engine.dialect.name
    if dialect not in ("postgresql", "sqlite"):
        raise NotImplementedError(f"no publication lock on {dialect}")
    with engine.connect() as connection, connection.begin():
        if dialect == "postgresql":
            connection.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": lock_id(key)})
        else:
            # The driver opens no transaction before a BEGIN of its own, and issues none
            # before the statements that follow it: they all run inside this one.
            connection.exec_driver_sql("BEGIN IMMEDIATE")
        yield connection


def alembic_config(**attributes: object) -> Config:
    """Alembic's configuration for the warehouse, without an alembic.ini: the environment is
    include/migrations, and the caller passes the connection (or the URL) as an attribute."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    # Revisions are numbered 0001, 0002, ...: the file name is the number and the message.
    config.set_main_option("file_template", "%%(rev)s_%%(slug)s")
    config.attributes.update(attributes)
    return config


def head_revision() -> str:
    """The newest revision of the warehouse schema in include/migrations/versions."""
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def schema_revision(url: str) -> str | None:
    """The revision the warehouse at `url` is at; None when Alembic has never run on it."""
    from alembic.runtime.migration import MigrationContext

    engine = _new_engine(url, poolclass=NullPool)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"version_table": VERSION_TABLE})
            return context.get_current_revision()
    finally:
        engine.dispose()


def migrate(url: str, revision: str = "head") -> str | None:
    """Create or upgrade the warehouse schema at `url` to `revision` (default: the newest),
    in one transaction where the database allows DDL in one. The one way the schema changes:
    a database already at the revision is left as it is, and one made before Alembic (by the
    old create-on-connect code) is taken over by the first revision with its rows."""
    from alembic import command

    _make_sqlite_folder(url)
    engine = _new_engine(url, poolclass=NullPool)
    try:
        with engine.begin() as connection:
            command.upgrade(alembic_config(connection=connection), revision)
    finally:
        engine.dispose()
    return schema_revision(url)


def _make_sqlite_folder(url: str) -> None:
    """SQLite creates the file of a new warehouse, but not the folder it is in."""
    target = make_url(url)
    name = target.database or ""
    in_a_file = name not in ("", ":memory:") and not name.startswith("file:")
    if target.get_backend_name() == "sqlite" and in_a_file:
        Path(name).parent.mkdir(parents=True, exist_ok=True)


def new_revision(message: str) -> str:
    """Write the next revision, autogenerated from what include/tables.py defines beyond the
    newest revision (review it: Alembic cannot tell a rename from a drop and an add)."""
    from alembic import command
    from alembic.script import ScriptDirectory

    with tempfile.TemporaryDirectory(prefix="citystats-revision-") as scratch:
        url = f"sqlite:///{Path(scratch) / 'warehouse.sqlite'}"
        migrate(url)
        engine = _new_engine(url, poolclass=NullPool)
        try:
            with engine.begin() as connection:
                config = alembic_config(connection=connection)
                ruff = Path(sys.executable).with_name("ruff")
                if ruff.exists():  # format the new file as the rest of the code
                    config.set_section_option("post_write_hooks", "hooks", "ruff")
                    config.set_section_option("post_write_hooks", "ruff.type", "exec")
                    config.set_section_option("post_write_hooks", "ruff.executable", str(ruff))
                    config.set_section_option(
                        "post_write_hooks", "ruff.options", "format REVISION_SCRIPT_FILENAME"
                    )
                number = len(list(ScriptDirectory.from_config(config).walk_revisions())) + 1
                script = command.revision(
                    config, message=message, autogenerate=True, rev_id=f"{number:04d}"
                )
        finally:
            engine.dispose()
    return script.path


def _where(table: Table, partition: Mapping[str, object]):
    return and_(*(table.c[name] == value for name, value in partition.items()))


def replace_partition(
    connection: Connection, table: Table, partition: Mapping[str, object], frame: pd.DataFrame
) -> None:
    """Delete the partition's rows and insert `frame` (its columns named as the table's), a
    batch of rows at a time: a country's date as Python records would be gigabytes. An
    analyst table's partition gets a new version (`partition_versions`)."""
    connection.execute(delete(table).where(_where(table, partition)))
    for start in range(0, len(frame), ROWS_PER_BATCH):
        batch = frame.iloc[start : start + ROWS_PER_BATCH]
        with cycle_collector_paused():
            connection.execute(insert(table), frame_to_records(batch, table))
    if table in ANALYST_TABLES:
        versioned = {"table_name": table.name, "partition_key": partition_key(partition)}
        connection.execute(delete(partition_versions).where(_where(partition_versions, versioned)))
        connection.execute(insert(partition_versions), {**versioned, "version": uuid.uuid4().hex})


def partition_key(partition: Mapping[str, object]) -> str:
    """The partition as `partition_versions` names it: JSON, dates as YYYY-MM-DD."""
    shown = {name: v.isoformat() if isinstance(v, date) else v for name, v in partition.items()}
    return json.dumps(shown, sort_keys=True, ensure_ascii=False)


def partition_of(table: Table, key: str) -> dict[str, object]:
    """The partition a `partition_key` names, its values typed as the table's columns."""
    return {
        name: date.fromisoformat(value) if isinstance(table.c[name].type, Date) else value
        for name, value in json.loads(key).items()
    }


def read_partition(
    engine_or_connection: Engine | Connection,
    table: Table,
    partition: Mapping[str, object] | None = None,
    order_by: Iterable[str] = (),
) -> pd.DataFrame:
    """Rows of a table (or of one partition of it) with the pipeline's dtypes."""
    query = select(table)
    if partition:
        query = query.where(_where(table, partition))
    query = query.order_by(*(table.c[name] for name in order_by))
    if isinstance(engine_or_connection, Engine):
        with engine_or_connection.connect() as connection:
            return _frame_of(connection, query, table)
    return _frame_of(engine_or_connection, query, table)


def read_partition_among(
    connection: Connection,
    table: Table,
    partition: Mapping[str, object],
    column: str,
    values: Sequence[object],
) -> pd.DataFrame:
    """The partition's rows whose `column` is one of `values`, a batch of values a statement:
    a country's key enterprises are more than one statement may bind."""
    frames = [
        _frame_of(
            connection,
            select(table)
            .where(_where(table, partition))
            .where(table.c[column].in_(values[first : first + VALUES_PER_QUERY])),
            table,
        )
        for first in range(0, len(values), VALUES_PER_QUERY)
    ]
    if not frames:
        return _frame_of(connection, select(table).where(false()), table)
    return frames[0] if len(frames) == 1 else in_one_chunk(pd.concat(frames, ignore_index=True))


def read_range(
    connection: Connection,
    table: Table,
    column: str,
    first: object,
    last: object,
    partition: Mapping[str, object] | None = None,
) -> pd.DataFrame:
    """The rows of a table (or of one partition of it) whose `column` is in [first, last]."""
    query = select(table).where(table.c[column].between(first, last))
    if partition:
        query = query.where(_where(table, partition))
    return _frame_of(connection, query, table)


def _frame_of(connection: Connection, query, table: Table) -> pd.DataFrame:
    """The query's rows typed a batch at a time, so that only one batch exists as Python
    values (on Postgres a server-side cursor, so the client holds a batch too)."""
    with cycle_collector_paused():
        result = connection.execute(query.execution_options(yield_per=ROWS_PER_BATCH))
        names = list(result.keys())
        # Plain tuples: building a frame from row mappings took twice as long.
        batches = [
            _typed(pd.DataFrame.from_records([tuple(row) for row in rows], columns=names), table)
            for rows in result.partitions()
        ]
    if not batches:
        return _typed(pd.DataFrame.from_records([], columns=names), table)
    return batches[0] if len(batches) == 1 else in_one_chunk(pd.concat(batches, ignore_index=True))


def in_one_chunk(frame: pd.DataFrame) -> pd.DataFrame:
    """`frame` with each Arrow-backed column (the text columns) in one chunk. Concatenated or
    read from parquet, a column is several chunks, and pyarrow takes rows from such a column
    by first joining all its chunks: each row selection copied a country's whole column."""
    for name, values in frame.items():
        if isinstance(values.array, pd.arrays.ArrowExtensionArray):
            chunks = values.array.__arrow_array__()
            if chunks.num_chunks > 1:
                frame[name] = pd.array(chunks.combine_chunks(), dtype=values.dtype)
    return frame


def _typed(frame: pd.DataFrame, table: Table) -> pd.DataFrame:
    for column in table.columns:
        values = frame[column.name]
        if isinstance(column.type, Date):
            frame[column.name] = pd.to_datetime(values).astype("datetime64[s]")
        elif isinstance(column.type, DateTime):
            frame[column.name] = pd.to_datetime(values, utc=True)
        elif isinstance(column.type, Boolean):
            frame[column.name] = pd.array(values, dtype="boolean")
        elif isinstance(column.type, Integer | BigInteger):
            frame[column.name] = pd.array(values, dtype="Int64")
        elif isinstance(column.type, Float):
            frame[column.name] = pd.array(values, dtype="Float64")
        else:
            frame[column.name] = values.astype("str").where(values.notna(), None)
    return frame


def frame_to_records(frame: pd.DataFrame, table: Table) -> list[dict]:
    """Plain Python values for the driver: None for missing, dates for Date columns; converted
    a column at a time."""
    columns = [c for c in table.columns if c.name in frame.columns]
    values = [_python_values(frame[c.name], c) for c in columns]
    names = [c.name for c in columns]
    return [dict(zip(names, row, strict=True)) for row in zip(*values, strict=True)]


def _python_values(series: pd.Series, column) -> list:
    missing = series.isna().to_numpy()
    if isinstance(column.type, Date):
        converted = pd.to_datetime(series).dt.date.to_numpy(dtype=object)
    elif isinstance(column.type, DateTime):
        converted = pd.to_datetime(series, utc=column.type.timezone).dt.to_pydatetime()
    else:
        # astype(object) turns numpy and pandas scalars into Python ints, floats, bools, strs
        converted = series.astype(object).to_numpy()
    return np.where(missing, None, converted).tolist()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m include.warehouse", description="The warehouse schema (Alembic)."
    )
    commands = parser.add_subparsers(dest="command", required=True)
    upgrade = commands.add_parser(
        "migrate", help="create or upgrade the schema to the newest revision"
    )
    upgrade.add_argument(
        "--url", help="SQLAlchemy URL of the warehouse (default: CITYSTATS_WAREHOUSE_URL)"
    )
    current = commands.add_parser("current", help="print the revision the warehouse is at")
    current.add_argument("--url", help="default: CITYSTATS_WAREHOUSE_URL")
    revision = commands.add_parser(
        "revision", help="write the next revision from the changes to include/tables.py"
    )
    revision.add_argument("-m", "--message", required=True)
    args = parser.parse_args(argv)
    if args.command == "revision":
        print(new_revision(args.message))
        return 0
    url = args.url or Settings.from_env().warehouse_url
    shown = make_url(url).render_as_string(hide_password=True)
    if args.command == "current":
        print(f"{shown}: {schema_revision(url) or 'not under Alembic'} (head {head_revision()})")
        return 0
    print(f"warehouse schema at revision {migrate(url)}: {shown}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
