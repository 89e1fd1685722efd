"""Typed configuration: the city (from a TOML file) and the deployment (from CITYSTATS_* variables).

The default city ships with the package; another city is selected by pointing
CITYSTATS_CITY_CONFIG at its own TOML file.
"""

from __future__ import annotations

import os
import re
import tomllib
from dataclasses import replace
from datetime import date, datetime, time
from functools import cached_property
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)

from transforms.periods import DEADLINE_HOLIDAY_RULES, daily_deadline, quarterly_deadline
from transforms.schema import REGISTRY_LIMITS, SUBMISSION_LIMITS, ReadLimits

DEFAULT_CITY_CONFIG = Path(__file__).parent / "cities" / "shaoguan.toml"
DIVISION_CODE = re.compile(r"^\d{6}$")


class County(BaseModel):
    model_config = ConfigDict(frozen=True)

    code: str
    name: str = Field(min_length=1)

    @field_validator("code")
    @classmethod
    def _six_digits(cls, code: str) -> str:
        if not DIVISION_CODE.match(code):
            raise ValueError(f"county code {code!r} is not a six-digit GB/T 2260 code")
        return code


class Schedule(BaseModel):
    model_config = ConfigDict(frozen=True)

    nightly_run: time = time(22, 0)
    daily_deadline: time = time(20, 0)
    missing_cutoff: time = time(23, 30)
    resubmission_lookback_days: int = Field(default=14, ge=0)
    quarterly_deadline_days: int = Field(default=15, ge=0)
    # What a deadline falling in a statutory holiday does: "postpone_statutory" moves it to
    # the first working day after the holiday (遇法定节假日顺延), "none" keeps it.
    deadline_holiday_rule: str = "none"  # the quarterly deadline
    daily_deadline_holiday_rule: str = "none"

    @field_validator("deadline_holiday_rule", "daily_deadline_holiday_rule")
    @classmethod
    def _known_holiday_rule(cls, rule: str, info: ValidationInfo) -> str:
        if rule not in DEADLINE_HOLIDAY_RULES:
            raise ValueError(
                f"{info.field_name} must be "
                f"{' or '.join(repr(r) for r in DEADLINE_HOLIDAY_RULES)}, not {rule!r}"
            )
        return rule

    @model_validator(mode="after")
    def _cutoff_after_run(self) -> Schedule:
        if self.missing_cutoff < self.nightly_run:
            raise ValueError("missing_cutoff must not be before nightly_run (same local day)")
        return self

    @property
    def nightly_cron(self) -> str:
        return f"{self.nightly_run.minute} {self.nightly_run.hour} * * *"


class CityConfig(BaseModel):
    model_config = ConfigDict(frozen=True)

    code: str
    name: str = Field(min_length=1)
    timezone: str
    counties: tuple[County, ...] = Field(min_length=1)
    retired_codes: tuple[str, ...] = ()
    schedule: Schedule = Schedule()
    # 制表单位 of the official workbooks; the city's name when unset
    compiler_unit: str | None = None

    @field_validator("code")
    @classmethod
    def _city_code(cls, code: str) -> str:
        if not DIVISION_CODE.match(code):
            raise ValueError(f"city code {code!r} is not a six-digit GB/T 2260 code")
        return code

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, name: str) -> str:
        try:
            ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown timezone {name!r}") from exc
        return name

    @model_validator(mode="after")
    def _consistent_codes(self) -> CityConfig:
        codes = [c.code for c in self.counties]
        duplicated = sorted({c for c in codes if codes.count(c) > 1})
        if duplicated:
            raise ValueError(f"county codes listed twice: {', '.join(duplicated)}")
        if self.code in codes:
            raise ValueError("the city code cannot also be a county code")
        retired_in_use = sorted(set(codes) & set(self.retired_codes))
        if retired_in_use:
            raise ValueError(f"retired codes listed as counties: {', '.join(retired_in_use)}")
        return self

    @cached_property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def daily_deadline_of(self, day: date) -> datetime:
        """The deadline of a date's daily files, with the city's holiday rule applied."""
        schedule = self.schedule
        return daily_deadline(
            day, schedule.daily_deadline, self.tz, schedule.daily_deadline_holiday_rule
        )

    def quarterly_deadline_of(self, quarter: str) -> datetime:
        """The deadline of a quarter's files, with the city's holiday rule applied."""
        schedule = self.schedule
        return quarterly_deadline(
            quarter, schedule.quarterly_deadline_days, self.tz, schedule.deadline_holiday_rule
        )

    @property
    def county_codes(self) -> tuple[str, ...]:
        return tuple(c.code for c in self.counties)

    @property
    def county_names(self) -> dict[str, str]:
        return {c.code: c.name for c in self.counties}


def load_city_config(path: str | Path | None = None) -> CityConfig:
    """Read and validate a city TOML file (default: CITYSTATS_CITY_CONFIG, else Shaoguan)."""
    path = Path(path or os.environ.get("CITYSTATS_CITY_CONFIG") or DEFAULT_CITY_CONFIG)
    with path.open("rb") as handle:
        return CityConfig.model_validate(tomllib.load(handle))


DEFAULT_CHECK_CHUNK_COUNTIES = 100


class Settings(BaseModel):
    """Where the pipeline reads and writes; every field has a CITYSTATS_* variable."""

    model_config = ConfigDict(frozen=True)

    landing: str
    publish: str
    warehouse_url: str
    # Pipeline-private files: staged rows between tasks and quarantined submissions.
    state: str
    # What a county's file, and the city's registry, may hold before they are refused unread.
    submission_limits: ReadLimits = SUBMISSION_LIMITS
    registry_limits: ReadLimits = REGISTRY_LIMITS
    # The most counties per check task. A check validates its counties' rows in one GX run
    # (about half a second whatever the rows), so a city is one task and a country tens of
    # them: a national date's 2,900 counties took 45-49 s to check in 58 chunks, 33 s in 29.
    check_chunk_counties: int = DEFAULT_CHECK_CHUNK_COUNTIES

    @property
    def max_file_bytes(self) -> int:
        return self.submission_limits.max_bytes

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> Settings:
        env = os.environ if environ is None else environ
        data_dir = Path(env.get("CITYSTATS_DATA", "./data")).resolve()
        return cls(
            landing=env.get("CITYSTATS_LANDING") or str(data_dir / "landing"),
            publish=env.get("CITYSTATS_PUBLISH") or str(data_dir / "published"),
            warehouse_url=env.get("CITYSTATS_WAREHOUSE_URL")
            or f"sqlite:///{data_dir / 'warehouse.sqlite'}",
            state=env.get("CITYSTATS_STATE") or str(data_dir / "state"),
            submission_limits=_limits(env, "CITYSTATS_MAX_FILE_BYTES", SUBMISSION_LIMITS),
            registry_limits=_limits(env, "CITYSTATS_MAX_REGISTRY_BYTES", REGISTRY_LIMITS),
            check_chunk_counties=_positive(
                env, "CITYSTATS_CHECK_CHUNK_COUNTIES", DEFAULT_CHECK_CHUNK_COUNTIES
            ),
        )


def _limits(env, variable: str, defaults: ReadLimits) -> ReadLimits:
    """The default limits, with the byte limit from `variable` when it is set."""
    return replace(defaults, max_bytes=_positive(env, variable, defaults.max_bytes))


def _positive(env, variable: str, default: int) -> int:
    value = env.get(variable)
    if not value:
        return default
    if not value.isdigit() or int(value) == 0:
        raise ValueError(f"{variable} must be a positive whole number, not {value!r}")
    return int(value)
