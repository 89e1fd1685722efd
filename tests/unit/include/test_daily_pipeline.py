"""The daily steps that decide without GX: data date, waiting, and files that cannot count."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from include import daily_pipeline
from include.config import Settings, load_city_config
from include.context import RunContext
from include.daily_pipeline import DAILY
from include.submissions import (
    _finding_of,
    _finding_rows,
    check_counties,
    discover,
    even_chunks,
)
from tests.e2e.tiny_city import CITY_TOML, E1, EAST, N1, NORTH, TZ, W1, WEST, Landing
from transforms.check.outcomes import CountyOutcome
from transforms.findings import Finding

ROW = [(E1, True, "2020-03-10", 100, 90, 80, 5, 0, None)]


@pytest.fixture
def run(tmp_path) -> RunContext:
    """The tiny city's run context, built directly: no step reads the environment."""
    config = tmp_path / "city.toml"
    config.write_text(CITY_TOML, encoding="utf-8")
    settings = Settings(
        landing=str(tmp_path / "landing"),
        publish=str(tmp_path / "published"),
        warehouse_url=f"sqlite:///{tmp_path / 'warehouse.sqlite'}",
        state=str(tmp_path / "state"),
    )
    return RunContext(load_city_config(config), settings)


@pytest.fixture
def landing(run):
    return Landing(Path(run.settings.landing))


def test_data_date_is_the_logical_date_in_the_city_timezone(run):
    # 22:00 in Shanghai on 17 March is 14:00 UTC the same day; 02:00 UTC on the 17th is
    # already 10:00 local, so both are the 17th, while 20:00 UTC on the 16th is the 17th too.
    for utc in ("2020-03-17T14:00", "2020-03-17T02:00", "2020-03-16T20:00"):
        logical = datetime.fromisoformat(utc).replace(tzinfo=UTC)
        assert daily_pipeline.report_date_of_run(run, logical, {}) == "2020-03-17"


def test_report_date_param_overrides_the_logical_date(landing, run):
    assert (
        daily_pipeline.report_date_of_run(run, None, {"report_date": "2020-02-29"}) == "2020-02-29"
    )
    with pytest.raises(ValueError, match="report_date param"):
        daily_pipeline.report_date_of_run(run, None, {"report_date": None})


def local(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=TZ)


def test_the_run_waits_for_missing_counties_until_the_cutoff(landing, run):
    landing.daily_csv("2020-03-17", EAST, ROW)

    def wait(day, now):
        return daily_pipeline.counties_landed_or_cutoff_passed(run, day, now)

    assert not wait("2020-03-17", now=local("2020-03-17T22:00"))
    assert wait("2020-03-17", now=local("2020-03-17T23:30"))  # cut-off: publish what is in
    landing.daily_csv("2020-03-17", WEST, [])
    landing.daily_csv("2020-03-17", NORTH, [])
    assert wait("2020-03-17", now=local("2020-03-17T22:00"))


def test_the_sensor_is_done_with_the_chunks_to_check_once_the_files_are_in(landing, run):
    landing.daily_csv("2020-03-17", EAST, ROW)
    waiting = daily_pipeline.landed_submissions(run, "2020-03-17", local("2020-03-17T22:00"))
    assert not waiting.is_done
    assert waiting.xcom_value is None
    done = daily_pipeline.landed_submissions(run, "2020-03-17", local("2020-03-17T23:30"))
    assert done.is_done
    assert done.xcom_value == daily_pipeline.discover_daily_submissions(run, "2020-03-17")
    items = [item for chunk in done.xcom_value for item in chunk]
    assert [item["county_code"] for item in items] == list(run.city.county_codes)
    assert [item["county_code"] for item in items if item["files"]] == [EAST]


def outcome_of(run: RunContext, county: str, day: str = "2020-03-17") -> dict:
    """The outcome as the check task hands it on (XCom), read back as stage reads it."""
    (chunk,) = discover(run, DAILY, day)
    item = next(i for i in chunk if i["county_code"] == county)
    (checked,) = check_counties(run, DAILY, [item])
    handed_on = checked.to_dict()
    assert CountyOutcome.from_dict(handed_on).to_dict() == handed_on
    return handed_on


def test_two_files_for_one_county_are_ambiguous_and_rejected(landing, run):
    landing.daily_csv("2020-03-17", EAST, ROW)
    landing.daily_csv("2020-03-17", EAST, ROW, name=f"{EAST}_补报.csv")
    outcome = outcome_of(run, EAST)
    assert outcome["outcome"] == "rejected"
    (finding,) = outcome["findings"]
    assert finding["rule"] == "ambiguous_submission"
    assert f"{EAST}.csv" in finding["reason"] and f"{EAST}_补报.csv" in finding["reason"]


