"""One test per rule of the daily submission: each reason names the rule and the rows."""

from __future__ import annotations

import json
import re
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from stdnum.cn import uscc

from transforms.check.validation import (
    USCC_ALPHABET,
    apply_explanations,
    daily_context_findings,
    daily_context_findings_on_each,
    registry_seen_by,
    run_expectation_suite,
    run_expectation_suite_on_each,
    uscc_valid,
)
from transforms.ingest.readers import read_daily_submission, read_registry

SUITE = json.loads(
    (Path(__file__).resolve().parents[3] / "expectations" / "daily_submission.json").read_text(
        encoding="utf-8"
    )
)
DAY = date(2020, 3, 17)
COUNTY, OTHER_COUNTY = "440203", "440204"


def code(county: str, serial: int) -> str:
    body = f"91{county}MA{serial:07d}"
    return body + uscc.calc_check_digit(body)


A, B, C = code(COUNTY, 1), code(COUNTY, 2), code(COUNTY, 3)
ELSEWHERE, UNKNOWN = code(OTHER_COUNTY, 9), code(COUNTY, 99)
HEADER = (
    "report_date,county_code,enterprise_id,enterprise_name,resumed,resumed_on,"
    "employees_total,employees_on_site,capacity_pct,mask_shortage,thermometer_shortage,"
    "difficulties"
)
# Row 2 of the file is A, row 3 is B, row 4 is C (row 1 is the header).
GOOD_ROWS = [
    f"2020-03-17,{COUNTY},{A},甲厂,是,2020-03-10,100,80,90,5,0,口罩不足",
    f"2020-03-17,{COUNTY},{B},乙厂,否,,50,0,0,0,0,",
    f"2020-03-17,{COUNTY},{C},丙厂,是,2020-03-17,300,150,50,0,2,",
]
REGISTRY_CSV = "\n".join(
    [
        "enterprise_id,enterprise_name,county_code,key_enterprise,industry_code,in_scope_from,"
        "in_scope_to",
        f"{A},甲厂,{COUNTY},是,31,2019-01-01,",
        f"{B},乙厂,{COUNTY},否,30,2019-01-01,",
        f"{C},丙厂,{COUNTY},否,44,2019-01-01,",
        f"{ELSEWHERE},丁厂,{OTHER_COUNTY},否,44,2019-01-01,",
    ]
)


def findings_for(rows: list[str], previous_rows: list[str] | None = None) -> dict:
    frame = read(rows)
    registry = read_registry(REGISTRY_CSV.encode()).frame
    previous = read(previous_rows) if previous_rows else None
    found = list(read_daily_submission(csv_bytes(rows), f"{COUNTY}.csv").findings)
    found += run_expectation_suite(frame, SUITE)
    found += daily_context_findings(
        frame, folder_date=DAY, county_code=COUNTY, registry=registry, previous_rows=previous
    )
    return {f.rule: f for f in found}


def csv_bytes(rows: list[str]) -> bytes:
    return ("\n".join([HEADER, *rows]) + "\n").encode("utf-8")


def read(rows: list[str]) -> pd.DataFrame:
    return read_daily_submission(csv_bytes(rows), f"{COUNTY}.csv").frame


def with_row(row_number: int, column: str, value: str) -> list[str]:
    """GOOD_ROWS with one cell of file row `row_number` (2 = first data row) replaced."""
    rows = [r.split(",") for r in GOOD_ROWS]
    rows[row_number - 2][HEADER.split(",").index(column)] = value
    return [",".join(r) for r in rows]


def test_the_good_file_breaks_no_rule():
    assert findings_for(GOOD_ROWS) == {}


