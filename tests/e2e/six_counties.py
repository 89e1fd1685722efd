"""The tiny city grown to six counties, each with one key and one other enterprise, for the
e2e dates on which every county sends something different."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from tests.e2e.tiny_city import CITY_TOML, Landing, credit_code, use_tiny_city
from transforms.schema import DAILY_COLUMNS

COUNTIES = {
    "990102": "东区",
    "990103": "西区",
    "990104": "北区",
    "990105": "南区",
    "990106": "中区",
    "990107": "新区",
}
EXTRA_COUNTIES = "".join(
    f'\n[[counties]]\ncode = "{code}"\nname = "{name}"\n'
    for code, name in list(COUNTIES.items())[3:]
)
# Per county: (id, name, key enterprise) of its two in-scope enterprises.
ENTERPRISES = {
    county: [
        (credit_code(county, 1), f"{name}第一工业有限公司", True),
        (credit_code(county, 2), f"{name}第二制造厂", False),
    ]
    for county, name in COUNTIES.items()
}
NAMES = {eid: name for rows in ENTERPRISES.values() for eid, name, _ in rows}

ENGLISH_HEADER = [c.name for c in DAILY_COLUMNS]
CHINESE_HEADER = [c.chinese for c in DAILY_COLUMNS]


def use_six_counties(root: Path, monkeypatch) -> Landing:
    """The tiny city's environment, with six counties and their registry."""
    landing = use_tiny_city(root, monkeypatch)
    (root / "city.toml").write_text(CITY_TOML + EXTRA_COUNTIES, encoding="utf-8")
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
    for county, enterprises in ENTERPRISES.items():
        for eid, name, key in enterprises:
            writer.writerow([eid, name, county, "是" if key else "否", "31", "2019-01-01", ""])
    (root / "landing" / "registry" / "enterprises.csv").write_text(
        buffer.getvalue(), encoding="utf-8"
    )
    return landing


def cells(day: str, county: str, row) -> list:
    """One data row as the contract's columns; row: (id, resumed, resumed_on, total, on_site,
    capacity, masks, thermometers, difficulties)."""
    eid, resumed, on, total, site, cap, masks, therm, text = row
    return [
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


def plain_csv(day: str, county: str, rows) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(ENGLISH_HEADER)
    writer.writerows(cells(day, county, row) for row in rows)
    return buffer.getvalue().encode("utf-8")
