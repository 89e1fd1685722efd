"""city_daily_report through Airflow on a date on which each of six counties sends its form in
a different real layout: .xls from Excel 2003 / WPS, .xlsx with a two-row grouped header
and merged cells, a GB18030 CSV with a 注： line, a form LibreOffice saved as .xls, an
.xlsx whose 填表说明 sheet comes first, a CSV with 序号, 说明 and a signature line. All are
accepted and county_daily equals the figures worked out by hand below.

The .xls LibreOffice writes is made in the test when `soffice` is present; without it the
same sheet is written with xlwt."""

from __future__ import annotations

import csv
import io
import shutil
import subprocess
from datetime import date, datetime

import pandas as pd
import pytest
import xlwt
from openpyxl import Workbook

from include.daily_pipeline import DAILY, county_daily_table
from include.operator_cli import nightly_logical_date
from include.submissions import report_outcomes
from tests.e2e.six_counties import (
    CHINESE_HEADER,
    ENGLISH_HEADER,
    ENTERPRISES,
    cells,
    use_six_counties,
)

DAY = "2020-03-16"
SOFFICE = shutil.which("soffice")


def rows_of(county: str, first: tuple, second: tuple) -> list[tuple]:
    """(resumed, resumed_on, total, on_site, capacity, masks, thermometers, difficulties) of the
    county's key enterprise and of its other one."""
    key, other = (e[0] for e in ENTERPRISES[county])
    return [(key, *first), (other, *second)]


ROWS = {
    "990102": rows_of(
        "990102",
        (True, "2020-03-10", 100, 90, 80, 5, 0, "口罩不足"),
        (False, None, 50, 0, 0, 0, 0, None),
    ),
    "990103": rows_of(
        "990103",
        (True, "2020-03-16", 200, 100, 50, 0, 1, None),
        (True, "2020-03-01", 40, 40, 100, 0, 0, None),
    ),
    "990104": rows_of(
        "990104",
        (False, None, 30, 0, 0, 0, 0, None),
        (True, "2020-03-12", 60, 45, 75, 10, 2, "缺少原料"),
    ),
    "990105": rows_of(
        "990105",
        (True, "2020-03-16", 80, 60, 70, 0, 0, None),
        (True, "2020-03-16", 20, 20, 100, 3, 1, "运输受阻"),
    ),
    "990106": rows_of(
        "990106",
        (True, "2020-03-02", 120, 120, 90, 0, 0, None),
        (False, None, 10, 0, 0, 0, 0, None),
    ),
    "990107": rows_of(
        "990107",
        (True, "2020-03-05", 300, 150, 40, 20, 5, "订单不足"),
        (True, "2020-03-09", 100, 50, 60, 0, 0, None),
    ),
}
COLUMNS = [
    "status",
    "enterprises_in_scope",
    "enterprises_reported",
    "enterprises_resumed",
    "resumed_today",
    "resumption_rate",
    "key_in_scope",
    "key_resumed",
    "employees_total",
    "employees_on_site",
    "capacity_pct",
    "mask_shortage",
    "thermometer_shortage",
    "difficulties_reported",
]
# By hand from ROWS: capacity is the mean over resumed rows weighted by employees_total.
EXPECTED = {
    "990102": ("accepted", 2, 2, 1, 0, 0.5, 1, 1, 150, 90, 80.0, 5, 0, 1),
    "990103": ("accepted", 2, 2, 2, 1, 1.0, 1, 1, 240, 140, 14000 / 240, 0, 1, 0),
    "990104": ("accepted", 2, 2, 1, 0, 0.5, 1, 0, 90, 45, 75.0, 10, 2, 1),
    "990105": ("accepted", 2, 2, 2, 2, 1.0, 1, 1, 100, 80, 76.0, 3, 1, 1),
    "990106": ("accepted", 2, 2, 1, 0, 0.5, 1, 1, 130, 120, 90.0, 0, 0, 0),
    "990107": ("accepted", 2, 2, 2, 0, 1.0, 1, 1, 400, 200, 45.0, 20, 5, 1),
    "990100": ("accepted", 12, 12, 9, 3, 0.75, 6, 5, 1110, 675, 62900 / 1020, 38, 9, 4),
}
UNITS = [None, None, None, None, None, None, "人", "人", "%", "个", "支", None]
FIGURES = {6, 7, 8, 9, 10}  # positions of the columns holding figures
SIGNATURE = ["单位负责人：张伟", "统计负责人：李娜", "填表人：王芳", "联系电话：0751-8123456"]


