"""Roll the published daily series (`county_daily`) up into one summary row per county and
quarter, plus the city row: `county_quarter_daily_summary`.

Each daily figure is aggregated over the quarter's days the way statistics offices do
(the column's `aggregation` in include/tables.py says which):

- stocks and states take the last value of the quarter, the figure on the quarter's last
  data date (enterprises resumed at quarter end, staff, difficulties);
- flows are summed over the days (enterprises that resumed during the quarter);
- shortages take their peak (the largest daily shortage);
- rates are recomputed, never averaged from county rates: the resumption rate from the
  quarter-end numerator and denominator, the on-site rate from person-days summed over
  the days, reporting completeness and on-time rate from day counts; only capacity
  restored, itself a daily mean, is averaged over the days it was reported.

The city row applies the same rules to the city's own daily rows (so its peak is the
peak of the city total, not the sum of county peaks); its day counts are county-days.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from transforms.merge.daily import ACCEPTED, MISSING, rows_by_county

LAST_VALUE_COLUMNS = [
    "enterprises_in_scope",
    "enterprises_reported",
    "enterprises_resumed",
    "key_in_scope",
    "key_resumed",
    "employees_total",
    "employees_on_site",
    "difficulties_reported",
]
PEAK_COLUMNS = {
    "mask_shortage": "mask_shortage_peak",
    "thermometer_shortage": "thermometer_shortage_peak",
}
DAY_COUNT_COLUMNS = ["days_expected", "days_reported", "days_on_time"]
SUMMARY_COLUMNS = [
    "report_quarter",
    "county_code",
    "county_name",
    "status",
    "first_data_date",
    "last_data_date",
    "days_expected",
    "days_reported",
    "reporting_completeness",
    "days_on_time",
    "on_time_rate",
    "enterprises_in_scope",
    "enterprises_reported",
    "enterprises_resumed",
    "resumption_rate",
    "resumed_in_quarter",
    "key_in_scope",
    "key_resumed",
    "employees_total",
    "employees_on_site",
    "on_site_rate",
    "capacity_pct",
    "mask_shortage_peak",
    "thermometer_shortage_peak",
    "difficulties_reported",
]
INTEGER_COLUMNS = [
    *DAY_COUNT_COLUMNS,
    *LAST_VALUE_COLUMNS,
    "resumed_in_quarter",
    *PEAK_COLUMNS.values(),
]
RATE_COLUMNS = [
    "reporting_completeness",
    "on_time_rate",
    "resumption_rate",
    "on_site_rate",
    "capacity_pct",
]


def roll_up_county_daily(
    quarter: str,
    counties: Sequence[tuple[str, str]],
    city: tuple[str, str],
    daily_rows: pd.DataFrame,
    on_time_log: pd.DataFrame,
) -> pd.DataFrame:
    """Build `county_quarter_daily_summary` for one quarter (without `revision`).

    `daily_rows` are the published `county_daily` rows (counties and city) of the
    quarter's data dates, at least one; `on_time_log` has one row per county and data
    date that a daily file was logged for (`county_code`, `on_time`).
    """
    if daily_rows.empty:
        raise ValueError(f"{quarter}: no daily rows to roll up")
    last_date = daily_rows["report_date"].max()
    on_time_days = (
        on_time_log[on_time_log["on_time"].fillna(False).astype(bool)].groupby("county_code").size()
    )
    rows_of = rows_by_county(daily_rows)
    records = []
    for code, name in counties:
        rows = rows_of(code)
        records.append(
            {
                "county_code": code,
                "county_name": name,
                "days_expected": len(rows),
                "days_reported": int((rows["status"] == ACCEPTED).sum()),
                "days_on_time": int(on_time_days.get(code, 0)),
                **_over_the_days(rows, last_date),
            }
        )
    city_rows = daily_rows[daily_rows["county_code"] == city[0]]
    records.append(
        {
            "county_code": city[0],
            "county_name": city[1],
            **{column: sum(r[column] for r in records) for column in DAY_COUNT_COLUMNS},
            **_over_the_days(city_rows, last_date),
        }
    )
    table = pd.DataFrame.from_records(records)
    table.insert(0, "report_quarter", quarter)
    table["first_data_date"] = daily_rows["report_date"].min()
    table["last_data_date"] = last_date
    return _finish(table)


def _over_the_days(rows: pd.DataFrame, last_date: pd.Timestamp) -> dict:
    """The figures of one county (or of the city) from its daily rows of the quarter."""
    last = rows[rows["report_date"] == last_date]
    last_row = last.iloc[0] if len(last) else None
    figures = {
        "status": MISSING if last_row is None else last_row["status"],
        **{c: None if last_row is None else last_row[c] for c in LAST_VALUE_COLUMNS},
        "resumed_in_quarter": rows["resumed_today"].sum(min_count=1),
        "on_site_rate": _ratio(
            rows["employees_on_site"].sum(min_count=1), rows["employees_total"].sum(min_count=1)
        ),
        "capacity_pct": rows["capacity_pct"].astype("Float64").mean(),
    }
    figures.update({peak: rows[daily].max() for daily, peak in PEAK_COLUMNS.items()})
    return figures


def _ratio(numerator: object, denominator: object) -> float | None:
    if pd.isna(numerator) or pd.isna(denominator) or denominator == 0:
        return None
    return float(numerator) / float(denominator)


def _finish(table: pd.DataFrame) -> pd.DataFrame:
    for column in INTEGER_COLUMNS:
        table[column] = pd.array(
            [None if pd.isna(v) else int(v) for v in table[column]], dtype="Int64"
        )
    table["reporting_completeness"] = [
        _ratio(r, e) for r, e in zip(table["days_reported"], table["days_expected"], strict=True)
    ]
    table["on_time_rate"] = [
        _ratio(o, e) for o, e in zip(table["days_on_time"], table["days_expected"], strict=True)
    ]
    table["resumption_rate"] = [
        _ratio(r, s)
        for r, s in zip(table["enterprises_resumed"], table["enterprises_in_scope"], strict=True)
    ]
    for column in RATE_COLUMNS:
        table[column] = pd.array(
            [None if pd.isna(v) else float(v) for v in table[column]], dtype="Float64"
        )
    for column in ("first_data_date", "last_data_date"):
        table[column] = pd.to_datetime(table[column]).astype("datetime64[s]")
    return table[SUMMARY_COLUMNS]
