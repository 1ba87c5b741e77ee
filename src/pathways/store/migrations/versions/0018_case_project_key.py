"""A case's project name as the case list sorts it, on the case itself, so that a list by project
name is read in index order however long it is.

The list sorted by project (``/cases?sort=project``) read every case of the list and its project
to sort them on each page: 5,000 cases for an officer (0017's indexes: 11 ms of CPU at 100,000
cases), and an organisation's 100,000 were not sorted at all (listed newest first, over the case
list's sort limit). Its order is ``lower(project.name)``, then the case id: a key of another
table, which no index of ``case`` could hold.

- ``case.project_key``: ``lower(project.name)``, written by the database itself in the statement
  that writes the case or renames its project (triggers, as the name search's word indexes of
  0009), so that no code path can leave it stale. ``lower()`` is each database's own, as the
  list's former ``ORDER BY lower(project.name)``: the same order, ties and accents included.
- ``ix_case_org_project`` and ``ix_case_officer_project_key``: an organisation's or an officer's
  cases of a status in that order, the case id last (ties): a page reads its 50 index entries.
  They replace 0017's ``ix_case_officer_project`` and ``ix_project_id_name``, made for the sort.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0018"
down_revision: str | Sequence[str] | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SQLITE_TRIGGERS = (
    (
        'CREATE TRIGGER case_project_key_insert AFTER INSERT ON "case" BEGIN UPDATE "case" '
        "SET project_key = (SELECT lower(name) FROM project WHERE project.id = NEW.project_id) "
        "WHERE id = NEW.id; END"
    ),
    (
        'CREATE TRIGGER case_project_key_move AFTER UPDATE OF project_id ON "case" BEGIN UPDATE "case" '
        "SET project_key = (SELECT lower(name) FROM project WHERE project.id = NEW.project_id) "
        "WHERE id = NEW.id; END"
    ),
    (
        "CREATE TRIGGER project_name_case_key AFTER UPDATE OF name ON project BEGIN "
        'UPDATE "case" SET project_key = lower(NEW.name) WHERE project_id = NEW.id; END'
    ),
)
POSTGRES_TRIGGERS = (
    (
        "CREATE FUNCTION case_project_key() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
        "NEW.project_key := (SELECT lower(name) FROM project WHERE project.id = NEW.project_id); "
        "RETURN NEW; END $$"
    ),
    (
        'CREATE TRIGGER case_project_key_insert BEFORE INSERT ON "case" FOR EACH ROW '
        "EXECUTE FUNCTION case_project_key()"
    ),
    (
        'CREATE TRIGGER case_project_key_move BEFORE UPDATE OF project_id ON "case" FOR EACH ROW '
        "WHEN (OLD.project_id IS DISTINCT FROM NEW.project_id) EXECUTE FUNCTION case_project_key()"
    ),
    (
        "CREATE FUNCTION project_name_case_key() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
        'UPDATE "case" SET project_key = lower(NEW.name) WHERE project_id = NEW.id; RETURN NULL; END $$'
    ),
    (
        "CREATE TRIGGER project_name_case_key AFTER UPDATE OF name ON project FOR EACH ROW "
        "WHEN (OLD.name IS DISTINCT FROM NEW.name) EXECUTE FUNCTION project_name_case_key()"
    ),
)
_DROP_SQLITE = tuple(
    f"DROP TRIGGER IF EXISTS {name}"
    for name in ("case_project_key_insert", "case_project_key_move", "project_name_case_key")
)
_DROP_POSTGRES = (
    'DROP TRIGGER IF EXISTS case_project_key_insert ON "case"',
    'DROP TRIGGER IF EXISTS case_project_key_move ON "case"',
    "DROP TRIGGER IF EXISTS project_name_case_key ON project",
    "DROP FUNCTION IF EXISTS case_project_key()",
    "DROP FUNCTION IF EXISTS project_name_case_key()",
)
_HAS_STATISTICS = sa.text("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'sqlite_stat1'")


def upgrade() -> None:
    op.add_column("case", sa.Column("project_key", sa.String(200), nullable=False, server_default=""))
    op.execute(
        'UPDATE "case" SET project_key = '
        '(SELECT lower(name) FROM project WHERE project.id = "case".project_id)'
    )
    bind = op.get_bind()
    sqlite = bind.dialect.name == "sqlite"
    for statement in SQLITE_TRIGGERS if sqlite else POSTGRES_TRIGGERS:
        op.execute(statement)
    op.create_index("ix_case_org_project", "case", ["organisation_id", "status", "project_key", "id"])
    op.create_index(
        "ix_case_officer_project_key",
        "case",
        ["officer_id", "status", "organisation_id", "project_key", "id"],
    )
    op.drop_index("ix_case_officer_project", table_name="case")
    op.drop_index("ix_project_id_name", table_name="project")
    if sqlite and bind.execute(_HAS_STATISTICS).first() is not None:
        op.execute('ANALYZE "ix_case_org_project"')
        op.execute('ANALYZE "ix_case_officer_project_key"')


def downgrade() -> None:
    op.create_index("ix_project_id_name", "project", ["id", "name"])
    op.create_index(
        "ix_case_officer_project", "case", ["officer_id", "status", "organisation_id", "project_id"]
    )
    op.drop_index("ix_case_officer_project_key", table_name="case")
    op.drop_index("ix_case_org_project", table_name="case")
    sqlite = op.get_bind().dialect.name == "sqlite"
    for statement in _DROP_SQLITE if sqlite else _DROP_POSTGRES:
        op.execute(statement)
    with op.batch_alter_table("case") as batch:
        batch.drop_column("project_key")
