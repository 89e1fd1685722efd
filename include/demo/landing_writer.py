"""Writes the demo landing zone: the registry and every planned submission, byte for byte
reproducible, each file's modification time set to its planned arrival.
"""

from __future__ import annotations

import csv
import io
import itertools
import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from pathlib import Path

import pandas as pd
import xlsxwriter
import xlwt

from include.demo.generator import DemoDataset
from include.demo.submissions import FileLayout, SubmissionFile, plan_submissions
from transforms.schema import DATE, EXPLANATION, REGISTRY_COLUMNS, TOTAL_ROW_MARKERS, Column

# The folders the demo owns under the landing root; each run replaces them whole.
DEMO_FOLDERS = ("registry", "daily", "quarterly")
REGISTRY_PATH = Path("registry", "enterprises.csv")
# The city exported its directory once, before the first daily report.
REGISTRY_EXPORTED_AT = (date(2020, 1, 20), time(10, 0))
# A mean, not an amount: the total row leaves it empty.
NOT_ADDITIVE = {"capacity_pct"}
# Excel on Chinese Windows shows dates as 2020/3/17.
EXCEL_DATE_FORMAT = "yyyy/m/d"
SPREADSHEETS = {"xlsx", "xls"}
COLUMN_WIDTH = 16  # characters
INSTRUCTIONS_WIDTH = 100
INSTRUCTIONS_SHEET = "填表说明"

# The form's own running number, written before the first column when the layout has one.
SERIAL_COLUMN = Column("serial", "序号", "Int64", required=False)
# Group titles of a two-row header, over columns that stand side by side in the spec's order.
HEADER_GROUPS = {
    "resumed": "复工情况",
    "resumed_on": "复工情况",
    "employees_total": "职工情况（人）",
    "employees_on_site": "职工情况（人）",
    "mask_shortage": "防疫物资缺口",
    "thermometer_shortage": "防疫物资缺口",
    "output_value": "本期",
    "value_added": "本期",
    "output_value_prior": "上年同期",
    "value_added_prior": "上年同期",
}
UNITS = {
    "employees_total": "人",
    "employees_on_site": "人",
    "capacity_pct": "%",
    "mask_shortage": "个",
    "thermometer_shortage": "支",
    "output_value": "万元",
    "value_added": "万元",
    "output_value_prior": "万元",
    "value_added_prior": "万元",
}
# The column-number row (栏次): stems over the descriptive columns, 1 2 3 … over the figures.
COLUMN_LETTERS = "甲乙丙丁戊己庚辛壬癸"
FIGURES = {"Int64", "Float64"}

Cell = str | int | float | date | None


def write_demo_landing(landing: Path, dataset: DemoDataset) -> list[Path]:
    """Replace the demo folders under `landing` with the data set's files; returns their paths."""
    landing = Path(landing)
    for folder in DEMO_FOLDERS:
        shutil.rmtree(landing / folder, ignore_errors=True)
    exported_day, exported_time = REGISTRY_EXPORTED_AT
    written = [
        _write_file(
            landing / REGISTRY_PATH,
            registry_csv(dataset.registry),
            datetime.combine(exported_day, exported_time, tzinfo=dataset.city.tz),
        )
    ]
    for submission in plan_submissions(dataset):
        written.append(
            _write_file(
                landing / submission.relative_path,
                render_submission(submission),
                submission.arrives_at,
            )
        )
    return written


def registry_csv(registry: pd.DataFrame) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow([column.name for column in REGISTRY_COLUMNS])
    for record in registry.itertuples(index=False):
        writer.writerow(
            [
                record.enterprise_id,
                record.enterprise_name,
                record.county_code,
                "是" if record.key_enterprise else "否",
                record.industry_code,
                record.in_scope_from.date().isoformat(),
                "" if pd.isna(record.in_scope_to) else record.in_scope_to.date().isoformat(),
                "" if pd.isna(record.grid_officer) else record.grid_officer,
                "" if pd.isna(record.grid_officer_phone) else record.grid_officer_phone,
            ]
        )
    return buffer.getvalue().encode("utf-8")


def render_submission(submission: SubmissionFile) -> bytes:
    if submission.layout.container == "xlsx":
        return _render_xlsx(submission)
    if submission.layout.container == "xls":
        return _render_xls(submission)
    return _render_csv(submission)


def _write_file(path: Path, content: bytes, arrives_at: datetime) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)
    # The pipeline takes a file's modification time as its arrival time.
    arrival = arrives_at.timestamp()
    os.utime(path, (arrival, arrival))
    return path


@dataclass(frozen=True)
class _Merge:
    first_row: int
    first_column: int
    last_row: int
    last_column: int


@dataclass(frozen=True)
class _Grid:
    """The data sheet as the county's office types it: rows of cells, each row with its part
    of the form (title, info, header, data, footer), and the merged ranges."""

    columns: tuple[Column, ...]  # as in the file, 序号 first when there is one
    rows: list[tuple[str, list[Cell]]]
    merges: list[_Merge]


