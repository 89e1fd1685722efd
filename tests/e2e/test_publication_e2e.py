"""What the DAGs publish for people to read, checked on the made-up city after two nightly
runs and one quarterly run: the official Excel tables against the warehouse, the HTML
pages (self-contained, every link resolving, rendered by a real browser), the manifests
against the files, the analyst tables, and county text that tries to be a formula."""

from __future__ import annotations

import csv
import hashlib
import html
import io
import json
import os
import re
import subprocess
from datetime import date, datetime
from pathlib import Path
from urllib.parse import unquote

import pandas as pd
import pyarrow.parquet as pq
import pytest
from openpyxl import load_workbook

from include.daily_pipeline import county_daily_table
from include.operator_cli import nightly_logical_date
from include.quarterly_pipeline import county_quarterly_table
from include.tables import county_daily, submissions_log
from include.warehouse import engine_for, read_partition
from tests.conftest import REPO
from tests.e2e.test_quarterly_e2e import EAST_Q1, NORTH_Q1, WEST_Q1, land_quarterly
from tests.e2e.tiny_city import (
    CITY,
    E1,
    E2,
    EAST,
    N1,
    NORTH,
    TZ,
    W1,
    W2,
    WEST,
    use_tiny_city,
)
from tests.html_checks import PageParts, external_references
from transforms.publish.analyst_tables import arrow_schema

FORMULA = '=HYPERLINK("http://x","y")'
MARKUP = "<img src=x onerror=alert(1)>缺测温枪"
EAST_0316 = [
    (E1, True, "2020-03-10", 100, 90, 80, 5, 0, "口罩不足"),
    (E2, False, None, 50, 0, 0, 0, 0, None),
]
EAST_0317 = [
    (E1, True, "2020-03-10", 100, 95, 85, 5, 0, FORMULA),
    (E2, True, "2020-03-17", 50, 20, 30, 0, 2, MARKUP),
]
WEST_DAYS = [
    (W1, True, "2020-03-16", 200, 100, 50, 0, 1, None),
    (W2, True, "2020-03-01", 40, 40, 100, 0, 0, None),
]
NORTH_0316 = [(N1, False, None, 30, 0, 0, 0, 0, None)]
DAYS = ["2020-03-16", "2020-03-17"]
WORKBOOK = "示例市企业复工复产情况日报表_2020-03-17.xlsx"
QUARTERLY_WORKBOOK = "示例市规上工业产值统计表_2020Q1.xlsx"
CHROMIUM = Path("/usr/bin/chromium")


def load_dag(dag_file: str, dag_id: str):
    from airflow.dag_processing.dagbag import DagBag

    bag = DagBag(dag_folder=str(REPO / "dags" / dag_file))
    assert bag.import_errors == {}
    return bag.get_dag(dag_id)


@pytest.fixture(scope="module")
def published(tmp_path_factory, airflow_db):
    """Two nightly runs (03-17: 东区 with county text, 西区 late, 北区 missing, a stray
    file) and the 2020Q1 quarterly run; yields the publish folder."""
    root = tmp_path_factory.mktemp("city")
    with pytest.MonkeyPatch.context() as patch:
        landing = use_tiny_city(root, patch)
        landing.daily_csv("2020-03-16", EAST, EAST_0316)
        landing.daily_csv("2020-03-16", WEST, WEST_DAYS)
        landing.daily_csv("2020-03-16", NORTH, NORTH_0316)
        landing.daily_csv("2020-03-17", EAST, EAST_0317)
        landing.daily_csv("2020-03-17", WEST, WEST_DAYS, arrived="21:30")
        landing.stray("2020-03-17", "990199_retired.csv")
        on_time = datetime(2020, 4, 10, 10, 0, tzinfo=TZ)
        for county, rows in ((EAST, EAST_Q1), (WEST, WEST_Q1), (NORTH, NORTH_Q1)):
            land_quarterly(root / "landing", "2020Q1", county, rows, on_time)

        daily = load_dag("city_daily_report.py", "city_daily_report")
        for day in DAYS:
            run = daily.test(logical_date=nightly_logical_date(date.fromisoformat(day)))
            assert str(run.state).endswith("success"), day
        quarterly = load_dag("city_quarterly_report.py", "city_quarterly_report")
        run = quarterly.test(run_conf={"quarter": "2020Q1"})
        assert str(run.state).endswith("success")
        yield root / "published"


