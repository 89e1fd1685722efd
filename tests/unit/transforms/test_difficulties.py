"""Difficulty texts sorted into kinds by the keyword rules in difficulty_kinds.toml."""

from __future__ import annotations

import pandas as pd

from transforms.merge.difficulties import (
    difficulty_items,
    kind_counts,
    kind_items_per_county,
    kinds_by_county,
    kinds_over_days,
)


def items_of(*texts: str | None) -> pd.DataFrame:
    rows = pd.DataFrame(
        {
            "report_date": [pd.Timestamp("2020-02-10")] * len(texts),
            "county_code": ["440203"] * len(texts),
            "enterprise_id": [f"e{n}" for n in range(len(texts))],
            "difficulties": pd.array(texts, dtype="str"),
        }
    )
    return difficulty_items(rows)


def test_each_item_of_a_text_gets_the_first_kind_whose_keyword_it_names():
    items = items_of(
        "口罩短缺；测温枪不足",
        "消毒液短缺、外地员工未返岗",
        "上下游企业未复工,物流运输受阻",
        "资金周转困难/订单减少",
        "厂房漏水",
        None,
        "",
    )
    assert list(zip(items["enterprise_id"], items["item"], items["kind"], strict=True)) == [
        ("e0", "口罩短缺", "masks"),
        ("e0", "测温枪不足", "thermometers"),
        ("e1", "消毒液短缺", "disinfectant"),
        ("e1", "外地员工未返岗", "labour"),
        ("e2", "上下游企业未复工", "materials"),
        ("e2", "物流运输受阻", "logistics"),
        ("e3", "资金周转困难", "funding"),
        ("e3", "订单减少", "orders"),
        ("e4", "厂房漏水", "other"),
    ]


def test_kinds_are_counted_most_first_and_ties_keep_the_rule_order():
    counts = kind_counts(items_of("口罩短缺", "缺口罩；订单减少", "测温枪不足", "资金紧张"))
    assert list(zip(counts["name"], counts["count"], strict=True)) == [
        ("口罩", 2),
        ("测温枪", 1),
        ("资金", 1),
        ("订单", 1),
    ]


def test_kinds_are_counted_per_county_with_the_citys_total():
    # 武江区: 口罩; 浈江区: 口罩 and 订单 in one text, 测温枪 in another; 曲江区: none
    items = difficulty_items(
        pd.DataFrame(
            {
                "report_date": [pd.Timestamp("2020-02-10")] * 3,
                "county_code": ["440203", "440204", "440204"],
                "enterprise_id": ["a", "b", "c"],
                "difficulties": ["口罩短缺", "缺口罩；订单减少", "测温枪不足"],
            }
        )
    )
    table = kinds_by_county(
        items, [("440203", "武江区"), ("440204", "浈江区"), ("440205", "曲江区")]
    )
    assert table[["name", "440203", "440204", "440205", "total"]].values.tolist() == [
        ["口罩", 1, 1, 0, 2],
        ["测温枪", 0, 1, 0, 1],
        ["订单", 0, 1, 0, 1],
    ]


def test_kind_items_are_kept_per_date_county_and_kind_for_the_warehouse():
    items = items_of("口罩短缺；测温枪不足", "缺口罩、缺工人", "厂房漏水")
    items.loc[items["enterprise_id"] == "e2", "county_code"] = "440204"
    table = kind_items_per_county(items)
    assert table.to_dict("records") == [
        {
            "report_date": pd.Timestamp("2020-02-10"),
            "county_code": "440203",
            "kind": kind,
            "kind_name": name,
            "kind_group": group,
            "items": n,
        }
        for kind, name, group, n in (
            ("masks", "口罩", "防疫物资", 2),
            ("thermometers", "测温枪", "防疫物资", 1),
            ("labour", "用工", "用工", 1),
        )
    ] + [
        {
            "report_date": pd.Timestamp("2020-02-10"),
            "county_code": "440204",
            "kind": "other",
            "kind_name": "其他",
            "kind_group": "其他",
            "items": 1,
        }
    ]


def test_kinds_over_days_sum_the_counties_and_fill_days_without_items():
    first, second = items_of("缺口罩", "缺口罩；缺工人"), items_of("口罩不足")
    second["report_date"] = pd.Timestamp("2020-02-12")
    per_county = kind_items_per_county(pd.concat([first, second], ignore_index=True))
    days = [pd.Timestamp(f"2020-02-{d}").date() for d in (10, 11, 12)]
    assert kinds_over_days(per_county, days) == [("口罩", [2, 0, 1]), ("用工", [1, 0, 0])]
