"""The HTML pages: the daily and quarterly reports, the data quality page and the index.

Every page is one self-contained file: CSS inline, charts as inline SVG, no script, no
font or image from the network, so it opens the same from a file share, a mail
attachment or an intranet server. Jinja escapes every value (county and enterprise text
included); links are relative, so a publication folder can be copied as it is.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from urllib.parse import unquote
from zoneinfo import ZoneInfo

import jinja2
import markupsafe
import pandas as pd

from transforms.check.outcomes import CountyOutcome, PeriodOutcomes
from transforms.findings import SEVERITY_LABELS
from transforms.merge.daily import ACCEPTED, MISSING, REJECTED, rows_by_county
from transforms.merge.difficulties import kinds_over_days
from transforms.publish import charts
from transforms.publish.briefing import Briefing
from transforms.publish.labels import (
    CITY_TOTAL_LABEL,
    COLUMN_LABELS,
    LATE,
    SIGNATURE_LABELS,
    STATUS_LABELS,
    chinese_date,
    chinese_quarter,
    revision_label,
    status_of,
    year_to_date_months,
)
from transforms.publish.rendering import NO_COUNTY_NAME, plain_text, plain_texts
from transforms.publish.report_excel import daily_report_title, quarterly_report_title

# Rules that stop a file before the expectation suite can run on it.
# How many dates, up to the report's, the daily report's trend charts and completeness grid
# show: one quarter at most.
TREND_DAYS = 92
# The most enterprises a page lists in each enterprise table; the CSV and the workbook hold
# them all. A country's date raises half a million difficulties: 100 MB no browser opens.
PAGE_ENTERPRISE_ROWS = 2_000

FILE_LEVEL_RULES = {
    "unreadable_file",
    "ambiguous_submission",
    "landing_entry_is_symlink",
    "landing_entry_outside_landing_zone",
    "landing_entry_not_a_file",
    "file_name_has_control_characters",
}
# The signature lines the reports show, the ones the office calls first leading.
CONTACT_COLUMNS = [
    {"name": name, "label": SIGNATURE_LABELS[name]}
    for name in (
        "filled_by",
        "contact_phone",
        "reported_on",
        "statistics_head",
        "reviewer",
        "unit_head",
    )
]
PUBLICATION_KINDS = {
    "daily": "复工复产日报",
    "quarterly": "规上工业产值季报",
    "daily_summary": "日报季度汇总",
}


@dataclass(frozen=True)
class FileLink:
    href: str  # relative to the page
    label: str  # what the file is, in Chinese


@dataclass(frozen=True)
class IndexEntry:
    kind: str  # daily, quarterly or daily_summary
    period: str
    revision: int
    published_at: datetime
    links: Sequence[FileLink]
    receipts: Sequence[FileLink] = ()  # one per county, labelled with its name
    approval: str | None = None  # the period's approval label, when it was ever approved


@dataclass(frozen=True)
class HeldCorrection:
    """A county's resubmission of an approved period, received and checked, not merged."""

    county_code: str
    county_name: str
    file_name: str
    outcome: str  # accepted, rejected or missing: what its check made of it
    arrived_at: str

    @property
    def check_label(self) -> str:
        """What its check made of it, as the report and the county's receipt say it."""
        return HELD_CHECKS[self.outcome]


HELD_CHECKS = {"accepted": "校验通过", "rejected": "校验未通过", "missing": "文件已撤回"}


@dataclass(frozen=True)
class ApprovalNote:
    """What a period's report says about its approval: 已审定 and the held corrections while
    it is locked, 待审定 once unlocked."""

    label: str
    locked: bool
    held: Sequence[HeldCorrection] = ()


@dataclass(frozen=True)
class TableColumn:
    name: str  # the published column name, shown to analysts under the label
    kind: str  # count, rate, percent_points, yi_yuan, growth or text

    @property
    def label(self) -> str:
        return COLUMN_LABELS[self.name]


