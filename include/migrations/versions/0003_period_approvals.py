"""Approval and locking of published periods: every approve and unlock, and the
resubmissions held while a period is approved.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-02
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "held_submissions",
        sa.Column("kind", sa.String(length=16), nullable=False, comment="daily or quarterly"),
        sa.Column(
            "period",
            sa.String(length=10),
            nullable=False,
            comment="the approved period the submission is for",
        ),
        sa.Column(
            "county_code", sa.String(length=6), nullable=False, comment="county that resubmitted"
        ),
        sa.Column(
            "file_name",
            sa.Text(),
            nullable=True,
            comment="file(s) found in the landing zone; empty when taken back",
        ),
        sa.Column(
            "content_sha256",
            sa.String(length=64),
            nullable=True,
            comment="sha256 of the held content",
        ),
        sa.Column(
            "arrived_at",
            sa.DateTime(timezone=True),
            nullable=True,
            comment="modification time of the file",
        ),
        sa.Column(
            "outcome",
            sa.String(length=16),
            nullable=True,
            comment="what the check made of it: accepted, rejected or missing",
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
        sa.PrimaryKeyConstraint("kind", "period", "county_code"),
    )
    op.create_table(
        "period_approvals",
        sa.Column("kind", sa.String(length=16), nullable=False, comment="daily or quarterly"),
        sa.Column(
            "period",
            sa.String(length=10),
            nullable=False,
            comment="data date (YYYY-MM-DD) or quarter (YYYYQn)",
        ),
        sa.Column(
            "sequence",
            sa.Integer(),
            nullable=False,
            comment="1 for the period's first approve or unlock, +1 for each after it",
        ),
        sa.Column(
            "action",
            sa.String(length=8),
            nullable=True,
            comment="approve (locks the period) or unlock",
        ),
        sa.Column(
            "revision",
            sa.Integer(),
            nullable=True,
            comment="the published revision approved, or current when unlocked",
        ),
        sa.Column(
            "actor",
            sa.Text(),
            nullable=True,
            comment="who approved or unlocked, as the operator gave it",
        ),
        sa.Column(
            "recorded_at",
            sa.DateTime(timezone=True),
            nullable=True,
            comment="when the action was recorded",
        ),
        sa.PrimaryKeyConstraint("kind", "period", "sequence"),
    )


def downgrade() -> None:
    op.drop_table("period_approvals")
    op.drop_table("held_submissions")
