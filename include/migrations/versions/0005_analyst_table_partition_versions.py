"""Versions of the analyst tables' partitions, and the versions each publish folder's files hold.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-03

Both tables start empty: the first refresh of a publish folder builds each file from its whole
table, as before, and from then on reads only the partitions written since.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | Sequence[str] | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "partition_versions",
        sa.Column("table_name", sa.String(length=64), nullable=False, comment="analyst table"),
        sa.Column(
            "partition_key",
            sa.String(length=256),
            nullable=False,
            comment="the partition's columns and values as JSON, dates as YYYY-MM-DD",
        ),
        sa.Column(
            "version",
            sa.String(length=32),
            nullable=True,
            comment="a new random value each time the partition's rows are replaced",
        ),
        sa.PrimaryKeyConstraint("table_name", "partition_key"),
    )
    op.create_table(
        "published_partitions",
        sa.Column(
            "publish_root",
            sa.String(length=64),
            nullable=False,
            comment="sha256 of the publish folder's location",
        ),
        sa.Column("table_name", sa.String(length=64), nullable=False, comment="analyst table"),
        sa.Column(
            "partition_key",
            sa.String(length=256),
            nullable=False,
            comment="as in partition_versions",
        ),
        sa.Column(
            "version",
            sa.String(length=32),
            nullable=True,
            comment="the partition's version the folder's file holds",
        ),
        sa.PrimaryKeyConstraint("publish_root", "table_name", "partition_key"),
    )


def downgrade() -> None:
    op.drop_table("published_partitions")
    op.drop_table("partition_versions")