def test_daily_excel_city_row_is_county_daily(published):
    sheet = load_workbook(published / "daily/2020-03-17" / WORKBOOK)["日报表"]
    assert sheet["A1"].value == "示例市企业复工复产情况日报表"
    assert sheet["A2"].value.startswith("数据日期：2020年3月17日")
    assert (sheet["D3"].value, sheet["D4"].value, sheet["H4"].value) == (
        "规上工业企业（户）",
        "在库企业",
        "复工率",
    )
    assert [sheet.cell(r, 2).value for r in range(5, 9)] == ["东区", "西区", "北区", "全市合计"]
    assert [sheet.cell(r, 3).value for r in range(5, 8)] == ["已报送", "逾期报送", "未报送"]
    city = county_daily_table("2020-03-17").set_index("county_code").loc[CITY]
    cells = {
        "enterprises_in_scope": "D8",
        "enterprises_reported": "E8",
        "enterprises_resumed": "F8",
        "resumed_today": "G8",
        "key_in_scope": "I8",
        "key_resumed": "J8",
        "employees_total": "K8",
        "employees_on_site": "L8",
        "mask_shortage": "O8",
        "thermometer_shortage": "P8",
        "difficulties_reported": "Q8",
    }
    for column, cell in cells.items():
        assert sheet[cell].value == city[column], column
        assert sheet[cell].number_format == "#,##0", column
    for column, cell, scale in (
        ("resumption_rate", "H8", 1),
        ("on_site_rate", "M8", 1),
        ("capacity_pct", "N8", 100),
    ):
        assert sheet[cell].value == pytest.approx(city[column] / scale), column
        assert sheet[cell].number_format == "0.0%", column
    assert sheet.page_setup.orientation == "landscape" and sheet.page_setup.fitToHeight == 0
    assert sheet.sheet_properties.pageSetUpPr.fitToPage and sheet.freeze_panes == "C5"
    notes = " ".join(str(sheet.cell(r, 1).value) for r in range(10, 14))
    assert "未报送：北区" in notes and "逾期报送：西区" in notes and "本表为第1版" in notes


def test_quarterly_excel_city_row_is_county_quarterly(published):
    sheet = load_workbook(published / "quarterly/2020Q1" / QUARTERLY_WORKBOOK)["产值统计表"]
    assert sheet["A1"].value == "示例市规上工业产值统计表"
    assert "2020年第一季度" in sheet["A2"].value and "单位：亿元" in sheet["A2"].value
    assert sheet["B8"].value == "全市合计"
    city = county_quarterly_table("2020Q1").set_index("county_code").loc[CITY]
    for column, cell in (("output_value", "E8"), ("value_added_ytd", "N8")):
        assert sheet[cell].value == pytest.approx(city[column] / 10_000), column
        assert sheet[cell].number_format == "#,##0.00"
    assert sheet["G8"].value == pytest.approx(city["output_yoy_pct"])
    assert sheet["D8"].value == city["enterprises_reported"]
    assert sheet.page_setup.orientation == "landscape"


def test_county_text_that_looks_like_a_formula_is_inert_in_csv_excel_and_html(published):
    folder = published / "daily/2020-03-17"
    rows = list(csv.DictReader(io.StringIO((folder / "difficulties.csv").read_text("utf-8-sig"))))
    assert [r["difficulties"] for r in rows if r["difficulties"]] == ["'" + FORMULA, MARKUP]
    sheet = load_workbook(folder / WORKBOOK)["企业反映困难"]
    cell = sheet["G5"]
    assert (cell.value, cell.data_type, cell.quotePrefix) == (FORMULA, "s", True)
    page = (folder / "report.html").read_text("utf-8")
    parts = PageParts(page)
    assert FORMULA in "".join(parts.text) and MARKUP in "".join(parts.text)
    assert "img" not in parts.tags and "http://x" not in parts.urls
    assert html.escape(MARKUP, quote=False) in page


def html_pages(published: Path) -> list[Path]:
    folders = [*published.glob("*/*/*.html"), *published.glob("*/*/receipts/*.html")]
    return [published / "index.html", *sorted(folders)]


