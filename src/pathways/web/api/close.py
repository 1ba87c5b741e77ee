"""REST API: close a case through one of its pathway's exits, at any stage, with a reason.

``POST /api/v1/cases/{ref}/close`` with ``{"result": "withdrawn", "reason": "..."}``: 200 with
what the closing did; 422 naming the field (``result`` not an exit of the pathway, ``reason``
missing or blank); 404 for a case of another organisation (as for one that does not exist);
409 for a case already closed, or changed since ``expected_version``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from pathways.domain.exits import MAX_REASON
from pathways.services.casework import closing
from pathways.web.api.routes import ERRORS, CaseRef
from pathways.web.deps import Caller
from pathways.web.inputs import Id, Key, Note

router = APIRouter(prefix="/api/v1", responses=ERRORS)


class CaseClose(BaseModel):
    """Close the case through an exit of its pathway (`GET /api/v1/cases/{ref}` lists them in `exits`)."""

    model_config = ConfigDict(extra="forbid")

    result: Key = Field(description="the exit: withdrawn, abandoned, or one the pathway adds")
    reason: Annotated[Note, Field(min_length=1, max_length=MAX_REASON, description="why it closes")]
    expected_version: Id | None = Field(
        default=None, description="the case's `version` as you read it: refused (409) if it changed since"
    )


class CaseClosed(BaseModel):
    """What closing the case did."""

    case_id: int
    ref: str
    left: str = Field(description="the stage the case was at")
    result: str = Field(description="the exit it closed through")
    closed_at: datetime
    version: int
    notices_cancelled: int = Field(description="reminders and escalations that will not go out")
    work_cancelled: int = Field(description="messages not yet sent and automatic steps of the stage left")
    children_open: list[str] = Field(description="child cases still open: they stay as they are")


@router.post("/cases/{ref}/close", tags=["cases"])
def close_case(caller: Caller, ref: CaseRef, body: CaseClose) -> CaseClosed:
    """Close an open case at any stage, with a reason; pending reminders are cancelled, child cases stay."""
    command = closing.CloseCase(ref, body.result, body.reason, expected_version=body.expected_version)
    closed = closing.close(caller.app, command, by=caller.account())
    return CaseClosed(
        case_id=closed.case_id,
        ref=closed.ref,
        left=closed.left,
        result=closed.result,
        closed_at=closed.closed_at,
        version=closed.version,
        notices_cancelled=closed.notices_cancelled,
        work_cancelled=closed.work_cancelled,
        children_open=list(closed.children_open),
    )
