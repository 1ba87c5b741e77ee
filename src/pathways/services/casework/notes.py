"""Notes and meeting reports on a case: work that decides nothing, shown in the case's timeline.

A note (``kind`` note or meeting) has a text, the day it happened when given (a meeting held
last week), an author and, optionally, one attachment (:mod:`.attachments`). It is one
transaction: the note, its attachment and one ``note_added`` audit event, which names the
note by id with a keyed digest of its text (the text itself stays in ``case_note``, where
erasing a project lead's data reaches it: :func:`.attachments.erase_about`).

Every problem of the input is reported at once (:class:`~pathways.errors.FieldErrors`, each
with a code the pages translate); nothing is written then.

:func:`work_items` gives the timeline its notes, attachments and reassignments.
"""

from __future__ import annotations

import hashlib
import hmac
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import TYPE_CHECKING, Any, Final
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, select

from pathways.errors import FieldErrors, FieldProblem
from pathways.services.casework import attachments, conflict, lookup, scoped
from pathways.services.casework.attachments import ATTACHMENT, NOTE, AttachmentAdded, FileUpload
from pathways.services.casework.queries import names_of
from pathways.services.casework.views import CaseView
from pathways.services.people.accounts import Principal
from pathways.services.tx import write

if TYPE_CHECKING:
    from pathways.bootstrap import App

__all__ = ["KINDS", "TEXT_MAX", "AddNote", "NoteAdded", "WorkItem", "add_note", "work_items"]

KINDS: Final = ("note", "meeting")
TEXT_MAX: Final = 20_000
OLDEST: Final = date(1990, 1, 1)
# Audit kinds the timeline shows through work_items (with names, not ids).
WORK_EVENTS: Final = frozenset({"note_added", "attachment_added", "case_assigned"})


@dataclass(frozen=True, slots=True)
class AddNote:
    """A note or meeting report to add to `case`.

    `on`: the day it happened (YYYY-MM-DD), not after today in the organisation's zone.
    `author`: who wrote it, for the operator's commands only (a person signed in is the author).
    """

    case: str | int
    text: str
    kind: str = "note"
    on: str | None = None
    attachment: FileUpload | None = None
    author: str | int | None = None
    expected_version: int | None = None
    """The case's version the note was written on (the case page's form): refused (``DecidedMeanwhile``,
    naming each change) if the case changed since."""


@dataclass(frozen=True, slots=True)
class NoteAdded:
    """A note recorded, with its attachment if it came with one."""

    note_id: int
    case_id: int
    ref: str
    kind: str
    on: date | None
    at: datetime
    attachment: AttachmentAdded | None


def _problem(field_: str, code: str, message: str, **params: object) -> FieldProblem:
    return FieldProblem(field_, code, message, None, {k: str(v) for k, v in params.items()})


def check(command: AddNote, *, today: date, limit: int) -> tuple[list[FieldProblem], date | None, Any]:
    """Every problem of `command` (text, kind, day, attachment), the day and the checked file."""
    problems: list[FieldProblem] = []
    text = command.text.strip()
    if not text:
        problems.append(_problem("text", "work.error.text_required", "is empty"))
    elif len(text) > TEXT_MAX:
        problems.append(
            _problem(
                "text", "work.error.too_long", f"{len(text)} characters, at most {TEXT_MAX}", max=TEXT_MAX
            )
        )
    elif any(unicodedata.category(c) == "Cc" and c not in "\t\n\r" for c in text):
        problems.append(_problem("text", "work.error.control", "holds control characters"))
    if command.kind not in KINDS:
        problems.append(
            _problem("kind", "work.error.kind_unknown", f"{command.kind!r} is not note or meeting")
        )
    on = None
    if command.on is not None and command.on.strip():
        try:
            on = date.fromisoformat(command.on.strip())
        except ValueError:
            problems.append(
                _problem("date", "work.error.date", f"{command.on.strip()[:40]!r} is not YYYY-MM-DD")
            )
        else:
            if on > today:
                problems.append(_problem("date", "work.error.date_future", f"{on} is after today ({today})"))
                on = None
            elif on < OLDEST:
                problems.append(_problem("date", "work.error.date", f"{on} is before {OLDEST}"))
                on = None
    checked = None
    if command.attachment is not None:
        found = attachments.check_file(command.attachment, limit=limit)
        if isinstance(found, FieldProblem):
            problems.append(found)
        else:
            checked = found
    return problems, on, checked


def text_digest(key: bytes, kind: str, text: str, on: date | None) -> str:
    """HMAC of a note as the audit chain attests it (the text itself stays out of the chain)."""
    canonical = f"{kind}\n{on.isoformat() if on else ''}\n{text}"
    return hmac.new(key, canonical.encode(), hashlib.sha256).hexdigest()


