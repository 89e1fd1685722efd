"""The official-format Excel tables: 企业复工复产情况日报表 and 规上工业产值统计表.

Each workbook is laid out as the bureau sends it to city leaders: a title with the city
and the period, a two-row Chinese header, one row per county in the configured order and
a 全市合计 row, notes under the table (definitions, counties missing or rejected, the
revision), printable on one landscape page width. Cells hold the published values
(rates as fractions shown as percentages, 万元 converted to 亿元 where the city publishes
in 亿元), so a reader can recompute from them.

Text from counties is written as text, never as a formula: xlsxwriter's string
conversions are off, and text that a spreadsheet would run (`=`, `+`, `-`, `@`) carries
Excel's quote prefix, so it stays inert even when a reader edits the cell.
"""

from __future__ import annotations

import io
import re
import shutil
import tempfile
import zipfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time

import pandas as pd
import xlsxwriter

from transforms.check.outcomes import PeriodOutcomes
from transforms.collector import cycle_collector_paused
from transforms.merge.daily import ACCEPTED, COUNTY_DAILY_COLUMNS, MISSING, REJECTED
from transforms.publish.briefing import Briefing
from transforms.publish.labels import (
    CITY_TOTAL_LABEL,
    LATE,
    STATUS_LABELS,
    chinese_date,
    chinese_quarter,
    revision_label,
    status_of,
    year_to_date_months,
)
from transforms.publish.rendering import FORMULA_PREFIXES, plain_text

# Cell kinds: how a column's values are written and shown.
INDEX, TEXT, COUNTY_TEXT, COUNT, RATE, YI_YUAN, GROWTH = (
    "index",
    "text",
    "county_text",
    "count",
    "rate",
    "yi_yuan",
    "growth",
)
NUMBER_FORMATS = {COUNT: "#,##0", RATE: "0.0%", YI_YUAN: "#,##0.00", GROWTH: "0.0"}
WAN_YUAN_PER_YI_YUAN = 10_000
EMPTY_CELL = "—"
RESUMED_LABELS = {True: "已复工", False: "未复工", None: "未报送"}
BODY_FONT, TITLE_FONT = "宋体", "黑体"
A4 = 9
ROWS_PER_SLICE = 10_000
EXCEL_PART_TIME = (1980, 1, 1, 0, 0, 0)
# xlsxwriter's in_memory mode holds every part's XML as text at once: for a province's
# 480,000 cells about 60 MB, and writing them is a quarter faster (6.9 → 5.0 s) than through
# temporary files; a country's millions of cells would be 700 MB beside the cells, so a
# workbook with more cells than this goes through temporary files.
IN_MEMORY_CELLS = 1_000_000
PART_CHUNK_BYTES = 1 << 20
TITLE_ROW, SUBTITLE_ROW, GROUP_ROW, HEADER_ROW, FIRST_DATA_ROW = 0, 1, 2, 3, 4


@dataclass(frozen=True)
class SheetColumn:
    header: str
    kind: str
    width: float
    group: str | None = None  # merged header above; None: the header spans both header rows


@dataclass(frozen=True)
class Compiler:
    """The compiler block a statistical form ends with: who compiled it (制表单位), when it is
    issued (报出日期) and the moment its data stand at (数据截至: the cut-off)."""

    unit: str
    reported_on: date
    data_as_of: datetime

    @property
    def text(self) -> str:
        return (
            f"制表单位：{self.unit}　　报出日期：{chinese_date(self.reported_on)}　　"
            f"数据截至：{chinese_date(self.data_as_of.date())} {self.data_as_of:%H:%M}"
        )


@dataclass(frozen=True)
class OfficialSheet:
    name: str
    title: str
    subtitle: str
    columns: Sequence[SheetColumn]
    # values in column order, None shown as a dash; an iterator, so that a country's
    # enterprise sheets are never held as Python rows beside the workbook's own cells
    rows: Iterable[Sequence[object]]
    total_rows: frozenset[int]  # indexes of rows printed in bold (the 全市合计 row)
    notes: Sequence[str]
    footer: str


