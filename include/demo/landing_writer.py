"""Writes the demo landing zone: the registry and every planned submission, byte for byte
reproducible, each file's modification time set to its planned arrival.
"""

from __future__ import annotations

import csv
import io
import os
import shutil
from datetime import UTC, date, datetime, time
from pathlib import Path

import pandas as pd
import xlsxwriter

from include.demo.generator import DemoDataset
from include.demo.submissions import FileLayout, SubmissionFile, plan_submissions
from transforms.schema import DATE, REGISTRY_COLUMNS, TOTAL_ROW_MARKERS, Column

# The folders the demo owns under the landing root; each run replaces them whole.
DEMO_FOLDERS = ("registry", "daily", "quarterly")
REGISTRY_PATH = Path("registry", "enterprises.csv")
# The city exported its directory once, before the first daily report.
REGISTRY_EXPORTED_AT = (date(2020, 1, 20), time(10, 0))
# A mean, not an amount: the total row leaves it empty.
NOT_ADDITIVE = {"capacity_pct"}
# Excel on Chinese Windows shows dates as 2020/3/17.
EXCEL_DATE_FORMAT = "yyyy/m/d"

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
            ]
        )
    return buffer.getvalue().encode("utf-8")


def render_submission(submission: SubmissionFile) -> bytes:
    if submission.layout.container == "xlsx":
        return _render_xlsx(submission)
    return _render_csv(submission)


def _write_file(path: Path, content: bytes, arrives_at: datetime) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)
    # The pipeline takes a file's modification time as its arrival time.
    arrival = arrives_at.timestamp()
    os.utime(path, (arrival, arrival))
    return path


def _data_rows(submission: SubmissionFile) -> list[list[Cell]]:
    """The file's body as the county's office types it: header, data rows, total row."""
    layout, columns, table = submission.layout, submission.columns, submission.table
    rows: list[list[Cell]] = [
        [_header(column, position, layout) for position, column in enumerate(columns)]
    ]
    values = table[[column.name for column in columns]].to_numpy(dtype=object)
    for record in values:
        rows.append(
            [_cell(value, column, layout) for value, column in zip(record, columns, strict=True)]
        )
    if layout.total_row:
        rows.append([_total(table, column) for column in columns])
    return rows


def _header(column: Column, position: int, layout: FileLayout) -> str:
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
    if layout.date_style == "excel" and layout.container == "xlsx":
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
    layout, columns = submission.layout, submission.columns
    buffer = io.StringIO()
    # Excel writes CRLF line ends; the title of a merged row lands in the first cell.
    writer = csv.writer(buffer, lineterminator="\r\n")
    padding = [""] * (len(columns) - 1)
    for text in (submission.title, submission.note)[: layout.title_rows]:
        writer.writerow([text, *padding])
    header, *body = _data_rows(submission)
    writer.writerow(header)
    for row in body:
        writer.writerow(
            [_csv_text(cell, column, layout) for cell, column in zip(row, columns, strict=True)]
        )
    return buffer.getvalue().encode(layout.encoding)


def _render_xlsx(submission: SubmissionFile) -> bytes:
    layout, columns = submission.layout, submission.columns
    buffer = io.BytesIO()
    workbook = xlsxwriter.Workbook(buffer, {"in_memory": True})
    # A fixed document date keeps the bytes reproducible (xlsxwriter would use "now").
    workbook.set_properties(
        {
            "title": submission.title,
            "created": submission.arrives_at.astimezone(UTC).replace(tzinfo=None),
        }
    )
    sheet = workbook.add_worksheet()
    title_format = workbook.add_format({"bold": True, "font_size": 14, "align": "center"})
    header_format = workbook.add_format({"bold": True, "border": 1, "align": "center"})
    date_format = workbook.add_format({"num_format": EXCEL_DATE_FORMAT})
    sheet.set_column(0, len(columns) - 1, 16)
    if layout.title_rows >= 1:
        sheet.merge_range(0, 0, 0, len(columns) - 1, submission.title, title_format)
    if layout.title_rows >= 2:
        sheet.write_string(1, 0, submission.note)
    header, *body = _data_rows(submission)
    for position, text in enumerate(header):
        sheet.write_string(layout.title_rows, position, text, header_format)
    for offset, row in enumerate(body, start=layout.title_rows + 1):
        for position, cell in enumerate(row):
            if cell is None:
                continue
            if isinstance(cell, date):
                sheet.write_datetime(offset, position, datetime.combine(cell, time()), date_format)
            elif isinstance(cell, int | float):
                sheet.write_number(offset, position, cell)
            else:
                sheet.write_string(offset, position, cell)
    workbook.close()
    return buffer.getvalue()
