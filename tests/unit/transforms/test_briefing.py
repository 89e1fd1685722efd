"""The daily briefing and rankings against a tiny city whose figures are worked out by hand."""

from __future__ import annotations

from datetime import date

import pandas as pd

from tests.unit.transforms.report_inputs import CITY, EAST, NORTH, WEST, _typed, daily_row
from transforms.merge.difficulties import difficulty_items
from transforms.publish.briefing import (
    contribution_points,
    daily_briefing,
    daily_rankings,
    points_change,
    quarterly_briefing,
    quarterly_rankings,
)

DAY, BEFORE = date(2020, 3, 17), date(2020, 3, 16)
N = None


def rows(day: date, figures: dict) -> pd.DataFrame:
    """(status, in scope, reported, resumed, today, key in scope, key resumed, staff, on site,
    capacity %, masks, thermometers, difficulties) per county, the city last."""
    return _typed([daily_row(code, day, figures[code]) for code in (EAST, WEST, NORTH, CITY)])


TODAY = rows(
    DAY,
    {
        EAST: ("accepted", 40, 40, 30, 2, 4, 4, 1000, 800, 80.0, 0, 0, 2),  # 75.0 %
        WEST: ("accepted", 20, 20, 19, 1, 3, 3, 500, 434, 90.0, 0, 0, 1),  # 95.0 %
        NORTH: ("missing", 10, N, N, N, 0, N, N, N, N, N, N, N),
        CITY: ("partial", 70, 60, 49, 3, 7, 7, 1500, 1234, 85.0, 0, 0, 3),  # 70.0 %
    },
)
YESTERDAY = rows(
    BEFORE,
    {
        EAST: ("accepted", 40, 40, 28, 2, 4, 4, 1000, 700, 80.0, 0, 0, 2),  # 70.0 %
        WEST: ("rejected", 20, N, N, N, 3, N, N, N, N, N, N, N),
        NORTH: ("accepted", 10, 10, 3, 0, 0, 0, 100, 20, 50.0, 0, 0, 0),
        CITY: ("partial", 70, 50, 45, 2, 7, 6, 1100, 720, 75.0, 0, 0, 2),  # 64.29 %
    },
)
STATUSES = {EAST: "accepted", WEST: "late", NORTH: "missing"}
TEXTS = pd.DataFrame(
    {
        "report_date": [pd.Timestamp(DAY)] * 3,
        "county_code": [EAST, EAST, WEST],
        "enterprise_id": ["a", "b", "c"],
        "difficulties": ["口罩短缺；测温枪不足", "缺口罩", "资金周转困难"],
    }
)


def test_the_briefing_reads_the_dates_figures_in_the_bureaus_words():
    assert daily_briefing(DAY, TODAY, YESTERDAY, STATUSES, difficulty_items(TEXTS)).text == (
        "截至3月17日，全市70家规上工业企业已复工49家，复工率70.0%，较前一日提高5.7个百分点；"
        "7家重点企业全部复工；在岗职工1,234人，在岗率82.3%；"
        "复工率居前的是西区（95.0%），居后的是东区（75.0%）；"
        "当日企业反映困难4项，主要为口罩、测温枪；未报送：北区。"
    )


def test_the_briefing_names_the_date_it_compares_with_and_the_key_enterprises_left():
    previous = YESTERDAY.assign(report_date=pd.Timestamp(date(2020, 3, 15)))
    today = TODAY.copy()
    today.loc[today.index[-1], "key_resumed"] = 5
    text = daily_briefing(DAY, today, previous, STATUSES, difficulty_items(TEXTS.iloc[:0])).text
    assert "较3月15日提高5.7个百分点" in text
    assert "7家重点企业已复工5家，尚有2家未复工" in text
    assert "当日企业未反映困难" in text


def test_the_first_briefing_has_no_change_to_report():
    text = daily_briefing(DAY, TODAY, None, STATUSES, difficulty_items(TEXTS)).text
    assert text.startswith("截至3月17日，全市70家规上工业企业已复工49家，复工率70.0%；")


def test_rankings_skip_the_counties_that_do_not_count_and_compare_with_the_last_date():
    ranking = daily_rankings(TODAY, YESTERDAY, STATUSES)
    assert list(ranking["county_name"]) == ["西区", "东区"]  # 北区 missing: not ranked
    assert list(ranking["rank"]) == [1, 2]
    # 东区 75.0 % against 70.0 %; 西区 was rejected the day before, so it has no change
    assert ranking["change_points"].isna().tolist() == [True, False]
    assert ranking["change_points"].iloc[1] == 5.0


