"""Publishing a period folder: all at once or not at all. The daily steps run as plain
functions over the made-up city (no Airflow run), then a republish is cut off mid-way."""

from __future__ import annotations

import errno
import hashlib
import json
import os
import re
import shutil
from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from include import daily_pipeline, submissions, warehouse
from include.config import load_city_config
from include.context import RunContext
from include.publish import publication
from include.publish.publication import enterprise_difficulties
from include.tables import (
    difficulty_kinds_daily,
    industry_daily,
    key_enterprise_daily,
    submissions_log,
)
from tests.e2e.tiny_city import CITY_TOML, E1, E2, EAST, N1, NORTH, W1, W2, WEST, use_tiny_city
from tests.html_checks import PageParts

DAY = "2020-03-17"
WEST_FIRST = [
    (W1, True, "2020-03-16", 200, 100, 50, 0, 1, None),
    (W2, True, "2020-03-01", 40, 40, 100, 0, 0, None),
]
WEST_CORRECTED = [WEST_FIRST[0], (W2, True, "2020-03-01", 40, 20, 100, 0, 0, None)]


@pytest.fixture
def city(tmp_path, monkeypatch):
    landing = use_tiny_city(tmp_path, monkeypatch)
    landing.daily_csv(DAY, EAST, [(E1, True, "2020-03-10", 100, 90, 80, 5, 0, "口罩不足")])
    landing.daily_csv(DAY, WEST, WEST_FIRST)
    landing.daily_csv(DAY, NORTH, [(N1, False, None, 30, 0, 0, 0, 0, None)])
    return tmp_path, landing


def merge_day() -> None:
    outcomes = [
        daily_pipeline.check_daily_counties(RunContext.from_env(), chunk)
        for chunk in daily_pipeline.discover_daily_submissions(RunContext.from_env(), DAY)
    ]
    daily_pipeline.stage_daily_submissions(RunContext.from_env(), DAY, outcomes)
    daily_pipeline.merge_daily(RunContext.from_env(), DAY)


def folder_content(folder: Path) -> dict[str, bytes]:
    """Every file under `folder` (receipts/ included) by its path inside it."""
    files = sorted(p for p in folder.rglob("*") if p.is_file())
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in files}


def manifest_matches(folder: Path) -> int:
    """The manifest's revision, after checking every file in the folder against it."""
    manifest = json.loads((folder / "manifest.json").read_text("utf-8"))
    listed = {f["path"]: f["sha256"] for f in manifest["files"]}
    assert set(listed) == set(folder_content(folder)) - {"manifest.json"}
    for name, sha in listed.items():
        assert hashlib.sha256((folder / name).read_bytes()).hexdigest() == sha, name
    return manifest["revision"]


def test_a_publish_cut_off_mid_way_leaves_the_previous_revision_whole(city, monkeypatch):
    tmp_path, landing = city
    published = tmp_path / "published"
    folder = published / "daily" / DAY
    merge_day()
    daily_pipeline.publish_daily(RunContext.from_env(), DAY)
    revision_one = folder_content(folder)
    index_before = (published / "index.html").read_bytes()
    assert manifest_matches(folder) == 1

    landing.daily_csv(DAY, WEST, WEST_CORRECTED, arrived="23:50")
    merge_day()  # revision 2 is in the warehouse; its files are about to be written
    seen_by_a_reader = []
    real_write_bytes = Path.write_bytes
    written = []

    def write_until_the_disk_fills(path: Path, content: bytes):
        if ".versions" in path.parts:
            if len(written) == 3:
                seen_by_a_reader.append(folder_content(folder))
                raise OSError(28, "No space left on device")
            written.append(path.name)
        return real_write_bytes(path, content)

    monkeypatch.setattr(Path, "write_bytes", write_until_the_disk_fills)
    with pytest.raises(OSError, match="No space left"):
        daily_pipeline.publish_daily(RunContext.from_env(), DAY)
    monkeypatch.setattr(Path, "write_bytes", real_write_bytes)

    assert seen_by_a_reader == [revision_one]  # mid-way, readers still get revision 1
    assert folder_content(folder) == revision_one  # and after the crash too
    assert manifest_matches(folder) == 1
    assert (published / "index.html").read_bytes() == index_before

    daily_pipeline.publish_daily(RunContext.from_env(), DAY)  # the retry publishes revision 2 whole
    assert manifest_matches(folder) == 2
    table = pd.read_csv(folder / "county_daily.csv", dtype={"county_code": str})
    assert table.set_index("county_code").loc[WEST, "employees_on_site"] == 120
    assert b"\xe7\xac\xac2\xe7\x89\x88" in (published / "index.html").read_bytes()  # 第2版


