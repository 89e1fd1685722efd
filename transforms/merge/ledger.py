"""The key-enterprise ledger (重点企业复工复产台账): one row per key enterprise in scope on a
date, as the city's grid officers (网格员) follow them under the "1+10" mechanism: whether and
since when it has resumed, its staff on site and capacity, the difficulties it wrote, and how
many days since it last reported. The ones not yet resumed come first."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date

import pandas as pd

from transforms.merge.daily import in_scope_on

LEDGER_COLUMNS = [
    "report_date",
    "county_code",
    "county_name",
    "enterprise_id",
    "enterprise_name",
    "grid_officer",
    "grid_officer_phone",
    "resumed",
    "resumed_on",
    "employees_total",
    "employees_on_site",
    "capacity_pct",
    "difficulties",
    "last_reported_on",
    "days_since_reported",
]
ROW_VALUES = ["resumed", "resumed_on", "employees_total", "employees_on_site", "capacity_pct"]


def key_enterprise_ledger(
    report_date: date,
    registry: pd.DataFrame,
    counties: Sequence[tuple[str, str]],
    rows: pd.DataFrame,
    last_reported: Mapping[str, date],
) -> pd.DataFrame:
    """The ledger of `report_date`. `registry`: the canonical registry; `counties`: (code,
    name) in the configured order; `rows`: the date's accepted enterprise rows;
    `last_reported`: each key enterprise's latest date with an accepted row, up to this one
    (absent: none in the window the caller looked at). In `in_ledger_order`."""
    order = {code: n for n, (code, _) in enumerate(counties)}
    keys = in_scope_on(registry, report_date)
    keys = keys[keys["key_enterprise"].fillna(False).astype(bool)]
    keys = keys[keys["county_code"].isin(order)]
    reported = rows.drop_duplicates("enterprise_id").set_index("enterprise_id")
    ledger = pd.DataFrame(
        {
            "report_date": pd.Timestamp(report_date),
            "county_code": keys["county_code"].to_numpy(),
            "county_name": keys["county_code"].map(dict(counties)).to_numpy(),
            "enterprise_id": keys["enterprise_id"].to_numpy(),
            "enterprise_name": keys["enterprise_name"].to_numpy(),
            "grid_officer": keys["grid_officer"].to_numpy(),
            "grid_officer_phone": keys["grid_officer_phone"].to_numpy(),
        }
    )
    for column in [*ROW_VALUES, "difficulties"]:
        # reindex, not map: mapping through an empty dated column (no key enterprise reported)
        # makes floats, which do not cast back to dates
        found = reported[column].reindex(ledger["enterprise_id"])
        ledger[column] = found.astype(rows[column].dtype).array
    last = (
        ledger["enterprise_id"]
        .map({k: pd.Timestamp(v) for k, v in last_reported.items()})
        .astype("datetime64[s]")
    )
    ledger["last_reported_on"] = last
    ledger["days_since_reported"] = pd.array(
        [None if pd.isna(d) else (pd.Timestamp(report_date) - d).days for d in last],
        dtype="Int64",
    )
    return in_ledger_order(ledger, counties)


def in_ledger_order(ledger: pd.DataFrame, counties: Sequence[tuple[str, str]]) -> pd.DataFrame:
    """Not resumed, then not reported that day, then resumed; within each, counties in the
    configured order and enterprises by credit code."""
    order = {code: n for n, (code, _) in enumerate(counties)}
    standing = ledger["resumed"].map({False: 0, True: 2}).fillna(1).astype(int)
    ledger = ledger.assign(standing=standing, order=ledger["county_code"].map(order)).sort_values(
        ["standing", "order", "enterprise_id"], kind="stable"
    )
    return ledger[LEDGER_COLUMNS].reset_index(drop=True)