DAILY_TABLE = [
    TableColumn("enterprises_in_scope", "count"),
    TableColumn("enterprises_reported", "count"),
    TableColumn("enterprises_resumed", "count"),
    TableColumn("resumed_today", "count"),
    TableColumn("resumption_rate", "rate"),
    TableColumn("key_in_scope", "count"),
    TableColumn("key_resumed", "count"),
    TableColumn("employees_total", "count"),
    TableColumn("employees_on_site", "count"),
    TableColumn("on_site_rate", "rate"),
    TableColumn("capacity_pct", "percent_points"),
    TableColumn("mask_shortage", "count"),
    TableColumn("thermometer_shortage", "count"),
    TableColumn("difficulties_reported", "count"),
]
QUARTERLY_TABLE = [
    TableColumn("enterprises_reported", "count"),
    TableColumn("output_value", "yi_yuan"),
    TableColumn("output_value_prior", "yi_yuan"),
    TableColumn("output_yoy_pct", "growth"),
    TableColumn("output_value_ytd", "yi_yuan"),
    TableColumn("output_ytd_yoy_pct", "growth"),
    TableColumn("value_added", "yi_yuan"),
    TableColumn("value_added_prior", "yi_yuan"),
    TableColumn("value_added_yoy_pct", "growth"),
    TableColumn("value_added_ytd", "yi_yuan"),
    TableColumn("value_added_ytd_yoy_pct", "growth"),
]


def _missing(value) -> bool:
    return value is None or value is pd.NA or (isinstance(value, float) and value != value)


def show(value, kind: str) -> str:
    """A table value as a reader sees it; a dash where there is no value."""
    if _missing(value):
        return "—"
    if kind == "count":
        return f"{int(value):,}"
    if kind == "rate":
        return charts.percent(float(value))
    if kind == "percent_points":
        return f"{float(value):.1f}%"
    if kind == "yi_yuan":
        return f"{float(value) / 10_000:,.2f}"
    if kind == "growth":
        return f"{float(value):+.1f}%"
    return str(value)


def _inert(value):
    """Every value a page shows, before Jinja escapes it: text without control or bidi
    characters. Markup (the charts, the page's own) is the pipeline's and passes."""
    if isinstance(value, str) and not isinstance(value, markupsafe.Markup):
        return plain_text(value)
    return value


_ENVIRONMENT = jinja2.Environment(
    loader=jinja2.FileSystemLoader(Path(__file__).parent / "templates"),
    autoescape=True,
    finalize=_inert,
    undefined=jinja2.StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
    keep_trailing_newline=True,
)
_ENVIRONMENT.filters.update(
    show=show,
    unquote=unquote,
    # Long column names may break after an underscore instead of widening the table.
    breakable=lambda name: markupsafe.escape(name).replace("_", markupsafe.Markup("_<wbr>")),
)
_ENVIRONMENT.globals.update(STATUS_LABELS=STATUS_LABELS, SEVERITY_LABELS=SEVERITY_LABELS)


def render_page(template: str, **context) -> bytes:
    return _ENVIRONMENT.get_template(template).render(**context).encode("utf-8")


def compile_templates() -> None:
    """Compile every page template now: a worker does this before it forks its pool, so that
    no publish task compiles them again (about 0.1 s of each one's CPU)."""
    for name in _ENVIRONMENT.list_templates():
        _ENVIRONMENT.get_template(name)