BRIEFING_COLUMNS = [SheetColumn("序号", INDEX, 5), SheetColumn("简报", COUNTY_TEXT, 100)]
DAILY_COLUMNS = [
    SheetColumn("序号", INDEX, 5),
    SheetColumn("县（市、区）", TEXT, 15),
    SheetColumn("报送状态", TEXT, 14),
    SheetColumn("在库企业", COUNT, 8, "规上工业企业（户）"),
    SheetColumn("报送企业", COUNT, 8, "规上工业企业（户）"),
    SheetColumn("已复工", COUNT, 8, "规上工业企业（户）"),
    SheetColumn("当日新复工", COUNT, 9, "规上工业企业（户）"),
    SheetColumn("复工率", RATE, 8, "规上工业企业（户）"),
    SheetColumn("在库企业", COUNT, 8, "重点企业（户）"),
    SheetColumn("已复工", COUNT, 8, "重点企业（户）"),
    SheetColumn("职工总数", COUNT, 10, "职工（人）"),
    SheetColumn("在岗人数", COUNT, 10, "职工（人）"),
    SheetColumn("在岗率", RATE, 8, "职工（人）"),
    SheetColumn("产能恢复率", RATE, 10),
    SheetColumn("口罩（个）", COUNT, 11, "防疫物资缺口"),
    SheetColumn("测温枪（支）", COUNT, 11, "防疫物资缺口"),
    SheetColumn("反映困难\n企业（户）", COUNT, 10),
]
# county_daily columns behind DAILY_COLUMNS[3:]; capacity_pct (percent) is shown as a fraction.
DAILY_VALUE_COLUMNS = COUNTY_DAILY_COLUMNS[4:]
DIFFICULTY_COLUMNS = [
    SheetColumn("序号", INDEX, 5),
    SheetColumn("县（市、区）", TEXT, 14),
    SheetColumn("企业名称", COUNTY_TEXT, 32),
    SheetColumn("统一社会信用代码", TEXT, 21),
    SheetColumn("口罩缺口\n（个）", COUNT, 10),
    SheetColumn("测温枪缺口\n（支）", COUNT, 10),
    SheetColumn("存在困难", COUNTY_TEXT, 48),
]
LEDGER_SHEET_COLUMNS = [
    SheetColumn("序号", INDEX, 5),
    SheetColumn("县（市、区）", TEXT, 12),
    SheetColumn("企业名称", COUNTY_TEXT, 28),
    SheetColumn("网格员", COUNTY_TEXT, 9),
    SheetColumn("联系电话", COUNTY_TEXT, 13),
    SheetColumn("是否复工", TEXT, 8),
    SheetColumn("复工日期", TEXT, 11),
    SheetColumn("在岗人数", COUNT, 9),
    SheetColumn("职工总数", COUNT, 9),
    SheetColumn("产能恢复率", RATE, 9),
    SheetColumn("存在困难", COUNTY_TEXT, 30),
    SheetColumn("距上次报送\n（天）", COUNT, 9),
]
# county_quarterly value columns in sheet order, with how each is shown.
QUARTERLY_VALUE_COLUMNS = [
    ("output_value", YI_YUAN),
    ("output_value_prior", YI_YUAN),
    ("output_yoy_pct", GROWTH),
    ("output_value_ytd", YI_YUAN),
    ("output_value_ytd_prior", YI_YUAN),
    ("output_ytd_yoy_pct", GROWTH),
    ("value_added", YI_YUAN),
    ("value_added_prior", YI_YUAN),
    ("value_added_yoy_pct", GROWTH),
    ("value_added_ytd", YI_YUAN),
    ("value_added_ytd_prior", YI_YUAN),
    ("value_added_ytd_yoy_pct", GROWTH),
]


def daily_report_title(city_name: str) -> str:
    return f"{city_name}企业复工复产情况日报表"


def quarterly_report_title(city_name: str) -> str:
    return f"{city_name}规上工业产值统计表"


