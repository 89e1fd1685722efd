"""Warehouse tables, defined once: the code, the CSVs and the data dictionary all read them.

Each column's `comment` is its meaning; `info` carries the unit and how the
value aggregates over counties and over time (docs/data-dictionary.md is
generated from here).
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    Float,
    Integer,
    MetaData,
    String,
    Table,
    Text,
)

metadata = MetaData()

COUNT = "count"
WAN_YUAN = "万元 (10,000 CNY)"
FRACTION = "fraction 0–1"
PERCENT = "percent"


def _col(name, type_, meaning, unit="", aggregation="", **kwargs) -> Column:
    return Column(
        name, type_, comment=meaning, info={"unit": unit, "aggregation": aggregation}, **kwargs
    )


def _period_keys(period_column: Column) -> list[Column]:
    return [
        period_column,
        _col(
            "county_code",
            String(6),
            "GB/T 2260 code of the county; the city code on the city row",
            primary_key=True,
        ),
        _col("county_name", String(64), "name of the county, or of the city on the city row"),
        _col(
            "status",
            String(16),
            "accepted, rejected or missing; city row: accepted when every county is, else partial",
        ),
        _col(
            "revision",
            Integer,
            "1 when the row is first published, +1 each time its values change",
            aggregation="none",
        ),
    ]


county_daily = Table(
    "county_daily",
    metadata,
    *_period_keys(
        _col(
            "report_date",
            Date,
            "data date (the run's logical date in the city timezone)",
            primary_key=True,
        )
    ),
    _col(
        "enterprises_in_scope",
        Integer,
        "registry enterprises of the county in scope on the date",
        COUNT,
        "sum; stock (last value over time)",
    ),
    _col(
        "enterprises_reported",
        Integer,
        "distinct enterprises in the accepted file",
        COUNT,
        "sum; stock (last value over time)",
    ),
    _col(
        "enterprises_resumed",
        Integer,
        "reported enterprises with resumed = true",
        COUNT,
        "sum; stock (last value over time)",
    ),
    _col(
        "resumed_today",
        Integer,
        "reported enterprises whose resumed_on is the data date",
        COUNT,
        "sum; flow (sum over time)",
    ),
    _col(
        "resumption_rate",
        Float,
        "enterprises_resumed / enterprises_in_scope",
        FRACTION,
        "ratio of sums",
    ),
    _col(
        "key_in_scope",
        Integer,
        "key enterprises (重点企业) in scope on the date",
        COUNT,
        "sum; stock (last value over time)",
    ),
    _col(
        "key_resumed",
        Integer,
        "reported key enterprises with resumed = true",
        COUNT,
        "sum; stock (last value over time)",
    ),
    _col(
        "employees_total",
        BigInteger,
        "sum of employees_total over reported enterprises",
        "persons",
        "sum; stock (last value over time)",
    ),
    _col(
        "employees_on_site",
        BigInteger,
        "sum of employees_on_site over reported enterprises",
        "persons",
        "sum; stock (last value over time)",
    ),
    _col("on_site_rate", Float, "employees_on_site / employees_total", FRACTION, "ratio of sums"),
    _col(
        "capacity_pct",
        Float,
        "mean capacity_pct over resumed enterprises, weighted by employees_total",
        PERCENT,
        "weighted mean (weights: employees_total of resumed enterprises)",
    ),
    _col(
        "mask_shortage",
        BigInteger,
        "sum of reported mask shortages",
        "masks",
        "sum; state (peak over time)",
    ),
    _col(
        "thermometer_shortage",
        BigInteger,
        "sum of reported thermometer shortages",
        "thermometers",
        "sum; state (peak over time)",
    ),
    _col(
        "difficulties_reported",
        Integer,
        "reported enterprises with a non-empty difficulties text",
        COUNT,
        "sum; state (last value over time)",
    ),
)

county_quarterly = Table(
    "county_quarterly",
    metadata,
    *_period_keys(_col("report_quarter", String(6), "quarter, YYYYQn", primary_key=True)),
    _col(
        "enterprises_reported", Integer, "distinct enterprises in the accepted file", COUNT, "sum"
    ),
    _col(
        "output_value",
        Float,
        "gross industrial output of the quarter, current prices",
        WAN_YUAN,
        "sum",
    ),
    _col(
        "output_value_prior",
        Float,
        "same-scope output of the same quarter a year earlier",
        WAN_YUAN,
        "sum",
    ),
    _col(
        "output_yoy_pct",
        Float,
        "(output_value / output_value_prior − 1) × 100",
        PERCENT,
        "ratio of sums",
    ),
    _col("value_added", Float, "industrial value added of the quarter", WAN_YUAN, "sum"),
    _col("value_added_prior", Float, "same-scope value added a year earlier", WAN_YUAN, "sum"),
    _col(
        "value_added_yoy_pct",
        Float,
        "(value_added / value_added_prior − 1) × 100",
        PERCENT,
        "ratio of sums",
    ),
    _col(
        "output_value_ytd",
        Float,
        "output summed over the year's quarters so far",
        WAN_YUAN,
        "sum over complete counties",
    ),
    _col(
        "output_value_ytd_prior",
        Float,
        "same-scope prior-year output over the same quarters",
        WAN_YUAN,
        "sum over complete counties",
    ),
    _col(
        "output_ytd_yoy_pct",
        Float,
        "(output_value_ytd / output_value_ytd_prior − 1) × 100",
        PERCENT,
        "ratio of sums",
    ),
    _col(
        "value_added_ytd",
        Float,
        "value added summed over the year's quarters so far",
        WAN_YUAN,
        "sum over complete counties",
    ),
    _col(
        "value_added_ytd_prior",
        Float,
        "same-scope prior-year value added, same quarters",
        WAN_YUAN,
        "sum over complete counties",
    ),
    _col(
        "value_added_ytd_yoy_pct",
        Float,
        "(value_added_ytd / value_added_ytd_prior − 1) × 100",
        PERCENT,
        "ratio of sums",
    ),
)

submissions_log = Table(
    "submissions_log",
    metadata,
    _col("kind", String(16), "daily or quarterly", primary_key=True),
    _col("period", String(10), "data date (YYYY-MM-DD) or quarter (YYYYQn)", primary_key=True),
    _col("county_code", String(6), "county the submission is for", primary_key=True),
    _col("file_name", Text, "file(s) found in the landing zone; empty when missing"),
    _col("content_sha256", String(64), "sha256 of the file content (of all files if ambiguous)"),
    _col(
        "arrived_at", DateTime(timezone=True), "modification time of the file in the landing zone"
    ),
    _col("on_time", Boolean, "arrived before the configured deadline"),
    _col("outcome", String(16), "accepted, rejected or missing"),
    _col("error_count", Integer, "number of failed error rules", COUNT),
    _col("warning_count", Integer, "number of warning rules raised", COUNT),
    _col("reasons", Text, "the reasons of every failed rule, one per line"),
    # The signature block at the foot of the county's form, as written there: whom the
    # city office calls about the file. Empty when the form has no such line.
    _col("unit_head", Text, "head of the reporting unit, from the form's signature block"),
    _col("statistics_head", Text, "head of statistics, from the form's signature block"),
    _col("reviewer", Text, "who reviewed the form, from its signature block"),
    _col("filled_by", Text, "who filled the form, from its signature block"),
    _col("contact_phone", Text, "contact phone from the form's signature block, as written"),
    _col("reported_on", Text, "date the form was reported (报出日期 or 填报日期), as written"),
)

validation_findings = Table(
    "validation_findings",
    metadata,
    _col("kind", String(16), "daily or quarterly"),
    _col("period", String(10), "data date or quarter"),
    _col("county_code", String(6), "county of the file"),
    _col("file_name", Text, "file the finding is about"),
    _col("rule", String(64), "rule identifier"),
    _col("severity", String(8), "error or warning"),
    _col("message", Text, "what the rule says"),
    _col("row_count", Integer, "rows that break the rule", COUNT),
    _col("rows", Text, "source rows (1-based, as in the file), first 20"),
    _col("rule_values", Text, "offending values, first 20"),
    _col(
        "explanations",
        Text,
        "JSON list of the county's 说明 of each quoted row, when it explains a warning",
    ),
)

daily_submission_rows = Table(
    "daily_submission_rows",
    metadata,
    _col("report_date", Date, "data date", primary_key=True),
    _col("county_code", String(6), "county", primary_key=True),
    _col("enterprise_id", String(18), "unified social credit code", primary_key=True),
    _col("enterprise_name", Text, "enterprise name"),
    _col("resumed", Boolean, "resumed work"),
    _col("resumed_on", Date, "date work resumed"),
    _col("employees_total", BigInteger, "employees", "persons"),
    _col("employees_on_site", BigInteger, "employees on site", "persons"),
    _col("capacity_pct", Float, "capacity restored", PERCENT),
    _col("mask_shortage", BigInteger, "masks short", "masks"),
    _col("thermometer_shortage", BigInteger, "thermometers short", "thermometers"),
    _col("difficulties", Text, "difficulties reported"),
)

quarterly_submission_rows = Table(
    "quarterly_submission_rows",
    metadata,
    _col("report_quarter", String(6), "quarter", primary_key=True),
    _col("county_code", String(6), "county", primary_key=True),
    _col("enterprise_id", String(18), "unified social credit code", primary_key=True),
    _col("enterprise_name", Text, "enterprise name"),
    _col("industry_code", String(2), "GB/T 4754-2017 division"),
    _col("output_value", Float, "gross industrial output", WAN_YUAN),
    _col("value_added", Float, "industrial value added", WAN_YUAN),
    _col("output_value_prior", Float, "same-scope output a year earlier", WAN_YUAN),
    _col("value_added_prior", Float, "same-scope value added a year earlier", WAN_YUAN),
)

publications = Table(
    "publications",
    metadata,
    _col(
        "kind", String(16), "published folder: daily, quarterly or daily_summary", primary_key=True
    ),
    _col("period", String(10), "data date or quarter", primary_key=True),
    _col("revision", Integer, "highest row revision in the publication"),
    _col("content_sha256", String(64), "sha256 over the published table"),
    _col("published_at", DateTime(timezone=True), "when this content was first published"),
)

# How each daily figure rolls up over the days of a quarter (the `aggregation` of each column
# below says which applies); county rows and the city row are rolled up the same way, the
# city row from the city's own daily rows.
LAST_VALUE = "last value: the figure on last_data_date (stock or state at quarter end)"
SUM_OVER_DAYS = "sum over the quarter's days (flow)"
PEAK_OVER_DAYS = "peak: maximum over the quarter's days"
MEAN_OVER_DAYS = "mean over the reported days (each reported day weighs the same)"
RATIO_OF_QUARTER_END = "ratio of the quarter-end (last value) numerator and denominator"
RATIO_OF_DAY_SUMS = "ratio of numerator and denominator each summed over the quarter's days"
COUNTY_DAYS = "days (city row: county-days, summed over counties)"

county_quarter_daily_summary = Table(
    "county_quarter_daily_summary",
    metadata,
    _col("report_quarter", String(6), "quarter, YYYYQn", primary_key=True),
    _col(
        "county_code",
        String(6),
        "GB/T 2260 code of the county; the city code on the city row",
        primary_key=True,
    ),
    _col("county_name", String(64), "name of the county, or of the city on the city row"),
    _col(
        "status",
        String(16),
        "the row's county_daily status on last_data_date (accepted, rejected, missing; "
        "city row: accepted or partial): the quarter-end values are that day's",
    ),
    _col(
        "revision",
        Integer,
        "1 when the row is first published, +1 each time its values change",
        aggregation="none",
    ),
    _col("first_data_date", Date, "first data date of the quarter in county_daily"),
    _col(
        "last_data_date",
        Date,
        "last data date of the quarter in county_daily: the date of the quarter-end values",
    ),
    _col(
        "days_expected",
        Integer,
        "data dates of the quarter the daily report ran for (a county_daily row exists)",
        COUNTY_DAYS,
        "count of days",
    ),
    _col(
        "days_reported",
        Integer,
        "of days_expected, the days the county's file was accepted",
        COUNTY_DAYS,
        "count of days",
    ),
    _col(
        "reporting_completeness",
        Float,
        "days_reported / days_expected",
        FRACTION,
        RATIO_OF_DAY_SUMS,
    ),
    _col(
        "days_on_time",
        Integer,
        "of days_expected, the days the county's file arrived by the daily deadline",
        COUNTY_DAYS,
        "count of days",
    ),
    _col("on_time_rate", Float, "days_on_time / days_expected", FRACTION, RATIO_OF_DAY_SUMS),
    _col(
        "enterprises_in_scope",
        Integer,
        "registry enterprises in scope at quarter end",
        COUNT,
        LAST_VALUE,
    ),
    _col(
        "enterprises_reported",
        Integer,
        "enterprises in the accepted file at quarter end",
        COUNT,
        LAST_VALUE,
    ),
    _col("enterprises_resumed", Integer, "enterprises resumed at quarter end", COUNT, LAST_VALUE),
    _col(
        "resumption_rate",
        Float,
        "enterprises_resumed / enterprises_in_scope at quarter end",
        FRACTION,
        RATIO_OF_QUARTER_END,
    ),
    _col(
        "resumed_in_quarter",
        Integer,
        "enterprises that resumed during the quarter: resumed_today summed over the days",
        COUNT,
        SUM_OVER_DAYS,
    ),
    _col("key_in_scope", Integer, "key enterprises in scope at quarter end", COUNT, LAST_VALUE),
    _col("key_resumed", Integer, "key enterprises resumed at quarter end", COUNT, LAST_VALUE),
    _col(
        "employees_total",
        BigInteger,
        "employees of the reported enterprises at quarter end",
        "persons",
        LAST_VALUE,
    ),
    _col(
        "employees_on_site",
        BigInteger,
        "employees on site at quarter end",
        "persons",
        LAST_VALUE,
    ),
    _col(
        "on_site_rate",
        Float,
        "on-site person-days / employee-days over the quarter: Σ employees_on_site / "
        "Σ employees_total over the days",
        FRACTION,
        RATIO_OF_DAY_SUMS,
    ),
    _col(
        "capacity_pct",
        Float,
        "average capacity restored over the quarter: mean of the daily capacity_pct",
        PERCENT,
        MEAN_OVER_DAYS,
    ),
    _col(
        "mask_shortage_peak",
        BigInteger,
        "largest daily mask shortage of the quarter",
        "masks",
        PEAK_OVER_DAYS,
    ),
    _col(
        "thermometer_shortage_peak",
        BigInteger,
        "largest daily thermometer shortage of the quarter",
        "thermometers",
        PEAK_OVER_DAYS,
    ),
    _col(
        "difficulties_reported",
        Integer,
        "enterprises reporting difficulties at quarter end",
        COUNT,
        LAST_VALUE,
    ),
)

# What the daily reports show beside county_daily, kept per date so that analysts read the
# whole history: the kinds and industries are merged with county_daily, in the same
# transaction; the ledger is recorded when the date publishes (its days since the last
# report read the earlier dates, all staged only by then).
key_enterprise_daily = Table(
    "key_enterprise_daily",
    metadata,
    _col("report_date", Date, "data date", primary_key=True),
    _col(
        "enterprise_id",
        String(18),
        "unified social credit code of a key enterprise (重点企业) in scope on the date",
        primary_key=True,
    ),
    _col("county_code", String(6), "county the enterprise is registered in"),
    _col("county_name", String(64), "name of the county"),
    _col("enterprise_name", Text, "enterprise name"),
    _col("grid_officer", Text, "grid officer (网格员) following the enterprise, from the registry"),
    _col("grid_officer_phone", Text, "the grid officer's phone, from the registry"),
    _col(
        "resumed",
        Boolean,
        "resumed work, as the enterprise reported that day; empty when it did not report",
    ),
    _col("resumed_on", Date, "date work resumed, as reported that day"),
    _col("employees_total", BigInteger, "employees, as reported that day", "persons", "sum"),
    _col(
        "employees_on_site", BigInteger, "employees on site, as reported that day", "persons", "sum"
    ),
    _col("capacity_pct", Float, "capacity restored, as reported that day", PERCENT, "none"),
    _col("difficulties", Text, "the difficulties the enterprise wrote that day"),
    _col(
        "last_reported_on",
        Date,
        "latest date up to this one with an accepted row of the enterprise, within the "
        "report's 92-day window; empty: none",
    ),
    _col(
        "days_since_reported",
        Integer,
        "report_date minus last_reported_on (0: reported that day)",
        "days",
        "none",
    ),
)

difficulty_kinds_daily = Table(
    "difficulty_kinds_daily",
    metadata,
    _col("report_date", Date, "data date", primary_key=True),
    _col("county_code", String(6), "county whose enterprises raised the items", primary_key=True),
    _col(
        "kind",
        String(32),
        "difficulty kind id from transforms/merge/difficulty_kinds.toml (masks, thermometers, "
        "disinfectant, labour, logistics, materials, funding, orders, other)",
        primary_key=True,
    ),
    _col("kind_name", String(32), "the kind's Chinese name, as the reports show it"),
    _col(
        "kind_group",
        String(32),
        "防疫物资 for the epidemic supplies, else the kind's own name",
    ),
    _col(
        "items",
        Integer,
        "difficulties of this kind in the county's accepted rows that day (one enterprise's "
        "text may name several)",
        COUNT,
        "sum",
    ),
)

industry_daily = Table(
    "industry_daily",
    metadata,
    _col("report_date", Date, "data date", primary_key=True),
    _col(
        "industry_code",
        String(2),
        "GB/T 4754-2017 division of the registry's enterprises (06–46)",
        primary_key=True,
    ),
    _col("industry_name", String(64), "the division's Chinese name"),
    _col(
        "enterprises_in_scope",
        Integer,
        "registry enterprises of the division in scope on the date, in the counties whose "
        "file was accepted (on time or late)",
        COUNT,
        "sum",
    ),
    _col("enterprises_resumed", Integer, "of those, reported as resumed", COUNT, "sum"),
    _col(
        "resumption_rate",
        Float,
        "enterprises_resumed / enterprises_in_scope",
        FRACTION,
        "ratio of the sums",
    ),
)

# Approval (审定) of published periods, DHIS2's data approval as the model: every approve and
# unlock is kept; a period's latest event decides whether it is locked.
period_approvals = Table(
    "period_approvals",
    metadata,
    _col("kind", String(16), "daily or quarterly", primary_key=True),
    _col("period", String(10), "data date (YYYY-MM-DD) or quarter (YYYYQn)", primary_key=True),
    _col(
        "sequence",
        Integer,
        "1 for the period's first approve or unlock, +1 for each after it",
        primary_key=True,
    ),
    _col("action", String(8), "approve (locks the period) or unlock"),
    _col("revision", Integer, "the published revision approved, or current when unlocked"),
    _col("actor", Text, "who approved or unlocked, as the operator gave it"),
    _col("recorded_at", DateTime(timezone=True), "when the action was recorded"),
)

held_submissions = Table(
    "held_submissions",
    metadata,
    _col("kind", String(16), "daily or quarterly", primary_key=True),
    _col("period", String(10), "the approved period the submission is for", primary_key=True),
    _col("county_code", String(6), "county that resubmitted", primary_key=True),
    _col("file_name", Text, "file(s) found in the landing zone; empty when taken back"),
    _col("content_sha256", String(64), "sha256 of the held content"),
    _col("arrived_at", DateTime(timezone=True), "modification time of the file"),
    _col("outcome", String(16), "what the check made of it: accepted, rejected or missing"),
    _col("error_count", Integer, "number of failed error rules", COUNT),
    _col("warning_count", Integer, "number of warning rules raised", COUNT),
    _col("reasons", Text, "the reasons of every failed rule, one per line"),
)

industry_quarterly = Table(
    "industry_quarterly",
    metadata,
    _col("report_quarter", String(6), "quarter, YYYYQn", primary_key=True),
    _col(
        "industry_code",
        String(2),
        "GB/T 4754-2017 division of the quarter's accepted enterprise rows (06–46)",
        primary_key=True,
    ),
    _col("industry_name", String(64), "the division's Chinese name"),
    _col("output_value", Float, "gross industrial output of the division", WAN_YUAN, "sum"),
    _col("output_value_prior", Float, "same-scope output a year earlier", WAN_YUAN, "sum"),
    _col("value_added", Float, "industrial value added of the division", WAN_YUAN, "sum"),
    _col("value_added_prior", Float, "same-scope value added a year earlier", WAN_YUAN, "sum"),
    _col(
        "output_value_yoy_pct",
        Float,
        "(output_value / output_value_prior − 1) × 100",
        PERCENT,
        "recompute from the sums",
    ),
    _col(
        "output_value_contribution_points",
        Float,
        "拉动: (output_value − output_value_prior) / the city's total prior output × 100",
        "percentage points",
        "sum (over divisions: the city's growth)",
    ),
    _col(
        "value_added_yoy_pct",
        Float,
        "(value_added / value_added_prior − 1) × 100",
        PERCENT,
        "recompute from the sums",
    ),
    _col(
        "value_added_contribution_points",
        Float,
        "拉动: (value_added − value_added_prior) / the city's total prior value added × 100",
        "percentage points",
        "sum (over divisions: the city's growth)",
    ),
)

# The tables published whole for analysts, <publish>/tables/<name>.parquet, in the index's order.
ANALYST_TABLES = (
    county_daily,
    county_quarterly,
    county_quarter_daily_summary,
    key_enterprise_daily,
    difficulty_kinds_daily,
    industry_daily,
    industry_quarterly,
    submissions_log,
)

# Each replace of an analyst table's partition gives it a new version, in the same transaction;
# a publish folder's file of the table records the versions it was built from, so that a refresh
# reads only the partitions written since (include/publish/analyst_files.py).
partition_versions = Table(
    "partition_versions",
    metadata,
    _col("table_name", String(64), "analyst table", primary_key=True),
    _col(
        "partition_key",
        String(256),
        "the partition's columns and values as JSON, dates as YYYY-MM-DD",
        primary_key=True,
    ),
    _col("version", String(32), "a new random value each time the partition's rows are replaced"),
)

published_partitions = Table(
    "published_partitions",
    metadata,
    _col("publish_root", String(64), "sha256 of the publish folder's location", primary_key=True),
    _col("table_name", String(64), "analyst table", primary_key=True),
    _col("partition_key", String(256), "as in partition_versions", primary_key=True),
    _col("version", String(32), "the partition's version the folder's file holds"),
)
