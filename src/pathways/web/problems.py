"""What an API error says besides its message: every refused field, and who changed a case meanwhile.

A refused decision names each field at once (``errors``: field, code, message, params), so
an integration can show them all, in its own words if it likes (``code``). A decision made on
a case that moved on (409) says who recorded what, and when (``conflict``), not only that it
failed.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from pathways.domain import fields
from pathways.errors import DecidedMeanwhile, FieldError, FieldErrors, PathwaysError


class FieldProblemPublic(BaseModel):
    """One refused field: `code` says why (required, date, choice, ...), `message` in English."""

    field: str
    code: str
    message: str
    hint: str | None = None
    params: dict[str, str] = Field(default_factory=dict, description="values the message names (item: line)")


class DecisionMeanwhile(BaseModel):
    """A decision recorded on the case after the version the refused one was made on."""

    by: str | None = Field(description="who recorded it (their name), if known")
    stage: str
    outcome: str
    at: datetime
    version: int = Field(description="the case's version it made")


class ConflictPublic(BaseModel):
    """Why a decision on `expected_version` was refused: the case is at `version` now."""

    expected_version: int
    version: int
    meanwhile: list[DecisionMeanwhile]


def problem_body(error: PathwaysError) -> dict[str, Any]:
    """The JSON body of an API error (:class:`pathways.web.schemas.Problem`)."""
    body: dict[str, Any] = {
        "detail": error.message,
        "hint": error.hint,
        "field": getattr(error, "field", None),
    }
    if isinstance(error, FieldError | FieldErrors):
        body["errors"] = [
            FieldProblemPublic(
                field=p.field, code=p.code, message=p.message, hint=p.hint, params=dict(p.params)
            ).model_dump(mode="json")
            for p in fields.problems_of(error)
        ]
    if isinstance(error, DecidedMeanwhile):
        body["conflict"] = ConflictPublic(
            expected_version=error.expected,
            version=error.now,
            meanwhile=[
                DecisionMeanwhile(by=m.by, stage=m.stage, outcome=m.outcome, at=m.at, version=m.version)
                for m in error.meanwhile
            ],
        ).model_dump(mode="json")
    return body
