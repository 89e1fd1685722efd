"""county_quarterly merge: quarter, prior, year-on-year and year-to-date figures worked out
by hand."""

from __future__ import annotations

import pandas as pd
import pytest

from transforms.merge.quarterly import (
    COUNTY_QUARTERLY_COLUMNS,
    exact_sum,
    growth_pct,
    merge_county_quarterly,
)

COUNTIES = [("440001", "甲县"), ("440002", "乙县"), ("440003", "丙县")]
CITY = ("440000", "示例市")
A, B, C, CITY_CODE = "440001", "440002", "440003", "440000"
VALUES = ["output_value", "output_value_prior", "value_added", "value_added_prior"]
YTD = ["output_value_ytd", "output_value_ytd_prior", "value_added_ytd", "value_added_ytd_prior"]
RATES = ["output_yoy_pct", "value_added_yoy_pct", "output_ytd_yoy_pct", "value_added_ytd_yoy_pct"]


def submission_rows(records) -> pd.DataFrame:
    """records: (county, enterprise, output, output prior, value added, value added prior)"""
    frame = pd.DataFrame(records, columns=["county_code", "enterprise_id", *VALUES])
    return frame.astype({column: "Float64" for column in VALUES})


def published_quarters(records) -> pd.DataFrame:
    """records: (quarter, county, status, output, output prior, value added, va prior)"""
    frame = pd.DataFrame(records, columns=["report_quarter", "county_code", "status", *VALUES])
    return frame.astype({column: "Float64" for column in VALUES})


Q1_PUBLISHED = published_quarters(
    [
        ("2020Q1", A, "accepted", 100.0, 80.0, 30.0, 25.0),
        ("2020Q1", B, "accepted", 50.5, 60.0, 10.0, 12.0),
        ("2020Q1", C, "accepted", 20.0, 20.0, 5.0, 4.0),
        # the city row of Q1 is a sum, never added to a county
        ("2020Q1", CITY_CODE, "accepted", 170.5, 160.0, 45.0, 41.0),
        # another year's quarter is not part of 2020's year to date
        ("2019Q4", A, "accepted", 999.0, 999.0, 99.0, 99.0),
    ]
)
Q2_ROWS = submission_rows(
    [
        (A, "A1", 70.2, 60.0, 20.1, 15.0),
        (A, "A2", 30.0, 40.0, 9.9, 10.0),
        (B, "B1", 55.0, 50.0, 11.0, 10.0),
    ]
)


def by_county(table: pd.DataFrame) -> dict[str, dict]:
    return {row["county_code"]: row for row in table.to_dict("records")}


@pytest.fixture
def q2_with_c_rejected():
    statuses = {A: "accepted", B: "accepted", C: "rejected"}
    table = merge_county_quarterly("2020Q2", COUNTIES, CITY, statuses, Q2_ROWS, Q1_PUBLISHED)
    assert list(table.columns) == COUNTY_QUARTERLY_COLUMNS
    assert list(table["county_code"]) == [A, B, C, CITY_CODE]
    assert set(table["report_quarter"]) == {"2020Q2"}
    return by_county(table)


def test_quarter_values_and_same_scope_prior_sum_the_county_file(q2_with_c_rejected):
    a = q2_with_c_rejected[A]
    assert a["status"] == "accepted"
    assert a["enterprises_reported"] == 2
    # 70.2 + 30.0, 60.0 + 40.0, 20.1 + 9.9, 15.0 + 10.0
    assert [a[c] for c in VALUES] == [100.2, 100.0, 30.0, 25.0]
    assert a["output_yoy_pct"] == pytest.approx(0.2)  # 100.2 / 100.0 − 1
    assert a["value_added_yoy_pct"] == pytest.approx(20.0)  # 30 / 25 − 1


def test_year_to_date_adds_the_accepted_earlier_quarters_of_the_year(q2_with_c_rejected):
    a, b = q2_with_c_rejected[A], q2_with_c_rejected[B]
    # Q1 + Q2: 100.0 + 100.2, 80.0 + 100.0, 30.0 + 30.0, 25.0 + 25.0 (2019Q4 not added)
    assert [a[c] for c in YTD] == [200.2, 180.0, 60.0, 50.0]
    assert a["output_ytd_yoy_pct"] == pytest.approx((200.2 / 180.0 - 1) * 100)  # 11.22
    assert a["value_added_ytd_yoy_pct"] == pytest.approx(20.0)
    # 50.5 + 55.0, 60.0 + 50.0, 10.0 + 11.0, 12.0 + 10.0
    assert [b[c] for c in YTD] == [105.5, 110.0, 21.0, 22.0]
    assert b["output_yoy_pct"] == pytest.approx(10.0)
    assert b["output_ytd_yoy_pct"] == pytest.approx((105.5 / 110.0 - 1) * 100)  # −4.09
    assert b["value_added_ytd_yoy_pct"] == pytest.approx((21 / 22 - 1) * 100)  # −4.55


def test_county_rejected_in_q2_has_no_quarter_and_no_year_to_date(q2_with_c_rejected):
    c = q2_with_c_rejected[C]
    assert c["status"] == "rejected"
    for column in ["enterprises_reported", *VALUES, *YTD, *RATES]:
        assert pd.isna(c[column]), column