def test_a_workbook_written_by_a_forked_copy_publishes_the_same_bytes(city, monkeypatch):
    tmp_path, _ = city
    folder = tmp_path / "published" / "daily" / DAY
    merge_day()
    daily_pipeline.publish_daily(RunContext.from_env(), DAY)
    written_here = folder_content(folder)
    forks = []
    real_fork = os.fork

    def fork() -> int:
        forks.append(os.getpid())
        return real_fork()

    monkeypatch.setattr(publication, "WORKBOOK_BESIDE_CELLS", 0)
    monkeypatch.setattr(os, "fork", fork)
    shutil.rmtree(tmp_path / "published")
    daily_pipeline.publish_daily(RunContext.from_env(), DAY)
    assert forks == [os.getpid()]
    assert folder_content(folder) == written_here


def fill_the_disk_after(written: int, monkeypatch, under: str) -> list[str]:
    """Make every write under a path with part `under` fail with ENOSPC once `written` files
    were written there; returns the names written."""
    real_write_bytes = Path.write_bytes
    names = []

    def write(path: Path, content: bytes):
        if under in path.parts or path.name.startswith(under):
            if len(names) >= written:
                real_write_bytes(path, content[: len(content) // 2])  # a torn file, as on a disk
                raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
            names.append(path.name)
        return real_write_bytes(path, content)

    monkeypatch.setattr(Path, "write_bytes", write)
    return names


def test_a_full_publish_disk_fails_with_what_to_do_and_leaves_nothing_half_written(
    city, monkeypatch
):
    tmp_path, landing = city
    published = tmp_path / "published"
    folder, versions = published / "daily" / DAY, published / ".versions" / "daily" / DAY
    merge_day()
    daily_pipeline.publish_daily(RunContext.from_env(), DAY)
    revision_one = folder_content(folder)
    index_before = (published / "index.html").read_bytes()
    versions_before = sorted(p.name for p in versions.iterdir())

    landing.daily_csv(DAY, WEST, WEST_CORRECTED, arrived="23:50")
    merge_day()
    fill_the_disk_after(5, monkeypatch, ".versions")
    with pytest.raises(OSError) as failure:
        daily_pipeline.publish_daily(RunContext.from_env(), DAY)
    message = str(failure.value)
    assert failure.value.errno == errno.ENOSPC
    assert str(versions) in message  # which folder
    assert re.search(r"needs [\d,]+ bytes and [\d,]+ bytes are free there now", message)
    assert "version published before stays as it was" in message
    assert "Free space on that file system" in message  # what to do
    assert folder_content(folder) == revision_one
    assert manifest_matches(folder) == 1
    assert sorted(p.name for p in versions.iterdir()) == versions_before  # no .writing- left
    assert (published / "index.html").read_bytes() == index_before


def test_a_full_disk_while_the_index_is_rewritten_keeps_the_old_index_and_no_temporary(
    city, monkeypatch
):
    tmp_path, landing = city
    published = tmp_path / "published"
    merge_day()
    daily_pipeline.publish_daily(RunContext.from_env(), DAY)
    index_before = (published / "index.html").read_bytes()
    landing.daily_csv(DAY, WEST, WEST_CORRECTED, arrived="23:50")
    merge_day()
    fill_the_disk_after(0, monkeypatch, ".index.html")
    with pytest.raises(OSError, match="No space left"):
        daily_pipeline.publish_daily(RunContext.from_env(), DAY)
    assert (published / "index.html").read_bytes() == index_before
    assert [p.name for p in published.iterdir() if p.name.startswith(".index")] == []


def test_difficulties_are_the_rows_raising_a_problem_in_county_order(tmp_path):
    reported = pd.DataFrame(
        {
            "county_code": [NORTH, EAST, EAST, WEST],
            "enterprise_id": ["N1", "E2", "E1", "W1"],
            "enterprise_name": ["北", "东二", "东一", "西"],
            "mask_shortage": pd.array([0, 0, 5, 0], dtype="Int64"),
            "thermometer_shortage": pd.array([2, 0, 0, 0], dtype="Int64"),
            "difficulties": [None, "  ", None, "缺工"],
        }
    )
    config = tmp_path / "city.toml"
    config.write_text(CITY_TOML, encoding="utf-8")
    rows = enterprise_difficulties(reported, load_city_config(config))
    assert list(rows["enterprise_id"]) == ["E1", "W1", "N1"]
    assert list(rows["county_name"]) == ["东区", "西区", "北区"]


SIGNATURE = {
    "unit_head": "王局长",
    "statistics_head": "李科长",
    "reviewer": None,
    "filled_by": "张小红",
    "contact_phone": "0751-8888123",
    "reported_on": "2020年3月17日",
}


def test_each_county_gets_a_receipt_linked_from_the_report_and_the_index(city):
    tmp_path, _ = city
    merge_day()
    folder = Path(daily_pipeline.publish_daily(RunContext.from_env(), DAY))
    report = PageParts((folder / "report.html").read_text("utf-8"))
    index = PageParts((tmp_path / "published/index.html").read_text("utf-8"))
    manifest = json.loads((folder / "manifest.json").read_text("utf-8"))
    listed = {f["path"] for f in manifest["files"]}
    for code, name in ((EAST, "东区"), (WEST, "西区"), (NORTH, "北区")):
        page = (folder / f"receipts/{code}.html").read_text("utf-8")
        text = (folder / f"receipts/{code}.txt").read_text("utf-8")
        assert f"县（市、区）：{name}（{code}）" in text and f"{name}（{code}）" in page
        assert {f"receipts/{code}.html", f"receipts/{code}.txt"} <= listed
        assert f"receipts/{code}.html" in report.urls and f"receipts/{code}.txt" in report.urls
        assert f"daily/{DAY}/receipts/{code}.html" in index.urls
        assert PageParts(page).urls == [f"{code}.txt", "../report.html"]
    assert "状态：已报送" in (folder / f"receipts/{EAST}.txt").read_text("utf-8")


def test_the_forms_signature_block_reaches_the_log_the_report_and_the_receipt(city):
    _, landing = city
    east = landing.root / "daily" / DAY / f"{EAST}.csv"
    arrived = east.stat()
    footer = "单位负责人：王局长,统计负责人：李科长,填表人：张小红\n"
    footer += "联系电话：0751-8888123,报出日期：2020年3月17日\n"
    east.write_bytes(east.read_bytes() + footer.encode("utf-8"))
    os.utime(east, ns=(arrived.st_atime_ns, arrived.st_mtime_ns))
    merge_day()
    folder = Path(daily_pipeline.publish_daily(RunContext.from_env(), DAY))

    reported = {o["county_code"]: o for o in submissions.report_outcomes(daily_pipeline.DAILY, DAY)}
    assert reported[EAST]["outcome"] == "accepted" and reported[EAST]["signature"] == SIGNATURE
    assert reported[WEST]["signature"] is None and reported[NORTH]["signature"] is None
    engine = warehouse.engine_for(os.environ["CITYSTATS_WAREHOUSE_URL"])
    log = warehouse.read_partition(engine, submissions_log, {"kind": "daily", "period": DAY})
    east_row = log.set_index("county_code").loc[EAST]
    assert (east_row["filled_by"], east_row["contact_phone"]) == ("张小红", "0751-8888123")
    contacts = (folder / "report.html").read_text("utf-8").split('<table class="contacts">')[1]
    assert "<td>张小红</td><td>0751-8888123</td><td>2020年3月17日</td>" in contacts
    receipt = (folder / f"receipts/{EAST}.txt").read_text("utf-8")
    assert "  填表人：张小红\n" in receipt and "  审核人：未填写\n" in receipt


def test_the_reports_details_are_kept_per_date_for_analysts(city):
    merge_day()
    run = RunContext.from_env()
    daily_pipeline.publish_daily(run, DAY)
    partition = {"report_date": date.fromisoformat(DAY)}
    ledger = warehouse.read_partition(run.engine, key_enterprise_daily, partition)
    assert sorted(ledger["enterprise_id"]) == sorted([E1, W1])
    assert set(ledger["grid_officer"].isna()) == {True}  # the tiny registry names no officers
    kinds = warehouse.read_partition(run.engine, difficulty_kinds_daily, partition)
    assert kinds[["county_code", "kind", "kind_name", "items"]].values.tolist() == [
        [EAST, "masks", "口罩", 1]
    ]
    industries = warehouse.read_partition(
        run.engine, industry_daily, partition, order_by=["industry_code"]
    )
    # E2 (30) did not report and N1 (09) has not resumed; every county's file was accepted.
    assert industries[
        ["industry_code", "enterprises_in_scope", "enterprises_resumed"]
    ].values.tolist() == [["09", 1, 0], ["20", 1, 1], ["30", 1, 0], ["31", 1, 1], ["44", 1, 1]]
    assert industries["industry_name"].iloc[3] == "黑色金属冶炼和压延加工业"

    publication.refresh_publish_root(run)
    tables = Path(run.settings.publish) / "tables"
    for name in ("key_enterprise_daily", "difficulty_kinds_daily", "industry_daily"):
        frame = pd.read_parquet(tables / f"{name}.parquet")
        assert len(frame) == {"key_enterprise_daily": 2, "difficulty_kinds_daily": 1}.get(name, 5)
    assert "## industry_daily" in (tables / "data-dictionary.md").read_text(encoding="utf-8")


def test_the_ledger_is_the_same_whatever_order_the_dates_merged_in(city):
    _, landing = city
    earlier = "2020-03-16"
    landing.daily_csv(earlier, EAST, [(E1, True, "2020-03-10", 100, 90, 80, 5, 0, None)])
    landing.daily_csv(earlier, WEST, WEST_FIRST)
    landing.daily_csv(earlier, NORTH, [(N1, False, None, 30, 0, 0, 0, 0, None)])
    # On DAY 东区 reports only E2: its key enterprise E1 last reported the day before.
    landing.daily_csv(DAY, EAST, [(E2, True, "2020-03-01", 50, 20, 30, 0, 0, None)])
    run = RunContext.from_env()
    for day in (DAY, earlier):  # DAY merges before the earlier date is even staged
        checked = [
            daily_pipeline.check_daily_counties(run, chunk)
            for chunk in daily_pipeline.discover_daily_submissions(run, day)
        ]
        daily_pipeline.stage_daily_submissions(run, day, checked)
        daily_pipeline.merge_daily(run, day)
    for day in (earlier, DAY):  # publish keeps the dates' order (depends_on_past)
        folder = Path(daily_pipeline.publish_daily(run, day))
    ledger = pd.read_csv(folder / "key_enterprises.csv", dtype={"enterprise_id": str})
    e1 = ledger[ledger["enterprise_id"] == E1].iloc[0]
    assert e1["last_reported_on"] == earlier and e1["days_since_reported"] == 1


def test_the_ledger_reads_the_reports_a_batch_of_key_enterprises_at_a_time(city, monkeypatch):
    # E1 (东区) and W1 (西区) are the tiny city's key enterprises, both reported today
    monkeypatch.setattr(warehouse, "VALUES_PER_QUERY", 1)
    merge_day()
    folder = Path(daily_pipeline.publish_daily(RunContext.from_env(), DAY))
    ledger = pd.read_csv(folder / "key_enterprises.csv", dtype={"enterprise_id": str})
    assert sorted(ledger["enterprise_id"]) == sorted([E1, W1])
    assert ledger["days_since_reported"].tolist() == [0, 0]
    assert ledger["employees_total"].notna().all()  # each one's row of the day
