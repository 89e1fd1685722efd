"""Readers: every accepted variant of a county file becomes one canonical, typed frame.

A file is CSV (UTF-8 with or without BOM, or GB18030/GBK) or XLSX (first sheet), with
English or Chinese headers in any order, title rows above the header, and a total row
and blank rows that are not data. The frame has `source_row` (the row number the county
sees in its own file) followed by the schema's columns, in order, with the schema's dtypes.

Two kinds of problem come out differently: a file that cannot be read as a table at all
raises `UnreadableFile`; a table with bad cells or columns is read anyway and the problems
come back as `Finding`s, so that the county gets every reason in one report.

Pure functions: bytes and a file name in, no I/O.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
import unicodedata
import zipfile
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from pathlib import PurePath
from typing import NamedTuple

import numpy as np
import openpyxl
import pandas as pd
from openpyxl.utils.datetime import from_excel

from transforms.findings import Finding
from transforms.schema import (
    DAILY_COLUMNS,
    DATE,
    QUARTERLY_COLUMNS,
    REGISTRY_COLUMNS,
    SOURCE_ROW,
    TOTAL_ROW_MARKERS,
    Column,
)

MAX_FILE_BYTES = 20 * 1024 * 1024
MAX_TITLE_ROWS = 5

_ZIP_MAGIC = b"PK\x03\x04"
_NOT_SPREADSHEETS = (
    (b"\x89PNG", "a PNG image"),
    (b"%PDF", "a PDF document"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF8", "a GIF image"),
    (b"\xd0\xcf\x11\xe0", "a legacy Office file (an old .xls workbook? save it as .xlsx)"),
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
_INT64_LIMIT = 2**63
_NUMBER = re.compile(r"[+-]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?")
_DATE_TEXTS = (
    re.compile(
        r"(?P<y>\d{4})(?P<sep>[-/.])(?P<m>\d{1,2})(?P=sep)(?P<d>\d{1,2})"
        r"(?:[ T]\d{1,2}:\d{2}(?::\d{2})?)?"
    ),
    re.compile(r"(?P<y>\d{4})\s*年\s*(?P<m>\d{1,2})\s*月\s*(?P<d>\d{1,2})\s*日"),
)


class UnreadableFile(Exception):
    """The file cannot be read as a table at all; the whole file is rejected."""

    def __init__(self, file_name: str, problem: str):
        super().__init__(f"{file_name}: {problem}")
        self.file_name = file_name
        self.problem = problem


@dataclass(frozen=True)
class ReadResult:
    frame: pd.DataFrame
    findings: tuple[Finding, ...]  # problems with columns and cells, by rule


@dataclass(frozen=True)
class _Form:
    label: str
    columns: tuple[Column, ...]
    aliases: dict[str, str]  # header key -> canonical column name


def _form(label: str, columns: tuple[Column, ...]) -> _Form:
    aliases = {}
    for column in columns:
        unit_dropped = re.sub(r"\(.*\)$", "", column.chinese)
        for spelling in (column.name, column.chinese, unit_dropped):
            aliases[_header_key(spelling)] = column.name
    return _Form(label, columns, aliases)


def _header_key(text: object) -> str:
    """Full-width forms, spaces, underscores and case do not distinguish headers."""
    return re.sub(r"[\s_]", "", unicodedata.normalize("NFKC", str(text))).casefold()


_DAILY = _form("daily submission", DAILY_COLUMNS)
_QUARTERLY = _form("quarterly submission", QUARTERLY_COLUMNS)
_REGISTRY = _form("enterprise registry", REGISTRY_COLUMNS)


def read_daily_submission(
    content: bytes, file_name: str, max_bytes: int = MAX_FILE_BYTES
) -> ReadResult:
    return _read(content, file_name, _DAILY, max_bytes)


def read_quarterly_submission(
    content: bytes, file_name: str, max_bytes: int = MAX_FILE_BYTES
) -> ReadResult:
    return _read(content, file_name, _QUARTERLY, max_bytes)


def read_registry(
    content: bytes, file_name: str = "enterprises.csv", max_bytes: int = MAX_FILE_BYTES
) -> ReadResult:
    return _read(content, file_name, _REGISTRY, max_bytes)


# A row as the file holds it: its 1-based row number and its cells, strings stripped and
# empty cells None.
_Row = tuple[int, tuple[object, ...]]


def _read(content: bytes, file_name: str, form: _Form, max_bytes: int) -> ReadResult:
    if len(content) > max_bytes:
        raise UnreadableFile(
            file_name, f"file too large: {len(content):,} bytes, over the {max_bytes:,}-byte limit"
        )
    if not content:
        raise UnreadableFile(file_name, "empty file (0 bytes)")
    rows = _sheet_rows(content, file_name)
    header = _find_header(rows, form, file_name)
    records = [
        row
        for row in rows
        if row[0] > header.row and not _is_blank(header.cells(row)) and not header.is_total(row)
    ]
    columns, cell_findings = _parse_columns(records, header, form, file_name)
    frame = pd.DataFrame(
        {SOURCE_ROW: pd.Series([number for number, _ in records], dtype="Int64"), **columns}
    )
    return ReadResult(frame, (*header.findings(form, file_name), *cell_findings))


def _sheet_rows(content: bytes, file_name: str) -> list[_Row]:
    extension = PurePath(file_name).suffix.lower()
    if extension == ".xlsx":
        rows = _xlsx_rows(content, file_name)
        where = " on the first sheet"
    elif extension == ".csv":
        rows = _csv_rows(content, file_name)
        where = ""
    else:
        raise UnreadableFile(
            file_name,
            f"unsupported file type {extension or '(no extension)'}: expected .csv or .xlsx",
        )
    if all(_is_blank(cells) for _, cells in rows):
        raise UnreadableFile(file_name, f"empty file: no row has a value{where}")
    return rows


def _xlsx_rows(content: bytes, file_name: str) -> list[_Row]:
    if not content.startswith(_ZIP_MAGIC):
        raise UnreadableFile(
            file_name, f"not a spreadsheet: expected an XLSX workbook, found {_what_is(content)}"
        )
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            members = archive.namelist()
    except zipfile.BadZipFile as exc:
        raise UnreadableFile(
            file_name, "truncated XLSX: the workbook is an incomplete ZIP archive; upload it again"
        ) from exc
    if "[Content_Types].xml" not in members:
        raise UnreadableFile(
            file_name, "not a spreadsheet: a ZIP archive that is not an XLSX workbook"
        )
    try:
        workbook = openpyxl.load_workbook(io.BytesIO(content), read_only=True, data_only=True)
        try:
            sheet = workbook.worksheets[0]
            sheet.reset_dimensions()  # the stored dimensions may undercount the rows
            return [
                (number, tuple(_xlsx_value(cell) for cell in row))
                for number, row in enumerate(sheet.iter_rows(), start=1)
            ]
        finally:
            workbook.close()
    # openpyxl raises many types for damaged parts; to the county they all mean the same.
    except Exception as exc:
        raise UnreadableFile(file_name, f"damaged XLSX workbook: {exc}") from exc


def _xlsx_value(cell) -> object:
    value = cell.value
    if isinstance(value, str):
        return value.strip() or None
    # A cell showing 85.5% holds 0.855; the county means what the cell shows.
    if _is_native_number(value) and "%" in (cell.number_format or ""):
        return f"{Decimal(repr(value)) * 100}%"
    return value


def _known_format(content: bytes) -> str | None:
    return next((what for magic, what in _NOT_SPREADSHEETS if content.startswith(magic)), None)


def _what_is(content: bytes) -> str:
    if known := _known_format(content):
        return known
    if b"\x00" not in content and any(_decodes(content, e) for e in _ENCODINGS):
        return "plain text (a CSV file named .xlsx?)"
    return "unrecognised binary data"


def _decodes(content: bytes, encoding: str) -> bool:
    try:
        content.decode(encoding)
    except UnicodeDecodeError:
        return False
    return True


def _csv_rows(content: bytes, file_name: str) -> list[_Row]:
    if content.startswith(_ZIP_MAGIC):
        raise UnreadableFile(
            file_name,
            "not a spreadsheet: expected CSV text, found a ZIP archive "
            "(an XLSX workbook? name it .xlsx)",
        )
    if known := _known_format(content):
        raise UnreadableFile(file_name, f"not a spreadsheet: expected CSV text, found {known}")
    text = _decode(content, file_name)
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        records = list(reader)
    except csv.Error as exc:
        if "unexpected end of data" in str(exc):  # strict mode: EOF inside quotes
            raise UnreadableFile(
                file_name, "truncated CSV: the file ends inside a quoted value"
            ) from exc
        raise UnreadableFile(
            file_name, f"malformed CSV near line {reader.line_num}: {exc}"
        ) from exc
    _check_last_record(records, text, file_name)
    return [
        (number, tuple(cell.strip() or None for cell in record))
        for number, record in enumerate(records, start=1)
    ]


def _decode(content: bytes, file_name: str) -> str:
    if content.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) or b"\x00" in content:
        raise UnreadableFile(
            file_name,
            "wrong encoding: UTF-16 text or binary data (NUL bytes); "
            "expected CSV text in UTF-8 or GB18030/GBK",
        )
    for encoding in _ENCODINGS:
        decoder = codecs.getincrementaldecoder(encoding)()
        try:
            text = decoder.decode(content)  # not final: a character cut off at the end waits
        except UnicodeDecodeError:
            continue
        if decoder.getstate()[0]:
            raise UnreadableFile(
                file_name, "truncated CSV: the file ends in the middle of a character"
            )
        return text
    raise UnreadableFile(
        file_name, "wrong encoding: the bytes are neither UTF-8 nor GB18030/GBK text"
    )


def _check_last_record(records: list[list[str]], text: str, file_name: str) -> None:
    """A short last row with no line break after it is where a cut-off upload stopped."""
    if not records or text.endswith(("\n", "\r")):
        return
    width = max(len(record) for record in records)
    if len(records[-1]) < width:
        raise UnreadableFile(
            file_name,
            f"truncated CSV: the last row (row {len(records)}) has {len(records[-1])} of "
            f"{width} fields and no line break after it",
        )


def _is_blank(cells: Iterable[object]) -> bool:
    return all(cell is None for cell in cells)


@dataclass(frozen=True)
class _Header:
    row: int
    positions: dict[str, int]  # canonical column name -> cell index
    unknown: tuple[str, ...]
    duplicated: tuple[str, ...]

    def cells(self, row: _Row) -> list[object]:
        """The row's cells under the form's columns (None where the row or header lacks one)."""
        cells = row[1]
        return [cells[i] if i < len(cells) else None for i in self.positions.values()]

    def cell(self, row: _Row, name: str) -> object:
        index = self.positions.get(name)
        return row[1][index] if index is not None and index < len(row[1]) else None

    def is_total(self, row: _Row) -> bool:
        if self.cell(row, "enterprise_id") is not None:
            return False
        texts = (re.sub(r"\s", "", cell) for cell in row[1] if isinstance(cell, str))
        return any(text.startswith(TOTAL_ROW_MARKERS) for text in texts)

    def findings(self, form: _Form, file_name: str) -> list[Finding]:
        missing = [c for c in form.columns if c.name not in self.positions]
        problems = [
            (
                "missing_columns",
                "error",
                "required columns are missing",
                [_label(c) for c in missing if c.required],
            ),
            (
                "missing_optional_columns",
                "warning",
                "optional columns are missing and read as empty",
                [_label(c) for c in missing if not c.required],
            ),
            (
                "duplicate_columns",
                "error",
                "columns appear more than once (the first one is read)",
                list(self.duplicated),
            ),
            (
                "unknown_columns",
                "warning",
                f"columns that the {form.label} does not have are ignored",
                list(self.unknown),
            ),
        ]
        return [
            Finding.about_rows(
                rule,
                severity,
                f"{message}: {', '.join(names)}",
                rows=[self.row],
                values=names,
                file_name=file_name,
            )
            for rule, severity, message, names in problems
            if names
        ]


def _label(column: Column) -> str:
    return f"{column.name} ({column.chinese})"


def _find_header(rows: list[_Row], form: _Form, file_name: str) -> _Header:
    candidates = [row for row in rows if not _is_blank(row[1])][: MAX_TITLE_ROWS + 1]
    best = max(candidates, key=lambda row: len(_recognised(row, form)))
    if len(_recognised(best, form)) * 2 < len(form.columns):
        texts = [cell for _, cells in candidates for cell in cells if isinstance(cell, str)]
        if _looks_garbled(texts):
            raise UnreadableFile(
                file_name,
                "wrong encoding: the text looks garbled and no header row can be found; "
                "save the file as UTF-8 or GB18030/GBK",
            )
        expected = ", ".join(f"{c.name}/{c.chinese}" for c in form.columns)
        raise UnreadableFile(
            file_name,
            f"no header row: none of the first {len(candidates)} non-blank rows has the "
            f"{form.label} column names (expected {expected})",
        )
    return _header(best, form)


def _recognised(row: _Row, form: _Form) -> set[str]:
    return {form.aliases[key] for key in map(_header_key, row[1]) if key in form.aliases}


def _header(row: _Row, form: _Form) -> _Header:
    positions: dict[str, int] = {}
    unknown: list[str] = []
    duplicated: list[str] = []
    for index, cell in enumerate(row[1]):
        if cell is None:
            continue
        name = form.aliases.get(_header_key(cell))
        if name is None:
            unknown.append(str(cell))
        elif name in positions:
            duplicated.append(str(cell))
        else:
            positions[name] = index
    ordered = {c.name: positions[c.name] for c in form.columns if c.name in positions}
    return _Header(row[0], ordered, tuple(unknown), tuple(duplicated))


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


# --- cells -------------------------------------------------------------------------------


class _Parser(NamedTuple):
    parse: Callable[[object], object]  # a present cell -> typed value; ValueError if it can't
    expected: str  # what the county should have written, for the finding


def _parse_columns(
    records: list[_Row], header: _Header, form: _Form, file_name: str
) -> tuple[dict[str, pd.Series], list[Finding]]:
    columns: dict[str, pd.Series] = {}
    findings: list[Finding] = []
    for column in form.columns:
        parser = _parser_for(column)
        values, failed_rows, failed_values = [], [], []
        for row in records:
            raw = header.cell(row, column.name)
            try:
                values.append(None if raw is None else parser.parse(raw))
            except ValueError:
                values.append(None)
                failed_rows.append(row[0])
                failed_values.append(raw)
        columns[column.name] = _series(values, column.dtype)
        if failed_rows:
            findings.append(
                Finding.about_rows(
                    f"unparseable_{column.name}",
                    "error",
                    f"{_label(column)} has values that are not {parser.expected}",
                    rows=failed_rows,
                    values=failed_values,
                    column=column.name,
                    file_name=file_name,
                )
            )
    return columns, findings


def _series(values: list[object], dtype: str) -> pd.Series:
    if dtype == DATE:
        return pd.Series(np.array(values, dtype=DATE))
    return pd.Series(values, dtype=dtype)


def _parser_for(column: Column) -> _Parser:
    if column.name in _PERCENT_COLUMNS:
        return _Parser(_percentage, "a number or a percentage such as 85.5 or 85.5%")
    if column.dtype == "Int64":
        return _Parser(_whole_number, "whole numbers such as 1234 or 1,234")
    if column.dtype == "Float64":
        return _Parser(_number, "numbers such as 1234.5 or 1,234.5")
    if column.dtype == "boolean":
        return _Parser(_yes_no, "yes or no (是/否, Y/N, yes/no, true/false, 1/0)")
    if column.dtype == DATE:
        return _Parser(_date, "dates such as 2020-03-17, 2020/3/17 or 2020年3月17日")
    if column.name in _CODE_COLUMNS:
        return _Parser(_code_parser(_ZERO_PADDED_WIDTH.get(column.name, 0)), "codes")
    return _Parser(_text, "text")


def _text(value: object) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _code_parser(width: int) -> Callable[[object], str]:
    def parse(value: object) -> str:
        code = unicodedata.normalize("NFKC", _text(value)).upper()
        return code.zfill(width) if code.isdigit() else code

    return parse


def _is_native_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _decimal(value: object) -> Decimal:
    if _is_native_number(value):
        return Decimal(repr(value))
    if not isinstance(value, str):
        raise ValueError(value)
    text = unicodedata.normalize("NFKC", value)
    if not _NUMBER.fullmatch(text):
        raise ValueError(value)
    return Decimal(text.replace(",", ""))


def _number(value: object) -> float:
    return float(_decimal(value))


def _whole_number(value: object) -> int:
    number = _decimal(value)
    if number != number.to_integral_value() or abs(number) >= _INT64_LIMIT:
        raise ValueError(value)
    return int(number)


def _percentage(value: object) -> float:
    if isinstance(value, str):
        value = unicodedata.normalize("NFKC", value).removesuffix("%").rstrip()
    return _number(value)


def _yes_no(value: object) -> bool:
    if isinstance(value, bool):
        return value
    key = unicodedata.normalize("NFKC", _text(value)).casefold()
    if key in _YES:
        return True
    if key in _NO:
        return False
    raise ValueError(value)


def _date(value: object) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if _is_native_number(value):
        return _excel_serial_date(value)
    if isinstance(value, str):
        for pattern in _DATE_TEXTS:
            match = pattern.fullmatch(unicodedata.normalize("NFKC", value))
            if match:
                return date(int(match["y"]), int(match["m"]), int(match["d"]))
    raise ValueError(value)


def _excel_serial_date(serial: float) -> date:
    if not _EXCEL_FIRST_SERIAL <= serial < _EXCEL_LAST_SERIAL + 1:
        raise ValueError(serial)
    return from_excel(serial).date()
