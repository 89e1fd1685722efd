"""Every accepted variant of a county file loads to the same frame; every bad one says why."""

from __future__ import annotations

import csv
import io
import random
import zipfile
from dataclasses import dataclass
from datetime import date, datetime

import openpyxl
import pandas as pd
import pytest

from transforms.ingest.readers import (
    MAX_FILE_BYTES,
    MAX_TITLE_ROWS,
    ReadLimits,
    UnreadableFile,
    read_daily_submission,
    read_daily_submissions,
    read_quarterly_submission,
    read_registry,
)
from transforms.schema import (
    DAILY_COLUMNS,
    DATE,
    EXPLANATION,
    QUARTERLY_COLUMNS,
    REGISTRY_COLUMNS,
    SOURCE_ROW,
    Column,
    column_names,
)

ID_STEEL = "91440203MA4UJ0K95H"
ID_TEXTILE = "91440203617845370C"
ID_SOLAR = "91440203MA51Q8T07X"
ID_FOUNDRY = "914402035701659412"

# In the order of DAILY_COLUMNS.
DAILY_RECORDS = (
    (date(2020, 3, 17), "440203", ID_STEEL, "韶关市武江钢铁有限公司", True, date(2020, 3, 2),
     1234, 1100, 85.5, 200, 3, "原材料供应不足"),
    (date(2020, 3, 17), "440203", ID_TEXTILE, "韶关市明华纺织有限公司", False, None,
     56, 0, 0.0, 1500, 2, "缺少口罩，无法复工"),
    (date(2020, 3, 17), "440203", ID_SOLAR, "武江区新能源科技有限公司", True, date(2020, 3, 17),
     310, 280, 100.0, 0, 0, None),
    (date(2020, 3, 17), "440203", ID_FOUNDRY, "韶关市精密铸造厂", True, date(2020, 2, 24),
     2500, 2350, 120.25, 12000, 0, "订单不足"),
)  # fmt: skip

QUARTERLY_RECORDS = (
    ("2020Q1", "440204", ID_STEEL, "韶关市武江钢铁有限公司", "31", 12345.6, 2345.6, 15000.0,
     3000.0),
    ("2020Q1", "440204", ID_TEXTILE, "韶关市明华纺织有限公司", "06", 880.0, 120.5, 1000.0, 150.0),
    ("2020Q1", "440204", ID_SOLAR, "武江区新能源科技有限公司", "38", 0.0, 0.0, 250.25, 40.0),
)  # fmt: skip

REGISTRY_RECORDS = (
    (ID_STEEL, "韶关市武江钢铁有限公司", "440203", True, "31", date(2015, 1, 1), None,
     "王网格", "13800000001"),
    (ID_TEXTILE, "韶关市明华纺织有限公司", "440204", False, "06", date(2018, 6, 30),
     date(2020, 2, 29), None, None),
    (ID_SOLAR, "武江区新能源科技有限公司", "440205", False, "38", date(2019, 12, 1), None,
     None, None),
)  # fmt: skip

DAILY_TITLE = "韶关市企业复工复产情况日报表（武江区）"


def chinese_label(name: str) -> str:
    """A column's header as the reader's reasons name it: the Chinese, without its unit."""
    column = next(c for c in (*DAILY_COLUMNS, *QUARTERLY_COLUMNS) if c.name == name)
    return column.chinese.split("(")[0]


PERCENT_COLUMNS = {"capacity_pct"}


def expected_frame(columns: tuple[Column, ...], records) -> pd.DataFrame:
    """The canonical frame of `records`; a county's form also has an empty explanation."""
    data = {}
    for index, column in enumerate(columns):
        values = pd.Series([record[index] for record in records], dtype="object")
        if column.dtype == DATE:
            data[column.name] = pd.to_datetime(values).astype(DATE)
        else:
            data[column.name] = values.astype(column.dtype)
    if columns is not REGISTRY_COLUMNS:
        data[EXPLANATION.name] = pd.Series([None] * len(records), dtype="str")
    return pd.DataFrame(data)


def frame_columns(columns: tuple[Column, ...]) -> list[str]:
    names = [SOURCE_ROW, *column_names(columns)]
    return names if columns is REGISTRY_COLUMNS else [*names, EXPLANATION.name]


# --- writing the variants ------------------------------------------------------------------


@dataclass(frozen=True)
class Formatted:
    """An XLSX cell value with a number format (what Excel stores for a cell showing 85.5%)."""

    value: object
    number_format: str


