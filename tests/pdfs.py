"""PDF helpers for the tests: is WeasyPrint usable here (Pango), and the text of a PDF (pypdf)."""

from __future__ import annotations

import io
import os

import pytest


def printing_available() -> bool:
    """Whether WeasyPrint loads (it needs Pango from the system); under CI=true it must."""
    try:
        import weasyprint  # noqa: F401
    except OSError as exc:
        if os.environ.get("CI") == "true":
            pytest.fail(f"WeasyPrint cannot load ({exc}): CI=true requires the PDF tests", pytrace=False)
        return False
    return True


def needs_printing() -> None:
    """Skip the calling test when WeasyPrint cannot load here (fail under CI=true)."""
    if not printing_available():
        pytest.skip(
            "WeasyPrint cannot load: install Pango (apt-get install libpango-1.0-0 libpangoft2-1.0-0)"
        )


def pdf_text(data: bytes) -> str:
    """Every page's text, as pypdf extracts it."""
    from pypdf import PdfReader

    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)
