"""Difficulties by kind: each enterprise's own difficulty text (存在困难) sorted into kinds by
the keyword rules kept as data in `difficulty_kinds.toml`, so that the office can say what
enterprises mainly lack ("主要反映为口罩、测温枪等防控物资紧缺") without reading every text.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pandas as pd

RULES = Path(__file__).with_name("difficulty_kinds.toml")
# Where one text names several difficulties: "口罩短缺；测温枪不足", "缺口罩、缺工人".
ITEM_SEPARATORS = r"[；;，,、/\n\r]+"


@dataclass(frozen=True)
class DifficultyKind:
    id: str
    name: str  # as a report names it: 口罩, 用工
    group: str  # 防疫物资 for the supplies, else the kind's own name
    keywords: tuple[str, ...]


OTHER = DifficultyKind("other", "其他", "其他", ())


@cache
def difficulty_kinds() -> tuple[DifficultyKind, ...]:
    """The kinds in rule order, 其他 last."""
    rules = tomllib.loads(RULES.read_text(encoding="utf-8"))
    kinds = tuple(
        DifficultyKind(k["id"], k["name"], k["group"], tuple(k["keywords"])) for k in rules["kinds"]
    )
    return (*kinds, OTHER)


def difficulty_items(rows: pd.DataFrame) -> pd.DataFrame:
    """One row per difficulty an enterprise's text names: the rows' `report_date`,
    `county_code`, `enterprise_id`, the item's text and its kind's id (first matching rule)."""
    keys = ["report_date", "county_code", "enterprise_id"]
    texts = rows["difficulties"].astype("str").where(rows["difficulties"].notna(), "")
    items = (
        rows[keys]
        .assign(item=texts.str.split(ITEM_SEPARATORS, regex=True))
        .explode("item", ignore_index=True)
    )
    items["item"] = items["item"].fillna("").astype("str").str.strip()
    items = items[items["item"] != ""].reset_index(drop=True)
    kind = pd.Series(OTHER.id, index=items.index, dtype="str")
    undecided = pd.Series(True, index=items.index)
    for rule in difficulty_kinds()[:-1]:
        pattern = "|".join(rule.keywords)
        matched = undecided & items["item"].str.contains(pattern, regex=True)
        kind[matched] = rule.id
        undecided &= ~matched
    return items.assign(kind=kind)


def kind_counts(items: pd.DataFrame) -> pd.DataFrame:
    """How many items of each kind: `kind`, `name`, `count`, most first, ties in rule order;
    only kinds with items."""
    order = {k.id: n for n, k in enumerate(difficulty_kinds())}
    names = {k.id: k.name for k in difficulty_kinds()}
    counts = items["kind"].value_counts()
    table = pd.DataFrame({"kind": counts.index, "count": counts.to_numpy()})
    table["name"] = table["kind"].map(names)
    table["order"] = table["kind"].map(order)
    table = table.sort_values(["count", "order"], ascending=[False, True], kind="stable")
    return table[["kind", "name", "count"]].reset_index(drop=True)


KIND_COLUMNS = ["report_date", "county_code", "kind", "kind_name", "kind_group", "items"]


def kind_items_per_county(items: pd.DataFrame) -> pd.DataFrame:
    """`difficulty_kinds_daily` rows: items per date, county and kind (only those with items),
    in county code and rule order."""
    kinds = difficulty_kinds()
    order = {k.id: n for n, k in enumerate(kinds)}
    table = items.groupby(["report_date", "county_code", "kind"]).size().rename("items")
    table = table.reset_index()
    table["kind_name"] = table["kind"].map({k.id: k.name for k in kinds})
    table["kind_group"] = table["kind"].map({k.id: k.group for k in kinds})
    table["items"] = table["items"].astype("int64")
    table = table.assign(order=table["kind"].map(order)).sort_values(
        ["report_date", "county_code", "order"], kind="stable"
    )
    return table[KIND_COLUMNS].reset_index(drop=True)


def kinds_over_days(per_county: pd.DataFrame, days: list) -> list[tuple[str, list[int]]]:
    """(kind name, items on each of `days`) for every kind with items on any of them, in rule
    order; `per_county`: `difficulty_kinds_daily` rows."""
    totals = per_county.groupby(["kind", per_county["report_date"].map(pd.Timestamp)])["items"]
    totals = totals.sum()
    present = set(per_county["kind"])
    return [
        (kind.name, [int(totals.get((kind.id, pd.Timestamp(day)), 0)) for day in days])
        for kind in difficulty_kinds()
        if kind.id in present
    ]


def kinds_by_county(items: pd.DataFrame, counties: list[tuple[str, str]]) -> pd.DataFrame:
    """Items per kind (rows: the kinds with items, most first) and county (columns: the county
    codes in the given order, then `total`)."""
    kinds = kind_counts(items)
    codes = [code for code, _ in counties]
    # One column per county, built at once (a country has thousands of counties).
    per_county = (
        items.groupby(["kind", "county_code"])
        .size()
        .unstack("county_code")
        .reindex(index=kinds["kind"], columns=codes)
        .fillna(0)
        .astype("int64")
    )
    return pd.concat(
        [
            kinds[["kind", "name"]].reset_index(drop=True),
            per_county.reset_index(drop=True),
            kinds["count"].rename("total").reset_index(drop=True),
        ],
        axis=1,
    )
