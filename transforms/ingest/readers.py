"""Readers: every accepted layout of a county file becomes one canonical, typed frame.

A file is CSV (UTF-8 with or without BOM, or GB18030/GBK), XLSX (Excel, WPS, LibreOffice) or
XLS (BIFF8, as WPS and Excel 2003 save it), laid out the way Chinese statistical forms are:
title and info rows, a one- or two-row header (group titles merged over sub-headers), a
units row and a column-number row (甲 乙 丙 … 1 2 3 …), a 序号 column, total rows, blank
rows, and a footer with the signatures (单位负责人、统计负责人、填表人、联系电话、报出日期) and
notes (注：…). The frame has `source_row` (the row number the county sees in its own file),
the schema's columns in order with the schema's dtypes, and `explanation` (the county's 说明
of a row); the signatures come back beside it.

Two kinds of problem come out differently: a file that cannot be read as a table at all
raises `UnreadableFile`; a table with bad cells or columns is read anyway and the problems
come back as `Finding`s, so that the county gets every reason in one report. Every text a
county reads is Chinese.

A county's file is untrusted input: its size, its rows, columns and cells, and for a
workbook its unzipped size and sheet area are checked against `ReadLimits` before the
costly parsing starts, so a hostile file is refused instead of exhausting memory.

Pure functions: bytes and a file name in, no I/O. Cells are parsed column by column, the
cells of a chunk's files together (`read_daily_submissions`).
"""

from __future__ import annotations

import codecs
import csv
import io
import itertools
import re
import unicodedata
import xml.etree.ElementTree as ElementTree
import zipfile
import zlib
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass, field, fields
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from pathlib import PurePath

import numpy as np
import pandas as pd
from python_calamine import CalamineError, CalamineWorkbook

from transforms.findings import Finding
from transforms.schema import (
    DAILY_COLUMNS,
    DATE,
    EXPLANATION,
    EXPLANATION_HEADERS,
    QUARTERLY_COLUMNS,
    REGISTRY_COLUMNS,
    REGISTRY_LIMITS,
    SERIAL_NUMBER_HEADERS,
    SOURCE_ROW,
    SUBMISSION_LIMITS,
    TOTAL_ROW_MARKERS,
    Column,
    ReadLimits,
)

MAX_TITLE_ROWS = 5


MAX_FILE_BYTES = SUBMISSION_LIMITS.max_bytes


class UnreadableFile(Exception):
    """The file cannot be read as a table at all; the whole file is rejected."""

    def __init__(self, file_name: str, problem: str):
        super().__init__(f"{file_name}：{problem}")
        self.file_name = file_name
        self.problem = problem


@dataclass(frozen=True)
class Signature:
    """The signature block of a form (表尾签名栏): whom the office calls about the file."""

    unit_head: str | None = None  # 单位负责人
    statistics_head: str | None = None  # 统计负责人
    reviewer: str | None = None  # 审核人
    filled_by: str | None = None  # 填表人
    contact_phone: str | None = None  # 联系电话
    reported_on: str | None = None  # 报出日期 (or 填报日期 in the footer), as written

    def to_dict(self) -> dict[str, str | None]:
        return asdict(self)

    @property
    def is_empty(self) -> bool:
        return all(value is None for value in asdict(self).values())


@dataclass(frozen=True)
class ReadResult:
    frame: pd.DataFrame
    findings: tuple[Finding, ...]  # problems with columns and cells, by rule
    signature: Signature = field(default_factory=Signature)


# Signature labels as forms print them, longest first so that 统计负责人 is not read as 负责人.
_SIGNATURE_LABELS = (
    ("单位负责人", "unit_head"),
    ("统计负责人", "statistics_head"),
    ("审核人", "reviewer"),
    ("填表人", "filled_by"),
    ("制表人", "filled_by"),
    ("联系电话", "contact_phone"),
    ("电话", "contact_phone"),
    ("报出日期", "reported_on"),
    ("填报日期", "reported_on"),
)
# Other labels of a form's info lines, where a signature value also ends.
_INFO_LABELS = ("填报单位", "报告期", "计量单位", "单位：", "单位:")
_SIGNATURE = re.compile(
    "("
    + "|".join(label for label, _ in _SIGNATURE_LABELS)
    + r")[：:]?(.*?)(?=(?:"
    + "|".join((*(label for label, _ in _SIGNATURE_LABELS), *_INFO_LABELS))
    + r")|$)"
)
_SIGNATURE_FIELDS = dict(_SIGNATURE_LABELS)
# A row that starts with one of these ends the table: signatures, then notes.
_FOOTER_START = re.compile(
    "^(?:" + "|".join(label for label, _ in _SIGNATURE_LABELS) + r"|(?:注|说明|备注)\d*[：:])"
)
# A units row (计量单位) under the header: every filled cell names a unit.
_UNIT = re.compile(
    r"^[（(]?(?:计量单位|单位|万元|亿元|千元|元|人|个|支|家|户|台|套|吨|件|天|%|‰|是/否|是或否|"
    r"文字|代码|日期|年月日|—+|-+|/)[)）]?$"
)
# A column-number row (栏次): 甲 乙 丙 … for text columns, 1 2 3 … for figures.
_COLUMN_NUMBER = re.compile(r"^[（(]?(?:[甲乙丙丁戊己庚辛壬癸]|\d{1,3})[)）]?$")
# A trailing unit in a header, e.g. 职工总数（人）, 产能恢复率(%).
_HEADER_UNIT = re.compile(r"\(.*\)$")
_CREDIT_CODE_LIKE = re.compile(r"^[0-9A-Za-z０-９Ａ-Ｚａ-ｚ]{15,20}$")

_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ZIP_MAGIC = b"PK\x03\x04"
_NOT_SPREADSHEETS = (
    (b"\x89PNG", "PNG 图片"),
    (b"%PDF", "PDF 文档"),
    (b"\xff\xd8\xff", "JPEG 图片"),
    (b"GIF8", "GIF 图片"),
    (b"Rar!", "RAR 压缩包"),
    (b"7z\xbc\xaf", "7z 压缩包"),
)
_ENCODINGS = ("utf-8-sig", "gb18030")
# Chinese forms are written almost entirely in the common (GB 2312) characters; text read
# with the wrong encoding turns into rare characters, Latin accents or replacement marks.
_GARBLED_SHARE = 0.3

# Codes are compared, joined and checked character by character, so their look-alike
# spellings (full-width digits, lower case, an industry division whose leading zero a
# spreadsheet dropped) are folded into one. Free text is kept as the county wrote it.
_CODE_COLUMNS = frozenset({"county_code", "enterprise_id", "industry_code", "report_quarter"})
_ZERO_PADDED_WIDTH = {"industry_code": 2}
_PERCENT_COLUMNS = frozenset({"capacity_pct"})

