"""docs/data-dictionary.md, generated from the table definitions the pipeline uses.

    python -m include.publish.data_dictionary > docs/data-dictionary.md

A unit test compares the committed file with this output, so the dictionary cannot
drift from include/tables.py (meaning = column comment, unit and aggregation = column
info) or from the Parquet types in transforms/publish/analyst_tables.py.
"""

from __future__ import annotations

from sqlalchemy import Table

from include.tables import ANALYST_TABLES, metadata
from transforms.publish.analyst_tables import arrow_type
from transforms.publish.labels import COLUMN_LABELS

# Where each table can be read besides the warehouse; tables not listed are internal.
PUBLISHED_AS = {
    "county_daily": "`<publish>/daily/<date>/county_daily.csv` (one date), "
    "`<publish>/tables/county_daily.parquet` (full history)",
    "county_quarterly": "`<publish>/quarterly/<YYYYQn>/county_quarterly.csv` (one quarter), "
    "`<publish>/tables/county_quarterly.parquet` (full history)",
    "county_quarter_daily_summary": "`<publish>/daily_summary/<YYYYQn>/"
    "county_quarter_daily_summary.csv` (one quarter), "
    "`<publish>/tables/county_quarter_daily_summary.parquet` (full history)",
    "key_enterprise_daily": "`<publish>/daily/<date>/key_enterprises.csv` (one date, "
    "as the ledger orders it), `<publish>/tables/key_enterprise_daily.parquet` (full history)",
    "difficulty_kinds_daily": "`<publish>/tables/difficulty_kinds_daily.parquet` (full "
    "history); each daily report shows the date's kinds by county and their trend",
    "industry_daily": "`<publish>/tables/industry_daily.parquet` (full history); each daily "
    "report shows the date's table and chart",
    "industry_quarterly": "`<publish>/tables/industry_quarterly.parquet` (full history); "
    "each quarterly report shows the quarter's table and 拉动 chart",
    "submissions_log": "`<publish>/tables/submissions_log.parquet` (full history); "
    "each publication's `manifest.json` lists its period's entries",
}
ANALYST_TABLE_NAMES = tuple(table.name for table in ANALYST_TABLES)
# The names the reports and the index give the analyst tables.
ANALYST_TABLE_LABELS = {
    "county_daily": "县区日表",
    "county_quarterly": "县区季表",
    "county_quarter_daily_summary": "日报季度汇总",
    "key_enterprise_daily": "重点企业台账",
    "difficulty_kinds_daily": "企业困难分类",
    "industry_daily": "分行业复工",
    "industry_quarterly": "分行业产值",
    "submissions_log": "报送记录",
}


def data_dictionary_markdown() -> str:
    analyst = [metadata.tables[name] for name in ANALYST_TABLE_NAMES]
    internal = [t for t in metadata.tables.values() if t.name not in PUBLISHED_AS]
    lines = [
        "# Data dictionary",
        "",
        "Generated from `include/tables.py` by `python -m include.publish.data_dictionary`; "
        "do not edit by hand (a test checks that this file equals the generated text).",
        "",
        "Column names are fixed; 报表列名 is the header the reports show. Rates are fractions "
        "0–1 at full precision; `*_pct` columns are percent. Aggregation says how a column "
        "combines over counties (the city row) and, where it matters, over time.",
        "",
        "Analyst tables: "
        + ", ".join(f"[`{t.name}`](#{t.name})" for t in analyst)
        + ". Internal tables: "
        + ", ".join(f"[`{t.name}`](#{t.name})" for t in internal)
        + ".",
    ]
    for table in [*analyst, *internal]:
        lines += ["", *_table_section(table)]
    return "\n".join(lines) + "\n"


def _table_section(table: Table) -> list[str]:
    keys = ", ".join(f"`{c.name}`" for c in table.primary_key.columns) or "none"
    lines = [f"## {table.name}", ""]
    if table.name in PUBLISHED_AS:
        label = ANALYST_TABLE_LABELS[table.name]
        lines += [f"{label}. Published as {PUBLISHED_AS[table.name]}.", ""]
    lines += [
        f"Primary key: {keys}.",
        "",
        "| column | 报表列名 | meaning | unit | SQL type | Parquet type | aggregation |",
        "|---|---|---|---|---|---|---|",
    ]
    for column in table.columns:
        cells = [
            f"`{column.name}`",
            COLUMN_LABELS.get(column.name, ""),
            column.comment or "",
            column.info.get("unit", ""),
            str(column.type),
            str(arrow_type(column)),
            column.info.get("aggregation", ""),
        ]
        lines.append("| " + " | ".join(_cell(c) for c in cells) + " |")
    return lines


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


if __name__ == "__main__":
    print(data_dictionary_markdown(), end="")