def csv_bytes(rows, encoding: str = "utf-8", line_end: str = "\n") -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator=line_end).writerows(rows)
    return buffer.getvalue().encode(encoding)


def xlsx_bytes(rows, merged: tuple[str, ...] = (), later_sheet_rows=()) -> bytes:
    workbook = openpyxl.Workbook()
    _fill(workbook.active, rows)
    for cell_range in merged:
        workbook.active.merge_cells(cell_range)
    if later_sheet_rows:
        _fill(workbook.create_sheet("说明"), later_sheet_rows)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _fill(sheet, rows) -> None:
    for row_number, row in enumerate(rows, start=1):
        for column_number, value in enumerate(row, start=1):
            if isinstance(value, Formatted):
                cell = sheet.cell(row_number, column_number, value.value)
                cell.number_format = value.number_format
            elif value not in (None, ""):
                sheet.cell(row_number, column_number, value)


def grid(columns, records, headers, cell, order=None) -> list[list]:
    order = list(order or range(len(columns)))
    rows = [[headers[i] for i in order]]
    rows += [[cell(columns[i].name, record[i]) for i in order] for record in records]
    return rows


def english(columns) -> list[str]:
    return [c.name for c in columns]


def chinese(columns) -> list[str]:
    return [c.chinese for c in columns]


def messy_chinese(columns) -> list[str]:
    """Stray and full-width spaces, full-width parentheses, as hand-made forms have them."""
    return [
        f" {c.chinese.replace('(', '（').replace(')', '）').replace('企业名称', '企业 名称')}\u3000"
        for c in columns
    ]


def shuffled(columns) -> list[int]:
    order = random.Random(2020).sample(range(len(columns)), len(columns))
    assert order != sorted(order)
    return order


def as_program_writes(name, value):
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def as_chinese_excel_writes(name, value):
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, date):
        return f"{value.year}年{value.month}月{value.day}日"
    if name in PERCENT_COLUMNS:
        return f"{value}%"
    if name == "industry_code":
        return value.lstrip("0")  # Excel took the code for a number
    if isinstance(value, int | float):
        return f"{value:,}"
    return as_program_writes(name, value)


def as_mixed_case_yes_no(name, value):
    if isinstance(value, bool):
        return "YES" if value else "no"
    return as_program_writes(name, value)


def as_native_cells(name, value):
    if isinstance(value, bool):
        return int(value)
    if name in {"county_code", "industry_code"}:
        return int(value)
    if name in PERCENT_COLUMNS:
        return Formatted(value / 100, "0.0%")
    return value


def as_y_n_and_slash_dates(name, value):
    if isinstance(value, bool):
        return "y" if value else "N"
    if isinstance(value, date):
        return f"{value.year}/{value.month}/{value.day}"
    return value


def total_row(columns, marker: str = "合计") -> list:
    return [marker if c.name == "enterprise_name" else None for c in columns]


def daily_csv(rows=None) -> bytes:
    return csv_bytes(rows or english_daily_grid())


def file_holding(rows, raw: object) -> tuple[bytes, str]:
    """A string value goes through CSV text; any other value needs a native XLSX cell."""
    if isinstance(raw, str):
        return csv_bytes(rows), "440203.csv"
    return xlsx_bytes(rows), "440203.xlsx"


def english_daily_grid() -> list[list]:
    return grid(DAILY_COLUMNS, DAILY_RECORDS, english(DAILY_COLUMNS), as_program_writes)


# --- every accepted variant loads to the same frame ----------------------------------------


