"""The demo data set reproduces the city's published 2020 figures and writes a reproducible
landing zone with the planned variants and anomalies."""

from __future__ import annotations

import zipfile
from collections import Counter
from datetime import date, datetime, time
from pathlib import Path

import pandas as pd
import pytest
from python_calamine import CalamineWorkbook
from stdnum.cn import uscc

from include.config import load_city_config
from include.demo import (
    MILESTONE_WINDOW,
    AnomalyKind,
    daily_resumption_counts,
    enterprises_in_scope,
    generate_demo,
    quarterly_totals,
    write_demo_landing,
)
from include.demo.anomalies import STAFF_JUMP_MIN_PERSONS, STAFF_JUMP_SHARE
from include.demo.generator import QUARTERS, report_dates
from include.demo.landing_writer import INSTRUCTIONS_SHEET
from include.demo.submissions import (
    CONTACT_COLUMN,
    FORMAT_SWITCH_LAYOUT,
    LAYOUT_ROTATION,
    plan_daily_submissions,
    plan_submissions,
)
from transforms.merge.difficulties import difficulty_items, kind_counts
from transforms.schema import DATE, EXPLANATION, EXPLANATION_HEADERS, Column

IN_SCOPE = 473
KEY = 50
H1_OUTPUT_VALUE = 5_646_200.0
H1_VALUE_ADDED = 1_480_500.0
H1_OUTPUT_YOY_PCT = -2.3
H1_VALUE_ADDED_YOY_PCT = -0.7
UTF8_BOM = b"\xef\xbb\xbf"
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


@pytest.fixture(scope="module")
def city():
    return load_city_config()


@pytest.fixture(scope="module")
def dataset(city):
    return generate_demo(city)


@pytest.fixture(scope="module")
def counts(dataset):
    return daily_resumption_counts(dataset)


@pytest.fixture(scope="module")
def half_year(dataset):
    return quarterly_totals(dataset).sum()


@pytest.fixture(scope="module")
def submissions(dataset):
    return plan_submissions(dataset)


@pytest.fixture(scope="module")
def landings(tmp_path_factory, dataset):
    """The same data set written twice; the second landing held stale files before."""
    first = tmp_path_factory.mktemp("first")
    second = tmp_path_factory.mktemp("second")
    stale = second / "daily" / "2020-02-03" / "440203_stale.csv"
    stale.parent.mkdir(parents=True)
    stale.write_text("left over from an earlier run")
    write_demo_landing(first, dataset)
    write_demo_landing(second, dataset)
    return first, second


def _files(root: Path) -> dict[str, Path]:
    return {path.relative_to(root).as_posix(): path for path in root.rglob("*") if path.is_file()}


def _yoy_pct(current: float, prior: float) -> float:
    return (current / prior - 1) * 100


# Calibration, from the generator's own data


def test_registry_holds_473_in_scope_and_50_key_enterprises_through_june(dataset, counts):
    assert (counts["enterprises_in_scope"] == IN_SCOPE).all()
    assert (counts["key_in_scope"] == KEY).all()
    assert (counts["enterprises_reported"] == IN_SCOPE).all()
    for day in (date(2020, 4, 1), date(2020, 6, 30)):
        assert len(enterprises_in_scope(dataset.registry, day)) == IN_SCOPE


def test_registry_lists_enterprises_outside_the_2020_scope(dataset):
    registry = dataset.registry
    left = registry["in_scope_to"] < "2020-01-01"
    joining = registry["in_scope_from"] > "2020-06-30"
    assert left.sum() > 0 and joining.sum() > 0
    in_daily = registry.loc[left | joining, "enterprise_id"].isin(dataset.daily["enterprise_id"])
    assert not in_daily.any()


def test_urban_districts_hold_most_enterprises(dataset, city):
    per_county = dataset.registry.groupby("county_code").size()
    districts = [c.code for c in city.counties if c.name.endswith("区")]
    others = per_county.drop(districts)
    assert per_county[districts].min() > others.max()


def test_all_key_enterprises_resumed_first_on_17_march(counts):
    assert counts.loc[date(2020, 3, 17), "key_resumed"] == KEY
    assert counts.loc[date(2020, 3, 16), "key_resumed"] < KEY