def daily_workbook(
    city_name: str,
    report_date: date,
    table: pd.DataFrame,
    outcomes: PeriodOutcomes,
    difficulties: pd.DataFrame,
    briefing: Briefing,
    ledger: pd.DataFrame,
    compiler: Compiler,
) -> bytes:
    """The daily report: sheet 简报 (the briefing, a clause a row), sheet 日报表 from
    `county_daily` (counties in order, then the city row), sheet 企业反映困难 from the
    enterprises' own rows (`difficulties`: county_name, enterprise_name, enterprise_id,
    mask_shortage, thermometer_shortage, difficulties), sheet 重点企业台账 from `ledger`
    (`transforms.merge.ledger`)."""
    title = daily_report_title(city_name)
    revision = int(table["revision"].max())
    on_time = outcomes.on_time_by_county
    rows = []
    for number, row in enumerate(table.to_dict("records"), start=1):
        is_city = number == len(table)
        status = status_of(row["status"], on_time.get(row["county_code"]))
        values = [row[c] for c in DAILY_VALUE_COLUMNS]
        capacity = DAILY_VALUE_COLUMNS.index("capacity_pct")
        values[capacity] = None if _is_null(values[capacity]) else values[capacity] / 100
        rows.append(
            [
                None if is_city else number,
                CITY_TOTAL_LABEL if is_city else row["county_name"],
                STATUS_LABELS[status],
                *values,
            ]
        )
    date_text = chinese_date(report_date)
    report = OfficialSheet(
        name="日报表",
        title=title,
        subtitle=f"数据日期：{date_text}　　统计范围：规模以上工业企业"
        f"　　{revision_label(revision)}",
        columns=DAILY_COLUMNS,
        rows=rows,
        total_rows=frozenset({len(rows) - 1}),
        notes=[
            "注：1. 复工率＝已复工企业数÷在库规上企业数；在岗率＝在岗人数÷职工总数；"
            "产能恢复率为已复工企业的产能恢复率按职工人数加权的平均数。",
            "2. 全市合计为已报送县（市、区）数据之和，比率由合计数重新计算；在库企业数含全部"
            "县（市、区），有县（市、区）未报送或被退回时，全市复工率相应偏低。",
            "3. " + _submission_note(table, outcomes),
            f"4. 本表为{revision_label(revision)}"
            + ("。" if revision == 1 else "（县区补报或更正后修订）。"),
            compiler.text,
        ],
        footer=f"{title}　{date_text}　{revision_label(revision)}",
    )
    difficulty_sheet = OfficialSheet(
        name="企业反映困难",
        title=f"{city_name}企业反映困难及防疫物资缺口",
        subtitle=f"数据日期：{date_text}　　{revision_label(revision)}",
        columns=DIFFICULTY_COLUMNS,
        rows=(
            [
                number,
                r["county_name"],
                r["enterprise_name"],
                r["enterprise_id"],
                r["mask_shortage"],
                r["thermometer_shortage"],
                r["difficulties"],
            ]
            for number, r in enumerate(_records(difficulties), start=1)
        ),
        total_rows=frozenset(),
        notes=[
            "注：列出已报送县（市、区）中反映困难或有防疫物资缺口的企业，"
            "困难内容为企业原文；被退回或未报送的县（市、区）不在此表。"
        ],
        footer=f"{city_name}企业反映困难　{date_text}　{revision_label(revision)}",
    )
    briefing_sheet = OfficialSheet(
        name="简报",
        title=f"{city_name}企业复工复产情况简报",
        subtitle=f"数据日期：{date_text}　　{revision_label(revision)}",
        columns=BRIEFING_COLUMNS,
        rows=[[number, clause] for number, clause in enumerate(briefing.clauses, start=1)],
        total_rows=frozenset(),
        notes=["注：简报由本期日报表数据生成，各项数字与日报表一致。"],
        footer=f"{city_name}复工复产简报　{date_text}　{revision_label(revision)}",
    )
    ledger_sheet = OfficialSheet(
        name="重点企业台账",
        title=f"{city_name}重点企业复工复产台账",
        subtitle=f"数据日期：{date_text}　　{revision_label(revision)}",
        columns=LEDGER_SHEET_COLUMNS,
        rows=(
            [
                number,
                r["county_name"],
                r["enterprise_name"],
                r["grid_officer"],
                r["grid_officer_phone"],
                RESUMED_LABELS.get(None if _is_null(r["resumed"]) else bool(r["resumed"])),
                None if _is_null(r["resumed_on"]) else r["resumed_on"].date().isoformat(),
                r["employees_on_site"],
                r["employees_total"],
                None if _is_null(r["capacity_pct"]) else r["capacity_pct"] / 100,
                r["difficulties"],
                r["days_since_reported"],
            ]
            for number, r in enumerate(_records(ledger), start=1)
        ),
        total_rows=frozenset(),
        notes=[
            "注：列出本日在库的全部重点企业，未复工的在前；“未报送”为所在县（市、区）当日"
            "未报送、被退回或文件中没有该企业；距上次报送为距该企业最近一次被接收的报送的天数。"
        ],
        footer=f"{city_name}重点企业台账　{date_text}　{revision_label(revision)}",
    )
    # The briefing is the first sheet; the workbook still opens on the official 日报表.
    sheets = [briefing_sheet, report, difficulty_sheet, ledger_sheet]
    cells = daily_workbook_cells(difficulties, ledger)
    return _workbook(title, report_date, sheets, opens_on=1, cells=cells)


