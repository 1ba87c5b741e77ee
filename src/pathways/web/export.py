"""Any list page as a CSV or XLSX file: the same URL with ``format=csv`` or ``format=xlsx``.

The file holds what the page lists with its current filters and sort, every page of it (up to
:data:`MAX_ROWS`; more is refused in the reader's language, asking for narrower filters), with
the page's column titles and cell texts (titles and names, never ids), in the reader's language.

Every cell goes through the one CSV writer's rule
(:func:`pathways.services.exchange.export.spreadsheet_cell`): a text starting with ``=``, ``+``,
``-``, ``@``, a tab or a carriage return gets a leading ``'``, in the XLSX file too, where
every text is moreover written as a string cell, never as a formula.

How a list page plugs in (the case list and the due list do, in :mod:`pathways.web.cases.caselist`,
:mod:`pathways.web.listexport` and :mod:`pathways.web.pages`)::

    from pathways.web import export

    @router.get("/projects")
    def projects(request: Request, app: AppDep, user: PageUser, fmt: export.FormatParam = None):
        lang = language_of(request, user)
        if fmt is not None:
            with app.store.read() as conn:
                rows = ...the page's query, same filters and sort, limit=export.MAX_ROWS + 1...
            t = texts(lang)
            columns = [
                export.Column(t("Project name"), lambda r: r.name),
                export.Column(t("Phase"), lambda r: t("phase." + r.phase)),
            ]
            return export.respond(fmt, "projects", columns, rows, lang=lang)
        ...render the page, with {"exports": export.links(request)} for its download links
        (``{% include "_export.html" %}`` shows them)

``FormatParam`` reads ``format`` leniently (anything but csv or xlsx: the page itself).
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, Any, Final, Generic, Literal, TypeVar
from urllib.parse import urlencode

from babel.numbers import format_decimal
from fastapi import Depends, Request
from fastapi.responses import Response
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell

from pathways.errors import InvalidInput
from pathways.services.exchange.export import spreadsheet_cell, write_csv
from pathways.web.i18n import texts

Row = TypeVar("Row")
Format = Literal["csv", "xlsx"]
FORMATS: Final[tuple[Format, ...]] = ("csv", "xlsx")
MAX_ROWS: Final = 10_000
MEDIA_TYPES: Final = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
# Characters an XLSX file cannot hold (XML 1.0): dropped, as a spreadsheet could not show them.
_NOT_XML: Final = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


@dataclass(frozen=True, slots=True)
class Column(Generic[Row]):
    """One column of an exported list: its title (in the reader's language) and its cell."""

    title: str
    value: Callable[[Row], object]


def requested_format(request: Request) -> Format | None:
    """The ``format`` asked for in the query string (None: the page itself)."""
    asked = request.query_params.get("format")
    for known in FORMATS:
        if asked == known:
            return known
    return None


FormatParam = Annotated[Format | None, Depends(requested_format)]


def links(request: Request) -> dict[str, str]:
    """The current URL (filters and sort kept, page dropped) for each format."""
    params = [(k, v) for k, v in request.query_params.multi_items() if k not in {"format", "page"}]
    out: dict[str, str] = {}
    for fmt in FORMATS:
        out[fmt] = f"{request.url.path}?{urlencode([*params, ('format', fmt)])}"
    return out


def respond(
    fmt: Format,
    name: str,
    columns: Sequence[Column[Row]],
    rows: Iterable[Row],
    *,
    lang: str,
    max_rows: int = MAX_ROWS,
) -> Response:
    """The rows as a file to download (``<name>-<date>.<fmt>``); InvalidInput past `max_rows`."""
    table: list[list[Any]] = []
    for row in rows:
        if len(table) == max_rows:
            t = texts(lang)
            limit = format_decimal(max_rows, locale=lang)
            raise InvalidInput(
                t("More than %(limit)s rows: too many for one file.", limit=limit),
                hint=t("Narrow the list with its filters, then download it again."),
            )
        table.append([c.value(row) for c in columns])
    titles = [c.title for c in columns]
    body = _csv(titles, table) if fmt == "csv" else _xlsx(name, titles, table)
    filename = f"{name}-{datetime.now(UTC):%Y-%m-%d}.{fmt}"
    return Response(
        body,
        media_type=MEDIA_TYPES[fmt],
        headers={"Content-Disposition": f'attachment; filename="{filename}"', "Cache-Control": "no-store"},
    )


def _csv(titles: Sequence[str], table: Sequence[Sequence[Any]]) -> bytes:
    """Through the one CSV writer (:func:`~pathways.services.exchange.export.write_csv`)."""
    out = io.StringIO()
    rows: list[Mapping[str, Any]] = [dict(zip(titles, cells, strict=True)) for cells in table]
    write_csv(out, titles, rows)
    # A byte-order mark: spreadsheets then read the file as UTF-8 (accents), not as the
    # system's legacy code page.
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def _xlsx(name: str, titles: Sequence[str], table: Sequence[Sequence[Any]]) -> bytes:
    book = Workbook(write_only=True)
    sheet = book.create_sheet(title=name[:31])
    for cells in [titles, *table]:
        sheet.append([_xlsx_cell(sheet, spreadsheet_cell(value)) for value in cells])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _xlsx_cell(sheet: Any, value: Any) -> Any:
    """A cell: a number stays a number; any text is a string cell (never a formula)."""
    if isinstance(value, str):
        cell = WriteOnlyCell(sheet, value=_NOT_XML.sub("", value))
        cell.data_type = "s"
        return cell
    return value
