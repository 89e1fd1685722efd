"""The demo data set reproduces the city's published 2020 figures and writes a reproducible
landing zone with the planned variants and anomalies."""

from __future__ import annotations

import zipfile
from collections import Counter
from datetime import date, datetime, time
from pathlib import Path

import pytest
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
from include.demo.generator import QUARTERS, report_dates

IN_SCOPE = 473
KEY = 50
H1_OUTPUT_VALUE = 5_646_200.0
H1_VALUE_ADDED = 1_480_500.0
H1_OUTPUT_YOY_PCT = -2.3
H1_VALUE_ADDED_YOY_PCT = -0.7
UTF8_BOM = b"\xef\xbb\xbf"


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
        elif content.startswith(UTF8_BOM):
            variants.add("csv-utf8-bom")
        else:
            try:
                content.decode("utf-8")
                variants.add("csv-utf8")
            except UnicodeDecodeError:
                content.decode("gb18030")
                variants.add("csv-gb18030")
    assert variants == {"xlsx", "csv-utf8-bom", "csv-utf8", "csv-gb18030"}


def test_rewriting_removes_files_of_an_earlier_run(landings):
    assert not (landings[1] / "daily" / "2020-02-03" / "440203_stale.csv").exists()