def daily_variants():
    width = len(DAILY_COLUMNS)
    yield pytest.param("440203.csv", daily_csv(), [2, 3, 4, 5], id="utf8-csv-english")
    yield pytest.param(
        "440203_武江区.csv",
        csv_bytes(
            grid(
                DAILY_COLUMNS,
                DAILY_RECORDS,
                messy_chinese(DAILY_COLUMNS),
                as_mixed_case_yes_no,
                shuffled(DAILY_COLUMNS),
            ),
            "utf-8-sig",
            line_end="\r\n",
        ),
        [2, 3, 4, 5],
        id="utf8-bom-csv-chinese-shuffled-messy-headers",
    )
    yield pytest.param(
        "440203.csv",
        csv_bytes(
            [
                [DAILY_TITLE] + [""] * (width - 1),
                *grid(
                    DAILY_COLUMNS, DAILY_RECORDS, chinese(DAILY_COLUMNS), as_chinese_excel_writes
                ),
                total_row(DAILY_COLUMNS),
            ],
            "gb18030",
            line_end="\r\n",
        ),
        [3, 4, 5, 6],
        id="gb18030-csv-chinese-title-total",
    )
    header, *records = grid(DAILY_COLUMNS, DAILY_RECORDS, chinese(DAILY_COLUMNS), as_native_cells)
    yield pytest.param(
        "440203_日报.xlsx",
        xlsx_bytes(
            [
                [DAILY_TITLE],
                ["填报单位：武江区工业和信息化局", None, None, "单位：人、个"],
                header,
                *records[:2],
                [],
                *records[2:],
                total_row(DAILY_COLUMNS, "总 计"),
                [],
                [],
            ],
            merged=("A1:L1",),
            later_sheet_rows=[["说明"], ["本表每日20时前报送"]],
        ),
        [4, 5, 7, 8],
        id="xlsx-merged-title-note-total-blank-rows-native-cells",
    )
    yield pytest.param(
        "440203.xlsx",
        xlsx_bytes(
            grid(DAILY_COLUMNS, DAILY_RECORDS, english(DAILY_COLUMNS), as_y_n_and_slash_dates)
        ),
        [2, 3, 4, 5],
        id="xlsx-y-n-slash-dates",
    )


@pytest.mark.parametrize(("file_name", "content", "source_rows"), daily_variants())
def test_daily_variant_loads_to_the_canonical_frame(file_name, content, source_rows):
    result = read_daily_submission(content, file_name)

    assert result.findings == ()
    assert list(result.frame.columns) == frame_columns(DAILY_COLUMNS)
    assert result.frame[SOURCE_ROW].dtype == "Int64"
    assert result.frame[SOURCE_ROW].tolist() == source_rows
    pd.testing.assert_frame_equal(
        result.frame.drop(columns=SOURCE_ROW), expected_frame(DAILY_COLUMNS, DAILY_RECORDS)
    )


def quarterly_variants():
    yield pytest.param(
        "440204.csv",
        csv_bytes(
            grid(
                QUARTERLY_COLUMNS, QUARTERLY_RECORDS, english(QUARTERLY_COLUMNS), as_program_writes
            )
        ),
        [2, 3, 4],
        id="utf8-csv-english",
    )
    lower_case_codes = [
        (record[0].lower(), record[1], record[2].lower(), *record[3:])
        for record in QUARTERLY_RECORDS
    ]
    yield pytest.param(
        "440204_浈江区_季报.csv",
        csv_bytes(
            grid(
                QUARTERLY_COLUMNS,
                lower_case_codes,
                messy_chinese(QUARTERLY_COLUMNS),
                as_chinese_excel_writes,
                shuffled(QUARTERLY_COLUMNS),
            ),
            "gb18030",
            line_end="\r\n",
        ),
        [2, 3, 4],
        id="gb18030-csv-chinese-thousands-lost-zero-lower-case",
    )
    header, *records = grid(
        QUARTERLY_COLUMNS, QUARTERLY_RECORDS, chinese(QUARTERLY_COLUMNS), as_native_cells
    )
    yield pytest.param(
        "440204.xlsx",
        xlsx_bytes(
            [
                ["韶关市规上工业企业季报（浈江区）"],
                [],
                header,
                *records,
                total_row(QUARTERLY_COLUMNS),
            ],
            merged=("A1:I1",),
        ),
        [4, 5, 6],
        id="xlsx-title-total-numeric-codes",
    )


@pytest.mark.parametrize(("file_name", "content", "source_rows"), quarterly_variants())
def test_quarterly_variant_loads_to_the_canonical_frame(file_name, content, source_rows):
    result = read_quarterly_submission(content, file_name)

    assert result.findings == ()
    assert list(result.frame.columns) == frame_columns(QUARTERLY_COLUMNS)
    assert result.frame[SOURCE_ROW].tolist() == source_rows
    pd.testing.assert_frame_equal(
        result.frame.drop(columns=SOURCE_ROW), expected_frame(QUARTERLY_COLUMNS, QUARTERLY_RECORDS)
    )


def registry_variants():
    yield pytest.param(
        csv_bytes(
            grid(REGISTRY_COLUMNS, REGISTRY_RECORDS, english(REGISTRY_COLUMNS), as_program_writes)
        ),
        id="utf8-csv-english",
    )
    yield pytest.param(
        csv_bytes(
            grid(
                REGISTRY_COLUMNS,
                REGISTRY_RECORDS,
                chinese(REGISTRY_COLUMNS),
                as_y_n_and_slash_dates,
                shuffled(REGISTRY_COLUMNS),
            ),
            "utf-8-sig",
        ),
        id="utf8-bom-csv-chinese-shuffled",
    )
    yield pytest.param(
        csv_bytes(
            grid(
                REGISTRY_COLUMNS,
                REGISTRY_RECORDS,
                chinese(REGISTRY_COLUMNS),
                as_chinese_excel_writes,
            ),
            "gb18030",
        ),
        id="gb18030-csv-chinese",
    )