def daily_report_html(
    city_name: str,
    report_date: date,
    table: pd.DataFrame,
    history: pd.DataFrame,
    outcomes: PeriodOutcomes,
    completeness: pd.DataFrame,
    difficulties: pd.DataFrame,
    links: Sequence[FileLink],
    receipts: Mapping[str, Sequence[FileLink]],
    briefing: Briefing,
    rankings: pd.DataFrame,
    ledger: pd.DataFrame,
    kinds: pd.DataFrame,
    kinds_history: pd.DataFrame,
    industries: pd.DataFrame,
    approval: ApprovalNote | None = None,
) -> bytes:
    """The daily report, its briefing first. `table`: the date's `county_daily` rows
    (counties in order, the city row last); `history`: `county_daily` rows of the
    `TREND_DAYS` dates up to this one; `completeness`: the daily `submissions_log` rows
    (period, county_code, outcome, on_time) of those dates; `difficulties`: the enterprises
    that raised a difficulty or a shortage; `receipts`: each county's receipts (county code
    -> links); `rankings`: `briefing.daily_rankings`; `ledger`: `transforms.merge.ledger`;
    `kinds`: the date's difficulties by kind and county (`difficulties.kinds_by_county`);
    `kinds_history`: the `difficulty_kinds_daily` rows of the `TREND_DAYS` dates up to this
    one; `industries`: the date's `industry_daily` rows (`industries.resumption_by_industry`).
    """
    city = table.iloc[-1]
    counties = table.iloc[:-1]
    on_time = outcomes.on_time_by_county
    days = sorted({pd.Timestamp(d).date() for d in history["report_date"]} | {report_date})
    statuses = [status_of(r["status"], on_time.get(r["county_code"])) for _, r in table.iterrows()]
    counted = [s for s in statuses[:-1] if s in (ACCEPTED, LATE)]
    history_of = rows_by_county(history)
    return render_page(
        "daily.html",
        approval=approval,
        page_title=f"{daily_report_title(city_name)} {chinese_date(report_date)}",
        heading=daily_report_title(city_name),
        subheading=f"数据日期 {chinese_date(report_date)} · "
        f"{revision_label(int(table['revision'].max()))}",
        city=city,
        briefing=briefing.text,
        rankings=_ranking_rows(rankings),
        unranked=_unranked(counties, statuses),
        headline=_headline(counted, counties, statuses),
        columns=DAILY_TABLE,
        rows=_table_rows(table, statuses),
        city_chart=charts.line_chart_svg(
            f"{city_name}规上工业企业复工率与在岗率",
            days,
            _rate_series(history_of(city["county_code"]), days, stroke=2.5),
        ),
        county_charts=[
            charts.line_chart_svg(
                county_name,
                days,
                _rate_series(history_of(code), days, stroke=1.5),
                width=300,
                height=150,
                compact=True,
            )
            for code, county_name in counties[["county_code", "county_name"]].itertuples(
                index=False
            )
        ],
        shortage_charts=[
            charts.horizontal_bars_svg(
                f"{COLUMN_LABELS[column]}（{unit}）",
                list(counties["county_name"]),
                [None if _missing(v) else float(v) for v in counties[column]],
                colour=colour,
            )
            for column, unit, colour in (
                ("mask_shortage", "个", charts.BLUE),
                ("thermometer_shortage", "支", charts.ORANGE),
            )
        ],
        ledger=_ledger_rows(ledger.head(PAGE_ENTERPRISE_ROWS)),
        ledger_count=len(ledger),
        page_rows=PAGE_ENTERPRISE_ROWS,
        industries=[
            {
                "code": r["industry_code"],
                "name": r["industry_name"],
                "in_scope": show(r["enterprises_in_scope"], "count"),
                "resumed": show(r["enterprises_resumed"], "count"),
                "rate": show(r["resumption_rate"], "rate"),
            }
            for r in industries.to_dict("records")
        ],
        industry_chart=charts.horizontal_bars_svg(
            "分行业复工率",
            list(industries["industry_name"]),
            [float(v) for v in industries["resumption_rate"]],
            value_text=charts.percent,
            width=560,
            label_width=230,
        )
        if len(industries)
        else "",
        kind_counties=list(counties["county_name"]),
        kind_chart=charts.count_lines_svg(
            "企业反映困难的类型走势（项）", days, kinds_over_days(kinds_history, days)
        )
        if len(kinds_history)
        else "",
        kinds=[
            {
                "name": row["name"],
                "counts": [row[c] for c in counties["county_code"]],
                "total": row["total"],
            }
            for row in kinds.to_dict("records")
        ],
        difficulty_count=len(difficulties),
        difficulty_rows=_difficulty_rows(difficulties.head(PAGE_ENTERPRISE_ROWS)),
        grid=_completeness_grid(
            counties, completeness, [d.isoformat() for d in days], _describe_day
        ),
        contact_rows=_contacts(outcomes, receipts),
        contact_columns=CONTACT_COLUMNS,
        outcomes=_finding_sections(outcomes),
        receipts=receipts,
        links=links,
    )


