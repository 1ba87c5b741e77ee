"""What the case reads return: frozen, typed views built from a row, never the row itself.

Each view is built from a SQLAlchemy row mapping (``CaseView.of(row)``), so a read runs the
same statements as before and callers write ``case.ref`` where they wrote ``case["ref"]``.
Where a dictionary is really needed (``--json``, a CLI table), ``dataclasses.asdict`` gives one
with the same keys; the API's pydantic models read them with ``from_attributes=True``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

__all__ = [
    "CaseDetails",
    "CaseItem",
    "CaseRow",
    "CaseView",
    "ChildCase",
    "DecisionDetails",
    "DocumentItem",
    "DocumentSummary",
    "DocumentView",
    "DueRow",
    "FieldBrief",
    "HistoryEntry",
    "OpenedCase",
    "ProjectBrief",
    "StageStay",
    "UnseenDecision",
]


@dataclass(frozen=True, slots=True)
class CaseView:
    """A row of the case table, with the types of :class:`pathways.store.tables.Case`.

    ``id`` is never None here: the table declares it optional only for rows not inserted yet.
    """

    id: int
    ref: str
    organisation_id: int
    project_id: int
    pathway_id: str
    pathway_version: int
    stage: str | None
    status: str
    result: str | None
    officer_id: int | None
    resource_id: int | None
    parent_id: int | None
    current_entry_id: int | None
    due_at: datetime | None
    opened_at: datetime
    closed_at: datetime | None
    data: dict[str, Any]
    version: int

    @classmethod
    def of(cls, row: Mapping[Any, Any]) -> CaseView:
        """The view of a row holding every column of the case table (and nothing else); the
        list's sort key the database keeps (``project_key``, migration 0018) is no fact of the case."""
        return cls(**{k: v for k, v in row.items() if k != "project_key"})


@dataclass(frozen=True, slots=True)
class OpenedCase:
    """A case just opened: where it starts and when that stage is due (``asdict``: the API's and
    ``--json``'s keys, in that order)."""

    id: int
    ref: str
    stage: str
    due_at: datetime | None
    pathway: str


@dataclass(frozen=True, slots=True)
class FieldBrief:
    """A field the current stage collects, labelled in the reader's language."""

    type: str
    label: str
    required: bool


@dataclass(frozen=True, slots=True)
class ProjectBrief:
    """The project of a case, with its owner's name."""

    id: int
    name: str
    phase: str
    territory: str
    legal_form: str | None
    owner_id: int | None
    owner: str | None


@dataclass(frozen=True, slots=True)
class ChildCase:
    """A case started from another one (a hand-off, a spawned mission)."""

    ref: str
    pathway: str
    stage: str | None
    status: str
    result: str | None
    due_at: datetime | None
    subject: str | None  # the mission or carrier it was opened for


@dataclass(frozen=True, slots=True)
class StageStay:
    """One stay of a case in a stage, with the name of who decided it."""

    seq: int
    stage: str
    entered_at: datetime
    due_at: datetime | None
    left_at: datetime | None
    outcome: str | None
    values: dict[str, Any]
    decided_by: str | None
    note: str | None


@dataclass(frozen=True, slots=True)
class CaseDetails:
    """A case as its page shows it: project, current stage and what it offers, data, links, stays.

    Titles and labels are in the language the read was asked for; ``outcomes``, ``exits`` and
    ``fields`` are empty once the case is closed.
    """

    id: int
    ref: str
    pathway: str
    pathway_version: int
    pathway_title: str
    status: str
    result: str | None
    result_label: str | None
    stage: str | None
    stage_title: str | None
    outcomes: dict[str, str]
    exits: dict[str, str]  # the exits an open case may close through, at any stage (`case close`)
    fields: dict[str, FieldBrief]
    due_at: datetime | None
    officer: str | None
    project: ProjectBrief
    opened_at: datetime
    closed_at: datetime | None
    version: int
    data: dict[str, Any]
    parent: str | None  # the parent case's reference
    children: tuple[ChildCase, ...]
    entries: tuple[StageStay, ...]


@dataclass(frozen=True, slots=True)
class CaseRow:
    """A case in a list: where it is, its project's name and its officer's."""

    id: int
    ref: str
    organisation_id: int
    pathway_id: str
    stage: str | None
    status: str
    result: str | None
    due_at: datetime | None
    officer_id: int | None
    version: int
    project: str  # the project's name
    officer: str | None  # the officer's name


@dataclass(frozen=True, slots=True)
class DueRow:
    """An open case due soon or overdue; the titles only when the read was given a catalogue."""

    ref: str
    organisation_id: int
    pathway_id: str
    pathway_version: int
    stage: str | None
    due_at: datetime
    project: str  # the project's name
    officer: str | None  # the officer's name
    overdue: bool
    pathway_title: str | None = None
    stage_title: str | None = None


@dataclass(frozen=True, slots=True)
class DocumentSummary:
    """A document of a case as lists show it: its title, the stage it was rendered at, its size."""

    id: int
    case: str  # the case's reference
    name: str
    title: str
    language: str
    media_type: str
    stage: str | None  # None when its stage entry is gone
    created_at: datetime
    size: int  # bytes of its UTF-8 content


@dataclass(frozen=True, slots=True)
class DocumentItem:
    """A document of a case on the case page: without its content, titled for the reader."""

    id: int
    name: str
    language: str
    media_type: str
    created_at: datetime
    title: str


@dataclass(frozen=True, slots=True)
class DocumentView:
    """A document of a case with its content, with the types of :class:`pathways.store.tables.Document`."""

    id: int
    case_id: int
    entry_id: int | None
    name: str
    language: str
    media_type: str
    content: str
    created_at: datetime

    @classmethod
    def of(cls, row: Mapping[Any, Any]) -> DocumentView:
        """The view of a row holding every column of the document table (and nothing else)."""
        return cls(**row)


@dataclass(frozen=True, slots=True)
class DecisionDetails:
    """The values and note of a decided stage entry (kept outside the audit chain)."""

    values: dict[str, Any]
    note: str | None


@dataclass(frozen=True, slots=True)
class HistoryEntry:
    """An audit event of a case: who and when (effective and recorded).

    ``details`` is the event's payload, a JSON document whose keys depend on ``kind``; a
    decision's also holds the ``values`` and ``note`` of its stage entry.
    """

    seq: int
    kind: str
    at: datetime
    recorded_at: datetime
    actor: str
    details: dict[str, Any]


@dataclass(frozen=True, slots=True)
class CaseItem:
    """One case of a list."""

    id: int
    ref: str
    organisation_id: int
    project_id: int
    project: str
    pathway_id: str
    pathway_version: int
    stage: str | None
    status: str
    result: str | None
    due_at: datetime | None
    officer_id: int | None
    officer: str | None
    opened_at: datetime
    closed_at: datetime | None
    version: int

    def overdue(self, now: datetime) -> bool:
        """Open and past its deadline."""
        return self.status == "open" and self.due_at is not None and self.due_at < now


@dataclass(frozen=True, slots=True)
class UnseenDecision:
    """A decision another decision was recorded right after, its officer not having seen it
    (:func:`pathways.services.casework.conflict.unseen_by_entry`); ``asdict`` gives the timeline
    item's ``decided_over`` entries, with these keys in this order."""

    by: str | None  # who recorded it (None: unknown)
    stage: str | None
    outcome: str | None
    at: datetime
