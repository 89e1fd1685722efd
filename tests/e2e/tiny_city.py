"""A made-up three-county city and a landing zone the e2e tests write day by day."""

from __future__ import annotations

import csv
import io
import os
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from openpyxl import Workbook
from stdnum.cn import uscc

from tests.conftest import use_warehouse
from transforms.schema import DAILY_COLUMNS

TZ = ZoneInfo("Asia/Shanghai")
CITY_TOML = """
code = "990100"
name = "示例市"
timezone = "Asia/Shanghai"
retired_codes = ["990199"]

[schedule]
nightly_run = "22:00"
daily_deadline = "20:00"
missing_cutoff = "23:30"
resubmission_lookback_days = 7

[[counties]]
code = "990102"
name = "东区"

[[counties]]
code = "990103"
name = "西区"

[[counties]]
code = "990104"
name = "北区"
"""
EAST, WEST, NORTH, CITY = "990102", "990103", "990104", "990100"


def credit_code(county: str, serial: int) -> str:
    body = f"91{county}MA{serial:07d}"
    return body + uscc.calc_check_digit(body)


E1, E2 = credit_code(EAST, 1), credit_code(EAST, 2)
W1, W2 = credit_code(WEST, 1), credit_code(WEST, 2)
N1 = credit_code(NORTH, 1)

REGISTRY = [
    # id, name, county, key, industry, in scope from
    (E1, "东区钢铁有限公司", EAST, "是", "31", "2019-01-01"),
    (E2, "东区陶瓷厂", EAST, "否", "30", "2019-01-01"),
    (W1, "西区电力有限公司", WEST, "是", "44", "2019-01-01"),
    (W2, "西区木业有限公司", WEST, "否", "20", "2019-01-01"),
    (N1, "北区矿业有限公司", NORTH, "否", "09", "2019-01-01"),
]
NAMES = {row[0]: row[1] for row in REGISTRY}
DAILY_HEADER = [c.name for c in DAILY_COLUMNS]


class Landing:
    def __init__(self, root: Path):
        self.root = root
        registry = root / "registry" / "enterprises.csv"
        registry.parent.mkdir(parents=True, exist_ok=True)
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(
            [
                "enterprise_id",
                "enterprise_name",
                "county_code",
                "key_enterprise",
                "industry_code",
                "in_scope_from",
                "in_scope_to",
            ]
        )
        writer.writerows([*row, ""] for row in REGISTRY)
        registry.write_text(buffer.getvalue(), encoding="utf-8")

    def daily_csv(self, day: str, county: str, rows, arrived: str = "18:00", name=None) -> Path:
        """rows: (id, resumed, resumed_on, total, on_site, capacity, masks, thermometers, text)"""
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(DAILY_HEADER)
        for eid, resumed, on, total, site, cap, masks, therm, text in rows:
            writer.writerow(
                [
                    day,
                    county,
                    eid,
                    NAMES[eid],
                    "是" if resumed else "否",
                    on or "",
                    total,
                    site,
                    cap,
                    masks,
                    therm,
                    text or "",
                ]
            )
        return self._land(day, name or f"{county}.csv", buffer.getvalue().encode("utf-8"), arrived)

    def daily_xlsx(self, day: str, county: str, rows, arrived: str = "18:00") -> Path:
        book = Workbook()
        sheet = book.active
        sheet.append([f"示例市企业复工复产情况日报表（{county}）"])
        sheet.append(
            [
                "填报日期",
                "区县代码",
                "统一社会信用代码",
                "企业名称",
                "是否复工",
                "复工日期",
                "职工总数",
                "在岗人数",
                "产能恢复率(%)",
                "口罩缺口(个)",
                "测温枪缺口(支)",
                "存在困难",
            ]
        )
        for eid, resumed, on, total, site, cap, masks, therm, text in rows:
            sheet.append(
                [
                    date.fromisoformat(day),
                    county,
                    eid,
                    NAMES[eid],
                    "是" if resumed else "否",
                    date.fromisoformat(on) if on else None,
                    total,
                    site,
                    cap,
                    masks,
                    therm,
                    text,
                ]
            )
        sheet.append(
            [None, None, None, "合计", None, None, sum(r[3] for r in rows), sum(r[4] for r in rows)]
        )
        buffer = io.BytesIO()
        book.save(buffer)
        return self._land(day, f"{county}_日报.xlsx", buffer.getvalue(), arrived)

    def stray(self, day: str, name: str) -> Path:
        return self._land(day, name, b"report_date\n", "18:00")

    def _land(self, day: str, name: str, content: bytes, arrived: str) -> Path:
        path = self.root / "daily" / day / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)
        hour, minute = map(int, arrived.split(":"))
        stamp = (
            datetime.combine(date.fromisoformat(day), datetime.min.time(), TZ)
            .replace(hour=hour, minute=minute)
            .timestamp()
        )
        os.utime(path, (stamp, stamp))
        return path


def use_tiny_city(root: Path, monkeypatch) -> Landing:
    """Point the city config and every CITYSTATS_* folder at the made-up city under `root`."""
    config = root / "city.toml"
    config.write_text(CITY_TOML, encoding="utf-8")
    monkeypatch.setenv("CITYSTATS_CITY_CONFIG", str(config))
    monkeypatch.setenv("CITYSTATS_LANDING", str(root / "landing"))
    monkeypatch.setenv("CITYSTATS_PUBLISH", str(root / "published"))
    monkeypatch.setenv("CITYSTATS_STATE", str(root / "state"))
    use_warehouse(monkeypatch, f"sqlite:///{root / 'warehouse.sqlite'}")
    return Landing(root / "landing")
