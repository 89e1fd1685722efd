"""The demo's planned irregularities: which county sends what kind of trouble, and when.

They fall on a few February and early-March days and on 30 and 31 March, never in the window
around the published milestones (all key enterprises resumed on 17 March, all enterprises
on 26 March), so every county is accepted there, and never on a quarterly submission.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum

from include.config import CityConfig

# Every county must be accepted on these days for the published milestones to show.
MILESTONE_WINDOW = (date(2020, 3, 15), date(2020, 3, 27))


class AnomalyKind(StrEnum):
    MISSING = "missing"  # no file that day
    LATE = "late"  # file arrives after the daily deadline
    TWO_FILES = "two_files"  # two files for the same county and day: ambiguous
    ON_SITE_ABOVE_TOTAL = "on_site_above_total"
    RESUMED_WITHOUT_DATE = "resumed_without_date"
    DUPLICATE_ENTERPRISE = "duplicate_enterprise"
    UNKNOWN_COLUMN = "unknown_column"
    CAPACITY_OVER_100 = "capacity_over_100"
    ENTERPRISE_NOT_REPORTED = "enterprise_not_reported"
    ENTERPRISE_NOT_IN_REGISTRY = "enterprise_not_in_registry"
    # A warning the county explains in the row's 说明 column (上报说明).
    EXPLAINED_STAFF_JUMP = "explained_staff_jump"


# The county status the spec prescribes for each kind. A late file has none of its own:
# whether it counts depends on when the run reads the landing zone.
EXPECTED_STATUS: dict[AnomalyKind, str] = {
    AnomalyKind.MISSING: "missing",
    AnomalyKind.TWO_FILES: "rejected",
    AnomalyKind.ON_SITE_ABOVE_TOTAL: "rejected",
    AnomalyKind.RESUMED_WITHOUT_DATE: "rejected",
    AnomalyKind.DUPLICATE_ENTERPRISE: "rejected",
    AnomalyKind.UNKNOWN_COLUMN: "accepted",
    AnomalyKind.CAPACITY_OVER_100: "accepted",
    AnomalyKind.ENTERPRISE_NOT_REPORTED: "accepted",
    AnomalyKind.ENTERPRISE_NOT_IN_REGISTRY: "accepted",
    AnomalyKind.EXPLAINED_STAFF_JUMP: "accepted",
}

# Rows the bad file breaks, so the rejection reason has several rows to quote.
ON_SITE_ABOVE_TOTAL_ROWS = 3
OVER_CAPACITY_PCT = 120.0
# Hires that move employees_total by more than half and by more than 50 persons since the
# day before: the size of jump the day-over-day rule warns about.
STAFF_JUMP_SHARE = 0.6
STAFF_JUMP_MIN_PERSONS = 80


@dataclass(frozen=True)
class DemoAnomaly:
    report_date: date
    county_code: str
    county_name: str
    kind: AnomalyKind
    detail: str
    arrives_at: datetime | None = None  # local arrival of a late file

    @property
    def expected_status(self) -> str | None:
        return EXPECTED_STATUS.get(self.kind)


@dataclass(frozen=True)
class _Planned:
    report_date: date
    county_position: int  # index into the city's county list
    kind: AnomalyKind
    detail: str  # empty for a late file: said from its arrival time
    late_by: timedelta | None = None  # after the city's daily deadline


ANOMALY_PLAN: tuple[_Planned, ...] = (
    _Planned(date(2020, 2, 5), 7, AnomalyKind.MISSING, "no file that day"),
    _Planned(date(2020, 2, 5), 5, AnomalyKind.LATE, "", timedelta(hours=1, minutes=40)),
    _Planned(
        date(2020, 2, 11),
        2,
        AnomalyKind.ON_SITE_ABOVE_TOTAL,
        f"employees_on_site above employees_total in {ON_SITE_ABOVE_TOTAL_ROWS} rows",
    ),
    _Planned(
        date(2020, 2, 11), 8, AnomalyKind.UNKNOWN_COLUMN, "an extra contact person (联系人) column"
    ),
    _Planned(date(2020, 2, 17), 0, AnomalyKind.TWO_FILES, "a second file (补报) for the same day"),
    _Planned(date(2020, 2, 17), 3, AnomalyKind.LATE, "", timedelta(hours=12, minutes=35)),
    _Planned(
        date(2020, 2, 20),
        9,
        AnomalyKind.CAPACITY_OVER_100,
        f"capacity_pct {OVER_CAPACITY_PCT:g} in one row",
    ),
    _Planned(date(2020, 2, 20), 4, AnomalyKind.MISSING, "no file that day"),
    _Planned(
        date(2020, 2, 24),
        6,
        AnomalyKind.RESUMED_WITHOUT_DATE,
        "a resumed row with an empty resumed_on",
    ),
    _Planned(
        date(2020, 2, 27),
        3,
        AnomalyKind.ENTERPRISE_NOT_REPORTED,
        "one in-scope enterprise left out of the file",
    ),
    _Planned(
        date(2020, 2, 27),
        1,
        AnomalyKind.ENTERPRISE_NOT_IN_REGISTRY,
        "one extra row for an enterprise absent from the registry",
    ),
    _Planned(
        date(2020, 3, 5), 1, AnomalyKind.DUPLICATE_ENTERPRISE, "one enterprise reported twice"
    ),
    _Planned(date(2020, 3, 5), 9, AnomalyKind.MISSING, "no file that day"),
    _Planned(date(2020, 3, 10), 8, AnomalyKind.LATE, "", timedelta(minutes=25)),
    _Planned(date(2020, 3, 30), 2, AnomalyKind.LATE, "", timedelta(hours=2, minutes=50)),
    # On the last day, so the hires are not undone by the next day's file.
    _Planned(
        date(2020, 3, 31),
        6,
        AnomalyKind.EXPLAINED_STAFF_JUMP,
        "employees_total up by more than half in one row, explained in its 说明 column",
    ),
)


def plan_anomalies(city: CityConfig) -> tuple[DemoAnomaly, ...]:
    """The plan placed on the city's counties; a city with fewer counties wraps around,
    and an anomaly that would land on a county already given one that day is left out."""
    anomalies: list[DemoAnomaly] = []
    taken: set[tuple[date, str]] = set()
    for planned in ANOMALY_PLAN:
        county = city.counties[planned.county_position % len(city.counties)]
        if (planned.report_date, county.code) in taken:
            continue
        taken.add((planned.report_date, county.code))
        arrives_at, detail = None, planned.detail
        if planned.late_by is not None:
            deadline = datetime.combine(
                planned.report_date, city.schedule.daily_deadline, tzinfo=city.tz
            )
            arrives_at = deadline + planned.late_by
            detail = f"arrives {arrives_at:%Y-%m-%d %H:%M}, after the {deadline:%H:%M} deadline"
        anomalies.append(
            DemoAnomaly(
                report_date=planned.report_date,
                county_code=county.code,
                county_name=county.name,
                kind=planned.kind,
                detail=detail,
                arrives_at=arrives_at,
            )
        )
    return tuple(anomalies)


def anomalies_table(anomalies: tuple[DemoAnomaly, ...]) -> list[dict[str, str]]:
    """Rows for a README or a report: date, county, kind, expected status, detail."""
    return [
        {
            "report_date": a.report_date.isoformat(),
            "county_code": a.county_code,
            "county_name": a.county_name,
            "kind": a.kind.value,
            "expected_status": a.expected_status or "depends on the run time",
            "detail": a.detail,
        }
        for a in anomalies
    ]