_YES = frozenset({"是", "y", "yes", "true", "1"})
_NO = frozenset({"否", "n", "no", "false", "0"})
_EXCEL_FIRST_SERIAL, _EXCEL_LAST_SERIAL = 1, 2958465  # 1900-01-01 .. 9999-12-31
_INT64_DIGITS = 18  # a whole number of more digits may not fit a 64-bit integer column
_NUMBER = re.compile(r"[+-]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?")
_DATE_TEXTS = (
    re.compile(
        r"(?P<y>\d{4})(?P<sep>[-/.])(?P<m>\d{1,2})(?P=sep)(?P<d>\d{1,2})"
        r"(?:[ T]\d{1,2}:\d{2}(?::\d{2})?)?"
    ),
    re.compile(r"(?P<y>\d{4})\s*年\s*(?P<m>\d{1,2})\s*月\s*(?P<d>\d{1,2})\s*日"),
)
_INSTRUCTION_SHEETS = ("填表说明", "说明", "指标解释")


@dataclass(frozen=True)
class _Form:
    label: str  # the form's Chinese name, for reasons
    columns: tuple[Column, ...]  # the schema's, then EXPLANATION on a county's form
    aliases: dict[str, str]  # header key -> canonical column name (or _SERIAL_NUMBER)


_SERIAL_NUMBER = "序号"


def _header_key(text: object) -> str:
    """Full-width forms, spaces, underscores and case do not distinguish headers."""
    return re.sub(r"[\s_]", "", unicodedata.normalize("NFKC", str(text))).casefold()


def _form(label: str, columns: tuple[Column, ...], explained: bool) -> _Form:
    aliases = {_header_key(spelling): _SERIAL_NUMBER for spelling in SERIAL_NUMBER_HEADERS}
    if explained:
        aliases.update(
            {_header_key(spelling): EXPLANATION.name for spelling in EXPLANATION_HEADERS}
        )
        columns = (*columns, EXPLANATION)
    for column in columns:
        for spelling in (column.name, column.chinese, _HEADER_UNIT.sub("", column.chinese)):
            aliases[_header_key(spelling)] = column.name
    return _Form(label, columns, aliases)


_DAILY = _form("日报表", DAILY_COLUMNS, explained=True)
_QUARTERLY = _form("季报表", QUARTERLY_COLUMNS, explained=True)
_REGISTRY = _form("企业名录库", REGISTRY_COLUMNS, explained=False)


def read_daily_submission(
    content: bytes, file_name: str, limits: ReadLimits = SUBMISSION_LIMITS
) -> ReadResult:
    return _read(content, file_name, _DAILY, limits)


def read_daily_submissions(
    files: Sequence[tuple[str, bytes]], limits: ReadLimits = SUBMISSION_LIMITS
) -> list[ReadResult | UnreadableFile]:
    """Each (file name, content) as `read_daily_submission` reads it, or the `UnreadableFile`
    it raises: the files' cells are parsed together, a column at a time, so that a chunk of
    counties costs one parse per column instead of one per column and county."""
    return _read_all(files, _DAILY, limits)


def read_quarterly_submission(
    content: bytes, file_name: str, limits: ReadLimits = SUBMISSION_LIMITS
) -> ReadResult:
    return _read(content, file_name, _QUARTERLY, limits)


def read_quarterly_submissions(
    files: Sequence[tuple[str, bytes]], limits: ReadLimits = SUBMISSION_LIMITS
) -> list[ReadResult | UnreadableFile]:
    """As `read_daily_submissions`, for quarterly files."""
    return _read_all(files, _QUARTERLY, limits)


def read_registry(
    content: bytes, file_name: str = "enterprises.csv", limits: ReadLimits = REGISTRY_LIMITS
) -> ReadResult:
    return _read(content, file_name, _REGISTRY, limits)


@dataclass
class _Sheet:
    """One sheet's cells as the file holds them, row-major. Rows are cleaned (strings
    stripped, empty cells None) only where the table's layout is worked out; the data
    columns are cleaned column by column."""

    rows: list[list[object]]
    # (row index, column index) of numeric cells formatted as a percentage: the county
    # means what the cell shows (85.5%), not the fraction stored (0.855).
    percent_cells: frozenset[tuple[int, int]] = frozenset()
    name: str = ""
    _cleaned: dict[int, list[object]] = field(default_factory=dict)

    def row(self, index: int) -> list[object]:
        if index not in self._cleaned:
            self._cleaned[index] = [_clean(cell) for cell in self.rows[index]]
        return self._cleaned[index]

    def is_blank(self, index: int) -> bool:
        return _is_blank(self.row(index))


def _clean(cell: object) -> object:
    if isinstance(cell, str):
        return cell.strip() or None
    if isinstance(cell, bool):
        return "TRUE" if cell else "FALSE"  # as the spreadsheet shows it
    if isinstance(cell, time | timedelta):
        return str(cell)
    return cell


def _read(content: bytes, file_name: str, form: _Form, limits: ReadLimits) -> ReadResult:
    (result,) = _read_all([(file_name, content)], form, limits)
    if isinstance(result, UnreadableFile):
        raise result
    return result


def _read_all(
    files: Sequence[tuple[str, bytes]], form: _Form, limits: ReadLimits
) -> list[ReadResult | UnreadableFile]:
    results: list[ReadResult | UnreadableFile | None] = [None] * len(files)
    tables: list[_Table] = []
    for index, (file_name, content) in enumerate(files):
        try:
            tables.append(_table(content, file_name, form, limits))
        except UnreadableFile as problem:
            results[index] = problem
    laid_out = [index for index, result in enumerate(results) if result is None]
    for index, result in zip(laid_out, _parse_tables(tables, form, limits), strict=True):
        results[index] = result
    return results


def _table(content: bytes, file_name: str, form: _Form, limits: ReadLimits) -> _Table:
    if len(content) > limits.max_bytes:
        raise UnreadableFile(
            file_name,
            f"文件过大：{len(content):,} 字节，超过 {limits.max_bytes:,} 字节的上限。"
            "请删除多余的工作表和行后重新报送",
        )
    if not content:
        raise UnreadableFile(file_name, "空文件（0 字节），请重新上传")
    first_problem: UnreadableFile | None = None
    any_cells = False
    for sheet in _sheets(content, file_name, limits):
        if all(sheet.is_blank(i) for i in range(len(sheet.rows))):
            continue
        any_cells = True
        try:
            return _lay_out(sheet, file_name, form, limits)
        except _NoHeader as problem:
            first_problem = first_problem or problem.unreadable
    if not any_cells:
        raise UnreadableFile(file_name, "文件中没有任何内容：每一行都是空的")
    raise first_problem


class _NoHeader(Exception):
    def __init__(self, unreadable: UnreadableFile):
        self.unreadable = unreadable


