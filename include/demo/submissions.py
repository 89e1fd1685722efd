"""Which files the counties send: layout, name, content (with the planned anomalies applied)
and arrival time of every demo submission. Pure: nothing is written here.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from pathlib import PurePosixPath

import numpy as np
import pandas as pd

from include.config import County
from include.demo.anomalies import ON_SITE_ABOVE_TOTAL_ROWS, OVER_CAPACITY_PCT, AnomalyKind
from include.demo.generator import (
    QUARTERS,
    DemoDataset,
    make_credit_code,
    make_enterprise_name,
    random_stream,
    report_dates,
)
from transforms.schema import DAILY_COLUMNS, QUARTERLY_COLUMNS, Column


@dataclass(frozen=True)
class FileLayout:
    """How one county's office lays out its file (the spec's accepted variants)."""

    name: str
    container: str  # "csv" or "xlsx"
    file_name: str  # template over {code}, {county} and {report}
    encoding: str = "utf-8"
    chinese_headers: bool = False
    padded_headers: bool = False  # stray spaces around header names
    alphabetical_columns: bool = False  # columns in another order than the spec's
    date_style: str = "iso"  # iso, slash (2020/3/17), chinese (2020年3月17日), excel (date cell)
    true_false: tuple[str, str] = ("Y", "N")
    thousands_separator: bool = False
    percent_sign: bool = False  # capacity written as 85.3%
    title_rows: int = 0  # 1: a (merged) title; 2: title and a note row
    total_row: bool = False  # trailing 合计 row


CSV_UTF8_ENGLISH = FileLayout("csv-utf8-en", "csv", "{code}")
XLSX_TITLED_CHINESE = FileLayout(
    "xlsx-titled-zh",
    "xlsx",
    "{code}_{county}_{report}",
    chinese_headers=True,
    date_style="excel",
    true_false=("是", "否"),
    title_rows=2,
    total_row=True,
)
# What Excel on Chinese Windows saves from a titled, formatted sheet.
CSV_GB18030_CHINESE = FileLayout(
    "csv-gb18030-zh",
    "csv",
    "{code}_{county}",
    encoding="gb18030",
    chinese_headers=True,
    date_style="slash",
    true_false=("是", "否"),
    thousands_separator=True,
    percent_sign=True,
    title_rows=1,
    total_row=True,
)
CSV_UTF8_BOM_CHINESE = FileLayout(
    "csv-utf8bom-zh",
    "csv",
    "{code}_{report}",
    encoding="utf-8-sig",
    chinese_headers=True,
    padded_headers=True,
    date_style="chinese",
    true_false=("是", "否"),
)
CSV_UTF8_ENGLISH_REORDERED = FileLayout(
    "csv-utf8-en-reordered", "csv", "{code}", alphabetical_columns=True, true_false=("1", "0")
)
XLSX_PLAIN_ENGLISH = FileLayout(
    "xlsx-plain-en", "xlsx", "{code}_{report}", date_style="excel", true_false=("yes", "no")
)

# County i of the config uses layout i modulo this list: every variant appears.
LAYOUT_ROTATION = (
    CSV_UTF8_ENGLISH,
    XLSX_TITLED_CHINESE,
    CSV_GB18030_CHINESE,
    CSV_UTF8_BOM_CHINESE,
    CSV_UTF8_ENGLISH_REORDERED,
    XLSX_PLAIN_ENGLISH,
)
# One county moves to the city's titled Excel template during the demo: counties usually
# keep their format, but not forever.
FORMAT_SWITCH_DATE = date(2020, 3, 2)
FORMAT_SWITCH_LAYOUT = XLSX_TITLED_CHINESE

# Counties upload in the last hours before the daily deadline.
DAILY_UPLOAD_HOURS = 4
# Quarterly files arrive on working hours of days 6–14 after the quarter ends.
QUARTERLY_UPLOAD_DAYS = (6, 14)
QUARTERLY_UPLOAD_HOURS = (time(9, 0), time(18, 0))

# Anomalies that change which files arrive, or when, rather than what they hold.
FILE_LEVEL_KINDS = {AnomalyKind.MISSING, AnomalyKind.LATE, AnomalyKind.TWO_FILES}
REMARKS_COLUMN = Column("remarks", "备注", "str", required=False)
REMARKS = ("网格员已核实", "已发放口罩", "待复查")


@dataclass(frozen=True)
class SubmissionFile:
    relative_path: PurePosixPath  # under the landing root
    layout: FileLayout
    columns: tuple[Column, ...]  # in the file's order
    table: pd.DataFrame  # canonical columns, one row per data row of the file
    title: str
    note: str
    arrives_at: datetime  # local, aware


def layout_for(county_position: int, county_count: int, day: date | None) -> FileLayout:
    """The county's layout; `day` is None for quarterly files (sent from the new template)."""
    layout = LAYOUT_ROTATION[county_position % len(LAYOUT_ROTATION)]
    switches = county_position == county_count - 1
    if switches and (day is None or day >= FORMAT_SWITCH_DATE):
        return FORMAT_SWITCH_LAYOUT
    return layout


