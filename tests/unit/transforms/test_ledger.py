"""The key-enterprise ledger: every key enterprise in scope, the ones not yet resumed first."""

from __future__ import annotations

from datetime import date

import pandas as pd
from stdnum.cn import uscc

from transforms.ingest.readers import read_daily_submission, read_registry
from transforms.merge.ledger import key_enterprise_ledger

DAY = date(2020, 3, 16)
EAST, WEST = "440203", "440204"
COUNTIES = [(EAST, "武江区"), (WEST, "浈江区")]


def code(county: str, serial: int) -> str:
    body = f"91{county}MA{serial:07d}"
    return body + uscc.calc_check_digit(body)


A, B, C, D, E = code(EAST, 1), code(EAST, 2), code(WEST, 3), code(WEST, 4), code(EAST, 5)
REGISTRY = read_registry(
    "\n".join(
        [
            "enterprise_id,enterprise_name,county_code,key_enterprise,industry_code,"
            "in_scope_from,in_scope_to,grid_officer,grid_officer_phone",
            f"{A},甲厂,{EAST},是,31,2019-01-01,,王网格,13800000001",
            f"{B},乙厂,{EAST},否,30,2019-01-01,,,",  # not a key enterprise
            f"{C},丙厂,{WEST},是,44,2019-01-01,,,",
            f"{D},丁厂,{WEST},是,44,2019-01-01,,,",
            f"{E},戊厂,{EAST},是,44,2019-01-01,2020-02-29,,",  # out of scope since March
        ]
    ).encode()
).frame
ROWS = read_daily_submission(
    "\n".join(
        [
            "report_date,county_code,enterprise_id,enterprise_name,resumed,resumed_on,"
            "employees_total,employees_on_site,capacity_pct,mask_shortage,thermometer_shortage,"
            "difficulties",
            f"2020-03-16,{EAST},{A},甲厂,是,2020-03-02,100,80,90,0,0,",
            f"2020-03-16,{EAST},{B},乙厂,否,,50,0,0,0,0,",
            f"2020-03-16,{WEST},{C},丙厂,否,,300,10,0,5,0,口罩短缺",
        ]
    ).encode(),
    f"{EAST}.csv",
).frame


def test_the_ledger_lists_every_key_enterprise_the_ones_not_resumed_first():
    last = {A: DAY, C: DAY, D: date(2020, 3, 13)}
    ledger = key_enterprise_ledger(DAY, REGISTRY, COUNTIES, ROWS, last)
    # 丙厂 has not resumed; 丁厂 did not report today (last on 3-13); 甲厂 has resumed
    assert list(ledger["enterprise_name"]) == ["丙厂", "丁厂", "甲厂"]
    assert ledger["resumed"].tolist() == [False, pd.NA, True]
    assert ledger["days_since_reported"].tolist() == [0, 3, 0]
    assert ledger.loc[2, "grid_officer"] == "王网格"
    assert ledger.loc[2, "grid_officer_phone"] == "13800000001"
    assert ledger.loc[0, "difficulties"] == "口罩短缺"
    assert ledger.loc[2, "resumed_on"] == pd.Timestamp("2020-03-02")
    assert list(ledger["county_name"]) == ["浈江区", "浈江区", "武江区"]
