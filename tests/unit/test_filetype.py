"""What a file is, read from its bytes, and the names attachments are shown under (no database)."""

from __future__ import annotations

import io
import zipfile

import pytest

from pathways.services.casework import filetype


def archive(entries: dict[str, bytes], *, stored_first: bool = True) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zipped:
        for index, (name, content) in enumerate(entries.items()):
            kind = zipfile.ZIP_STORED if stored_first and index == 0 else zipfile.ZIP_DEFLATED
            zipped.writestr(name, content, compress_type=kind)
    return buffer.getvalue()


def kind_of(content: bytes) -> str | None:
    found = filetype.sniff(io.BytesIO(content)).kind
    return found.id if found else None


@pytest.mark.parametrize(
    ("content", "kind"),
    [
        (b"%PDF-1.7\n...", "pdf"),
        (b"\x89PNG\r\n\x1a\n\x00\x00", "png"),
        (b"\xff\xd8\xff\xe0\x00\x10JFIF", "jpeg"),
        (archive({"mimetype": b"application/vnd.oasis.opendocument.text", "content.xml": b"<x/>"}), "odt"),
        (
            archive({"mimetype": b"application/vnd.oasis.opendocument.spreadsheet", "content.xml": b"<x/>"}),
            "ods",
        ),
        (archive({"[Content_Types].xml": b"<T/>", "word/document.xml": b"<d/>"}), "docx"),
        (archive({"[Content_Types].xml": b"<T/>", "xl/workbook.xml": b"<w/>"}), "xlsx"),
        ("Compte rendu : trésorerie.\r\n".encode(), "text"),
        (b"\xef\xbb\xbfTexte avec BOM\n", "text"),
        (b"", "text"),  # the size check refuses it, not the sniffer
    ],
)
def test_each_accepted_kind_is_recognised_by_its_content(content: bytes, kind: str) -> None:
    assert kind_of(content) == kind


@pytest.mark.parametrize(
    "content",
    [
        b"<!DOCTYPE html><html></html>",
        b"\n\n   <script>alert(1)</script>",
        b"<svg xmlns='http://www.w3.org/2000/svg'/>",
        b'<?xml version="1.0"?><x/>',
        b"<!-- a comment --> then text",
        b"MZ\x90\x00",  # a Windows executable
        b"text with a \x00 NUL",
        "latin-1 \xe9t\xe9".encode("latin-1"),
        archive({"readme.txt": b"hello"}),  # a plain archive
        archive({"mimetype": b"application/epub+zip", "x": b"y"}),  # another OpenDocument-like container
        b"PK\x03\x04 not really a zip",
    ],
)
def test_anything_else_is_refused(content: bytes) -> None:
    assert kind_of(content) is None


def test_a_character_cut_at_the_end_of_the_sample_still_reads_as_text() -> None:
    content = b"a" * 8191 + "é".encode()  # é's two bytes straddle the 8192-byte sample
    assert kind_of(content) == "text"


def test_the_whole_of_a_text_file_is_checked_not_only_its_start() -> None:
    content = b"plain text\n" * 1000 + b"\x00\x01binary"
    assert kind_of(content) == "text"  # the sample looks fine
    assert not filetype.text_is_clean(io.BytesIO(content), len(content))


@pytest.mark.parametrize(
    ("sent", "clean"),
    [
        ("Compte rendu.pdf", "Compte rendu.pdf"),
        ("C:\\Users\\inès\\Bilan 2026.xlsx", "Bilan 2026.xlsx"),
        ("../../etc/passwd", "passwd"),
        ("\u202egpj.exe", "gpj.exe"),
        ("  .hidden.txt", "hidden.txt"),
        ("a\x00b\nc.txt", "abc.txt"),
        ("x" * 300 + ".pdf", "x" * 116 + ".pdf"),
        ("", "attachment"),
    ],
)
def test_a_sent_name_is_cleaned_for_showing(sent: str, clean: str) -> None:
    assert filetype.clean_name(sent) == clean
    assert len(filetype.clean_name(sent)) <= filetype.NAME_MAX


def test_the_header_name_is_plain_ascii() -> None:
    assert filetype.ascii_name("Fiche de paie Inès « mars ».pdf") == "Fiche de paie Ines mars .pdf"
