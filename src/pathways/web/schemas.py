"""The API's request and response models: separate from the tables, bounded like the columns.

Inputs are checked here before any service runs (lengths of the columns, no NUL
character, references that fit the id columns), so bad input is a 422 naming the
field rather than an error from the database.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    model_validator,
)
from pydantic_core import InitErrorDetails, PydanticCustomError

MAX_ID = 2**31 - 1


def _no_nul(value: str) -> str:
    if "\x00" in value:
        raise ValueError("text cannot contain the NUL character")
    return value


def _reference(value: str) -> str:
    """Digits are read as an id: they must fit the id columns."""
    text = value.strip()
    if text.isdigit() and not (text.isascii() and int(text) <= MAX_ID):
        raise ValueError(f"an id is a whole number from 1 to {MAX_ID}")
    return _no_nul(value)


def _json_no_nul(value: Any) -> Any:
    if isinstance(value, str):
        return _no_nul(value)
    if isinstance(value, Mapping):
        return {_no_nul(str(k)): _json_no_nul(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_json_no_nul(v) for v in value]
    return value


_Clean = AfterValidator(_no_nul)
Name = Annotated[str, StringConstraints(min_length=1, max_length=200), _Clean]
Key = Annotated[str, StringConstraints(min_length=1, max_length=64), _Clean]
Short = Annotated[str, StringConstraints(max_length=40), _Clean]
Phone = Annotated[str, StringConstraints(max_length=32), _Clean]
Territory = Annotated[str, StringConstraints(max_length=16), _Clean]
Email = Annotated[str, StringConstraints(max_length=254), _Clean]
Url = Annotated[str, StringConstraints(max_length=500), _Clean]
Note = Annotated[str, StringConstraints(max_length=4000), _Clean]


Id = Annotated[int, Field(ge=1, le=MAX_ID)]
Ref = Id | Annotated[str, StringConstraints(min_length=1, max_length=200), AfterValidator(_reference)]
"""A reference to a row: its id, or a handle, slug, email or name."""

Lang = Literal["fr", "nl", "en"]
StaffRole = Literal["officer", "manager", "owner", "resource", "admin", "auditor"]
PhaseName = Literal["idea", "emergence", "founded", "consolidation", "scaling"]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Problem(BaseModel):
    """An error: what is wrong, what to do, and the field concerned when there is one."""

    detail: str
    hint: str | None = None
    field: str | None = None


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


class PersonCreate(_In):
    """A person to add to an organisation."""

    name: Name
    org: Ref
    role: StaffRole
    email: Email | None = None
    phone: Phone | None = None
    language: Lang | None = None
    channels: Annotated[list[Url], Field(max_length=10)] = []


class PersonPublic(BaseModel):
    """A person and their roles in the organisations the caller sees."""

    id: int
    handle: str
    name: str
    email: str | None
    language: str | None
    roles: list[Membership]


class Created(BaseModel):
    """What was added."""

    id: int
    handle: str


class ProjectCreate(_In):
    """A project to add."""

    name: Name
    org: Ref
    owner: Ref | None = None
    siret: Short | None = None
    bce: Short | None = None
    territory: Territory | None = None
    phase: PhaseName | None = Field(
        default=None,
        description="Default: founded with a SIRET or BCE number (a legal entity), else idea; an earlier"
        " phase given with an identifier is kept and recorded as given despite the identifier.",
    )
    legal_form: Short | None = None
    permanent_jobs: Annotated[int, Field(ge=0, le=1_000_000)] = 0
    fixed_term_jobs: Annotated[int, Field(ge=0, le=1_000_000)] = 0


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


class CaseOpen(_In):
    """A case to open: a project enters the first stage of a pathway."""

    project: Ref
    pathway: Key
    officer: Ref | None = None


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


_NO_VERSION = (
    "Field required: the case's `version` as you read it. Read the case first (GET /api/v1/cases/{ref}) "
    "and send its `version`: a decision on a case that changed since is refused (409) with who changed it"
)


class DecisionCreate(_In):
    """A decision on the case's current stage, made on `expected_version`: refused if the case changed."""

    outcome: Key
    values: Annotated[dict[Key, Any], AfterValidator(_json_no_nul), Field(max_length=100)] = {}
    note: Note | None = None
    expected_version: Annotated[
        Id, Field(description="the case's `version` as you read it (GET /api/v1/cases/{ref})")
    ]

    @model_validator(mode="before")
    @classmethod
    def _version_required(cls, data: Any) -> Any:
        """No expected version: a 422 naming the field, saying to read the case first."""
        if isinstance(data, Mapping) and data.get("expected_version") is None:
            error = InitErrorDetails(
                type=PydanticCustomError("missing", _NO_VERSION), loc=("expected_version",), input=data
            )
            raise ValidationError.from_exception_data(cls.__name__, [error])
        return data


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
