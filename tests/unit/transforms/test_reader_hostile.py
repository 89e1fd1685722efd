"""Hostile and broken files are refused with a Chinese reason: never a crash, never memory
exhaustion, never a hang.

Each file is read in a child process whose address space is capped, so a reader that
tried to allocate the rectangle between two far-apart cells, or to unzip a bomb, would be
killed there and fail the test instead of taking the test run down.
"""

from __future__ import annotations

import functools
import io
import multiprocessing
import resource
import string
import zipfile

import pytest
import xlwt
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook

from tests.unit.transforms.test_readers import daily_csv, english_daily_grid, xlsx_bytes
from transforms.ingest.readers import ReadLimits, UnreadableFile, read_daily_submission
from transforms.schema import SUBMISSION_LIMITS

# What the reader may take beyond what the forked child inherits (the test process grows as
# the suite runs): its own peak stays far below this; the hostile files would need many times it.
READER_ADDRESS_SPACE = 3 * 1024**3
CHILD_SECONDS = 120


def _inherited_address_space() -> int:
    with open("/proc/self/status", encoding="ascii") as status:
        kilobytes = next(line.split()[1] for line in status if line.startswith("VmSize:"))
    return int(kilobytes) * 1024


def _read_in_child(content: bytes, file_name: str, limits: ReadLimits, pipe) -> None:
    cap = _inherited_address_space() + READER_ADDRESS_SPACE
    resource.setrlimit(resource.RLIMIT_AS, (cap, cap))
    try:
        result = read_daily_submission(content, file_name, limits)
        pipe.send(("read", [f.rule for f in result.findings], [f.message for f in result.findings]))
    except UnreadableFile as refused:
        pipe.send(("refused", refused.problem, None))
    except BaseException as crash:  # reported as it is
        pipe.send(("crashed", repr(crash), None))


def read_bounded(content: bytes, file_name: str, limits: ReadLimits = SUBMISSION_LIMITS):
    """(outcome, detail): "read" with rule ids, "refused" with the reason, or "crashed"."""
    context = multiprocessing.get_context("fork")
    receiver, sender = context.Pipe(duplex=False)
    child = context.Process(target=_read_in_child, args=(content, file_name, limits, sender))
    child.start()
    sender.close()
    if not receiver.poll(CHILD_SECONDS):
        child.kill()
        child.join()
        pytest.fail(f"reading {file_name} did not finish in {CHILD_SECONDS} s")
    try:
        outcome, detail, messages = receiver.recv()
    except EOFError:
        child.join()
        pytest.fail(f"the reader died on {file_name} (exit code {child.exitcode})")
    child.join()
    return outcome, detail, messages


def refused_reason(content: bytes, file_name: str, limits: ReadLimits = SUBMISSION_LIMITS) -> str:
    outcome, detail, _ = read_bounded(content, file_name, limits)
    assert outcome == "refused", (outcome, detail)
    return detail


def workbook_with_far_cell(row: int, column: int) -> bytes:
    book = Workbook()
    sheet = book.active
    for values in english_daily_grid():
        sheet.append(values)
    sheet.cell(row, column, "x")
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def test_two_far_apart_cells_are_refused_before_the_sheet_is_built():
    # 5 KB on disk, 17 billion cells as a dense grid.
    reason = refused_reason(workbook_with_far_cell(1_048_576, 16_384), "440203.xlsx")

    assert "工作表范围过大" in reason and "1,048,576 行" in reason


def with_part(workbook: bytes, name: str, content: bytes, declared_size: int | None = None):
    """The workbook with one part replaced (or added); optionally lying about its size."""
    edited = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(workbook)) as source,
        zipfile.ZipFile(edited, "w", zipfile.ZIP_DEFLATED) as copy,
    ):
        for item in source.infolist():
            if item.filename != name:
                copy.writestr(item, source.read(item))
        copy.writestr(name, content)
    data = edited.getvalue()
    if declared_size is not None:
        data = _declare_size(data, name, declared_size)
    return data


def _declare_size(archive: bytes, name: str, size: int) -> bytes:
    """Patch the uncompressed size that the local header and central directory declare."""
    encoded = name.encode()
    data = bytearray(archive)
    for signature, offset in ((b"PK\x03\x04", 22), (b"PK\x01\x02", 24)):
        start = 0
        while (start := data.find(signature, start)) >= 0:
            name_at = start + (30 if signature == b"PK\x03\x04" else 46)
            if data[name_at : name_at + len(encoded)] == encoded:
                data[start + offset : start + offset + 4] = size.to_bytes(4, "little")
            start += 4
    return bytes(data)


def test_a_zip_bomb_is_refused_by_its_declared_size_before_unzipping():
    bomb = with_part(xlsx_bytes(english_daily_grid()), "xl/media/padding.bin", b"\0" * 50_000_000)

    reason = refused_reason(bomb, "440203.xlsx", ReadLimits(max_unzipped_bytes=40_000_000))

    assert "解压后过大" in reason


def test_a_part_that_lies_about_its_size_is_refused_unread():
    # Declares 1 KB, inflates to 200 MB: read up to the declared size, it fails its checksum.
    lying = with_part(
        xlsx_bytes(english_daily_grid()), "xl/media/padding.bin", b"\0" * 200_000_000, 1024
    )

    reason = refused_reason(lying, "440203.xlsx")

    assert "不完整或已损坏" in reason


