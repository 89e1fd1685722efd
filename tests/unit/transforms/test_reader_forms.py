"""Real county forms load to exactly the values of the contract's plain CSV.

The files under tests/fixtures/forms/ were saved by LibreOffice itself as .xls (BIFF8) and
.xlsx (see its README); the layouts built here in the test cover the rest of the header
block, footers and rows that Chinese statistical forms have.
"""

from __future__ import annotations

from decimal import Decimal
from io import BytesIO
from pathlib import Path

import pandas as pd
import pytest
import xlwt

from tests.unit.transforms.test_readers import (
    DAILY_RECORDS,
    as_native_cells,
    chinese,
    csv_bytes,
    expected_frame,
    grid,
    xlsx_bytes,
)
from transforms.ingest.readers import Signature, read_daily_submission
from transforms.schema import DAILY_COLUMNS, EXPLANATION, SOURCE_ROW

FORMS = Path(__file__).resolve().parents[2] / "fixtures" / "forms"
SIGNED = Signature(
    unit_head="张伟",
    statistics_head="李娜",
    filled_by="王芳",
    contact_phone="0751-8123456",
    reported_on="2020年3月17日",
)
EXPLAINED_FOUNDRY = [None, None, None, "新增生产线，产能超设计值"]


def contract_values(explanations=(None,) * 4) -> pd.DataFrame:
    frame = expected_frame(DAILY_COLUMNS, DAILY_RECORDS)
    frame[EXPLANATION.name] = pd.Series(list(explanations), dtype="str")
    return frame


@pytest.mark.parametrize("extension", [".xls", ".xlsx"])
@pytest.mark.parametrize(
    ("stem", "source_rows", "signature", "explanations"),
    [
        ("daily_grouped_header", [8, 9, 10, 11], SIGNED, (None,) * 4),
        ("daily_footer_wps_style", [3, 4, 5, 6], SIGNED, (None,) * 4),
        ("daily_column_numbers_total_first", [7, 8, 9, 10], SIGNED, EXPLAINED_FOUNDRY),
        ("daily_instructions_first", [3, 4, 5, 6], Signature(), (None,) * 4),
    ],
)
def test_a_form_saved_by_libreoffice_reads_as_the_contract(
    stem, extension, source_rows, signature, explanations
):
    result = read_daily_submission(
        (FORMS / f"{stem}{extension}").read_bytes(), f"440203{extension}"
    )

    assert result.findings == ()
    assert result.frame[SOURCE_ROW].tolist() == source_rows
    pd.testing.assert_frame_equal(
        result.frame.drop(columns=SOURCE_ROW), contract_values(explanations)
    )
    assert result.signature == signature


def records_grid() -> tuple[list, list[list]]:
    header, *records = grid(DAILY_COLUMNS, DAILY_RECORDS, chinese(DAILY_COLUMNS), as_native_cells)
    return header, records


def xls_bytes(rows, merges=()) -> bytes:
    """A BIFF8 workbook as WPS and Excel 2003 save it (dates as date cells)."""
    book = xlwt.Workbook(encoding="utf-8")
    sheet = book.add_sheet("Sheet1")
    dates = xlwt.easyxf(num_format_str="yyyy/m/d")
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            if value is None or value == "":
                continue
            if hasattr(value, "value"):  # a percentage cell: .xls keeps no format, so 85.5
                value = float(Decimal(repr(value.value)) * 100)
            if hasattr(value, "year"):
                sheet.write(r, c, value, dates)
            else:
                sheet.write(r, c, value)
    for first_row, last_row, first_column, last_column in merges:
        sheet.merge(first_row, last_row, first_column, last_column)
    buffer = BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def grouped_header_rows() -> list[list]:
    """Two header rows: group titles over sub-headers, the other headers in the upper row only
    (merged vertically), then a units row and a column-number row."""
    header, records = records_grid()
    upper, lower = list(header), [None] * len(header)
    for group, members in (("职工情况（人）", (6, 7)), ("防疫物资缺口", (9, 10))):
        upper[members[0]], upper[members[1]] = group, None
        lower[members[0]], lower[members[1]] = header[members[0]], header[members[1]]
    units = [None, None, None, None, "是/否", None, "人", "人", "%", "个", "支", None]
    numbers = ["甲", "乙", "丙", "丁", "戊", "己", 1, 2, 3, 4, 5, "庚"]
    return [
        ["韶关市企业复工复产情况日报表"],
        ["填报单位：武江区工业和信息化局", None, None, None, None, None, "单位：人、个、支、%"],
        upper,
        lower,
        units,
        numbers,
        *records,
    ]


