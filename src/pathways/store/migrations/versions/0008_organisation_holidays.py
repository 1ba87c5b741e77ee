"""Days off an organisation adds to its territory's public holidays, each with its source.

Belgium's community and regional days (11 July, 27 September, 15 November, Iris day) are
no longer implied by a Belgian territory: an organisation that grants them lists them here
(``pathways org update --extra-holidays``). ``year`` is NULL for a day off every year.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-24
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | Sequence[str] | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "organisation_holiday",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("month", sa.Integer(), nullable=False),
        sa.Column("day", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=True),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("source", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(["organisation_id"], ["organisation.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_organisation_holiday_organisation_id", "organisation_holiday", ["organisation_id"])


def downgrade() -> None:
    op.drop_table("organisation_holiday")
