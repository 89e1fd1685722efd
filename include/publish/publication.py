"""Assemble and publish what people read: per period folder, the official Excel table, the
HTML report, the data quality page, CSVs, validation report and manifest; at the top of
the publish folder, index.html and the full-history analyst tables under tables/.

Renderers are pure (transforms/); this module reads the warehouse, builds the file set
and hands it to `submissions.publish_period_folder`, which swaps the whole folder in
atomically. The files outside period folders are each replaced in one rename, under a
lock in the warehouse (`warehouse.locked`, held by any worker on any host), so two
runs finishing together cannot leave an index built from older rows.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime, timedelta
from functools import cache, partial
from importlib.metadata import version
from pathlib import Path
from urllib.parse import quote

import pandas as pd

from include import approval, submissions, warehouse
from include.config import CityConfig, Settings
from include.context import RunContext
from include.ingest import landing as storage
from include.publish import beside
from include.publish.analyst_files import refreshed_table_file
from include.publish.data_dictionary import (
    ANALYST_TABLE_LABELS,
    data_dictionary_markdown,
)
from include.tables import (
    ANALYST_TABLES,
    county_daily,
    county_quarterly,
    daily_submission_rows,
    difficulty_kinds_daily,
    industry_daily,
    industry_quarterly,
    key_enterprise_daily,
    publications,
    submissions_log,
)
from transforms.check.outcomes import PeriodOutcomes
from transforms.merge.difficulties import difficulty_items, kinds_by_county
from transforms.merge.ledger import in_ledger_order
from transforms.periods import (
    local_deadline,
    quarter_bounds,
    quarters_of_year_through,
)
from transforms.publish import briefing, receipts, rendering, report_excel, report_html
from transforms.publish.labels import chinese_date, chinese_quarter, status_of
from transforms.publish.manifest import MANIFEST_NAME, manifest_json
from transforms.publish.receipts import ReceiptContext
from transforms.publish.report_html import FileLink, IndexEntry

REPORT_PAGE, QUALITY_PAGE = "report.html", "data_quality.html"
BRIEFING_NAME = "briefing.txt"
LEDGER_NAME = "key_enterprises.csv"
# A workbook of more cells than this is written beside the rest of its publication, by a
# forked copy (`beside`): a province's 490,000 cells take about 3 s alone, a city's 2,000
# less than forking costs.
WORKBOOK_BESIDE_CELLS = 50_000
TABLES_FOLDER, DICTIONARY_NAME, INDEX_NAME = "tables", "data-dictionary.md", "index.html"
# The warehouse lock of index.html and tables/ (a period's is "publish:<kind>/<period>").
PUBLISH_ROOT_LOCK = "publish:root"
RECEIPTS_FOLDER = "receipts"  # in each daily and quarterly period folder, two per county
# What each published file is, for the link lists; files are listed in this order.
FILE_LABELS = {
    REPORT_PAGE: "报告",
    BRIEFING_NAME: "简报（文本）",
    ".xlsx": "Excel 报表",
    QUALITY_PAGE: "数据质量",
    "county_daily.csv": "县区日表 CSV",
    "difficulties.csv": "企业困难 CSV",
    LEDGER_NAME: "重点企业台账 CSV",
    "county_quarterly.csv": "县区季表 CSV",
    "county_quarter_daily_summary.csv": "日报季度汇总 CSV",
    "validation_report.md": "校验报告",
    "validation_report.json": "校验报告 JSON",
    MANIFEST_NAME: "清单 manifest.json",
}
DIFFICULTY_COLUMNS = [
    "county_code",
    "county_name",
    "enterprise_id",
    "enterprise_name",
    "mask_shortage",
    "thermometer_shortage",
    "difficulties",
]


@cache
def pipeline_version() -> str:
    return version("citystats")


def publish_daily_report(
    run: RunContext, report_date: str, table: pd.DataFrame, outcomes: PeriodOutcomes, suite: dict
) -> str:
    """Publish <publish>/daily/<date>/ from the date's `county_daily` rows (`table`: counties
    in the configured order, then the city) and the submissions' outcomes."""
    city = run.city
    day = date.fromisoformat(report_date)
    # The charts cover a fixed window, so a date's publication costs the same in any year;
    # the whole series is the analyst tables'.
    first = day - timedelta(days=report_html.TREND_DAYS - 1)
    with run.engine.connect() as connection:
        history = warehouse.read_range(connection, county_daily, "report_date", first, day)
        log = warehouse.read_range(
            connection, submissions_log, "period", first.isoformat(), report_date, {"kind": "daily"}
        )
        difficulties, items = _reported_details(connection, day, city)
        ledger = in_ledger_order(
            warehouse.read_partition(connection, key_enterprise_daily, {"report_date": day}),
            [(c.code, c.name) for c in city.counties],
        )
        industries = warehouse.read_partition(
            connection, industry_daily, {"report_date": day}, order_by=["industry_code"]
        )
        kinds_history = warehouse.read_range(
            connection, difficulty_kinds_daily, "report_date", first, day
        )
        approved = _approval_note(connection, city, "daily", report_date)
    earlier = history[history["report_date"] < pd.Timestamp(day)]
    previous = (
        earlier[earlier["report_date"] == earlier["report_date"].max()] if len(earlier) else None
    )
    statuses = _statuses(table, outcomes)
    summary = briefing.daily_briefing(day, table, previous, statuses, items)
    rankings = briefing.daily_rankings(table, previous, statuses)
    workbook_name = f"{report_excel.daily_report_title(city.name)}_{report_date}.xlsx"
    workbook = partial(
        report_excel.daily_workbook,
        city.name,
        day,
        table,
        outcomes,
        difficulties,
        summary,
        ledger,
        _compiler(city, local_deadline(day, city.schedule.missing_cutoff, city.tz)),
    )
    # A big workbook is written by a forked copy while this process renders the rest.
    forked = report_excel.daily_workbook_cells(difficulties, ledger) > WORKBOOK_BESIDE_CELLS
    with beside.started(workbook, workbook_name, forked=forked) as pending_workbook:
        title = f"{city.name}复工复产日报 {chinese_date(day)}"
        files = {
            LEDGER_NAME: rendering.table_csv(ledger),
            BRIEFING_NAME: (summary.text + "\n").encode("utf-8"),
            "county_daily.csv": rendering.table_csv(table),
            "difficulties.csv": rendering.table_csv(difficulties),
            "validation_report.json": rendering.validation_report_json(report_date, outcomes),
            "validation_report.md": rendering.validation_report_markdown(
                f"{title} 报送校验报告", outcomes
            ),
            QUALITY_PAGE: report_html.data_quality_html(
                f"{city.name}复工复产日报数据质量报告",
                chinese_date(day),
                suite,
                outcomes,
                FileLink(REPORT_PAGE, f"返回{title}"),
            ),
        }
        receipt_files, receipt_links = _receipts(city, "daily", report_date, outcomes, approved)
        report_page = report_html.daily_report_html(
            city.name,
            day,
            table,
            history,
            outcomes,
            log,
            difficulties,
            _period_links([workbook_name, *files]),
            receipt_links,
            summary,
            rankings,
            ledger,
            kinds_by_county(items, [(c.code, c.name) for c in city.counties]),
            kinds_history,
            industries,
            approved,
        )
        files = {
            workbook_name: pending_workbook.result(),
            **files,
            REPORT_PAGE: report_page,
            **receipt_files,
        }
    rows = {
        workbook_name: {
            "简报": len(summary.clauses),
            "日报表": len(table),
            "企业反映困难": len(difficulties),
            "重点企业台账": len(ledger),
        },
        LEDGER_NAME: len(ledger),
        "county_daily.csv": len(table),
        "difficulties.csv": len(difficulties),
    }
    revision = int(table["revision"].max())
    return _publish(run, "daily", report_date, files, rows, revision, *_sources(outcomes))