@pytest.mark.parametrize("content", registry_variants())
def test_registry_variant_loads_to_the_canonical_frame(content):
    result = read_registry(content)

    assert result.findings == ()
    assert list(result.frame.columns) == frame_columns(REGISTRY_COLUMNS)
    assert result.frame[SOURCE_ROW].tolist() == [2, 3, 4]
    pd.testing.assert_frame_equal(
        result.frame.drop(columns=SOURCE_ROW), expected_frame(REGISTRY_COLUMNS, REGISTRY_RECORDS)
    )


@pytest.mark.parametrize(
    "spelling",
    [
        "Employees Total",
        "EMPLOYEES_TOTAL",
        "职工总数",
        " 职工 总数\u3000",
        "ｅｍｐｌｏｙｅｅｓ＿ｔｏｔａｌ",
    ],
)
def test_header_spellings_are_recognised(spelling):
    rows = english_daily_grid()
    rows[0][rows[0].index("employees_total")] = spelling

    result = read_daily_submission(daily_csv(rows), "440203.csv")

    assert result.findings == ()
    pd.testing.assert_frame_equal(
        result.frame.drop(columns=SOURCE_ROW), expected_frame(DAILY_COLUMNS, DAILY_RECORDS)
    )


@pytest.mark.parametrize("spelling", ["产能恢复率（％）", "产能恢复率(%)", "产能恢复率"])
def test_unit_in_a_chinese_header_may_be_written_any_way_or_left_out(spelling):
    rows = english_daily_grid()
    rows[0][rows[0].index("capacity_pct")] = spelling

    result = read_daily_submission(daily_csv(rows), "440203.csv")

    assert result.findings == ()
    assert result.frame["capacity_pct"].tolist() == [85.5, 0.0, 100.0, 120.25]


@pytest.mark.parametrize(
    ("title_rows", "readable"), [(MAX_TITLE_ROWS, True), (MAX_TITLE_ROWS + 1, False)]
)
def test_header_is_found_below_at_most_the_allowed_title_rows(title_rows, readable):
    rows = [[f"说明{n}"] for n in range(title_rows)] + english_daily_grid()
    content = daily_csv(rows)

    if readable:
        assert (
            read_daily_submission(content, "440203.csv").frame[SOURCE_ROW].iloc[0] == title_rows + 2
        )
    else:
        with pytest.raises(UnreadableFile, match="找不到表头"):
            read_daily_submission(content, "440203.csv")


def with_sheet_xml_edited(workbook: bytes, old: bytes, new: bytes) -> bytes:
    """The workbook with its first sheet's XML edited, as other exporters write it."""
    edited = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(workbook)) as source, zipfile.ZipFile(edited, "w") as copy:
        for item in source.infolist():
            data = source.read(item)
            if item.filename == "xl/worksheets/sheet1.xml":
                assert old in data
                data = data.replace(old, new)
            copy.writestr(item, data)
    return edited.getvalue()


def test_workbook_whose_stored_dimensions_undercount_its_rows_is_read_whole():
    workbook = with_sheet_xml_edited(
        xlsx_bytes(english_daily_grid()), b'<dimension ref="A1:L5"', b'<dimension ref="A1:L2"'
    )

    frame = read_daily_submission(workbook, "440203.xlsx").frame

    assert frame[SOURCE_ROW].tolist() == [2, 3, 4, 5]


def test_code_stored_as_a_float_in_exponent_form_reads_as_its_digits():
    rows = english_daily_grid()
    rows[1][rows[0].index("county_code")] = 440203
    workbook = with_sheet_xml_edited(xlsx_bytes(rows), b"<v>440203</v>", b"<v>4.40203E5</v>")

    frame = read_daily_submission(workbook, "440203.xlsx").frame

    assert frame["county_code"].tolist() == ["440203"] * 4


# --- cell values -----------------------------------------------------------------------------


def read_single_value(column: str, raw: object):
    """Read the canonical file with the first record's `column` replaced by `raw`."""
    rows = english_daily_grid()
    rows[1][rows[0].index(column)] = raw
    result = read_daily_submission(*file_holding(rows, raw))
    return result.frame.loc[0, column], result.findings


