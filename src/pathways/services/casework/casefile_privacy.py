"""The personal data in notes and attachments: a person's export, and erasure with their data.

A project lead's notes and files are those of the cases of their projects: erasing the person
(on request or by the retention rule, :mod:`pathways.services.people.privacy`) deletes the files'
bytes and empties the notes' texts, in the erasure's transaction; their export lists them, with
the notes and files the person wrote or sent elsewhere (described, not their content: those are
about other people's projects).

On SQLite the deleted bytes are overwritten with zeros (``PRAGMA secure_delete``) rather than
left in the file's free pages; the write-ahead log holds the old pages until its next
checkpoint. On PostgreSQL the deleted row's space is reclaimed by ``VACUUM``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Iterator, Sequence
from contextlib import contextmanager
from typing import Any, Final

from sqlalchemy import Connection, Select, delete, select, update

from pathways.services.casework.attachments import ATTACHMENT, CONTENT, NOTE
from pathways.services.tx import Tx
from pathways.store.core import CASE, PROJECT

__all__ = ["erase_about", "export_about"]

ERASED_NAME: Final = "erased"


def _cases_of_projects_led_by(person_ids: Collection[int]) -> Select[Any]:
    return (
        select(CASE.c.id)
        .join(PROJECT, PROJECT.c.id == CASE.c.project_id)
        .where(PROJECT.c.owner_id.in_(sorted(person_ids)))
    )


def erase_about(tx: Tx, person_ids: Sequence[int]) -> Counter[str]:
    """Erase the attachments (their bytes deleted) and the notes' texts of the cases of the projects
    these people lead, in the caller's transaction; rows changed per table."""
    if not person_ids:
        return Counter()
    cases = _cases_of_projects_led_by(person_ids)
    doomed = select(ATTACHMENT.c.id).where(ATTACHMENT.c.case_id.in_(cases), ATTACHMENT.c.erased_at.is_(None))
    ids = list(tx.conn.scalars(doomed))
    changed: Counter[str] = Counter()
    if ids:
        with _zeroed_on_delete(tx):
            deleted = tx.conn.execute(delete(CONTENT).where(CONTENT.c.attachment_id.in_(ids)))
        changed["attachment_content"] = deleted.rowcount
        changed["case_attachment"] = tx.conn.execute(
            update(ATTACHMENT)
            .where(ATTACHMENT.c.id.in_(ids))
            .values(name=ERASED_NAME, sha256="", erased_at=tx.at)
        ).rowcount
    changed["case_note"] = tx.conn.execute(
        update(NOTE)
        .where(NOTE.c.case_id.in_(cases), NOTE.c.erased_at.is_(None))
        .values(text="", erased_at=tx.at)
    ).rowcount
    return +changed


@contextmanager
def _zeroed_on_delete(tx: Tx) -> Iterator[None]:
    """On SQLite, deleted bytes are overwritten with zeros (``PRAGMA secure_delete``), not left in
    free pages of the file; the setting goes back to what it was (connections are pooled)."""
    if tx.conn.dialect.name != "sqlite":
        yield
        return
    before = int(tx.conn.exec_driver_sql("PRAGMA secure_delete").scalar_one())
    tx.conn.exec_driver_sql("PRAGMA secure_delete=ON")
    try:
        yield
    finally:
        tx.conn.exec_driver_sql(f"PRAGMA secure_delete={before}")


def export_about(
    conn: Connection, person_id: int, project_ids: Sequence[int]
) -> dict[str, list[dict[str, Any]]]:
    """For a person's data export: the attachments and notes of their projects' cases (names and
    texts), and those they sent or wrote on other cases (described only)."""
    theirs = select(CASE.c.id).where(CASE.c.project_id.in_(list(project_ids)))
    described = (ATTACHMENT.c.id, CASE.c.ref.label("case"), ATTACHMENT.c.media_type, ATTACHMENT.c.size)
    dated = (ATTACHMENT.c.created_at, ATTACHMENT.c.erased_at)
    files = [
        dict(row)
        for row in conn.execute(
            select(*described, ATTACHMENT.c.name, *dated)
            .join(CASE, CASE.c.id == ATTACHMENT.c.case_id)
            .where(ATTACHMENT.c.case_id.in_(theirs))
            .order_by(ATTACHMENT.c.id)
        ).mappings()
    ]
    sent = [
        dict(row)
        for row in conn.execute(
            select(*described, *dated)
            .join(CASE, CASE.c.id == ATTACHMENT.c.case_id)
            .where(ATTACHMENT.c.uploaded_by == person_id, ATTACHMENT.c.case_id.not_in(theirs))
            .order_by(ATTACHMENT.c.id)
        ).mappings()
    ]
    noted = (NOTE.c.id, CASE.c.ref.label("case"), NOTE.c.kind, NOTE.c.happened_on, NOTE.c.created_at)
    notes = [
        dict(row)
        for row in conn.execute(
            select(*noted, NOTE.c.text, NOTE.c.erased_at)
            .join(CASE, CASE.c.id == NOTE.c.case_id)
            .where(NOTE.c.case_id.in_(theirs))
            .order_by(NOTE.c.id)
        ).mappings()
    ]
    written = [
        dict(row)
        for row in conn.execute(
            select(*noted)
            .join(CASE, CASE.c.id == NOTE.c.case_id)
            .where(NOTE.c.author_id == person_id, NOTE.c.case_id.not_in(theirs))
            .order_by(NOTE.c.id)
        ).mappings()
    ]
    return {
        "case_attachments": files,
        "case_notes": notes,
        "attachments_sent_on_other_cases": sent,
        "notes_written_on_other_cases": written,
    }
