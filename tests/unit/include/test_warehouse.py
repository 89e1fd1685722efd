from __future__ import annotations

from datetime import date

import pandas as pd
from sqlalchemy import create_engine, inspect, text

from include import warehouse
from include.tables import county_daily


def test_an_older_warehouse_gains_the_columns_a_newer_table_defines(tmp_path):
    engine = create_engine(f"sqlite:///{tmp_path / 'old.sqlite'}")
    with engine.begin() as connection:
        connection.execute(
            text(
                "CREATE TABLE county_daily (report_date DATE, county_code VARCHAR(6), "
                "county_name VARCHAR(64), status VARCHAR(16), revision INTEGER, "
                "PRIMARY KEY (report_date, county_code))"
            )
        )
        connection.execute(
            text("INSERT INTO county_daily VALUES ('2020-03-17', '440203', '武江区', 'missing', 1)")
        )
    warehouse.ensure_schema(engine)
    columns = {c["name"] for c in inspect(engine).get_columns("county_daily")}
    assert columns == {c.name for c in county_daily.columns}
    kept = warehouse.read_partition(engine, county_daily, {"report_date": date(2020, 3, 17)})
    assert kept.loc[0, "county_name"] == "武江区" and pd.isna(kept.loc[0, "key_in_scope"])


def test_replacing_a_partition_leaves_other_partitions_alone(tmp_path):
    engine = warehouse.engine_for(f"sqlite:///{tmp_path / 'w.sqlite'}")

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