@pytest.mark.parametrize(
    "raw",
    ["2020-03-17", "2020-3-17", "2020/3/17", "2020/03/17", "2020年3月17日", "2020 年 3 月 17 日",
     "2020.3.17", "2020-03-17 00:00:00", " 2020-03-17 ", datetime(2020, 3, 17),
     datetime(2020, 3, 17, 9, 30), date(2020, 3, 17), 43907, 43907.6],
)  # fmt: skip
def test_dates(raw):
    value, findings = read_single_value("report_date", raw)

    assert findings == ()
    assert value == pd.Timestamp("2020-03-17")


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("是", True), ("否", False), ("Y", True), ("n", False), ("Yes", True), ("NO", False),
     ("TRUE", True), ("false", False), ("1", True), ("0", False), ("Ｙ", True),
     (True, True), (False, False), (1, True), (0, False)],
)  # fmt: skip
def test_booleans(raw, expected):
    value, findings = read_single_value("resumed", raw)

    assert findings == ()
    assert value == expected


@pytest.mark.parametrize(
    ("column", "raw", "expected"),
    [("employees_total", "1,234", 1234), ("employees_total", " 1234 ", 1234),
     ("employees_total", "1234.0", 1234), ("employees_total", 1234.0, 1234),
     ("employees_total", "１２３４", 1234), ("employees_total", "-5", -5),
     ("capacity_pct", "85.5", 85.5), ("capacity_pct", "85.5%", 85.5),
     ("capacity_pct", "85.5 ％", 85.5), ("capacity_pct", Formatted(0.855, "0.0%"), 85.5),
     ("capacity_pct", Formatted(1.2, "0%"), 120.0), ("capacity_pct", 85.5, 85.5),
     ("capacity_pct", "1,085.5", 1085.5)],
)  # fmt: skip
def test_numbers(column, raw, expected):
    value, findings = read_single_value(column, raw)

    assert findings == ()
    assert value == expected


@pytest.mark.parametrize(
    ("column", "raw", "expected"),
    [("county_code", 440203, "440203"), ("county_code", 440203.0, "440203"),
     ("county_code", " 440203\u3000", "440203"), ("county_code", "４４０２０３", "440203"),
     ("enterprise_id", " 91440203ma4uj0k95h ", ID_STEEL),
     ("enterprise_name", " 韶关市武江钢铁有限公司（集团） ", "韶关市武江钢铁有限公司（集团）"),
     ("difficulties", "  ", None), ("difficulties", 404, "404")],
)  # fmt: skip
def test_text_and_codes(column, raw, expected):
    value, findings = read_single_value(column, raw)

    assert findings == ()
    assert (pd.isna(value) and expected is None) or value == expected


@pytest.mark.parametrize(("raw", "expected"), [(6, "06"), (6.0, "06"), ("6", "06"), ("31", "31")])
def test_industry_code_keeps_its_leading_zero(raw, expected):
    rows = grid(QUARTERLY_COLUMNS, QUARTERLY_RECORDS, english(QUARTERLY_COLUMNS), as_program_writes)
    rows[1][rows[0].index("industry_code")] = raw
    frame = read_quarterly_submission(*file_holding(rows, raw)).frame

    assert frame.loc[0, "industry_code"] == expected


@pytest.mark.parametrize(
    ("column", "raw"),
    [("employees_total", "abc"), ("employees_total", "12.5"), ("employees_on_site", "1,23"),
     ("mask_shortage", "12%"), ("mask_shortage", "99999999999999999999"),
     ("capacity_pct", "high"), ("capacity_pct", "85,5"), ("resumed", "maybe"),
     ("resumed", "2"), ("resumed_on", "2020-13-45"), ("report_date", "17/03/2020"),
     ("report_date", "20200317"), ("report_date", "2020-03-17x"),
     ("employees_total", date(2020, 3, 17)), ("resumed", 2), ("report_date", -1)],
)  # fmt: skip
def test_unparseable_value_becomes_missing_with_an_error_naming_row_and_value(column, raw):
    rows = english_daily_grid()
    rows[2][rows[0].index(column)] = raw
    content, name = file_holding(rows, raw)

    result = read_daily_submission(content, name)

    expected = expected_frame(DAILY_COLUMNS, DAILY_RECORDS)
    expected.loc[1, column] = None
    pd.testing.assert_frame_equal(result.frame.drop(columns=SOURCE_ROW), expected)
    [finding] = result.findings
    assert (finding.rule, finding.severity, finding.column) == (
        f"unparseable_{column}",
        "error",
        column,
    )
    assert (finding.rows, finding.values) == ((3,), (str(raw),))
    assert finding.file_name == name
    assert chinese_label(column) in finding.message


