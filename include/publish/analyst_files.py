"""The full-history tables under <publish>/tables/, brought up to date a partition at a time.

Each `warehouse.replace_partition` of an analyst table gives the partition a new version in
`partition_versions`, in the same transaction as its rows. A publish folder's file of the table
records in `published_partitions` the versions it was built from; a refresh reads from the
warehouse only the partitions whose version has changed since, replaces their rows among the
file's own, and records the versions it used. So a date's publish reads its date's rows, not
the whole history, and the file is byte for byte what a build from the whole table gives.

A file is built from the whole table, as before these versions existed, when it is missing,
when its columns are not the table's (a file from before a schema change), or when its row
count differs from the table's (rows written around `replace_partition`).
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import pandas as pd
from sqlalchemy import Connection, Table, func, select

from include import warehouse
from include.tables import partition_versions, published_partitions
from transforms.publish.analyst_tables import (
    arrow_rows,
    parquet_bytes,
    read_rows,
    table_parquet,
    with_partitions_replaced,
)


def refreshed_table_file(connection: Connection, root: Path, table: Table, path: Path) -> bytes:
    """The content of the folder's file of `table`, up to date with the warehouse; the
    versions it holds are recorded through `connection` (the refresh's transaction)."""
    root_key = hashlib.sha256(str(root.resolve()).encode()).hexdigest()
    current = _versions(connection, select(partition_versions), table)
    recorded = _versions(
        connection,
        select(published_partitions).where(published_partitions.c.publish_root == root_key),
        table,
    )
    published = path.read_bytes() if path.is_file() else None
    existing = read_rows(published, table) if published is not None else None
    changed = [key for key, version in current.items() if recorded.get(key) != version]
    content = None
    if existing is not None:
        rows = existing
        if changed:
            partitions = [warehouse.partition_of(table, key) for key in changed]
            fresh = arrow_rows(_rows_of(connection, table, partitions), table)
            rows = with_partitions_replaced(existing, partitions, fresh, table)
        if rows.num_rows == _row_count(connection, table):
            content = parquet_bytes(rows) if changed else published
    if content is None:
        content = table_parquet(warehouse.read_partition(connection, table), table)
    if changed or len(recorded) != len(current):
        held = pd.DataFrame(
            {
                "publish_root": root_key,
                "table_name": table.name,
                "partition_key": list(current),
                "version": list(current.values()),
            }
        )
        warehouse.replace_partition(
            connection,
            published_partitions,
            {"publish_root": root_key, "table_name": table.name},
            held,
        )
    return content


def _versions(connection: Connection, query, table: Table) -> dict[str, str]:
    source = query.selected_columns
    rows = connection.execute(query.where(source.table_name == table.name)).all()
    return {row.partition_key: row.version for row in rows}


def _rows_of(connection: Connection, table: Table, partitions: list[dict]) -> pd.DataFrame:
    frames = [warehouse.read_partition(connection, table, partition) for partition in partitions]
    return warehouse.in_one_chunk(pd.concat(frames, ignore_index=True))


def _row_count(connection: Connection, table: Table) -> int:
    return connection.execute(select(func.count()).select_from(table)).scalar_one()