def test_city_row_sums_accepted_counties_and_recomputes_rates_and_is_partial(
    q2_with_c_rejected,
):
    city = q2_with_c_rejected[CITY_CODE]
    assert (city["county_name"], city["status"]) == ("示例市", "partial")
    assert city["enterprises_reported"] == 3
    # A + B: 100.2 + 55.0, 100.0 + 50.0, 30.0 + 11.0, 25.0 + 10.0
    assert [city[c] for c in VALUES] == [155.2, 150.0, 41.0, 35.0]
    # ratio of sums (3.47 %), not the mean of the county rates (0.2 % and 10 %: 5.1 %)
    assert city["output_yoy_pct"] == pytest.approx((155.2 / 150.0 - 1) * 100)
    assert city["value_added_yoy_pct"] == pytest.approx((41 / 35 - 1) * 100)
    # year to date over the complete counties A and B only: 200.2 + 105.5, 180 + 110, ...
    assert [city[c] for c in YTD] == [305.7, 290.0, 81.0, 72.0]
    assert city["output_ytd_yoy_pct"] == pytest.approx((305.7 / 290.0 - 1) * 100)
    assert city["value_added_ytd_yoy_pct"] == pytest.approx(12.5)


def test_a_county_whose_earlier_quarter_was_rejected_has_quarter_figures_but_no_ytd():
    earlier = Q1_PUBLISHED.assign(
        status=Q1_PUBLISHED["status"].where(Q1_PUBLISHED["county_code"] != B, "rejected")
    )
    statuses = {A: "accepted", B: "accepted", C: "missing"}
    rows = by_county(merge_county_quarterly("2020Q2", COUNTIES, CITY, statuses, Q2_ROWS, earlier))
    b = rows[B]
    assert (b["status"], b["output_value"], b["value_added_prior"]) == ("accepted", 55.0, 10.0)
    for column in [*YTD, "output_ytd_yoy_pct", "value_added_ytd_yoy_pct"]:
        assert pd.isna(b[column]), column
    assert rows[C]["status"] == "missing"
    city = rows[CITY_CODE]
    assert city["status"] == "partial"
    assert [city[c] for c in VALUES] == [155.2, 150.0, 41.0, 35.0]  # A and B both count
    assert [city[c] for c in YTD] == [200.2, 180.0, 60.0, 50.0]  # only A is complete


def test_a_county_that_sent_no_earlier_quarter_has_no_ytd_and_the_city_is_partial():
    earlier = Q1_PUBLISHED[Q1_PUBLISHED["county_code"] != A]
    statuses = {A: "accepted", B: "accepted", C: "accepted"}
    rows = by_county(
        merge_county_quarterly(
            "2020Q2",
            COUNTIES,
            CITY,
            statuses,
            pd.concat([Q2_ROWS, submission_rows([(C, "C1", 1.0, 1.0, 0.5, 0.5)])]),
            earlier,
        )
    )
    assert pd.isna(rows[A]["output_value_ytd"])
    assert rows[C]["output_value_ytd"] == 21.0
    # every county accepted this quarter, but A's year to date is incomplete
    assert rows[CITY_CODE]["status"] == "partial"
    assert rows[CITY_CODE]["output_value_ytd"] == 105.5 + 21.0


def test_first_quarter_ytd_is_the_quarter_and_all_complete_makes_the_city_accepted():
    rows = submission_rows(
        [
            (A, "A1", 10.0, 8.0, 3.0, 2.0),
            (B, "B1", 0.1, 0.0, 0.1, 0.0),
            (B, "B2", 0.2, 0.0, 0.1, 0.0),
            (C, "C1", 5.0, 4.0, 1.0, 1.0),
        ]
    )
    statuses = dict.fromkeys([A, B, C], "accepted")
    table = by_county(
        merge_county_quarterly("2020Q1", COUNTIES, CITY, statuses, rows, Q1_PUBLISHED.iloc[0:0])
    )
    for code in (A, B, C):
        assert [table[code][c] for c in YTD] == [table[code][c] for c in VALUES]
    b = table[B]
    assert b["output_value"] == 0.3  # summed as decimals: 0.1 + 0.2 is 0.3, not 0.30000000000000004
    assert pd.isna(b["output_yoy_pct"])  # the prior is 0: no growth rate
    city = table[CITY_CODE]
    assert city["status"] == "accepted"
    assert city["output_value_ytd"] == 15.3
    assert city["output_ytd_yoy_pct"] == pytest.approx((15.3 / 12.0 - 1) * 100)


def test_nothing_accepted_leaves_the_city_sums_empty():
    statuses = {A: "rejected"}
    table = by_county(
        merge_county_quarterly(
            "2020Q1", COUNTIES, CITY, statuses, Q2_ROWS.iloc[0:0], Q1_PUBLISHED.iloc[0:0]
        )
    )
    assert [table[code]["status"] for code in (A, B, C)] == ["rejected", "missing", "missing"]
    city = table[CITY_CODE]
    assert city["status"] == "partial"
    for column in ["enterprises_reported", *VALUES, *YTD, *RATES]:
        assert pd.isna(city[column]), column


@pytest.mark.parametrize(
    ("current", "prior", "expected"),
    [(110.0, 100.0, 10.0), (97.7, 100.0, -2.3), (5.0, 0.0, None), (None, 10.0, None)],
)
def test_growth_pct(current, prior, expected):
    result = growth_pct(current, prior)
    assert result == (None if expected is None else pytest.approx(expected))


def test_exact_sum_skips_missing_and_is_none_when_nothing_is_there():
    assert exact_sum([0.1, 0.2, None, pd.NA]) == 0.3
    assert exact_sum([None, pd.NA]) is None