RESUMED_TEXT = {True: "已复工", False: "未复工", None: "未报送"}


def _ledger_rows(ledger: pd.DataFrame) -> list[dict]:
    """Each key enterprise as the ledger table shows it."""
    rows = []
    for r in ledger.astype(object).where(ledger.notna(), None).to_dict("records"):
        resumed = None if r["resumed"] is None else bool(r["resumed"])
        rows.append(
            {
                "resumed": {True: "yes", False: "no", None: "unknown"}[resumed],
                "cells": [
                    r["county_name"],
                    r["enterprise_name"],
                    show(r["grid_officer"], "text"),
                    show(r["grid_officer_phone"], "text"),
                    RESUMED_TEXT[resumed],
                    "—" if r["resumed_on"] is None else r["resumed_on"].date().isoformat(),
                    " / ".join(
                        show(r[c], "count") for c in ("employees_on_site", "employees_total")
                    ),
                    show(r["capacity_pct"], "percent_points"),
                    show(r["difficulties"], "text"),
                    show(r["days_since_reported"], "count"),
                ],
            }
        )
    return rows


def _unranked(counties: pd.DataFrame, statuses: Sequence[str]) -> list[str]:
    """The counties a ranking leaves out: missing or rejected."""
    return [
        name
        for name, status in zip(counties["county_name"], statuses[: len(counties)], strict=True)
        if status not in (ACCEPTED, LATE)
    ]


def _signed_points(points: object) -> str:
    return "—" if _missing(points) else f"{points:+.1f}"


def _ranking_rows(rankings: pd.DataFrame) -> list[dict]:
    """Each ranked county: rank, name, rate, and its change in 百分点 (signed, or a dash)."""
    return [
        {
            "rank": rank,
            "name": name,
            "rate": show(rate, "rate"),
            "change": _signed_points(change),
        }
        for rank, name, rate, change in zip(
            rankings["rank"],
            rankings["county_name"],
            rankings["resumption_rate"],
            rankings["change_points"].astype(object).where(rankings["change_points"].notna()),
            strict=True,
        )
    ]


def _difficulty_rows(difficulties: pd.DataFrame) -> markupsafe.Markup:
    """The rows of the difficulties table, made a column at a time: a province's date lists
    tens of thousands of enterprises, seconds for a template loop. Each cell shows what
    `{{ value }}` would: the plain text, escaped; a dash for a missing count or text."""

    def cells(column: str, kind: str = "text", missing: str | None = None) -> pd.Series:
        values = difficulties[column]
        if kind == "count":
            shown = values.map(lambda v: show(v, "count"), na_action="ignore")
        else:
            shown = values.astype("str")
        if missing is not None:
            shown = shown.where(values.notna(), missing)
        return _escaped(plain_texts(shown))

    rows = (
        '<tr><td class="name">'
        + cells("county_name")
        + "</td><td>"
        + cells("enterprise_name")
        + "</td><td>"
        + cells("enterprise_id")
        + '</td>\n<td class="num">'
        + cells("mask_shortage", "count", "—")
        + '</td><td class="num">'
        + cells("thermometer_shortage", "count", "—")
        + "</td>\n<td>"
        + cells("difficulties", missing="—")
        + "</td></tr>"
    )
    return markupsafe.Markup("".join(rows))


def _escaped(texts: pd.Series) -> pd.Series:
    """markupsafe.escape of each text (& first, then < > " ')."""
    for character, entity in (
        ("&", "&amp;"),
        ("<", "&lt;"),
        (">", "&gt;"),
        ('"', "&#34;"),
        ("'", "&#39;"),
    ):
        texts = texts.str.replace(character, entity, regex=False)
    return texts