ERROR_RULES = [
    # rule, file row, column, bad value
    ("report_date_matches_folder", 3, "report_date", "2020-03-16"),
    ("report_date_required", 3, "report_date", ""),
    ("county_code_matches_file_name", 4, "county_code", OTHER_COUNTY),
    ("enterprise_id_required", 3, "enterprise_id", ""),
    ("enterprise_id_unique", 4, "enterprise_id", A),
    ("enterprise_id_format", 3, "enterprise_id", "12345"),
    ("enterprise_id_check_character", 3, "enterprise_id", B[:-1] + ("0" if B[-1] != "0" else "1")),
    ("enterprise_registered_to_other_county", 3, "enterprise_id", ELSEWHERE),
    ("enterprise_name_required", 4, "enterprise_name", ""),
    ("resumed_required", 3, "resumed", ""),
    ("unparseable_resumed", 3, "resumed", "也许"),
    ("resumed_on_required_when_resumed", 2, "resumed_on", ""),
    ("resumed_on_empty_when_not_resumed", 3, "resumed_on", "2020-03-01"),
    ("resumed_on_not_after_report_date", 4, "resumed_on", "2020-03-18"),
    ("unparseable_resumed_on", 2, "resumed_on", "2020-13-45"),
    ("employees_total_not_negative", 3, "employees_total", "-5"),
    ("unparseable_employees_total", 3, "employees_total", "abc"),
    ("employees_on_site_not_negative", 3, "employees_on_site", "-1"),
    ("employees_on_site_not_above_total", 2, "employees_on_site", "101"),
    ("capacity_pct_range", 4, "capacity_pct", "301"),
    ("mask_shortage_not_negative", 2, "mask_shortage", "-3"),
    ("thermometer_shortage_not_negative", 4, "thermometer_shortage", "-2"),
]


@pytest.mark.parametrize(
    ("rule", "row", "column", "value"), ERROR_RULES, ids=[r[0] for r in ERROR_RULES]
)
def test_each_error_rule_names_itself_and_the_row(rule, row, column, value):
    found = findings_for(with_row(row, column, value))
    assert rule in found, sorted(found)
    finding = found[rule]
    assert finding.severity == "error"
    assert row in finding.rows
    reason = finding.describe()
    assert reason.endswith(f"。［{rule}］")
    quoted_rows = re.search(r"第([\d、]+)(?:等\d+)?行：", reason).group(1).split("、")
    assert str(row) in quoted_rows


WARNING_RULES = [
    ("capacity_pct_over_100", with_row(4, "capacity_pct", "120"), 4),
    ("enterprise_not_in_registry", with_row(3, "enterprise_id", UNKNOWN), 3),
]


@pytest.mark.parametrize(("rule", "rows", "row"), WARNING_RULES, ids=[w[0] for w in WARNING_RULES])
def test_warnings_name_the_rule_and_the_row_but_are_not_errors(rule, rows, row):
    found = findings_for(rows)
    assert found[rule].severity == "warning"
    assert row in found[rule].rows
    assert all(f.severity == "warning" for f in found.values()), sorted(found)


def test_an_in_scope_enterprise_missing_from_the_file_is_a_warning_naming_it():
    found = findings_for(GOOD_ROWS[:2])
    finding = found["in_scope_enterprise_missing"]
    assert finding.severity == "warning"
    assert finding.row_count == 1 and C in finding.values[0]


def test_unknown_columns_are_a_warning():
    rows = [r + ",x" for r in GOOD_ROWS]
    frame_bytes = ("\n".join([HEADER + ",联系人", *rows]) + "\n").encode()
    findings = read_daily_submission(frame_bytes, f"{COUNTY}.csv").findings
    assert [(f.rule, f.severity) for f in findings] == [("unknown_columns", "warning")]
    assert "联系人" in findings[0].describe()


def test_a_day_over_day_jump_in_staff_is_a_warning_with_both_values():
    yesterday = with_row(4, "employees_total", "100")
    found = findings_for(with_row(4, "employees_on_site", "90"), previous_rows=yesterday)
    jump = found["employees_total_day_over_day_jump"]
    assert jump.severity == "warning" and jump.rows == (4,) and jump.values == ("100→300",)


def test_a_small_change_since_yesterday_is_not_a_jump():
    found = findings_for(GOOD_ROWS, previous_rows=with_row(4, "employees_total", "280"))
    assert found == {}


def test_a_warning_the_county_explains_in_its_row_is_explained_and_errors_stay():
    # row 2 has more staff on site than employed (an error), row 4 a capacity over 100%
    rows = [r.split(",") for r in with_row(4, "capacity_pct", "120")]
    rows[0][HEADER.split(",").index("employees_on_site")] = "101"
    notes = ["数据无误", "", "新生产线投产 产能提升"]
    lines = [",".join([*row, note]) for row, note in zip(rows, notes, strict=True)]
    read = read_daily_submission("\n".join([HEADER + ",说明", *lines]).encode(), f"{COUNTY}.csv")
    findings = apply_explanations(run_expectation_suite(read.frame, SUITE), read.frame)
    found = {f.rule: f for f in findings}
    over = found["capacity_pct_over_100"]
    assert over.explained and over.explanations == ("新生产线投产 产能提升",)
    assert "已说明：“新生产线投产 产能提升”" in over.describe()
    error = found["employees_on_site_not_above_total"]
    assert error.severity == "error" and not error.explained


