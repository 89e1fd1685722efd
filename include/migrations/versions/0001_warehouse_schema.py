"""The warehouse schema as include/tables.py defined it when Alembic took the schema over.

Revision ID: 0001
Revises:
Create Date: 2026-12-02

On an empty database this creates every table. A warehouse made before, by the code that
created the tables whenever it opened an engine (`metadata.create_all` plus `ALTER TABLE ADD
COLUMN` for columns a newer table defined), is taken over instead: its tables are kept with
their rows, a table it lacks is created and a column it lacks is added, so that after this
revision every warehouse has the same schema, whatever version of the code made it.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import context, op

revision: str = "0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = (
    "county_daily",
    "county_quarterly",
    "submissions_log",
    "validation_findings",
    "daily_submission_rows",
    "quarterly_submission_rows",
    "publications",
    "county_quarter_daily_summary",
)


def _create_or_complete(name: str, *elements: sa.Column | sa.Constraint) -> None:
    """Create the table, or complete an existing one (made before Alembic): add the columns
    it lacks, and give its columns their comments where the database keeps comments."""
    if context.is_offline_mode():
        op.create_table(name, *elements)
        return
    bind = op.get_bind()
    inspector = sa.inspect(bind)
    if not inspector.has_table(name):
        op.create_table(name, *elements)
        return
    present = {column["name"]: column for column in inspector.get_columns(name)}
    for column in elements:
        if not isinstance(column, sa.Column):
            continue
        if column.name not in present:
            # Keys were there from the first version of each table; only nullable value
            # columns were ever added to one.
            op.add_column(name, column)
        elif (
            bind.dialect.supports_comments and present[column.name].get("comment") != column.comment
        ):
            op.alter_column(
                name,
                column.name,
                comment=column.comment,
                existing_type=column.type,
                existing_nullable=column.nullable,
            )


def upgrade() -> None:
    _create_or_complete(
        "county_daily",
        sa.Column(
            "report_date",
            sa.Date(),
            nullable=False,
            comment="data date (the run's logical date in the city timezone)",
        ),
        sa.Column(
            "county_code",
            sa.String(length=6),
            nullable=False,
            comment="GB/T 2260 code of the county; the city code on the city row",
        ),
        sa.Column(
            "county_name",
            sa.String(length=64),
            nullable=True,
            comment="name of the county, or of the city on the city row",
        ),
        sa.Column(
            "status",
            sa.String(length=16),
            nullable=True,
            comment="accepted, rejected or missing; city row: accepted when every county is, else partial",
        ),
        sa.Column(
            "revision",
            sa.Integer(),
            nullable=True,
            comment="1 when the row is first published, +1 each time its values change",
        ),
        sa.Column(
            "enterprises_in_scope",
            sa.Integer(),
            nullable=True,
            comment="registry enterprises of the county in scope on the date",
        ),
        sa.Column(
            "enterprises_reported",
            sa.Integer(),
            nullable=True,
            comment="distinct enterprises in the accepted file",
        ),
        sa.Column(
            "enterprises_resumed",
            sa.Integer(),
            nullable=True,
            comment="reported enterprises with resumed = true",
        ),
        sa.Column(
            "resumed_today",
            sa.Integer(),
            nullable=True,
            comment="reported enterprises whose resumed_on is the data date",
        ),
        sa.Column(
            "resumption_rate",
            sa.Float(),
            nullable=True,
            comment="enterprises_resumed / enterprises_in_scope",
        ),
        sa.Column(
            "key_in_scope",
            sa.Integer(),
            nullable=True,
            comment="key enterprises (重点企业) in scope on the date",
        ),
        sa.Column(
            "key_resumed",
            sa.Integer(),
            nullable=True,
            comment="reported key enterprises with resumed = true",
        ),
        sa.Column(
            "employees_total",
            sa.BigInteger(),
            nullable=True,
            comment="sum of employees_total over reported enterprises",
        ),
        sa.Column(
            "employees_on_site",
            sa.BigInteger(),
            nullable=True,
            comment="sum of employees_on_site over reported enterprises",
        ),
        sa.Column(
            "on_site_rate", sa.Float(), nullable=True, comment="employees_on_site / employees_total"
        ),
        sa.Column(
            "capacity_pct",
            sa.Float(),
            nullable=True,
            comment="mean capacity_pct over resumed enterprises, weighted by employees_total",
        ),
        sa.Column(
            "mask_shortage",
            sa.BigInteger(),
            nullable=True,
            comment="sum of reported mask shortages",
        ),
        sa.Column(
            "thermometer_shortage",
            sa.BigInteger(),
            nullable=True,
            comment="sum of reported thermometer shortages",
        ),
        sa.Column(
            "difficulties_reported",
            sa.Integer(),
            nullable=True,
            comment="reported enterprises with a non-empty difficulties text",
        ),
        sa.PrimaryKeyConstraint("report_date", "county_code"),
    )
    _create_or_complete(
        "county_quarterly",
        sa.Column("report_quarter", sa.String(length=6), nullable=False, comment="quarter, YYYYQn"),
        sa.Column(
            "county_code",
            sa.String(length=6),
            nullable=False,
            comment="GB/T 2260 code of the county; the city code on the city row",
        ),
        sa.Column(
            "county_name",
            sa.String(length=64),
            nullable=True,
            comment="name of the county, or of the city on the city row",
        ),
        sa.Column(
            "status",
            sa.String(length=16),
            nullable=True,
            comment="accepted, rejected or missing; city row: accepted when every county is, else partial",
        ),
        sa.Column(
            "revision",
            sa.Integer(),
            nullable=True,
            comment="1 when the row is first published, +1 each time its values change",
        ),
        sa.Column(
            "enterprises_reported",
            sa.Integer(),
            nullable=True,
            comment="distinct enterprises in the accepted file",
        ),
        sa.Column(
            "output_value",
            sa.Float(),
            nullable=True,
            comment="gross industrial output of the quarter, current prices",
        ),
        sa.Column(
            "output_value_prior",
            sa.Float(),
            nullable=True,
            comment="same-scope output of the same quarter a year earlier",
        ),
        sa.Column(
            "output_yoy_pct",
            sa.Float(),
            nullable=True,
            comment="(output_value / output_value_prior − 1) × 100",
        ),
        sa.Column(
            "value_added",
            sa.Float(),
            nullable=True,
            comment="industrial value added of the quarter",
        ),
        sa.Column(
            "value_added_prior",
            sa.Float(),
            nullable=True,
            comment="same-scope value added a year earlier",
        ),
        sa.Column(
            "value_added_yoy_pct",
            sa.Float(),
            nullable=True,
            comment="(value_added / value_added_prior − 1) × 100",
        ),
        sa.Column(
            "output_value_ytd",
            sa.Float(),
            nullable=True,
            comment="output summed over the year's quarters so far",
        ),
        sa.Column(
            "output_value_ytd_prior",
            sa.Float(),
            nullable=True,
            comment="same-scope prior-year output over the same quarters",
        ),
        sa.Column(
            "output_ytd_yoy_pct",
            sa.Float(),
            nullable=True,
            comment="(output_value_ytd / output_value_ytd_prior − 1) × 100",
        ),
        sa.Column(
            "value_added_ytd",
            sa.Float(),
            nullable=True,
            comment="value added summed over the year's quarters so far",
        ),
        sa.Column(
            "value_added_ytd_prior",
            sa.Float(),
            nullable=True,
            comment="same-scope prior-year value added, same quarters",
        ),
        sa.Column(
            "value_added_ytd_yoy_pct",
            sa.Float(),
            nullable=True,
            comment="(value_added_ytd / value_added_ytd_prior − 1) × 100",
        ),
        sa.PrimaryKeyConstraint("report_quarter", "county_code"),
    )
    _create_or_complete(
        "submissions_log",
        sa.Column("kind", sa.String(length=16), nullable=False, comment="daily or quarterly"),
        sa.Column(
            "period",
            sa.String(length=10),
            nullable=False,
            comment="data date (YYYY-MM-DD) or quarter (YYYYQn)",
        ),
        sa.Column(
            "county_code",
            sa.String(length=6),
            nullable=False,
            comment="county the submission is for",
        ),
        sa.Column(
            "file_name",
            sa.Text(),
            nullable=True,
            comment="file(s) found in the landing zone; empty when missing",
        ),
        sa.Column(
            "content_sha256",
            sa.String(length=64),
            nullable=True,
            comment="sha256 of the file content (of all files if ambiguous)",
        ),
        sa.Column(
            "arrived_at",
            sa.DateTime(timezone=True),
            nullable=True,
            comment="modification time of the file in the landing zone",
        ),
        sa.Column(
            "on_time", sa.Boolean(), nullable=True, comment="arrived before the configured deadline"
        ),
        sa.Column(
            "outcome", sa.String(length=16), nullable=True, comment="accepted, rejected or missing"
        ),
        sa.Column(
            "error_count", sa.Integer(), nullable=True, comment="number of failed error rules"
        ),
        sa.Column(
            "warning_count", sa.Integer(), nullable=True, comment="number of warning rules raised"
        ),
        sa.Column(
            "reasons",
            sa.Text(),
            nullable=True,
            comment="the reasons of every failed rule, one per line",
        ),
        sa.Column(
            "unit_head",
            sa.Text(),
            nullable=True,
            comment="head of the reporting unit, from the form's signature block",
        ),
        sa.Column(
            "statistics_head",
            sa.Text(),
            nullable=True,
            comment="head of statistics, from the form's signature block",
        ),
        sa.Column(
            "reviewer",
            sa.Text(),
            nullable=True,
            comment="who reviewed the form, from its signature block",
        ),
        sa.Column(
            "filled_by",
            sa.Text(),
            nullable=True,
            comment="who filled the form, from its signature block",
        ),
        sa.Column(
            "contact_phone",
            sa.Text(),
            nullable=True,
            comment="contact phone from the form's signature block, as written",
        ),
        sa.Column(
            "reported_on",
            sa.Text(),
            nullable=True,
            comment="date the form was reported (报出日期 or 填报日期), as written",
        ),
        sa.PrimaryKeyConstraint("kind", "period", "county_code"),
    )
    _create_or_complete(
        "validation_findings",
        sa.Column("kind", sa.String(length=16), nullable=True, comment="daily or quarterly"),
        sa.Column("period", sa.String(length=10), nullable=True, comment="data date or quarter"),
        sa.Column("county_code", sa.String(length=6), nullable=True, comment="county of the file"),
        sa.Column("file_name", sa.Text(), nullable=True, comment="file the finding is about"),
        sa.Column("rule", sa.String(length=64), nullable=True, comment="rule identifier"),
        sa.Column("severity", sa.String(length=8), nullable=True, comment="error or warning"),
        sa.Column("message", sa.Text(), nullable=True, comment="what the rule says"),
        sa.Column("row_count", sa.Integer(), nullable=True, comment="rows that break the rule"),
        sa.Column(
            "rows",
            sa.Text(),
            nullable=True,
            comment="source rows (1-based, as in the file), first 20",
        ),
        sa.Column("rule_values", sa.Text(), nullable=True, comment="offending values, first 20"),
        sa.Column(
            "explanations",
            sa.Text(),
            nullable=True,
            comment="JSON list of the county's 说明 of each quoted row, when it explains a warning",
        ),
    )
    _create_or_complete(
        "daily_submission_rows",
        sa.Column("report_date", sa.Date(), nullable=False, comment="data date"),
        sa.Column("county_code", sa.String(length=6), nullable=False, comment="county"),
        sa.Column(
            "enterprise_id",
            sa.String(length=18),
            nullable=False,
            comment="unified social credit code",
        ),
        sa.Column("enterprise_name", sa.Text(), nullable=True, comment="enterprise name"),
        sa.Column("resumed", sa.Boolean(), nullable=True, comment="resumed work"),
        sa.Column("resumed_on", sa.Date(), nullable=True, comment="date work resumed"),
        sa.Column("employees_total", sa.BigInteger(), nullable=True, comment="employees"),
        sa.Column("employees_on_site", sa.BigInteger(), nullable=True, comment="employees on site"),
        sa.Column("capacity_pct", sa.Float(), nullable=True, comment="capacity restored"),
        sa.Column("mask_shortage", sa.BigInteger(), nullable=True, comment="masks short"),
        sa.Column(
            "thermometer_shortage", sa.BigInteger(), nullable=True, comment="thermometers short"
        ),
        sa.Column("difficulties", sa.Text(), nullable=True, comment="difficulties reported"),
        sa.PrimaryKeyConstraint("report_date", "county_code", "enterprise_id"),
    )
    _create_or_complete(
        "quarterly_submission_rows",
        sa.Column("report_quarter", sa.String(length=6), nullable=False, comment="quarter"),
        sa.Column("county_code", sa.String(length=6), nullable=False, comment="county"),
        sa.Column(
            "enterprise_id",
            sa.String(length=18),
            nullable=False,
            comment="unified social credit code",
        ),
        sa.Column("enterprise_name", sa.Text(), nullable=True, comment="enterprise name"),
        sa.Column(
            "industry_code", sa.String(length=2), nullable=True, comment="GB/T 4754-2017 division"
        ),
        sa.Column("output_value", sa.Float(), nullable=True, comment="gross industrial output"),
        sa.Column("value_added", sa.Float(), nullable=True, comment="industrial value added"),
        sa.Column(
            "output_value_prior",
            sa.Float(),
            nullable=True,
            comment="same-scope output a year earlier",
        ),
        sa.Column(
            "value_added_prior",
            sa.Float(),
            nullable=True,
            comment="same-scope value added a year earlier",
        ),
        sa.PrimaryKeyConstraint("report_quarter", "county_code", "enterprise_id"),
    )
    _create_or_complete(
        "publications",
        sa.Column(
            "kind",
            sa.String(length=16),
            nullable=False,
            comment="published folder: daily, quarterly or daily_summary",
        ),
        sa.Column("period", sa.String(length=10), nullable=False, comment="data date or quarter"),
        sa.Column(
            "revision",
            sa.Integer(),
            nullable=True,
            comment="highest row revision in the publication",
        ),
        sa.Column(
            "content_sha256",
            sa.String(length=64),
            nullable=True,
            comment="sha256 over the published table",
        ),
        sa.Column(
            "published_at",
            sa.DateTime(timezone=True),
            nullable=True,
            comment="when this content was first published",
        ),
        sa.PrimaryKeyConstraint("kind", "period"),
    )
    _create_or_complete(
        "county_quarter_daily_summary",
        sa.Column("report_quarter", sa.String(length=6), nullable=False, comment="quarter, YYYYQn"),
        sa.Column(
            "county_code",
            sa.String(length=6),
            nullable=False,
            comment="GB/T 2260 code of the county; the city code on the city row",
        ),
        sa.Column(
            "county_name",
            sa.String(length=64),
            nullable=True,
            comment="name of the county, or of the city on the city row",
        ),
        sa.Column(
            "status",
            sa.String(length=16),
            nullable=True,
            comment="the row's county_daily status on last_data_date (accepted, rejected, missing; city row: accepted or partial): the quarter-end values are that day's",
        ),
        sa.Column(
            "revision",
            sa.Integer(),
            nullable=True,
            comment="1 when the row is first published, +1 each time its values change",
        ),
        sa.Column(
            "first_data_date",
            sa.Date(),
            nullable=True,
            comment="first data date of the quarter in county_daily",
        ),
        sa.Column(
            "last_data_date",
            sa.Date(),
            nullable=True,
            comment="last data date of the quarter in county_daily: the date of the quarter-end values",
        ),
        sa.Column(
            "days_expected",
            sa.Integer(),
            nullable=True,
            comment="data dates of the quarter the daily report ran for (a county_daily row exists)",
        ),
        sa.Column(
            "days_reported",
            sa.Integer(),
            nullable=True,
            comment="of days_expected, the days the county's file was accepted",
        ),
        sa.Column(
            "reporting_completeness",
            sa.Float(),
            nullable=True,
            comment="days_reported / days_expected",
        ),
        sa.Column(
            "days_on_time",
            sa.Integer(),
            nullable=True,
            comment="of days_expected, the days the county's file arrived by the daily deadline",
        ),
        sa.Column(
            "on_time_rate", sa.Float(), nullable=True, comment="days_on_time / days_expected"
        ),
        sa.Column(
            "enterprises_in_scope",
            sa.Integer(),
            nullable=True,
            comment="registry enterprises in scope at quarter end",
        ),
        sa.Column(
            "enterprises_reported",
            sa.Integer(),
            nullable=True,
            comment="enterprises in the accepted file at quarter end",
        ),
        sa.Column(
            "enterprises_resumed",
            sa.Integer(),
            nullable=True,
            comment="enterprises resumed at quarter end",
        ),
        sa.Column(
            "resumption_rate",
            sa.Float(),
            nullable=True,
            comment="enterprises_resumed / enterprises_in_scope at quarter end",
        ),
        sa.Column(
            "resumed_in_quarter",
            sa.Integer(),
            nullable=True,
            comment="enterprises that resumed during the quarter: resumed_today summed over the days",
        ),
        sa.Column(
            "key_in_scope",
            sa.Integer(),
            nullable=True,
            comment="key enterprises in scope at quarter end",
        ),
        sa.Column(
            "key_resumed",
            sa.Integer(),
            nullable=True,
            comment="key enterprises resumed at quarter end",
        ),
        sa.Column(
            "employees_total",
            sa.BigInteger(),
            nullable=True,
            comment="employees of the reported enterprises at quarter end",
        ),
        sa.Column(
            "employees_on_site",
            sa.BigInteger(),
            nullable=True,
            comment="employees on site at quarter end",
        ),
        sa.Column(
            "on_site_rate",
            sa.Float(),
            nullable=True,
            comment="on-site person-days / employee-days over the quarter: Σ employees_on_site / Σ employees_total over the days",
        ),
        sa.Column(
            "capacity_pct",
            sa.Float(),
            nullable=True,
            comment="average capacity restored over the quarter: mean of the daily capacity_pct",
        ),
        sa.Column(
            "mask_shortage_peak",
            sa.BigInteger(),
            nullable=True,
            comment="largest daily mask shortage of the quarter",
        ),
        sa.Column(
            "thermometer_shortage_peak",
            sa.BigInteger(),
            nullable=True,
            comment="largest daily thermometer shortage of the quarter",
        ),
        sa.Column(
            "difficulties_reported",
            sa.Integer(),
            nullable=True,
            comment="enterprises reporting difficulties at quarter end",
        ),
        sa.PrimaryKeyConstraint("report_quarter", "county_code"),
    )


def downgrade() -> None:
    for name in reversed(TABLES):
        op.drop_table(name)