def daily_workbook_cells(difficulties: pd.DataFrame, ledger: pd.DataFrame) -> int:
    """About how many cells `daily_workbook` writes: its two sheets of enterprises."""
    return len(difficulties) * len(DIFFICULTY_COLUMNS) + len(ledger) * len(LEDGER_SHEET_COLUMNS)


def quarterly_workbook(
    city_name: str,
    quarter: str,
    quarter_end: date,
    table: pd.DataFrame,
    outcomes: PeriodOutcomes,
    briefing: Briefing,
    compiler: Compiler,
) -> bytes:
    """规上工业产值统计表 from `county_quarterly` (counties in order, then the city row),
    values in 亿元 and growth in percent, as the city publishes them."""
    title = quarterly_report_title(city_name)
    revision = int(table["revision"].max())
    months = year_to_date_months(quarter)
    columns = [
        SheetColumn("序号", INDEX, 5),
        SheetColumn("县（市、区）", TEXT, 15),
        SheetColumn("报送状态", TEXT, 14),
        SheetColumn("报送企业\n（户）", COUNT, 9),
    ]
    for measure in ("工业总产值（亿元）", "工业增加值（亿元）"):
        columns += [
            SheetColumn("本季度", YI_YUAN, 10, measure),
            SheetColumn("上年同期", YI_YUAN, 10, measure),
            SheetColumn("同比增长\n（%）", GROWTH, 9, measure),
            SheetColumn(f"{months}累计", YI_YUAN, 10, measure),
            SheetColumn("上年同期累计", YI_YUAN, 10, measure),
            SheetColumn("累计同比\n增长（%）", GROWTH, 10, measure),
        ]
    on_time = outcomes.on_time_by_county
    rows = []
    for number, row in enumerate(table.to_dict("records"), start=1):
        is_city = number == len(table)
        status = status_of(row["status"], on_time.get(row["county_code"]))
        values = [
            _yi_yuan(row[c]) if kind == YI_YUAN else row[c] for c, kind in QUARTERLY_VALUE_COLUMNS
        ]
        rows.append(
            [
                None if is_city else number,
                CITY_TOTAL_LABEL if is_city else row["county_name"],
                STATUS_LABELS[status],
                row["enterprises_reported"],
                *values,
            ]
        )
    period_text = chinese_quarter(quarter)
    sheet = OfficialSheet(
        name="产值统计表",
        title=title,
        subtitle=f"报告期：{period_text}（{months}累计）　　单位：亿元"
        f"　　{revision_label(revision)}",
        columns=columns,
        rows=rows,
        total_rows=frozenset({len(rows) - 1}),
        notes=[
            "注：1. 产值按现价计算；同比增长＝（本期÷上年同期－1）×100，上年同期为企业填报的"
            "同口径数据。",
            f"2. {months}累计仅在该县（市、区）本年各季度数据均已接收时填列；全市累计为累计"
            "完整的县（市、区）之和，全市本季度数为已报送县（市、区）之和。",
            "3. " + _submission_note(table, outcomes),
            f"4. 本表为{revision_label(revision)}。",
            compiler.text,
        ],
        footer=f"{title}　{period_text}　{revision_label(revision)}",
    )
    briefing_sheet = OfficialSheet(
        name="简报",
        title=f"{city_name}规上工业生产情况简报",
        subtitle=f"报告期：{period_text}（{months}累计）　　{revision_label(revision)}",
        columns=BRIEFING_COLUMNS,
        rows=[[number, clause] for number, clause in enumerate(briefing.clauses, start=1)],
        total_rows=frozenset(),
        notes=["注：简报由本期产值统计表数据生成，各项数字与统计表一致；金额单位为亿元。"],
        footer=f"{city_name}规上工业简报　{chinese_quarter(quarter)}　{revision_label(revision)}",
    )
    cells = len(rows) * len(sheet.columns)
    return _workbook(title, quarter_end, [briefing_sheet, sheet], opens_on=1, cells=cells)


