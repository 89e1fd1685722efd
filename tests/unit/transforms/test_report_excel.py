"""The official Excel tables, opened with openpyxl as a reader's spreadsheet would open them."""

from __future__ import annotations

import io
import time
import zipfile
from dataclasses import replace
from datetime import date

import pytest
from openpyxl import load_workbook

from tests.unit.transforms.report_inputs import (
    BRIEFING,
    CITY,
    CITY_NAME,
    COMPILER,
    DAY,
    FORMULA,
    difficulties,
    ledger,
    outcomes,
    quarterly_table,
)
from tests.unit.transforms.report_inputs import daily_table as daily_rows
from transforms.publish import report_excel
from transforms.publish.report_excel import daily_workbook, quarterly_workbook

DAILY_HEADERS = [
    "序号",
    "县（市、区）",
    "报送状态",
    "在库企业",
    "报送企业",
    "已复工",
    "当日新复工",
    "复工率",
    "在库企业",
    "已复工",
    "职工总数",
    "在岗人数",
    "在岗率",
    "产能恢复率",
    "口罩（个）",
    "测温枪（支）",
    "反映困难\n企业（户）",
]


def headers(sheet) -> list[str]:
    """Each column's own header: the second header row, or the first where it spans both."""
    return [
        sheet.cell(4, column).value or sheet.cell(3, column).value
        for column in range(1, sheet.max_column + 1)
    ]


def open_daily(revision: int = 1):
    content = daily_workbook(
        CITY_NAME,
        DAY,
        daily_rows(revision),
        outcomes(),
        difficulties(),
        BRIEFING,
        ledger(),
        COMPILER,
    )
    return load_workbook(io.BytesIO(content))


def test_daily_title_headers_and_county_rows_in_order():
    sheet = open_daily()["日报表"]
    assert sheet["A1"].value == "示例市企业复工复产情况日报表"
    assert "2020年3月17日" in sheet["A2"].value and "第1版" in sheet["A2"].value
    assert sheet["D3"].value == "规上工业企业（户）" and sheet["K3"].value == "职工（人）"
    assert headers(sheet) == DAILY_HEADERS
    assert [sheet.cell(r, 2).value for r in range(5, 9)] == ["东区", "西区", "北区", "全市合计"]
    assert [sheet.cell(r, 3).value for r in range(5, 9)] == [
        "逾期报送",
        "被退回",
        "未报送",
        "部分区县未计入",
    ]


def test_daily_city_row_holds_the_published_values_with_their_formats():
    sheet = open_daily()["日报表"]
    city = daily_rows().set_index("county_code").loc[CITY]
    row = {header: sheet.cell(8, c) for c, header in enumerate(DAILY_HEADERS[:8], start=1)}
    assert row["在库企业"].value == city["enterprises_in_scope"] == 70
    assert row["已复工"].value == city["enterprises_resumed"]
    assert row["复工率"].value == pytest.approx(city["resumption_rate"])
    assert row["复工率"].number_format == "0.0%"
    assert row["在库企业"].number_format == "#,##0"
    assert sheet.cell(8, 11).value == city["employees_total"]  # 职工总数
    assert sheet.cell(8, 13).value == pytest.approx(city["on_site_rate"])
    assert sheet.cell(8, 14).value == pytest.approx(city["capacity_pct"] / 100)
    assert sheet.cell(8, 14).number_format == "0.0%"
    assert sheet.cell(8, 2).font.b


def test_daily_counts_of_a_county_not_counted_show_a_dash():
    sheet = open_daily()["日报表"]
    west = [sheet.cell(6, c).value for c in range(4, 18)]
    assert west[0] == 20  # in scope is known for every county
    assert set(west[1:5]) == {"—"}


