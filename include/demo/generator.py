"""Pure generation of the demo data set: the registry, every enterprise's daily state and the
quarterly values, calibrated to the figures the city published in 2020.

Nothing here touches the file system. The calibration targets below are the demo's
definition; everything city-specific (counties, names) comes from the city config, so
another configured city gets a demo of the same shape.
"""

from __future__ import annotations

import re
import zlib
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

import numpy as np
import pandas as pd
from stdnum.cn import uscc

from include.config import CityConfig, County
from include.demo.anomalies import DemoAnomaly, plan_anomalies
from transforms.schema import DAILY_COLUMNS, QUARTERLY_COLUMNS, REGISTRY_COLUMNS, Column

DEFAULT_SEED = 2020

FIRST_REPORT_DATE = date(2020, 2, 3)
LAST_REPORT_DATE = date(2020, 3, 31)
QUARTERS = ("2020Q1", "2020Q2")
# In-scope enterprises stay in scope at least through the last quarter of the demo.
IN_SCOPE_THROUGH = date(2020, 6, 30)

ENTERPRISES_IN_SCOPE = 473
KEY_ENTERPRISES = 50
LAST_KEY_RESUMPTION = date(2020, 3, 17)
LAST_RESUMPTION = date(2020, 3, 26)


@dataclass(frozen=True)
class QuarterTargets:
    """City totals of one quarter, in 万元; Q1 + Q2 give the published H1 figures."""

    output_value: Decimal
    value_added: Decimal
    output_value_prior: Decimal
    value_added_prior: Decimal


# H1 output 5,646,200.0 (−2.30 % on 5,779,100.0) and value added 1,480,500.0 (−0.70 % on
# 1,490,900.0): the priors sit mid-way in the rounding interval of the published −2.3 / −0.7.
# Q1 falls about 15 % (epidemic), Q2 recovers about 9–11 %.
QUARTER_TARGETS = {
    "2020Q1": QuarterTargets(
        output_value=Decimal("2346287.4"),
        value_added=Decimal("614463.7"),
        output_value_prior=Decimal("2760318.9"),
        value_added_prior=Decimal("711248.2"),
    ),
    "2020Q2": QuarterTargets(
        output_value=Decimal("3299912.6"),
        value_added=Decimal("866036.3"),
        output_value_prior=Decimal("3018781.1"),
        value_added_prior=Decimal("779651.8"),
    ),
}

# Share of enterprises resumed (cumulative, by resumed_on), interpolated day by day between
# anchors. Key enterprises lead; Guangdong allowed general resumption from 10 February;
# over 80 % by 21 February and about 90 % by 26 February (public figures of the time).
# The first anchor is before the demo starts: continuous-process plants never stopped.
KEY_RESUMPTION_CURVE = (
    (date(2020, 1, 28), 0.0),
    (date(2020, 2, 3), 0.12),
    (date(2020, 2, 9), 0.26),
    (date(2020, 2, 10), 0.50),
    (date(2020, 2, 14), 0.72),
    (date(2020, 2, 21), 0.90),
    (date(2020, 2, 26), 0.96),
    (date(2020, 3, 9), 0.98),
    (date(2020, 3, 16), 0.98),
    (LAST_KEY_RESUMPTION, 1.0),
)
OTHER_RESUMPTION_CURVE = (
    (date(2020, 1, 28), 0.0),
    (date(2020, 2, 3), 0.03),
    (date(2020, 2, 9), 0.10),
    (date(2020, 2, 10), 0.28),
    (date(2020, 2, 14), 0.50),
    (date(2020, 2, 17), 0.65),
    (date(2020, 2, 21), 0.80),
    (date(2020, 2, 26), 0.895),
    (date(2020, 3, 2), 0.94),
    (date(2020, 3, 9), 0.975),
    (date(2020, 3, 16), 0.99),
    (date(2020, 3, 25), 0.997),
    (LAST_RESUMPTION, 1.0),
)

# Registry rows outside the 2020 scope, so the in-scope rule matters: dropped out at the
# 2019 annual review, or entering the scope mid-2020. They never appear in submissions.
LEFT_SCOPE_BEFORE_2020 = 5
JOINING_SCOPE_JULY_2020 = 3