def _is_blank(cells: Sequence[object]) -> bool:
    return all(cell is None for cell in cells)


# --- files to sheets -------------------------------------------------------------------------


def _sheets(content: bytes, file_name: str, limits: ReadLimits) -> Iterator[_Sheet]:
    extension = PurePath(file_name).suffix.lower()
    if extension == ".csv":
        yield _csv_sheet(content, file_name, limits)
    elif extension in (".xlsx", ".xlsm"):
        yield from _xlsx_sheets(content, file_name, limits)
    elif extension == ".xls":
        yield from _xls_sheets(content, file_name, limits)
    else:
        shown = extension or "（无扩展名）"
        raise UnreadableFile(
            file_name, f"不支持的文件类型 {shown}：请报送 .xlsx、.xls 或 .csv 文件"
        )


def _known_format(content: bytes) -> str | None:
    return next((what for magic, what in _NOT_SPREADSHEETS if content.startswith(magic)), None)


def _what_is(content: bytes) -> str:
    if known := _known_format(content):
        return known
    if content.startswith(_ZIP_MAGIC):
        return "ZIP 压缩包（XLSX 工作簿？）"
    if content.startswith(_OLE_MAGIC):
        return "旧版 Excel 工作簿（.xls）"
    if b"\x00" not in content and any(_decodes(content, e) for e in _ENCODINGS):
        return "纯文本（CSV 文件？）"
    return "无法识别的二进制数据"


def _decodes(content: bytes, encoding: str) -> bool:
    try:
        content.decode(encoding)
    except UnicodeDecodeError:
        return False
    return True


def _wrong_container(file_name: str, expected: str, content: bytes) -> UnreadableFile:
    return UnreadableFile(
        file_name,
        f"不是报表文件：文件名是 {expected}，内容却是{_what_is(content)}。"
        "请用 Excel 或 WPS 另存为正确的格式后重新报送",
    )


def _calamine_sheets(
    workbook: CalamineWorkbook, file_name: str, kind: str, limits: ReadLimits
) -> Iterator[_Sheet]:
    """The workbook's visible worksheets, instruction sheets (填表说明) last."""
    names = [
        m.name
        for m in workbook.sheets_metadata
        if str(m.typ).endswith("WorkSheet") and str(m.visible).endswith(".Visible")
    ]
    names.sort(key=lambda name: any(word in name for word in _INSTRUCTION_SHEETS))
    for name in names:
        try:
            sheet = workbook.get_sheet_by_name(name)
            if sheet.height * max(sheet.width, 1) > limits.max_cells:
                raise UnreadableFile(file_name, _area_problem(sheet.height, sheet.width, limits))
            rows = sheet.to_python(skip_empty_area=False)
        except UnreadableFile:
            raise
        except (CalamineError, ValueError, OverflowError) as exc:
            raise _damaged(file_name, kind) from exc
        except BaseException as exc:  # the Rust library panics on some damaged files
            if isinstance(exc, KeyboardInterrupt | SystemExit | GeneratorExit):
                raise
            raise _damaged(file_name, kind) from exc
        yield _Sheet(_checked_rows(rows, file_name, limits), name=name)


def _opened_workbook(content: bytes, file_name: str, kind: str) -> CalamineWorkbook:
    try:
        return CalamineWorkbook.from_filelike(io.BytesIO(content))
    except BaseException as exc:  # the Rust library panics on some damaged files
        if isinstance(exc, KeyboardInterrupt | SystemExit | GeneratorExit):
            raise
        raise _damaged(file_name, kind) from exc


def _damaged(file_name: str, kind: str) -> UnreadableFile:
    return UnreadableFile(
        file_name,
        f"{kind} 工作簿已损坏，无法读取。请用 Excel 或 WPS 打开后另存，再重新报送",
    )


def _area_problem(height: int, width: int, limits: ReadLimits) -> str:
    return (
        f"工作表范围过大：{height:,} 行 × {width:,} 列，超过 {limits.max_cells:,} 个单元格的"
        "上限。请删除表格以外的多余行列（包括远处的空格式单元格）后重新报送"
    )


def _checked_rows(rows: list[list[object]], file_name: str, limits: ReadLimits):
    if len(rows) > limits.max_rows + MAX_TITLE_ROWS * 4:
        raise UnreadableFile(file_name, _rows_problem(len(rows), limits))
    width = max((len(row) for row in rows), default=0)
    if width > limits.max_columns:
        raise UnreadableFile(file_name, _columns_problem(width, limits))
    return rows


def _rows_problem(count: int, limits: ReadLimits) -> str:
    return f"行数过多：{count:,} 行，超过 {limits.max_rows:,} 行的上限。请只报送本期本县的数据"


def _columns_problem(count: int, limits: ReadLimits) -> str:
    return f"列数过多：{count:,} 列，超过 {limits.max_columns:,} 列的上限。请使用规定的报表格式"


def _cell_problem(row: int, length: int, limits: ReadLimits) -> str:
    return (
        f"第{row}行有一个单元格长达 {length:,} 个字符，超过 {limits.max_cell_chars:,} 个字符"
        "的上限。请检查该行是否粘贴了多余内容"
    )


def _xls_sheets(content: bytes, file_name: str, limits: ReadLimits) -> Iterator[_Sheet]:
    if not content.startswith(_OLE_MAGIC):
        raise _wrong_container(file_name, ".xls", content)
    workbook = _opened_workbook(content, file_name, "XLS")
    # A BIFF8 sheet has at most 65,536 × 256 cells, so its dense grid is bounded even when
    # the file is hostile; the limits are checked on it before it becomes Python objects.
    yield from _calamine_sheets(workbook, file_name, "XLS", limits)


def _xlsx_sheets(content: bytes, file_name: str, limits: ReadLimits) -> Iterator[_Sheet]:
    if not content.startswith(_ZIP_MAGIC):
        raise _wrong_container(file_name, ".xlsx", content)
    percent_cells = _checked_xlsx_parts(content, file_name, limits)
    workbook = _opened_workbook(content, file_name, "XLSX")
    for sheet in _calamine_sheets(workbook, file_name, "XLSX", limits):
        sheet.percent_cells = percent_cells.get(sheet.name, frozenset())
        yield sheet


