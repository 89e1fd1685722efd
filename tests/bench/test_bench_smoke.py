"""The benchmark's synthetic city at a tiny scale (2 counties, about 3 or 40 enterprises each): the
real pipeline steps accept every county, the bare-pandas floor computes the figures the
pipeline publishes, and the libraries' floor validates and writes what the pipeline does. No
timing is asserted: the figures are `make bench`'s to print."""

from __future__ import annotations

import io
from datetime import timedelta

import numpy as np
import pytest
from python_calamine import CalamineWorkbook
from stdnum.cn import uscc

from bench.floor import (
    FIGURES,
    bare_validation,
    enterprise_sheet_rows,
    floor_county_daily,
    read_date,
    write_enterprise_sheets,
)
from bench.synthetic import CITY_CODE, Scale, generate
from include.daily_pipeline import DAILY
from include.submissions import load_suite
from tests.conftest import use_warehouse

TINY = Scale("tiny", counties=2, enterprises_per_county=3)
# Enough enterprises that some are key ones (a tenth are): the ledger sheet is not empty.
SMALL = Scale("small", counties=2, enterprises_per_county=40)


def test_the_same_seed_writes_the_same_bytes(tmp_path):
    first, second = generate(TINY, tmp_path / "a"), generate(TINY, tmp_path / "b")
    files = sorted(p.relative_to(first.root) for p in first.root.rglob("*") if p.is_file())
    assert files == sorted(
        p.relative_to(second.root) for p in second.root.rglob("*") if p.is_file()
    )
    for name in files:
        assert (first.root / name).read_bytes() == (second.root / name).read_bytes()


def test_every_county_is_accepted_and_the_floor_computes_the_published_figures(
    tmp_path, monkeypatch
):
    city = generate(TINY, tmp_path)
    assert len(city.county_codes) == 2 and CITY_CODE not in city.county_codes
    registry = (city.landing / "registry" / "enterprises.csv").read_text().splitlines()[1:]
    assert all(uscc.is_valid(line.split(",")[0]) for line in registry)

    monkeypatch.setenv("CITYSTATS_CITY_CONFIG", str(city.city_toml))
    monkeypatch.setenv("CITYSTATS_LANDING", str(city.landing))
    monkeypatch.setenv("CITYSTATS_PUBLISH", str(tmp_path / "published"))
    monkeypatch.setenv("CITYSTATS_STATE", str(tmp_path / "state"))
    use_warehouse(monkeypatch, f"sqlite:///{tmp_path / 'warehouse.sqlite'}")
    from include import daily_pipeline
    from include.context import RunContext

    run = RunContext.from_env()
    day = city.report_date.isoformat()
    (chunk,) = daily_pipeline.discover_daily_submissions(run, day)
    outcomes = daily_pipeline.check_daily_counties(run, chunk)
    assert [(o["county_code"], o["outcome"]) for o in outcomes] == [
        (code, "accepted") for code in city.county_codes
    ]
    assert all(o["findings"] == [] and o["on_time"] for o in outcomes)
    daily_pipeline.stage_daily_submissions(run, day, [outcomes])
    assert daily_pipeline.merge_daily(run, day)["status"] == "accepted"
    daily_pipeline.publish_daily(run, day)

    published = daily_pipeline.county_daily_table(day, run).set_index("county_code")
    floor = floor_county_daily(city.landing, city.report_date, CITY_CODE)
    assert list(published.index) == [*city.county_codes, CITY_CODE]
    assert published["enterprises_in_scope"].sum() == 2 * city.enterprises
    for column in FIGURES:
        np.testing.assert_allclose(
            published.loc[floor.index, column].astype(float),
            floor[column].astype(float),
            err_msg=column,
        )


def test_the_libraries_floor_validates_every_row_and_writes_each_sheets_cells(tmp_path):
    city = generate(SMALL, tmp_path)
    registry, rows = read_date(city.landing, city.report_date)
    validate = bare_validation(load_suite(DAILY))
    validate(rows)
    with pytest.raises(ValueError, match="expect_column_pair_values_a_to_be_greater_than_b"):
        validate(rows.assign(resumed_on=rows["report_date"] + timedelta(days=1)))

    difficulties, ledger = enterprise_sheet_rows(registry, rows, city.report_date)
    listed = (rows[["mask_shortage", "thermometer_shortage"]] > 0).any(axis=1) | rows[
        "difficulties"
    ].notna()
    assert len(difficulties) == 7 and len(difficulties[0]) == listed.sum()
    keys = (registry["key_enterprise"] == "是").sum()
    assert len(ledger) == 12 and len(ledger[0]) == keys > 0
    package = io.BytesIO()
    cells = write_enterprise_sheets(difficulties, ledger, package)
    assert cells == 7 * listed.sum() + 12 * keys
    workbook = CalamineWorkbook.from_filelike(io.BytesIO(package.getvalue()))
    assert workbook.sheet_names == ["企业反映困难", "重点企业台账"]
    written = [workbook.get_sheet_by_name(name).to_python() for name in workbook.sheet_names]
    assert sum(len(row) for sheet in written for row in sheet) == cells


def test_a_runs_time_goes_to_what_its_busiest_task_was_doing():
    from datetime import datetime, timedelta

    from bench.bench_backfill import run_phases

    start = datetime(2020, 3, 4, 12)

    def at(seconds: float) -> datetime:
        return start + timedelta(seconds=seconds)

    spans = [
        (at(0), at(1), at(2), at(5)),  # scheduled 0-1, queued 1-2, running 2-5
        (at(4), at(4), at(6), at(7)),  # queued 4-6 (behind the first's run until 5), runs 6-7
        (None, None, at(8), at(9)),  # a sensor's reschedule: only its run is known
    ]
    assert run_phases(start, at(10), spans) == {
        "running": 5.0,
        "queued": 2.0,
        "scheduled": 1.0,
        "between tasks": 2.0,
    }