def test_frames_validated_together_are_each_told_their_own_rows():
    # One GX validation over several counties' files must say what validating each alone says.
    clean = read(GOOD_ROWS)
    on_site_above_total = read(with_row(3, "employees_on_site", "999"))
    duplicated = read([*GOOD_ROWS, GOOD_ROWS[0]])
    frames = {"clean": clean, "above": on_site_above_total, "duplicated": duplicated}

    together = run_expectation_suite_on_each(frames, SUITE)

    assert together == {key: run_expectation_suite(frame, SUITE) for key, frame in frames.items()}
    assert together["clean"] == []
    assert [(f.rule, f.rows) for f in together["above"]] == [
        ("employees_on_site_not_above_total", (3,))
    ]
    # Rows 2 and 5 repeat A within one file; A in another county's file is no repeat.
    assert [(f.rule, f.rows, f.values) for f in together["duplicated"]] == [
        ("enterprise_id_unique", (2, 5), (A, A))
    ]


def test_files_judged_together_by_the_context_rules_are_each_told_what_alone_they_are():
    # One county's rows must never answer for another's: C reported by the other county
    # is still missing from this county's file, and A's rows of the day before are this
    # county's, so the other county's A has nothing to have jumped from.
    registry = read_registry(REGISTRY_CSV.encode()).frame
    jumped_a = f"2020-03-17,{COUNTY},{A},甲厂,是,2020-03-10,300,80,25,5,0,口罩不足"
    frames = {
        COUNTY: read([jumped_a, GOOD_ROWS[1]]),
        OTHER_COUNTY: read(
            [
                f"2020-03-17,{OTHER_COUNTY},{ELSEWHERE},丁厂,是,2020-03-10,20,10,50,0,0,",
                f"2020-03-17,{OTHER_COUNTY},{C},丙厂,是,2020-03-17,300,150,50,0,2,",
                jumped_a.replace(f",{COUNTY},", f",{OTHER_COUNTY},"),
            ]
        ),
    }
    previous = {COUNTY: read(GOOD_ROWS)}

    together = daily_context_findings_on_each(
        frames, folder_date=DAY, registry=registry, previous_rows=previous
    )

    alone = {
        county: daily_context_findings(
            frame,
            folder_date=DAY,
            county_code=county,
            registry=registry_seen_by(registry, {county: frame}),
            previous_rows=previous.get(county),
        )
        for county, frame in frames.items()
    }
    assert together == alone
    assert [(f.rule, f.rows, f.values) for f in together[COUNTY]] == [
        ("in_scope_enterprise_missing", (), (f"{C} 丙厂",)),
        ("employees_total_day_over_day_jump", (2,), ("100→300",)),
    ]
    assert [(f.rule, f.rows) for f in together[OTHER_COUNTY]] == [
        ("enterprise_registered_to_other_county", (3, 4)),
    ]


def test_the_registry_a_county_sees_gives_its_rules_what_the_whole_registry_gives():
    registry = read_registry(REGISTRY_CSV.encode()).frame
    frame = read([*GOOD_ROWS[:1], f"2020-03-17,{COUNTY},{ELSEWHERE},丁厂,否,,10,0,0,0,0,"])
    seen = registry_seen_by(registry, {COUNTY: frame})
    # its own three enterprises and the other county's one that its file names
    assert sorted(seen["enterprise_id"]) == sorted([A, B, C, ELSEWHERE])
    for rules_see in (registry, seen):
        found = daily_context_findings(
            frame, folder_date=DAY, county_code=COUNTY, registry=rules_see, previous_rows=None
        )
        assert sorted(f.rule for f in found) == [
            "enterprise_registered_to_other_county",
            "in_scope_enterprise_missing",
        ]


def test_credit_codes_are_judged_at_once_exactly_as_stdnum_judges_each():
    rng = np.random.default_rng(32100)
    alphabet = np.array(list(USCC_ALPHABET))
    random = ["".join(rng.choice(alphabet, 18)) for _ in range(3000)]
    digits = ["".join(rng.choice(alphabet[:10], 8)) + code[8:] for code in random]
    checked = [code[:-1] + uscc.calc_check_digit(code[:-1]) for code in random + digits]
    codes = pd.Series(random + digits + checked + ["91440200MA4W8BXR0X", "9144020061748127XY"])
    expected = np.array([uscc.is_valid(code) for code in codes])
    assert expected.sum() > 3000  # every kind of code is there: valid ones and both faults
    assert (uscc_valid(codes) == expected).all()
