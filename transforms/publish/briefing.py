"""The daily briefing (简报): a few Chinese sentences from a date's published figures, ready to
paste into a 呈阅件, and the ranking of the counties they quote.

Everything comes from the published rows (`county_daily` of the date and of the previous
published date) and the difficulties enterprises wrote; the wording is data
(`briefing.toml`), so the same figures always read the same way.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from datetime import date, timedelta
from functools import cache
from pathlib import Path

import pandas as pd

from transforms.merge.daily import ACCEPTED, MISSING, REJECTED
from transforms.merge.difficulties import kind_counts
from transforms.publish.charts import percent
from transforms.publish.labels import LATE, short_chinese_date

WORDING = Path(__file__).with_name("briefing.toml")
COUNTED = (ACCEPTED, LATE)
RANKED_EACH_END = 3  # 前三, 后三
LEADING_KINDS = 2


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
) -> str:
    """The briefing of a date. `table`: its `county_daily` rows (counties in the configured
    order, the city row last); `previous`: the rows of the previous published date, or None;
    `statuses`: county code → accepted, late, rejected or missing; `difficulty_items`: the
    date's difficulties by kind (`transforms.merge.difficulties.difficulty_items`)."""
    words = _wording()
    city = table.iloc[-1]
    clauses = [_resumption(words, report_date, city, previous)]
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
    return "；".join(clauses) + "。"


def _resumption(words, report_date: date, city: pd.Series, previous: pd.DataFrame | None) -> str:
    opening = words["resumption"].format(
        date=short_chinese_date(report_date),
        in_scope=_count(city["enterprises_in_scope"]),
        resumed=_count(city["enterprises_resumed"]),
        rate=_rate(city["resumption_rate"]),
    )
    if previous is None or not len(previous):
        return opening
    before = previous.iloc[-1]
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
