"""Parquet analyst tables typed from the warehouse definitions, whatever rows they hold."""

from __future__ import annotations

import io

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from include.tables import county_daily, submissions_log
from transforms.publish.analyst_tables import arrow_schema, table_parquet


def read(content: bytes) -> pa.Table:
    return pq.read_table(io.BytesIO(content))


def test_an_empty_table_has_the_full_schema():
    empty = pd.DataFrame(columns=[c.name for c in county_daily.columns])
    table = read(table_parquet(empty, county_daily))
    assert table.num_rows == 0
    assert table.schema.equals(arrow_schema(county_daily), check_metadata=True)
    assert table.schema.field("report_date").type == pa.date32()
    assert table.schema.field("resumption_rate").type == pa.float64()
    assert table.schema.field("employees_total").type == pa.int64()


def test_each_field_carries_meaning_unit_and_aggregation():
    field = arrow_schema(county_daily).field("resumption_rate")
    assert field.metadata[b"meaning"] == b"enterprises_resumed / enterprises_in_scope"
    assert field.metadata[b"unit"] == "fraction 0–1".encode()
    assert field.metadata[b"aggregation"] == b"ratio of sums"


def test_rows_are_sorted_by_key_and_nulls_survive():
    log = pd.DataFrame(
        {
            "kind": ["daily", "daily"],
            "period": ["2020-03-17", "2020-03-16"],
            "county_code": ["990102", "990102"],
            "file_name": [None, "990102.csv"],
            "content_sha256": [None, "ab" * 32],
            "arrived_at": [pd.NaT, pd.Timestamp("2020-03-16T10:00:00Z")],
            "on_time": pd.array([None, True], dtype="boolean"),
            "outcome": ["missing", "accepted"],
            "error_count": pd.array([0, 0], dtype="Int64"),
            "warning_count": pd.array([0, 1], dtype="Int64"),
            "reasons": [None, None],
            **{
                name: [None, None]
                for name in (
                    "unit_head",
                    "statistics_head",
                    "reviewer",
                    "filled_by",
                    "contact_phone",
                    "reported_on",
                )
            },
        }
    )
    table = read(table_parquet(log, submissions_log)).to_pylist()
    assert [row["period"] for row in table] == ["2020-03-16", "2020-03-17"]
    assert table[1]["file_name"] is None and table[1]["on_time"] is None
    assert table[0]["arrived_at"].isoformat() == "2020-03-16T10:00:00+00:00"
    assert table_parquet(log, submissions_log) == table_parquet(log, submissions_log)