def test_a_huge_shared_strings_table_is_refused():
    strings = b"".join(b"<si><t>" + b"x" * 1000 + b"</t></si>" for _ in range(60_000))
    table = (
        b'<?xml version="1.0" encoding="UTF-8"?><sst xmlns="http://schemas.openxmlformats.org/'
        b'spreadsheetml/2006/main">' + strings + b"</sst>"
    )
    workbook = with_part(xlsx_bytes(english_daily_grid()), "xl/sharedStrings.xml", table)

    reason = refused_reason(workbook, "440203.xlsx", ReadLimits(max_unzipped_bytes=30_000_000))

    assert "解压后过大" in reason


@pytest.mark.parametrize("container", ["csv", "xlsx"])
def test_a_cell_of_megabytes_is_refused_naming_its_row(container):
    rows = english_daily_grid()
    rows[3][rows[0].index("difficulties")] = "缺" * 2_000_000
    content = daily_csv(rows) if container == "csv" else xlsx_bytes(rows)

    reason = refused_reason(content, f"440203.{container}")

    assert "第4行" in reason and "个字符" in reason


def test_millions_of_rows_within_the_byte_limit_are_refused():
    content = daily_csv() + b"\n" * 15_000_000

    assert "行数过多" in refused_reason(content, "440203.csv")


def test_millions_of_columns_within_the_byte_limit_are_refused():
    content = daily_csv() + b"," * 15_000_000 + b"\n"

    assert "列数过多" in refused_reason(content, "440203.csv")


def test_a_workbook_with_too_many_rows_is_refused_before_it_is_read():
    book = xlwt.Workbook()
    sheet = book.add_sheet("Sheet1")
    for row in range(3000):
        sheet.write(row, 0, "x")
    buffer = io.BytesIO()
    book.save(buffer)

    reason = refused_reason(buffer.getvalue(), "440203.xls", ReadLimits(max_rows=100))

    assert "行数过多" in reason


def test_member_names_that_are_not_text_are_refused():
    archive = bytearray(xlsx_bytes(english_daily_grid()))
    # Mark every entry as UTF-8 named and put an invalid byte into one name.
    for signature, flags_at in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        start = 0
        while (start := archive.find(signature, start)) >= 0:
            archive[start + flags_at] |= 0x08
            archive[start + flags_at + 1] |= 0x08
            start += 4
    name_at = archive.find(b"docProps/app.xml")
    archive[name_at] = 0xFF

    reason = refused_reason(bytes(archive), "440203.xlsx")

    assert "文件名不是有效的文字" in reason or "已损坏" in reason


def test_numbers_too_large_for_an_integer_column_are_a_finding():
    rows = english_daily_grid()
    rows[2][rows[0].index("employees_total")] = "9" * 40
    outcome, rules, messages = read_bounded(daily_csv(rows), "440203.csv")

    assert outcome == "read"
    assert rules == ["unparseable_employees_total"]
    assert "整数" in messages[0]


def test_nul_bytes_are_refused():
    assert "NUL" in refused_reason(daily_csv().replace(b",", b"\x00,", 3), "440203.csv")


def test_mixed_encodings_are_refused_naming_the_line():
    gb18030 = daily_csv().decode("utf-8").encode("gb18030")
    lines = gb18030.split(b"\n")
    lines[2] = daily_csv().split(b"\n")[2]  # one line pasted in from a UTF-8 file

    reason = refused_reason(b"\n".join(lines), "440203.csv")

    assert "编码混杂" in reason and "第3行是 UTF-8" in reason


CHINESE = st.text(
    alphabet=string.printable + "是否合计填表人：，。（）韶关市武江区企业", max_size=30
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    extension=st.sampled_from([".csv", ".xlsx", ".xls"]),
    data=st.data(),
)
def test_any_bytes_give_a_table_or_a_chinese_reason(extension, data):
    """Random bytes, and valid files mutated at random, never crash the reader."""
    seed = _seeds()[extension]
    content = data.draw(
        st.one_of(
            st.binary(max_size=2000),
            st.builds(_mutated, st.just(seed), st.lists(st.tuples(
                st.integers(0, len(seed) - 1), st.integers(0, 255)), max_size=20)),
            st.builds(lambda cut: seed[:cut], st.integers(0, len(seed))),
            st.builds(lambda text: daily_csv() + text.encode("gb18030"), CHINESE),
        )
    )  # fmt: skip
    try:
        result = read_daily_submission(content, f"440203{extension}")
    except UnreadableFile as refused:
        assert refused.problem and any("\u4e00" <= c <= "\u9fff" for c in refused.problem)
    else:
        assert all(any("\u4e00" <= c <= "\u9fff" for c in f.message) for f in result.findings)


@functools.cache
def _seeds() -> dict[str, bytes]:
    """One valid file per type, made once: a workbook's bytes carry its creation time, and
    the strategies must draw from the same bytes every time."""
    return {".csv": daily_csv(), ".xlsx": xlsx_bytes(english_daily_grid()), ".xls": _xls_seed()}


def _mutated(seed: bytes, changes) -> bytes:
    data = bytearray(seed)
    for position, value in changes:
        data[position] = value
    return bytes(data)


def _xls_seed() -> bytes:
    book = xlwt.Workbook(encoding="utf-8")
    sheet = book.add_sheet("Sheet1")
    for r, row in enumerate(english_daily_grid()):
        for c, value in enumerate(row):
            if value not in (None, ""):
                sheet.write(r, c, str(value))
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
