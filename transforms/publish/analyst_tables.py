"""Full-history Parquet tables for analysts, typed from the warehouse table definitions.

The Arrow schema is derived from the SQLAlchemy `Table` (include/tables.py), so a table
keeps its schema whether it holds one row or none, and each field carries its meaning,
unit and aggregation as field metadata, the same words as docs/data-dictionary.md.
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from sqlalchemy import BigInteger, Boolean, Date, DateTime, Float, Integer, Table


def arrow_type(column) -> pa.DataType:
    kind = column.type
    if isinstance(kind, Date):
        return pa.date32()
    if isinstance(kind, DateTime):
        return pa.timestamp("us", tz="UTC")
    if isinstance(kind, Boolean):
        return pa.bool_()
    if isinstance(kind, Integer | BigInteger):
        return pa.int64()
    if isinstance(kind, Float):
        return pa.float64()
    return pa.string()


def arrow_schema(table: Table) -> pa.Schema:
    return pa.schema(
        [
            pa.field(
                column.name,
                arrow_type(column),
                nullable=not column.primary_key,
                metadata={
                    "meaning": column.comment or "",
                    "unit": column.info.get("unit", ""),
                    "aggregation": column.info.get("aggregation", ""),
                },
            )
            for column in table.columns
        ],
        metadata={"table": table.name},
    )


def table_parquet(frame: pd.DataFrame, table: Table) -> bytes:
    """The rows of `frame` (the warehouse table's columns) sorted by the primary key."""
    return parquet_bytes(arrow_rows(frame, table))


def arrow_rows(frame: pd.DataFrame, table: Table) -> pa.Table:
    """The rows of `frame` in the table's Arrow schema, sorted by the primary key."""
    keys = _primary_key(table)
    ordered = frame.sort_values(keys, kind="stable") if keys and len(frame) else frame
    schema = arrow_schema(table)
    return pa.Table.from_arrays(
        [_array(ordered[field.name], field.type) for field in schema], schema=schema
    )


def parquet_bytes(rows: pa.Table) -> bytes:
    buffer = io.BytesIO()
    pq.write_table(rows, buffer, compression="zstd")
    return buffer.getvalue()


def read_rows(content: bytes, table: Table) -> pa.Table | None:
    """A published file's rows in the table's schema; None when its columns or their types
    are not the table's (a file from before a schema change)."""
    schema = arrow_schema(table)
    rows = pq.read_table(pa.BufferReader(content))
    if [(f.name, f.type) for f in rows.schema] != [(f.name, f.type) for f in schema]:
        return None
    return pa.Table.from_arrays(rows.columns, schema=schema)


def with_partitions_replaced(
    rows: pa.Table, partitions: Sequence[Mapping[str, object]], new_rows: pa.Table, table: Table
) -> pa.Table:
    """`rows` without the rows of `partitions` (each a column → value equality), plus
    `new_rows`, sorted by the primary key as `arrow_rows` sorts: the same table as built
    from all the rows at once."""
    kept = np.ones(rows.num_rows, dtype=bool)
    for partition in partitions:
        inside = np.ones(rows.num_rows, dtype=bool)
        for name, value in partition.items():
            column = rows[name]
            matches = pc.equal(column, pa.scalar(value, type=column.type))
            inside &= matches.to_numpy(zero_copy_only=False).astype(bool)
        kept &= ~inside
    combined = pa.concat_tables([rows.filter(pa.array(kept)), new_rows])
    keys = _primary_key(table)
    if keys and combined.num_rows:
        order = pc.sort_indices(combined, sort_keys=[(k, "ascending") for k in keys])
        combined = combined.take(order)
    return combined.combine_chunks()


def _primary_key(table: Table) -> list[str]:
    return [c.name for c in table.primary_key.columns]


def _array(values: pd.Series, arrow: pa.DataType) -> pa.Array:
    if pa.types.is_date32(arrow):
        days = [None if pd.isna(v) else pd.Timestamp(v).date() for v in values]
        return pa.array(days, type=arrow)
    if pa.types.is_timestamp(arrow):
        stamps = [None if pd.isna(v) else pd.Timestamp(v).tz_convert("UTC") for v in values]
        return pa.array(stamps, type=arrow)
    present = [None if v is None or v is pd.NA or pd.isna(v) else v for v in values]
    return pa.array(present, type=arrow)
