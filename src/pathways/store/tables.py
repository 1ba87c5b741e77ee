"""The application's tables. Only the store package and the services import them.

Cases, stage entries, the reminder schedule, audit events and outbox jobs live
here: the database is the source of truth (DESIGN principle 1).
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Column, Index, LargeBinary, Text, UniqueConstraint, text
from sqlmodel import Field, SQLModel

from pathways.store.types import JSONDoc, UTCDateTime


def _at(*, nullable: bool = False, index: bool = False) -> Any:
    return Field(sa_column=Column(UTCDateTime(), nullable=nullable, index=index))


_OPEN = "status = 'open'"


def _where(condition: str) -> dict[str, Any]:
    """A partial index's condition, on both databases."""
    return {"sqlite_where": text(condition), "postgresql_where": text(condition)}


def _json(default: Any) -> Any:
    return Field(default_factory=default, sa_column=Column(JSONDoc, nullable=False))


class Organisation(SQLModel, table=True):
    """A support organisation (DLA, incubator, PTCE, network) on a territory."""

    id: int | None = Field(default=None, primary_key=True)
    slug: str = Field(unique=True, max_length=80)
    name: str = Field(max_length=200)
    territory: str = Field(max_length=16)
    timezone: str = Field(default="Europe/Paris", max_length=64)
    language: str = Field(default="fr", max_length=2)
    created_at: datetime = _at()
    options: dict[str, bool] = Field(  # local rules switched on or off over its files' (migration 0014)
        default_factory=dict, sa_column=Column(JSONDoc, nullable=False, server_default="{}")
    )


class OrganisationHoliday(SQLModel, table=True):
    """A day off an organisation adds to its territory's public holidays (a community day), and why."""

    __tablename__ = "organisation_holiday"

    id: int | None = Field(default=None, primary_key=True)
    organisation_id: int = Field(foreign_key="organisation.id", index=True)
    month: int
    day: int
    year: int | None = Field(default=None, description="None: every year")
    name: str = Field(max_length=100)
    source: str = Field(max_length=200, description="why it is granted: joint committee, employer")


class Person(SQLModel, table=True):
    """Anyone pathways knows: officers, managers, project owners, resource persons.

    Personal data (name, email, phone, channels) lives only here, never in the
    audit chain, so it can be erased on request.
    """

    id: int | None = Field(default=None, primary_key=True)
    handle: str = Field(unique=True, max_length=80)
    name: str = Field(max_length=200)
    email: str | None = Field(default=None, max_length=254)
    phone: str | None = Field(default=None, max_length=32)
    language: str | None = Field(default=None, max_length=2)
    channels: list[str] = _json(list)
    digest: bool = Field(
        default=True, description="officers: one daily digest instead of one message per item"
    )
    topics: list[str] = _json(list)
    created_at: datetime = _at()
    erased_at: datetime | None = _at(nullable=True)


class Membership(SQLModel, table=True):
    """A person's role in an organisation."""

    __table_args__ = (UniqueConstraint("person_id", "organisation_id", "role"),)

    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(foreign_key="person.id", index=True)
    organisation_id: int = Field(foreign_key="organisation.id", index=True)
    role: str = Field(max_length=16)


class Project(SQLModel, table=True):
    """A supported project or structure, and where it stands in its lifecycle."""

    # An organisation's projects by name, in index order (migration 0016).
    __table_args__ = (Index("ix_project_org_name", "organisation_id", "name"),)

    id: int | None = Field(default=None, primary_key=True)
    organisation_id: int = Field(foreign_key="organisation.id")  # ix_project_org_name
    name: str = Field(max_length=200)
    legal_form: str | None = Field(default=None, max_length=40)
    siren: str | None = Field(default=None, max_length=9, index=True)
    siret: str | None = Field(default=None, max_length=14)
    bce: str | None = Field(default=None, max_length=10, index=True)
    rna: str | None = Field(default=None, max_length=10)
    ess_status: str | None = Field(default=None, max_length=20)
    sector: str | None = Field(default=None, max_length=10)
    territory: str = Field(max_length=16)
    phase: str = Field(default="idea", max_length=16)
    permanent_jobs: int = 0
    fixed_term_jobs: int = 0
    owner_id: int | None = Field(default=None, foreign_key="person.id", index=True)
    created_at: datetime = _at()


class DirectoryEdit(SQLModel, table=True):
    """One edit of a project or a person: each changed field, before and after (migration 0012).

    The audit chain holds the field names and a keyed digest of these values, not the values
    themselves (a name, an e-mail): they stay here, where erasing a person can reach them.
    """

    __tablename__ = "directory_edit"

    id: int | None = Field(default=None, primary_key=True)
    organisation_id: int = Field(foreign_key="organisation.id")
    project_id: int | None = Field(default=None, foreign_key="project.id", index=True)
    person_id: int | None = Field(default=None, foreign_key="person.id", index=True)
    actor_id: int | None = Field(default=None, foreign_key="person.id")
    at: datetime = _at()
    changes: dict[str, Any] = _json(dict)


