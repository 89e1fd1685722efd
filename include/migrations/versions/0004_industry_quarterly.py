"""The quarterly report's industry breakdown kept per quarter for analysts.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02

The table starts empty; each quarter's rows are written by its next merge.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | Sequence[str] | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "industry_quarterly",
        sa.Column("report_quarter", sa.String(length=6), nullable=False, comment="quarter, YYYYQn"),
        sa.Column(
            "industry_code",
            sa.String(length=2),
            nullable=False,
            comment="GB/T 4754-2017 division of the quarter's accepted enterprise rows (06–46)",
        ),
        sa.Column(
            "industry_name",
            sa.String(length=64),
            nullable=True,
            comment="the division's Chinese name",
        ),
        sa.Column(
            "output_value",
            sa.Float(),
            nullable=True,
            comment="gross industrial output of the division",
        ),
        sa.Column(
            "output_value_prior",
            sa.Float(),
            nullable=True,
            comment="same-scope output a year earlier",
        ),
        sa.Column(
            "value_added",
            sa.Float(),
            nullable=True,
            comment="industrial value added of the division",
        ),
        sa.Column(
            "value_added_prior",
            sa.Float(),
            nullable=True,
            comment="same-scope value added a year earlier",
        ),
        sa.Column(
            "output_value_yoy_pct",
            sa.Float(),
            nullable=True,
            comment="(output_value / output_value_prior − 1) × 100",
        ),
        sa.Column(
            "output_value_contribution_points",
            sa.Float(),
            nullable=True,
            comment="拉动: (output_value − output_value_prior) / the city's total prior output × 100",
        ),
        sa.Column(
            "value_added_yoy_pct",
            sa.Float(),
            nullable=True,
            comment="(value_added / value_added_prior − 1) × 100",
        ),
        sa.Column(
            "value_added_contribution_points",
            sa.Float(),
            nullable=True,
            comment="拉动: (value_added − value_added_prior) / the city's total prior value added × 100",
        ),
        sa.PrimaryKeyConstraint("report_quarter", "industry_code"),
    )


def downgrade() -> None:
    op.drop_table("industry_quarterly")