def plan_submissions(dataset: DemoDataset) -> list[SubmissionFile]:
    return plan_daily_submissions(dataset) + plan_quarterly_submissions(dataset)


def plan_daily_submissions(dataset: DemoDataset) -> list[SubmissionFile]:
    city = dataset.city
    arrivals = random_stream(dataset.seed, "daily arrivals")
    tampering = random_stream(dataset.seed, "tampering")
    anomalies = {(a.report_date, a.county_code): a for a in dataset.anomalies}
    states_by_day = dict(tuple(dataset.daily.groupby("report_date")))
    files: list[SubmissionFile] = []
    for day in report_dates():
        states = states_by_day[pd.Timestamp(day)]
        for position, county in enumerate(city.counties):
            deadline = datetime.combine(day, city.schedule.daily_deadline, tzinfo=city.tz)
            arrives_at = _arrival(
                arrivals, deadline - timedelta(hours=DAILY_UPLOAD_HOURS), deadline
            )
            anomaly = anomalies.get((day, county.code))
            kind = anomaly.kind if anomaly else None
            if kind is AnomalyKind.MISSING:
                continue
            if kind is AnomalyKind.LATE:
                arrives_at = anomaly.arrives_at
            table = states.loc[states["county_code"] == county.code].reset_index(drop=True)
            columns = DAILY_COLUMNS
            if kind is not None and kind not in FILE_LEVEL_KINDS:
                table, columns = _tamper(kind, table, columns, dataset, county, day, tampering)
            layout = layout_for(position, len(city.counties), day)
            submission = SubmissionFile(
                relative_path=PurePosixPath("daily", day.isoformat(), _file_name(layout, county)),
                layout=layout,
                columns=_ordered(columns, layout),
                table=table,
                title=f"{city.name}企业复工复产情况日报表（{county.name}）",
                note=(
                    f"填报单位：{county.name}工业和信息化局　　"
                    f"填报日期：{day.year}年{day.month}月{day.day}日　　单位：家、人、%"
                ),
                arrives_at=arrives_at,
            )
            files.append(submission)
            if kind is AnomalyKind.TWO_FILES:
                # The second upload comes later the same afternoon, still before the deadline.
                path = submission.relative_path
                files.append(
                    replace(
                        submission,
                        relative_path=path.with_name(f"{path.stem}_补报{path.suffix}"),
                        arrives_at=arrives_at + _whole_seconds((deadline - arrives_at) / 2),
                    )
                )
    return files


def plan_quarterly_submissions(dataset: DemoDataset) -> list[SubmissionFile]:
    city = dataset.city
    arrivals = random_stream(dataset.seed, "quarterly arrivals")
    files = []
    for quarter in QUARTERS:
        values = dataset.quarterly.loc[dataset.quarterly["report_quarter"] == quarter]
        period = pd.Period(quarter, freq="Q")
        quarter_end = period.end_time.date()
        for position, county in enumerate(city.counties):
            upload_day = quarter_end + timedelta(
                days=int(arrivals.integers(QUARTERLY_UPLOAD_DAYS[0], QUARTERLY_UPLOAD_DAYS[1] + 1))
            )
            layout = layout_for(position, len(city.counties), None)
            files.append(
                SubmissionFile(
                    relative_path=PurePosixPath(
                        "quarterly", quarter, _file_name(layout, county, quarterly=True)
                    ),
                    layout=layout,
                    columns=_ordered(QUARTERLY_COLUMNS, layout),
                    table=values.loc[values["county_code"] == county.code].reset_index(drop=True),
                    title=f"{city.name}规模以上工业企业主要经济指标季报表（{county.name}）",
                    note=f"报告期：{period.year}年第{period.quarter}季度　　单位：万元",
                    arrives_at=_arrival(
                        arrivals,
                        datetime.combine(upload_day, QUARTERLY_UPLOAD_HOURS[0], tzinfo=city.tz),
                        datetime.combine(upload_day, QUARTERLY_UPLOAD_HOURS[1], tzinfo=city.tz),
                    ),
                )
            )
    return files


