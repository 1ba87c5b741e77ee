"""Published pathway definitions: each version's content, stored once and never changed.

``pathways pathway publish`` (and ``init``/``run``) store each pathway file's content; when
a file's content changes, its next publication is a new version, whatever the file's
``version:`` says, so a published version never changes under the cases running on it.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-06
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from pathways.store.types import UTCDateTime

revision: str = "0013"
down_revision: str | Sequence[str] | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "pathway_definition",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("pathway_id", sa.String(length=64), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("file", sa.String(length=500), nullable=False),
        sa.Column("published_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("pathway_id", "version", name="uq_pathway_definition_version"),
    )


def downgrade() -> None:
    op.drop_table("pathway_definition")
