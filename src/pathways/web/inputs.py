"""The API's request models: inputs checked before any service runs, bounded like the columns.

Lengths of the columns, no NUL character, references that fit the id columns: bad input
is a 422 naming the field rather than an error from the database. The response models
are in :mod:`pathways.web.api.schemas`.
"""

from __future__ import annotations

from collections.abc import Mapping
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


class PersonCreate(_In):
    """A person to add to an organisation."""

    name: Name
    org: Ref
    role: StaffRole
    email: Email | None = None
    phone: Phone | None = None
    language: Lang | None = None
    channels: Annotated[list[Url], Field(max_length=10)] = []


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


class CaseOpen(_In):
    """A case to open: a project enters the first stage of a pathway."""

    project: Ref
    pathway: Key
    officer: Ref | None = None


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
