"""Daily → quarterly roll-up: each aggregation type checked against figures worked out by hand
from three made-up days at the end of 2020Q1."""

from __future__ import annotations

import pandas as pd
import pytest

from include.tables import county_quarter_daily_summary
from transforms.merge.rollup import SUMMARY_COLUMNS, roll_up_county_daily

COUNTIES = [("440001", "甲县"), ("440002", "乙县")]
CITY = ("440000", "示例市")
A, B, CITY_CODE = "440001", "440002", "440000"
DAILY_COLUMNS = [
    "report_date",
    "county_code",
    "status",
    "enterprises_in_scope",
    "enterprises_reported",
    "enterprises_resumed",
    "resumed_today",
    "key_in_scope",
    "key_resumed",
    "employees_total",
    "employees_on_site",
    "capacity_pct",
    "mask_shortage",
    "thermometer_shortage",
    "difficulties_reported",
]
N = None
DAILY = [
    # date, county, status, in scope, reported, resumed, today, key in scope, key resumed,
    # staff, on site, capacity, masks, thermometers, difficulties
    ("2020-03-29", A, "accepted", 10, 10, 6, 2, 2, 1, 120, 50, 60.0, 5, 1, 4),
    ("2020-03-30", A, "rejected", 10, N, N, N, 2, N, N, N, N, N, N, N),
    ("2020-03-31", A, "accepted", 10, 10, 8, 0, 2, 2, 110, 99, 90.0, 4, 0, 1),
    ("2020-03-29", B, "accepted", 5, 5, 1, 1, 1, 0, 40, 10, 20.0, 1, 2, 3),
    ("2020-03-30", B, "accepted", 5, 5, 3, 2, 1, 1, 40, 20, 40.0, 8, 5, 2),
    ("2020-03-31", B, "missing", 5, N, N, N, 1, N, N, N, N, N, N, N),
    # the city's own daily rows: the sums of the accepted counties of each day
    ("2020-03-29", CITY_CODE, "accepted", 15, 15, 7, 3, 3, 1, 160, 60, 48.6, 6, 3, 7),
    ("2020-03-30", CITY_CODE, "partial", 15, 5, 3, 2, 3, 1, 40, 20, 40.0, 8, 5, 2),
    ("2020-03-31", CITY_CODE, "partial", 15, 10, 8, 0, 3, 2, 110, 99, 90.0, 4, 0, 1),
]
ON_TIME = [
    # county, on time; 03-30 of A was rejected but arrived on time, 03-31 of B never came
    (A, True),
    (A, True),
    (A, False),
    (B, True),
    (B, False),
    (B, None),
]


def daily_rows() -> pd.DataFrame:
    frame = pd.DataFrame(DAILY, columns=DAILY_COLUMNS)
    frame["report_date"] = pd.to_datetime(frame["report_date"]).astype("datetime64[s]")
    for column in DAILY_COLUMNS[3:]:
        dtype = "Float64" if column == "capacity_pct" else "Int64"
        frame[column] = pd.array(frame[column], dtype=dtype)
    return frame


@pytest.fixture(scope="module")
def summary() -> dict[str, dict]:
    log = pd.DataFrame(ON_TIME, columns=["county_code", "on_time"]).astype({"on_time": "boolean"})
    table = roll_up_county_daily("2020Q1", COUNTIES, CITY, daily_rows(), log)
    assert list(table.columns) == SUMMARY_COLUMNS
    assert list(table["county_code"]) == [A, B, CITY_CODE]
    return {row["county_code"]: row for row in table.to_dict("records")}


def test_every_summary_column_is_in_the_table_and_states_its_aggregation():
    table_columns = [c.name for c in county_quarter_daily_summary.columns]
    assert table_columns == [*SUMMARY_COLUMNS[:4], "revision", *SUMMARY_COLUMNS[4:]]
    for column in SUMMARY_COLUMNS[6:]:
        assert county_quarter_daily_summary.c[column].info["aggregation"], column


def test_dates_cover_the_quarter_daily_series(summary):
    for row in summary.values():
        assert row["first_data_date"] == pd.Timestamp("2020-03-29")
        assert row["last_data_date"] == pd.Timestamp("2020-03-31")