def _grid(submission: SubmissionFile) -> _Grid:
    layout, table = submission.layout, submission.table
    columns = (SERIAL_COLUMN, *submission.columns) if layout.serial_column else submission.columns
    width = len(columns)
    rows: list[tuple[str, list[Cell]]] = []
    merges: list[_Merge] = []

    def add(part: str, cells: list[Cell]) -> None:
        rows.append((part, [*cells, *[None] * (width - len(cells))]))

    if layout.title_rows >= 1:
        merges.append(_Merge(len(rows), 0, len(rows), width - 1))
        add("title", [submission.title])
    if layout.title_rows >= 2:
        add("info", [submission.note])
    headers = [_header(column, position, layout) for position, column in enumerate(columns)]
    if layout.grouped_header:
        upper, lower, header_merges = _grouped_header(columns, headers, top=len(rows))
        add("header", upper)
        add("header", lower)
        merges += header_merges
    else:
        add("header", headers)
    if layout.units_row:
        add("header", [UNITS.get(column.name) for column in columns])
    if layout.column_number_row:
        add("header", _column_numbers(columns))

    serial = [None] if layout.serial_column else []
    total = [*serial, *(_total(table, column) for column in submission.columns)]
    if layout.total_row == "above":
        add("data", total)
    values = table[[column.name for column in submission.columns]].to_numpy(dtype=object)
    for number, record in enumerate(values, start=1):
        cells = [_cell(v, c, layout) for v, c in zip(record, submission.columns, strict=True)]
        add("data", [number, *cells] if layout.serial_column else cells)
    if layout.total_row == "below":
        add("data", total)

    if layout.notes_line:
        add("footer", [submission.notes])
    fields = [f"{label}：{value}" for label, value in submission.signature]
    if layout.signature == "text":
        add("footer", ["　　".join(fields)])
    elif layout.signature == "cells":
        # Spread across the row, as a printed form leaves room to sign.
        step = width // len(fields)
        cells: list[Cell] = [None] * width
        for position, text in enumerate(fields):
            cells[position * step] = text
        add("footer", cells)
    return _Grid(columns, rows, merges)


def _grouped_header(
    columns: tuple[Column, ...], headers: list[str], top: int
) -> tuple[list[Cell], list[Cell], list[_Merge]]:
    """Two header rows: a group title merged across its columns above their own headers;
    a column outside any group has its header merged over both rows."""
    upper: list[Cell] = []
    lower: list[Cell] = []
    merges = []
    for group, members in itertools.groupby(
        enumerate(columns), key=lambda item: HEADER_GROUPS.get(item[1].name)
    ):
        positions = [position for position, _ in members]
        if group is None:
            for position in positions:
                upper.append(headers[position])
                lower.append(None)
                merges.append(_Merge(top, position, top + 1, position))
        else:
            upper += [group, *[None] * (len(positions) - 1)]
            lower += [headers[position] for position in positions]
            if len(positions) > 1:
                merges.append(_Merge(top, positions[0], top, positions[-1]))
    return upper, lower, merges


def _column_numbers(columns: tuple[Column, ...]) -> list[Cell]:
    letters, figures = iter(COLUMN_LETTERS), itertools.count(1)
    return [
        next(figures) if column.dtype in FIGURES and column is not SERIAL_COLUMN else next(letters)
        for column in columns
    ]


def _header(column: Column, position: int, layout: FileLayout) -> str:
    if column.name == EXPLANATION.name and layout.explanation_header:
        return layout.explanation_header
    header = column.chinese if layout.chinese_headers else column.name
    if layout.padded_headers:
        return f" {header}" if position % 2 else f"{header} "
    return header


def _cell(value: object, column: Column, layout: FileLayout) -> Cell:
    if pd.isna(value):
        return None
    if column.dtype == DATE:
        return _date_cell(pd.Timestamp(value).date(), layout)
    if column.dtype == "boolean":
        return layout.true_false[0] if value else layout.true_false[1]
    if column.dtype == "Int64":
        return int(value)
    if column.dtype == "Float64":
        return float(value)
    return str(value) or None


def _date_cell(day: date, layout: FileLayout) -> Cell:
    if layout.date_style == "excel" and layout.container in SPREADSHEETS:
        return day
    if layout.date_style == "slash":
        return f"{day.year}/{day.month}/{day.day}"
    if layout.date_style == "chinese":
        return f"{day.year}年{day.month}月{day.day}日"
    return day.isoformat()


def _total(table: pd.DataFrame, column: Column) -> Cell:
    if column.name == "enterprise_name":
        return TOTAL_ROW_MARKERS[0]
    if column.name in NOT_ADDITIVE:
        return None
    if column.dtype == "Int64":
        return int(table[column.name].sum())
    if column.dtype == "Float64":
        return round(float(table[column.name].sum()), 1)
    return None


def _csv_text(cell: Cell, column: Column, layout: FileLayout) -> str:
    if cell is None:
        return ""
    if isinstance(cell, int):
        return f"{cell:,}" if layout.thousands_separator else str(cell)
    if isinstance(cell, float):
        text = (f"{cell:,.1f}" if layout.thousands_separator else f"{cell:.1f}").removesuffix(".0")
        return f"{text}%" if layout.percent_sign and column.name == "capacity_pct" else text
    if isinstance(cell, date):
        return cell.isoformat()
    return cell


