"""The quarterly suite (expectations/quarterly_submission.json) and the quarterly context rules,
each run against a county file that breaks it."""

from __future__ import annotations

import json
from datetime import date

import pytest
from stdnum.cn import uscc

from tests.conftest import REPO
from transforms.check.validation import quarterly_context_findings, run_expectation_suite
from transforms.findings import Finding
from transforms.ingest.readers import read_quarterly_submission, read_registry

COUNTY, OTHER_COUNTY = "440203", "440204"
QUARTER_END = date(2020, 6, 30)
HEADER = (
    "report_quarter,county_code,enterprise_id,enterprise_name,industry_code,"
    "output_value,value_added,output_value_prior,value_added_prior"
)


def credit_code(county: str, serial: int) -> str:
    body = f"91{county}MA{serial:07d}"
    return body + uscc.calc_check_digit(body)


E1, E2, E3 = (credit_code(COUNTY, n) for n in (1, 2, 3))
ELSEWHERE = credit_code(OTHER_COUNTY, 1)
UNREGISTERED = credit_code(COUNTY, 9)
REGISTRY_CSV = "\n".join(
    [
        "enterprise_id,enterprise_name,county_code,key_enterprise,industry_code,"
        "in_scope_from,in_scope_to",
        f"{E1},甲厂,{COUNTY},是,31,2019-01-01,",
        f"{E2},乙厂,{COUNTY},否,13,2019-01-01,",
        f"{E3},丙厂,{COUNTY},否,26,2019-01-01,",
        f"{ELSEWHERE},丁厂,{OTHER_COUNTY},否,26,2019-01-01,",
    ]
)
GOOD_ROWS = [
    f"2020Q2,{COUNTY},{E1},甲厂,31,1000,300,900,280",
    f"2020Q2,{COUNTY},{E2},乙厂,13,200.5,50,210,52.5",
    f"2020Q2,{COUNTY},{E3},丙厂,06,80,20,75,19",
]


def findings_for(rows: list[str]) -> dict[str, Finding]:
    content = "\n".join([HEADER, *rows]).encode("utf-8")
    frame = read_quarterly_submission(content, f"{COUNTY}.csv").frame
    suite = json.loads((REPO / "expectations/quarterly_submission.json").read_text("utf-8"))
    registry = read_registry(REGISTRY_CSV.encode("utf-8")).frame
    findings = run_expectation_suite(frame, suite)
    findings += quarterly_context_findings(
        frame,
        folder_quarter="2020Q2",
        quarter_end=QUARTER_END,
        county_code=COUNTY,
        registry=registry,
    )
    return {f.rule: f for f in findings}


def test_a_good_file_raises_nothing():
    assert findings_for(GOOD_ROWS) == {}


def with_row(index: int, row: str) -> list[str]:
    return [row if n == index else good for n, good in enumerate(GOOD_ROWS)]


@pytest.mark.parametrize(
    ("rows", "rule", "severity", "source_row"),
    [
        (
            with_row(1, f"2020Q2,{COUNTY},{E2},乙厂,13,200,250,210,52.5"),
            "value_added_not_above_output",
            "error",
            3,
        ),
        (
            with_row(1, f"2020Q2,{COUNTY},{E2},乙厂,13,200,50,210,260"),
            "value_added_prior_not_above_output_prior",
            "error",
            3,
        ),
        (
            with_row(2, f"2020Q2,{COUNTY},{E3},丙厂,05,80,20,75,19"),
            "industry_code_industrial_division",
            "error",
            4,
        ),
        (
            with_row(2, f"2020Q2,{COUNTY},{E3},丙厂,47,80,20,75,19"),
            "industry_code_industrial_division",
            "error",
            4,
        ),
        (
            with_row(0, f"2020Q2,{COUNTY},{E1},甲厂,31,1000,300,,280"),
            "output_value_prior_required",
            "error",
            2,
        ),
        (
            with_row(0, f"2020Q2,{COUNTY},{E1},甲厂,31,1000,300,900,-1"),
            "value_added_prior_not_negative",
            "error",
            2,
        ),
        (
            with_row(0, f"2020Q2,{COUNTY},{E1},甲厂,31,-5,0,900,280"),
            "output_value_not_negative",
            "error",
            2,
        ),
        (
            with_row(0, f"2020Q1,{COUNTY},{E1},甲厂,31,1000,300,900,280"),
            "report_quarter_matches_folder",
            "error",
            2,
        ),
        (
            with_row(0, f"2020Q2,{OTHER_COUNTY},{E1},甲厂,31,1000,300,900,280"),
            "county_code_matches_file_name",
            "error",
            2,
        ),
        (
            with_row(0, f"2020Q2,{COUNTY},{ELSEWHERE},丁厂,26,1000,300,900,280"),
            "enterprise_registered_to_other_county",
            "error",
            2,
        ),
        (
            [*GOOD_ROWS, GOOD_ROWS[2]],
            "enterprise_id_unique",
            "error",
            4,
        ),
        (
            with_row(1, f"2020Q2,{COUNTY},{UNREGISTERED},戊厂,13,200.5,50,210,52.5"),
            "enterprise_not_in_registry",
            "warning",
            3,
        ),
        # fell from 2,100 to 1,000: by more than half
        (
            with_row(0, f"2020Q2,{COUNTY},{E1},甲厂,31,1000,300,2100,280"),
            "output_value_year_on_year_outlier",
            "warning",
            2,
        ),
        # value added more than doubled: 300 against 140
        (
            with_row(0, f"2020Q2,{COUNTY},{E1},甲厂,31,1000,300,900,140"),
            "value_added_year_on_year_outlier",
            "warning",
            2,
        ),
        # a value where the same-scope prior is 0
        (
            with_row(0, f"2020Q2,{COUNTY},{E1},甲厂,31,1000,300,0,0"),
            "output_value_year_on_year_outlier",
            "warning",
            2,
        ),
    ],
)
def test_each_rule_names_the_row(rows, rule, severity, source_row):
    found = findings_for(rows)
    assert rule in found, sorted(found)
    assert found[rule].severity == severity
    assert source_row in found[rule].rows


def test_small_amounts_are_not_outliers_however_large_the_ratio():
    # 60 against 20 triples, but by 40 万元 only
    rows = with_row(2, f"2020Q2,{COUNTY},{E3},丙厂,06,60,20,20,19")
    assert findings_for(rows) == {}


def test_an_in_scope_enterprise_missing_from_the_file_is_a_warning():
    found = findings_for(GOOD_ROWS[:2])
    assert found["in_scope_enterprise_missing"].severity == "warning"
    assert found["in_scope_enterprise_missing"].values == (f"{E3} 丙厂",)
