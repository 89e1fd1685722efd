from __future__ import annotations

from datetime import datetime, time

import pytest
from pydantic import ValidationError

from include.config import Settings, load_city_config

MADE_UP_CITY = """
code = "990100"
name = "示例市"
timezone = "Asia/Urumqi"
retired_codes = ["990199"]

[schedule]
nightly_run = "21:30"
daily_deadline = "18:00"
missing_cutoff = "23:00"

[[counties]]
code = "990102"
name = "东区"

[[counties]]
code = "990103"
name = "西区"
"""


def test_default_city_is_shaoguan_with_its_ten_counties():
    city = load_city_config()
    assert (city.code, city.name, city.timezone) == ("440200", "韶关市", "Asia/Shanghai")
    assert city.county_codes == (
        "440203",
        "440204",
        "440205",
        "440222",
        "440224",
        "440229",
        "440232",
        "440233",
        "440281",
        "440282",
    )
    assert city.county_names["440232"] == "乳源瑶族自治县"
    assert "440202" in city.retired_codes and "440202" not in city.county_codes
    assert city.schedule.nightly_cron == "0 22 * * *"


def test_a_second_city_is_a_config_file(tmp_path, monkeypatch):
    path = tmp_path / "city.toml"
    path.write_text(MADE_UP_CITY, encoding="utf-8")
    monkeypatch.setenv("CITYSTATS_CITY_CONFIG", str(path))
    city = load_city_config()
    assert city.county_names == {"990102": "东区", "990103": "西区"}
    assert str(city.tz) == "Asia/Urumqi"
    assert city.schedule.daily_deadline == time(18, 0)
    assert city.schedule.nightly_cron == "30 21 * * *"


@pytest.mark.parametrize(
    ("change", "complaint"),
    [
        (('code = "990103"', 'code = "990102"'), "listed twice"),
        (('code = "990103"', 'code = "9901"'), "six-digit"),
        (('timezone = "Asia/Urumqi"', 'timezone = "Mars/Olympus"'), "unknown timezone"),
        (('code = "990103"', 'code = "990199"'), "retired codes"),
        (('missing_cutoff = "23:00"', 'missing_cutoff = "20:00"'), "missing_cutoff"),
        (
            ('daily_deadline = "18:00"', 'daily_deadline = "18:00"\ndeadline_holiday_rule = "yes"'),
            "deadline_holiday_rule must be 'postpone_statutory' or 'none', not 'yes'",
        ),
        (
            (
                'daily_deadline = "18:00"',
                'daily_deadline = "18:00"\ndaily_deadline_holiday_rule = "postpone"',
            ),
            "daily_deadline_holiday_rule must be 'postpone_statutory' or 'none'",
        ),
    ],
)
def test_invalid_city_configs_are_refused_with_a_reason(tmp_path, change, complaint):
    old, new = change
    path = tmp_path / "city.toml"
    path.write_text(MADE_UP_CITY.replace(old, new), encoding="utf-8")
    with pytest.raises(ValidationError, match=complaint):
        load_city_config(path)


def test_shaoguan_postpones_quarterly_deadlines_for_statutory_holidays_not_daily_ones():
    city = load_city_config()
    assert city.schedule.deadline_holiday_rule == "postpone_statutory"
    assert city.schedule.daily_deadline_holiday_rule == "none"
    # 15 days after 2020Q3: Thursday 15 October, a working day
    assert city.quarterly_deadline_of("2020Q3") == datetime(2020, 10, 16, tzinfo=city.tz)
    # Monday 5 October 2020 is in the National Day holiday, yet daily files stay due that day
    assert city.daily_deadline_of(datetime(2020, 10, 5).date()) == datetime(
        2020, 10, 5, 20, tzinfo=city.tz
    )


def test_a_city_without_a_holiday_rule_never_moves_its_deadlines(tmp_path):
    path = tmp_path / "city.toml"
    path.write_text(MADE_UP_CITY, encoding="utf-8")
    city = load_city_config(path)
    assert city.schedule.deadline_holiday_rule == "none"
    assert city.schedule.daily_deadline_holiday_rule == "none"


def test_the_holiday_rules_govern_the_city_deadlines(tmp_path):
    path = tmp_path / "city.toml"
    path.write_text(
        MADE_UP_CITY.replace(
            'daily_deadline = "18:00"',
            'daily_deadline = "18:00"\nquarterly_deadline_days = 5\n'
            'deadline_holiday_rule = "postpone_statutory"\n'
            'daily_deadline_holiday_rule = "postpone_statutory"',
        ),
        encoding="utf-8",
    )
    city = load_city_config(path)
    # 5 October 2020, in the National Day holiday (1–8 October): Friday 9 October
    assert city.quarterly_deadline_of("2020Q3") == datetime(2020, 10, 10, tzinfo=city.tz)
    assert city.daily_deadline_of(datetime(2020, 10, 5).date()) == datetime(
        2020, 10, 9, 18, tzinfo=city.tz
    )


def test_settings_come_from_citystats_variables(tmp_path):
    settings = Settings.from_env(
        {
            "CITYSTATS_LANDING": "s3://bucket/landing",
            "CITYSTATS_PUBLISH": str(tmp_path),
            "CITYSTATS_WAREHOUSE_URL": "postgresql+psycopg2://u@h/db",
        }
    )
    assert settings.landing == "s3://bucket/landing"
    assert settings.publish == str(tmp_path)
    assert settings.warehouse_url.startswith("postgresql")


def test_settings_default_under_data(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    settings = Settings.from_env({})
    assert settings.landing == str(tmp_path / "data" / "landing")
    assert settings.warehouse_url == f"sqlite:///{tmp_path / 'data' / 'warehouse.sqlite'}"


def test_the_byte_limits_come_from_citystats_variables():
    settings = Settings.from_env(
        {"CITYSTATS_MAX_FILE_BYTES": "1000", "CITYSTATS_MAX_REGISTRY_BYTES": "90000000"}
    )
    assert settings.submission_limits.max_bytes == 1000
    assert settings.registry_limits.max_bytes == 90_000_000
    assert settings.registry_limits.max_rows == Settings.from_env({}).registry_limits.max_rows
    with pytest.raises(ValueError, match="CITYSTATS_MAX_FILE_BYTES"):
        Settings.from_env({"CITYSTATS_MAX_FILE_BYTES": "20MB"})