def add_note(app: App, command: AddNote, *, by: Principal | None, at: datetime | None = None) -> NoteAdded:
    """Record a note (and its attachment) on a case `by` may change; one transaction, audited."""
    with app.store.read() as conn:
        case = scoped.case_for(conn, by, command.case, change=True)
        zone = lookup.org_zone(conn, case.organisation_id)
    today = (at or app.clock.now()).astimezone(zone).date()
    problems, on, checked = check(command, today=today, limit=app.settings.max_attachment_bytes)
    if problems:
        raise FieldErrors(problems)
    text = command.text.strip()
    with write(app, actor_id=by.person_id if by is not None else None, at=at) as tx:
        case = scoped.case_for(tx.conn, by, command.case, change=True)
        if command.expected_version is not None and case.version != command.expected_version:
            raise conflict.stale(tx.conn, case_id=case.id, ref=case.ref, expected=command.expected_version)
        author = scoped.recorder(tx.conn, by, command.author, org_id=case.organisation_id)
        note_id = tx.insert(
            NOTE,
            case_id=case.id,
            kind=command.kind,
            text=text,
            happened_on=on,
            author_id=author,
            created_at=tx.at,
            erased_at=None,
        )
        added = None
        if checked is not None:
            added = attachments.store(
                tx, case_id=case.id, ref=case.ref, file=checked, by=author, note_id=note_id
            )
        payload: dict[str, Any] = {
            "note": note_id,
            "kind": command.kind,
            "on": on.isoformat() if on else None,
            "text_digest": text_digest(tx.key, command.kind, text, on),
        }
        if added is not None:
            payload["attachment"] = attachments.audit_payload(added)
        if by is None and author is not None:
            payload["for"] = author
        tx.audit(organisation_id=case.organisation_id, case_id=case.id, kind="note_added", payload=payload)
        return NoteAdded(note_id, case.id, case.ref, command.kind, on, tx.at, added)


# --- the timeline ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class WorkItem:
    """A note, an attachment or a reassignment, as the timeline shows it."""

    at: datetime
    kind: str  # note | meeting | attachment | assigned
    summary: str
    actor_id: int | None
    link: str | None = None
    details: Mapping[str, Any] = field(default_factory=dict)


def work_items(conn: Connection, case: CaseView, events: Iterable[Mapping[str, Any]]) -> list[WorkItem]:
    """The notes, attachments and reassignments of `case`, `events` being its audit events.

    A note dated a day before it was recorded is placed at the start of that day (in the
    organisation's zone); its details carry the day (``on``) for the page to show.
    """
    zone = lookup.org_zone(conn, case.organisation_id)
    notes = conn.execute(select(NOTE).where(NOTE.c.case_id == case.id).order_by(NOTE.c.id)).mappings()
    items = [
        WorkItem(
            at=_placed(note["created_at"], note["happened_on"], zone),
            kind=note["kind"],
            summary=note["text"],
            actor_id=note["author_id"],
            details={
                "note_id": note["id"],
                "day": note["happened_on"],
                "erased": note["erased_at"] is not None,
            },
        )
        for note in notes
    ]
    files = select(
        ATTACHMENT.c.id,
        ATTACHMENT.c.name,
        ATTACHMENT.c.media_type,
        ATTACHMENT.c.size,
        ATTACHMENT.c.note_id,
        ATTACHMENT.c.uploaded_by,
        ATTACHMENT.c.created_at,
        ATTACHMENT.c.erased_at,
        NOTE.c.happened_on,
    ).outerjoin(NOTE, NOTE.c.id == ATTACHMENT.c.note_id)
    for row in conn.execute(files.where(ATTACHMENT.c.case_id == case.id).order_by(ATTACHMENT.c.id)):
        erased = row.erased_at is not None
        items.append(
            WorkItem(
                at=_placed(row.created_at, row.happened_on, zone),
                kind="attachment",
                summary=row.name,
                actor_id=row.uploaded_by,
                link=None if erased else f"attachment:{row.id}",
                details={
                    "note_id": row.note_id,
                    "day": row.happened_on,  # a meeting report's file: shown on the meeting's day
                    "media_type": row.media_type,
                    "size": row.size,
                    "erased": erased,
                },
            )
        )
    moves = [e for e in events if e["kind"] == "case_assigned"]
    people = {p for e in moves for p in (e["payload"].get("previous"), e["payload"].get("officer"))}
    names = names_of(conn, {p for p in people if isinstance(p, int)})
    for event in moves:
        before, after = event["payload"].get("previous"), event["payload"].get("officer")
        items.append(
            WorkItem(
                at=event["effective_at"],
                kind="assigned",
                summary=f"{names.get(before, '—')} → {names.get(after, '—')}",
                actor_id=event["actor_id"],
                details={"from": before, "to": after, "seq": event["seq"]},
            )
        )
    return items


def _placed(created_at: datetime, on: date | None, zone: ZoneInfo) -> datetime:
    """Where a note goes in time: when it was recorded, or the start of an earlier day it names."""
    if on is None or on >= created_at.astimezone(zone).date():
        return created_at
    return datetime.combine(on, time(0, 0), tzinfo=zone).astimezone(created_at.tzinfo)
