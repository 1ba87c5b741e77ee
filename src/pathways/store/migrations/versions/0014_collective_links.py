"""Collective missions and transfers: cases linked under one collective action; organisation options.

A collective action (one consulting mission for several structures, one resource person's
transfer to several beneficiaries) links the cases of one organisation, each structure keeping
its own case: ``collective`` is the action, ``collective_member`` a case's stay in it (left,
not deleted, when it is taken out). ``organisation.options`` holds the local rules an
organisation switches on or off, over its pathway files' defaults.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-06
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from pathways.store.types import JSONDoc, UTCDateTime

revision: str = "0014"
down_revision: str | Sequence[str] | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "collective",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("label", sa.String(length=200), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["organisation_id"], ["organisation.id"]),
        sa.ForeignKeyConstraint(["created_by"], ["person.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_collective_organisation_id", "collective", ["organisation_id"])
    op.create_table(
        "collective_member",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("collective_id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("joined_at", UTCDateTime(), nullable=False),
        sa.Column("left_at", UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(["collective_id"], ["collective.id"]),
        sa.ForeignKeyConstraint(["case_id"], ["case.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_collective_member_collective_id", "collective_member", ["collective_id"])
    op.create_index("ix_collective_member_case_id", "collective_member", ["case_id"])
    with op.batch_alter_table("organisation") as batch:
        batch.add_column(sa.Column("options", JSONDoc, nullable=False, server_default="{}"))


def downgrade() -> None:
    with op.batch_alter_table("organisation") as batch:
        batch.drop_column("options")
    op.drop_index("ix_collective_member_case_id", table_name="collective_member")
    op.drop_index("ix_collective_member_collective_id", table_name="collective_member")
    op.drop_table("collective_member")
    op.drop_index("ix_collective_organisation_id", table_name="collective")
    op.drop_table("collective")