def test_unparseable_values_of_a_column_are_one_finding_with_every_row():
    rows = english_daily_grid()
    total = rows[0].index("employees_total")
    rows[1][total], rows[4][total] = "abc", "一百"

    result = read_daily_submission(daily_csv(rows), "440203.csv")

    [finding] = result.findings
    assert (finding.rows, finding.values, finding.row_count) == ((2, 5), ("abc", "一百"), 2)
    assert result.frame["employees_total"].isna().tolist() == [True, False, False, True]


def with_cell(column: str, raw: object, record: int = 1) -> tuple[str, bytes]:
    rows = english_daily_grid()
    rows[record][rows[0].index(column)] = raw
    content, name = file_holding(rows, raw)
    return name, content


def test_files_read_together_are_each_read_as_alone():
    files = [
        *((name, content) for name, content, _ in (v.values for v in daily_variants())),
        with_cell("employees_total", 1),
        with_cell("employees_total", True),  # a boolean cell is its text, TRUE, not 1
        with_cell("employees_total", "abc"),
        with_cell("capacity_pct", Formatted(0.855, "0.0%")),
        with_cell("capacity_pct", 0.855),
        with_cell("difficulties", "缺" * 2_000),  # over the cell limit below
        ("440203.png.csv", PNG),
        with_cell("report_date", "2020-13-45", record=3),
    ]
    limits = ReadLimits(max_cell_chars=1_000)

    together = read_daily_submissions(files, limits)

    assert len(together) == len(files)
    for (name, content), result in zip(files, together, strict=True):
        try:
            alone = read_daily_submission(content, name, limits)
        except UnreadableFile as problem:
            assert isinstance(result, UnreadableFile)
            assert (result.file_name, result.problem) == (problem.file_name, problem.problem)
            continue
        assert (result.findings, result.signature) == (alone.findings, alone.signature)
        pd.testing.assert_frame_equal(result.frame, alone.frame, check_exact=True)
    assert [type(r).__name__ for r in together[-3:]] == ["UnreadableFile"] * 2 + ["ReadResult"]
    assert together[6].findings[0].rule == "unparseable_employees_total"


# --- columns ---------------------------------------------------------------------------------


def test_unknown_columns_are_ignored_with_a_warning_naming_them():
    rows = [[*row, "", ""] for row in english_daily_grid()]
    rows[0][-2], rows[0][-1] = "联系人", "Contact"

    result = read_daily_submission(daily_csv(rows), "440203.csv")

    pd.testing.assert_frame_equal(
        result.frame.drop(columns=SOURCE_ROW), expected_frame(DAILY_COLUMNS, DAILY_RECORDS)
    )
    [finding] = result.findings
    assert (finding.rule, finding.severity, finding.values) == (
        "unknown_columns",
        "warning",
        ("联系人", "Contact"),
    )
    assert "联系人" in finding.describe()


@pytest.mark.parametrize("header", ["序号", "序 号", "行次"])
def test_a_serial_number_column_is_dropped_silently(header):
    rows = [[str(number), *row] for number, row in enumerate(english_daily_grid())]
    rows[0][0] = header

    result = read_daily_submission(daily_csv(rows), "440203.csv")

    assert result.findings == ()
    pd.testing.assert_frame_equal(
        result.frame.drop(columns=SOURCE_ROW), expected_frame(DAILY_COLUMNS, DAILY_RECORDS)
    )


@pytest.mark.parametrize("header", ["说明", "备注", "上报说明", "remarks", "explanation"])
def test_an_explanation_column_is_read_beside_the_schema(header):
    rows = [[*row, ""] for row in english_daily_grid()]
    rows[0][-1] = header
    rows[4][-1] = " 新增生产线，产能超设计值 "

    result = read_daily_submission(daily_csv(rows), "440203.csv")

    assert result.findings == ()
    assert result.frame[EXPLANATION.name].tolist()[3] == "新增生产线，产能超设计值"
    assert result.frame[EXPLANATION.name].isna().tolist() == [True, True, True, False]


