"""The API's response models: separate from the tables, what each endpoint answers.

The request models, checked before any service runs, are in :mod:`pathways.web.inputs`.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel, Field

from pathways.web.problems import ConflictPublic, EditConflictPublic, FieldProblemPublic


class Problem(BaseModel):
    """An error: what is wrong, what to do, and the field concerned when there is one."""

    title: str | None = Field(
        default=None, description="what kind of problem, in the request's Accept-Language (fr, nl; else en)"
    )
    detail: str
    hint: str | None = None
    field: str | None = None
    errors: list[FieldProblemPublic] | None = Field(
        default=None, description="422 on fields: every refused field at once"
    )
    conflict: ConflictPublic | None = Field(
        default=None, description="409 on a case changed since `expected_version`: who recorded what, when"
    )
    edited: EditConflictPublic | None = Field(
        default=None,
        description="409 on a project or person edited since `expected_version`: who changed what, when",
    )


class Membership(BaseModel):
    """A role in an organisation."""

    organisation_id: int
    role: str


class Me(BaseModel):
    """The account using the API and its roles."""

    person_id: int
    handle: str
    name: str
    language: str
    roles: list[Membership]


class OrgPublic(BaseModel):
    """A support organisation."""

    id: int
    slug: str
    name: str
    territory: str
    timezone: str
    language: str


class PersonPublic(BaseModel):
    """A person and their roles in the organisations the caller sees."""

    id: int
    handle: str
    name: str
    email: str | None
    language: str | None
    roles: list[Membership]
    version: int | None = Field(
        default=None,
        description="the person's edit version (read back after a PATCH): send it as `expected_version`",
    )


class Created(BaseModel):
    """What was added."""

    id: int
    handle: str


class ProjectPublic(BaseModel):
    """A supported project."""

    id: int
    organisation_id: int
    name: str
    legal_form: str | None
    siren: str | None
    siret: str | None
    bce: str | None
    territory: str
    phase: str
    permanent_jobs: int
    fixed_term_jobs: int
    owner_id: int | None
    created_at: datetime
    version: int | None = Field(
        default=None,
        description="the project's edit version (GET /projects/{id}, a PATCH's answer): send it as"
        " `expected_version` in PATCH so a change made meanwhile is refused (409) instead of overwritten",
    )


class CaseSummary(BaseModel):
    """A case in a list."""

    ref: str
    organisation_id: int
    project: str
    pathway_id: str
    stage: str | None
    status: str
    result: str | None
    due_at: datetime | None
    officer: str | None
    version: int


class CaseOpened(BaseModel):
    """The case just opened."""

    id: int
    ref: str
    stage: str
    pathway: str
    due_at: datetime | None


class FieldInfo(BaseModel):
    """A field the current stage collects."""

    type: str
    label: str
    required: bool


class Entry(BaseModel):
    """One stay of the case in a stage."""

    seq: int
    stage: str
    entered_at: datetime
    due_at: datetime | None
    left_at: datetime | None
    outcome: str | None
    values: dict[str, Any]
    decided_by: str | None
    note: str | None


class ChildCase(BaseModel):
    """A case started from this one."""

    ref: str
    pathway: str
    stage: str | None
    status: str


class ProjectBrief(BaseModel):
    """The project of a case."""

    id: int
    name: str
    phase: str
    territory: str
    legal_form: str | None


class CaseDetail(BaseModel):
    """A case: where it stands, what the current stage offers, what was recorded."""

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
    exits: dict[str, str] = Field(
        default_factory=dict,
        description="open cases: the exits it closes through at any stage (POST /api/v1/cases/{ref}/close)",
    )
    fields: dict[str, FieldInfo]
    due_at: datetime | None
    officer: str | None
    project: ProjectBrief
    opened_at: datetime
    closed_at: datetime | None
    version: int
    data: dict[str, Any]
    parent: str | None
    children: list[ChildCase]
    entries: list[Entry]


class OutsideUsualPublic(BaseModel):
    """A value recorded outside its field's usual range: a warning, the decision stands."""

    field: str
    value: Decimal
    usual_min: Decimal | None
    usual_max: Decimal | None


class DecisionPublic(BaseModel):
    """What the decision did."""

    case_id: int
    ref: str
    left: str
    outcome: str
    entered: str | None
    result: str | None
    due_at: datetime | None
    version: int
    warnings: list[OutsideUsualPublic] = Field(
        default_factory=list, description="values outside their usual range, recorded anyway"
    )


class HistoryEvent(BaseModel):
    """An audit event of a case."""

    seq: int
    kind: str
    at: datetime
    recorded_at: datetime
    actor: str
    details: dict[str, Any]


class DueItem(BaseModel):
    """An open case due soon or overdue."""

    ref: str
    organisation_id: int
    project: str
    pathway_id: str
    stage: str | None
    due_at: datetime
    officer: str | None
    overdue: bool


class PathwaySummary(BaseModel):
    """A pathway definition in a list."""

    id: str
    version: int
    title: dict[str, str]
    reference: str
    stages: list[str]


class AuditEventPublic(BaseModel):
    """An event of an organisation's audit chain."""

    organisation_id: int
    organisation: str | None
    seq: int
    case_id: int | None
    case: str | None
    actor_id: int | None
    actor: str
    kind: str
    effective_at: datetime
    recorded_at: datetime
    payload: dict[str, Any]


class ChainReport(BaseModel):
    """The verification of one organisation's audit chain."""

    organisation_id: int | None
    organisation: str | None
    ok: bool
    checked: int
    seq: int | None
    problem: str | None
    detail: str


class FailedMessage(BaseModel):
    """A message or digest that could not be delivered: failing (retried later) or dead-lettered."""

    id: int
    organisation_id: int
    case: str | None = Field(description="the case reference; none for a digest")
    items: int | None = Field(description="how many cases a digest lists; none for a message")
    recipient: str | None
    recipient_handle: str | None
    kind: Literal["message", "digest"]
    template: str
    status: Literal["failed", "dead"]
    attempts: int
    last_error: str | None
    failed_at: datetime


class MessageRetried(BaseModel):
    """A message put back in the queue: sent by the next dispatch."""

    id: int
    key: str
    status: str
    was: str


class Health(BaseModel):
    """The server answers and reaches its database."""

    status: Literal["ok"]
    version: str