def _submission_note(table: pd.DataFrame, outcomes: PeriodOutcomes) -> str:
    """Which counties are not counted (missing, rejected), which were late, and which
    counted counties' files raised warnings (files of no county: the validation report's)."""
    names = dict(zip(table["county_code"], table["county_name"], strict=True))
    by_status: dict[str, list[str]] = {}
    for o in outcomes.counties:
        status = status_of(o.outcome, o.on_time)
        by_status.setdefault(status, []).append(names[o.county_code])

    def listed(status: str, label: str) -> list[str]:
        return [f"{label}：{'、'.join(by_status[status])}"] if by_status.get(status) else []

    uncounted = listed(MISSING, "未报送") + listed(REJECTED, "被退回")
    sentences = []
    if uncounted:
        reason = "（退回原因见校验报告）" if by_status.get(REJECTED) else ""
        sentences.append("；".join(uncounted) + f"，未计入合计{reason}")
    sentences += [f"{late}（已计入合计）" for late in listed(LATE, "逾期报送")]
    submitted = "；".join(sentences) + "。" if sentences else "各县（市、区）均已按时报送。"
    return submitted + _warning_note(names, outcomes)


def _warning_note(names: dict[str, str], outcomes: PeriodOutcomes) -> str:
    """Counted counties whose file raised warnings the county has still to confirm, and
    those whose warnings the county explained in the rows' 说明 column."""
    pending, explained = [], []
    for o in outcomes.counties:
        if o.outcome != ACCEPTED:
            continue
        warnings = [f for f in o.findings if f.severity == "warning"]
        if any(not f.explained for f in warnings):
            pending.append(names[o.county_code])
        if any(f.explained for f in warnings):
            explained.append(names[o.county_code])
    parts = [f"有警告待县区核实：{'、'.join(pending)}"] if pending else []
    parts += [f"有警告已由县区说明：{'、'.join(explained)}"] if explained else []
    return "；".join(parts) + "（警告及说明见校验报告）。" if parts else ""


def _workbook(
    title: str, data_day: date, sheets: Sequence[OfficialSheet], opens_on: int, cells: int
) -> bytes:
    """The workbook's bytes. `cells`: about how many cells its sheets hold."""
    package = io.BytesIO()
    if cells <= IN_MEMORY_CELLS:
        with cycle_collector_paused():
            _write_workbook(package, {"in_memory": True}, title, data_day, sheets, opens_on)
        return package.getvalue()
    with tempfile.TemporaryDirectory(prefix="citystats-xlsx-") as parts, cycle_collector_paused():
        _write_workbook(package, {"tmpdir": parts}, title, data_day, sheets, opens_on)
    return _with_excel_part_times(package)


def _write_workbook(
    package: io.BytesIO,
    part_storage: dict,
    title: str,
    data_day: date,
    sheets: Sequence[OfficialSheet],
    opens_on: int,
) -> None:
    workbook = xlsxwriter.Workbook(
        package,
        {
            **part_storage,
            "strings_to_formulas": False,
            "strings_to_urls": False,
            "strings_to_numbers": False,
            "default_format_properties": {"font_name": BODY_FONT, "font_size": 10},
        },
    )
    # A fixed creation time (the data date) keeps a rerun's file byte-identical.
    created = datetime.combine(data_day, time(0))
    workbook.set_properties({"title": title, "created": created})
    formats = _formats(workbook)
    for number, sheet in enumerate(sheets):
        worksheet = workbook.add_worksheet(sheet.name)
        _write_sheet(worksheet, sheet, formats)
        if number == opens_on:
            worksheet.activate()
    workbook.close()