def _approval_note(
    connection, city: CityConfig, kind: str, period: str
) -> report_html.ApprovalNote | None:
    """The period's approval as its report shows it; None when it was never approved."""
    event = approval.latest_event(connection, kind, period)
    if event is None:
        return None
    names = {c.code: c.name for c in city.counties}
    held = [
        report_html.HeldCorrection(
            county_code=row["county_code"],
            county_name=names.get(row["county_code"], row["county_code"]),
            file_name=row["file_name"] or "",
            outcome=row["outcome"],
            arrived_at=""
            if pd.isna(row["arrived_at"])
            else pd.Timestamp(row["arrived_at"]).tz_convert(city.tz).strftime("%Y-%m-%d %H:%M"),
        )
        for row in approval.held(connection, kind, period).to_dict("records")
    ]
    return report_html.ApprovalNote(event.label(), event.locks, held if event.locks else [])


def _compiler(city: CityConfig, cut_off: datetime) -> report_excel.Compiler:
    """The compiler block: the city's bureau, issued the day of the cut-off its data stand at."""
    return report_excel.Compiler(city.compiler_unit or city.name, cut_off.date(), cut_off)


def _statuses(table: pd.DataFrame, outcomes: PeriodOutcomes) -> dict[str, str]:
    """county code → accepted, late, rejected or missing, as the period's reports show it."""
    on_time = outcomes.on_time_by_county
    return {
        code: status_of(status, on_time.get(code))
        for code, status in zip(table["county_code"], table["status"], strict=True)
    }


