"""Indexes and columns the web pages need to stay fast at 100k cases.

- ``ix_case_parent`` replaces ``ix_case_parent_id``: the same, without the cases that have no
  parent (nearly all). SQLite's statistics (ANALYZE) count those as one value shared by every
  row, so the planner judged the full index useless and read every case to find a case's
  children (bench/web_cpu.py: 20-50 ms a case page at 100,000 cases, 0.1 ms with this one).
- ``ix_case_open_org_due`` and ``ix_case_open_officer_due``: an organisation's or an officer's
  open cases in deadline order, so that the due list, the overdue filter and the lists by
  deadline are counted and read from an index alone (the organisation, the officer and the
  deadline were read from each case's row: 5,000 rows for an officer's due list). The status
  is a column too: SQLite reads an index alone only when it holds every column the query
  names. 0009's ``ix_case_org_status`` and ``ix_case_officer_status`` stay: they give the
  newest cases first without sorting (their last column, the row id, is the case's).
- ``ix_project_org_name`` replaces ``ix_project_organisation_id``: an organisation's projects by
  name (the projects a case page offers to add to a cooperation) read in index order, where
  100,000 projects were sorted on each case page (40 ms).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016"
down_revision: str | Sequence[str] | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


OPEN = sa.text("status = 'open'")
HAS_PARENT = sa.text("parent_id IS NOT NULL")


def upgrade() -> None:
    op.create_index("ix_project_org_name", "project", ["organisation_id", "name"])
    op.drop_index("ix_project_organisation_id", table_name="project")
    op.drop_index("ix_case_parent_id", table_name="case")
    op.create_index(
        "ix_case_parent", "case", ["parent_id"], sqlite_where=HAS_PARENT, postgresql_where=HAS_PARENT
    )
    op.create_index(
        "ix_case_open_org_due",
        "case",
        ["organisation_id", "due_at", "status"],
        sqlite_where=OPEN,
        postgresql_where=OPEN,
    )
    op.create_index(
        "ix_case_open_officer_due",
        "case",
        ["officer_id", "due_at", "organisation_id", "status"],
        sqlite_where=OPEN,
        postgresql_where=OPEN,
    )


def downgrade() -> None:
    op.drop_index("ix_case_open_officer_due", table_name="case")
    op.drop_index("ix_case_open_org_due", table_name="case")
    op.drop_index("ix_case_parent", table_name="case")
    op.create_index("ix_case_parent_id", "case", ["parent_id"])
    op.create_index("ix_project_organisation_id", "project", ["organisation_id"])
    op.drop_index("ix_project_org_name", table_name="project")
