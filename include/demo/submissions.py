"""Which files the counties send: layout, name, content (with the planned anomalies applied)
and arrival time of every demo submission. Pure: nothing is written here.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from pathlib import PurePosixPath

import numpy as np
import pandas as pd

from include.config import County
from include.demo.anomalies import (
    ON_SITE_ABOVE_TOTAL_ROWS,
    OVER_CAPACITY_PCT,
    STAFF_JUMP_MIN_PERSONS,
    STAFF_JUMP_SHARE,
    AnomalyKind,
)
from include.demo.generator import (
    QUARTERS,
    DemoDataset,
    make_credit_code,
    make_enterprise_name,
    random_stream,
    report_dates,
)
from transforms.schema import DAILY_COLUMNS, EXPLANATION, QUARTERLY_COLUMNS, Column


@dataclass(frozen=True)
class FileLayout:
    """How one county's office lays out its file (the spec's accepted variants)."""

    name: str
    container: str  # "csv", "xlsx" or "xls" (BIFF8, as WPS and Excel 2003 save it)
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
    total_row: str = ""  # a 合计 row "above" or "below" the enterprise rows
    # The parts of a printed statistical form (spreadsheets only):
    grouped_header: bool = False  # two header rows: group titles merged over sub-headers
    units_row: bool = False  # 人 个 支 % 万元 under the header
    column_number_row: bool = False  # 甲 乙 丙 … over descriptive columns, 1 2 3 … over figures
    serial_column: bool = False  # a leading 序号 column
    notes_line: bool = False  # a 注： line after the data
    signature: str = ""  # "cells": one field per cell; "text": all in one cell (WPS)
    instructions_sheet: bool = False  # 填表说明 as the second sheet
    # Header of the column where the county explains its warnings (说明 or 备注); daily only.
    explanation_header: str = ""


CSV_UTF8_ENGLISH = FileLayout("csv-utf8-en", "csv", "{code}")
XLSX_TITLED_CHINESE = FileLayout(
    "xlsx-titled-zh",
    "xlsx",
    "{code}_{county}_{report}",
    chinese_headers=True,
    date_style="excel",
    true_false=("是", "否"),
    title_rows=2,
    total_row="below",
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
    total_row="below",
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

# The printed forms, as offices fill them in: WPS saves .xls and puts the whole signature
# in one cell; the city's own template has every part of an NBS form; Excel 2003 offices
# keep their old .xls.
XLS_WPS_FORM = FileLayout(
    "xls-wps-form",
    "xls",
    "{code}_{county}_{report}",
    chinese_headers=True,
    date_style="excel",
    true_false=("是", "否"),
    title_rows=2,
    grouped_header=True,
    column_number_row=True,
    serial_column=True,
    signature="text",
    explanation_header="说明",
)
XLSX_CITY_FORM = FileLayout(
    "xlsx-city-form",
    "xlsx",
    "{code}_{county}_{report}",
    chinese_headers=True,
    date_style="excel",
    true_false=("是", "否"),
    title_rows=2,
    total_row="above",
    grouped_header=True,
    units_row=True,
    column_number_row=True,
    serial_column=True,
    notes_line=True,
    signature="cells",
    instructions_sheet=True,
    explanation_header="说明",
)
XLSX_WPS_GROUPED = FileLayout(
    "xlsx-wps-grouped",
    "xlsx",
    "{code}{county}{report}",
    chinese_headers=True,
    date_style="chinese",
    true_false=("是", "否"),
    title_rows=1,
    grouped_header=True,
    units_row=True,
    notes_line=True,
    signature="text",
    instructions_sheet=True,
    explanation_header="备注",
)
XLS_EXCEL2003 = FileLayout(
    "xls-excel2003",
    "xls",
    "{code}_{report}",
    chinese_headers=True,
    date_style="excel",
    true_false=("是", "否"),
    title_rows=2,
    total_row="below",
    column_number_row=True,
    serial_column=True,
    notes_line=True,
    signature="cells",
    explanation_header="备注",
)

# County i of the config uses layout i modulo this list: every variant appears.
LAYOUT_ROTATION = (
    CSV_UTF8_ENGLISH,
    XLSX_TITLED_CHINESE,
    CSV_GB18030_CHINESE,
    CSV_UTF8_BOM_CHINESE,
    CSV_UTF8_ENGLISH_REORDERED,
    XLSX_PLAIN_ENGLISH,
    XLS_WPS_FORM,
    XLSX_CITY_FORM,
    XLSX_WPS_GROUPED,
    XLS_EXCEL2003,
)
# One county moves from its old .xls to the city's form template during the demo: counties
# usually keep their format, but not forever.
FORMAT_SWITCH_DATE = date(2020, 3, 2)
FORMAT_SWITCH_LAYOUT = XLSX_CITY_FORM

# Counties upload in the last hours before the daily deadline.
DAILY_UPLOAD_HOURS = 4
# Quarterly files arrive on working hours of days 6–14 after the quarter ends.
QUARTERLY_UPLOAD_DAYS = (6, 14)
QUARTERLY_UPLOAD_HOURS = (time(9, 0), time(18, 0))

# Anomalies that change which files arrive, or when, rather than what they hold.
FILE_LEVEL_KINDS = {AnomalyKind.MISSING, AnomalyKind.LATE, AnomalyKind.TWO_FILES}
# A column no form of the spec has (备注 would be read as the county's explanation).
CONTACT_COLUMN = Column("contact", "联系人", "str", required=False)
CONTACTS = ("陈经理", "办公室刘主任", "安全员黄工")
# What a county writes in the explanation column of a row whose capacity is above 100;
# each enterprise keeps its reason from day to day.
OVER_CAPACITY_EXPLANATIONS = (
    "新增生产线，产能超设计值",
    "承接防疫物资订单，满负荷加班生产",
    "出口订单增加，两班倒生产",
)

# Who signs a county's forms: the office head, its statistics head and the clerk.
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗梁"
GIVEN_NAMES = ("伟", "芳", "娜", "敏", "静", "强", "磊", "军", "勇", "艳", "杰", "涛", "明",
               "建华", "志强", "海燕", "晓东", "丽华", "国平", "秀英")  # fmt: skip
# Shaoguan's area code: the demo's contacts and numbers are invented.
PHONE_AREA_CODE = "0751"


@dataclass(frozen=True)
class SubmissionFile:
    relative_path: PurePosixPath  # under the landing root
    layout: FileLayout
    columns: tuple[Column, ...]  # in the file's order
    table: pd.DataFrame  # canonical columns, one row per data row of the file
    title: str
    note: str
    arrives_at: datetime  # local, aware
    notes: str = ""  # the 注： line under the data
    signature: tuple[tuple[str, str], ...] = ()  # (label, value) pairs of the footer
    instructions: tuple[str, ...] = ()  # the lines of the 填表说明 sheet


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
    signatories = _signatories(dataset)
    deadline_text = f"{city.schedule.daily_deadline:%H:%M}"
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
            layout = layout_for(position, len(city.counties), day)
            table = states.loc[states["county_code"] == county.code].reset_index(drop=True)
            columns = DAILY_COLUMNS
            if layout.explanation_header:
                table[EXPLANATION.name] = _over_capacity_explanations(table)
                columns = (*columns, EXPLANATION)
            if kind is not None and kind not in FILE_LEVEL_KINDS:
                table, columns = _tamper(kind, table, columns, dataset, county, day, tampering)
            explained_in = layout.explanation_header or EXPLANATION.chinese
            submission = SubmissionFile(
                relative_path=PurePosixPath("daily", day.isoformat(), _file_name(layout, county)),
                layout=layout,
                columns=_ordered(columns, layout),
                table=table,
                title=f"{city.name}企业复工复产情况日报表（{county.name}）",
                note=(
                    f"填报单位：{county.name}工业和信息化局　　"
                    f"填报日期：{_chinese_date(day)}　　单位：家、人、%"
                ),
                arrives_at=arrives_at,
                notes=(
                    f"注：1.本表每日{deadline_text}前报送；2.“是否复工”填“是”或“否”，"
                    f"已复工的填写复工日期；3.产能恢复率超过100的，请在{explained_in}栏注明原因。"
                ),
                signature=(*signatories[county.code], ("报出日期", _chinese_date(day))),
                instructions=(
                    "填表说明",
                    f"一、本表由各县（市、区）工业和信息化局填报，每日{deadline_text}前报送"
                    f"{city.name}工业和信息化局。",
                    "二、填报范围为名录库中本县（市、区）的全部规模以上工业企业，一企一行，"
                    "不得漏报、重报。",
                    "三、统一社会信用代码填写18位代码；“是否复工”填“是”或“否”，"
                    "已复工的企业须填写复工日期。",
                    "四、在岗人数不得大于职工总数；产能恢复率(%)为当日产能占正常产能的百分比。",
                    "五、数据核实无误但超出常规的（如产能恢复率超过100、职工总数比上日变动过半），"
                    f"请在该企业所在行的“{explained_in}”栏写明原因。",
                    "六、表尾须填写单位负责人、统计负责人、填表人、联系电话和报出日期。",
                ),
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
    signatories = _signatories(dataset)
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
                    notes="注：金额单位为万元，保留一位小数；上年同期数按本期统计范围填报。",
                    signature=(*signatories[county.code], ("报出日期", _chinese_date(upload_day))),
                    instructions=(
                        "填表说明",
                        "一、本表由各县（市、区）工业和信息化局填报，于季度结束后"
                        f"{city.schedule.quarterly_deadline_days}日内报送{city.name}工业和信息化局。",
                        "二、填报范围为名录库中本县（市、区）的全部规模以上工业企业，一企一行。",
                        "三、行业代码按《国民经济行业分类》（GB/T 4754-2017）填写两位大类代码。",
                        "四、金额单位为万元；上年同期数按本期统计范围填报，增加值不得大于总产值。",
                        "五、表尾须填写单位负责人、统计负责人、填表人、联系电话和报出日期。",
                    ),
                )
            )
    return files


def _signatories(dataset: DemoDataset) -> dict[str, tuple[tuple[str, str], ...]]:
    """Per county, who signs its forms and the office telephone; the same all demo long."""
    rng = random_stream(dataset.seed, "signatories")
    signatories = {}
    for county in dataset.city.counties:
        unit_head, statistics_head, filled_by = (
            str(rng.choice(list(SURNAMES))) + str(rng.choice(GIVEN_NAMES)) for _ in range(3)
        )
        number = "".join(str(digit) for digit in rng.integers(0, 10, size=6))
        signatories[county.code] = (
            ("单位负责人", unit_head),
            ("统计负责人", statistics_head),
            ("填表人", filled_by),
            ("联系电话", f"{PHONE_AREA_CODE}-8{number}"),
        )
    return signatories


def _chinese_date(day: date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def _over_capacity_explanations(table: pd.DataFrame) -> np.ndarray:
    reasons = np.array(
        [
            OVER_CAPACITY_EXPLANATIONS[
                zlib.crc32(enterprise.encode()) % len(OVER_CAPACITY_EXPLANATIONS)
            ]
            for enterprise in table["enterprise_id"]
        ],
        dtype=object,
    )
    return np.where(table["capacity_pct"].to_numpy(dtype=float) > 100, reasons, None)


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
        contacts = rng.choice(list(CONTACTS), size=len(table))
        table[CONTACT_COLUMN.name] = np.where(rng.random(len(table)) < 0.2, contacts, None)
        columns = (*columns, CONTACT_COLUMN)
    elif kind is AnomalyKind.CAPACITY_OVER_100:
        row = rng.choice(candidates)
        table.loc[row, "capacity_pct"] = OVER_CAPACITY_PCT
        # The planned warning stays one the county has not explained.
        if EXPLANATION.name in table:
            table.loc[row, EXPLANATION.name] = None
    elif kind is AnomalyKind.EXPLAINED_STAFF_JUMP:
        row = rng.choice(candidates)
        hired = max(
            STAFF_JUMP_MIN_PERSONS, round(table.loc[row, "employees_total"] * STAFF_JUMP_SHARE)
        )
        table.loc[row, "employees_total"] += hired
        if EXPLANATION.name not in table:
            table[EXPLANATION.name] = None
            columns = (*columns, EXPLANATION)
        table.loc[row, EXPLANATION.name] = f"新招员工{hired}人，新增生产线投产"
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