def _checked_xlsx_parts(
    content: bytes, file_name: str, limits: ReadLimits
) -> dict[str, frozenset[tuple[int, int]]]:
    """Unzip every part once, bounded, before the workbook library sees the archive: the
    sizes the archive declares must add up to less than the limit and be the true sizes
    (a part whose data runs past its declared size fails its checksum here), and each
    sheet's used range must fit the cell limit. Returns the percent-formatted cells of
    each sheet by sheet name."""
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            members = archive.infolist()
            names = {m.filename for m in members}
            if "[Content_Types].xml" not in names or "xl/workbook.xml" not in names:
                raise UnreadableFile(
                    file_name, "不是报表文件：这是一个 ZIP 压缩包，但不是 XLSX 工作簿"
                )
            declared = sum(m.file_size for m in members)
            if declared > limits.max_unzipped_bytes:
                raise UnreadableFile(file_name, _unzipped_problem(declared, limits))
            parts = {m.filename: _bounded_read(archive, m, file_name) for m in members}
    except UnreadableFile:
        raise
    except UnicodeDecodeError as exc:
        raise UnreadableFile(
            file_name, "XLSX 工作簿已损坏：压缩包内的文件名不是有效的文字。请重新保存后报送"
        ) from exc
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, NotImplementedError) as exc:
        raise UnreadableFile(
            file_name, "XLSX 工作簿不完整或已损坏（压缩包被截断或校验失败），请重新上传"
        ) from exc
    percent_styles = _percent_styles(parts.get("xl/styles.xml", b""))
    sheet_parts = _sheet_parts_by_name(parts)
    percent_cells = {}
    for name, part in sheet_parts.items():
        xml = parts.get(part, b"")
        rows, columns = _used_range(xml, limits.max_cells)
        if rows * columns > limits.max_cells:
            raise UnreadableFile(file_name, _area_problem(rows, columns, limits))
        percent_cells[name] = _styled_cells(xml, percent_styles)
    return percent_cells


def _unzipped_problem(size: int, limits: ReadLimits) -> str:
    return (
        f"XLSX 工作簿解压后过大：{size:,} 字节，超过 {limits.max_unzipped_bytes:,} 字节的上限"
        "（文件可能已损坏或被篡改）。请重新保存后报送"
    )


def _bounded_read(archive: zipfile.ZipFile, member: zipfile.ZipInfo, file_name: str) -> bytes:
    # ZipExtFile never returns more than the declared size and checks the CRC at the end, so
    # the bytes read here are exactly what the archive declared.
    with archive.open(member) as handle:
        data = handle.read(member.file_size + 1)
    if len(data) != member.file_size:
        raise zipfile.BadZipFile(f"{file_name}: {member.filename} size mismatch")
    return data


# Sheet XML as Excel, WPS, LibreOffice, openpyxl and xlsxwriter write it: each cell's first
# attribute is its reference. Other cells are measured the slow, general way.
_CELL_COLUMN = re.compile(rb'<c r="([A-Z]{1,3})\d')
_CELL_REF = re.compile(rb'<c\s[^>]*?\br="([A-Z]{1,3})(\d{1,7})"')
_ROW_REF = re.compile(rb'<row\s[^>]*?\br="(\d{1,7})"')
_CELL_WITHOUT_REF = re.compile(rb'<c(?:\s(?![^>]*\br=")[^>]*)?/?>')


def _used_range(xml: bytes, max_cells: int) -> tuple[int, int]:
    """Rows × columns of the rectangle from A1 to the farthest cell the sheet XML holds, as
    far as it matters for `max_cells`: a row number is read exactly only when it could
    make the rectangle too large."""
    columns_seen = _CELL_COLUMN.findall(xml)
    cells = xml.count(b"<c ") + xml.count(b"<c>") + xml.count(b"<c/>")
    rows_seen = _ROW_REF.findall(xml)
    max_row = int(np.array(rows_seen, dtype="S7").astype(np.int64).max()) if rows_seen else 0
    if len(columns_seen) < cells:
        return _used_range_of_any_sheet(xml, max_row)
    max_column = max((_column_index(letters) + 1 for letters in set(columns_seen)), default=0)
    allowed_rows = max_cells // max(max_column, 1)
    digits = len(str(allowed_rows + 1))
    far = re.findall(rb'<c r="[A-Z]{1,3}(\d{%d,7})"' % digits, xml)
    return max([max_row, *map(int, far)]), max_column


def _used_range_of_any_sheet(xml: bytes, max_row: int) -> tuple[int, int]:
    """The same for cells whose reference is not their first attribute or is absent: a cell
    without one counts as a column of its own (an overestimate, never under)."""
    max_column = 0
    for letters, number in _CELL_REF.findall(xml):
        max_row = max(max_row, int(number))
        max_column = max(max_column, _column_index(letters) + 1)
    unreferenced = len(_CELL_WITHOUT_REF.findall(xml))
    if unreferenced:
        max_row = max(max_row, xml.count(b"<row"))
        max_column = max(max_column, unreferenced)
    return max_row, max_column


def _column_index(letters: bytes) -> int:
    index = 0
    for letter in letters:
        index = index * 26 + letter - 64
    return index - 1


def _percent_styles(styles_xml: bytes) -> frozenset[str]:
    """The cell style ids whose number format shows a percentage."""
    if not styles_xml:
        return frozenset()
    try:
        root = ElementTree.fromstring(styles_xml)
    except ElementTree.ParseError:
        return frozenset()
    namespace = root.tag.partition("}")[0] + "}" if root.tag.startswith("{") else ""
    percent_formats = {"9", "10"}  # Excel's built-in 0% and 0.00%
    for number_format in root.iter(f"{namespace}numFmt"):
        if "%" in number_format.get("formatCode", "").replace("\\%", ""):
            percent_formats.add(number_format.get("numFmtId", ""))
    cell_formats = root.find(f"{namespace}cellXfs")
    if cell_formats is None:
        return frozenset()
    return frozenset(
        str(index)
        for index, xf in enumerate(cell_formats.findall(f"{namespace}xf"))
        if xf.get("numFmtId") in percent_formats
    )


def _styled_cells(xml: bytes, styles: frozenset[str]) -> frozenset[tuple[int, int]]:
    if not styles:
        return frozenset()
    pattern = re.compile(
        rb'<c\s(?=[^>]*\bs="(?:' + b"|".join(s.encode() for s in sorted(styles)) + rb')")'
        rb'[^>]*?\br="([A-Z]{1,3})(\d{1,7})"'
    )
    return frozenset(
        (int(number) - 1, _column_index(letters)) for letters, number in pattern.findall(xml)
    )


def _sheet_parts_by_name(parts: dict[str, bytes]) -> dict[str, str]:
    """Sheet name -> its part in the archive, from the workbook and its relationships."""
    try:
        workbook = ElementTree.fromstring(parts["xl/workbook.xml"])
        relations = ElementTree.fromstring(parts.get("xl/_rels/workbook.xml.rels", b"<r/>"))
    except ElementTree.ParseError:
        return {}
    targets = {
        r.get("Id"): r.get("Target", "")
        for r in relations.iter()
        if r.tag.endswith("}Relationship")
    }
    found = {}
    for sheet in workbook.iter():
        if not sheet.tag.endswith("}sheet"):
            continue
        relation = next((v for k, v in sheet.attrib.items() if k.endswith("}id")), None)
        target = targets.get(relation, "").lstrip("/")
        found[sheet.get("name", "")] = target if target.startswith("xl/") else f"xl/{target}"
    return found