def test_daily_print_set_up_and_frozen_header():
    for sheet in open_daily().worksheets:
        assert sheet.page_setup.orientation == "landscape"
        assert sheet.page_setup.paperSize == 9
        assert sheet.sheet_properties.pageSetUpPr.fitToPage
        # one page wide (fitToWidth absent means 1), as many pages tall as it takes
        assert (sheet.page_setup.fitToWidth or 1, sheet.page_setup.fitToHeight) == (1, 0)
        assert sheet.freeze_panes == "C5"
        assert sheet.print_title_rows == "$3:$4"
        assert "第1版" in sheet.oddFooter.left.text
    widths = open_daily()["日报表"].column_dimensions
    assert widths["B"].width > widths["A"].width


def test_daily_notes_name_the_counties_not_counted_and_the_revision():
    sheet = open_daily(revision=2)["日报表"]
    notes = "".join(str(sheet.cell(r, 1).value) for r in range(10, 14))
    assert "未报送：北区" in notes and "被退回：西区" in notes and "逾期报送：东区" in notes
    assert "本表为第2版" in notes
    assert "有警告已由县区说明：东区（警告及说明见校验报告）" in notes


def test_notes_name_the_counted_counties_whose_warnings_are_still_to_confirm():
    given = outcomes()
    east, *rest = given.counties
    (explained,) = east.findings
    pending = replace(east, findings=(replace(explained, explanations=()),))
    content = daily_workbook(
        CITY_NAME,
        DAY,
        daily_rows(),
        replace(given, counties=(pending, *rest)),
        difficulties(),
        BRIEFING,
        ledger(),
        COMPILER,
    )
    sheet = load_workbook(io.BytesIO(content))["日报表"]
    notes = "".join(str(sheet.cell(r, 1).value) for r in range(10, 14))
    assert "有警告待县区核实：东区" in notes and "已由县区说明" not in notes


def test_county_text_keeps_no_control_or_bidi_character_in_a_cell():
    text = difficulties().assign(
        enterprise_name=["东区\u202e钢铁\u202c有限公司", "东区\x07陶瓷厂"],
        difficulties=["缺口罩\n缺测温枪", "=1+1\u2066"],
    )
    content = daily_workbook(
        CITY_NAME, DAY, daily_rows(), outcomes(), text, BRIEFING, ledger(), COMPILER
    )
    sheet = load_workbook(io.BytesIO(content))["企业反映困难"]
    assert [sheet["C5"].value, sheet["C6"].value] == ["东区钢铁有限公司", "东区\ufffd陶瓷厂"]
    assert sheet["G5"].value == "缺口罩 缺测温枪"
    assert sheet["G6"].value == "=1+1" and sheet["G6"].quotePrefix


def test_difficulty_text_that_looks_like_a_formula_stays_text():
    sheet = open_daily()["企业反映困难"]
    formula_cell = sheet["G5"]
    assert formula_cell.value == FORMULA
    assert formula_cell.data_type == "s" and formula_cell.quotePrefix
    assert sheet["C6"].value == "@东区陶瓷厂" and sheet["C6"].quotePrefix
    assert sheet["E5"].value == 1500 and sheet["E5"].number_format == "#,##0"


def test_daily_workbook_is_the_same_bytes_for_the_same_data():
    first = daily_workbook(
        CITY_NAME, DAY, daily_rows(), outcomes(), difficulties(), BRIEFING, ledger(), COMPILER
    )
    again = daily_workbook(
        CITY_NAME, DAY, daily_rows(), outcomes(), difficulties(), BRIEFING, ledger(), COMPILER
    )
    assert first == again
    created = load_workbook(io.BytesIO(first)).properties.created
    assert created.date() == DAY


def test_a_workbook_written_through_temporary_files_is_the_one_written_in_memory(monkeypatch):
    def written() -> bytes:
        return daily_workbook(
            CITY_NAME, DAY, daily_rows(), outcomes(), difficulties(), BRIEFING, ledger(), COMPILER
        )

    in_memory = written()
    monkeypatch.setattr(report_excel, "IN_MEMORY_CELLS", 0)  # as a country's workbook is
    assert written() == in_memory