def _reported_details(connection, day: date, city: CityConfig) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The date's accepted enterprise rows reduced to what the report shows of them: the rows
    that raise a difficulty, and the difficulties one item a row. The rows themselves are
    not kept: at a country's scale they would sit beside the workbook being written."""
    reported = warehouse.read_partition(connection, daily_submission_rows, {"report_date": day})
    return enterprise_difficulties(reported, city), difficulty_items(reported)


def enterprise_difficulties(reported: pd.DataFrame, city: CityConfig) -> pd.DataFrame:
    """The accepted rows that raise a difficulty or a shortage, counties in the configured
    order; the text is the enterprise's own."""
    text = reported["difficulties"].fillna("").astype(str).str.strip()
    raised = (text != "") | (reported["mask_shortage"].fillna(0) > 0)
    raised |= reported["thermometer_shortage"].fillna(0) > 0
    rows = reported[raised.astype(bool)].assign(
        county_name=lambda r: r["county_code"].map(city.county_names),
        order=lambda r: r["county_code"].map({c: n for n, c in enumerate(city.county_codes)}),
    )
    rows = rows.sort_values(["order", "enterprise_id"], kind="stable")
    return rows[DIFFICULTY_COLUMNS].reset_index(drop=True)


def publish_quarterly_report(
    run: RunContext, quarter: str, table: pd.DataFrame, outcomes: PeriodOutcomes, suite: dict
) -> str:
    """Publish <publish>/quarterly/<quarter>/ from the quarter's `county_quarterly` rows."""
    city = run.city
    year_so_far = quarters_of_year_through(quarter)
    with run.engine.connect() as connection:
        log = warehouse.read_partition(connection, submissions_log, {"kind": "quarterly"})
        previous = (
            warehouse.read_partition(
                connection, county_quarterly, {"report_quarter": year_so_far[-2]}
            )
            if len(year_so_far) > 1
            else None
        )
        industries = warehouse.read_partition(
            connection, industry_quarterly, {"report_quarter": quarter}, order_by=["industry_code"]
        )
        approved = _approval_note(connection, city, "quarterly", quarter)
    log = log[log["period"].isin(year_so_far)]
    statuses = _statuses(table, outcomes)
    summary = briefing.quarterly_briefing(quarter, table, previous, statuses)
    workbook_name = f"{report_excel.quarterly_report_title(city.name)}_{quarter}.xlsx"
    title = f"{city.name}规上工业产值季报 {chinese_quarter(quarter)}"
    files = {
        workbook_name: report_excel.quarterly_workbook(
            city.name,
            quarter,
            quarter_bounds(quarter)[1],
            table,
            outcomes,
            summary,
            _compiler(city, city.quarterly_deadline_of(quarter)),
        ),
        BRIEFING_NAME: (summary.text + "\n").encode("utf-8"),
        "county_quarterly.csv": rendering.table_csv(table),
        "validation_report.json": rendering.validation_report_json(quarter, outcomes),
        "validation_report.md": rendering.validation_report_markdown(
            f"{title} 报送校验报告", outcomes
        ),
        QUALITY_PAGE: report_html.data_quality_html(
            f"{city.name}规上工业产值季报数据质量报告",
            chinese_quarter(quarter),
            suite,
            outcomes,
            FileLink(REPORT_PAGE, f"返回{title}"),
        ),
    }
    receipt_files, receipt_links = _receipts(city, "quarterly", quarter, outcomes, approved)
    files[REPORT_PAGE] = report_html.quarterly_report_html(
        city.name,
        quarter,
        table,
        outcomes,
        log,
        _period_links(files),
        receipt_links,
        summary,
        briefing.quarterly_rankings(table, statuses),
        industries,
        approved,
    )
    files.update(receipt_files)
    rows = {
        workbook_name: {"简报": len(summary.clauses), "产值统计表": len(table)},
        "county_quarterly.csv": len(table),
    }
    revision = int(table["revision"].max())
    return _publish(run, "quarterly", quarter, files, rows, revision, *_sources(outcomes))


