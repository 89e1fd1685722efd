from __future__ import annotations

from datetime import date

import pandas as pd

from include import warehouse
from include.tables import county_daily
from tests.conftest import migrated_warehouse


def test_replacing_a_partition_leaves_other_partitions_alone(tmp_path):
    engine = warehouse.engine_for(migrated_warehouse(f"sqlite:///{tmp_path / 'w.sqlite'}"))

    def rows(day: str, status: str) -> pd.DataFrame:
        return pd.DataFrame(
            {
                "report_date": [pd.Timestamp(day)],
                "county_code": ["440203"],
                "county_name": ["武江区"],
                "status": [status],
                "revision": [1],
            }
        )

    for day in ("2020-03-16", "2020-03-17"):
        with engine.begin() as connection:
            warehouse.replace_partition(
                connection,
                county_daily,
                {"report_date": date.fromisoformat(day)},
                rows(day, "accepted"),
            )
    with engine.begin() as connection:
        warehouse.replace_partition(
            connection,
            county_daily,
            {"report_date": date(2020, 3, 17)},
            rows("2020-03-17", "rejected"),
        )
    table = warehouse.read_partition(engine, county_daily, order_by=["report_date"])
    assert list(table["status"]) == ["accepted", "rejected"]
    assert str(table["report_date"].dtype) == "datetime64[s]"
    assert str(table["revision"].dtype) == "Int64"


def test_a_partition_larger_than_a_batch_reads_back_as_one_typed_frame(tmp_path, monkeypatch):
    engine = warehouse.engine_for(migrated_warehouse(f"sqlite:///{tmp_path / 'w.sqlite'}"))
    _assert_batches_read_back_whole(engine, monkeypatch)


def test_batches_read_back_whole_through_a_postgres_server_side_cursor(
    postgres_warehouse, monkeypatch
):
    engine = warehouse.engine_for(postgres_warehouse)
    try:
        _assert_batches_read_back_whole(engine, monkeypatch)
    finally:
        engine.dispose()


def _assert_batches_read_back_whole(engine, monkeypatch) -> None:
    written = pd.DataFrame(
        {
            "report_date": pd.Timestamp("2020-03-16"),
            "county_code": [f"4402{n:02d}" for n in range(7)],
            "county_name": ["武江区", "浈江区", "曲江区", None, None, None, "始兴县"],
            "status": "accepted",
            "revision": [1, 2, 1, None, None, None, 1],
            "resumption_rate": [0.5, 0.25, 1.0, None, None, None, 0.0],
        }
    )
    with engine.begin() as connection:
        warehouse.replace_partition(
            connection, county_daily, {"report_date": date(2020, 3, 16)}, written
        )
    whole = warehouse.read_partition(engine, county_daily, order_by=["county_code"])

    # the second batch of three holds missing values only
    monkeypatch.setattr(warehouse, "ROWS_PER_BATCH", 3)
    with engine.begin() as connection:
        warehouse.replace_partition(
            connection, county_daily, {"report_date": date(2020, 3, 16)}, written
        )
    batched = warehouse.read_partition(engine, county_daily, order_by=["county_code"])

    pd.testing.assert_frame_equal(batched, whole)
    assert list(batched["county_name"].isna()) == [False, False, False, True, True, True, False]
    assert str(batched["revision"].dtype) == "Int64"
    assert str(batched["resumption_rate"].dtype) == "Float64"
    # one chunk, as a row selection from a column of many copies the whole column first
    assert batched["county_name"].array.__arrow_array__().num_chunks == 1