def _table_rows(table: pd.DataFrame, statuses: Sequence[str]) -> list[dict]:
    rows = []
    for number, (record, status) in enumerate(
        zip(table.to_dict("records"), statuses, strict=True), start=1
    ):
        is_city = number == len(table)
        rows.append(
            {
                "name": CITY_TOTAL_LABEL if is_city else record["county_name"],
                "code": record["county_code"],
                "status": status,
                "is_city": is_city,
                "values": record,
            }
        )
    return rows


def _rate_series(rows: pd.DataFrame, days: Sequence[date], stroke: float):
    """The resumption and on-site rates of one county's (or the city's) `county_daily` rows."""
    by_day = {pd.Timestamp(r["report_date"]).date(): r for r in rows.to_dict("records")}

    def values(column: str) -> list[float | None]:
        found = [by_day.get(day, {}).get(column) for day in days]
        return [None if _missing(v) else float(v) for v in found]

    return [
        charts.Series("复工率", values("resumption_rate"), charts.BLUE, stroke),
        charts.Series("在岗率", values("on_site_rate"), charts.ORANGE, stroke),
    ]


def _completeness_grid(counties, log: pd.DataFrame, periods: Sequence[str], describe) -> dict:
    """County × period cells: accepted, late, rejected or missing (no log row: missing).
    `describe(period)` gives (group label, column label, full label) of a period."""
    cells = {
        (r["county_code"], r["period"]): status_of(
            r["outcome"], None if _missing(r["on_time"]) else bool(r["on_time"])
        )
        for r in log.to_dict("records")
    }
    described = [describe(period) for period in periods]
    groups: list[dict] = []
    for group, _, _ in described:
        if groups and groups[-1]["label"] == group:
            groups[-1]["span"] += 1
        else:
            groups.append({"label": group, "span": 1})
    rows = []
    for code, name in counties[["county_code", "county_name"]].itertuples(index=False):
        row_cells = []
        for period, (_, _, full) in zip(periods, described, strict=True):
            status = cells.get((code, period), MISSING)
            row_cells.append({"status": status, "title": f"{name} {full}：{STATUS_LABELS[status]}"})
        rows.append({"name": name, "cells": row_cells})
    return {"groups": groups, "columns": [column for _, column, _ in described], "rows": rows}


def _describe_day(period: str) -> tuple[str, str, str]:
    day = date.fromisoformat(period)
    return f"{day.month}月", str(day.day), chinese_date(day)


def _describe_quarter(period: str) -> tuple[str, str, str]:
    year, number = period.split("Q")
    return f"{year}年", f"Q{number}", chinese_quarter(period)


def _contacts(outcomes: PeriodOutcomes, receipts: Mapping[str, Sequence[FileLink]]) -> list[dict]:
    """Each county of the period: its status, file, the signature block of its form (whom
    the office calls about it) and its receipts."""
    return [
        {
            "name": o.county_name,
            "status": status_of(o.outcome, o.on_time),
            "file_name": o.file_name,
            "signature": {field: getattr(o.signature, field, None) for field in SIGNATURE_LABELS},
            "receipts": receipts.get(o.county_code, []),
        }
        for o in outcomes.counties
    ]


def _finding_sections(outcomes: PeriodOutcomes) -> list[dict]:
    """A heading and its findings for each county that has findings, then for the files
    that belong to no county."""
    sections = [
        {
            "county_code": o.county_code,
            "county_name": o.county_name,
            "outcome": o.outcome,
            "file_name": o.file_name,
            "findings": o.findings,
        }
        for o in outcomes.counties
        if o.findings
    ]
    if outcomes.stray:
        sections.append(
            {
                "county_code": None,
                "county_name": NO_COUNTY_NAME,
                "outcome": REJECTED,
                "file_name": None,
                "findings": outcomes.stray,
            }
        )
    return sections