def _render_csv(submission: SubmissionFile) -> bytes:
    grid, layout = _grid(submission), submission.layout
    buffer = io.StringIO()
    # Excel writes CRLF line ends; the title of a merged row lands in the first cell.
    writer = csv.writer(buffer, lineterminator="\r\n")
    for _, cells in grid.rows:
        writer.writerow(
            [
                _csv_text(cell, column, layout)
                for cell, column in zip(cells, grid.columns, strict=True)
            ]
        )
    return buffer.getvalue().encode(layout.encoding)


def _placed_cells(grid: _Grid) -> Iterator[tuple[int, int, Cell, str, _Merge | None]]:
    """(row, column, cell, part of the form, merged range it starts) of every cell to write:
    the cells a merged range covers are written with its first one."""
    starts = {(m.first_row, m.first_column): m for m in grid.merges}
    covered = {
        (row, column)
        for m in grid.merges
        for row in range(m.first_row, m.last_row + 1)
        for column in range(m.first_column, m.last_column + 1)
    }
    for row, (part, cells) in enumerate(grid.rows):
        for column, cell in enumerate(cells):
            merge = starts.get((row, column))
            if merge is None and (cell is None or (row, column) in covered):
                continue
            yield row, column, cell, part, merge


def _style_of(part: str, cell: Cell) -> str | None:
    if part in ("title", "header"):
        return part
    return "date" if isinstance(cell, date) else None


def _render_xlsx(submission: SubmissionFile) -> bytes:
    grid = _grid(submission)
    buffer = io.BytesIO()
    workbook = xlsxwriter.Workbook(buffer, {"in_memory": True})
    # A fixed document date keeps the bytes reproducible (xlsxwriter would use "now").
    workbook.set_properties(
        {
            "title": submission.title,
            "created": submission.arrives_at.astimezone(UTC).replace(tzinfo=None),
        }
    )
    formats = {
        "title": workbook.add_format({"bold": True, "font_size": 14, "align": "center"}),
        "header": workbook.add_format(
            {"bold": True, "border": 1, "align": "center", "valign": "vcenter", "text_wrap": True}
        ),
        "date": workbook.add_format({"num_format": EXCEL_DATE_FORMAT}),
        None: None,
    }
    sheet = workbook.add_worksheet()
    sheet.set_column(0, len(grid.columns) - 1, COLUMN_WIDTH)
    for row, column, cell, part, merge in _placed_cells(grid):
        style = formats[_style_of(part, cell)]
        if merge is not None:
            sheet.merge_range(
                merge.first_row, merge.first_column, merge.last_row, merge.last_column,
                "" if cell is None else cell, style,
            )  # fmt: skip
        elif isinstance(cell, date):
            sheet.write_datetime(row, column, datetime.combine(cell, time()), style)
        elif isinstance(cell, int | float):
            sheet.write_number(row, column, cell, style)
        else:
            sheet.write_string(row, column, cell, style)
    if submission.layout.instructions_sheet:
        instructions = workbook.add_worksheet(INSTRUCTIONS_SHEET)
        instructions.set_column(0, 0, INSTRUCTIONS_WIDTH)
        for row, text in enumerate(submission.instructions):
            instructions.write_string(row, 0, text, formats["title"] if row == 0 else None)
    workbook.close()
    return buffer.getvalue()


def _render_xls(submission: SubmissionFile) -> bytes:
    """BIFF8 as WPS Office and Excel 2003 save it; xlwt writes no time stamps."""
    grid = _grid(submission)
    workbook = xlwt.Workbook(encoding="utf-8")
    styles = {
        "title": xlwt.easyxf("font: bold on, height 280; align: horiz center"),
        "header": xlwt.easyxf(
            "font: bold on; align: horiz center, vert center, wrap on; "
            "borders: left thin, right thin, top thin, bottom thin"
        ),
        "date": xlwt.easyxf(num_format_str=EXCEL_DATE_FORMAT),
        None: xlwt.Style.default_style,
    }
    sheet = workbook.add_sheet("Sheet1")
    for column in range(len(grid.columns)):
        sheet.col(column).width = COLUMN_WIDTH * 256  # in 1/256 of a character
    for row, column, cell, part, merge in _placed_cells(grid):
        style = styles[_style_of(part, cell)]
        value = datetime.combine(cell, time()) if isinstance(cell, date) else cell
        if merge is not None:
            sheet.write_merge(
                merge.first_row, merge.last_row, merge.first_column, merge.last_column,
                "" if value is None else value, style,
            )  # fmt: skip
        else:
            sheet.write(row, column, value, style)
    if submission.layout.instructions_sheet:
        instructions = workbook.add_sheet(INSTRUCTIONS_SHEET)
        instructions.col(0).width = INSTRUCTIONS_WIDTH * 256
        for row, text in enumerate(submission.instructions):
            instructions.write(row, 0, text, styles["title"] if row == 0 else styles[None])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
