"""Figures by industry division, worked out by hand."""

from __future__ import annotations

from datetime import date

import pandas as pd

from transforms.merge.industries import division_names, output_by_industry, resumption_by_industry


def test_every_industrial_division_has_its_chinese_name():
    names = division_names()
    assert sorted(names) == [f"{n:02d}" for n in range(6, 47)]
    assert names["31"] == "黑色金属冶炼和压延加工业" and names["44"] == "电力、热力生产和供应业"


def test_resumption_by_industry_counts_the_counted_counties_in_scope():
    registry = pd.DataFrame(
        {
            "enterprise_id": ["a", "b", "c", "d"],
            "county_code": ["440203", "440203", "440204", "440205"],
            "industry_code": ["31", "31", "44", "31"],
            "in_scope_from": pd.to_datetime(["2019-01-01"] * 4),
            "in_scope_to": pd.to_datetime([None] * 4),
        }
    )
    rows = pd.DataFrame({"enterprise_id": ["a", "b", "c"], "resumed": [True, False, True]})
    # 440205 (d) does not count that day
    table = resumption_by_industry(date(2020, 3, 1), registry, rows, {"440203", "440204"})
    assert table[["industry_code", "industry_name", "enterprises_in_scope"]].values.tolist() == [
        ["31", "黑色金属冶炼和压延加工业", 2],
        ["44", "电力、热力生产和供应业", 1],
    ]
    assert table["enterprises_resumed"].tolist() == [1, 1]
    assert table["resumption_rate"].tolist() == [0.5, 1.0]


def test_output_by_industry_gives_growth_and_contribution():
    rows = pd.DataFrame(
        {
            "industry_code": ["31", "31", "44"],
            "output_value": [60.0, 50.0, 90.0],
            "output_value_prior": [50.0, 50.0, 100.0],
            "value_added": [20.0, 10.0, 30.0],
            "value_added_prior": [10.0, 10.0, 30.0],
        }
    )
    table = output_by_industry(rows).set_index("industry_code")
    # 31: 110 against 100 (+10.0 %), 拉动 10 / 200 = 5.0 points; 44: 90 against 100, −5.0 points
    assert round(table.loc["31", "output_value_yoy_pct"], 6) == 10.0
    assert round(table.loc["31", "output_value_contribution_points"], 6) == 5.0
    assert round(table.loc["44", "output_value_contribution_points"], 6) == -5.0
    assert round(table.loc["31", "value_added_yoy_pct"], 6) == 50.0
    assert round(table.loc["44", "value_added_contribution_points"], 6) == 0.0