@pytest.mark.parametrize(
    ("dropped", "rule", "severity"),
    [("employees_total", "missing_columns", "error"),
     ("difficulties", "missing_optional_columns", "warning")],
)  # fmt: skip
def test_missing_column_is_reported_and_read_as_empty(dropped, rule, severity):
    position = english_daily_grid()[0].index(dropped)
    rows = [row[:position] + row[position + 1 :] for row in english_daily_grid()]

    result = read_daily_submission(daily_csv(rows), "440203.csv")

    assert result.frame[dropped].isna().all()
    assert list(result.frame.columns) == frame_columns(DAILY_COLUMNS)
    [finding] = result.findings
    assert (finding.rule, finding.severity) == (rule, severity)
    assert chinese_label(dropped) in finding.message and finding.rows == (1,)


def test_a_column_given_twice_is_an_error_and_the_first_is_read():
    rows = [[*row, "999"] for row in english_daily_grid()]
    rows[0][-1] = "职工总数"

    result = read_daily_submission(daily_csv(rows), "440203.csv")

    assert result.frame["employees_total"].tolist() == [1234, 56, 310, 2500]
    [finding] = result.findings
    assert (finding.rule, finding.severity, finding.values) == (
        "duplicate_columns",
        "error",
        ("职工总数",),
    )


# --- rows ------------------------------------------------------------------------------------


def test_total_rows_blank_rows_and_empty_template_rows_are_not_data():
    numbered = [[str(number), *row] for number, row in enumerate(english_daily_grid())]
    numbered[0][0] = "序号"
    blank_template_row = ["5"] + [""] * len(DAILY_COLUMNS)
    rows = [
        *numbered[:3],
        [""] * len(numbered[0]),
        *numbered[3:],
        ["", *total_row(DAILY_COLUMNS, "总 计")],
        blank_template_row,
    ]

    frame = read_daily_submission(daily_csv(rows), "440203.csv").frame

    assert frame[SOURCE_ROW].tolist() == [2, 3, 5, 6]
    pd.testing.assert_frame_equal(
        frame.drop(columns=SOURCE_ROW), expected_frame(DAILY_COLUMNS, DAILY_RECORDS)
    )


def test_a_row_named_like_a_total_but_with_an_enterprise_id_is_data():
    rows = english_daily_grid()
    rows[1][rows[0].index("enterprise_name")] = "合计"

    frame = read_daily_submission(daily_csv(rows), "440203.csv").frame

    assert frame["enterprise_name"].iloc[0] == "合计"
    assert len(frame) == len(DAILY_RECORDS)


def test_source_row_counts_a_quoted_multi_line_value_as_one_row():
    rows = english_daily_grid()
    rows[1][rows[0].index("difficulties")] = "缺口罩\n缺测温枪"

    frame = read_daily_submission(daily_csv(rows), "440203.csv").frame

    assert frame[SOURCE_ROW].tolist() == [2, 3, 4, 5]
    assert frame["difficulties"].iloc[0] == "缺口罩\n缺测温枪"


@pytest.mark.parametrize(
    ("reader", "columns"),
    [(read_daily_submission, DAILY_COLUMNS), (read_quarterly_submission, QUARTERLY_COLUMNS),
     (read_registry, REGISTRY_COLUMNS)],
)  # fmt: skip
def test_header_only_file_is_an_empty_typed_frame(reader, columns):
    result = reader(csv_bytes([chinese(columns)]), "440203.csv")

    assert result.findings == ()
    assert len(result.frame) == 0
    assert result.frame.dtypes.to_dict() == {
        SOURCE_ROW: "Int64",
        **{c.name: c.dtype for c in columns},
        **({} if columns is REGISTRY_COLUMNS else {EXPLANATION.name: "str"}),
    }


# --- unreadable files ------------------------------------------------------------------------


def gb18030_daily() -> bytes:
    return csv_bytes(
        grid(DAILY_COLUMNS, DAILY_RECORDS, chinese(DAILY_COLUMNS), as_chinese_excel_writes),
        "gb18030",
    )


def zip_of(name: str, content: bytes) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(name, content)
    return buffer.getvalue()


PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01"