def test_every_page_is_self_contained(published):
    pages = html_pages(published)
    # index; report + data quality per daily and quarterly; a receipt per county of each
    assert len(pages) == 1 + 2 * 3 + 3 * 3
    for page in pages:
        assert external_references(page.read_text("utf-8")) == [], page


def test_every_link_resolves(published):
    index = PageParts((published / "index.html").read_text("utf-8"))
    for period in ("daily/2020-03-16", "daily/2020-03-17", "quarterly/2020Q1"):
        assert f"{period}/report.html" in index.urls
    assert "daily_summary/2020Q1/county_quarter_daily_summary.csv" in index.urls
    for page in html_pages(published):
        text = page.read_text("utf-8")
        for url in PageParts(text).urls:
            if url.startswith("#"):
                assert f'id="{url[1:]}"' in text, f"{page}: {url}"
                continue
            # resolved as a browser does: by the page's own address, not through the symlink
            target = os.path.normpath(os.path.join(page.parent, unquote(url)))
            assert Path(target).is_file(), f"{page}: {url}"


def test_manifest_hashes_every_file_and_names_every_source(published):
    engine = engine_for(os.environ["CITYSTATS_WAREHOUSE_URL"])
    for kind, period in (("daily", "2020-03-17"), ("quarterly", "2020Q1")):
        folder = published / kind / period
        manifest = json.loads((folder / "manifest.json").read_text("utf-8"))
        on_disk = {p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()}
        on_disk -= {"manifest.json"}
        assert {f["path"] for f in manifest["files"]} == on_disk
        for entry in manifest["files"]:
            content = (folder / entry["path"]).read_bytes()
            assert hashlib.sha256(content).hexdigest() == entry["sha256"], entry["path"]
            assert len(content) == entry["bytes"]
            if entry["path"].endswith(".csv"):
                assert entry["rows"] == len(pd.read_csv(io.BytesIO(content))), entry["path"]
        assert manifest["revision"] == 1 and manifest["pipeline_version"] == "0.1.0"
        log = read_partition(engine, submissions_log, {"kind": kind, "period": period})
        log = log.set_index("county_code")
        assert [s["county_code"] for s in manifest["sources"]] == [EAST, WEST, NORTH]
        for source in manifest["sources"]:
            logged = log.loc[source["county_code"]]
            assert source["outcome"] == logged["outcome"]
            sha = logged["content_sha256"]
            assert source["content_sha256"] == (None if pd.isna(sha) else sha)
    daily = json.loads((published / "daily/2020-03-17/manifest.json").read_text("utf-8"))
    east = daily["sources"][0]
    landed = published.parent / "landing/daily/2020-03-17/990102.csv"
    assert east["file_name"] == "990102.csv"
    assert east["content_sha256"] == hashlib.sha256(landed.read_bytes()).hexdigest()
    assert east["arrived_at"] == "2020-03-17T10:00:00+00:00"  # 18:00 in the city
    assert daily["ignored_files"] == ["990199_retired.csv"]
    workbook = next(f for f in daily["files"] if f["path"] == WORKBOOK)
    # the briefing's clauses, counties + city, E1 E2 W1, the tiny city's two key enterprises
    assert workbook["sheet_rows"] == {"简报": 6, "日报表": 4, "企业反映困难": 3, "重点企业台账": 2}


def test_analyst_tables_hold_the_full_history_with_the_declared_schema(published):
    table = pq.read_table(published / "tables/county_daily.parquet")
    assert table.schema.equals(arrow_schema(county_daily), check_metadata=True)
    assert table.num_rows == 2 * 4
    engine = engine_for(os.environ["CITYSTATS_WAREHOUSE_URL"])
    warehouse_rows = read_partition(engine, county_daily, order_by=["report_date", "county_code"])
    pd.testing.assert_series_equal(
        table.to_pandas()["employees_on_site"].astype("Int64"),
        warehouse_rows["employees_on_site"],
    )
    for name in ("county_quarterly", "county_quarter_daily_summary", "submissions_log"):
        assert pq.read_table(published / f"tables/{name}.parquet").num_rows > 0, name
    dictionary = (published / "tables/data-dictionary.md").read_text("utf-8")
    assert dictionary == (REPO / "docs/data-dictionary.md").read_text("utf-8")


