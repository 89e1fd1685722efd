"""Merge the accepted daily submissions into `county_daily`: one row per county plus the city row.

Definitions are the spec's (`submission-spec.md`, "What the city publishes"): rates
are ratios of sums, the city row sums the accepted counties but counts every
county's in-scope enterprises, and a rejected or missing county keeps only its
in-scope counts.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import date

import numpy as np
import pandas as pd

from transforms.frames import is_in

ACCEPTED, REJECTED, MISSING, PARTIAL = "accepted", "rejected", "missing", "partial"

COUNTY_DAILY_COLUMNS = [
    "report_date",
    "county_code",
    "county_name",
    "status",
    "enterprises_in_scope",
    "enterprises_reported",
    "enterprises_resumed",
    "resumed_today",
    "resumption_rate",
    "key_in_scope",
    "key_resumed",
    "employees_total",
    "employees_on_site",
    "on_site_rate",
    "capacity_pct",
    "mask_shortage",
    "thermometer_shortage",
    "difficulties_reported",
]
COUNT_COLUMNS = [
    "enterprises_in_scope",
    "enterprises_reported",
    "enterprises_resumed",
    "resumed_today",
    "key_in_scope",
    "key_resumed",
    "employees_total",
    "employees_on_site",
    "mask_shortage",
    "thermometer_shortage",
    "difficulties_reported",
]
RATE_COLUMNS = ["resumption_rate", "on_site_rate", "capacity_pct"]
REPORTED_COLUMNS = [c for c in COUNT_COLUMNS if c not in ("enterprises_in_scope", "key_in_scope")]


def in_scope_on(registry: pd.DataFrame, day: date) -> pd.DataFrame:
    """Registry rows in scope (规上) on `day`: from in_scope_from through in_scope_to, if set."""
    stamp = pd.Timestamp(day)
    started = registry["in_scope_from"] <= stamp
    not_ended = registry["in_scope_to"].isna() | (registry["in_scope_to"] >= stamp)
    return registry.loc[started & not_ended]


def rows_by_county(rows: pd.DataFrame) -> Callable[[str], pd.DataFrame]:
    """A county's rows of `rows` by its code, in their order (none for a county without
    rows): split once, where filtering the city's rows for each county costs counties × rows."""
    groups = dict(tuple(rows.groupby("county_code", sort=False)))
    none = rows.iloc[:0]
    return lambda code: groups.get(code, none)


def merge_county_daily(
    report_date: date,
    counties: Sequence[tuple[str, str]],
    city: tuple[str, str],
    registry: pd.DataFrame,
    statuses: Mapping[str, str],
    accepted_rows: pd.DataFrame,
) -> pd.DataFrame:
    """Build `county_daily` for one date (without `revision`, which depends on what was published).

    `counties` are (code, name) in publication order, `city` is (code, name),
    `statuses` maps each county code to accepted/rejected/missing (absent means
    missing), and `accepted_rows` holds the canonical daily rows of the accepted
    counties only.
    """
    county_codes = [code for code, _ in counties]
    in_scope = in_scope_on(registry, report_date)
    in_scope = in_scope[in_scope["county_code"].isin(county_codes)]
    key_ids = set(in_scope.loc[in_scope["key_enterprise"].fillna(False), "enterprise_id"])
    rows = accepted_rows.assign(
        is_key=is_in(accepted_rows["enterprise_id"], key_ids),
        resumed_flag=accepted_rows["resumed"].fillna(False).astype(bool),
    )

    in_scope_counts = in_scope["county_code"].value_counts()
    key_counts = (
        in_scope["key_enterprise"].fillna(False).astype(bool).groupby(in_scope["county_code"]).sum()
    )
    accepted_codes = [code for code in county_codes if statuses.get(code) == ACCEPTED]
    city_rows = rows[is_in(rows["county_code"], accepted_codes)]
    county_of_row = pd.Index(accepted_codes).get_indexer(city_rows["county_code"])
    figures = dict(
        zip(
            accepted_codes,
            _reported_figures(city_rows, county_of_row, len(accepted_codes), report_date),
            strict=True,
        )
    )
    records = []
    for code, name in counties:
        status = statuses.get(code, MISSING)
        record = {
            "county_code": code,
            "county_name": name,
            "status": status,
            "enterprises_in_scope": int(in_scope_counts.get(code, 0)),
            "key_in_scope": int(key_counts.get(code, 0)),
        }
        if status == ACCEPTED:
            record.update(figures[code])
        records.append(record)

    all_accepted = len(accepted_codes) == len(county_codes)
    (city_figures,) = _reported_figures(
        city_rows, np.zeros(len(city_rows), dtype=int), 1, report_date
    )
    records.append(
        {
            "county_code": city[0],
            "county_name": city[1],
            "status": ACCEPTED if all_accepted else PARTIAL,
            "enterprises_in_scope": len(in_scope),
            "key_in_scope": len(key_ids),
            **city_figures,
        }
    )

    table = pd.DataFrame.from_records(records)
    table.insert(0, "report_date", pd.Timestamp(report_date).as_unit("s"))
    return _finish(table)


