"""The API's work on a case that decides nothing: notes, attachments, reassignment.

The same use cases as the case page (``services.casework.notes``, ``.attachments``, ``.assign``):
scoped to the token's organisations (a case elsewhere is the 404 of an unknown one), one
transaction each, audited. Notes and attachments are sent as ``multipart/form-data`` (a file
is read as it arrives and refused past ``PATHWAYS_MAX_ATTACHMENT_BYTES``); every refused field
is named at once (``errors``), as for a decision.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Final

from fastapi import APIRouter, Path, status
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field

from pathways.errors import FieldError
from pathways.services.casework import assign, attachments, notes
from pathways.services.casework.attachments import AttachmentAdded, FileUpload
from pathways.web.api.routes import ERRORS, CaseRef
from pathways.web.cases.casework import attachment_response
from pathways.web.deps import ApiUser, AppDep
from pathways.web.inputs import Id, Ref
from pathways.web.upload import ApiUpload, Upload

__all__ = ["router"]

router = APIRouter(prefix="/api/v1", responses=ERRORS, tags=["cases"])
AttachmentId = Annotated[int, Path(ge=1, le=2**31 - 1)]

_FILE: Final = {
    "type": "string",
    "format": "binary",
    "description": "PDF, PNG, JPEG, ODT, ODS, DOCX, XLSX or .txt",
}
_NOTE_FORM: Final[dict[str, Any]] = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["text"],
                    "properties": {
                        "text": {"type": "string", "maxLength": notes.TEXT_MAX},
                        "kind": {"type": "string", "enum": list(notes.KINDS), "default": "note"},
                        "date": {"type": "string", "format": "date", "description": "the day it happened"},
                        "file": _FILE,
                    },
                }
            }
        },
    }
}
_FILE_FORM: Final[dict[str, Any]] = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {"type": "object", "required": ["file"], "properties": {"file": _FILE}}
            }
        },
    }
}


class AttachmentPublic(BaseModel):
    """A file attached to a case (its bytes: GET .../attachments/{id})."""

    id: int
    case: str
    name: str
    media_type: str
    size: int
    sha256: str
    note: int | None = Field(description="the note it came with, if any")


class NotePublic(BaseModel):
    """A note or meeting report recorded on a case."""

    id: int
    case: str
    kind: str
    on: date | None = Field(description="the day it happened, when given")
    at: datetime
    attachment: AttachmentPublic | None


class AttachmentListed(BaseModel):
    """An attachment as a case lists it."""

    id: int
    name: str
    media_type: str
    size: int
    created_at: datetime
    uploaded_by: str | None
    note: int | None
    erased: bool


class AssignBody(BaseModel):
    """Who takes the case; `expected_version`: the case's version you read (refused, 409, if it moved)."""

    model_config = ConfigDict(extra="forbid")

    officer: Ref
    expected_version: Id | None = None


class AssignedPublic(BaseModel):
    """Who is in charge of the case now, and before."""

    case: str
    officer_id: int
    officer: str
    previous_id: int | None
    previous: str | None
    version: int


def _public(added: AttachmentAdded) -> AttachmentPublic:
    return AttachmentPublic(
        id=added.id,
        case=added.ref,
        name=added.name,
        media_type=added.media_type,
        size=added.size,
        sha256=added.sha256,
        note=added.note_id,
    )


def _file_of(upload: Upload) -> FileUpload | None:
    return FileUpload(upload.file.name, upload.file.stream) if upload.file is not None else None


@router.post("/cases/{ref}/notes", status_code=status.HTTP_201_CREATED, openapi_extra=_NOTE_FORM)
def add_note(app: AppDep, user: ApiUser, ref: CaseRef, upload: ApiUpload) -> NotePublic:
    """Add a note or a meeting report (`kind`), with the day it happened and a file if you like."""
    command = notes.AddNote(
        case=ref,
        text=upload.text("text"),
        kind=upload.text("kind") or "note",
        on=upload.text("date") or None,
        attachment=_file_of(upload),
    )
    added = notes.add_note(app, command, by=user)
    return NotePublic(
        id=added.note_id,
        case=added.ref,
        kind=added.kind,
        on=added.on,
        at=added.at,
        attachment=_public(added.attachment) if added.attachment else None,
    )


@router.post("/cases/{ref}/attachments", status_code=status.HTTP_201_CREATED, openapi_extra=_FILE_FORM)
def add_attachment(app: AppDep, user: ApiUser, ref: CaseRef, upload: ApiUpload) -> AttachmentPublic:
    """Attach a file to the case: its kind is read from its content and must match its name."""
    file = _file_of(upload)
    if file is None:
        raise FieldError("file", "send the file in the field 'file'", code="work.error.file_required")
    return _public(attachments.add_attachment(app, attachments.AddAttachment(case=ref, file=file), by=user))


@router.get("/cases/{ref}/attachments")
def list_attachments(app: AppDep, user: ApiUser, ref: CaseRef) -> list[AttachmentListed]:
    """The case's attachments, oldest first (an erased one is listed, its bytes are gone)."""
    return [
        AttachmentListed(
            id=a.id,
            name=a.name,
            media_type=a.media_type,
            size=a.size,
            created_at=a.created_at,
            uploaded_by=a.uploaded_by,
            note=a.note_id,
            erased=a.erased,
        )
        for a in attachments.case_attachments(app, case=ref, by=user)
    ]


@router.get(
    "/cases/{ref}/attachments/{attachment_id}",
    response_class=Response,
    responses={200: {"content": {"application/octet-stream": {}}, "description": "the file, as a download"}},
)
def open_attachment(app: AppDep, user: ApiUser, ref: CaseRef, attachment_id: AttachmentId) -> Response:
    """The file itself (Content-Disposition: attachment; its type as read from its bytes)."""
    return attachment_response(
        attachments.open_attachment(app, case=ref, attachment_id=attachment_id, by=user)
    )


@router.post("/cases/{ref}/assign")
def reassign(app: AppDep, user: ApiUser, ref: CaseRef, body: AssignBody) -> AssignedPublic:
    """Give the case to another officer or manager of its organisation (officers: their own cases)."""
    command = assign.AssignCase(case=ref, officer=body.officer, expected_version=body.expected_version)
    done = assign.assign_case(app, command, by=user)
    return AssignedPublic(
        case=done.ref,
        officer_id=done.officer_id,
        officer=done.officer,
        previous_id=done.previous_id,
        previous=done.previous,
        version=done.version,
    )