class Case(SQLModel, table=True):
    """A project's journey through one pathway (at the version it started on)."""

    __table_args__ = (
        Index(
            "ix_case_open_due",
            "due_at",
            sqlite_where=text("status = 'open'"),
            postgresql_where=text("status = 'open'"),
        ),
        # The case list's filters and counts, read from the index alone (migration 0009; they
        # replace the single-column indexes on organisation_id and officer_id). The name
        # search's indexes are dialect-specific and live outside this metadata: pathways.store.search.
        Index("ix_case_org_status", "organisation_id", "status"),
        Index("ix_case_officer_status", "officer_id", "status", "organisation_id"),
        # Migration 0018: an organisation's or an officer's cases by project name (project_key),
        # read in index order, the case id breaking ties.
        Index("ix_case_org_project", "organisation_id", "status", "project_key", "id"),
        Index("ix_case_officer_project_key", "officer_id", "status", "organisation_id", "project_key", "id"),
        # Migration 0016: open cases by deadline, of an organisation or an officer, counted and
        # read from the index alone (hence the status too); a case's children (nearly no case has
        # a parent: SQLite's statistics made an index of every case useless).
        Index("ix_case_open_org_due", "organisation_id", "due_at", "status", **_where(_OPEN)),
        Index(
            "ix_case_open_officer_due", "officer_id", "due_at", "organisation_id", "status", **_where(_OPEN)
        ),
        Index("ix_case_parent", "parent_id", **_where("parent_id IS NOT NULL")),
    )

    id: int | None = Field(default=None, primary_key=True)
    ref: str = Field(unique=True, max_length=32)
    organisation_id: int = Field(foreign_key="organisation.id")  # ix_case_org_status
    project_id: int = Field(foreign_key="project.id", index=True)
    # lower(project.name), written by the database's triggers (migration 0018), never by the code.
    project_key: str = Field(default="", max_length=200, sa_column_kwargs={"server_default": ""})
    pathway_id: str = Field(max_length=64, index=True)
    pathway_version: int
    stage: str | None = Field(default=None, max_length=64)
    status: str = Field(default="open", max_length=8)
    result: str | None = Field(default=None, max_length=64)
    officer_id: int | None = Field(default=None, foreign_key="person.id")  # ix_case_officer_status
    resource_id: int | None = Field(default=None, foreign_key="person.id", index=True)
    parent_id: int | None = Field(default=None, foreign_key="case.id")  # ix_case_parent
    current_entry_id: int | None = None
    due_at: datetime | None = _at(nullable=True)
    opened_at: datetime = _at()
    closed_at: datetime | None = _at(nullable=True)
    data: dict[str, Any] = _json(dict)
    version: int = Field(default=1, description="optimistic lock: bumped by every change")


class StageEntry(SQLModel, table=True):
    """One stay of a case in a stage (a loop makes several entries of the same stage)."""

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="case.id", index=True)
    seq: int
    stage: str = Field(max_length=64)
    entered_at: datetime = _at()
    due_at: datetime | None = _at(nullable=True)
    left_at: datetime | None = _at(nullable=True)
    outcome: str | None = Field(default=None, max_length=64)
    values: dict[str, Any] = _json(dict)
    decided_by: int | None = Field(default=None, foreign_key="person.id")
    note: str | None = None


