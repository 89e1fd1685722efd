"""The briefings (简报): a few Chinese sentences from a date's or a quarter's published
figures, ready to paste into a 呈阅件, and the rankings of the counties they quote.

Everything comes from the published rows (`county_daily` of the date and of the previous
published date) and the difficulties enterprises wrote; the wording is data
(`briefing.toml`), so the same figures always read the same way.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache
from pathlib import Path

import pandas as pd

from transforms.merge.daily import ACCEPTED, MISSING, REJECTED
from transforms.merge.difficulties import kind_counts
from transforms.publish.charts import percent
from transforms.publish.labels import (
    LATE,
    chinese_quarter,
    short_chinese_date,
    year_to_date_months,
)

WORDING = Path(__file__).with_name("briefing.toml")
COUNTED = (ACCEPTED, LATE)
RANKED_EACH_END = 3  # 前三, 后三
LEADING_KINDS = 2


@dataclass(frozen=True)
class Briefing:
    clauses: tuple[str, ...]  # each a figure or a list: the rows of the workbook's 简报 sheet

    @property
    def text(self) -> str:
        """The briefing as one paragraph, ready to paste into a 呈阅件."""
        return "；".join(self.clauses) + "。"


@cache
def _wording() -> dict[str, str]:
    return tomllib.loads(WORDING.read_text(encoding="utf-8"))["daily"]


def points_change(now: object, before: object) -> float | None:
    """now − before in 百分点 (the rates are fractions), one decimal; None when either is
    missing."""
    if pd.isna(now) or pd.isna(before):
        return None
    return round((float(now) - float(before)) * 100, 1) + 0.0  # no "-0.0"


def daily_rankings(
    table: pd.DataFrame, previous: pd.DataFrame | None, statuses: Mapping[str, str]
) -> pd.DataFrame:
    """The counties that count on the date (accepted or late), by resumption rate, highest
    first (ties in the configured order): `rank`, `county_code`, `county_name`,
    `resumption_rate` and `change_points` since the previous published date (None where the
    county did not count then). Missing and rejected counties are not ranked."""
    counties = table.iloc[:-1]
    counted = counties[counties["county_code"].map(statuses).isin(COUNTED)]
    counted = counted[counted["resumption_rate"].notna()]
    ranked = counted.assign(order=range(len(counted))).sort_values(
        ["resumption_rate", "order"], ascending=[False, True], kind="stable"
    )
    before = {}
    if previous is not None:
        was_counted = previous[previous["status"] == ACCEPTED]
        before = dict(zip(was_counted["county_code"], was_counted["resumption_rate"], strict=True))
    return pd.DataFrame(
        {
            "rank": range(1, len(ranked) + 1),
            "county_code": list(ranked["county_code"]),
            "county_name": list(ranked["county_name"]),
            "resumption_rate": list(ranked["resumption_rate"]),
            "change_points": pd.array(
                [
                    points_change(rate, before.get(code, pd.NA))
                    for code, rate in zip(
                        ranked["county_code"], ranked["resumption_rate"], strict=True
                    )
                ],
                dtype="Float64",
            ),
        }
    )


def daily_briefing(
    report_date: date,
    table: pd.DataFrame,
    previous: pd.DataFrame | None,
    statuses: Mapping[str, str],
    difficulty_items: pd.DataFrame,
) -> Briefing:
    """The briefing of a date. `table`: its `county_daily` rows (counties in the configured
    order, the city row last); `previous`: the rows of the previous published date, or None;
    `statuses`: county code → accepted, late, rejected or missing; `difficulty_items`: the
    date's difficulties by kind (`transforms.merge.difficulties.difficulty_items`)."""
    words = _wording()
    city = table.iloc[-1]
    clauses = [_resumption(words, report_date, city, previous)]
    if city["key_in_scope"]:  # a city that follows no key enterprises says nothing of them
        clauses.append(_key_enterprises(words, city))
    clauses.append(
        words["staff"].format(
            on_site=_count(city["employees_on_site"]), on_site_rate=_rate(city["on_site_rate"])
        )
    )
    ranking = daily_rankings(table, previous, statuses)
    if len(ranking) >= 2:
        each_end = min(RANKED_EACH_END, len(ranking) // 2)
        clauses.append(
            words["ranking"].format(
                top=_ranked(words, ranking.head(each_end)),
                bottom=_ranked(words, ranking.tail(each_end)),
            )
        )
    clauses.append(_difficulties(words, difficulty_items))
    clauses += _not_counted(words, table.iloc[:-1], statuses)
    return Briefing(tuple(clauses))


def _resumption(words, report_date: date, city: pd.Series, previous: pd.DataFrame | None) -> str:
    opening = words["resumption"].format(
        date=short_chinese_date(report_date),
        in_scope=_count(city["enterprises_in_scope"]),
        resumed=_count(city["enterprises_resumed"]),
        rate=_rate(city["resumption_rate"]),
    )
    previous_city = (
        previous[previous["county_code"] == city["county_code"]] if previous is not None else ()
    )
    if not len(previous_city):
        return opening
    before = previous_city.iloc[0]
    change = points_change(city["resumption_rate"], before["resumption_rate"])
    if change is None:
        return opening
    previous_date = pd.Timestamp(before["report_date"]).date()
    since = (
        words["previous_day"]
        if previous_date == report_date - timedelta(days=1)
        else short_chinese_date(previous_date)
    )
    if change > 0:
        return words["resumption_up"].format(resumption=opening, since=since, points=change)
    if change < 0:
        return words["resumption_down"].format(resumption=opening, since=since, points=-change)
    return words["resumption_flat"].format(resumption=opening, since=since)


def _key_enterprises(words, city: pd.Series) -> str:
    in_scope, resumed = int(city["key_in_scope"]), int(city["key_resumed"])
    if resumed >= in_scope:
        return words["key_all"].format(key_in_scope=in_scope)
    return words["key_some"].format(
        key_in_scope=in_scope, key_resumed=resumed, key_left=in_scope - resumed
    )


def _ranked(words, counties: pd.DataFrame) -> str:
    return "、".join(
        words["ranked_county"].format(name=name, rate=_rate(rate))
        for name, rate in zip(counties["county_name"], counties["resumption_rate"], strict=True)
    )


def _difficulties(words, items: pd.DataFrame) -> str:
    if not len(items):
        return words["no_difficulties"]
    leading = kind_counts(items).head(LEADING_KINDS)
    return words["difficulties"].format(count=len(items), kinds="、".join(leading["name"]))


def _not_counted(words, counties: pd.DataFrame, statuses: Mapping[str, str]) -> list[str]:
    def named(status: str) -> str:
        return "、".join(
            name
            for code, name in zip(counties["county_code"], counties["county_name"], strict=True)
            if statuses.get(code) == status
        )

    clauses = [
        words[key].format(counties=names)
        for key, status in (("missing", MISSING), ("rejected", REJECTED))
        if (names := named(status))
    ]
    return clauses or [words["all_counted"]]


def _count(value: object) -> str:
    return "—" if pd.isna(value) else f"{int(value):,}"


def _rate(value: object) -> str:
    return "—" if pd.isna(value) else percent(float(value))


@cache
def _quarterly_wording() -> dict[str, str]:
    return tomllib.loads(WORDING.read_text(encoding="utf-8"))["quarterly"]


def contribution_points(
    county_now: object, county_prior: object, city_prior: object
) -> float | None:
    """A county's contribution to the city's growth (拉动), in 百分点: its current minus
    prior value over the city's prior value, ×100, one decimal."""
    if pd.isna(county_now) or pd.isna(county_prior) or pd.isna(city_prior) or not city_prior:
        return None
    return round((float(county_now) - float(county_prior)) / float(city_prior) * 100, 1) + 0.0


def quarterly_rankings(table: pd.DataFrame, statuses: Mapping[str, str]) -> pd.DataFrame:
    """The counties that count in the quarter, by year-to-date value-added growth, highest
    first (ties in the configured order): `rank`, `county_code`, `county_name`,
    `value_added_ytd_yoy_pct` and its `contribution_points` (拉动) to the city's growth, and
    the same two for output. Missing and rejected counties are not ranked."""
    city = table.iloc[-1]
    counties = table.iloc[:-1]
    counted = counties[counties["county_code"].map(statuses).isin(COUNTED)]
    counted = counted[counted["value_added_ytd_yoy_pct"].notna()]
    ranked = counted.assign(order=range(len(counted))).sort_values(
        ["value_added_ytd_yoy_pct", "order"], ascending=[False, True], kind="stable"
    )

    def contributions(current: str, prior: str) -> pd.array:
        return pd.array(
            [
                contribution_points(now, before, city[prior])
                for now, before in zip(ranked[current], ranked[prior], strict=True)
            ],
            dtype="Float64",
        )

    return pd.DataFrame(
        {
            "rank": range(1, len(ranked) + 1),
            "county_code": list(ranked["county_code"]),
            "county_name": list(ranked["county_name"]),
            "value_added_ytd_yoy_pct": list(ranked["value_added_ytd_yoy_pct"]),
            "value_added_contribution_points": contributions(
                "value_added_ytd", "value_added_ytd_prior"
            ),
            "output_ytd_yoy_pct": list(ranked["output_ytd_yoy_pct"]),
            "output_contribution_points": contributions(
                "output_value_ytd", "output_value_ytd_prior"
            ),
        }
    )


def quarterly_briefing(
    quarter: str,
    table: pd.DataFrame,
    previous: pd.DataFrame | None,
    statuses: Mapping[str, str],
) -> Briefing:
    """The briefing of a quarter: year-to-date output and value added with their growth and
    its change from the previous quarter's year-to-date growth, the quarter on its own, and
    the counties ranked with their contribution (拉动). `table`: the quarter's
    `county_quarterly` rows (counties in order, the city row last); `previous`: the rows of
    the year's previous quarter, or None."""
    words = _quarterly_wording()
    city = table.iloc[-1]
    before = None
    if previous is not None:
        previous_city = previous[previous["county_code"] == city["county_code"]]
        before = previous_city.iloc[0] if len(previous_city) else None
    year, number = quarter.split("Q")
    since = year_to_date_months(f"{year}Q{int(number) - 1}") if before is not None else None
    clauses = [
        words["output_ytd"].format(
            year=year,
            months=year_to_date_months(quarter),
            value=_yi_yuan(city["output_value_ytd"]),
            growth=_growth_change(words, city, before, "output_ytd_yoy_pct", since),
        ),
        words["value_added_ytd"].format(
            value=_yi_yuan(city["value_added_ytd"]),
            growth=_growth_change(words, city, before, "value_added_ytd_yoy_pct", since),
        ),
    ]
    if int(number) > 1:
        clauses.append(
            words["quarter"].format(
                quarter=chinese_quarter(quarter).removeprefix(f"{year}年第"),
                output=_yi_yuan(city["output_value"]),
                output_growth=_growth(words, city["output_yoy_pct"]),
                value_added=_yi_yuan(city["value_added"]),
                value_added_growth=_growth(words, city["value_added_yoy_pct"]),
            )
        )
    ranking = quarterly_rankings(table, statuses)
    if len(ranking) >= 2:
        each_end = min(RANKED_EACH_END, len(ranking) // 2)

        def listed(counties: pd.DataFrame) -> str:
            return "、".join(
                words["ranked_county_down" if points < 0 else "ranked_county"].format(
                    name=name, growth=_growth(words, growth), contribution=_points(abs(points))
                )
                for name, growth, points in zip(
                    counties["county_name"],
                    counties["value_added_ytd_yoy_pct"],
                    counties["value_added_contribution_points"],
                    strict=True,
                )
            )

        clauses.append(
            words["ranking"].format(
                top=listed(ranking.head(each_end)), bottom=listed(ranking.tail(each_end))
            )
        )
    clauses += _not_counted(words, table.iloc[:-1], statuses)
    return Briefing(tuple(clauses))


def _growth(words, rate: object) -> str:
    if pd.isna(rate):
        return "—"
    rounded = round(float(rate), 1)
    if rounded > 0:
        return words["growth_up"].format(rate=f"{rounded:.1f}")
    if rounded < 0:
        return words["growth_down"].format(rate=f"{-rounded:.1f}")
    return words["growth_flat"]


def _growth_change(words, city: pd.Series, before, column: str, since: str | None) -> str:
    growth = _growth(words, city[column])
    if before is None or pd.isna(city[column]) or pd.isna(before[column]):
        return growth
    now, then = round(float(city[column]), 1), round(float(before[column]), 1)
    points = round(abs(now - then), 1)
    if now == then:
        return words["same"].format(growth=growth, since=since)
    if now < 0 and then < 0:
        key = "narrower" if now > then else "wider"
    else:
        key = "higher" if now > then else "lower"
    return words[key].format(growth=growth, since=since, points=f"{points:.1f}")


def _yi_yuan(value: object) -> str:
    return "—" if pd.isna(value) else f"{float(value) / 10_000:,.2f}"


def _points(points: object) -> str:
    return "—" if pd.isna(points) else f"{float(points):.1f}"
