"""Full-history Parquet tables for analysts, typed from the warehouse table definitions.

The Arrow schema is derived from the SQLAlchemy `Table` (include/tables.py), so a table
keeps its schema whether it holds one row or none, and each field carries its meaning,
unit and aggregation as field metadata, the same words as docs/data-dictionary.md.
"""

from __future__ import annotations

import io

import pandas as pd
import pyarrow as pa
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
    keys = [c.name for c in table.primary_key.columns]
    ordered = frame.sort_values(keys, kind="stable") if keys and len(frame) else frame
    schema = arrow_schema(table)
    arrays = [_array(ordered[field.name], field.type) for field in schema]
    buffer = io.BytesIO()
    pq.write_table(pa.Table.from_arrays(arrays, schema=schema), buffer, compression="zstd")
    return buffer.getvalue()


def _array(values: pd.Series, arrow: pa.DataType) -> pa.Array:
    if pa.types.is_date32(arrow):
        days = [None if pd.isna(v) else pd.Timestamp(v).date() for v in values]
        return pa.array(days, type=arrow)
    if pa.types.is_timestamp(arrow):
        stamps = [None if pd.isna(v) else pd.Timestamp(v).tz_convert("UTC") for v in values]
        return pa.array(stamps, type=arrow)
    present = [None if v is None or v is pd.NA or pd.isna(v) else v for v in values]
    return pa.array(present, type=arrow)
