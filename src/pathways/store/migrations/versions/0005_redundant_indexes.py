"""Drop two indexes that a unique constraint already covers (fewer B-trees per decision).

``ix_notice_entry_id`` is the leading column of ``UNIQUE(entry_id, rule)`` and
``ix_auditevent_organisation_id`` of ``UNIQUE(organisation_id, seq)``: every lookup
they served, the unique index serves, and each decision wrote both.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-22
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0005"
down_revision: str | Sequence[str] | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.drop_index("ix_notice_entry_id", table_name="notice")
    op.drop_index("ix_auditevent_organisation_id", table_name="auditevent")


def downgrade() -> None:
    op.create_index("ix_auditevent_organisation_id", "auditevent", ["organisation_id"])
    op.create_index("ix_notice_entry_id", "notice", ["entry_id"])
