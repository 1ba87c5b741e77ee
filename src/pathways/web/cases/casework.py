"""Work on a case without deciding, from its page: add a note or a meeting report (with a file),
attach a file, reassign the officer, open an attachment.

Each form posts to its route, which calls one use case of ``services.casework`` (scoped to the
user's organisations, one transaction, audited) and goes back to the case page: with ``?done=``
when it was recorded, or with the form as it was typed and every refused field's message beside
it (422) when it was not. The forms with a file are read as they arrive (:mod:`pathways.web.upload`).
"""

from __future__ import annotations

import re
from typing import Annotated, Final
from urllib.parse import quote

from fastapi import APIRouter, Path, Request
from fastapi.responses import RedirectResponse, Response

from pathways.domain import fields
from pathways.errors import Conflict, DecidedMeanwhile, FieldError, FieldErrors, Forbidden, Refused
from pathways.services.casework import assign, attachments, notes
from pathways.services.casework.attachments import AttachmentFile, FileUpload
from pathways.web.cases import casepage
from pathways.web.cases.casework_view import WorkForm, errors_by_field
from pathways.web.cases.conflictview import meanwhile_lines
from pathways.web.deps import AppDep, Csrf, PageUser
from pathways.web.i18n import texts
from pathways.web.scope import Scope
from pathways.web.upload import PageUpload, Upload

__all__ = ["UPLOAD_PATHS", "attachment_response", "router"]

router = APIRouter(include_in_schema=False)
CaseRef = casepage.CaseRef
AttachmentId = Annotated[int, Path(ge=1, le=2**31 - 1)]
# The routes whose body may carry a file (pages and API): BodyLimit lets them send the file's limit.
UPLOAD_PATHS: Final = re.compile(r"^(/api/v1)?/cases/[^/]{1,40}/(notes|attachments)$")


def attachment_response(found: AttachmentFile) -> Response:
    """An attachment as a download: never shown in the page, its type as read from its bytes."""
    disposition = (
        f"attachment; filename=\"{found.ascii_name}\"; filename*=UTF-8''{quote(found.name, safe='')}"
    )
    return Response(
        found.content,
        media_type=found.media_type,
        headers={
            "Content-Disposition": disposition,
            "X-Content-Type-Options": "nosniff",
            "Content-Security-Policy": "sandbox; default-src 'none'",
            "Cache-Control": "private, no-store",
        },
    )


def _file_of(upload: Upload) -> FileUpload | None:
    return FileUpload(upload.file.name, upload.file.stream) if upload.file is not None else None


def _version(text: str) -> int | None:
    """The case's version a form showed (its hidden ``version``), when it holds one."""
    text = text.strip()
    return int(text) if text.isascii() and text.isdigit() and 0 < len(text) < 10 else None


def _changes(app: AppDep, user: PageUser, ref: str, conflict: DecidedMeanwhile) -> tuple[str, ...]:
    """Each change a stale form did not see, in words, in the user's language."""
    with app.store.read() as conn:
        scope = Scope(user, conn)
        case = scope.case(ref)
        zone = str(scope.org(case.organisation_id).timezone)
    pathway = (str(case.pathway_id), int(case.pathway_version))
    return meanwhile_lines(app.catalog, pathway, conflict, user.language, zone) or ()


def _again(
    request: Request, app: AppDep, user: PageUser, ref: str, form: WorkForm, code: int = 422
) -> Response:
    """The case page with the form as it was sent, and why it was refused."""
    return casepage._case_page(request, app, user, ref, work_form=form, status_code=code)


@router.post("/cases/{ref}/notes")
def add_note(request: Request, app: AppDep, user: PageUser, ref: CaseRef, upload: PageUpload) -> Response:
    """Add a note or a meeting report (and its file) to the case; back to the page."""
    entered = {name: upload.text(name)[:20_000] for name in ("text", "kind", "date")}
    command = notes.AddNote(
        case=ref,
        text=entered["text"],
        kind=entered["kind"] or "note",
        on=entered["date"] or None,
        attachment=_file_of(upload),
        expected_version=_version(upload.text("version")),
    )
    try:
        added = notes.add_note(app, command, by=user)
    except (FieldError, FieldErrors) as exc:
        errors = errors_by_field(fields.problems_of(exc), user.language)
        return _again(request, app, user, ref, WorkForm("note", entered, errors))
    except DecidedMeanwhile as exc:
        said = texts(user.language)(
            "This case changed since you opened the page, so the note is not recorded yet: "
            "check what changed, then add it again."
        )
        return _again(
            request, app, user, ref, WorkForm("note", entered, {}, said, _changes(app, user, ref, exc)), 409
        )
    return RedirectResponse(f"/cases/{added.ref}?done={added.kind}#work", status_code=303)


@router.post("/cases/{ref}/attachments")
def add_attachment(
    request: Request, app: AppDep, user: PageUser, ref: CaseRef, upload: PageUpload
) -> Response:
    """Attach a file to the case; back to the page."""
    file = _file_of(upload)
    try:
        if file is None:
            raise FieldError("file", "choose a file", code="work.error.file_required")
        added = attachments.add_attachment(app, attachments.AddAttachment(case=ref, file=file), by=user)
    except (FieldError, FieldErrors) as exc:
        errors = errors_by_field(fields.problems_of(exc), user.language)
        return _again(request, app, user, ref, WorkForm("attachment", {}, errors))
    return RedirectResponse(f"/cases/{added.ref}?done=attachment#work", status_code=303)


@router.get("/cases/{ref}/attachments/{attachment_id}")
def open_attachment(app: AppDep, user: PageUser, ref: CaseRef, attachment_id: AttachmentId) -> Response:
    """An attachment of a case the user may read, as a download; 404 as for an unknown case otherwise."""
    return attachment_response(
        attachments.open_attachment(app, case=ref, attachment_id=attachment_id, by=user)
    )


@router.post("/cases/{ref}/assign", dependencies=[Csrf])
def reassign(request: Request, app: AppDep, user: PageUser, ref: CaseRef) -> Response:
    """Give the case to another officer; back to the page."""
    form = request.state.form
    entered = {"officer": str(form.get("officer") or "")[:200]}
    command = assign.AssignCase(
        case=ref, officer=entered["officer"], expected_version=_version(str(form.get("version") or ""))
    )
    _ = texts(user.language)
    try:
        done = assign.assign_case(app, command, by=user)
    except (FieldError, FieldErrors) as exc:
        errors = errors_by_field(fields.problems_of(exc), user.language)
        return _again(request, app, user, ref, WorkForm("assign", entered, errors))
    except DecidedMeanwhile as exc:
        said = _("This case changed since you opened the page: check who is in charge now, then try again.")
        return _again(
            request, app, user, ref, WorkForm("assign", entered, {}, said, _changes(app, user, ref, exc)), 409
        )
    except Conflict:
        said = _("This case changed since you opened the page: check who is in charge now, then try again.")
        return _again(request, app, user, ref, WorkForm("assign", entered, {}, said), 409)
    except Forbidden:
        raise
    except Refused:
        said = _("This case is closed: its officer can no longer change.")
        return _again(request, app, user, ref, WorkForm("assign", entered, {}, said), 409)
    return RedirectResponse(f"/cases/{done.ref}?done=assigned#work", status_code=303)