# Urban districts carry most of the industry, then county-level cities, then counties.
COUNTY_KIND_WEIGHTS = {"区": 3.0, "市": 1.5, "县": 1.2}
# Each later county of the same kind in the config weighs 10 % less, so sizes differ.
WEIGHT_DECLINE_WITHIN_KIND = 0.1

# GB/T 4754-2017 divisions of the city's industry (metals, power, mining, chemicals,
# building materials, machinery, light industry) with their relative frequency.
INDUSTRY_WEIGHTS = {
    "06": 1, "08": 4, "09": 8, "10": 3, "13": 5, "14": 3, "15": 2, "16": 0.3, "17": 5, "18": 2,
    "20": 5, "22": 2, "26": 8, "27": 4, "29": 2, "30": 10, "31": 9, "32": 9, "33": 4, "34": 5,
    "35": 4, "38": 3, "39": 3, "44": 10, "45": 1, "46": 2,
}  # fmt: skip

# How an enterprise of the division ends its name.
INDUSTRY_NAME_ENDINGS = {
    "06": ("煤业有限公司", "煤矿"),
    "08": ("铁矿有限公司", "矿业有限公司"),
    "09": ("钨业有限公司", "有色矿业有限公司", "铅锌矿"),
    "10": ("石材有限公司", "石英砂矿业有限公司"),
    "13": ("米业有限公司", "饲料有限公司", "农产品加工有限公司"),
    "14": ("食品有限公司", "食品厂"),
    "15": ("酒业有限公司", "茶业有限公司"),
    "16": ("卷烟厂",),
    "17": ("纺织有限公司", "织造有限公司"),
    "18": ("服饰有限公司", "制衣厂"),
    "20": ("木业有限公司", "竹木制品有限公司"),
    "22": ("纸业有限公司", "造纸厂"),
    "26": ("化工有限公司", "电化厂", "新材料有限公司"),
    "27": ("制药有限公司", "药业有限公司"),
    "29": ("塑胶制品有限公司", "橡胶有限公司"),
    "30": ("水泥有限公司", "建材有限公司", "陶瓷有限公司", "水泥厂"),
    "31": ("钢铁有限公司", "特钢有限公司", "铁合金厂"),
    "32": ("冶炼厂", "有色金属有限公司", "铝业有限公司", "锌业有限公司"),
    "33": ("五金制品有限公司", "金属制品有限公司"),
    "34": ("机械有限公司", "重工有限公司"),
    "35": ("矿山机械有限公司", "机械设备有限公司"),
    "38": ("电器有限公司", "电气有限公司"),
    "39": ("电子有限公司", "电子科技有限公司"),
    "44": ("发电有限公司", "水电有限公司", "电力有限公司"),
    "45": ("燃气有限公司",),
    "46": ("水务有限公司", "供水有限公司"),
}
BRAND_CHARACTERS = (
    "华宏鑫盛达丰源金瑞泰恒创德永兴隆祥昌凯富广嘉联力明荣顺天通伟信正众卓宝诚东飞海汇佳锦"
)

# Heavy industry employs more people per enterprise and produces more per person.
LARGE_WORKFORCE_DIVISIONS = {"16", "31", "32", "44"}
# 万元 of output per employee and quarter; the totals are rescaled to the targets anyway.
QUARTERLY_OUTPUT_PER_EMPLOYEE = {
    "16": 70, "44": 40, "31": 25, "32": 20, "26": 15, "27": 9, "30": 8, "09": 7, "08": 7,
    "17": 3.5, "18": 3, "20": 4,
}  # fmt: skip
DEFAULT_OUTPUT_PER_EMPLOYEE = 7
# Above-scale (规上) means at least 2,000万元 of revenue a year: about 500万元 a quarter.
SMALLEST_QUARTERLY_OUTPUT = 500
VALUE_ADDED_RATIO = {
    "44": 0.34, "16": 0.35, "09": 0.33, "08": 0.32, "30": 0.30, "27": 0.32, "31": 0.22,
    "32": 0.20, "26": 0.24, "34": 0.26, "35": 0.26, "17": 0.21, "13": 0.23, "14": 0.23,
    "20": 0.25,
}  # fmt: skip
DEFAULT_VALUE_ADDED_RATIO = 0.26
# Plants that run through the holiday (power, smelting, chemicals, tobacco, utilities)
# resume earliest and lose least in Q1.
CONTINUOUS_PROCESS_DIVISIONS = {"16", "26", "31", "32", "44", "45", "46"}

