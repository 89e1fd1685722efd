"""The bare-pandas floor: read the same landed CSVs and registry, compute the same
`county_daily` figures (counts, sums, rates per county, and the city row) with one groupby,
no validation, no warehouse, no publication. What any implementation must at least pay."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pandas as pd

from transforms.merge.daily import COUNTY_DAILY_COLUMNS, REPORTED_COLUMNS

# The county_daily figures, and the sums they are computed from, as the pipeline names them.
SUMMED = [*REPORTED_COLUMNS, "weighted_capacity", "resumed_employees"]
FIGURES = COUNTY_DAILY_COLUMNS[COUNTY_DAILY_COLUMNS.index("enterprises_in_scope") :]


def floor_county_daily(landing: Path, report_date: date, city_code: str) -> pd.DataFrame:
    """One row per county with a file, then the city row; indexed by county_code."""
    landing = Path(landing)
    stamp = pd.Timestamp(report_date)
    registry = pd.read_csv(
        landing / "registry" / "enterprises.csv",
        dtype={"enterprise_id": str, "county_code": str},
        parse_dates=["in_scope_from", "in_scope_to"],
    )
    files = sorted((landing / "daily" / report_date.isoformat()).glob("*.csv"))
    rows = pd.concat(
        [
            pd.read_csv(f, dtype={"county_code": str, "enterprise_id": str}, parse_dates=[0, 5])
            for f in files
        ],
        ignore_index=True,
    )
    scope = registry[
        (registry["in_scope_from"] <= stamp)
        & (registry["in_scope_to"].isna() | (registry["in_scope_to"] >= stamp))
    ]
    key = scope["key_enterprise"] == "是"
    resumed = rows["resumed"] == "是"
    is_key = rows["enterprise_id"].isin(scope.loc[key, "enterprise_id"])
    reported = rows.assign(
        enterprises_resumed=resumed,
        resumed_today=rows["resumed_on"] == stamp,
        key_resumed=resumed & is_key,
        difficulties_reported=rows["difficulties"].fillna("").str.strip() != "",
        weighted_capacity=(rows["capacity_pct"] * rows["employees_total"]).where(resumed, 0.0),
        resumed_employees=rows["employees_total"].where(resumed, 0),
    )
    by_county = reported.groupby("county_code").agg(
        enterprises_reported=("enterprise_id", "nunique"),
        **{column: (column, "sum") for column in SUMMED[1:]},
    )
    by_county["enterprises_in_scope"] = scope.groupby("county_code").size()
    by_county["key_in_scope"] = key.groupby(scope["county_code"]).sum()
    city = by_county.sum().to_frame(city_code).T
    table = pd.concat([by_county, city])
    table.index.name = "county_code"
    table["resumption_rate"] = table["enterprises_resumed"] / table["enterprises_in_scope"]
    table["on_site_rate"] = table["employees_on_site"] / table["employees_total"]
    table["capacity_pct"] = table["weighted_capacity"] / table["resumed_employees"]
    return table[FIGURES]
