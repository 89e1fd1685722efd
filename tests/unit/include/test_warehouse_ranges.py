from __future__ import annotations

import pandas as pd

from include import warehouse
from include.tables import submissions_log
from tests.conftest import migrated_warehouse


def test_a_range_read_returns_only_the_periods_inside_it_of_the_partition(tmp_path):
    engine = warehouse.engine_for(migrated_warehouse(f"sqlite:///{tmp_path / 'w.sqlite'}"))
    periods = ["2020-03-15", "2020-03-16", "2020-03-17", "2020-03-18"]
    with engine.begin() as connection:
        for kind in ("daily", "quarterly"):
            log = pd.DataFrame(
                {"kind": kind, "period": periods, "county_code": "440203", "outcome": "accepted"}
            )
            warehouse.replace_partition(connection, submissions_log, {"kind": kind}, log)
        found = warehouse.read_range(
            connection, submissions_log, "period", "2020-03-16", "2020-03-17", {"kind": "daily"}
        )
    assert sorted(found["period"]) == ["2020-03-16", "2020-03-17"]
    assert set(found["kind"]) == {"daily"}
    assert list(found.columns) == [c.name for c in submissions_log.columns]