def publish_daily_summary_report(
    run: RunContext, folder: str, quarter: str, table: pd.DataFrame
) -> str:
    """Publish <publish>/<folder>/<quarter>/ (the roll-up of the daily series); its sources
    are every daily submission of the quarter's dates."""
    with run.engine.connect() as connection:
        log = warehouse.read_partition(connection, submissions_log, {"kind": "daily"})
    first, last = quarter_bounds(quarter)
    log = log[(log["period"] >= first.isoformat()) & (log["period"] <= last.isoformat())]
    names = run.city.county_names
    sources = [
        {**_plain(record), "county_name": names.get(record["county_code"])}
        for record in log.sort_values(["period", "county_code"]).to_dict("records")
    ]
    files = {"county_quarter_daily_summary.csv": rendering.table_csv(table)}
    rows = {"county_quarter_daily_summary.csv": len(table)}
    return _publish(run, folder, quarter, files, rows, int(table["revision"].max()), sources, [])


def receipt_context(
    city: CityConfig, kind: str, period: str, pre_check: bool = False
) -> ReceiptContext:
    """What a county's receipt needs besides its outcome, from the city's schedule: the
    deadline (the one the pipelines' SubmissionKinds apply; they import this module, so it
    cannot ask them) and, for a date, the end of the look-back within which a nightly run
    still picks up a replaced file. `make check` asks for it with pre_check=True."""
    schedule = city.schedule
    if kind == "daily":
        day = date.fromisoformat(period)
        return ReceiptContext(
            city.name,
            kind,
            period,
            city.timezone,
            deadline=city.daily_deadline_of(day),
            resubmit_by=receipts.daily_resubmit_by(
                period, schedule.resubmission_lookback_days, schedule.nightly_run, city.tz
            ),
            pre_check=pre_check,
        )
    deadline = city.quarterly_deadline_of(period)
    return ReceiptContext(city.name, kind, period, city.timezone, deadline, pre_check=pre_check)


def _receipts(
    city: CityConfig,
    kind: str,
    period: str,
    outcomes: PeriodOutcomes,
    approved: report_html.ApprovalNote | None,
) -> tuple[dict[str, bytes], dict[str, list[FileLink]]]:
    """(files, links from the report by county code): each configured county's receipt, as
    a page and as text, telling a county whose correction is held that it is."""
    context = receipt_context(city, kind, period)
    held = {h.county_code: h for h in approved.held} if approved else {}
    files, links = {}, {}
    for outcome in outcomes.counties:
        code = outcome.county_code
        back = [
            FileLink(f"{code}.txt", "回执（文本）"),
            FileLink(f"../{REPORT_PAGE}", "返回本期报告"),
        ]
        files[f"{RECEIPTS_FOLDER}/{code}.html"] = receipts.receipt_html(
            outcome, context, back, held.get(code)
        )
        files[f"{RECEIPTS_FOLDER}/{code}.txt"] = receipts.receipt_text(
            outcome, context, held.get(code)
        ).encode()
        links[code] = [
            FileLink(f"{RECEIPTS_FOLDER}/{code}.html", "回执"),
            FileLink(f"{RECEIPTS_FOLDER}/{code}.txt", "文本"),
        ]
    return files, links


def _period_links(files: Iterable[str]) -> list[FileLink]:
    """Links from a period's report to its files and to what sits at the top of the folder."""
    return [
        *_file_links([*files, MANIFEST_NAME], prefix=""),
        FileLink(f"../../{INDEX_NAME}", "发布目录（全部期别）"),
        *(
            FileLink(f"../../{TABLES_FOLDER}/{name}.parquet", f"{label}（全量历史）")
            for name, label in ANALYST_TABLE_LABELS.items()
        ),
        FileLink(f"../../{TABLES_FOLDER}/{DICTIONARY_NAME}", "数据字典"),
    ]


def _file_links(names: Sequence[str], prefix: str) -> list[FileLink]:
    def label_of(name: str) -> str:
        return FILE_LABELS.get(name) or FILE_LABELS.get(Path(name).suffix) or name

    def order(name: str) -> int:
        keys = list(FILE_LABELS)
        key = name if name in FILE_LABELS else Path(name).suffix
        return keys.index(key) if key in keys else len(keys)

    return [
        FileLink(prefix + quote(name), label_of(name))
        for name in sorted(set(names), key=lambda n: (order(n), n))
        if name != INDEX_NAME
    ]


