"""Seeded synthetic cities for the benchmarks: a city TOML, a registry and one date's daily CSV
per county, every value valid so that the real pipeline accepts every county.

Generation is vectorised (numpy arrays, one string column at a time), so the national scale
(2,900 counties, about half a million enterprises) is written in seconds. The check
character of each credit code is computed with numpy and cross-checked against
`stdnum.cn.uscc.calc_check_digit` on a sample: calling stdnum once per code would take
longer than the rest of the generation together.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
from stdnum.cn import uscc

from transforms.schema import DAILY_COLUMNS, REGISTRY_COLUMNS, column_names

DEFAULT_SEED = 2020
REPORT_DATE = date(2020, 3, 2)
TIMEZONE = "Asia/Shanghai"
# Not of the form the county codes take (they never end in 00), so never one of them.
CITY_CODE = "990000"
CITY_NAME = "基准市"
IN_SCOPE_FROM = "2019-01-01"
# Every file arrives at 18:00 local time, before the default 20:00 deadline.
ARRIVAL = time(18, 0)
USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_WEIGHTS = np.array((1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28))
INDUSTRIES = np.array(["09", "13", "17", "26", "30", "31", "32", "34", "39", "44"])
DIFFICULTIES = np.array(["物流运输受阻", "员工返岗难", "原材料供应不足", "资金周转困难"])
CROSS_CHECKED_CODES = 1000


@dataclass(frozen=True)
class Scale:
    name: str
    counties: int
    enterprises_per_county: int  # the mean; each county gets within ±20 % of it
    # Check chunks timed when a date is too slow to check every chunk; the rest
    # are then extrapolated (see bench.bench_daily). None: always check every chunk.
    sample_chunks: int | None = None


SCALES = {
    "city": Scale("city", 10, 50),
    "province": Scale("province", 120, 500),
    "national": Scale("national", 2_900, 170, sample_chunks=5),
}


@dataclass(frozen=True)
class SyntheticCity:
    scale: Scale
    root: Path
    city_toml: Path
    landing: Path
    report_dates: tuple[date, ...]
    county_codes: tuple[str, ...]
    enterprises: int

    @property
    def report_date(self) -> date:
        return self.report_dates[0]


def county_codes(count: int) -> list[str]:
    """Six-digit codes, 90 to a prefecture: 110101 … 110190, 110201 … (never ending in 00)."""
    return [f"{110000 + (n // 90 + 1) * 100 + n % 90 + 1}" for n in range(count)]


def credit_codes(counties: np.ndarray, serials: np.ndarray) -> np.ndarray:
    """GB 32100 codes 91<county>MA<serial, 7 digits><check>: a company registered with the
    market regulator, unique by serial."""
    bodies = np.char.add(np.char.add("91", counties), "MA")
    bodies = np.char.add(bodies, np.char.zfill(serials.astype(str), 7))
    # Each character's index in the alphabet: digits are themselves, then A=10, M=21.
    codes = np.frombuffer(bodies.astype("S17").tobytes(), dtype=np.uint8).reshape(-1, 17)
    lookup = np.zeros(128, dtype=np.int64)
    for index, char in enumerate(USCC_ALPHABET):
        lookup[ord(char)] = index
    total = lookup[codes] @ USCC_WEIGHTS
    check = np.array(list(USCC_ALPHABET))[(31 - total) % 31]
    full = np.char.add(bodies, check)
    step = max(1, len(full) // CROSS_CHECKED_CODES)
    for code in full[::step]:
        assert code[-1] == uscc.calc_check_digit(code[:17]), code
    return full


def generate(scale: Scale, root: Path, seed: int = DEFAULT_SEED, dates: int = 1) -> SyntheticCity:
    """Write the city TOML, landing/registry/enterprises.csv and landing/daily/<date>/<county>.csv
    for `dates` consecutive dates from REPORT_DATE under `root`; the same seed writes the same
    bytes."""
    rng = np.random.default_rng([seed, scale.counties, scale.enterprises_per_county])
    codes = county_codes(scale.counties)
    low, high = int(scale.enterprises_per_county * 0.8), int(scale.enterprises_per_county * 1.2)
    sizes = rng.integers(max(low, 1), max(high, 1) + 1, size=scale.counties)
    county = np.repeat(np.array(codes), sizes)
    count = len(county)
    ids = credit_codes(county, np.arange(1, count + 1))
    serials = np.char.zfill(np.arange(1, count + 1).astype(str), 7)
    names = np.char.add(np.char.add("基准", serials), "有限公司")

    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    landing = root / "landing"
    city_toml = root / "city.toml"
    city_toml.write_text(_city_toml(codes), encoding="utf-8")
    registry = pd.DataFrame(
        {
            "enterprise_id": ids,
            "enterprise_name": names,
            "county_code": county,
            "key_enterprise": np.where(rng.random(count) < 0.1, "是", "否"),
            "industry_code": rng.choice(INDUSTRIES, size=count),
            "in_scope_from": IN_SCOPE_FROM,
            "in_scope_to": "",
            "grid_officer": "",
            "grid_officer_phone": "",
        }
    )
    assert list(registry.columns) == column_names(REGISTRY_COLUMNS)
    _write(landing / "registry" / "enterprises.csv", _csv_text(registry), REPORT_DATE)

    days = tuple(REPORT_DATE + timedelta(days=n) for n in range(dates))
    fixed = _enterprise_states(rng, count)
    header = ",".join(column_names(DAILY_COLUMNS)) + "\n"
    ends = np.cumsum(sizes)
    for day in days:
        lines = _csv_lines(_daily_rows(rng, registry, fixed, day))
        folder = landing / "daily" / day.isoformat()
        for code, start, end in zip(codes, ends - sizes, ends, strict=True):
            _write(folder / f"{code}.csv", header + "".join(lines[start:end]), day)
    return SyntheticCity(scale, root, city_toml, landing, days, tuple(codes), count)


def _enterprise_states(rng: np.random.Generator, count: int) -> dict[str, np.ndarray]:
    """What stays the same from date to date: whether and since when an enterprise has resumed
    (before the first date), and its workforce (so no day-over-day jump is flagged)."""
    resumed = rng.random(count) < 0.85
    days_ago = rng.integers(0, 30, size=count)
    resumed_on = (np.datetime64(REPORT_DATE) - days_ago.astype("timedelta64[D]")).astype(str)
    return {
        "resumed": resumed,
        "resumed_on": np.where(resumed, resumed_on, ""),
        "employees_total": rng.integers(20, 2_000, size=count),
    }


def _daily_rows(
    rng: np.random.Generator, registry: pd.DataFrame, fixed: dict[str, np.ndarray], day: date
) -> pd.DataFrame:
    """One row per enterprise, within every rule of the daily suite and the context rules."""
    count = len(registry)
    resumed, total = fixed["resumed"], fixed["employees_total"]
    on_site = np.where(resumed, (total * rng.uniform(0.3, 1.0, size=count)).astype(int), 0)
    capacity = np.where(resumed, np.round(rng.uniform(20, 100, size=count), 1), 0.0)
    difficulty = np.where(rng.random(count) < 0.1, rng.choice(DIFFICULTIES, size=count), "")
    frame = pd.DataFrame(
        {
            "report_date": day.isoformat(),
            "county_code": registry["county_code"],
            "enterprise_id": registry["enterprise_id"],
            "enterprise_name": registry["enterprise_name"],
            "resumed": np.where(resumed, "是", "否"),
            "resumed_on": fixed["resumed_on"],
            "employees_total": total.astype(str),
            "employees_on_site": on_site.astype(str),
            "capacity_pct": capacity.astype(str),
            "mask_shortage": rng.integers(0, 500, size=count).astype(str),
            "thermometer_shortage": rng.integers(0, 10, size=count).astype(str),
            "difficulties": difficulty,
        }
    )
    assert list(frame.columns) == column_names(DAILY_COLUMNS)
    return frame


def _csv_lines(frame: pd.DataFrame) -> np.ndarray:
    """Each row as one CSV line ("…\\n"): no value holds a comma, a quote or a line break."""
    text = frame.astype(str)
    line = text.iloc[:, 0]
    for column in text.columns[1:]:
        line = line + "," + text[column]
    return (line + "\n").to_numpy()


def _csv_text(frame: pd.DataFrame) -> str:
    return ",".join(frame.columns) + "\n" + "".join(_csv_lines(frame))


def _city_toml(codes: list[str]) -> str:
    counties = "".join(
        f'\n[[counties]]\ncode = "{code}"\nname = "第{n}县"\n' for n, code in enumerate(codes, 1)
    )
    return f'code = "{CITY_CODE}"\nname = "{CITY_NAME}"\ntimezone = "{TIMEZONE}"\n{counties}'


def _write(path: Path, text: str, day: date) -> None:
    """Write `text` (UTF-8) with the modification time the pipeline takes as its arrival."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    arrival = datetime.combine(day, ARRIVAL, tzinfo=ZoneInfo(TIMEZONE))
    if path.parent.name == "registry":  # exported well before the first report
        arrival -= timedelta(days=30)
    os.utime(path, (arrival.timestamp(), arrival.timestamp()))
