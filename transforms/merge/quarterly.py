"""Merge the accepted quarterly submissions into `county_quarterly`: one row per county plus
the city row, with same-scope year-on-year and year-to-date figures.

Definitions are the spec's (`submission-spec.md`, "What the city publishes"): values are
in 万元 for the quarter alone; `*_yoy_pct` = (current / prior − 1) × 100 from the
same-scope prior values the enterprises submitted; the year-to-date columns of a county
are filled only when every quarter of the year so far was accepted for it; the city row
sums the accepted counties (quarter columns) and the counties whose year-to-date is
complete (year-to-date columns), recomputes every rate from its sums, and is `partial`
unless every county's year-to-date is complete.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal

import pandas as pd

from transforms.merge.daily import ACCEPTED, MISSING, PARTIAL, rows_by_county

VALUE_COLUMNS = ["output_value", "output_value_prior", "value_added", "value_added_prior"]
COUNTY_QUARTERLY_COLUMNS = [
    "report_quarter",
    "county_code",
    "county_name",
    "status",
    "enterprises_reported",
    "output_value",
    "output_value_prior",
    "output_yoy_pct",
    "value_added",
    "value_added_prior",
    "value_added_yoy_pct",
    "output_value_ytd",
    "output_value_ytd_prior",
    "output_ytd_yoy_pct",
    "value_added_ytd",
    "value_added_ytd_prior",
    "value_added_ytd_yoy_pct",
]
# (growth column, current column, prior column)
GROWTH_RATES = [
    ("output_yoy_pct", "output_value", "output_value_prior"),
    ("value_added_yoy_pct", "value_added", "value_added_prior"),
    ("output_ytd_yoy_pct", "output_value_ytd", "output_value_ytd_prior"),
    ("value_added_ytd_yoy_pct", "value_added_ytd", "value_added_ytd_prior"),
]
YTD_OF = {
    "output_value": "output_value_ytd",
    "output_value_prior": "output_value_ytd_prior",
    "value_added": "value_added_ytd",
    "value_added_prior": "value_added_ytd_prior",
}


def exact_sum(values: Iterable[object]) -> float | None:
    """Sum of 万元 amounts as decimals, so 0.1 + 0.2 is 0.3 and the CSV shows what a clerk
    would add up; None when there is nothing to add."""
    present = [Decimal(repr(float(v))) for v in values if v is not None and not pd.isna(v)]
    return float(sum(present)) if present else None


def growth_pct(current: float | None, prior: float | None) -> float | None:
    """(current / prior − 1) × 100; None when either is missing or the prior is 0."""
    if current is None or prior is None or pd.isna(current) or pd.isna(prior) or prior == 0:
        return None
    return (current / prior - 1) * 100


def merge_county_quarterly(
    quarter: str,
    counties: Sequence[tuple[str, str]],
    city: tuple[str, str],
    statuses: Mapping[str, str],
    accepted_rows: pd.DataFrame,
    earlier_quarters: pd.DataFrame,
) -> pd.DataFrame:
    """Build `county_quarterly` for one quarter (without `revision`).

    `counties` are (code, name) in publication order and `city` is (code, name);
    `statuses` maps each county code to accepted/rejected/missing for this quarter
    (absent means missing); `accepted_rows` holds the canonical quarterly rows of the
    accepted counties; `earlier_quarters` holds the published `county_quarterly` county
    rows of the year's earlier quarters (at least `report_quarter`, `county_code`,
    `status` and the four value columns).
    """
    earlier_names = _earlier_quarters_of_year(quarter)
    earlier = earlier_quarters[earlier_quarters["report_quarter"].isin(earlier_names)]
    accepted_rows_of = rows_by_county(accepted_rows)
    earlier_accepted_of = rows_by_county(earlier[earlier["status"] == ACCEPTED])
    records, accepted, ytd_complete = [], [], []
    for code, name in counties:
        status = statuses.get(code, MISSING)
        record = {"county_code": code, "county_name": name, "status": status}
        if status == ACCEPTED:
            record.update(_quarter_figures(accepted_rows_of(code)))
            accepted.append(record)
            mine = earlier_accepted_of(code)
            if set(mine["report_quarter"]) >= set(earlier_names):
                record.update(_year_to_date(record, mine))
                ytd_complete.append(record)
        records.append(record)

    city_record = {
        "county_code": city[0],
        "county_name": city[1],
        "status": ACCEPTED if len(ytd_complete) == len(records) else PARTIAL,
        "enterprises_reported": sum(r["enterprises_reported"] for r in accepted)
        if accepted
        else None,
        **{c: exact_sum(r[c] for r in accepted) for c in VALUE_COLUMNS},
        **{y: exact_sum(r[y] for r in ytd_complete) for y in YTD_OF.values()},
    }
    records.append(city_record)

    table = pd.DataFrame.from_records(records)
    table.insert(0, "report_quarter", quarter)
    return _finish(table)


def _earlier_quarters_of_year(quarter: str) -> list[str]:
    year, number = quarter.split("Q")
    return [f"{year}Q{n}" for n in range(1, int(number))]


def _quarter_figures(rows: pd.DataFrame) -> dict:
    return {
        "enterprises_reported": rows["enterprise_id"].nunique(),
        **{c: exact_sum(rows[c]) for c in VALUE_COLUMNS},
    }


def _year_to_date(record: dict, accepted_earlier: pd.DataFrame) -> dict:
    return {
        ytd: exact_sum([record[column], *accepted_earlier[column]])
        for column, ytd in YTD_OF.items()
    }


def _finish(table: pd.DataFrame) -> pd.DataFrame:
    for column in [*VALUE_COLUMNS, *YTD_OF.values()]:
        table[column] = pd.array(table.get(column, pd.Series([None] * len(table))), dtype="Float64")
    table["enterprises_reported"] = pd.array(
        table.get("enterprises_reported", pd.Series([None] * len(table))), dtype="Int64"
    )
    for growth, current, prior in GROWTH_RATES:
        table[growth] = pd.array(
            [growth_pct(c, p) for c, p in zip(table[current], table[prior], strict=True)],
            dtype="Float64",
        )
    return table[COUNTY_QUARTERLY_COLUMNS]
