"""Forms with a file: ``multipart/form-data`` read as it arrives, the file's size limited as it does.

Starlette's own form parsing keeps a file of any size (to a temporary file) before the route
sees it. Here the body is fed to python-multipart's streaming parser chunk by chunk: the
file's bytes go to a spooled temporary file (in memory up to 1 MiB) until they pass the limit
(``PATHWAYS_MAX_ATTACHMENT_BYTES``), and are dropped from then on, so a too-large file never
takes more than the limit, on disk or in memory; what it was is reported beside the field. The
whole body is capped before that by :class:`pathways.web.limits.BodyLimit` (the limit plus
:data:`FORM_ROOM`), which refuses a larger one with a 413 before reading it.

A page's form must carry the session's CSRF token before its file (the templates put it first,
and browsers send fields in order): a form without it is refused before any byte of its file
is kept. The sender's file name is passed on as text, never used as a path.
"""

from __future__ import annotations

import re
import tempfile
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import IO, TYPE_CHECKING, Annotated, Final

from fastapi import Depends, Request
from python_multipart.exceptions import MultipartParseError
from python_multipart.multipart import MultipartParser, parse_options_header
from starlette.requests import ClientDisconnect

from pathways.errors import InvalidInput
from pathways.web.deps import AppDep, CsrfRefused, SessionDep
from pathways.web.session import CSRF_FIELD

if TYPE_CHECKING:
    from python_multipart.multipart import MultipartCallbacks  # a TypedDict for the type checker only

__all__ = ["FORM_ROOM", "ApiUpload", "PageUpload", "ReceivedFile", "Upload"]

FORM_ROOM: Final = 256 * 1024  # the body beyond the file: the note's text, the token, the headers
FIELD_MAX: Final = 128 * 1024  # one text field (a note of 20,000 characters fits, in any script)
FIELDS_MAX: Final = 20
SPOOL: Final = 1024 * 1024  # kept in memory below this, in a temporary file above
_BOUNDARY: Final = re.compile(r"^[ -~]{1,200}$")  # RFC 2046: at most 70 printable characters


@dataclass
class ReceivedFile:
    """The file of a form: the name it was sent under, its bytes (up to the limit + 1) and size."""

    field: str
    name: str
    stream: IO[bytes]
    size: int = 0  # bytes received, all of them (the stream keeps at most limit + 1)


@dataclass
class Upload:
    """A form with at most one file: its text fields and the file."""

    fields: dict[str, str] = field(default_factory=dict)
    file: ReceivedFile | None = None

    def text(self, name: str) -> str:
        """A text field ('' when it was not sent)."""
        return self.fields.get(name, "")

    def close(self) -> None:
        """Let go of the file's temporary storage."""
        if self.file is not None:
            self.file.stream.close()