def _plain(record: dict) -> dict:
    """JSON-ready values of a submissions_log row (timestamps as ISO text, no NA)."""
    plain = {}
    for key, value in record.items():
        if value is None or value is pd.NA or (not isinstance(value, str) and pd.isna(value)):
            plain[key] = None
        elif isinstance(value, pd.Timestamp):
            plain[key] = value.tz_convert("UTC").isoformat()
        elif hasattr(value, "item"):
            plain[key] = value.item()
        else:
            plain[key] = value
    return plain


def _publish(
    run: RunContext,
    folder: str,
    period: str,
    files: dict[str, bytes],
    rows: dict,
    revision: int,
    sources: Sequence[Mapping],
    ignored: Sequence[str],
) -> str:
    """Publish the period folder with its manifest (`sources`: the submissions it is made
    from; `ignored`: the files of the period that belong to no county), then the root."""
    city, settings = run.city, run.settings
    files[MANIFEST_NAME] = manifest_json(
        kind=folder,
        period=period,
        city={"code": city.code, "name": city.name},
        revision=revision,
        pipeline_version=pipeline_version(),
        files=files,
        rows=rows,
        registry_sha256=_registry_sha256(settings),
        sources=sources,
        ignored_files=ignored,
    )
    published = submissions.publish_period_folder(run, folder, period, files, revision)
    refresh_publish_root(run)
    return published


def _sources(outcomes: PeriodOutcomes) -> tuple[list[dict], list[str]]:
    """(each county's submission, the names of the files of no county) for the manifest."""
    ignored = [f.file_name for f in outcomes.stray if f.file_name]
    return [o.to_dict() for o in outcomes.counties], ignored


def _registry_sha256(settings: Settings) -> str:
    path = storage.landing_path(settings.landing, *submissions.REGISTRY_PARTS)
    return storage.sha256_hex(storage.read_landed(str(path)))


def refresh_publish_root(run: RunContext) -> None:
    """Rewrite index.html and tables/ from the warehouse (each table from the partitions
    written since its file was: `analyst_files`); files whose bytes did not change are left
    alone."""
    city, settings = run.city, run.settings
    root = Path(settings.publish)
    root.mkdir(parents=True, exist_ok=True)
    engine = run.engine
    with warehouse.locked(engine, PUBLISH_ROOT_LOCK) as connection:
        tables = root / TABLES_FOLDER
        for table in ANALYST_TABLES:
            path = tables / f"{table.name}.parquet"
            _write_if_changed(path, refreshed_table_file(connection, root, table, path))
        published = warehouse.read_partition(connection, publications)
        approvals = {
            key: event.label() for key, event in approval.latest_events(connection).items()
        }
        _write_if_changed(tables / DICTIONARY_NAME, data_dictionary_markdown().encode("utf-8"))
        _write_if_changed(root / INDEX_NAME, _index_page(city, root, published, approvals))


def _index_page(
    city: CityConfig, root: Path, published: pd.DataFrame, approvals: Mapping[tuple, str]
) -> bytes:
    entries = []
    for record in published.to_dict("records"):
        folder = root / record["kind"] / record["period"]
        if not folder.is_dir():
            continue
        names = sorted(p.name for p in folder.iterdir() if p.is_file())
        prefix = f"{record['kind']}/{record['period']}/"
        # Listed once: a stat per county and period was 7.6 s a publish for a year of a
        # country's dates, a listing per period 1.5 s.
        receipts = folder / RECEIPTS_FOLDER
        sent = set(os.listdir(receipts)) if receipts.is_dir() else set()
        entries.append(
            IndexEntry(
                kind=record["kind"],
                period=record["period"],
                revision=int(record["revision"]),
                published_at=pd.Timestamp(record["published_at"]).to_pydatetime(),
                links=_file_links(names, prefix=prefix),
                receipts=[
                    FileLink(f"{prefix}{RECEIPTS_FOLDER}/{county.code}.html", county.name)
                    for county in city.counties
                    if f"{county.code}.html" in sent
                ],
                approval=approvals.get((record["kind"], record["period"])),
            )
        )
    tables = [
        FileLink(f"{TABLES_FOLDER}/{name}.parquet", f"{label}（{name}，全量历史）")
        for name, label in ANALYST_TABLE_LABELS.items()
    ]
    tables.append(FileLink(f"{TABLES_FOLDER}/{DICTIONARY_NAME}", "数据字典"))
    return report_html.index_html(city.name, city.timezone, entries, tables)


def _write_if_changed(path: Path, content: bytes) -> None:
    if path.is_file() and path.read_bytes() == content:
        return
    storage.write_atomically(path, content)