def test_stocks_and_states_take_the_quarter_end_value_not_the_peak_or_sum(summary):
    a = summary[A]
    assert a["status"] == "accepted"
    # 03-31 values: staff 110 (not the peak 120 of 03-29, nor the sum 230)
    assert (a["enterprises_in_scope"], a["enterprises_reported"], a["enterprises_resumed"]) == (
        10,
        10,
        8,
    )
    assert (a["key_in_scope"], a["key_resumed"]) == (2, 2)
    assert (a["employees_total"], a["employees_on_site"]) == (110, 99)
    assert a["difficulties_reported"] == 1  # 4 on 03-29, 1 at quarter end


def test_a_county_missing_at_quarter_end_shows_that_day_status_and_empty_stocks(summary):
    b = summary[B]
    assert b["status"] == "missing"
    assert b["enterprises_in_scope"] == 5  # in scope counts are kept for a missing county
    for column in ("enterprises_resumed", "employees_total", "resumption_rate"):
        assert pd.isna(b[column]), column


def test_flows_are_summed_over_the_days(summary):
    assert summary[A]["resumed_in_quarter"] == 2  # 2 + (rejected day) + 0
    assert summary[B]["resumed_in_quarter"] == 3  # 1 + 2
    assert summary[CITY_CODE]["resumed_in_quarter"] == 5  # 3 + 2 + 0


def test_shortages_take_the_peak_and_the_city_peak_is_of_the_city_total(summary):
    assert (summary[A]["mask_shortage_peak"], summary[A]["thermometer_shortage_peak"]) == (5, 1)
    assert (summary[B]["mask_shortage_peak"], summary[B]["thermometer_shortage_peak"]) == (8, 5)
    # the city total peaked at 8 masks (03-30) and 5 thermometers (03-30); the counties
    # peaked on different days, so the sums of their peaks (13 and 6) never happened
    city = summary[CITY_CODE]
    assert (city["mask_shortage_peak"], city["thermometer_shortage_peak"]) == (8, 5)


def test_resumption_rate_is_the_ratio_of_the_quarter_end_stocks(summary):
    assert summary[A]["resumption_rate"] == pytest.approx(8 / 10)
    assert summary[CITY_CODE]["resumption_rate"] == pytest.approx(8 / 15)


def test_on_site_rate_is_a_ratio_of_person_days_not_a_mean_of_daily_rates(summary):
    # (50 + 99) / (120 + 110) = 0.648; the mean of 50/120 and 99/110 would be 0.658
    assert summary[A]["on_site_rate"] == pytest.approx(149 / 230)
    assert summary[B]["on_site_rate"] == pytest.approx(30 / 80)
    assert summary[CITY_CODE]["on_site_rate"] == pytest.approx((60 + 20 + 99) / (160 + 40 + 110))


def test_capacity_is_averaged_over_the_reported_days(summary):
    assert summary[A]["capacity_pct"] == pytest.approx(75.0)  # (60 + 90) / 2, rejected day out
    assert summary[B]["capacity_pct"] == pytest.approx(30.0)
    assert summary[CITY_CODE]["capacity_pct"] == pytest.approx((48.6 + 40.0 + 90.0) / 3)


def test_completeness_and_on_time_rate_from_day_counts(summary):
    a, b, city = summary[A], summary[B], summary[CITY_CODE]
    assert (a["days_expected"], a["days_reported"], a["days_on_time"]) == (3, 2, 2)
    assert a["reporting_completeness"] == pytest.approx(2 / 3)
    assert a["on_time_rate"] == pytest.approx(2 / 3)
    assert (b["days_expected"], b["days_reported"], b["days_on_time"]) == (3, 2, 1)
    assert b["on_time_rate"] == pytest.approx(1 / 3)
    # the city counts county-days: 4 of 6 reported, 3 of 6 on time
    assert (city["days_expected"], city["days_reported"], city["days_on_time"]) == (6, 4, 3)
    assert city["reporting_completeness"] == pytest.approx(4 / 6)
    assert city["on_time_rate"] == pytest.approx(0.5)
    assert city["status"] == "partial"


def test_no_daily_rows_is_an_error_not_an_empty_summary():
    with pytest.raises(ValueError, match="no daily rows"):
        roll_up_county_daily(
            "2020Q2",
            COUNTIES,
            CITY,
            daily_rows().iloc[0:0],
            pd.DataFrame(columns=["county_code", "on_time"]),
        )