def test_an_unreadable_file_is_rejected_with_its_reason_not_a_crash(landing, run):
    path = landing.daily_csv("2020-03-17", EAST, ROW)
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(64))
    outcome = outcome_of(run, EAST)
    assert outcome["outcome"] == "rejected"
    (finding,) = outcome["findings"]
    assert finding["rule"] == "unreadable_file"
    assert finding["reason"].startswith(f"{EAST}.csv：") and "PNG" in finding["reason"]


def test_no_file_is_missing_and_arrival_decides_on_time(landing, run):
    landing.daily_csv("2020-03-17", EAST, ROW, arrived="20:01")
    assert outcome_of(run, WEST)["outcome"] == "missing"
    east = outcome_of(run, EAST)
    assert east["on_time"] is False
    assert east["arrived_at"] == "2020-03-17T12:01:00+00:00"


def test_an_explained_warning_is_still_explained_when_the_report_reads_it_back():
    explained = Finding.about_rows(
        "capacity_pct_over_100", "warning", "产能恢复率超过100%", [4], ["120"], file_name="a.csv"
    ).explained_by(["新线投产, 产能提升"])
    outcomes = [CountyOutcome(EAST, "东区", "rejected", findings=(explained,))]
    (stored,) = _finding_rows(DAILY, "2020-03-17", outcomes, []).to_dict("records")
    assert _finding_of(stored) == explained


def test_counties_are_checked_in_chunks_of_the_configured_size(landing, run):
    chunked = RunContext(run.city, run.settings.model_copy(update={"check_chunk_counties": 2}))
    assert [
        [i["county_code"] for i in chunk] for chunk in discover(chunked, DAILY, "2020-03-17")
    ] == [
        [EAST, WEST],
        [NORTH],
    ]


@pytest.mark.parametrize(
    ("counties", "most", "sizes"),
    [(120, 100, [60, 60]), (2900, 100, [100] * 29), (101, 100, [51, 50]), (7, 3, [3, 2, 2])],
)
def test_chunks_are_as_few_as_the_size_allows_and_evened_out(counties, most, sizes):
    chunks = even_chunks(list(range(counties)), most)
    assert [len(chunk) for chunk in chunks] == sizes
    assert [item for chunk in chunks for item in chunk] == list(range(counties))


def test_one_chunk_tells_each_county_its_own_outcome_and_rows(landing, run):
    # The chunk's counties are validated together; what one county sent decides only its own.
    landing.daily_csv("2020-03-17", EAST, ROW)
    landing.daily_csv("2020-03-17", WEST, [(W1, True, "2020-03-10", 100, 120, 80, 5, 0, None)])
    (chunk,) = discover(run, DAILY, "2020-03-17")
    east, west, north = check_counties(run, DAILY, chunk)
    assert (east.outcome, west.outcome, north.outcome) == ("accepted", "rejected", "missing")
    assert east.rows_path and not west.rows_path
    (above,) = [f for f in west.findings if f.rule == "employees_on_site_not_above_total"]
    assert (above.file_name, above.rows) == (f"{WEST}.csv", (2,))
    assert north.findings == () and north.file_name is None


def test_each_county_of_a_chunk_is_compared_with_its_own_file_of_the_day_before(landing, run):
    landing.daily_csv("2020-03-16", EAST, [(E1, True, "2020-03-10", 300, 250, 80, 5, 0, None)])
    landing.daily_csv("2020-03-16", WEST, [(W1, True, "2020-03-10", 300, 250, 80, 5, 0, None)])
    landing.daily_csv("2020-03-16", WEST, ROW, name=f"{WEST}_补报.csv")  # which one: neither
    landing.daily_csv("2020-03-16", NORTH, ROW).write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(64))
    for county, enterprise in ((EAST, E1), (WEST, W1), (NORTH, N1)):
        landing.daily_csv("2020-03-17", county, [(enterprise, *ROW[0][1:])])
    (chunk,) = discover(run, DAILY, "2020-03-17")

    jumps = [
        [f.values for f in outcome.findings if f.rule == "employees_total_day_over_day_jump"]
        for outcome in check_counties(run, DAILY, chunk)
    ]

    assert jumps == [[("300→100",)], [], []]