OTHER_DIFFICULTIES = (
    "物流运输受阻",
    "员工返岗难",
    "外地员工未返岗",
    "原材料供应不足",
    "资金周转困难",
    "上下游企业未复工",
    "订单减少",
    "消毒液短缺",
)
MASK_DIFFICULTY = "口罩短缺"
THERMOMETER_DIFFICULTY = "测温枪不足"

USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
# 9 = registered with the market regulator, 1 = company.
USCC_ENTERPRISE_PREFIX = "91"


@dataclass(frozen=True)
class DemoDataset:
    """The clean demo data (canonical columns of transforms.schema) and the planned anomalies."""

    city: CityConfig
    seed: int
    registry: pd.DataFrame
    daily: pd.DataFrame  # one row per in-scope enterprise and report date
    quarterly: pd.DataFrame  # one row per in-scope enterprise and quarter
    anomalies: tuple[DemoAnomaly, ...]


def report_dates() -> list[date]:
    days = (LAST_REPORT_DATE - FIRST_REPORT_DATE).days + 1
    return [FIRST_REPORT_DATE + timedelta(days=offset) for offset in range(days)]


def random_stream(seed: int, purpose: str) -> np.random.Generator:
    """An independent generator per purpose, so changing one part leaves the others alone."""
    return np.random.default_rng([seed, zlib.crc32(purpose.encode())])


def generate_demo(city: CityConfig, seed: int = DEFAULT_SEED) -> DemoDataset:
    enterprises = _generate_enterprises(city, seed)
    registry = _registry_frame(enterprises, seed)
    in_scope = enterprises.loc[enterprises["in_scope"]].reset_index(drop=True)
    return DemoDataset(
        city=city,
        seed=seed,
        registry=registry,
        daily=_daily_states(in_scope, seed),
        quarterly=_quarterly_values(in_scope, seed),
        anomalies=plan_anomalies(city),
    )


def enterprises_in_scope(registry: pd.DataFrame, on: date) -> pd.DataFrame:
    day = pd.Timestamp(on)
    starts_before = registry["in_scope_from"] <= day
    not_ended = registry["in_scope_to"].isna() | (registry["in_scope_to"] >= day)
    return registry.loc[starts_before & not_ended]


def daily_resumption_counts(dataset: DemoDataset) -> pd.DataFrame:
    """Per report date, the city's counts from the clean states (every county reporting)."""
    key_ids = set(dataset.registry.loc[dataset.registry["key_enterprise"], "enterprise_id"])
    daily = dataset.daily.assign(key=dataset.daily["enterprise_id"].isin(key_ids))
    rows = []
    for day, states in daily.groupby("report_date"):
        scope = enterprises_in_scope(dataset.registry, day.date())
        rows.append(
            {
                "report_date": day.date(),
                "enterprises_in_scope": len(scope),
                "enterprises_reported": states["enterprise_id"].nunique(),
                "enterprises_resumed": int(states["resumed"].sum()),
                "resumed_today": int((states["resumed_on"] == day).sum()),
                "key_in_scope": int(scope["key_enterprise"].sum()),
                "key_resumed": int((states["resumed"] & states["key"]).sum()),
            }
        )
    return pd.DataFrame(rows).set_index("report_date")


def quarterly_totals(dataset: DemoDataset) -> pd.DataFrame:
    """City sums per quarter in 万元, rounded to the 0.1 the values carry."""
    values = ["output_value", "value_added", "output_value_prior", "value_added_prior"]
    return dataset.quarterly.groupby("report_quarter")[values].sum().round(1)


def short_place_name(name: str) -> str:
    """韶关市 → 韶关, 乳源瑶族自治县 → 乳源: how enterprise names usually cite a place."""
    shortened = re.sub(r"(?:.族)*自治[县旗]$|[区县市]$", "", name)
    return shortened or name


def make_credit_code(region_code: str, rng: np.random.Generator) -> str:
    """A GB 32100-2015 code: enterprise prefix, region, organisation code, check character."""
    if rng.random() < 0.4:
        # Registered after 2015: the market regulator issues organisation parts from MA.
        body = "MA4" + "".join(rng.choice(list(USCC_ALPHABET), size=6))
    else:
        # Converted from an old organisation code certificate: all digits.
        body = str(rng.choice(["19", "61", "70", "72", "73", "75"])) + "".join(
            rng.choice(list("0123456789"), size=7)
        )
    partial = USCC_ENTERPRISE_PREFIX + region_code + body
    return partial + uscc.calc_check_digit(partial)


