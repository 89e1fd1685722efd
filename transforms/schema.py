"""Canonical columns of the county submissions and the registry, as the spec names them.

Readers turn every accepted file variant into these columns and dtypes; the
expectation suites, the merges and the demo generator all speak this vocabulary.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ReadLimits:
    """What a file may hold before it is refused unread. The defaults suit a county's file;
    the registry, the city's own file, gets larger ones (`REGISTRY_LIMITS`)."""

    max_bytes: int = 20 * 1024 * 1024
    max_rows: int = 100_000
    max_columns: int = 200
    # The workbook library cuts longer text at Excel's 32,767 characters, so the limit stays
    # below that, where a cut cell still shows as too long.
    max_cell_chars: int = 10_000
    # A workbook's parts once unzipped, and the cells of a sheet's used range (a sheet is
    # held as a dense grid, so two far-apart cells cost the whole rectangle between them).
    max_unzipped_bytes: int = 400 * 1024 * 1024
    max_cells: int = 5_000_000


SUBMISSION_LIMITS = ReadLimits()
# A national registry is tens of MB and hundreds of thousands of rows.
REGISTRY_LIMITS = ReadLimits(
    max_bytes=512 * 1024 * 1024,
    max_rows=5_000_000,
    max_unzipped_bytes=2 * 1024 * 1024 * 1024,
    max_cells=50_000_000,
)


# Row number in the county's own file (1-based, as a spreadsheet shows it), so
# that every finding can point the county at the line to fix.
SOURCE_ROW = "source_row"


@dataclass(frozen=True)
class Column:
    name: str
    chinese: str
    dtype: str  # pandas dtype of the canonical frame
    required: bool = True  # a value must be present (beyond conditional rules)


DATE = "datetime64[s]"

DAILY_COLUMNS: tuple[Column, ...] = (
    Column("report_date", "填报日期", DATE),
    Column("county_code", "区县代码", "str"),
    Column("enterprise_id", "统一社会信用代码", "str"),
    Column("enterprise_name", "企业名称", "str"),
    Column("resumed", "是否复工", "boolean"),
    Column("resumed_on", "复工日期", DATE, required=False),
    Column("employees_total", "职工总数", "Int64"),
    Column("employees_on_site", "在岗人数", "Int64"),
    Column("capacity_pct", "产能恢复率(%)", "Float64"),
    Column("mask_shortage", "口罩缺口(个)", "Int64"),
    Column("thermometer_shortage", "测温枪缺口(支)", "Int64"),
    Column("difficulties", "存在困难", "str", required=False),
)

QUARTERLY_COLUMNS: tuple[Column, ...] = (
    Column("report_quarter", "报告期", "str"),
    Column("county_code", "区县代码", "str"),
    Column("enterprise_id", "统一社会信用代码", "str"),
    Column("enterprise_name", "企业名称", "str"),
    Column("industry_code", "行业代码", "str"),
    Column("output_value", "工业总产值(万元)", "Float64"),
    Column("value_added", "工业增加值(万元)", "Float64"),
    Column("output_value_prior", "上年同期工业总产值(万元)", "Float64"),
    Column("value_added_prior", "上年同期工业增加值(万元)", "Float64"),
)

REGISTRY_COLUMNS: tuple[Column, ...] = (
    Column("enterprise_id", "统一社会信用代码", "str"),
    Column("enterprise_name", "企业名称", "str"),
    Column("county_code", "区县代码", "str"),
    Column("key_enterprise", "重点企业", "boolean"),
    Column("industry_code", "行业代码", "str"),
    Column("in_scope_from", "纳入规上日期", DATE),
    Column("in_scope_to", "退出规上日期", DATE, required=False),
    # the grid officer (网格员) who follows a key enterprise under the "1+10" mechanism
    Column("grid_officer", "网格员", "str", required=False),
    Column("grid_officer_phone", "网格员联系电话", "str", required=False),
)

# A county's note on a row (上报说明), e.g. why a value that raised a warning is right. It is
# read from any form that has it; a form without it is complete.
EXPLANATION = Column("explanation", "说明", "str", required=False)
EXPLANATION_HEADERS = ("说明", "备注", "上报说明", "remarks")

# A form's own row numbering (序号): recognised so that it is neither data nor an unknown column.
SERIAL_NUMBER_HEADERS = ("序号", "序", "行次")

# Texts that mark a total row (合计, 总计, 小计) where the enterprise id is empty.
TOTAL_ROW_MARKERS = ("合计", "总计", "小计")

# GB/T 4754-2017 divisions that are industry (mining, manufacturing, utilities).
INDUSTRIAL_DIVISIONS = range(6, 47)


def column_names(columns: tuple[Column, ...]) -> list[str]:
    return [c.name for c in columns]