def _csv_sheet(content: bytes, file_name: str, limits: ReadLimits) -> _Sheet:
    if content.startswith((_ZIP_MAGIC, _OLE_MAGIC)) or _known_format(content):
        raise _wrong_container(file_name, ".csv", content)
    text = _decode(content, file_name)
    lines = text.splitlines()
    if len(lines) > limits.max_rows + MAX_TITLE_ROWS * 4:
        raise UnreadableFile(file_name, _rows_problem(len(lines), limits))
    # Cheap upper bounds first, so that a hostile line of millions of commas or one huge
    # cell is refused before the CSV parser allocates a field for each.
    widest = max(lines, key=lambda line: line.count(","), default="")
    if widest.count(",") >= limits.max_columns:
        fields_in_line = next(csv.reader([widest]), [])
        if len(fields_in_line) > limits.max_columns:
            raise UnreadableFile(file_name, _columns_problem(len(fields_in_line), limits))
    csv.field_size_limit(max(csv.field_size_limit(), limits.max_bytes))
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        records = list(reader)
    except csv.Error as exc:
        if "unexpected end of data" in str(exc):  # strict mode: EOF inside quotes
            raise UnreadableFile(
                file_name, "CSV 文件不完整：文件在一个带引号的值中间结束，请重新上传"
            ) from exc
        raise UnreadableFile(
            file_name,
            f"CSV 格式错误：第{reader.line_num}行附近的引号不配对。"
            "请用 Excel 或 WPS 另存为 CSV 后重新报送",
        ) from exc
    _check_last_record(records, text, file_name)
    if max(map(len, lines), default=0) > limits.max_cell_chars:
        for number, record in enumerate(records, start=1):
            longest = max(map(len, record), default=0)
            if longest > limits.max_cell_chars:
                raise UnreadableFile(file_name, _cell_problem(number, longest, limits))
    return _Sheet(records)


def _decode(content: bytes, file_name: str) -> str:
    if content.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) or b"\x00" in content:
        raise UnreadableFile(
            file_name,
            "编码错误：文件是 UTF-16 文本或含 NUL 字节的二进制数据。"
            "请另存为 UTF-8 或 GB18030/GBK 编码的 CSV 文件",
        )
    for encoding in _ENCODINGS:
        decoder = codecs.getincrementaldecoder(encoding)()
        try:
            text = decoder.decode(content)  # not final: a character cut off at the end waits
        except UnicodeDecodeError:
            continue
        if decoder.getstate()[0]:
            raise UnreadableFile(file_name, "CSV 文件不完整：文件在一个字符的中间结束，请重新上传")
        if encoding == "gb18030":
            _check_single_encoding(content, file_name)
        return text
    _check_single_encoding(content, file_name)
    raise UnreadableFile(
        file_name,
        "编码错误：内容既不是 UTF-8 也不是 GB18030/GBK 文本。请另存为 UTF-8 或 GBK 编码的 CSV",
    )


def _check_single_encoding(content: bytes, file_name: str) -> None:
    """A file in which some lines are UTF-8 and others GB18030 was pasted together from two
    files: read as one encoding, half of its text would be garbled or unreadable."""
    first_utf8 = first_gb18030 = None
    for number, line in enumerate(content.split(b"\n"), start=1):
        if line.isascii():
            continue
        if _decodes(line, "utf-8"):
            first_utf8 = first_utf8 or number
        elif _decodes(line, "gb18030"):
            first_gb18030 = first_gb18030 or number
        if first_utf8 and first_gb18030:
            raise UnreadableFile(
                file_name,
                f"编码混杂：第{first_utf8}行是 UTF-8 编码，第{first_gb18030}行是 GB18030/GBK 编码。"
                "请把整个文件另存为同一种编码后重新报送",
            )


def _check_last_record(records: list[list[str]], text: str, file_name: str) -> None:
    """A short last row with no line break after it is where a cut-off upload stopped."""
    if not records or text.endswith(("\n", "\r")):
        return
    width = max(len(record) for record in records)
    if len(records[-1]) < width:
        raise UnreadableFile(
            file_name,
            f"CSV 文件不完整：最后一行（第{len(records)}行）只有 {len(records[-1])} 个字段"
            f"（应有 {width} 个），且其后没有换行。请重新上传",
        )


# --- the table on a sheet --------------------------------------------------------------------


@dataclass(frozen=True)
class _Header:
    last_row: int  # index of the header's last row (or of the units/number row under it)
    number: int  # the header's row number, as the county sees it (its first row)
    positions: dict[str, int]  # canonical column name -> cell index
    unknown: tuple[str, ...]
    duplicated: tuple[str, ...]

    def findings(self, form: _Form, file_name: str) -> list[Finding]:
        missing = [c for c in form.columns if c.name not in self.positions and c is not EXPLANATION]
        problems = [
            ("missing_columns", "error", "缺少必填列", [c.chinese for c in missing if c.required]),
            (
                "missing_optional_columns",
                "warning",
                "缺少可选列（按空值读取）",
                [c.chinese for c in missing if not c.required],
            ),
            ("duplicate_columns", "error", "列重复（只读取第一列）", list(self.duplicated)),
            ("unknown_columns", "warning", f"以下列不属于{form.label}，已忽略", list(self.unknown)),
        ]
        return [
            Finding.about_rows(
                rule,
                severity,
                f"{message}：{'、'.join(names)}",
                rows=[self.number],
                values=names,
                file_name=file_name,
            )
            for rule, severity, message, names in problems
            if names
        ]


@dataclass(frozen=True)
class _Table:
    """Where a file's table is: its sheet, header and data rows, with the findings and the
    signature found in laying it out. Its cells are parsed with other files' (`_parse_tables`)."""

    file_name: str
    sheet: _Sheet
    header: _Header
    body: _Body
    findings: tuple[Finding, ...]
    signature: Signature


def _lay_out(sheet: _Sheet, file_name: str, form: _Form, limits: ReadLimits) -> _Table:
    header = _find_header(sheet, form, file_name)
    body_start = _skip_units_and_column_numbers(sheet, header.last_row + 1)
    body = _Body(sheet, body_start, header)
    if len(body.data) > limits.max_rows:
        raise UnreadableFile(file_name, _rows_problem(len(body.data), limits))
    findings = header.findings(form, file_name)
    if len(body.after_footer):
        findings.append(
            Finding.about_rows(
                "data_after_footer",
                "error",
                "表尾（签名栏或注）之后还有企业数据，这些行未被读取；请把全部数据放在表尾之前",
                rows=body.after_footer + 1,
                file_name=file_name,
            )
        )
    signature = _signature(
        [sheet.row(i) for i in range(header.number - 1)],
        [sheet.row(i) for i in range(body.footer_start, len(sheet.rows))],
    )
    return _Table(file_name, sheet, header, body, tuple(findings), signature)