def _arrival(rng: np.random.Generator, earliest: datetime, latest: datetime) -> datetime:
    seconds = int((latest - earliest).total_seconds())
    return earliest + timedelta(seconds=int(rng.integers(0, seconds)))


def _whole_seconds(span: timedelta) -> timedelta:
    # Arrival times in whole seconds, as a county's upload log would show them.
    return timedelta(seconds=int(span.total_seconds()))


def _file_name(layout: FileLayout, county: County, quarterly: bool = False) -> str:
    if layout.chinese_headers:
        report = "季报" if quarterly else "日报"
    else:
        report = "quarterly" if quarterly else "daily"
    stem = layout.file_name.format(code=county.code, county=county.name, report=report)
    return f"{stem}.{layout.container}"


def _ordered(columns: tuple[Column, ...], layout: FileLayout) -> tuple[Column, ...]:
    if layout.alphabetical_columns:
        return tuple(sorted(columns, key=lambda column: column.name))
    return columns


def _tamper(
    kind: AnomalyKind,
    table: pd.DataFrame,
    columns: tuple[Column, ...],
    dataset: DemoDataset,
    county: County,
    day: date,
    rng: np.random.Generator,
) -> tuple[pd.DataFrame, tuple[Column, ...]]:
    """The county's clean rows with one planned mistake or irregularity in them."""
    table = table.copy()
    resumed_rows = np.flatnonzero(table["resumed"].to_numpy())
    candidates = resumed_rows if len(resumed_rows) else np.arange(len(table))
    if kind is AnomalyKind.ON_SITE_ABOVE_TOTAL:
        rows = rng.choice(
            candidates, size=min(ON_SITE_ABOVE_TOTAL_ROWS, len(candidates)), replace=False
        )
        extra = rng.integers(5, 40, size=len(rows))
        table.loc[rows, "employees_on_site"] = table.loc[rows, "employees_total"] + extra
    elif kind is AnomalyKind.RESUMED_WITHOUT_DATE:
        row = rng.choice(candidates)
        table.loc[row, "resumed"] = True
        table.loc[row, "resumed_on"] = pd.NaT
    elif kind is AnomalyKind.DUPLICATE_ENTERPRISE:
        row = int(rng.choice(len(table)))
        table = pd.concat([table.iloc[: row + 1], table.iloc[row:]], ignore_index=True)
    elif kind is AnomalyKind.UNKNOWN_COLUMN:
        remarks = rng.choice(list(REMARKS), size=len(table))
        table["remarks"] = np.where(rng.random(len(table)) < 0.2, remarks, None)
        columns = (*columns, REMARKS_COLUMN)
    elif kind is AnomalyKind.CAPACITY_OVER_100:
        table.loc[rng.choice(candidates), "capacity_pct"] = OVER_CAPACITY_PCT
    elif kind is AnomalyKind.ENTERPRISE_NOT_REPORTED:
        table = table.drop(index=rng.choice(len(table))).reset_index(drop=True)
    elif kind is AnomalyKind.ENTERPRISE_NOT_IN_REGISTRY:
        table = pd.concat(
            [table, _unregistered_enterprise(dataset, county, day, rng)], ignore_index=True
        )
    return table, columns


def _unregistered_enterprise(
    dataset: DemoDataset, county: County, day: date, rng: np.random.Generator
) -> pd.DataFrame:
    """A small plant the county reports but the city's registry does not list yet."""
    registered = set(dataset.registry["enterprise_id"])
    code = make_credit_code(county.code, rng)
    while code in registered:
        code = make_credit_code(county.code, rng)
    row = {
        "report_date": pd.Timestamp(day),
        "county_code": county.code,
        "enterprise_id": code,
        "enterprise_name": make_enterprise_name(dataset.city, county, "33", rng),
        "resumed": True,
        "resumed_on": pd.Timestamp(day - timedelta(days=6)),
        "employees_total": 86,
        "employees_on_site": 61,
        "capacity_pct": 65.0,
        "mask_shortage": 0,
        "thermometer_shortage": 0,
        "difficulties": None,
    }
    return pd.DataFrame([row]).astype(dataset.daily.dtypes.to_dict())