@pytest.mark.parametrize("zone", ["UTC", "America/New_York", "Asia/Shanghai"])
def test_every_part_of_a_workbook_carries_excels_time_whatever_the_machines_zone(zone, monkeypatch):
    # The temporary files a country's workbook goes through get this machine's local time.
    monkeypatch.setattr(report_excel, "IN_MEMORY_CELLS", 0)
    monkeypatch.setenv("TZ", zone)
    time.tzset()
    try:
        content = daily_workbook(
            CITY_NAME, DAY, daily_rows(), outcomes(), difficulties(), BRIEFING, ledger(), COMPILER
        )
    finally:
        monkeypatch.undo()
        time.tzset()
    parts = zipfile.ZipFile(io.BytesIO(content)).infolist()
    assert "xl/sharedStrings.xml" in [p.filename for p in parts]
    assert {(p.date_time, p.external_attr) for p in parts} == {((1980, 1, 1, 0, 0, 0), 0o600 << 16)}


def open_quarterly():
    content = quarterly_workbook(
        CITY_NAME, "2020Q2", date(2020, 6, 30), quarterly_table(), outcomes(), BRIEFING, COMPILER
    )
    return load_workbook(io.BytesIO(content))["产值统计表"]


def test_quarterly_title_headers_and_city_row_in_yi_yuan():
    sheet = open_quarterly()
    assert sheet["A1"].value == "示例市规上工业产值统计表"
    assert "2020年第二季度" in sheet["A2"].value and "亿元" in sheet["A2"].value
    assert sheet["E3"].value == "工业总产值（亿元）" and sheet["K3"].value == "工业增加值（亿元）"
    assert headers(sheet)[4:10] == [
        "本季度",
        "上年同期",
        "同比增长\n（%）",
        "1—6月累计",
        "上年同期累计",
        "累计同比\n增长（%）",
    ]
    city = quarterly_table().set_index("county_code").loc[CITY]
    assert sheet["B8"].value == "全市合计"
    assert sheet["E8"].value == pytest.approx(city["output_value"] / 10_000)
    assert sheet["E8"].number_format == "#,##0.00"
    assert sheet["G8"].value == pytest.approx(city["output_yoy_pct"])
    assert sheet["G8"].number_format == "0.0"
    assert sheet["H8"].value == pytest.approx(city["output_value_ytd"] / 10_000)
    assert sheet["P8"].value == pytest.approx(city["value_added_ytd_yoy_pct"])
    assert sheet["H6"].value == "—"  # 西区: year to date incomplete
    assert sheet.page_setup.orientation == "landscape"
    assert sheet.page_setup.fitToHeight == 0 and sheet.freeze_panes == "C5"


def test_the_briefing_is_the_first_sheet_and_the_workbook_opens_on_the_official_table():
    content = daily_workbook(
        CITY_NAME, DAY, daily_rows(), outcomes(), difficulties(), BRIEFING, ledger(), COMPILER
    )
    book = load_workbook(io.BytesIO(content))
    assert book.sheetnames == ["简报", "日报表", "企业反映困难", "重点企业台账"]
    assert book.active.title == "日报表"
    clauses = [book["简报"].cell(row, 2).value for row in range(5, 5 + len(BRIEFING.clauses))]
    assert clauses == list(BRIEFING.clauses)


def test_the_official_table_ends_with_the_compiler_block():
    sheet = open_daily()["日报表"]
    notes = [str(sheet.cell(r, 1).value) for r in range(1, sheet.max_row + 1)]
    assert (
        "制表单位：示例市工业和信息化局　　报出日期：2020年3月17日　　数据截至：2020年3月17日 23:30"
        in notes
    )
    headers = {str(sheet.cell(3, c).value) for c in range(1, sheet.max_column + 1)}
    assert "规上工业企业（户）" in headers and "规上工业企业（家）" not in headers
