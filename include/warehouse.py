"""The warehouse behind one small module: SQLAlchemy Core, one URL, partitions replaced whole.

Every write replaces exactly one period's rows of a table inside the caller's
transaction, so a rerun or backfill of a date can never leave half of it behind.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from functools import cache

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
    insert,
    inspect,
    select,
    text,
)

from include.tables import metadata


@cache
def engine_for(url: str) -> Engine:
    engine = create_engine(url, future=True, pool_pre_ping=True)
    if engine.dialect.name == "sqlite":
        # Parallel task processes write to one file: wait for the lock instead of failing.
        event.listen(engine, "connect", lambda dbapi, _: dbapi.execute("PRAGMA busy_timeout=60000"))
    ensure_schema(engine)
    return engine


def ensure_schema(engine: Engine) -> None:
    """Create missing tables, and add columns that a newer version of a table defines.

    Tables only ever gain nullable columns between versions, so adding them is the whole
    upgrade; a column that changed type or meaning gets a new name instead.
    """
    metadata.create_all(engine)
    existing = inspect(engine)
    with engine.begin() as connection:
        for table in metadata.sorted_tables:
            present = {c["name"] for c in existing.get_columns(table.name)}
            for column in table.columns:
                if column.name not in present:
                    kind = column.type.compile(dialect=engine.dialect)
                    connection.execute(
                        text(f'ALTER TABLE {table.name} ADD COLUMN "{column.name}" {kind}')
                    )


def _where(table: Table, partition: Mapping[str, object]):
    return and_(*(table.c[name] == value for name, value in partition.items()))


def replace_partition(
    connection: Connection, table: Table, partition: Mapping[str, object], frame: pd.DataFrame
) -> None:
    """Delete the partition's rows and insert `frame` (its columns named as the table's)."""
    connection.execute(delete(table).where(_where(table, partition)))
    records = frame_to_records(frame, table)
    if records:
        connection.execute(insert(table), records)


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
            rows = connection.execute(query).mappings().all()
    else:
        rows = engine_or_connection.execute(query).mappings().all()
    frame = pd.DataFrame.from_records(rows, columns=[c.name for c in table.columns])
    return _typed(frame, table)


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
    """Plain Python values for the driver: None for missing, dates for Date columns."""
    columns = [c for c in table.columns if c.name in frame.columns]
    records = []
    for row in frame[[c.name for c in columns]].itertuples(index=False, name=None):
        records.append({c.name: _python_value(v, c) for c, v in zip(columns, row, strict=True)})
    return records


def _python_value(value: object, column) -> object:
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, float) and value != value:
        return None
    if isinstance(column.type, Date):
        return pd.Timestamp(value).date()
    if isinstance(column.type, DateTime):
        return pd.Timestamp(value).to_pydatetime()
    if hasattr(value, "item"):
        return value.item()
    return value