class Notice(SQLModel, table=True):
    """A scheduled reminder or escalation for one stage entry (the sweep's work list)."""

    __table_args__ = (
        UniqueConstraint("entry_id", "rule"),
        Index(
            "ix_notice_pending_due",
            "due_at",
            sqlite_where=text("status = 'pending'"),
            postgresql_where=text("status = 'pending'"),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    # Not indexed: notices are looked up by due date or by entry, never by case (migration 0006).
    case_id: int = Field(foreign_key="case.id")
    entry_id: int = Field(foreign_key="stageentry.id")  # UNIQUE(entry_id, rule) indexes it
    rule: str = Field(max_length=32, description="e.g. remind:0, escalate:1 (index in the stage's list)")
    kind: str = Field(max_length=10)
    to_role: str = Field(max_length=16)
    template: str = Field(max_length=64)
    due_at: datetime = _at()
    status: str = Field(default="pending", max_length=10)
    done_at: datetime | None = _at(nullable=True)


class AuditEvent(SQLModel, table=True):
    """Append-only history; each event is chained to the previous one of its organisation."""

    id: int | None = Field(default=None, primary_key=True)
    organisation_id: int = Field(foreign_key="organisation.id")  # UNIQUE(organisation_id, seq) indexes it
    seq: int = Field(description="position in the organisation's chain, from 1")
    case_id: int | None = Field(default=None, index=True)
    actor_id: int | None = Field(default=None, index=True)
    kind: str = Field(max_length=40)
    effective_at: datetime = _at()
    recorded_at: datetime = _at()
    payload: dict[str, Any] = _json(dict)
    prev_digest: str = Field(max_length=64)
    digest: str = Field(max_length=64)

    __table_args__ = (UniqueConstraint("organisation_id", "seq"),)


class AuditHead(SQLModel, table=True):
    """The latest event of each organisation's chain (a row lock serialises appends)."""

    organisation_id: int = Field(foreign_key="organisation.id", primary_key=True)
    seq: int = 0
    digest: str = Field(max_length=64)


class OutboxJob(SQLModel, table=True):
    """Work that follows a committed decision: messages, automatic steps, hand-offs, spawns."""

    __table_args__ = (
        Index(
            "ix_outbox_ready",
            "next_attempt_at",
            sqlite_where=text("status = 'pending'"),
            postgresql_where=text("status = 'pending'"),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(unique=True, max_length=200, description="natural key: sends nothing twice")
    kind: str = Field(max_length=16, index=True)
    case_id: int | None = Field(default=None, index=True)
    pathway_id: str | None = Field(default=None, max_length=64)
    payload: dict[str, Any] = _json(dict)
    status: str = Field(default="pending", max_length=10)
    attempts: int = 0
    next_attempt_at: datetime = _at()
    created_at: datetime = _at()
    updated_at: datetime = _at()
    last_error: str | None = None


class RefCounter(SQLModel, table=True):
    """The last number given to a case reference, per prefix and year."""

    prefix: str = Field(primary_key=True, max_length=8)
    year: int = Field(primary_key=True)
    last: int = 0


class Document(SQLModel, table=True):
    """A document produced for a case (rendered by an automatic step)."""

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="case.id", index=True)
    entry_id: int | None = Field(default=None, foreign_key="stageentry.id")
    name: str = Field(max_length=120)
    language: str = Field(max_length=2)
    media_type: str = Field(max_length=60)
    content: str
    created_at: datetime = _at()


class CaseNote(SQLModel, table=True):
    """A note or a meeting report on a case: work that decides nothing (migration 0010).

    The text stays here, outside the audit chain (whose event names the note by id only), so
    erasing a project lead's data can reach it.
    """

    __tablename__ = "case_note"

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="case.id", index=True)
    kind: str = Field(max_length=10, description="note | meeting")
    text: str
    happened_on: date | None = Field(default=None, description="the meeting's day, when given")
    author_id: int | None = Field(default=None, foreign_key="person.id")
    created_at: datetime = _at()
    erased_at: datetime | None = _at(nullable=True)


class CaseAttachment(SQLModel, table=True):
    """A file attached to a case (or to one of its notes); its bytes are in `attachment_content`."""

    __tablename__ = "case_attachment"

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="case.id", index=True)
    note_id: int | None = Field(default=None, foreign_key="case_note.id", index=True)
    name: str = Field(max_length=120, description="shown and offered as the download's name, never a path")
    media_type: str = Field(max_length=100, description="from the content's own signature")
    size: int
    sha256: str = Field(max_length=64)
    uploaded_by: int | None = Field(default=None, foreign_key="person.id")
    created_at: datetime = _at()
    erased_at: datetime | None = _at(nullable=True)


class AttachmentContent(SQLModel, table=True):
    """The bytes of one attachment, apart from its description so that no list ever reads them."""

    __tablename__ = "attachment_content"

    attachment_id: int = Field(foreign_key="case_attachment.id", primary_key=True)
    content: bytes = Field(sa_column=Column(LargeBinary(), nullable=False))


class ImpactEvaluation(SQLModel, table=True):
    """An impact evaluation in the VISES manner: an evaluative question and its indicators."""

    id: int | None = Field(default=None, primary_key=True)
    project_id: int = Field(foreign_key="project.id", index=True)
    case_id: int | None = Field(default=None, foreign_key="case.id", index=True)
    question: str
    tool: str | None = Field(default=None, max_length=40, description="MESIS, Valor'ESS, SDG...")
    created_at: datetime = _at()


class ImpactIndicator(SQLModel, table=True):
    """One indicator of an evaluation: what is measured, in what unit, from where to where."""

    id: int | None = Field(default=None, primary_key=True)
    evaluation_id: int = Field(foreign_key="impactevaluation.id", index=True)
    name: str = Field(max_length=200)
    unit: str = Field(max_length=40)
    baseline: Decimal | None = Field(default=None, max_digits=18, decimal_places=4)
    target: Decimal | None = Field(default=None, max_digits=18, decimal_places=4)


class ImpactValue(SQLModel, table=True):
    """A dated measurement of an indicator."""

    id: int | None = Field(default=None, primary_key=True)
    indicator_id: int = Field(foreign_key="impactindicator.id", index=True)
    project_id: int = Field(foreign_key="project.id", index=True)
    value: Decimal = Field(max_digits=18, decimal_places=4)
    measured_on: date
    recorded_at: datetime = _at()


class PathwayDefinition(SQLModel, table=True):
    """One published version of a pathway: its file's content, never changed once stored."""

    __tablename__ = "pathway_definition"
    __table_args__ = (UniqueConstraint("pathway_id", "version", name="uq_pathway_definition_version"),)

    id: int | None = Field(default=None, primary_key=True)
    pathway_id: str = Field(max_length=64)
    version: int
    digest: str = Field(max_length=64)  # SHA-256 of the definition's meaning, its version left out
    source: str = Field(sa_column=Column(Text, nullable=False))  # the YAML as published
    file: str = Field(max_length=500)  # where it was published from
    published_at: datetime = _at()