def _reported_figures(
    rows: pd.DataFrame, group_of_row: np.ndarray, groups: int, report_date: date
) -> list[dict]:
    """The figures `county_daily` takes from reported rows, for each of `groups` groups of
    rows (`group_of_row`: 0 … groups − 1), all groups in one pass. A group's capacity is
    summed over its own rows in their order, as the frame of those rows alone would sum it."""
    resumed = rows["resumed_flag"].to_numpy(dtype=bool)

    def count(selected) -> np.ndarray:
        return np.bincount(group_of_row[np.asarray(selected, dtype=bool)], minlength=groups)

    def total(column: str) -> np.ndarray:
        sums = np.zeros(groups, dtype=np.int64)
        np.add.at(sums, group_of_row, rows[column].fillna(0).to_numpy(dtype=np.int64))
        return sums

    ids, _ = pd.factorize(rows["enterprise_id"])  # a missing id is -1, and no enterprise
    width = int(ids.max(initial=0)) + 1
    enterprises = np.unique((group_of_row * width + ids)[ids >= 0])  # (group, id) pairs
    reported = np.bincount(enterprises // width, minlength=groups)
    texts = rows["difficulties"].fillna("").astype(str).str.strip()
    figures = {
        "enterprises_reported": reported,
        "enterprises_resumed": count(resumed),
        "resumed_today": count(rows["resumed_on"] == pd.Timestamp(report_date)),
        "key_resumed": count(resumed & rows["is_key"].to_numpy(dtype=bool)),
        "employees_total": total("employees_total"),
        "employees_on_site": total("employees_on_site"),
        "mask_shortage": total("mask_shortage"),
        "thermometer_shortage": total("thermometer_shortage"),
        "difficulties_reported": count(texts.ne("")),
    }
    records = [{name: int(values[g]) for name, values in figures.items()} for g in range(groups)]
    weights = rows["employees_total"].astype("Float64").array
    capacity = rows["capacity_pct"].astype("Float64").array
    resumed_rows = np.flatnonzero(resumed)
    for group, at in pd.Series(resumed_rows).groupby(group_of_row[resumed_rows]).indices.items():
        positions = resumed_rows[at]
        weight_sum = weights[positions].sum()
        if weight_sum > 0:
            mean = (capacity[positions] * weights[positions]).sum() / weight_sum
            records[group]["capacity_pct"] = float(mean)
    for record in records:
        record.setdefault("capacity_pct", None)
    return records


def _finish(table: pd.DataFrame) -> pd.DataFrame:
    for column in COUNT_COLUMNS:
        table[column] = pd.array(table.get(column, pd.Series([None] * len(table))), dtype="Int64")
    table["resumption_rate"] = _ratio(table["enterprises_resumed"], table["enterprises_in_scope"])
    table["on_site_rate"] = _ratio(table["employees_on_site"], table["employees_total"])
    table["capacity_pct"] = pd.array(table.get("capacity_pct"), dtype="Float64")
    return table[COUNTY_DAILY_COLUMNS]


def _ratio(numerator: pd.Series, denominator: pd.Series) -> pd.Series:
    """numerator / denominator, null where either is null or the denominator is 0."""
    num = numerator.astype("Float64")
    den = denominator.astype("Float64")
    return (num / den.where(den != 0)).astype("Float64")