def make_enterprise_name(
    city: CityConfig, county: County, industry_code: str, rng: np.random.Generator
) -> str:
    if county.name.endswith("区"):
        prefixes = [city.name, short_place_name(city.name), city.name + county.name]
    else:
        prefixes = [county.name, short_place_name(county.name), city.name]
    brand = "".join(rng.choice(list(BRAND_CHARACTERS), size=2, replace=False))
    ending = str(rng.choice(INDUSTRY_NAME_ENDINGS[industry_code]))
    return str(rng.choice(prefixes)) + brand + ending


def county_weights(counties: tuple[County, ...]) -> np.ndarray:
    rank_within_kind: dict[str, int] = {}
    weights = []
    for county in counties:
        kind = county.name[-1] if county.name[-1] in COUNTY_KIND_WEIGHTS else "县"
        rank = rank_within_kind.get(kind, 0)
        rank_within_kind[kind] = rank + 1
        decline = max(0.3, 1 - WEIGHT_DECLINE_WITHIN_KIND * rank)
        weights.append(COUNTY_KIND_WEIGHTS[kind] * decline)
    return np.array(weights)


def apportion(total: int, weights: np.ndarray) -> np.ndarray:
    """Split an integer total in proportion to weights, exactly (largest remainder)."""
    shares = weights / weights.sum() * total
    whole = np.floor(shares).astype(np.int64)
    remainder = total - int(whole.sum())
    # Stable sort: ties go to the earlier index, so the split is deterministic.
    order = np.argsort(-(shares - whole), kind="stable")
    whole[order[:remainder]] += 1
    return whole


def cumulative_resumptions(count: int, curve: tuple[tuple[date, float], ...]) -> pd.Series:
    """Enterprises resumed by each day (inclusive), interpolated between the curve's anchors."""
    days = pd.date_range(curve[0][0], curve[-1][0], freq="D")
    anchor_days = [(d - curve[0][0]).days for d, _ in curve]
    shares = np.interp(np.arange(len(days)), anchor_days, [share for _, share in curve])
    counts = np.floor(shares * count + 1e-9).astype(np.int64)
    counts[-1] = count
    return pd.Series(counts, index=days)


def _generate_enterprises(city: CityConfig, seed: int) -> pd.DataFrame:
    """One row per registry enterprise with the latent traits that drive its figures."""
    rng = random_stream(seed, "enterprises")
    per_county = apportion(ENTERPRISES_IN_SCOPE, county_weights(city.counties))
    out_of_scope = LEFT_SCOPE_BEFORE_2020 + JOINING_SCOPE_JULY_2020
    county_index = np.concatenate(
        [
            np.repeat(np.arange(len(city.counties)), per_county),
            rng.integers(0, len(city.counties), size=out_of_scope),
        ]
    )
    total = len(county_index)
    industries = list(INDUSTRY_WEIGHTS)
    industry_weights = np.array(list(INDUSTRY_WEIGHTS.values()), dtype=float)
    industry = rng.choice(industries, size=total, p=industry_weights / industry_weights.sum())

    large = np.isin(industry, list(LARGE_WORKFORCE_DIVISIONS))
    employees = rng.lognormal(mean=np.log(150), sigma=0.9, size=total) * np.where(large, 2.5, 1)
    employees = np.clip(np.round(employees), 20, 12000).astype(np.int64)
    productivity = np.array(
        [QUARTERLY_OUTPUT_PER_EMPLOYEE.get(code, DEFAULT_OUTPUT_PER_EMPLOYEE) for code in industry]
    )
    scale = np.maximum(
        employees * productivity * rng.lognormal(0, 0.4, size=total),
        SMALLEST_QUARTERLY_OUTPUT * rng.uniform(1.1, 1.8, size=total),
    )

    credit_codes: set[str] = set()
    names: set[str] = set()
    ids, enterprise_names = [], []
    for position in range(total):
        county = city.counties[county_index[position]]
        code = make_credit_code(county.code, rng)
        while code in credit_codes:
            code = make_credit_code(county.code, rng)
        name = make_enterprise_name(city, county, industry[position], rng)
        while name in names:
            name = make_enterprise_name(city, county, industry[position], rng)
        credit_codes.add(code)
        names.add(name)
        ids.append(code)
        enterprise_names.append(name)

    enterprises = pd.DataFrame(
        {
            "enterprise_id": ids,
            "enterprise_name": enterprise_names,
            "county_index": county_index,
            "county_code": [city.counties[i].code for i in county_index],
            "industry_code": industry,
            "employees_total": employees,
            "scale": scale,
            "in_scope": np.arange(total) < ENTERPRISES_IN_SCOPE,
        }
    )
    enterprises = enterprises.sort_values(["county_index", "enterprise_id"], ignore_index=True)
    enterprises["key_enterprise"] = _choose_key_enterprises(enterprises)
    return enterprises


