"""A document as PDF, through WeasyPrint, fetching nothing outside the document.

A case's documents are stored as printable HTML (A4 print CSS) in the project's language;
their PDF is drawn from that HTML when asked for, so both always say the same thing.

The HTML holds values typed by officers and owners: hostile until proven otherwise. Left
alone, WeasyPrint would follow ``<img src="http://169.254.169.254/...">``, a stylesheet at
``file:///etc/passwd`` or an ``@font-face`` URL, and put what it found in the PDF. So it is
given no base URL and WeasyPrint's own fetcher allowed the ``data:`` scheme only (a
``data:`` URL holds its content and reaches nothing): every other URL is refused before
anything is opened, and the resource is left out of the PDF, as a browser leaves out a
broken image. WeasyPrint (and the Pango it loads) is imported on first use.
"""

from __future__ import annotations

from typing import Any, Final

from pathways.errors import Unavailable

PDF_MEDIA_TYPE: Final = "application/pdf"
ALLOWED_SCHEMES: Final = frozenset({"data"})


def data_only_fetcher() -> Any:
    """A fetcher for ``weasyprint.HTML(url_fetcher=...)`` that refuses every URL but ``data:`` ones."""
    from weasyprint.urls import URLFetcher

    return URLFetcher(allowed_protocols=ALLOWED_SCHEMES, allow_redirects=False, timeout=1)


def html_to_pdf(html: str) -> bytes:
    """The PDF of a self-contained HTML page; Unavailable (503) when WeasyPrint cannot load."""
    try:
        import weasyprint
    except OSError as exc:  # Pango is missing from the system
        raise Unavailable(
            "PDF documents cannot be made on this server (Pango is missing)",
            hint="the operator installs Pango (Debian: libpango-1.0-0 libpangoft2-1.0-0); "
            "meanwhile open the HTML document and print it",
        ) from exc
    pdf = weasyprint.HTML(string=html, base_url=None, url_fetcher=data_only_fetcher()).write_pdf()
    if not isinstance(pdf, bytes):  # write_pdf() without a target returns the bytes
        raise TypeError("WeasyPrint returned no PDF")
    return pdf


def pdf_name(name: str) -> str:
    """The PDF's file name for a document stored as ``….html``."""
    return f"{name.removesuffix('.html')}.pdf"