def quarterly_report_html(
    city_name: str,
    quarter: str,
    table: pd.DataFrame,
    outcomes: PeriodOutcomes,
    completeness: pd.DataFrame,
    links: Sequence[FileLink],
    receipts: Mapping[str, Sequence[FileLink]],
    briefing: Briefing,
    rankings: pd.DataFrame,
    industries: pd.DataFrame,
    approval: ApprovalNote | None = None,
) -> bytes:
    """The quarterly report, its briefing first. `table`: the quarter's `county_quarterly`
    rows (counties in order, the city row last); `completeness`: the quarterly
    `submissions_log` rows of the year's quarters up to this one; `receipts`: each county's
    receipts (code -> links); `rankings`: `briefing.quarterly_rankings`; `industries`:
    `industries.output_by_industry`."""
    city = table.iloc[-1]
    counties = table.iloc[:-1]
    on_time = outcomes.on_time_by_county
    statuses = [status_of(r["status"], on_time.get(r["county_code"])) for _, r in table.iterrows()]
    counted = [s for s in statuses[:-1] if s in (ACCEPTED, LATE)]
    quarters = sorted(set(completeness["period"]) | {quarter})
    months = year_to_date_months(quarter)

    def growth_bars(column: str, title: str) -> str:
        return charts.horizontal_bars_svg(
            title,
            list(counties["county_name"]),
            [None if _missing(v) else float(v) for v in counties[column]],
            colour=charts.GREEN,
            value_text=lambda v: f"{v:+.1f}%",
        )

    return render_page(
        "quarterly.html",
        approval=approval,
        page_title=f"{quarterly_report_title(city_name)} {chinese_quarter(quarter)}",
        heading=quarterly_report_title(city_name),
        subheading=f"报告期 {chinese_quarter(quarter)}（{months}累计） · 单位：亿元 · "
        f"{revision_label(int(table['revision'].max()))}",
        city=city,
        months=months,
        briefing=briefing.text,
        rankings=[
            {
                "rank": r["rank"],
                "name": r["county_name"],
                "value_added_growth": show(r["value_added_ytd_yoy_pct"], "growth"),
                "value_added_points": _signed_points(r["value_added_contribution_points"]),
                "output_growth": show(r["output_ytd_yoy_pct"], "growth"),
                "output_points": _signed_points(r["output_contribution_points"]),
            }
            for r in rankings.astype(object).where(rankings.notna()).to_dict("records")
        ],
        unranked=_unranked(counties, statuses),
        industries=[
            {
                "code": r["industry_code"],
                "name": r["industry_name"],
                "output": show(r["output_value"], "yi_yuan"),
                "output_growth": show(r["output_value_yoy_pct"], "growth"),
                "output_points": _signed_points(r["output_value_contribution_points"]),
                "value_added": show(r["value_added"], "yi_yuan"),
                "value_added_growth": show(r["value_added_yoy_pct"], "growth"),
                "value_added_points": _signed_points(r["value_added_contribution_points"]),
            }
            for r in industries.to_dict("records")
        ],
        industry_chart=charts.horizontal_bars_svg(
            "分行业对工业增加值增长的拉动（百分点）",
            list(industries["industry_name"]),
            [
                None if _missing(v) else float(v)
                for v in industries["value_added_contribution_points"]
            ],
            colour=charts.GREEN,
            value_text=lambda v: f"{v:+.1f}",
            width=560,
            label_width=230,
        )
        if len(industries)
        else "",
        headline=_headline(counted, counties, statuses),
        columns=QUARTERLY_TABLE,
        rows=_table_rows(table, statuses),
        growth_charts=[
            growth_bars("output_yoy_pct", "工业总产值本季同比增长"),
            growth_bars("value_added_yoy_pct", "工业增加值本季同比增长"),
            growth_bars("output_ytd_yoy_pct", f"工业总产值{months}累计同比增长"),
            growth_bars("value_added_ytd_yoy_pct", f"工业增加值{months}累计同比增长"),
        ],
        grid=_completeness_grid(counties, completeness, quarters, _describe_quarter),
        contact_rows=_contacts(outcomes, receipts),
        contact_columns=CONTACT_COLUMNS,
        outcomes=_finding_sections(outcomes),
        receipts=receipts,
        links=links,
    )