def _choose_key_enterprises(enterprises: pd.DataFrame) -> np.ndarray:
    """The largest in-scope enterprises of each county, counties sharing by their size."""
    in_scope = enterprises.loc[enterprises["in_scope"]]
    per_county = in_scope.groupby("county_index").size().sort_index()
    quotas = apportion(KEY_ENTERPRISES, per_county.to_numpy().astype(float))
    key = np.zeros(len(enterprises), dtype=bool)
    for county_index, quota in zip(per_county.index, quotas, strict=True):
        candidates = in_scope.loc[in_scope["county_index"] == county_index]
        key[candidates.nlargest(int(quota), "scale").index] = True
    return key


def _registry_frame(enterprises: pd.DataFrame, seed: int) -> pd.DataFrame:
    rng = random_stream(seed, "registry")
    # Enterprises enter the scope at an annual review (1 January) of some past year.
    entry_year = rng.integers(2011, 2021, size=len(enterprises))
    in_scope_from = [pd.Timestamp(year=int(year), month=1, day=1) for year in entry_year]
    in_scope_to = [pd.NaT] * len(enterprises)
    out_of_scope = np.flatnonzero(~enterprises["in_scope"].to_numpy())
    for position in out_of_scope[:LEFT_SCOPE_BEFORE_2020]:
        in_scope_from[position] = min(in_scope_from[position], pd.Timestamp("2017-01-01"))
        in_scope_to[position] = pd.Timestamp("2019-12-31")
    for position in out_of_scope[LEFT_SCOPE_BEFORE_2020:]:
        in_scope_from[position] = pd.Timestamp("2020-07-01")
    registry = enterprises.assign(
        in_scope_from=in_scope_from, in_scope_to=in_scope_to, **_grid_officers(enterprises, rng)
    )
    return _canonical(registry, REGISTRY_COLUMNS)


# Grid officers (网格员) of the city's bureau, each following a few key enterprises.
GRID_OFFICER_SURNAMES = "王李张刘陈杨黄赵吴周"
GRID_OFFICER_GIVEN_NAMES = ("志强", "秀英", "建华", "晓明", "丽娟", "海燕", "国平", "文静")


def _grid_officers(enterprises: pd.DataFrame, rng) -> dict[str, list]:
    """A 网格员 and a mobile number for each key enterprise; none for the others."""
    officers, phones = [None] * len(enterprises), [None] * len(enterprises)
    for number, position in enumerate(np.flatnonzero(enterprises["key_enterprise"].to_numpy())):
        officer = number // 5  # five enterprises each
        surname = GRID_OFFICER_SURNAMES[officer % len(GRID_OFFICER_SURNAMES)]
        given = GRID_OFFICER_GIVEN_NAMES[officer % len(GRID_OFFICER_GIVEN_NAMES)]
        officers[position] = surname + given
        phones[position] = f"1380751{int(rng.integers(0, 10_000)):04d}"
    return {"grid_officer": officers, "grid_officer_phone": phones}


