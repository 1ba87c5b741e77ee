"""The due list (``GET /due``): open cases overdue or due within the week, a page at a time.

``/due?show=all&page=2``: ``show`` is ``mine`` (the default) or ``all`` (every case of my
organisations); ``page`` counts pages of :data:`~pathways.web.cases.caselist.PAGE_SIZE` cases, within
the case list's limits (:data:`~pathways.web.cases.caselist.MAX_PAGE`). The list comes soonest
deadline first, read in the order of the deadline's index, so overdue cases lead and each page
shows them under their own heading. ``format=csv|xlsx`` gives the whole list as a file
(:func:`pathways.web.listexport.due_export`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Final
from urllib.parse import urlencode

from fastapi import Request
from fastapi.responses import Response

from pathways.bootstrap import App
from pathways.services.casework import queries, search
from pathways.services.casework.search import CaseFilter, CaseOrder
from pathways.services.people.accounts import Principal
from pathways.web import export, listexport
from pathways.web.cases.caselist import MAX_PAGE, PAGE_SIZE, lines_of, page_numbers
from pathways.web.cases.casetitles import Shown
from pathways.web.render import language_of, page
from pathways.web.scope import Scope

WITHIN: Final = timedelta(days=7)
SOONEST: Final = CaseOrder("due", descending=False)  # overdue first, as the deadline index reads


@dataclass(frozen=True, slots=True)
class DueParams:
    """What the URL asks the due list for, each value checked."""

    show: str = "mine"
    page: int = 1

    def url(self, page: int) -> str:
        """``/due?...`` for page `page` of this list."""
        return "/due?" + urlencode({"show": self.show, "page": page})


def read_params(show: str, page_text: str | None) -> DueParams:
    """The page asked for, or the first when it is not a page number within the limits."""
    text = page_text or "1"
    number = int(text) if text.isdigit() and len(text) <= 6 else 0
    return DueParams(show=show, page=number if 1 <= number <= MAX_PAGE else 1)


def due_list(request: Request, app: App, user: Principal, show: str, fmt: export.Format | None) -> Response:
    """The page (overdue, then due within seven days), or the whole list as a file."""
    now = app.clock.now()
    params = read_params(show, request.query_params.get("page"))
    officer = user.person_id if params.show == "mine" else None
    lang = language_of(request, user)
    with app.store.read() as conn:
        orgs = Scope(user, conn).orgs()
        if fmt is not None:
            rows = queries.due_rows(
                conn,
                orgs=orgs,
                now=now,
                within_days=WITHIN.days,
                officer_id=officer,
                catalog=app.catalog,
                lang=lang,
            )
        else:
            where = CaseFilter(orgs=orgs, officer_id=officer, status="open", due_by=now + WITHIN)
            found = search.page_of_cases(
                conn, where, now=now, order=SOONEST, page=params.page, page_size=PAGE_SIZE
            )
            late = CaseFilter(orgs=orgs, officer_id=officer, overdue=True)
            overdue_total = search.count_cases(conn, late, now=now) if found.total else 0
    if fmt is not None:
        return listexport.due_export(request, app, user, rows, fmt)
    lines = lines_of(found.items, Shown(app.catalog, lang), app.settings.default_timezone, now)
    context: dict[str, Any] = {
        "show": params.show,
        "params": params,
        "found": found,
        "overdue": [line for line in lines if line.late],
        "soon": [line for line in lines if not line.late],
        "overdue_total": overdue_total,
        "soon_total": found.total - overdue_total,
        "pages": page_numbers(found.page, found.pages),
        "exports": export.links(request),
    }
    return page(request, "due.html", context, user=user)
