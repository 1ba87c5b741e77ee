"""The version of a project or person an edit was made on, and what changed since (optimistic lock).

The version is the id of the last ``directory_edit`` row of the project (person), 0 before the
first edit: no column of its own, hence no migration. Every change made through the edit use
cases (:mod:`~pathways.services.people.editing`, :mod:`~pathways.services.people.person_editing`:
the pages, ``PATCH /api/v1/...``, ``pathways project|person update``) inserts that row in the
transaction that writes the change, while it holds the row's lock, so

- the version grows with each edit, and a stale one is seen by whoever takes the lock next (on
  PostgreSQL each statement after the lock reads what was committed; SQLite has one writer);
- the edits after the version a form showed are exactly what its refusal must name: who made
  each (``actor_id``), when (``at``) and which fields (the keys of ``changes``).

A version column bumped by every writer would also catch what moves a row outside these use
cases (a decision recording a project's SIRET, a case reaching a phase, channels readdressed);
the edit trail does not, but it needs no schema change, no writer to remember a bump, and it
names who changed which fields, which a bare counter cannot.
"""

from __future__ import annotations

from typing import Literal

from sqlalchemy import Connection, func, select

from pathways.errors import EditedMeanwhile, EditMeanwhile
from pathways.store.core import EDIT, PERSON

__all__ = ["Subject", "edits_since", "require", "version_of"]

Subject = Literal["project", "person"]


def version_of(conn: Connection, what: Subject, subject_id: int) -> int:
    """The project's (person's) version: its last edit's id, 0 when it was never edited."""
    column = EDIT.c.project_id if what == "project" else EDIT.c.person_id
    last = conn.execute(select(func.max(EDIT.c.id)).where(column == subject_id)).scalar_one()
    return int(last or 0)


def edits_since(conn: Connection, what: Subject, subject_id: int, version: int) -> tuple[EditMeanwhile, ...]:
    """The edits after `version`, oldest first: who made each (their name), when, which fields."""
    column = EDIT.c.project_id if what == "project" else EDIT.c.person_id
    rows = conn.execute(
        select(EDIT.c.id, EDIT.c.at, EDIT.c.changes, PERSON.c.name)
        .outerjoin(PERSON, PERSON.c.id == EDIT.c.actor_id)
        .where(column == subject_id, EDIT.c.id > version)
        .order_by(EDIT.c.id)
    )
    return tuple(
        EditMeanwhile(edit=row.id, by=row.name, at=row.at, fields=tuple(sorted(row.changes))) for row in rows
    )


def require(conn: Connection, what: Subject, subject_id: int, expected: int | None) -> None:
    """:class:`EditedMeanwhile` naming each edit since `expected` when the version moved on; no
    check without an expected version (the CLI's and the API's choice)."""
    if expected is None:
        return
    now = version_of(conn, what, subject_id)
    if now != expected:
        raise EditedMeanwhile(
            what,
            subject_id,
            expected=expected,
            now=now,
            meanwhile=edits_since(conn, what, subject_id, expected),
        )