def test_a_change_in_percentage_points_is_rounded_to_one_decimal():
    assert points_change(0.992, 0.988) == 0.4
    assert points_change(0.5, 0.5) == 0.0 and str(points_change(0.5, 0.50001)) == "0.0"
    assert points_change(pd.NA, 0.5) is None


def quarter_rows(quarter: str, figures: dict) -> pd.DataFrame:
    """(status, output ytd, its prior, value added ytd, its prior, quarter output, its prior,
    quarter value added, its prior) per county, the city last; growth worked out here."""
    rows = []
    for code, (status, *values) in figures.items():
        row = dict(
            zip(
                [
                    "output_value_ytd",
                    "output_value_ytd_prior",
                    "value_added_ytd",
                    "value_added_ytd_prior",
                    "output_value",
                    "output_value_prior",
                    "value_added",
                    "value_added_prior",
                ],
                values,
                strict=True,
            )
        )
        for growth, now, prior in (
            ("output_ytd_yoy_pct", "output_value_ytd", "output_value_ytd_prior"),
            ("value_added_ytd_yoy_pct", "value_added_ytd", "value_added_ytd_prior"),
            ("output_yoy_pct", "output_value", "output_value_prior"),
            ("value_added_yoy_pct", "value_added", "value_added_prior"),
        ):
            row[growth] = None if row[now] is None else (row[now] / row[prior] - 1) * 100
        rows.append({"report_quarter": quarter, "county_code": code, "status": status, **row})
    names = {EAST: "东区", WEST: "西区", NORTH: "北区", CITY: "示例市"}
    return pd.DataFrame(rows).assign(county_name=lambda r: r["county_code"].map(names))


Q2 = quarter_rows(
    "2020Q2",
    {
        # 东区 +14.3 %, 拉动 100,000 / 1,490,900 = 6.7 points; 西区 −14.0 %, −7.4 points
        EAST: (
            "accepted",
            3_000_000,
            2_800_000,
            800_000,
            700_000,
            1_600_000,
            1_500_000,
            420_000,
            400_000,
        ),
        WEST: (
            "accepted",
            2_646_200,
            2_979_100,
            680_500,
            790_900,
            1_400_000,
            1_400_000,
            380_000,
            380_000,
        ),
        NORTH: ("missing", *[None] * 8),
        CITY: (
            "partial",
            5_646_200,
            5_779_100,
            1_480_500,
            1_490_900,
            3_000_000,
            2_900_000,
            800_000,
            780_000,
        ),
    },
)
Q1 = quarter_rows(
    "2020Q1",
    {
        CITY: (
            "partial",
            2_646_200,
            3_113_176,
            680_500,
            756_111,
            2_646_200,
            3_113_176,
            680_500,
            756_111,
        )
    },
)


def test_the_quarterly_briefing_quotes_the_year_to_date_its_change_and_the_contributions():
    statuses = {EAST: "accepted", WEST: "accepted", NORTH: "missing"}
    assert quarterly_briefing("2020Q2", Q2, Q1, statuses).text == (
        "2020年1—6月，全市规上工业总产值564.62亿元，同比下降2.3%，降幅比1—3月收窄12.7个百分点；"
        "规上工业增加值148.05亿元，同比下降0.7%，降幅比1—3月收窄9.3个百分点；"
        "二季度当季规上工业总产值300.00亿元，同比增长3.4%；工业增加值80.00亿元，同比增长2.6%；"
        "各县（市、区）规上工业增加值累计增速居前的是东区（同比增长14.3%，拉动全市6.7个百分点），"
        "居后的是西区（同比下降14.0%，下拉全市7.4个百分点）；未报送：北区。"
    )


def test_a_countys_contribution_is_its_change_over_the_citys_prior_value():
    assert contribution_points(800_000, 700_000, 1_490_900) == 6.7
    assert contribution_points(680_500, 790_900, 1_490_900) == -7.4
    assert contribution_points(None, 1, 2) is None and contribution_points(1, 1, 0) is None
    ranking = quarterly_rankings(Q2, {EAST: "accepted", WEST: "late", NORTH: "missing"})
    assert list(ranking["county_name"]) == ["东区", "西区"]
    assert list(ranking["value_added_contribution_points"]) == [6.7, -7.4]


def test_a_city_without_key_enterprises_says_nothing_of_them():
    today = TODAY.copy()
    today["key_in_scope"] = pd.array([0] * len(today), dtype="Int64")
    today["key_resumed"] = pd.array([0] * len(today), dtype="Int64")
    text = daily_briefing(DAY, today, YESTERDAY, STATUSES, difficulty_items(TEXTS)).text
    assert "重点企业" not in text
