"""Small hand-made inputs for the report renderers: a three-county city on 2020-03-17 where
东区 is accepted but late, 西区 rejected and 北区 missing, and a quarter to match."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pandas as pd

from transforms.check.outcomes import CountyOutcome, PeriodOutcomes
from transforms.findings import Finding
from transforms.ingest.readers import Signature
from transforms.merge.daily import COUNTY_DAILY_COLUMNS
from transforms.merge.quarterly import COUNTY_QUARTERLY_COLUMNS
from transforms.publish.briefing import Briefing
from transforms.publish.report_excel import Compiler

CITY_NAME = "示例市"
EAST, WEST, NORTH, CITY = "990102", "990103", "990104", "990100"
NAMES = {EAST: "东区", WEST: "西区", NORTH: "北区", CITY: CITY_NAME}
DAY = date(2020, 3, 17)
FORMULA = '=HYPERLINK("http://x","y")'
MARKUP = "<script>alert(1)</script>缺口罩"
# A county's explanation that would reorder the text around it (a bidi override), ring a
# bell, break a line, and turn into a link and an image in markdown.
HOSTILE_EXPLANATION = (
    "新线\u202e投产\u202c\x07\n[详情](http://x.example) ![图](http://x.example/a.png)"
)

N = None
# status, in scope, reported, resumed, today, key in scope, key resumed, staff, on site,
# capacity %, masks, thermometers, difficulties
DAILY_FIGURES = {
    EAST: ("accepted", 40, 40, 30, 2, 4, 4, 1200, 900, 80.0, 1500, 3, 2),
    WEST: ("rejected", 20, N, N, N, 2, N, N, N, N, N, N, N),
    NORTH: ("missing", 10, N, N, N, 1, N, N, N, N, N, N, N),
    CITY: ("partial", 70, 40, 30, 2, 7, 4, 1200, 900, 80.0, 1500, 3, 2),
}
COUNT_NAMES = [
    "enterprises_in_scope",
    "enterprises_reported",
    "enterprises_resumed",
    "resumed_today",
    "key_in_scope",
    "key_resumed",
    "employees_total",
    "employees_on_site",
]


def daily_row(code: str, day: date, figures: tuple, revision: int = 1) -> dict:
    status, *counts, capacity, masks, thermometers, difficulties = figures
    row = {
        "report_date": pd.Timestamp(day),
        "county_code": code,
        "county_name": NAMES[code],
        "status": status,
        "revision": revision,
        **dict(zip(COUNT_NAMES, counts, strict=True)),
        "capacity_pct": capacity,
        "mask_shortage": masks,
        "thermometer_shortage": thermometers,
        "difficulties_reported": difficulties,
    }
    resumed, in_scope = row["enterprises_resumed"], row["enterprises_in_scope"]
    row["resumption_rate"] = None if resumed is None else resumed / in_scope
    total, on_site = row["employees_total"], row["employees_on_site"]
    row["on_site_rate"] = None if total is None else on_site / total
    return row


def _typed(rows: list[dict]) -> pd.DataFrame:
    frame = pd.DataFrame(rows)[[*COUNTY_DAILY_COLUMNS[:4], "revision", *COUNTY_DAILY_COLUMNS[4:]]]
    for column in frame.columns[5:]:
        dtype = "Float64" if column.endswith(("_rate", "_pct")) else "Int64"
        frame[column] = pd.array(frame[column], dtype=dtype)
    frame["report_date"] = frame["report_date"].astype("datetime64[s]")
    return frame


def daily_table(revision: int = 1) -> pd.DataFrame:
    return _typed([daily_row(code, DAY, DAILY_FIGURES[code], revision) for code in DAILY_FIGURES])


def daily_history(days: int = 5) -> pd.DataFrame:
    """`days` dates up to DAY: every county accepted and rising, except DAY itself."""
    rows = []
    for back in range(days - 1, 0, -1):
        day = DAY - timedelta(days=back)
        share = (days - back) / days
        for code, in_scope in ((EAST, 40), (WEST, 20), (NORTH, 10)):
            counts = (in_scope, in_scope, round(in_scope * share), 1, 1, 1, 100, round(80 * share))
            rows.append(daily_row(code, day, ("accepted", *counts, 70.0, 10, 1, 1)))
        city_counts = (70, 70, 49, 3, 3, 3, 300, 200)
        rows.append(daily_row(CITY, day, ("accepted", *city_counts, 70.0, 30, 3, 3)))
    history = _typed(rows)
    return pd.concat([history, daily_table()], ignore_index=True)


# The signature block at the foot of 东区's form: the person the city office calls.
EAST_SIGNATURE = {
    "unit_head": "王局长",
    "statistics_head": "李科长",
    "reviewer": None,
    "filled_by": "张小红",
    "contact_phone": "0751-8888123",
    "reported_on": "2020年3月17日",
}


def outcomes() -> PeriodOutcomes:
    def outcome(code, status, file_name, on_time, findings=(), signature=None):
        return CountyOutcome(
            county_code=code,
            county_name=NAMES[code],
            outcome=status,
            file_name=file_name,
            content_sha256=None if file_name is None else "ab" * 32,
            arrived_at=None if file_name is None else "2020-03-17T13:30:00+00:00",
            on_time=on_time,
            findings=tuple(findings),
            signature=None if signature is None else Signature(**signature),
        )

    over_total = Finding.about_rows(
        "employees_on_site_not_above_total",
        "error",
        "在岗人数大于职工总数",
        [2],
        ["在岗人数 260，职工总数 242"],
        file_name="990103.csv",
    )
    stray = Finding(
        "file_name_not_a_county",
        "error",
        "文件未处理：990199是已撤销的区划代码，不是示例市的县（市、区）",
        file_name="990199_retired.csv",
    )
    explained = Finding.about_rows(
        "capacity_pct_over_100",
        "warning",
        "产能恢复率超过100%",
        [5],
        ["120"],
        "capacity_pct",
        "990102.csv",
    ).explained_by([HOSTILE_EXPLANATION])
    counties = (
        outcome(EAST, "accepted", "990102.csv", False, [explained], EAST_SIGNATURE),
        outcome(WEST, "rejected", "990103.csv", True, [over_total]),
        outcome(NORTH, "missing", None, None),
    )
    return PeriodOutcomes(counties, stray=(stray,))


def difficulties() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "county_code": [EAST, EAST],
            "county_name": ["东区", "东区"],
            "enterprise_id": ["91990102MA0000001X", "91990102MA0000002X"],
            "enterprise_name": ["东区钢铁有限公司", "@东区陶瓷厂"],
            "mask_shortage": pd.array([1500, 0], dtype="Int64"),
            "thermometer_shortage": pd.array([0, 3], dtype="Int64"),
            "difficulties": [FORMULA, MARKUP],
        }
    )


def completeness_log(history: pd.DataFrame, table_outcomes: PeriodOutcomes) -> pd.DataFrame:
    """The daily submissions log behind `history`: accepted before DAY, DAY as `outcomes`."""
    before = history["report_date"] < pd.Timestamp(DAY)
    earlier = history[before & (history["county_code"] != CITY)]
    rows = [
        {"period": d.date().isoformat(), "county_code": c, "outcome": "accepted", "on_time": True}
        for d, c in zip(earlier["report_date"], earlier["county_code"], strict=True)
    ]
    rows += [
        {"period": DAY.isoformat(), "county_code": o.county_code, "outcome": o.outcome}
        | {"on_time": o.on_time}
        for o in table_outcomes.counties
    ]
    return pd.DataFrame(rows)


# status, reported, output, prior, value added, prior, then the year-to-date four (or None)
QUARTERLY_FIGURES = {
    EAST: ("accepted", 2, 190.0, 180.0, 47.0, 45.0, (340.5, 349.5, 87.0, 87.0)),
    WEST: ("accepted", 2, 232.0, 211.0, 69.0, 63.75, None),
    NORTH: ("rejected", N, N, N, N, N, None),
    CITY: ("partial", 4, 422.0, 391.0, 116.0, 108.75, (340.5, 349.5, 87.0, 87.0)),
}


def quarterly_table(quarter: str = "2020Q2") -> pd.DataFrame:
    def growth(current, prior):
        return None if current is None else (current / prior - 1) * 100

    rows = []
    for code, (status, reported, out, out_p, va, va_p, ytd) in QUARTERLY_FIGURES.items():
        out_y, out_yp, va_y, va_yp = ytd or (N, N, N, N)
        rows.append(
            {
                "report_quarter": quarter,
                "county_code": code,
                "county_name": NAMES[code],
                "status": status,
                "revision": 1,
                "enterprises_reported": reported,
                "output_value": out,
                "output_value_prior": out_p,
                "output_yoy_pct": growth(out, out_p),
                "value_added": va,
                "value_added_prior": va_p,
                "value_added_yoy_pct": growth(va, va_p),
                "output_value_ytd": out_y,
                "output_value_ytd_prior": out_yp,
                "output_ytd_yoy_pct": growth(out_y, out_yp),
                "value_added_ytd": va_y,
                "value_added_ytd_prior": va_yp,
                "value_added_ytd_yoy_pct": growth(va_y, va_yp),
            }
        )
    frame = pd.DataFrame(rows)[
        [*COUNTY_QUARTERLY_COLUMNS[:4], "revision", *COUNTY_QUARTERLY_COLUMNS[4:]]
    ]
    for column in frame.columns[5:]:
        dtype = "Int64" if column == "enterprises_reported" else "Float64"
        frame[column] = pd.array(frame[column], dtype=dtype)
    return frame


# What the briefing of DAY says (its wording is tested in test_briefing.py).
BRIEFING = Briefing(("截至3月17日，全市70家规上工业企业已复工30家，复工率42.9%", "未报送：北区"))


def ledger() -> pd.DataFrame:
    """Two key enterprises of DAY: 西区's not reported (its file was rejected), 东区's resumed."""
    return pd.DataFrame(
        {
            "report_date": pd.Series([pd.Timestamp(DAY)] * 2, dtype="datetime64[s]"),
            "county_code": [WEST, EAST],
            "county_name": ["西区", "东区"],
            "enterprise_id": ["91990103MA0000009X", "91990102MA0000001X"],
            "enterprise_name": ["西区化工厂", "东区钢铁有限公司"],
            "grid_officer": pd.array([None, "王网格"], dtype="str"),
            "grid_officer_phone": pd.array([None, "13800000001"], dtype="str"),
            "resumed": pd.array([None, True], dtype="boolean"),
            "resumed_on": pd.Series([None, pd.Timestamp("2020-03-02")], dtype="datetime64[s]"),
            "employees_total": pd.array([None, 1200], dtype="Int64"),
            "employees_on_site": pd.array([None, 900], dtype="Int64"),
            "capacity_pct": pd.array([None, 80.0], dtype="Float64"),
            "difficulties": pd.array([None, MARKUP], dtype="str"),
            "last_reported_on": pd.Series(
                [pd.Timestamp("2020-03-13"), pd.Timestamp(DAY)], dtype="datetime64[s]"
            ),
            "days_since_reported": pd.array([4, 0], dtype="Int64"),
        }
    )


COMPILER = Compiler(
    "示例市工业和信息化局", DAY, datetime(2020, 3, 17, 23, 30, tzinfo=ZoneInfo("Asia/Shanghai"))
)
