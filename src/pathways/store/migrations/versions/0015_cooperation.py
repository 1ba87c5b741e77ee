"""Cooperation cases: several member projects, possibly of several organisations, shared on consent.

``case_member``: a project taking part in a case, its organisation and role (lead, member), who
added it and when, who removed it and when (a row is never deleted: the history stays).
``case_share``: a case offered to a partner organisation, with the consent of the case's
organisation (who, when), the partner's (who, when) and the withdrawal. The partner reads the
case only while both consents stand (pathways.services.collaboration.sharing).

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-06
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from pathways.store.types import UTCDateTime

revision: str = "0015"
down_revision: str | Sequence[str] | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "case_member",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("added_at", UTCDateTime(), nullable=False),
        sa.Column("added_by", sa.Integer(), nullable=True),
        sa.Column("removed_at", UTCDateTime(), nullable=True),
        sa.Column("removed_by", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["case_id"], ["case.id"]),
        sa.ForeignKeyConstraint(["project_id"], ["project.id"]),
        sa.ForeignKeyConstraint(["organisation_id"], ["organisation.id"]),
        sa.ForeignKeyConstraint(["added_by"], ["person.id"]),
        sa.ForeignKeyConstraint(["removed_by"], ["person.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_case_member_case_id", "case_member", ["case_id"])
    op.create_index("ix_case_member_project_id", "case_member", ["project_id"])
    op.create_table(
        "case_share",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("partner_id", sa.Integer(), nullable=False),
        sa.Column("owner_consent_by", sa.Integer(), nullable=True),
        sa.Column("owner_consent_at", UTCDateTime(), nullable=False),
        sa.Column("partner_consent_by", sa.Integer(), nullable=True),
        sa.Column("partner_consent_at", UTCDateTime(), nullable=True),
        sa.Column("withdrawn_at", UTCDateTime(), nullable=True),
        sa.Column("withdrawn_by", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["case_id"], ["case.id"]),
        sa.ForeignKeyConstraint(["partner_id"], ["organisation.id"]),
        sa.ForeignKeyConstraint(["owner_consent_by"], ["person.id"]),
        sa.ForeignKeyConstraint(["partner_consent_by"], ["person.id"]),
        sa.ForeignKeyConstraint(["withdrawn_by"], ["person.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_case_share_case_id", "case_share", ["case_id"])
    op.create_index("ix_case_share_partner_id", "case_share", ["partner_id"])


def downgrade() -> None:
    op.drop_table("case_share")
    op.drop_table("case_member")