def test_all_enterprises_resumed_first_on_26_march(counts):
    assert counts.loc[date(2020, 3, 26), "enterprises_resumed"] == IN_SCOPE
    assert counts.loc[date(2020, 3, 25), "enterprises_resumed"] < IN_SCOPE


def test_resumption_follows_the_public_curve(counts):
    rate = counts["enterprises_resumed"] / counts["enterprises_in_scope"]
    assert rate.is_monotonic_increasing
    assert rate[date(2020, 2, 3)] < 0.1
    assert 0.80 <= rate[date(2020, 2, 21)] < 0.85
    assert 0.88 <= rate[date(2020, 2, 26)] < 0.93


def test_daily_states_follow_the_submission_rules(dataset):
    daily = dataset.daily
    assert (daily["employees_on_site"] <= daily["employees_total"]).all()
    assert (daily["resumed_on"].notna() == daily["resumed"]).all()
    resumed = daily.loc[daily["resumed"]]
    assert (resumed["resumed_on"] <= resumed["report_date"]).all()
    assert daily["capacity_pct"].between(0, 300).all()
    assert (daily[["mask_shortage", "thermometer_shortage"]] >= 0).all().all()
    assert not daily.duplicated(["report_date", "enterprise_id"]).any()
    # Once resumed, an enterprise stays resumed with the same date.
    assert (daily.groupby("enterprise_id")["resumed_on"].nunique(dropna=True) == 1).all()


def test_daily_states_show_warnings_and_difficulties_worth_reporting(dataset):
    daily = dataset.daily
    assert (daily["capacity_pct"] > 100).any()
    with_difficulties = daily["difficulties"].notna().mean()
    assert 0 < with_difficulties < 0.5
    february = daily["report_date"] < "2020-03-01"
    assert daily.loc[february, "mask_shortage"].sum() > daily.loc[~february, "mask_shortage"].sum()


def test_half_year_totals_match_the_published_figures(dataset, half_year):
    assert round(half_year["output_value"], 1) == H1_OUTPUT_VALUE
    assert round(half_year["value_added"], 1) == H1_VALUE_ADDED
    assert round(float(dataset.quarterly["output_value"].sum()), 1) == H1_OUTPUT_VALUE
    assert round(float(dataset.quarterly["value_added"].sum()), 1) == H1_VALUE_ADDED


def test_half_year_growth_rounds_to_the_published_figures_away_from_an_edge(half_year):
    for current, prior, published in (
        ("output_value", "output_value_prior", H1_OUTPUT_YOY_PCT),
        ("value_added", "value_added_prior", H1_VALUE_ADDED_YOY_PCT),
    ):
        growth = _yoy_pct(half_year[current], half_year[prior])
        assert round(growth, 1) == published
        assert abs(growth - published) < 0.02


def test_first_quarter_falls_and_second_recovers(dataset):
    totals = quarterly_totals(dataset)
    assert _yoy_pct(*totals.loc["2020Q1", ["output_value", "output_value_prior"]]) < -10
    assert _yoy_pct(*totals.loc["2020Q2", ["output_value", "output_value_prior"]]) > 0


def test_quarterly_values_are_consistent_per_enterprise(dataset):
    quarterly = dataset.quarterly
    assert (quarterly["value_added"] <= quarterly["output_value"]).all()
    assert (quarterly["value_added_prior"] <= quarterly["output_value_prior"]).all()
    ratio = quarterly["value_added"] / quarterly["output_value"]
    assert ratio.between(0.1, 0.5).all()
    assert ((quarterly["output_value"] * 10).round(6) % 1 == 0).all()
    assert (quarterly.groupby("report_quarter").size() == IN_SCOPE).all()


def test_credit_codes_are_valid_unique_and_carry_the_county(dataset):
    registry = dataset.registry
    assert registry["enterprise_id"].map(uscc.is_valid).all()
    assert registry["enterprise_id"].is_unique
    assert (registry["enterprise_id"].str[2:8] == registry["county_code"]).all()
    assert registry["enterprise_name"].is_unique
    assert registry["industry_code"].astype(int).between(6, 46).all()