def _resumption_dates(in_scope: pd.DataFrame, seed: int) -> np.ndarray:
    """Each enterprise's resumed_on, following the key and other curves exactly."""
    rng = random_stream(seed, "resumption")
    eagerness = rng.random(len(in_scope))
    continuous = in_scope["industry_code"].isin(CONTINUOUS_PROCESS_DIVISIONS).to_numpy()
    eagerness = np.where(continuous, eagerness * 0.4, eagerness)
    resumed_on = np.empty(len(in_scope), dtype="datetime64[D]")
    for is_key, curve in ((True, KEY_RESUMPTION_CURVE), (False, OTHER_RESUMPTION_CURVE)):
        members = np.flatnonzero(in_scope["key_enterprise"].to_numpy() == is_key)
        cumulative = cumulative_resumptions(len(members), curve)
        # The k-th most eager member resumes on the first day when more than k have resumed.
        day_of_rank = cumulative.index.to_numpy()[
            np.searchsorted(cumulative.to_numpy(), np.arange(len(members)), side="right")
        ]
        ranked = members[np.argsort(eagerness[members], kind="stable")]
        resumed_on[ranked] = day_of_rank.astype("datetime64[D]")
    return resumed_on


def _daily_states(in_scope: pd.DataFrame, seed: int) -> pd.DataFrame:
    rng = random_stream(seed, "daily")
    count = len(in_scope)
    days = np.array(report_dates(), dtype="datetime64[D]")[:, None]
    resumed_on = _resumption_dates(in_scope, seed)[None, :]
    days_since = (days - resumed_on).astype(np.int64)
    resumed = days_since >= 0
    elapsed = np.clip(days_since, 0, None)
    total = in_scope["employees_total"].to_numpy()[None, :]

    def trait(low: float, high: float) -> np.ndarray:
        return rng.uniform(low, high, size=count)[None, :]

    def approach(start: np.ndarray, end: np.ndarray, pace: np.ndarray) -> np.ndarray:
        return start + (end - start) * (1 - np.exp(-elapsed / pace))

    # Duty staff keep a closed plant safe; after resumption workers return over weeks.
    on_site_share = np.where(
        resumed, approach(trait(0.3, 0.65), trait(0.85, 0.99), trait(5, 15)), trait(0, 0.04)
    )
    on_site = np.floor(total * on_site_share).astype(np.int64)
    # A few plants (medical supplies, export orders) run above their normal capacity.
    capacity_end = np.where(rng.random(count) < 0.03, trait(102, 115), trait(75, 100))
    capacity = np.where(
        resumed, np.round(approach(trait(20, 50), capacity_end, trait(6, 18)), 1), 0.0
    )

    def shortage_fades(share_with_gap: float, resolved_by: tuple[date, date]) -> np.ndarray:
        """1 on the first day falling to 0 when the enterprise's supply gap is closed."""
        first, last = (np.datetime64(d, "D") for d in resolved_by)
        resolved = first + rng.integers(0, (last - first).astype(int) + 1, size=count)
        span = (resolved - np.datetime64(FIRST_REPORT_DATE, "D")).astype(np.int64)
        left = (resolved[None, :] - days).astype(np.int64)
        has_gap = rng.random(count) < share_with_gap
        return np.where(resumed & has_gap[None, :], np.clip(left / span, 0, 1), 0.0)

    mask_fade = shortage_fades(0.6, (date(2020, 2, 20), date(2020, 3, 13)))
    days_of_masks_short = trait(3, 10)
    mask_shortage = (np.round(on_site * 2 * days_of_masks_short * mask_fade, -1)).astype(np.int64)
    thermometer_fade = shortage_fades(0.45, (date(2020, 2, 17), date(2020, 3, 10)))
    thermometer_shortage = np.where(
        thermometer_fade > 0, np.ceil(on_site / 150 * thermometer_fade + 0.5), 0
    ).astype(np.int64)

    difficulties = _difficulty_texts(rng, days, count, mask_shortage > 0, thermometer_shortage > 0)
    report_day = np.broadcast_to(days, resumed.shape)
    frame = pd.DataFrame(
        {
            "report_date": report_day.ravel(),
            "county_code": np.tile(in_scope["county_code"].to_numpy(), len(days)),
            "enterprise_id": np.tile(in_scope["enterprise_id"].to_numpy(), len(days)),
            "enterprise_name": np.tile(in_scope["enterprise_name"].to_numpy(), len(days)),
            "resumed": resumed.ravel(),
            "resumed_on": np.where(
                resumed, np.broadcast_to(resumed_on, resumed.shape), np.datetime64("NaT")
            ).ravel(),
            "employees_total": np.broadcast_to(total, resumed.shape).ravel(),
            "employees_on_site": on_site.ravel(),
            "capacity_pct": capacity.ravel(),
            "mask_shortage": mask_shortage.ravel(),
            "thermometer_shortage": thermometer_shortage.ravel(),
            "difficulties": difficulties.ravel(),
        }
    )
    return _canonical(frame, DAILY_COLUMNS)