# Measures the rendered page from inside the browser and writes the result into the DOM,
# which --dump-dom prints: the city's trend chart (the first line chart; bar charts come
# before it) and the county table must take up real space, and the briefing must end within
# the first screen of a 1280×800 window.
MEASURE = """<script>
(() => {
  const size = (el) => { const r = el.getBoundingClientRect(); return [r.width, r.height]; };
  const chart = document.querySelector("svg.chart:not(.bars)");
  const briefing = document.querySelector("section.briefing");
  const line = chart.querySelector("polyline.series");
  const table = document.querySelector("table.county-table");
  const rows = [...table.tBodies[0].rows];
  const out = document.createElement("pre");
  out.id = "measured";
  out.textContent = JSON.stringify({
    chart: size(chart), line: size(line), lines: chart.querySelectorAll("polyline").length,
    table: size(table), rows: rows.map((r) => r.cells[0].innerText),
    briefing_bottom: briefing.getBoundingClientRect().bottom, screen: window.innerHeight,
  });
  document.body.appendChild(out);
})();
</script>"""


def chromium(*arguments: str, profile: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [
            str(CHROMIUM),
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            f"--user-data-dir={profile}",
            *arguments,
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )


def test_report_renders_in_headless_chromium(published, tmp_path):
    if not CHROMIUM.exists():
        message = f"{CHROMIUM} is not installed (Debian package chromium)"
        if os.environ.get("CITYSTATS_REQUIRE_SERVICES") == "1":
            pytest.fail(message + " and CITYSTATS_REQUIRE_SERVICES=1")
        pytest.skip(message)
    report = published / "daily/2020-03-17/report.html"
    # The page needs nothing beside it, so a measured copy can live outside the publication.
    measured_copy = tmp_path / "measured.html"
    page = report.read_text("utf-8")
    measured_copy.write_text(page.replace("</body>", MEASURE + "</body>"), encoding="utf-8")
    dom = chromium(
        "--window-size=1280,800",
        "--dump-dom",
        measured_copy.as_uri(),
        profile=tmp_path / "profile",
    ).stdout
    found = re.search(r'<pre id="measured">(.*?)</pre>', dom, re.S)
    assert found, dom[-2000:]
    layout = json.loads(html.unescape(found.group(1)))
    assert layout["chart"][0] >= 600 and layout["chart"][1] >= 250
    assert layout["line"][0] > 100 and layout["lines"] >= 2
    assert layout["table"][0] > 600 and layout["rows"] == ["东区", "西区", "北区", "全市合计"]
    assert layout["screen"] >= 600 and layout["briefing_bottom"] <= layout["screen"], layout

    screenshot = tmp_path / "report.png"
    chromium(
        "--hide-scrollbars",
        "--window-size=1280,2400",
        f"--screenshot={screenshot}",
        report.as_uri(),
        profile=tmp_path / "profile",
    )
    assert screenshot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert screenshot.stat().st_size > 50_000  # a blank page compresses to a few kilobytes


def test_receipts_tell_each_county_its_status_reasons_and_how_to_resubmit(published):
    folder = published / "daily/2020-03-17"
    east = (folder / f"receipts/{EAST}.txt").read_text("utf-8")
    west = (folder / f"receipts/{WEST}.txt").read_text("utf-8")
    north = (folder / f"receipts/{NORTH}.txt").read_text("utf-8")
    assert "状态：已报送" in east and "送达时间：2020-03-17 18:00" in east
    landed = published.parent / f"landing/daily/2020-03-17/{EAST}.csv"
    assert hashlib.sha256(landed.read_bytes()).hexdigest() in east
    assert "状态：逾期报送" in west and "是否按时：逾期" in west
    assert "状态：未报送" in north and "补报方法：" in north
    # the tiny city looks back 7 days: the nightly run of 03-24 is the last to see a new file
    assert "须在 2020-03-24 22:00 前放入" in north
    report = PageParts((folder / "report.html").read_text("utf-8"))
    assert {f"receipts/{c}.html" for c in (EAST, WEST, NORTH)} <= set(report.urls)
    quarterly = (published / f"quarterly/2020Q1/receipts/{EAST}.txt").read_text("utf-8")
    assert "报告期：2020年第一季度" in quarterly and "QUARTER=2020Q1" in quarterly