def _find_header(sheet: _Sheet, form: _Form, file_name: str) -> _Header:
    non_blank = []
    for index in range(len(sheet.rows)):
        if len(non_blank) == MAX_TITLE_ROWS + 2:
            break
        if not sheet.is_blank(index):
            non_blank.append(index)
    best: _Header | None = None
    for position, top in enumerate(non_blank[: MAX_TITLE_ROWS + 1]):
        below = non_blank[position + 1] if position + 1 < len(non_blank) else None
        for candidate in (
            _header_from(sheet, [top], form),
            _header_from(sheet, [top, below], form) if below is not None else None,
        ):
            if candidate is not None and (
                best is None or len(candidate.positions) > len(best.positions)
            ):
                best = candidate
    if best is None or len(_form_columns(best)) * 2 < len(form.columns):
        texts = [c for i in non_blank for c in sheet.row(i) if isinstance(c, str)]
        if _looks_garbled(texts):
            raise _NoHeader(
                UnreadableFile(
                    file_name,
                    "编码错误：文字显示为乱码，找不到表头。请另存为 UTF-8 或 GB18030/GBK 编码",
                )
            )
        expected = "、".join(c.chinese for c in form.columns)
        raise _NoHeader(
            UnreadableFile(
                file_name,
                f"找不到表头：前 {len(non_blank)} 个非空行中没有{form.label}的列名"
                f"（应有：{expected}；英文列名亦可）。表头之上最多允许 {MAX_TITLE_ROWS} 行"
                "标题或说明",
            )
        )
    return best


def _form_columns(header: _Header) -> list[str]:
    return [name for name in header.positions if name not in (EXPLANATION.name, _SERIAL_NUMBER)]


def _column_of(cell: object, form: _Form) -> str | None:
    if cell is None:
        return None
    key = _header_key(cell)
    return form.aliases.get(key) or form.aliases.get(_HEADER_UNIT.sub("", key))


def _header_from(sheet: _Sheet, indexes: list[int], form: _Form) -> _Header | None:
    """The header made of one row, or of two: sub-headers under group titles (职工情况（人）
    over 职工总数/在岗人数), where a column without a sub-header takes the title above it (a
    single header merged vertically). Two rows count only if both name columns."""
    upper_row, lower_row = sheet.row(indexes[0]), sheet.row(indexes[-1])
    two_rows = len(indexes) == 2
    width = max(len(upper_row), len(lower_row))
    positions: dict[str, int] = {}
    unknown: list[str] = []
    duplicated: list[str] = []
    rows_used = set()
    for index in range(width):
        upper = upper_row[index] if index < len(upper_row) else None
        lower = lower_row[index] if two_rows and index < len(lower_row) else None
        shown, row_used = (lower, "lower") if lower is not None else (upper, "upper")
        if shown is None:
            continue
        name = _column_of(shown, form)
        if name is None:
            unknown.append(str(shown))
        elif name in positions:
            duplicated.append(str(shown))
        else:
            positions[name] = index
            rows_used.add(row_used)
    if two_rows and rows_used != {"upper", "lower"}:
        return None
    ordered = {c.name: positions[c.name] for c in form.columns if c.name in positions}
    if _SERIAL_NUMBER in positions:
        ordered[_SERIAL_NUMBER] = positions[_SERIAL_NUMBER]
    return _Header(indexes[-1], indexes[0] + 1, ordered, tuple(unknown), tuple(duplicated))


def _skip_units_and_column_numbers(sheet: _Sheet, start: int) -> int:
    """Past a units row and a column-number row (in either order) right under the header."""
    index = start
    for _ in range(2):
        while index < len(sheet.rows) and sheet.is_blank(index):
            index += 1
        if index < len(sheet.rows) and (
            _all_match(sheet.row(index), _UNIT) or _is_column_numbers(sheet.row(index))
        ):
            index += 1
        else:
            break
    return index


def _all_match(row: list[object], pattern: re.Pattern) -> bool:
    texts = [_cell_text(c) for c in row if c is not None]
    return bool(texts) and all(pattern.match(t) for t in texts)


def _is_column_numbers(row: list[object]) -> bool:
    texts = [_cell_text(c) for c in row if c is not None]
    return len(texts) >= 2 and all(_COLUMN_NUMBER.match(t) for t in texts)


def _cell_text(cell: object) -> str:
    if isinstance(cell, float) and cell.is_integer():
        return str(int(cell))
    return re.sub(r"\s", "", unicodedata.normalize("NFKC", str(cell)))


class _Body:
    """The rows under the header: which are data, where the footer starts, and each column's
    raw cells in the data rows. Blank rows (nothing under the form's columns) and total
    rows are not data; a row whose enterprise id looks like a credit code always is,
    unless it comes after the footer."""

    def __init__(self, sheet: _Sheet, start: int, header: _Header):
        rows = sheet.rows[start:]
        self.columns = list(itertools.zip_longest(*rows)) if rows else []
        id_cells = self._raw("enterprise_id", header)
        texts = pd.Series([c if isinstance(c, str) else "" for c in id_cells], dtype="str")
        looks_like_id = (
            texts.str.strip().str.fullmatch(_CREDIT_CODE_LIKE.pattern).to_numpy(dtype=bool).copy()
        )
        form_positions = [j for name, j in header.positions.items() if name != _SERIAL_NUMBER]
        data, footer = [], len(rows)
        for offset in np.flatnonzero(~looks_like_id) if len(rows) else []:
            row = sheet.row(start + offset)
            first = next((c for c in row if c is not None), None)
            if first is None:
                continue
            if _FOOTER_START.match(_cell_text(first)):
                footer = int(offset)
                break
            if _is_total(row) or all(j >= len(row) or row[j] is None for j in form_positions):
                continue
            data.append(int(offset))
        ids_before_footer = np.flatnonzero(looks_like_id[:footer])
        self.offsets = np.sort(np.concatenate([ids_before_footer, np.array(data, dtype=int)]))
        self.data = self.offsets + start  # row indexes in the sheet
        self.footer_start = start + footer
        self.after_footer = np.flatnonzero(looks_like_id[footer:]) + start + footer
        self.start = start

    def _raw(self, name: str, header: _Header) -> list[object]:
        position = header.positions.get(name)
        if position is None or position >= len(self.columns):
            return [None] * (len(self.columns[0]) if self.columns else 0)
        return list(self.columns[position])

    def cells(self, position: int | None) -> np.ndarray:
        """The raw cells of the data rows in the sheet column at `position`."""
        if position is None or position >= len(self.columns):
            return np.full(len(self.offsets), None, dtype=object)
        column = np.array(self.columns[position], dtype=object)
        return column[self.offsets]


