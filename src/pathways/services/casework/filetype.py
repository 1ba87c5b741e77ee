"""What a file really is, read from its bytes, and a name that is safe to show and to offer.

Only a few kinds of file are accepted on a case: PDF, PNG, JPEG, OpenDocument text and
spreadsheet, Word and Excel (Office Open XML) and plain UTF-8 text. The kind is read from
the content's own signature (magic bytes; for the zip-based formats the archive's table of
contents), never from the name or the browser's Content-Type, and the name's extension must
be one of that kind's: an HTML page renamed ``.pdf`` is refused, and so is a PDF renamed
``.docx``. Plain text that opens like an HTML or XML document is refused too (a browser told
to sniff would render it).

The sender's file name is never used as a path: attachments are stored in the database. It
is only shown and offered as the download's name, so it is cleaned of anything a screen, a
header or a file system could misread: directories, control and bidirectional-override
characters, characters Windows forbids, leading dots, excess length.
"""

from __future__ import annotations

import re
import unicodedata
import zipfile
from dataclasses import dataclass
from typing import IO, Final

__all__ = ["KINDS", "FileKind", "Sniffed", "ascii_name", "clean_name", "extension_of", "sniff"]

NAME_MAX: Final = 120
_HEAD: Final = 8192  # bytes read to recognise a kind (and to judge plain text)
_ZIP_MAGIC: Final = b"PK\x03\x04"
_MAX_ZIP_ENTRIES: Final = 10_000  # an office document has dozens; more is not one we accept
_FORBIDDEN: Final = re.compile(r'[<>:"/\\|?*\x00-\x1f\x7f]')
# What a browser sniffing "text/plain" would take for HTML or XML (WHATWG MIME Sniffing, 7.1).
_MARKUP: Final = re.compile(
    rb"^\s*<(!doctype\s+html|html|head|body|script|iframe|h1|div|font|table|a|style|title|b|br|p"
    rb"|svg|img|object|embed|meta|link|form|!--|\?xml)[\s>/]",
    re.IGNORECASE,
)


@dataclass(frozen=True, slots=True)
class FileKind:
    """One accepted kind of file: its id, media type and the extensions its names may end with."""

    id: str
    media_type: str
    extensions: tuple[str, ...]


KINDS: Final = {
    k.id: k
    for k in (
        FileKind("pdf", "application/pdf", ("pdf",)),
        FileKind("png", "image/png", ("png",)),
        FileKind("jpeg", "image/jpeg", ("jpg", "jpeg")),
        FileKind("odt", "application/vnd.oasis.opendocument.text", ("odt",)),
        FileKind("ods", "application/vnd.oasis.opendocument.spreadsheet", ("ods",)),
        FileKind(
            "docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document", ("docx",)
        ),
        FileKind("xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", ("xlsx",)),
        FileKind("text", "text/plain; charset=utf-8", ("txt",)),
    )
}
ACCEPTED_EXTENSIONS: Final = tuple(ext for kind in KINDS.values() for ext in kind.extensions)
_ODF: Final = {
    b"application/vnd.oasis.opendocument.text": "odt",
    b"application/vnd.oasis.opendocument.spreadsheet": "ods",
}


@dataclass(frozen=True, slots=True)
class Sniffed:
    """What the content is (`kind` None: none of the accepted kinds), and why when it is refused."""

    kind: FileKind | None
    reason: str = ""


def sniff(stream: IO[bytes]) -> Sniffed:
    """The accepted kind of the content of `stream` (seekable; left at its start), from its bytes."""
    stream.seek(0)
    head = stream.read(_HEAD)
    stream.seek(0)
    if head.startswith(b"%PDF-"):
        return Sniffed(KINDS["pdf"])
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return Sniffed(KINDS["png"])
    if head.startswith(b"\xff\xd8\xff"):
        return Sniffed(KINDS["jpeg"])
    if head.startswith(_ZIP_MAGIC):
        found = _office(stream)
        stream.seek(0)
        return Sniffed(KINDS[found]) if found else Sniffed(None, "an archive that is no office document")
    return _text(head)


def _office(stream: IO[bytes]) -> str | None:
    """odt, ods, docx or xlsx from a zip archive's table of contents; None for any other archive."""
    try:
        with zipfile.ZipFile(stream) as archive:
            infos = archive.infolist()
            if len(infos) > _MAX_ZIP_ENTRIES:
                return None
            names = {info.filename for info in infos}
            first = infos[0] if infos else None
            # OpenDocument: a first entry "mimetype", stored, holding the document's media type.
            if first is not None and first.filename == "mimetype" and first.file_size <= 100:
                return _ODF.get(archive.read(first).strip())
            if "[Content_Types].xml" in names:
                if "word/document.xml" in names:
                    return "docx"
                if "xl/workbook.xml" in names:
                    return "xlsx"
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, NotImplementedError, ValueError):
        return None
    return None


def _text(head: bytes) -> Sniffed:
    """Plain UTF-8 text, no NUL nor control character but tab, line and page breaks, and no markup."""
    body = head.removeprefix(b"\xef\xbb\xbf")
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as error:
        if len(head) == _HEAD and error.start >= len(body) - 3:
            text = body[: error.start].decode("utf-8")  # a character cut at the end of the sample
        else:
            return Sniffed(None, "not a kind of file accepted here")
    if any(unicodedata.category(c) == "Cc" and c not in "\t\n\r\f" for c in text):
        return Sniffed(None, "binary content")
    if _MARKUP.match(body):
        return Sniffed(None, "a web page (HTML or XML), not plain text")
    return Sniffed(KINDS["text"])


def text_is_clean(stream: IO[bytes], size: int) -> bool:
    """Whether the whole of a text file is UTF-8 without control characters (beyond the sniffed head)."""
    stream.seek(0)
    data = stream.read(size)
    stream.seek(0)
    try:
        text = data.removeprefix(b"\xef\xbb\xbf").decode("utf-8")
    except UnicodeDecodeError:
        return False
    return not any(unicodedata.category(c) == "Cc" and c not in "\t\n\r\f" for c in text)


def clean_name(sent: str) -> str:
    """The sender's file name as shown and offered: no directory, no control, bidi or forbidden
    character, no leading dot, at most :data:`NAME_MAX` characters with the extension kept."""
    base = re.split(r"[/\\]", sent or "")[-1]
    base = unicodedata.normalize("NFC", base)
    # Cc control, Cf format (bidirectional overrides such as U+202E), Cs/Co/Cn: never in a name.
    base = "".join(c for c in base if unicodedata.category(c) not in {"Cc", "Cf", "Cs", "Co", "Cn"})
    base = _FORBIDDEN.sub("_", base)
    base = " ".join(base.split()).strip(" .")
    stem, dot, ext = base.rpartition(".")
    if not dot:
        stem, ext = base, ""
    ext = ext[:10]
    room = NAME_MAX - (len(ext) + 1 if ext else 0)
    stem = stem[:room].rstrip(" .")
    if not stem:
        stem = "attachment"
    return f"{stem}.{ext}" if ext else stem


def extension_of(name: str) -> str:
    """The lower-case extension of a (clean) name, '' when it has none."""
    stem, dot, ext = name.rpartition(".")
    return ext.lower() if dot and stem else ""


def ascii_name(name: str) -> str:
    """A plain-ASCII stand-in of a name, for the ``filename=`` of a Content-Disposition header."""
    folded = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
    folded = " ".join(re.sub(r"[^A-Za-z0-9._ -]", "_", folded).split()).strip(" .")
    return folded or "attachment"
