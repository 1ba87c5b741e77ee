"""Files attached to a case (or to one of its notes): checked, stored, served, erased.

Storage: the bytes are a row of ``attachment_content`` in the application's database
(BYTEA on PostgreSQL, BLOB on SQLite), their description a row of ``case_attachment``. One
design on both databases, chosen over files under ``PATHWAYS_HOME`` and over PostgreSQL's
large objects because:

- an attachment is written in the same transaction as its note and its audit event, and
  erased in the same transaction as the rest of a person's data: no file left behind by a
  rolled-back request, none missing after a crash, nothing for a second process to tidy;
- a scaled installation runs the web app on several machines against one PostgreSQL: every
  one of them sees every attachment without a shared file system, and a database backup
  holds the attachments with the cases they belong to;
- large objects exist on PostgreSQL only, and outlive their row unless unlinked by hand.

The price is database size: a file is at most ``PATHWAYS_MAX_ATTACHMENT_BYTES`` (10 MiB by
default, refused while it arrives: :mod:`pathways.web.upload`), read whole only to be served.

A file is accepted only if its content is one of the kinds of :mod:`.filetype` and its name's
extension is that kind's. Served only to people who may read the case (the same 404 as an
unknown one otherwise), always as a download, with the media type read from its bytes. Erased
with a project lead's data, listed in their export: :mod:`.casefile_privacy`.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from typing import IO, TYPE_CHECKING, Any, Final

from sqlalchemy import Connection, Table, select
from sqlmodel import SQLModel

from pathways.errors import FieldErrors, FieldProblem, NotFound
from pathways.services.casework import filetype, scoped
from pathways.services.people.accounts import Principal
from pathways.services.tx import Tx, write
from pathways.store import tables
from pathways.store.core import PERSON

if TYPE_CHECKING:
    from pathways.bootstrap import App

__all__ = [
    "AddAttachment",
    "AttachmentAdded",
    "AttachmentFile",
    "AttachmentInfo",
    "CheckedFile",
    "FileUpload",
    "add_attachment",
    "attachments_of",
    "case_attachments",
    "check_file",
    "open_attachment",
]

# Looked up in the metadata the table classes of pathways.store.tables registered on import.
_REGISTERED: Final = (tables.CaseNote, tables.CaseAttachment, tables.AttachmentContent)
ATTACHMENT: Final[Table] = SQLModel.metadata.tables["case_attachment"]
CONTENT: Final[Table] = SQLModel.metadata.tables["attachment_content"]
NOTE: Final[Table] = SQLModel.metadata.tables["case_note"]
_CHUNK: Final = 1 << 16


@dataclass(frozen=True, slots=True)
class FileUpload:
    """A file as it was sent: its name (never used as a path) and its content (a seekable stream)."""

    name: str
    stream: IO[bytes]


@dataclass(frozen=True, slots=True)
class CheckedFile:
    """A file found acceptable: its clean name, kind, size, SHA-256 and bytes."""

    name: str
    kind: filetype.FileKind
    size: int
    sha256: str
    content: bytes


@dataclass(frozen=True, slots=True)
class AddAttachment:
    """Attach `file` to `case`; `uploader`: who it is recorded for (the operator's commands only)."""

    case: str | int
    file: FileUpload
    uploader: str | int | None = None


@dataclass(frozen=True, slots=True)
class AttachmentAdded:
    """An attachment stored."""

    id: int
    case_id: int
    ref: str
    name: str
    media_type: str
    size: int
    sha256: str
    note_id: int | None


@dataclass(frozen=True, slots=True)
class AttachmentInfo:
    """An attachment as a case page lists it (no bytes)."""

    id: int
    name: str
    media_type: str
    size: int
    created_at: datetime
    uploaded_by: str | None
    note_id: int | None
    erased: bool


@dataclass(frozen=True, slots=True)
class AttachmentFile:
    """An attachment to send: its names for the Content-Disposition header, its type and bytes."""

    name: str
    ascii_name: str
    media_type: str
    content: bytes


def _problem(
    code: str, message: str, *, field: str, hint: str | None = None, **params: object
) -> FieldProblem:
    return FieldProblem(field, code, message, hint, {k: str(v) for k, v in params.items()})


def check_file(upload: FileUpload, *, limit: int, field: str = "file") -> CheckedFile | FieldProblem:
    """The file, read at most `limit` + 1 bytes, if it is an accepted kind named with its extension;
    else the problem (code: a key of the pages' catalogue)."""
    name = filetype.clean_name(upload.name)
    upload.stream.seek(0)
    digest = hashlib.sha256()
    parts: list[bytes] = []
    size = 0
    while size <= limit:
        chunk = upload.stream.read(min(_CHUNK, limit + 1 - size))
        if not chunk:
            break
        size += len(chunk)
        digest.update(chunk)
        parts.append(chunk)
    upload.stream.seek(0)
    if size > limit:
        return _problem(
            "work.error.too_large",
            f"{name} is larger than {limit:,} bytes",
            field=field,
            hint="send a smaller file (a PDF of a scan, a compressed image)",
            name=name,
            limit_bytes=limit,
        )
    if size == 0:
        return _problem("work.error.empty", f"{name} is empty", field=field, name=name)
    accepted = ", ".join(f".{e}" for e in filetype.ACCEPTED_EXTENSIONS)
    sniffed = filetype.sniff(upload.stream)
    ext = filetype.extension_of(name)
    if sniffed.kind is None or (
        sniffed.kind.id == "text" and not filetype.text_is_clean(upload.stream, size)
    ):
        reason = sniffed.reason or "binary content"
        return _problem(
            "work.error.kind", f"{name}: {reason}", field=field, hint=f"accepted: {accepted}", name=name
        )
    if ext not in sniffed.kind.extensions:
        return _problem(
            "work.error.extension",
            f"{name}: its content is {sniffed.kind.id.upper()}, its name ends with '.{ext}'",
            field=field,
            hint=f"name a {sniffed.kind.id.upper()} file .{sniffed.kind.extensions[0]}",
            name=name,
            kind=sniffed.kind.id.upper(),
            ext=sniffed.kind.extensions[0],
        )
    return CheckedFile(name, sniffed.kind, size, digest.hexdigest(), b"".join(parts))


def store(
    tx: Tx, *, case_id: int, ref: str, file: CheckedFile, by: int | None, note_id: int | None
) -> AttachmentAdded:
    """Write an accepted file on case `case_id` in the caller's transaction (no audit event: the caller's)."""
    attachment_id = tx.insert(
        ATTACHMENT,
        case_id=case_id,
        note_id=note_id,
        name=file.name,
        media_type=file.kind.media_type,
        size=file.size,
        sha256=file.sha256,
        uploaded_by=by,
        created_at=tx.at,
        erased_at=None,
    )
    tx.conn.execute(CONTENT.insert().values(attachment_id=attachment_id, content=file.content))
    return AttachmentAdded(
        attachment_id,
        case_id,
        ref,
        file.name,
        file.kind.media_type,
        file.size,
        file.sha256,
        note_id,
    )


def audit_payload(added: AttachmentAdded) -> dict[str, Any]:
    """What the audit chain says of an attachment: ids, type, size and the content's SHA-256, no name."""
    return {
        "attachment": added.id,
        "media_type": added.media_type,
        "size": added.size,
        "sha256": added.sha256,
    }


def add_attachment(
    app: App, command: AddAttachment, *, by: Principal | None, at: datetime | None = None
) -> AttachmentAdded:
    """Check and store a file on a case, audited (``attachment_added``), in one transaction."""
    with app.store.read() as conn:
        scoped.case_for(conn, by, command.case, change=True)
    checked = check_file(command.file, limit=app.settings.max_attachment_bytes)
    if isinstance(checked, FieldProblem):
        raise FieldErrors([checked])
    with write(app, actor_id=by.person_id if by is not None else None, at=at) as tx:
        case = scoped.case_for(tx.conn, by, command.case, change=True)
        uploader = scoped.recorder(tx.conn, by, command.uploader, org_id=case.organisation_id)
        added = store(tx, case_id=case.id, ref=case.ref, file=checked, by=uploader, note_id=None)
        tx.audit(
            organisation_id=case.organisation_id,
            case_id=case.id,
            kind="attachment_added",
            payload=audit_payload(added) | ({"for": uploader} if by is None and uploader else {}),
        )
        return added


def attachments_of(conn: Connection, case_id: int) -> list[AttachmentInfo]:
    """A case's attachments, oldest first (their bytes are not read)."""
    query = (
        select(
            ATTACHMENT.c.id,
            ATTACHMENT.c.name,
            ATTACHMENT.c.media_type,
            ATTACHMENT.c.size,
            ATTACHMENT.c.created_at,
            ATTACHMENT.c.note_id,
            ATTACHMENT.c.erased_at,
            PERSON.c.name.label("by"),
        )
        .outerjoin(PERSON, PERSON.c.id == ATTACHMENT.c.uploaded_by)
        .where(ATTACHMENT.c.case_id == case_id)
        .order_by(ATTACHMENT.c.id)
    )
    return [
        AttachmentInfo(
            r.id, r.name, r.media_type, r.size, r.created_at, r.by, r.note_id, r.erased_at is not None
        )
        for r in conn.execute(query)
    ]


def case_attachments(app: App, *, case: str | int, by: Principal | None) -> list[AttachmentInfo]:
    """The attachments of a case `by` may read (:func:`.scoped.case_for`'s NotFound otherwise)."""
    with app.store.read() as conn:
        return attachments_of(conn, scoped.case_for(conn, by, case, change=False).id)


def open_attachment(app: App, *, case: str | int, attachment_id: int, by: Principal | None) -> AttachmentFile:
    """An attachment of a case `by` may read; the same NotFound for any other, or an erased one."""
    with app.store.read() as conn:
        row = scoped.case_for(conn, by, case, change=False)
        found = conn.execute(
            select(ATTACHMENT.c.name, ATTACHMENT.c.media_type, CONTENT.c.content)
            .join(CONTENT, CONTENT.c.attachment_id == ATTACHMENT.c.id)
            .where(ATTACHMENT.c.id == attachment_id, ATTACHMENT.c.case_id == row.id)
        ).first()
    if found is None:
        raise NotFound(
            f"no attachment {attachment_id} on case {row.ref}",
            hint="the case page lists its attachments; an erased one cannot be opened",
            code="attachment_not_found",
            params={"ref": row.ref, "attachment": attachment_id},
        )
    return AttachmentFile(found.name, filetype.ascii_name(found.name), found.media_type, bytes(found.content))
