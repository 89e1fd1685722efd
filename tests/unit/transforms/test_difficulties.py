"""Difficulty texts sorted into kinds by the keyword rules in difficulty_kinds.toml."""

from __future__ import annotations

import pandas as pd

from transforms.merge.difficulties import difficulty_items, kind_counts, kinds_by_county


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