def data_quality_html(
    title: str, period_text: str, suite: dict, outcomes: PeriodOutcomes, back: FileLink
) -> bytes:
    """The expectation suite's results for each county's file, GX Data Docs style: every
    expectation as a row, every county as a column (passed, failed or not run), then the
    failures in full and the rules outside the suite (registry, dates, file names)."""
    counties = outcomes.counties
    suite_rules = [
        {
            "rule": e.get("meta", {}).get("rule", e["type"]),
            "type": e["type"],
            "column": e["kwargs"].get("column")
            or " / ".join(filter(None, (e["kwargs"].get("column_A"), e["kwargs"].get("column_B")))),
            "severity": "warning" if e.get("severity") == "warning" else "error",
            "message": e.get("meta", {}).get("message", ""),
        }
        for e in suite["expectations"]
    ]
    rule_names = {r["rule"] for r in suite_rules}
    matrix = []
    for rule in suite_rules:
        cells = []
        for o in counties:
            found = [f for f in o.findings if f.rule == rule["rule"]]
            if not _suite_ran(o):
                cells.append({"result": "not_run", "text": "—"})
            elif found:
                result = "explained" if found[0].explained else found[0].severity
                cells.append({"result": result, "text": f"{found[0].row_count}"})
            else:
                cells.append({"result": "passed", "text": "✓"})
        matrix.append({**rule, "cells": cells})
    other = [
        {"county": section, "finding": f}
        for section in _finding_sections(outcomes)
        for f in section["findings"]
        if f.rule not in rule_names
    ]
    failed = [
        {"county": o, "finding": f} for o in counties for f in o.findings if f.rule in rule_names
    ]
    return render_page(
        "data_quality.html",
        page_title=f"{title} {period_text}",
        heading=title,
        subheading=f"{period_text} · 校验规则集 {suite['name']}",
        counties=counties,
        matrix=matrix,
        failed=failed,
        other=other,
        back=back,
    )


def _suite_ran(outcome: CountyOutcome) -> bool:
    """The suite runs on a county's file unless there is none or it could not be read."""
    if outcome.outcome == MISSING:
        return False
    return not any(f.rule in FILE_LEVEL_RULES for f in outcome.findings)


def index_html(
    city_name: str, timezone: str, entries: Sequence[IndexEntry], tables: Sequence[FileLink]
) -> bytes:
    """Every publication with its revision and when it was first published (city time),
    newest period first within each kind; then the analyst tables."""
    tz = ZoneInfo(timezone)
    groups = []
    for kind, label in PUBLICATION_KINDS.items():
        mine = sorted((e for e in entries if e.kind == kind), key=lambda e: e.period, reverse=True)
        if mine:
            groups.append(
                {
                    "label": label,
                    "kind": kind,
                    "entries": [
                        {
                            "entry": e,
                            "published": e.published_at.astimezone(tz).strftime("%Y-%m-%d %H:%M"),
                        }
                        for e in mine
                    ],
                }
            )
    return render_page(
        "index.html",
        page_title=f"{city_name}统计报表发布目录",
        heading=f"{city_name}统计报表发布目录",
        subheading=f"发布时间为 {timezone} 时间；每期文件夹内的 manifest.json "
        "列出各文件的校验值和来源报送文件",
        groups=groups,
        tables=tables,
    )


def _headline(counted: list[str], counties: pd.DataFrame, statuses: list[str]) -> dict:
    """How many counties count, and why the others do not: the headline's status card."""
    return {
        "counted": len(counted),
        "counties": len(counties),
        "late": statuses.count(LATE),
        "rejected": statuses.count(REJECTED),
        "missing": statuses.count(MISSING),
    }