def typed(county: str) -> list[list]:
    """The county's rows with dates as dates and numbers as numbers, as a spreadsheet holds
    them."""
    out = []
    for row in ROWS[county]:
        values = cells(DAY, county, row)
        values[0] = date.fromisoformat(values[0])
        values[5] = date.fromisoformat(values[5]) if values[5] else None
        out.append([None if v == "" else v for v in values])
    return out


def column_numbers() -> list:
    stems, figures = iter("甲乙丙丁戊己庚"), iter(range(1, 6))
    return [next(figures) if i in FIGURES else next(stems) for i in range(len(CHINESE_HEADER))]


def excel_2003_xls(county: str) -> bytes:
    """As Excel 2003 or WPS saves it: a title row, one header row, dates as date cells, the
    signature across the row under the data."""
    book = xlwt.Workbook(encoding="utf-8")
    sheet = book.add_sheet("Sheet1")
    dated = xlwt.easyxf(num_format_str="YYYY-MM-DD")
    sheet.write_merge(0, 0, 0, len(CHINESE_HEADER) - 1, "示例市企业复工复产情况日报表（东区）")
    for column, header in enumerate(CHINESE_HEADER):
        sheet.write(1, column, header)
    for row, values in enumerate(typed(county), start=2):
        for column, value in enumerate(values):
            if isinstance(value, date):
                sheet.write(row, column, datetime(value.year, value.month, value.day), dated)
            elif value is not None:
                sheet.write(row, column, value)
    for column, text in enumerate([*SIGNATURE, "报出日期：2020年3月16日"]):
        sheet.write(5, column * 2, text)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def grouped_header_xlsx(county: str) -> bytes:
    """Merged title, 填报单位 and 单位 rows, a two-row header (group titles merged over their
    columns, the other headers merged over both rows), a units row, a column-number row, a
    序号 column and each signature field in its own cell."""
    headers = ["序号", *CHINESE_HEADER]
    groups = {"复工情况": (5, 6), "职工情况（人）": (7, 8), "防疫物资缺口": (10, 11)}
    book = Workbook()
    sheet = book.active
    sheet.title = "日报表"
    sheet.append(["示例市企业复工复产情况日报表（西区）"])
    sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(headers))
    sheet.append(["填报单位：西区工业和信息化局　　报告期：2020年3月16日"])
    sheet.append(["单位：人、个、支、%"])
    grouped = {p: title for title, positions in groups.items() for p in positions}
    for column, header in enumerate(headers, start=1):
        if column in grouped:
            sheet.cell(5, column, header)
        else:
            sheet.cell(4, column, header)
            sheet.merge_cells(start_row=4, start_column=column, end_row=5, end_column=column)
    for title, (first, last) in groups.items():
        sheet.cell(4, first, title)
        sheet.merge_cells(start_row=4, start_column=first, end_row=4, end_column=last)
    sheet.append([None, *UNITS])
    sheet.append([None, *column_numbers()])
    for serial, values in enumerate(typed(county), start=1):
        sheet.append([serial, *values])
    signature = [None] * len(headers)
    for i, text in enumerate([*SIGNATURE, "报出日期：2020年3月16日"]):
        signature[i * 3] = text
    sheet.append(signature)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def gb18030_csv(county: str) -> bytes:
    """Saved by Excel on a Chinese Windows: GB18030, a title line, a 合计 row, a 注： line."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(["示例市企业复工复产情况日报表（北区）"])
    writer.writerow(CHINESE_HEADER)
    for row in ROWS[county]:
        values = cells(DAY, county, row)
        values[0] = "2020年3月16日"
        writer.writerow(values)
    writer.writerow(["", "", "", "合计", "", "", 90, 45, "", 10, 2, ""])
    writer.writerow(["注：产能恢复率为当日产能占正常产能的百分比。"])
    return buffer.getvalue().encode("gb18030")


def column_numbers_first_xlsx(county: str) -> bytes:
    """An info row, one header row, the column-number row before the units row, a 合计 row
    above the data and a blank row inside it."""
    book = Workbook()
    sheet = book.active
    sheet.append(["填报单位：南区工业和信息化局"])
    sheet.append(CHINESE_HEADER)
    sheet.append(column_numbers())
    sheet.append(UNITS)
    sheet.append([None, None, None, "合计", None, None, 100, 80, None, 3, 1, None])
    first, second = typed(county)
    sheet.append(first)
    sheet.append([])
    sheet.append(second)
    sheet.append(["填表人：王芳", None, None, "联系电话：0751-8123456"])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def libreoffice_xls(county: str, tmp_path) -> bytes:
    """The column-numbers form saved by LibreOffice as BIFF8 (.xls); xlwt's BIFF8 without it."""
    source = tmp_path / "soffice" / f"{county}.xlsx"
    source.parent.mkdir()
    source.write_bytes(column_numbers_first_xlsx(county))
    if SOFFICE is None:
        return xlsx_as_xlwt(source)
    subprocess.run(
        [
            SOFFICE,
            f"-env:UserInstallation=file://{tmp_path / 'soffice-profile'}",
            "--headless",
            "--convert-to",
            "xls:MS Excel 97",
            "--outdir",
            str(source.parent),
            str(source),
        ],
        check=True,
        capture_output=True,
        timeout=180,
    )
    return source.with_suffix(".xls").read_bytes()


