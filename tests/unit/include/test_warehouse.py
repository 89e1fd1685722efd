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