def _with_excel_part_times(package: io.BytesIO) -> bytes:
    """The package written again as in_memory mode writes it: every part stamped with Excel's
    1980-01-01 and no file mode, where the temporary files gave each part this machine's local
    time and mode. A part is streamed, never held whole."""
    rewritten = io.BytesIO()
    with (
        zipfile.ZipFile(package) as source,
        zipfile.ZipFile(rewritten, "w", compression=zipfile.ZIP_DEFLATED) as target,
    ):
        for member in source.infolist():
            part = zipfile.ZipInfo(member.filename, EXCEL_PART_TIME)
            part.compress_type = zipfile.ZIP_DEFLATED
            part.file_size = member.file_size
            with source.open(member) as data, target.open(part, "w") as written:
                shutil.copyfileobj(data, written, PART_CHUNK_BYTES)
    return rewritten.getvalue()


def _formats(workbook) -> dict:
    border = {"border": 1, "valign": "vcenter"}
    formats = {
        "title": workbook.add_format(
            {"font_name": TITLE_FONT, "font_size": 16, "bold": True, "align": "center"}
        ),
        "subtitle": workbook.add_format({"align": "center", "font_size": 10}),
        "header": workbook.add_format(
            {**border, "bold": True, "align": "center", "text_wrap": True, "bg_color": "#E8EEF4"}
        ),
        "note": workbook.add_format({"text_wrap": True, "valign": "top", "font_size": 9}),
    }
    for bold in (False, True):
        base = {**border, "bold": bold}
        formats[INDEX, bold] = workbook.add_format({**base, "align": "center"})
        formats[TEXT, bold] = workbook.add_format({**base, "align": "center"})
        formats[COUNTY_TEXT, bold] = workbook.add_format(
            {**base, "text_wrap": True, "quote_prefix": True}
        )
        for kind, number_format in NUMBER_FORMATS.items():
            formats[kind, bold] = workbook.add_format({**base, "num_format": number_format})
        formats["empty", bold] = workbook.add_format({**base, "align": "center"})
    return formats


def _write_sheet(worksheet, sheet: OfficialSheet, formats: dict) -> None:
    last_column = len(sheet.columns) - 1
    worksheet.merge_range(TITLE_ROW, 0, TITLE_ROW, last_column, sheet.title, formats["title"])
    worksheet.set_row(TITLE_ROW, 28)
    worksheet.merge_range(
        SUBTITLE_ROW, 0, SUBTITLE_ROW, last_column, sheet.subtitle, formats["subtitle"]
    )
    _write_header(worksheet, sheet.columns, formats["header"])
    writers = [_cell_writer(worksheet, spec.kind, formats) for spec in sheet.columns]
    wrapping = [(c, spec.width) for c, spec in enumerate(sheet.columns) if spec.kind == COUNTY_TEXT]
    row = FIRST_DATA_ROW - 1  # the last data row written: with none, the header's
    for row, values in enumerate(sheet.rows, start=FIRST_DATA_ROW):
        bold = row - FIRST_DATA_ROW in sheet.total_rows
        for column, (write, value) in enumerate(zip(writers, values, strict=True)):
            write(row, column, value, bold)
        wrapped_lines = [
            _lines_needed(str(values[column]), width)
            for column, width in wrapping
            if not _is_null(values[column])
        ]
        # Excel does not grow a row for wrapped text that is written, only for typed text.
        if max(wrapped_lines, default=1) > 1:
            worksheet.set_row(row, 13 * max(wrapped_lines) + 3)
    notes_row = row + 2
    line_width = sum(c.width for c in sheet.columns)
    for offset, note in enumerate(sheet.notes):
        row = notes_row + offset
        worksheet.merge_range(row, 0, row, last_column, note, formats["note"])
        # Merged cells do not grow with wrapped text: size the row for the lines it needs.
        worksheet.set_row(row, 13 * _lines_needed(note, line_width) + 2)
    for column, spec in enumerate(sheet.columns):
        worksheet.set_column(column, column, spec.width)
    worksheet.freeze_panes(FIRST_DATA_ROW, 2)
    worksheet.set_landscape()
    worksheet.set_paper(A4)
    worksheet.fit_to_pages(1, 0)
    worksheet.center_horizontally()
    worksheet.set_margins(left=0.4, right=0.4, top=0.5, bottom=0.6)
    worksheet.repeat_rows(GROUP_ROW, HEADER_ROW)
    worksheet.print_area(0, 0, notes_row + len(sheet.notes) - 1, last_column)
    worksheet.set_footer(
        f'&L&"{BODY_FONT}"&8{_footer_text(sheet.footer)}&R&"{BODY_FONT}"&8第 &P 页，共 &N 页'
    )