def xlsx_as_xlwt(source) -> bytes:
    from openpyxl import load_workbook

    book = xlwt.Workbook(encoding="utf-8")
    sheet = book.add_sheet("Sheet1")
    dated = xlwt.easyxf(num_format_str="YYYY-MM-DD")
    for r, row in enumerate(load_workbook(source).active.iter_rows(values_only=True)):
        for c, value in enumerate(row):
            if isinstance(value, datetime):
                sheet.write(r, c, value, dated)
            elif value is not None:
                sheet.write(r, c, value)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def instructions_first_xlsx(county: str) -> bytes:
    """The 填表说明 sheet first, then the data sheet with a title, a 小计 row after the data."""
    book = Workbook()
    notes = book.active
    notes.title = "填表说明"
    notes.append(["填表说明"])
    notes.append(["一、本表每日20:00前报送；“是否复工”填“是”或“否”。"])
    sheet = book.create_sheet("日报表")
    sheet.append(["示例市企业复工复产情况日报表（中区）"])
    sheet.append(CHINESE_HEADER)
    for values in typed(county):
        sheet.append(values)
    sheet.append([None, None, None, "小计", None, None, 130, 120])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def explained_csv_with_signature(county: str) -> bytes:
    """UTF-8 with BOM and the contract's English headers, plus 序号 and 说明 columns and the
    signature on one line under the data."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["序号", *ENGLISH_HEADER, "说明"])
    for serial, row in enumerate(ROWS[county], start=1):
        writer.writerow([serial, *cells(DAY, county, row), "订单减少" if serial == 1 else ""])
    writer.writerow(
        ["单位负责人：赵强　统计负责人：钱敏　填表人：孙丽　联系电话：0751-8000000　"
         "报出日期：2020年3月16日"]
    )  # fmt: skip
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


@pytest.fixture
def layouts_landing(tmp_path, monkeypatch, airflow_db):
    landing = use_six_counties(tmp_path, monkeypatch)
    files = {
        "990102": ("990102_日报.xls", excel_2003_xls("990102")),
        "990103": ("990103.xlsx", grouped_header_xlsx("990103")),
        "990104": ("990104.csv", gb18030_csv("990104")),
        "990105": ("990105_LibreOffice.xls", libreoffice_xls("990105", tmp_path)),
        "990106": ("990106.xlsx", instructions_first_xlsx("990106")),
        "990107": ("990107.csv", explained_csv_with_signature("990107")),
    }
    for name, content in files.values():
        landing._land(DAY, name, content, "18:00")
    return tmp_path


@pytest.fixture
def daily_dag(layouts_landing):
    from airflow.dag_processing.dagbag import DagBag

    from tests.conftest import REPO

    bag = DagBag(dag_folder=str(REPO / "dags" / "city_daily_report.py"))
    assert bag.import_errors == {}
    return bag.get_dag("city_daily_report")


@pytest.mark.airflow
def test_every_county_in_its_own_layout_is_accepted_with_the_hand_computed_figures(daily_dag):
    run = daily_dag.test(logical_date=nightly_logical_date(date.fromisoformat(DAY)))
    assert str(run.state).endswith("success")

    outcomes = {o["county_code"]: o for o in report_outcomes(DAILY, DAY)}
    for county, outcome in outcomes.items():
        errors = [f["reason"] for f in outcome["findings"] if f["severity"] == "error"]
        assert outcome["outcome"] == "accepted", (county, errors)
    assert outcomes["990103"]["signature"]["filled_by"] == "王芳"
    assert outcomes["990107"]["signature"]["contact_phone"] == "0751-8000000"

    table = county_daily_table(DAY).set_index("county_code")
    assert list(table.index) == [*ROWS, "990100"]
    for county, expected in EXPECTED.items():
        for column, want in zip(COLUMNS, expected, strict=True):
            got = table.loc[county, column]
            if isinstance(want, float):
                assert got == pytest.approx(want), (county, column)
            else:
                assert not pd.isna(got) and got == want, (county, column, got)
