"""The daily report's details kept per date for analysts: the key-enterprise ledger, the
difficulties by kind and county, and resumption by industry.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-02

The tables start empty; each date's rows are written by its next merge (rerun the dates, or
`make backfill`, to fill the history).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "difficulty_kinds_daily",
        sa.Column("report_date", sa.Date(), nullable=False, comment="data date"),
        sa.Column(
            "county_code",
            sa.String(length=6),
            nullable=False,
            comment="county whose enterprises raised the items",
        ),
        sa.Column(
            "kind",
            sa.String(length=32),
            nullable=False,
            comment="difficulty kind id from transforms/merge/difficulty_kinds.toml (masks, thermometers, disinfectant, labour, logistics, materials, funding, orders, other)",
        ),
        sa.Column(
            "kind_name",
            sa.String(length=32),
            nullable=True,
            comment="the kind's Chinese name, as the reports show it",
        ),
        sa.Column(
            "kind_group",
            sa.String(length=32),
            nullable=True,
            comment="防疫物资 for the epidemic supplies, else the kind's own name",
        ),
        sa.Column(
            "items",
            sa.Integer(),
            nullable=True,
            comment="difficulties of this kind in the county's accepted rows that day (one enterprise's text may name several)",
        ),
        sa.PrimaryKeyConstraint("report_date", "county_code", "kind"),
    )
    op.create_table(
        "industry_daily",
        sa.Column("report_date", sa.Date(), nullable=False, comment="data date"),
        sa.Column(
            "industry_code",
            sa.String(length=2),
            nullable=False,
            comment="GB/T 4754-2017 division of the registry's enterprises (06–46)",
        ),
        sa.Column(
            "industry_name",
            sa.String(length=64),
            nullable=True,
            comment="the division's Chinese name",
        ),
        sa.Column(
            "enterprises_in_scope",
            sa.Integer(),
            nullable=True,
            comment="registry enterprises of the division in scope on the date, in the counties whose file was accepted (on time or late)",
        ),
        sa.Column(
            "enterprises_resumed",
            sa.Integer(),
            nullable=True,
            comment="of those, reported as resumed",
        ),
        sa.Column(
            "resumption_rate",
            sa.Float(),
            nullable=True,
            comment="enterprises_resumed / enterprises_in_scope",
        ),
        sa.PrimaryKeyConstraint("report_date", "industry_code"),
    )
    op.create_table(
        "key_enterprise_daily",
        sa.Column("report_date", sa.Date(), nullable=False, comment="data date"),
        sa.Column(
            "enterprise_id",
            sa.String(length=18),
            nullable=False,
            comment="unified social credit code of a key enterprise (重点企业) in scope on the date",
        ),
        sa.Column(
            "county_code",
            sa.String(length=6),
            nullable=True,
            comment="county the enterprise is registered in",
        ),
        sa.Column("county_name", sa.String(length=64), nullable=True, comment="name of the county"),
        sa.Column("enterprise_name", sa.Text(), nullable=True, comment="enterprise name"),
        sa.Column(
            "grid_officer",
            sa.Text(),
            nullable=True,
            comment="grid officer (网格员) following the enterprise, from the registry",
        ),
        sa.Column(
            "grid_officer_phone",
            sa.Text(),
            nullable=True,
            comment="the grid officer's phone, from the registry",
        ),
        sa.Column(
            "resumed",
            sa.Boolean(),
            nullable=True,
            comment="resumed work, as the enterprise reported that day; empty when it did not report",
        ),
        sa.Column(
            "resumed_on",
            sa.Date(),
            nullable=True,
            comment="date work resumed, as reported that day",
        ),
        sa.Column(
            "employees_total",
            sa.BigInteger(),
            nullable=True,
            comment="employees, as reported that day",
        ),
        sa.Column(
            "employees_on_site",
            sa.BigInteger(),
            nullable=True,
            comment="employees on site, as reported that day",
        ),
        sa.Column(
            "capacity_pct",
            sa.Float(),
            nullable=True,
            comment="capacity restored, as reported that day",
        ),
        sa.Column(
            "difficulties",
            sa.Text(),
            nullable=True,
            comment="the difficulties the enterprise wrote that day",
        ),
        sa.Column(
            "last_reported_on",
            sa.Date(),
            nullable=True,
            comment="latest date up to this one with an accepted row of the enterprise, within the report's 92-day window; empty: none",
        ),
        sa.Column(
            "days_since_reported",
            sa.Integer(),
            nullable=True,
            comment="report_date minus last_reported_on (0: reported that day)",
        ),
        sa.PrimaryKeyConstraint("report_date", "enterprise_id"),
    )


def downgrade() -> None:
    op.drop_table("key_enterprise_daily")
    op.drop_table("industry_daily")
    op.drop_table("difficulty_kinds_daily")