def test_anomalies_avoid_the_milestone_window(dataset):
    first, last = MILESTONE_WINDOW
    demo_days = set(report_dates())
    for anomaly in dataset.anomalies:
        assert anomaly.report_date in demo_days
        assert not first <= anomaly.report_date <= last, anomaly
    places = [(a.report_date, a.county_code) for a in dataset.anomalies]
    assert len(places) == len(set(places))
    kinds = Counter(a.kind for a in dataset.anomalies)
    assert set(kinds) == set(AnomalyKind)
    assert 2 <= kinds[AnomalyKind.MISSING] <= 3


def test_generation_is_deterministic_and_seeded(city, dataset):
    again = generate_demo(city)
    assert again.daily.equals(dataset.daily)
    assert again.quarterly.equals(dataset.quarterly)
    other = generate_demo(city, seed=dataset.seed + 1)
    assert not other.registry["enterprise_id"].equals(dataset.registry["enterprise_id"])
    assert round(float(other.quarterly["output_value"].sum()), 1) == H1_OUTPUT_VALUE


# Writing


def test_rewriting_gives_identical_bytes_and_arrival_times(landings):
    first, second = landings
    first_files, second_files = _files(first), _files(second)
    assert first_files.keys() == second_files.keys()
    for name, path in first_files.items():
        assert path.read_bytes() == second_files[name].read_bytes(), name
        assert path.stat().st_mtime == second_files[name].stat().st_mtime, name


def test_layout_has_every_county_file_or_its_planned_anomaly(landings, dataset, city):
    landing = landings[0]
    assert (landing / "registry" / "enterprises.csv").is_file()
    anomalies = {(a.report_date, a.county_code): a.kind for a in dataset.anomalies}
    expected_files = {AnomalyKind.MISSING: 0, AnomalyKind.TWO_FILES: 2}
    for day in report_dates():
        folder = landing / "daily" / day.isoformat()
        per_county = Counter(path.name[:6] for path in folder.iterdir())
        for county in city.county_codes:
            kind = anomalies.get((day, county))
            assert per_county[county] == expected_files.get(kind, 1), (day, county)
        assert set(per_county) <= set(city.county_codes)
    for quarter in QUARTERS:
        names = sorted(path.name[:6] for path in (landing / "quarterly" / quarter).iterdir())
        assert names == sorted(city.county_codes)


def test_files_arrive_before_the_deadline_unless_planned_late(landings, dataset, city):
    landing = landings[0]
    late = {(a.report_date, a.county_code): a.arrives_at for a in dataset.anomalies}
    deadline = city.schedule.daily_deadline
    for path in (landing / "daily").rglob("*"):
        if not path.is_file():
            continue
        day = date.fromisoformat(path.parent.name)
        arrived = datetime.fromtimestamp(path.stat().st_mtime, tz=city.tz)
        planned_late = late.get((day, path.name[:6]))
        if planned_late is not None:
            assert arrived == planned_late
        else:
            assert datetime.combine(day, time(12), city.tz) <= arrived
            assert arrived < datetime.combine(day, deadline, city.tz)


def test_the_landing_mixes_csv_encodings_and_excel(landings):
    variants = set()
    for path in _files(landings[0] / "daily").values():
        content = path.read_bytes()
        if path.suffix == ".xlsx":
            assert zipfile.is_zipfile(path)
            variants.add("xlsx")
        elif path.suffix == ".xls":
            assert content.startswith(OLE_MAGIC)
            variants.add("xls")
        elif content.startswith(UTF8_BOM):
            variants.add("csv-utf8-bom")
        else:
            try:
                content.decode("utf-8")
                variants.add("csv-utf8")
            except UnicodeDecodeError:
                content.decode("gb18030")
                variants.add("csv-gb18030")
    assert variants == {"xlsx", "xls", "csv-utf8-bom", "csv-utf8", "csv-gb18030"}


def test_rewriting_removes_files_of_an_earlier_run(landings):
    assert not (landings[1] / "daily" / "2020-02-03" / "440203_stale.csv").exists()


