"""Drop the index of notices by case: no query looks notices up by case, and each decision wrote it.

Notices are found by due date (the sweep: ``ix_notice_pending_due``) or by stage entry
(``UNIQUE(entry_id, rule)``); cases are never deleted, so the foreign key to ``case``
needs no index to check deletions. The index cost a decision one page in five of its
index writes for no reader (bench/RESULTS.md).

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-22
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0006"
down_revision: str | Sequence[str] | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.drop_index("ix_notice_case_id", table_name="notice")


def downgrade() -> None:
    op.create_index("ix_notice_case_id", "notice", ["case_id"])
