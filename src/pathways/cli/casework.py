"""`pathways case note`, `case attach` and `case assign`: work on a case that decides nothing.

The operator's side of the use cases the case page and the API offer (services.casework.notes,
.attachments, .assign): every check is the same; the operator sees every organisation, and
records the work for a staff member of the case's organisation with ``--by``.
"""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, BinaryIO

import typer

from pathways.cli.context import Json, app_of
from pathways.cli.output import console, emit_json, escape
from pathways.errors import FieldError

if TYPE_CHECKING:
    from pathways.services.casework.attachments import AttachmentAdded

CaseArg = Annotated[str, typer.Argument(help="Case reference (DIAG-2026-0001) or id.")]
By = Annotated[
    str | None,
    typer.Option(
        help="Who it is recorded for: an officer or manager of the case's organisation (id, handle, e-mail)."
    ),
]


def _opened(path: Path) -> BinaryIO:
    """The file to attach, opened for reading; FieldError naming --attach when it cannot be."""
    try:
        if not path.is_file():
            raise FieldError("attach", f"{path} is not a file", hint="give the path of a file to attach")
        return path.open("rb")
    except OSError as exc:
        raise FieldError("attach", f"{path} cannot be read: {exc.strerror}") from None


def _size(added: AttachmentAdded) -> str:
    return f"{escape(added.name)} ({added.media_type}, {added.size:,} bytes)"


def note(
    ctx: typer.Context,
    case: CaseArg,
    text: Annotated[str, typer.Argument(help="The note or the meeting report (quote it).")],
    date: Annotated[
        str | None, typer.Option("--date", help="The day it happened, YYYY-MM-DD (not after today).")
    ] = None,
    attach: Annotated[
        Path | None,
        typer.Option(help="A file to attach: PDF, PNG, JPEG, ODT, ODS, DOCX, XLSX or .txt (size limited)."),
    ] = None,
    meeting: Annotated[bool, typer.Option("--meeting", help="A meeting report rather than a note.")] = False,
    by: By = None,
    json: Json = False,
) -> None:
    """Add a note or a meeting report to a case's timeline; exit 2 naming each refused field."""
    from pathways.services.casework import notes
    from pathways.services.casework.attachments import FileUpload

    app_ = app_of(ctx)
    stream = _opened(attach) if attach is not None else None
    try:
        upload = FileUpload(attach.name, stream) if attach is not None and stream is not None else None
        command = notes.AddNote(
            case=case, text=text, kind="meeting" if meeting else "note", on=date, attachment=upload, author=by
        )
        added = notes.add_note(app_, command, by=None)
    finally:
        if stream is not None:
            stream.close()
    if json:
        emit_json(asdict(added))
        return
    what = "meeting report" if added.kind == "meeting" else "note"
    day = f" of {added.on.isoformat()}" if added.on else ""
    console.print(f"{added.ref}: {what}{day} added to the timeline (note {added.note_id})")
    if added.attachment is not None:
        console.print(f"  attached {_size(added.attachment)}")


def attach(
    ctx: typer.Context,
    case: CaseArg,
    file: Annotated[
        Path, typer.Argument(help="PDF, PNG, JPEG, ODT, ODS, DOCX, XLSX or .txt (size limited).")
    ],
    by: By = None,
    json: Json = False,
) -> None:
    """Attach a file to a case: its kind is read from its content and must match its name's extension."""
    from pathways.services.casework import attachments

    app_ = app_of(ctx)
    with _opened(file) as stream:
        command = attachments.AddAttachment(
            case=case, file=attachments.FileUpload(file.name, stream), uploader=by
        )
        added = attachments.add_attachment(app_, command, by=None)
    if json:
        emit_json(asdict(added))
        return
    console.print(f"{added.ref}: attached {_size(added)} (attachment {added.id})")


def assign(
    ctx: typer.Context,
    case: CaseArg,
    person: Annotated[
        str, typer.Argument(help="The officer or manager who takes the case (id, handle, e-mail).")
    ],
    expect_version: Annotated[
        int | None,
        typer.Option(
            "--expected-version", help="The case's version you read (`case show`): refused if it moved."
        ),
    ] = None,
    json: Json = False,
) -> None:
    """Give a case to another officer or manager of its organisation (recorded in its history)."""
    from pathways.services.casework import assign as assigning

    app_ = app_of(ctx)
    command = assigning.AssignCase(case=case, officer=person, expected_version=expect_version)
    done = assigning.assign_case(app_, command, by=None)
    if json:
        emit_json(asdict(done))
        return
    before = escape(done.previous) if done.previous else "nobody"
    console.print(
        f"{done.ref}: now followed by {escape(done.officer)} (before: {before}); version {done.version}"
    )
