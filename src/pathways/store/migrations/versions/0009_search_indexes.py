"""Indexes for the web app's search.

The case list's search box finds a case by its reference, its project's name or legal
identifiers, and the names of the people on it, accent- and case-insensitively, without
reading every person and project row (:mod:`pathways.store.search`):

- SQLite: FTS5 word indexes of person and project names, kept by triggers;
- PostgreSQL: GIN indexes on the folded names' ``tsvector``, and a ``text_pattern_ops``
  index on the case reference for prefix searches whatever the database's collation.

The SIREN and BCE columns already have their B-tree indexes (a SIRET's first nine digits are
its SIREN). ``ix_case_org_status`` and ``ix_case_officer_status`` serve the list's filters and
counts from the index alone (every list is within the caller's organisations, most of them an
officer's open cases); they replace the single-column indexes on ``organisation_id`` and
``officer_id``, which they begin with.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-06
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

from pathways.store import search

revision: str = "0009"
down_revision: str | Sequence[str] | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_case_org_status", "case", ["organisation_id", "status"])
    op.create_index("ix_case_officer_status", "case", ["officer_id", "status", "organisation_id"])
    op.drop_index("ix_case_organisation_id", table_name="case")
    op.drop_index("ix_case_officer_id", table_name="case")
    sqlite = op.get_bind().dialect.name == "sqlite"
    for statement in search.sqlite_schema() if sqlite else search.postgres_schema():
        op.execute(statement)


def downgrade() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    for statement in search.sqlite_drop() if sqlite else search.postgres_drop():
        op.execute(statement)
    op.create_index("ix_case_officer_id", "case", ["officer_id"])
    op.create_index("ix_case_organisation_id", "case", ["organisation_id"])
    op.drop_index("ix_case_officer_status", table_name="case")
    op.drop_index("ix_case_org_status", table_name="case")