def _write_header(worksheet, columns: Sequence[SheetColumn], header_format) -> None:
    column = 0
    while column < len(columns):
        spec = columns[column]
        if spec.group is None:
            worksheet.merge_range(GROUP_ROW, column, HEADER_ROW, column, spec.header, header_format)
            column += 1
            continue
        span = 1
        while column + span < len(columns) and columns[column + span].group == spec.group:
            span += 1
        if span == 1:
            worksheet.write_string(GROUP_ROW, column, spec.group, header_format)
        else:
            worksheet.merge_range(
                GROUP_ROW, column, GROUP_ROW, column + span - 1, spec.group, header_format
            )
        for member in range(column, column + span):
            worksheet.write_string(HEADER_ROW, member, columns[member].header, header_format)
        column += span
    worksheet.set_row(GROUP_ROW, 18)
    worksheet.set_row(HEADER_ROW, 30)


def _cell_writer(worksheet, kind: str, formats: dict) -> Callable[[int, int, object, bool], None]:
    """How a column of `kind` writes a value to (row, column), bold or not: chosen once per
    column, as a sheet's hundreds of thousands of cells are written one call each."""
    shown = (formats[kind, False], formats[kind, True])
    empty = (formats["empty", False], formats["empty", True])
    write_string, write_number = worksheet.write_string, worksheet.write_number
    if kind in NUMBER_FORMATS or kind == INDEX:
        # A missing index (the city's total row) is blank; a missing figure shows the dash.
        blank = worksheet.write_blank if kind == INDEX else None

        def write_figure(row: int, column: int, value, bold: bool) -> None:
            if not _is_null(value):
                write_number(row, column, float(value), shown[bold])
            elif blank is not None:
                blank(row, column, None, shown[bold])
            else:
                write_string(row, column, EMPTY_CELL, empty[bold])

        return write_figure
    quoted = (formats[COUNTY_TEXT, False], formats[COUNTY_TEXT, True])

    def write_text(row: int, column: int, value, bold: bool) -> None:
        if _is_null(value):
            write_string(row, column, EMPTY_CELL, empty[bold])
            return
        # Always a string cell; county text that could run as a formula gets the quote prefix.
        text = plain_text(str(value))
        cell_format = quoted[bold] if text.startswith(FORMULA_PREFIXES) else shown[bold]
        write_string(row, column, text, cell_format)

    return write_text


def _records(frame: pd.DataFrame) -> Iterator[dict]:
    """The frame's rows as records, a slice of rows at a time: only one slice's values exist
    as Python objects at once. Built from each column's values, five times faster than
    `to_dict("records")`."""
    names = list(frame.columns)
    for start in range(0, len(frame), ROWS_PER_SLICE):
        part = frame.iloc[start : start + ROWS_PER_SLICE]
        for values in zip(*(part[name].tolist() for name in names), strict=True):
            yield dict(zip(names, values, strict=True))


def _is_null(value) -> bool:
    return value is None or value is pd.NA or (isinstance(value, float) and value != value)


def _yi_yuan(value):
    return None if _is_null(value) else value / WAN_YUAN_PER_YI_YUAN


# From the CJK radicals on, a character takes two columns.
_WIDE_CHARACTER = re.compile("[\u2e80-\U0010ffff]")


def _display_width(text: str) -> int:
    """Width in Excel character units: a CJK character takes two."""
    return len(text) + len(_WIDE_CHARACTER.findall(text))


def _lines_needed(text: str, width: float) -> int:
    """How many lines `text` wraps to in a cell `width` characters wide (a little spare)."""
    usable = max(1, int(width) - 1)
    if 2 * len(text) <= usable and "\n" not in text:
        return 1  # no character is wider than two columns
    return sum(max(1, -(-_display_width(line) // usable)) for line in text.split("\n"))


def _footer_text(text: str) -> str:
    # `&` starts a control code in an Excel header or footer.
    return text.replace("&", "&&")