class _Reader:
    """The parser's callbacks: headers of each part, then its bytes to a field or to the file."""

    def __init__(self, limit: int, on_file: Callable[[Upload], None]) -> None:
        self.limit = limit
        self.on_file = on_file
        self.upload = Upload()
        self.problem: str | None = None
        self._header_name = b""
        self._header_value = b""
        self._headers: dict[bytes, bytes] = {}
        self._name = ""
        self._text: bytearray | None = None
        self._file: ReceivedFile | None = None

    def callbacks(self) -> MultipartCallbacks:
        return {
            "on_part_begin": self._part_begin,
            "on_header_field": self._header_field,
            "on_header_value": self._header_value_,
            "on_header_end": self._header_end,
            "on_headers_finished": self._headers_finished,
            "on_part_data": self._part_data,
            "on_part_end": self._part_end,
        }

    def _part_begin(self) -> None:
        self._headers = {}
        self._text = None
        self._file = None

    def _header_field(self, data: bytes, start: int, end: int) -> None:
        self._header_name += data[start:end]

    def _header_value_(self, data: bytes, start: int, end: int) -> None:
        self._header_value += data[start:end]

    def _header_end(self) -> None:
        self._headers[self._header_name.strip().lower()] = self._header_value.strip()
        self._header_name = self._header_value = b""

    def _headers_finished(self) -> None:
        disposition, options = parse_options_header(self._headers.get(b"content-disposition", b""))
        if disposition != b"form-data" or b"name" not in options:
            self.problem = "each part of the form needs a Content-Disposition: form-data with a name"
            return
        self._name = options[b"name"].decode("utf-8", "replace")[:64]
        if b"filename" not in options:
            if len(self.upload.fields) >= FIELDS_MAX:
                self.problem = f"at most {FIELDS_MAX} fields"
                return
            self._text = bytearray()
            return
        if self.upload.file is not None:
            self.problem = "one file at a time"
            return
        self.on_file(self.upload)  # e.g. the CSRF token must have come already
        sent = options[b"filename"].decode("utf-8", "replace")
        # Spooled: in memory while small, then a temporary file; closed (deleted) by Upload.close.
        spool = tempfile.SpooledTemporaryFile(max_size=SPOOL)  # noqa: SIM115  closed by Upload.close
        self._file = self.upload.file = ReceivedFile(self._name, sent, spool)

    def _part_data(self, data: bytes, start: int, end: int) -> None:
        if self._text is not None:
            self._text += data[start:end]
            if len(self._text) > FIELD_MAX:
                self.problem = f"the field '{self._name}' is longer than {FIELD_MAX:,} bytes"
                self._text = None
        elif self._file is not None:
            chunk = data[start:end]
            room = self.limit + 1 - self._file.size
            if room > 0:
                # Small chunks to memory or a local temporary file: written in the event loop,
                # as Starlette's own parser writes a spooled file still in memory.
                self._file.stream.write(chunk[:room])
            self._file.size += len(chunk)

    def _part_end(self) -> None:
        if self._text is not None:
            self.upload.fields[self._name] = self._text.decode("utf-8", "replace").replace("\x00", "")
        self._text = None
        if self._file is not None:
            self._file.stream.seek(0)
            if not self._file.name and self._file.size == 0:  # a file input left empty
                self._file.stream.close()
                self.upload.file = None
        self._file = None


async def read_upload(request: Request, *, limit: int, on_file: Callable[[Upload], None]) -> Upload:
    """Parse the request's multipart body as it arrives (see the module); InvalidInput if malformed."""
    kind, options = parse_options_header(request.headers.get("content-type", ""))
    boundary = options.get(b"boundary", b"").decode("latin-1")
    if kind != b"multipart/form-data" or not _BOUNDARY.fullmatch(boundary):
        raise InvalidInput(
            "send the form as multipart/form-data (with its boundary)",
            hint="e.g. curl -F text=... -F file=@report.pdf",
        )
    reader = _Reader(limit, on_file)
    parser = MultipartParser(boundary, reader.callbacks())
    try:
        async for chunk in request.stream():
            parser.write(chunk)
            if reader.problem:
                break
        else:
            parser.finalize()
    except MultipartParseError:
        reader.problem = "the multipart body is malformed"
    except ClientDisconnect:
        reader.problem = "the upload was interrupted"
    except BaseException:
        reader.upload.close()
        raise
    if reader.problem:
        reader.upload.close()
        raise InvalidInput(reader.problem, hint="send the form again")
    return reader.upload


async def page_upload(request: Request, app: AppDep, session: SessionDep) -> AsyncIterator[Upload]:
    """A page's form with a file, its CSRF token checked before the file is kept (CsrfRefused)."""

    def csrf_first(upload: Upload) -> None:
        if not session.csrf_ok(upload.fields.get(CSRF_FIELD)):
            raise CsrfRefused

    upload = await read_upload(request, limit=app.settings.max_attachment_bytes, on_file=csrf_first)
    try:
        csrf_first(upload)  # a form without a file is checked too
        yield upload
    finally:
        upload.close()


async def api_upload(request: Request, app: AppDep) -> AsyncIterator[Upload]:
    """An API request's form with a file (the bearer token is checked by the route)."""
    upload = await read_upload(request, limit=app.settings.max_attachment_bytes, on_file=lambda _u: None)
    try:
        yield upload
    finally:
        upload.close()


PageUpload = Annotated[Upload, Depends(page_upload)]
ApiUpload = Annotated[Upload, Depends(api_upload)]
