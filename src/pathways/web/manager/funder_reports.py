"""Funders' reports for managers: ``/reports/funder/{kind}?year=Y`` (dla, tsf), as a page, CSV, XLSX or PDF.

The figures are those of the organisations the reader manages (one of them with ``?org=``):
:mod:`pathways.services.reporting.funders` counts only the organisations it is given. An
officer gets the 403 of every manager page; another organisation's id the 404 of an unknown one.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import Response

from pathways.errors import NotFound
from pathways.services.casework import reads
from pathways.services.casework.printing import html_to_pdf
from pathways.services.people.accounts import Permission
from pathways.services.reporting.funders import FIRST_YEAR, KINDS, LAST_YEAR, FunderQuery, funder_report
from pathways.web import export
from pathways.web.deps import AppDep, PageUser
from pathways.web.i18n import texts
from pathways.web.manager import funder_words
from pathways.web.render import page
from pathways.web.scope import Scope

router = APIRouter(include_in_schema=False)
Kind = Annotated[str, Path(max_length=16)]
Year = Annotated[int | None, Query(ge=FIRST_YEAR, le=LAST_YEAR)]
OrgChoice = Annotated[int | None, Query(ge=1, le=2**31 - 1)]
FormatChoice = Annotated[str | None, Query(alias="format", max_length=8)]


@router.get("/reports/funder")
def funder_index(app: AppDep, user: PageUser) -> Response:
    """The first report (the DLA's), for managers."""
    with app.store.read() as conn:
        Scope(user, conn).orgs(Permission.MANAGE)
    return Response(status_code=303, headers={"Location": "/reports/funder/dla"})


@router.get("/reports/funder/{kind}", response_model=None)
def funder_page(
    request: Request,
    app: AppDep,
    user: PageUser,
    kind: Kind,
    year: Year = None,
    org: OrgChoice = None,
    fmt: FormatChoice = None,
) -> Response:
    """A funder's report of my organisations (or of one of them) for a year, or its CSV, XLSX or PDF file."""
    if kind not in KINDS:
        raise NotFound(f"no funder report {kind!r}", hint=f"one of {', '.join(KINDS)}")
    wanted_year = year if year is not None else app.clock.now().year
    with app.store.read() as conn:
        scope = Scope(user, conn)
        mine = scope.orgs(Permission.MANAGE)
        if org is not None:
            scope.check(org, Permission.MANAGE, f"organisation {org}")
        chosen = frozenset({org}) if org is not None else mine
        report = funder_report(conn, FunderQuery(kind=kind, year=wanted_year, orgs=chosen))
        organisations = reads.organisations(conn, mine)
    lang = user.language
    sheet = funder_words.sheet(report, app.catalog, lang)
    name = f"{kind}-{wanted_year}"
    if fmt in export.FORMATS:
        wanted: export.Format = "csv" if fmt == "csv" else "xlsx"
        return export.respond(wanted, name, funder_words.export_columns(sheet), sheet.rows, lang=lang)
    if fmt == "pdf":
        names = ", ".join(str(o.name) for o in organisations if o.id in chosen)
        pdf = html_to_pdf(funder_words.printable(sheet, lang=lang, organisations=names))
        filename = f"{name}-{datetime.now(UTC):%Y-%m-%d}.pdf"
        headers = {"Content-Disposition": f'attachment; filename="{filename}"', "Cache-Control": "no-store"}
        return Response(pdf, media_type="application/pdf", headers=headers)
    t = texts(lang)
    tabs = [(k, funder_words.short_title(t, k)) for k in KINDS]
    context = {
        "kind": kind,
        "year": wanted_year,
        "sheet": sheet,
        "tabs": tabs,
        "orgs": organisations,
        "org_id": org,
        "exports": {**export.links(request), "pdf": _pdf_link(request)},
    }
    return page(request, "funder_report.html", context, user=user)


def _pdf_link(request: Request) -> str:
    from urllib.parse import urlencode

    params = [(k, v) for k, v in request.query_params.multi_items() if k not in {"format", "page"}]
    return f"{request.url.path}?{urlencode([*params, ('format', 'pdf')])}"
