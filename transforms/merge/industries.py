"""The figures by industry: the registry's `industry_code` (a GB/T 4754-2017 division, 06–46)
named in Chinese from `industries.toml`, daily resumption per division and quarterly output
and value added per division with their growth and contribution (拉动)."""

from __future__ import annotations

import tomllib
from collections.abc import Collection
from datetime import date
from functools import cache
from pathlib import Path

import pandas as pd

from transforms.frames import is_in
from transforms.merge.daily import in_scope_on

DIVISIONS = Path(__file__).with_name("industries.toml")


@cache
def division_names() -> dict[str, str]:
    return tomllib.loads(DIVISIONS.read_text(encoding="utf-8"))["divisions"]


def resumption_by_industry(
    report_date: date, registry: pd.DataFrame, rows: pd.DataFrame, counted: Collection[str]
) -> pd.DataFrame:
    """Per division with enterprises in scope in the counties that count (`counted`):
    `industry_code`, `industry_name`, `enterprises_in_scope`, `enterprises_resumed`,
    `resumption_rate` (a fraction), by division code. `rows`: the date's accepted rows."""
    scope = in_scope_on(registry, report_date)
    scope = scope[scope["county_code"].isin(list(counted))]
    resumed = rows.loc[rows["resumed"].fillna(False).astype(bool), "enterprise_id"]
    table = (
        scope.assign(resumed=is_in(scope["enterprise_id"], resumed))
        .groupby("industry_code")
        .agg(enterprises_in_scope=("enterprise_id", "size"), enterprises_resumed=("resumed", "sum"))
        .reset_index()
        .sort_values("industry_code")
    )
    table.insert(1, "industry_name", table["industry_code"].map(division_names()))
    table["resumption_rate"] = table["enterprises_resumed"] / table["enterprises_in_scope"]
    return table.reset_index(drop=True)


def output_by_industry(rows: pd.DataFrame) -> pd.DataFrame:
    """A quarter's accepted rows summed per division: `industry_code`, `industry_name`, the four
    values (万元), each growth in percent and each contribution to the city's growth (拉动,
    百分点: the division's change over the total prior value, ×100), by division code."""
    values = ["output_value", "output_value_prior", "value_added", "value_added_prior"]
    table = rows.groupby("industry_code")[values].sum().reset_index().sort_values("industry_code")
    table.insert(1, "industry_name", table["industry_code"].map(division_names()))
    for measure in ("output_value", "value_added"):
        now, prior = table[measure].astype(float), table[f"{measure}_prior"].astype(float)
        total_prior = prior.sum()
        table[f"{measure}_yoy_pct"] = ((now / prior.where(prior != 0)) - 1) * 100
        table[f"{measure}_contribution_points"] = (
            (now - prior) / total_prior * 100 if total_prior else float("nan")
        )
    return table.reset_index(drop=True)