FOOTER = [
    ["注：本表由各县（市、区）工信部门每日20时前报送。"],
    ["单位负责人：张伟", None, "统计负责人：李娜", None, "填表人：王芳"],
    ["联系电话：0751-8123456", None, None, "报出日期：2020年3月17日"],
]


def layouts():
    header, records = records_grid()
    rows = grouped_header_rows()
    yield pytest.param(
        "440203.xls",
        xls_bytes(rows + FOOTER, merges=[(0, 0, 0, 11)]),
        [7, 8, 9, 10],
        SIGNED,
        id="xls-grouped-header-units-numbers-footer",
    )
    yield pytest.param(
        "440203.xlsx",
        xlsx_bytes(rows + FOOTER, merged=("A1:L1", "G3:H3", "J3:K3", "A3:A4", "B3:B4")),
        [7, 8, 9, 10],
        SIGNED,
        id="xlsx-grouped-header-merged-cells-footer",
    )
    numbered = [["序号", *header]] + [[n, *r] for n, r in enumerate(records, start=1)]
    yield pytest.param(
        "440203.xlsx",
        xlsx_bytes(
            [
                ["标题"],
                *numbered[:1],
                ["合计", *[None] * 12],
                *numbered[1:],
                [],
                [],
                [
                    "单 位 负 责 人：张伟  统 计 负 责 人：李娜  填 表 人：王芳  "
                    "联 系 电 话：0751-8123456  报 出 日 期：2020年3月17日"
                ],
            ]
        ),
        [4, 5, 6, 7],
        SIGNED,
        id="xlsx-serial-column-total-first-spaced-signature",
    )
    text_rows = [["序号", *chinese(DAILY_COLUMNS)]] + [
        [str(n), *(_text(v) for v in record)] for n, record in enumerate(DAILY_RECORDS, start=1)
    ]
    yield pytest.param(
        "440203.csv",
        csv_bytes(
            [["韶关市企业复工复产情况日报表（武江区）"], *text_rows, ["小计", "", "", "", "武江区"],
             ["填表人：王芳", "联系电话：0751-8123456"], ["说明：数据截至当日18时。"]],
            "gb18030", line_end="\r\n",
        ),
        [3, 4, 5, 6], Signature(filled_by="王芳", contact_phone="0751-8123456"),
        id="gb18030-csv-serial-subtotal-footer-note",
    )  # fmt: skip


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    return str(value)


@pytest.mark.parametrize(("file_name", "content", "source_rows", "signature"), layouts())
def test_a_real_form_layout_reads_as_the_contract(file_name, content, source_rows, signature):
    result = read_daily_submission(content, file_name)

    assert result.findings == ()
    assert result.frame[SOURCE_ROW].tolist() == source_rows
    pd.testing.assert_frame_equal(result.frame.drop(columns=SOURCE_ROW), contract_values())
    assert result.signature == signature


def test_data_after_the_footer_is_an_error_naming_its_rows():
    header, records = records_grid()
    content = xlsx_bytes([header, *records[:2], *FOOTER, *records[2:]])

    result = read_daily_submission(content, "440203.xlsx")

    [finding] = result.findings
    assert (finding.rule, finding.severity, finding.rows) == ("data_after_footer", "error", (7, 8))
    assert len(result.frame) == 2


def test_a_data_row_that_breaks_a_rule_is_never_dropped():
    header, records = records_grid()
    records[1][6] = "二百"  # employees_total as words

    result = read_daily_submission(xlsx_bytes([header, *records, *FOOTER]), "440203.xlsx")

    assert result.frame[SOURCE_ROW].tolist() == [2, 3, 4, 5]
    [finding] = result.findings
    assert (finding.rule, finding.rows, finding.values) == (
        "unparseable_employees_total",
        (3,),
        ("二百",),
    )


def test_capacity_given_as_fractions_is_questioned():
    header, records = records_grid()
    for record in records:
        record[8] = record[8].value if hasattr(record[8], "value") else record[8]

    result = read_daily_submission(xls_bytes([header, *records]), "440203.xls")

    [finding] = result.findings
    assert (finding.rule, finding.severity) == ("capacity_pct_looks_like_fraction", "warning")


def test_a_signature_value_ends_where_the_next_label_of_an_info_line_starts():
    header, records = records_grid()
    info = ["填报单位：武江区工业和信息化局　　填报日期：2020年3月31日　　单位：家、人、%"]

    result = read_daily_submission(xlsx_bytes([info, header, *records]), "440203.xlsx")

    assert result.signature == Signature(reported_on="2020年3月31日")