def unreadable_files():
    workbook = xlsx_bytes(english_daily_grid())
    utf8 = daily_csv()
    gb18030 = gb18030_daily()
    utf8_chinese = daily_csv(
        grid(DAILY_COLUMNS, DAILY_RECORDS, chinese(DAILY_COLUMNS), as_program_writes)
    )
    quarterly = csv_bytes(
        grid(QUARTERLY_COLUMNS, QUARTERLY_RECORDS, chinese(QUARTERLY_COLUMNS), as_program_writes)
    )
    cases = [
        ("empty", ".csv", b"", "空文件"),
        ("blank-lines", ".csv", b"\xef\xbb\xbf\n  \r\n,,,\n\n", "没有任何内容"),
        ("blank-sheets", ".xlsx", xlsx_bytes([], later_sheet_rows=[[], []]), "没有任何内容"),
        ("png-as-csv", ".csv", PNG, "文件名是 .csv，内容却是PNG 图片"),
        ("png-as-xlsx", ".xlsx", PNG, "文件名是 .xlsx，内容却是PNG 图片"),
        ("pdf-as-xlsx", ".xlsx", b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n", "内容却是PDF 文档"),
        ("text-as-xlsx", ".xlsx", utf8, "内容却是纯文本"),
        ("zip-as-xlsx", ".xlsx", zip_of("440203.csv", utf8), "不是 XLSX 工作簿"),
        ("xlsx-as-csv", ".csv", workbook, "内容却是ZIP 压缩包"),
        ("xls-as-csv", ".csv", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "内容却是旧版 Excel"),
        ("truncated-xlsx", ".xlsx", workbook[: len(workbook) // 2], "XLSX 工作簿不完整"),
        ("truncated-csv-mid-row", ".csv", utf8[: utf8.rindex(b",0,")], "CSV 文件不完整"),
        ("truncated-csv-mid-character", ".csv", utf8[:-5], "CSV 文件不完整"),
        ("truncated-gb18030-mid-character", ".csv", gb18030[:-4], "CSV 文件不完整"),
        ("truncated-csv-in-quotes", ".csv", utf8 + b'2020-03-17,"abc', "CSV 文件不完整"),
        ("malformed-quoting", ".csv", utf8.replace(b",440203,", b',"440"x,', 1), "CSV 格式错误"),
        ("utf16", ".csv", gb18030.decode("gb18030").encode("utf-16"), "编码错误：文件是 UTF-16"),
        ("neither-utf8-nor-gb18030", ".csv", utf8[:200] + b"\x80\xff\x80\n",
         "既不是 UTF-8 也不是 GB18030"),
        ("gb18030-opened-as-big5", ".csv",
         gb18030.decode("big5", errors="replace").encode("utf-8"), "乱码"),
        ("gb18030-opened-as-shift-jis", ".csv",
         gb18030.decode("shift_jis", errors="replace").encode("utf-8"), "乱码"),
        ("utf8-opened-as-cp1252", ".csv",
         utf8_chinese.decode("cp1252", errors="replace").encode("utf-8"), "乱码"),
        ("no-header-row", ".csv", csv_bytes([["a", "b", "c"], *english_daily_grid()[1:]]),
         "找不到表头"),
        ("quarterly-form-as-daily", ".csv", quarterly, "找不到表头"),
        ("fake-xls", ".xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "XLS 工作簿已损坏"),
        ("pdf-as-xls", ".xls", b"%PDF-1.7\n", "文件名是 .xls，内容却是PDF 文档"),
        ("unsupported-type", ".pdf", utf8, "不支持的文件类型 .pdf"),
        ("no-extension", "", utf8, "不支持的文件类型 （无扩展名）"),
    ]  # fmt: skip
    for case_id, extension, content, problem in cases:
        yield pytest.param(f"440203{extension}", content, problem, id=case_id)


@pytest.mark.parametrize(("file_name", "content", "problem"), unreadable_files())
def test_unreadable_file_is_rejected_naming_file_and_problem(file_name, content, problem):
    with pytest.raises(UnreadableFile) as caught:
        read_daily_submission(content, file_name)

    assert caught.value.file_name == file_name
    assert problem in caught.value.problem
    assert str(caught.value) == f"{file_name}：{caught.value.problem}"


def test_size_limit_is_checked_before_the_content_is_looked_at():
    with pytest.raises(UnreadableFile, match="文件过大"):
        read_daily_submission(PNG * (MAX_FILE_BYTES // len(PNG) + 1), "440203.csv")


@pytest.mark.parametrize(
    ("max_bytes", "readable"), [(len(daily_csv()), True), (len(daily_csv()) - 1, False)]
)
def test_size_limit_can_be_set(max_bytes, readable):
    limits = ReadLimits(max_bytes=max_bytes)
    if readable:
        assert len(read_daily_submission(daily_csv(), "440203.csv", limits).frame) == 4
    else:
        with pytest.raises(UnreadableFile, match=f"超过 {max_bytes:,} 字节的上限"):
            read_daily_submission(daily_csv(), "440203.csv", limits)