def _difficulty_texts(
    rng: np.random.Generator,
    days: np.ndarray,
    count: int,
    mask_short: np.ndarray,
    thermometer_short: np.ndarray,
) -> np.ndarray:
    """Free text for the rows that raise a problem; most rows leave it empty (missing)."""
    names_masks = rng.random(count) < 0.45
    names_thermometers = rng.random(count) < 0.4
    other_problem = np.where(
        rng.random(count) < 0.2, rng.integers(0, len(OTHER_DIFFICULTIES), size=count), -1
    )
    other_until = np.datetime64(date(2020, 2, 12), "D") + rng.integers(0, 36, size=count)
    texts = np.full(mask_short.shape, None, dtype=object)
    for day_index in range(days.shape[0]):
        for enterprise in range(count):
            parts = []
            if mask_short[day_index, enterprise] and names_masks[enterprise]:
                parts.append(MASK_DIFFICULTY)
            if thermometer_short[day_index, enterprise] and names_thermometers[enterprise]:
                parts.append(THERMOMETER_DIFFICULTY)
            if other_problem[enterprise] >= 0 and days[day_index, 0] <= other_until[enterprise]:
                parts.append(OTHER_DIFFICULTIES[other_problem[enterprise]])
            if parts:
                texts[day_index, enterprise] = "；".join(parts)
    return texts


def _quarterly_values(in_scope: pd.DataFrame, seed: int) -> pd.DataFrame:
    """Per enterprise and quarter, in integer tenths of 万元 allocated to hit the targets."""
    rng = random_stream(seed, "quarterly")
    count = len(in_scope)
    scale = in_scope["scale"].to_numpy()
    continuous = in_scope["industry_code"].isin(CONTINUOUS_PROCESS_DIVISIONS).to_numpy()
    ratio = np.array(
        [VALUE_ADDED_RATIO.get(c, DEFAULT_VALUE_ADDED_RATIO) for c in in_scope["industry_code"]]
    ) * rng.uniform(0.9, 1.1, size=count)
    # Q1 falls hardest for plants that stopped longest; Q2 makes up part of the loss.
    growth = {
        "2020Q1": rng.normal(-0.15, 0.06, size=count) + np.where(continuous, 0.08, -0.02),
        "2020Q2": rng.normal(0.09, 0.05, size=count),
    }
    frames = []
    for quarter in QUARTERS:
        targets = QUARTER_TARGETS[quarter]
        prior = scale * rng.uniform(0.9, 1.1, size=count)
        current = prior * np.clip(1 + growth[quarter], 0.3, None)
        prior_ratio = ratio * rng.uniform(0.97, 1.03, size=count)
        tenths = {
            "output_value": apportion(_tenths(targets.output_value), current),
            "value_added": apportion(_tenths(targets.value_added), current * ratio),
            "output_value_prior": apportion(_tenths(targets.output_value_prior), prior),
            "value_added_prior": apportion(_tenths(targets.value_added_prior), prior * prior_ratio),
        }
        if np.any(tenths["value_added"] > tenths["output_value"]) or np.any(
            tenths["value_added_prior"] > tenths["output_value_prior"]
        ):
            raise ValueError(f"{quarter}: value added above output; check the calibration")
        frames.append(
            pd.DataFrame(
                {
                    "report_quarter": quarter,
                    "county_code": in_scope["county_code"],
                    "enterprise_id": in_scope["enterprise_id"],
                    "enterprise_name": in_scope["enterprise_name"],
                    "industry_code": in_scope["industry_code"],
                    **{column: values / 10 for column, values in tenths.items()},
                }
            )
        )
    return _canonical(pd.concat(frames, ignore_index=True), QUARTERLY_COLUMNS)


def _tenths(amount: Decimal) -> int:
    return int(amount * 10)


def _canonical(frame: pd.DataFrame, columns: tuple[Column, ...]) -> pd.DataFrame:
    return frame[[c.name for c in columns]].astype({c.name: c.dtype for c in columns})