# The real forms


def _sheet_rows(path: Path, sheet: int = 0) -> list[list]:
    return CalamineWorkbook.from_path(str(path)).get_sheet_by_index(sheet).to_python()


def _expected_cells(submission) -> list[list]:
    """The data rows as a spreadsheet shows them: 序号, then the table's values."""
    layout, rows = submission.layout, []
    for number, record in enumerate(submission.table.itertuples(index=False), start=1):
        values = record._asdict()
        cells = [number] if layout.serial_column else []
        for column in submission.columns:
            cells.append(_shown(values[column.name], column, layout.true_false))
        rows.append(cells)
    return rows


def _shown(value, column: Column, true_false: tuple[str, str]):
    if pd.isna(value):
        return ""
    if column.dtype == DATE:
        return pd.Timestamp(value).date()
    if column.dtype == "boolean":
        return true_false[0] if value else true_false[1]
    return value


def test_every_county_sends_its_layout_and_the_real_form_parts_all_appear(submissions):
    used = {s.layout for s in submissions}
    assert used == {*LAYOUT_ROTATION, FORMAT_SWITCH_LAYOUT}
    forms = [s.layout for s in submissions if s.layout.container != "csv"]
    for part in (
        "grouped_header",
        "units_row",
        "column_number_row",
        "serial_column",
        "notes_line",
        "instructions_sheet",
    ):
        assert any(getattr(layout, part) for layout in forms), part
    assert {layout.signature for layout in forms} >= {"cells", "text"}
    assert {layout.total_row for layout in forms} >= {"above", "below"}
    assert {layout.explanation_header for layout in forms} >= set(EXPLANATION_HEADERS[:2])
    # Every kind of form is sent on the published milestone days and in both quarters.
    first, last = MILESTONE_WINDOW
    in_window = {
        s.layout.name
        for s in submissions
        if s.relative_path.parts[0] == "daily"
        and first <= date.fromisoformat(s.relative_path.parts[1]) <= last
    }
    assert {"xls-wps-form", "xlsx-city-form", "xlsx-wps-grouped"} <= in_window
    quarterly = {s.layout.container for s in submissions if s.relative_path.parts[0] != "daily"}
    assert quarterly == {"csv", "xlsx", "xls"}


def test_xls_files_read_back_with_the_planned_values(landings, submissions):
    xls = [s for s in submissions if s.layout.container == "xls"]
    assert {s.layout.name for s in xls} == {"xls-wps-form", "xls-excel2003"}
    for submission in xls[::7]:
        rows = _sheet_rows(landings[0] / submission.relative_path)
        # Data rows start with their 序号; the column-number row starts with 甲.
        data = [row for row in rows if isinstance(row[0], int)]
        expected = _expected_cells(submission)
        width = len(expected[0])
        assert [row[:width] for row in data] == expected, submission.relative_path


def test_the_city_form_has_every_part_of_a_statistical_form(landings, submissions):
    submission = next(
        s
        for s in submissions
        if s.layout.name == "xlsx-city-form" and s.relative_path.parts[1:2] == ("2020-03-17",)
    )
    path = landings[0] / submission.relative_path
    workbook = CalamineWorkbook.from_path(str(path))
    assert workbook.sheet_names == ["Sheet1", INSTRUCTIONS_SHEET]
    sheet = workbook.get_sheet_by_index(0)
    rows = sheet.to_python()
    title, info, groups, headers, units, numbers, total, first = rows[:8]
    assert title[0] == submission.title and info[0].startswith("填报单位：")
    assert groups[:2] == ["序号", "填报日期"] and "职工情况（人）" in groups
    assert "防疫物资缺口" in groups and groups[-1] == "说明"
    assert headers[groups.index("职工情况（人）")] == "职工总数"
    assert headers[groups.index("防疫物资缺口") + 1] == "测温枪缺口(支)"
    assert {"人", "个", "支", "%"} <= set(units)
    assert numbers[:3] == ["甲", "乙", "丙"] and 1.0 in numbers
    assert total[4] == "合计" and first[0] == 1.0
    notes, signature = rows[-2:]
    assert notes[0].startswith("注：")
    assert [cell for cell in signature if cell] == [
        f"{label}：{value}" for label, value in submission.signature
    ]
    assert signature[0].startswith("单位负责人：")
    assert "报出日期：2020年3月17日" in signature
    group_column = groups.index("职工情况（人）")
    merges = sheet.merged_cell_ranges
    assert ((2, group_column), (2, group_column + 1)) in merges  # over its two sub-headers
    assert ((2, 0), (3, 0)) in merges  # 序号 over both header rows
    assert _sheet_rows(path, 1)[0][0] == INSTRUCTIONS_SHEET