def _is_total(row: list[object]) -> bool:
    texts = (_cell_text(cell) for cell in row if isinstance(cell, str))
    return any(text.startswith(TOTAL_ROW_MARKERS) for text in texts)


def _signature(title_rows: list[list[object]], footer_rows: list[list[object]]) -> Signature:
    """Signature fields from the footer (and a 填报日期 in the title block); a later line
    wins, so the footer's 报出日期 beats the title's."""
    found: dict[str, str] = {}
    for row in [*title_rows, *footer_rows]:
        text = "".join(_cell_text(c) for c in row if c is not None)
        for label, value in _SIGNATURE.findall(text):
            value = value.strip("：:，,；;。 ")
            if value:
                found[_SIGNATURE_FIELDS[label]] = value
    return Signature(**{f.name: found.get(f.name) for f in fields(Signature)})


def _looks_garbled(texts: Sequence[str]) -> bool:
    non_ascii = [char for text in texts for char in text if not char.isascii()]
    if not non_ascii:
        return False
    rare = sum(1 for char in non_ascii if not _is_common_chinese(char))
    return rare > _GARBLED_SHARE * len(non_ascii)


def _is_common_chinese(char: str) -> bool:
    try:
        char.encode("gb2312")
    except UnicodeEncodeError:
        return False
    return True


# --- cells, column by column -------------------------------------------------------------------

# What the county should have written, by parser, for the reason of an unparseable value.
_EXPECTED = {
    "percent": "数字或百分数，如 85.5 或 85.5%",
    "whole": "整数，如 1234 或 1,234",
    "number": "数字，如 1234.5 或 1,234.5",
    "yes_no": "是或否（是/否、Y/N、1/0）",
    "date": "日期，如 2020-03-17、2020/3/17 或 2020年3月17日",
}


def _parser_kind(column: Column) -> str:
    if column.name in _PERCENT_COLUMNS:
        return "percent"
    if column.dtype == "Int64":
        return "whole"
    if column.dtype == "Float64":
        return "number"
    if column.dtype == "boolean":
        return "yes_no"
    if column.dtype == DATE:
        return "date"
    if column.name in _CODE_COLUMNS:
        return "code"
    return "text"


def _parse_tables(
    tables: Sequence[_Table], form: _Form, limits: ReadLimits
) -> list[ReadResult | UnreadableFile]:
    """The tables' cells parsed together, a column at a time, and each table's frame cut out
    of the whole: a file's values, findings and problems are what it would have alone."""
    if not tables:
        return []
    counts = np.array([len(t.body.data) for t in tables])
    ends = np.cumsum(counts)
    starts = ends - counts
    table_of_row = np.repeat(np.arange(len(tables)), counts)
    row_numbers = np.concatenate([t.body.data + 1 for t in tables])
    problems: dict[int, UnreadableFile] = {}
    cell_findings: list[list[Finding]] = [[] for _ in tables]
    columns: dict[str, pd.Series] = {}
    for column in form.columns:
        raw = pd.Series(
            np.concatenate([t.body.cells(t.header.positions.get(column.name)) for t in tables]),
            dtype=object,
        )
        kind = _parser_kind(column)
        values, failed, lengths = _parse(raw, column, _shown_as_percent(tables, column))
        for number in np.unique(table_of_row[lengths > limits.max_cell_chars]):
            row = starts[number] + int(np.argmax(lengths[starts[number] : ends[number]]))
            problem = _cell_problem(int(row_numbers[row]), int(lengths[row]), limits)
            problems.setdefault(number, UnreadableFile(tables[number].file_name, problem))
        columns[column.name] = values
        for number in np.unique(table_of_row[failed]):
            in_table = np.flatnonzero(failed[starts[number] : ends[number]]) + starts[number]
            cell_findings[number].append(
                Finding.about_rows(
                    f"unparseable_{column.name}",
                    "error",
                    f"{_short_label(column)}的值无法识别，应为{_EXPECTED.get(kind, '文字')}",
                    rows=row_numbers[in_table],
                    values=[_shown(_clean(v)) for v in raw.iloc[in_table]],
                    column=column.name,
                    file_name=tables[number].file_name,
                )
            )
    whole = pd.DataFrame({SOURCE_ROW: pd.Series(row_numbers, dtype="Int64"), **columns})
    results: list[ReadResult | UnreadableFile] = []
    for number, table in enumerate(tables):
        if number in problems:
            results.append(problems[number])
            continue
        frame = (
            whole
            if len(tables) == 1
            else whole.iloc[starts[number] : ends[number]].reset_index(drop=True)
        )
        findings = [*table.findings, *cell_findings[number]]
        if "capacity_pct" in frame:
            findings += _fraction_capacity_findings(frame, table.file_name)
        results.append(ReadResult(frame, tuple(findings), table.signature))
    return results


def _shown_as_percent(tables: Sequence[_Table], column: Column) -> np.ndarray | None:
    """Which of the rows' cells in `column` are numbers shown as a percentage, or None."""
    if _parser_kind(column) != "percent":
        return None
    shown = []
    for table in tables:
        position = table.header.positions.get(column.name)
        percent_cells = table.sheet.percent_cells if position is not None else frozenset()
        shown.append(
            np.array([(i, position) in percent_cells for i in table.body.data], dtype=bool)
        )
    return np.concatenate(shown)


def _short_label(column: Column) -> str:
    return _HEADER_UNIT.sub("", column.chinese)


def _shown(value: object) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _parse(
    raw: pd.Series, column: Column, shown_as_percent: np.ndarray | None
) -> tuple[pd.Series, np.ndarray, np.ndarray]:
    """(values in the column's dtype, failed mask, length of each row's text): a present
    cell that cannot be parsed fails and is missing; an absent cell is missing (whether it
    may be absent is the expectation suite's rule). Each distinct cell value is parsed once,
    and the typed distinct values are spread over the rows: a column repeats its dates,
    codes and 是/否."""
    if shown_as_percent is not None and shown_as_percent.any():
        raw = raw.copy()
        # Decimal keeps 0.855 × 100 at 85.5, as the cell shows it, not 85.49999999999999.
        raw[shown_as_percent] = raw[shown_as_percent].map(
            lambda v: float(Decimal(repr(v)) * 100) if _is_native_number(v) else v
        )
    # True and 1 are one key to factorize; a spreadsheet's TRUE is text (`_clean`).
    is_bool = np.fromiter((type(v) is bool for v in raw), bool, len(raw))
    if is_bool.any():
        raw = raw.copy()
        raw[is_bool] = raw[is_bool].map(_clean)
    codes, uniques = pd.factorize(raw, use_na_sentinel=True)
    lengths = np.array([len(v) if isinstance(v, str) else 0 for v in uniques] + [0])
    cleaned = np.array([_clean(v) for v in uniques], dtype=object)
    parsed, failed = _parse_distinct(cleaned, _parser_kind(column), column.name)
    failed &= np.array([v is not None for v in cleaned], dtype=bool)
    # One more distinct value, missing, for the absent cells.
    distinct = [*parsed, None]
    if column.dtype == DATE:
        typed = pd.Series(np.array(distinct, dtype=DATE))
    else:
        typed = pd.Series(distinct, dtype=column.dtype)
    index = np.where(codes >= 0, codes, len(parsed))
    values = typed.take(index).reset_index(drop=True)
    return values, np.append(failed, False)[index], lengths[index]


