"""county_daily merge, checked against figures worked out by hand."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from transforms.merge.daily import in_scope_on, merge_county_daily

COUNTIES = [("440001", "甲县"), ("440002", "乙县"), ("440003", "丙县")]
CITY = ("440000", "示例市")
DAY = date(2020, 3, 17)


def registry() -> pd.DataFrame:
    rows = [
        # id, county, key, in scope from, in scope to
        ("A1", "440001", True, "2019-01-01", None),
        ("A2", "440001", False, "2019-01-01", None),
        ("A3", "440001", False, "2020-04-01", None),  # not yet in scope on DAY
        ("A4", "440001", True, "2019-01-01", "2020-03-16"),  # left scope the day before
        ("B1", "440002", True, "2019-01-01", None),
        ("B2", "440002", False, "2019-01-01", "2020-03-17"),  # last day in scope is DAY
        ("C1", "440003", True, "2019-01-01", None),
        ("X1", "449999", False, "2019-01-01", None),  # another city's county
    ]
    frame = pd.DataFrame(
        rows,
        columns=["enterprise_id", "county_code", "key_enterprise", "in_scope_from", "in_scope_to"],
    )
    frame["key_enterprise"] = frame["key_enterprise"].astype("boolean")
    for column in ("in_scope_from", "in_scope_to"):
        frame[column] = pd.to_datetime(frame[column]).astype("datetime64[s]")
    return frame


def daily_rows(records) -> pd.DataFrame:
    columns = [
        "county_code",
        "enterprise_id",
        "resumed",
        "resumed_on",
        "employees_total",
        "employees_on_site",
        "capacity_pct",
        "mask_shortage",
        "thermometer_shortage",
        "difficulties",
    ]
    frame = pd.DataFrame(records, columns=columns)
    frame["resumed"] = frame["resumed"].astype("boolean")
    frame["resumed_on"] = pd.to_datetime(frame["resumed_on"]).astype("datetime64[s]")
    for column in ("employees_total", "employees_on_site", "mask_shortage", "thermometer_shortage"):
        frame[column] = frame[column].astype("Int64")
    frame["capacity_pct"] = frame["capacity_pct"].astype("Float64")
    return frame


def by_county(table: pd.DataFrame) -> dict[str, dict]:
    return {row["county_code"]: row for row in table.to_dict("records")}


def test_in_scope_on_respects_both_bounds():
    assert sorted(in_scope_on(registry(), DAY)["enterprise_id"]) == [
        "A1",
        "A2",
        "B1",
        "B2",
        "C1",
        "X1",
    ]


@pytest.fixture
def one_accepted_one_rejected_one_missing():
    rows = daily_rows(
        [
            ("440001", "A1", True, "2020-03-10", 100, 80, 90.0, 10, 1, "口罩不足"),
            ("440001", "A2", True, "2020-03-17", 300, 150, 50.0, 0, 2, "  "),
        ]
    )
    statuses = {"440001": "accepted", "440002": "rejected"}  # 440003 sent nothing
    return by_county(merge_county_daily(DAY, COUNTIES, CITY, registry(), statuses, rows))


def test_accepted_county_figures(one_accepted_one_rejected_one_missing):
    a = one_accepted_one_rejected_one_missing["440001"]
    assert a["status"] == "accepted"
    assert (a["enterprises_in_scope"], a["enterprises_reported"], a["enterprises_resumed"]) == (
        2,
        2,
        2,
    )
    assert a["resumed_today"] == 1
    assert a["resumption_rate"] == 1.0
    assert (a["key_in_scope"], a["key_resumed"]) == (1, 1)
    assert (a["employees_total"], a["employees_on_site"]) == (400, 230)
    assert a["on_site_rate"] == pytest.approx(230 / 400)
    # weighted by employees_total over resumed rows: (90*100 + 50*300) / 400
    assert a["capacity_pct"] == pytest.approx(60.0)
    assert (a["mask_shortage"], a["thermometer_shortage"]) == (10, 3)
    assert a["difficulties_reported"] == 1  # a blank text is not a difficulty


@pytest.mark.parametrize(
    ("code", "status", "in_scope", "key_in_scope"),
    [("440002", "rejected", 2, 1), ("440003", "missing", 1, 1)],
)
def test_rejected_and_missing_keep_only_in_scope_counts(
    one_accepted_one_rejected_one_missing, code, status, in_scope, key_in_scope
):
    row = one_accepted_one_rejected_one_missing[code]
    assert row["status"] == status
    assert (row["enterprises_in_scope"], row["key_in_scope"]) == (in_scope, key_in_scope)
    for column in (
        "enterprises_reported",
        "enterprises_resumed",
        "resumed_today",
        "key_resumed",
        "employees_total",
        "employees_on_site",
        "mask_shortage",
        "thermometer_shortage",
        "difficulties_reported",
        "resumption_rate",
        "on_site_rate",
        "capacity_pct",
    ):
        assert pd.isna(row[column]), column


def test_city_row_counts_every_county_in_scope_and_sums_accepted(
    one_accepted_one_rejected_one_missing,
):
    city = one_accepted_one_rejected_one_missing["440000"]
    assert (city["county_name"], city["status"]) == ("示例市", "partial")
    assert (city["enterprises_in_scope"], city["key_in_scope"]) == (5, 3)  # X1 is not ours
    assert (city["enterprises_reported"], city["enterprises_resumed"]) == (2, 2)
    # a missing county lowers the city rate instead of hiding: 2 resumed of 5 in scope
    assert city["resumption_rate"] == pytest.approx(0.4)
    assert city["key_resumed"] == 1
    assert city["capacity_pct"] == pytest.approx(60.0)


def test_city_rates_are_ratios_of_sums_not_means_of_county_rates():
    rows = daily_rows(
        [
            ("440001", "A1", True, "2020-03-01", 100, 100, 80.0, 0, 0, None),
            ("440001", "A2", True, "2020-03-01", 100, 100, 80.0, 0, 0, None),
            ("440002", "B1", False, None, 50, 0, 0.0, 0, 0, None),
            ("440002", "B2", True, "2020-03-02", 350, 35, 100.0, 0, 0, None),
            ("440003", "C1", True, "2020-03-03", 400, 300, 120.0, 5, 0, "测温枪不足"),
        ]
    )
    statuses = dict.fromkeys(["440001", "440002", "440003"], "accepted")
    table = by_county(merge_county_daily(DAY, COUNTIES, CITY, registry(), statuses, rows))
    city = table["440000"]
    assert city["status"] == "accepted"
    # on-site: county rates 1.0, 0.0875, 0.75 (mean 0.6125); the city is 535 / 1000
    assert city["on_site_rate"] == pytest.approx(535 / 1000)
    # capacity over resumed rows only: (80*100 + 80*100 + 100*350 + 120*400) / 950
    assert city["capacity_pct"] == pytest.approx(99000 / 950)
    assert table["440002"]["capacity_pct"] == pytest.approx(100.0)  # B1 did not resume
    assert city["resumption_rate"] == pytest.approx(4 / 5)
    assert city["resumed_today"] == 0


def test_one_row_per_county_then_the_city_in_order(one_accepted_one_rejected_one_missing):
    assert list(one_accepted_one_rejected_one_missing) == ["440001", "440002", "440003", "440000"]