def test_wps_forms_sign_in_one_cell(landings, submissions):
    submission = next(s for s in submissions if s.layout.name == "xls-wps-form")
    last = _sheet_rows(landings[0] / submission.relative_path)[-1]
    assert last[0].startswith("单位负责人：") and "联系电话：0751-8" in last[0]
    assert [cell for cell in last if cell] == [last[0]]


def test_counties_with_an_explanation_column_explain_their_over_capacity_rows(dataset, submissions):
    planned = {(a.report_date, a.county_code): a.kind for a in dataset.anomalies}
    explained_days = set()
    for submission in submissions:
        if EXPLANATION not in submission.columns or submission.relative_path.parts[0] != "daily":
            continue
        day = date.fromisoformat(submission.relative_path.parts[1])
        table = submission.table
        over = table["capacity_pct"] > 100
        kind = planned.get((day, str(table["county_code"].iloc[0])))
        if kind is AnomalyKind.CAPACITY_OVER_100:
            # The planned warning is one the county has not explained.
            assert table.loc[over, EXPLANATION.name].isna().any()
        elif kind is not AnomalyKind.EXPLAINED_STAFF_JUMP:
            assert (table[EXPLANATION.name].notna() == over).all(), submission.relative_path
        if over.any():
            explained_days.add(day)
    first, last = MILESTONE_WINDOW
    assert any(first <= day <= last for day in explained_days)


def test_the_explained_staff_jump_is_a_jump_the_rule_warns_about(dataset):
    (jump,) = [a for a in dataset.anomalies if a.kind is AnomalyKind.EXPLAINED_STAFF_JUMP]
    files = {
        (s.relative_path.parts[1], s.relative_path.name[:6]): s.table
        for s in plan_daily_submissions(dataset)
    }
    today = files[(jump.report_date.isoformat(), jump.county_code)].set_index("enterprise_id")
    before = files[(date(2020, 3, 30).isoformat(), jump.county_code)].set_index("enterprise_id")
    explained = today[today[EXPLANATION.name].str.startswith("新招员工", na=False)]
    assert len(explained) == 1
    now = int(explained["employees_total"].iloc[0])
    previous = int(before.loc[explained.index[0], "employees_total"])
    assert now - previous == max(STAFF_JUMP_MIN_PERSONS, round(STAFF_JUMP_SHARE * previous))
    # employees_total_day_over_day_jump warns above half and above 50 persons.
    assert now - previous > 50 and now - previous > previous / 2


def test_the_unknown_column_is_one_no_reader_alias_takes(dataset, submissions):
    (unknown,) = [a for a in dataset.anomalies if a.kind is AnomalyKind.UNKNOWN_COLUMN]
    (submission,) = [
        s
        for s in submissions
        if s.relative_path.parts[1] == unknown.report_date.isoformat()
        and s.relative_path.name.startswith(unknown.county_code)
    ]
    assert CONTACT_COLUMN in submission.columns
    assert CONTACT_COLUMN.chinese not in EXPLANATION_HEADERS
    assert submission.table[CONTACT_COLUMN.name].notna().any()


def test_the_february_difficulties_lead_with_masks_and_thermometers(dataset):
    # the bureau's letter: "主要反映为口罩、测温枪等防控物资紧缺"
    daily = dataset.daily
    february = daily[pd.to_datetime(daily["report_date"]).dt.month == 2]
    leading = kind_counts(difficulty_items(february)).head(2)
    assert list(leading["name"]) == ["口罩", "测温枪"]