def _is_native_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _parse_distinct(cells: np.ndarray, kind: str, name: str) -> tuple[np.ndarray, np.ndarray]:
    """Parse distinct cell values: (parsed values, failed mask), both aligned with `cells`."""
    parsed = np.full(len(cells), None, dtype=object)
    done = np.zeros(len(cells), dtype=bool)
    is_text = np.fromiter((isinstance(v, str) for v in cells), bool, len(cells))
    is_number = np.fromiter((_is_native_number(v) for v in cells), bool, len(cells))
    # Free text is kept as written; everything parsed from text is read in its NFKC form
    # (full-width digits and letters as ASCII).
    texts = (
        _nfkc(pd.Series(cells[is_text], dtype="string[pyarrow]"))
        if kind not in ("text", "code")
        else None
    )
    text_at = np.flatnonzero(is_text)
    numbers = pd.Series(cells[is_number], dtype="float64")
    number_at = np.flatnonzero(is_number)

    def accept(at: np.ndarray, values) -> None:
        parsed[at] = values
        done[at] = True

    if kind in ("text", "code"):
        present = np.flatnonzero([v is not None for v in cells])
        accept(present, [v if isinstance(v, str) else _shown(v) for v in cells[present]])
        if kind == "code" and len(present):
            codes = _nfkc(pd.Series(parsed[present], dtype="string[pyarrow]")).str.upper()
            width = _ZERO_PADDED_WIDTH.get(name, 0)
            if width:
                codes = codes.where(~codes.str.isdigit(), codes.str.zfill(width))
            parsed[present] = codes.to_numpy(dtype=object)
    elif kind in ("whole", "number", "percent"):
        usable = np.isfinite(numbers.to_numpy())
        if kind == "whole":
            usable &= (numbers.to_numpy() % 1 == 0) & (np.abs(numbers.to_numpy()) < 2**63)
            accept(number_at[usable], [int(v) for v in numbers[usable]])
        else:
            accept(number_at[usable], numbers[usable].to_numpy(dtype=object))
        if kind == "percent":
            texts = texts.str.removesuffix("%").str.rstrip()
        well_formed = texts.str.fullmatch(_NUMBER.pattern).fillna(False).to_numpy(dtype=bool)
        plain = texts[well_formed].str.replace(",", "", regex=False)
        at = text_at[well_formed]
        if kind == "whole":
            whole = plain.str.fullmatch(_WHOLE_UP_TO_INT64).fillna(False).to_numpy(dtype=bool)
            digits = plain[whole].str.replace(r"\.0*$", "", regex=True).str.lstrip("+")
            accept(at[whole], digits.astype("int64").to_numpy(dtype=object))
        else:
            accept(at, plain.astype("float64").to_numpy(dtype=object))
    elif kind == "yes_no":
        binary = numbers.isin([0.0, 1.0]).to_numpy()
        accept(number_at[binary], (numbers[binary] == 1.0).to_numpy(dtype=object))
        keys = texts.str.casefold()
        yes, no = keys.isin(_YES).to_numpy(dtype=bool), keys.isin(_NO).to_numpy(dtype=bool)
        accept(text_at[yes], True)
        accept(text_at[no], False)
    else:
        is_date = np.fromiter((isinstance(v, date) for v in cells), bool, len(cells))
        accept(
            np.flatnonzero(is_date),
            [v.date() if isinstance(v, datetime) else v for v in cells[is_date]],
        )
        in_range = (
            (numbers >= _EXCEL_FIRST_SERIAL) & (numbers < _EXCEL_LAST_SERIAL + 1)
        ).to_numpy()
        accept(number_at[in_range], [_excel_serial_date(v) for v in numbers[in_range]])
        for at, day in _text_dates(texts.astype(object), text_at):
            accept(at, day)
    return parsed, ~done


# A whole number that fits a 64-bit integer column: at most 18 digits, maybe with ".0".
_WHOLE_UP_TO_INT64 = rf"[+-]?\d{{1,{_INT64_DIGITS}}}(?:\.0*)?"


def _text_dates(texts: pd.Series, positions: np.ndarray) -> Iterator[tuple[int, date]]:
    for position, text in zip(positions, texts, strict=True):
        for pattern in _DATE_TEXTS:
            match = pattern.fullmatch(text)
            if match:
                day = _valid_date(int(match["y"]), int(match["m"]), int(match["d"]))
                if day is not None:
                    yield position, day
                break


def _valid_date(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _nfkc(texts: pd.Series) -> pd.Series:
    ascii_only = texts.str.isascii().fillna(True).to_numpy(dtype=bool)
    if ascii_only.all():
        return texts
    normalised = texts.copy()
    normalised[~ascii_only] = [unicodedata.normalize("NFKC", t) for t in texts[~ascii_only]]
    return normalised


def _excel_serial_date(serial: float) -> date:
    # Excel counts 1900-02-29, a day that never was: serials from 61 on are one day later.
    days = int(serial)
    return date(1899, 12, 31) + timedelta(days=days - (days >= 61))


# Capacity runs to 300 %; a column of values all at most 3 with decimals holds fractions.
MAX_CAPACITY_FRACTION = 3.0


def _fraction_capacity_findings(frame: pd.DataFrame, file_name: str) -> list[Finding]:
    """Capacity given as fractions (0.855 for 85.5 %), as a spreadsheet stores a cell shown
    as a percentage when the format is lost (an .xls, a CSV export): worth a question."""
    capacity = frame["capacity_pct"].astype("Float64")
    positive = capacity[(capacity > 0).fillna(False)]
    if len(positive) < 2 or positive.max() > MAX_CAPACITY_FRACTION or (positive % 1 == 0).all():
        return []
    rows = frame[SOURCE_ROW].to_numpy(dtype="int64")[(capacity > 0).fillna(False).to_numpy()]
    return [
        Finding.about_rows(
            "capacity_pct_looks_like_fraction",
            "warning",
            "产能恢复率看起来是小数（如 0.855）而不是百分数（85.5）；如单元格设成了百分比格式，"
            "请改为直接填写百分数",
            rows=rows,
            values=[_shown(v) for v in positive],
            column="capacity_pct",
            file_name=file_name,
        )
    ]
