"""The case list (``GET /cases``): search, filters, sortable columns, pages and exports.

Every choice lives in the URL, so a list can be bookmarked or shared with a colleague:
``/cases?q=dupont&pathway=diagnosis&stage=intake&officer=12&status=open&overdue=1&sort=-due&page=2``.

- ``q``: a case reference (or its start), a project's name, SIRET, SIREN or BCE number (spaces
  and dots allowed), or the name of the project's owner, the officer or the resource person;
  accents and case aside (:mod:`pathways.services.casework.search`).
- ``officer``: ``me``, a colleague's person id, or empty for anyone; ``show=mine|all`` (the
  list's former parameter) still means ``officer=me`` or anyone.
- ``status``: ``open``, ``closed`` or ``all``; ``overdue=1``: open cases past their deadline.
- ``sort``: one of the column keys of :data:`~pathways.services.casework.search.SORT_KEYS`,
  ``-`` first for descending.
- ``format=csv|xlsx``: every page of the list as a file (:mod:`pathways.web.export`).

Without ``q`` the list opens on my open cases; a search (the box in every page's header)
looks through every case of my organisations, open or closed. A value the page does not know
(a hostile sort key, a stage of no pathway, someone else's colleague) is left out, and the
page says which filter it ignored.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, Final
from urllib.parse import urlencode

from fastapi import Request
from fastapi.responses import Response
from starlette.datastructures import QueryParams

from pathways.bootstrap import App
from pathways.domain.loader import PathwayCatalog
from pathways.services.casework import reads, search
from pathways.services.casework.search import CaseFilter, CaseOrder, SortKey
from pathways.services.casework.views import CaseItem
from pathways.services.people.accounts import Principal
from pathways.web import export, listexport
from pathways.web.cases.casetitles import Shown
from pathways.web.i18n import group_labels, texts
from pathways.web.i18n_format import Formatter
from pathways.web.render import language_of, page
from pathways.web.scope import STAFF_FOR_CASES, Scope

PAGE_SIZE: Final = 50
SORT_LIMIT: Final = 10_000  # longer lists: by ref, deadline, date or project only (search.page_of_cases)
COUNT_LIMIT: Final = SORT_LIMIT  # longer lists say "more than 10,000 cases", counted no further
MAX_PAGE: Final = 10_000
STATUSES: Final = ("open", "closed", "all")
DEFAULT_ORDER: Final = CaseOrder()
COLUMNS: Final[tuple[SortKey, ...]] = ("ref", "project", "pathway", "stage", "status", "due", "officer")


@dataclass(frozen=True, slots=True)
class ListParams:
    """What the URL asks the list for, each value checked; ``ignored`` names what was not understood."""

    q: str = ""
    pathway: str = ""
    stage: str = ""
    officer: str = "me"  # "me", "" (anyone) or a person id
    status: str = "open"
    overdue: bool = False
    sort: CaseOrder = DEFAULT_ORDER
    page: int = 1
    ignored: tuple[str, ...] = ()

    def url(self, **changes: Any) -> str:
        """``/cases?...`` with these choices (and `changes`): the canonical, bookmarkable form."""
        chosen = replace(self, **changes)
        pairs = [
            ("q", chosen.q),
            ("pathway", chosen.pathway),
            ("stage", chosen.stage),
            ("officer", chosen.officer),
            ("status", chosen.status),
            ("overdue", "1" if chosen.overdue else ""),
            ("sort", str(chosen.sort)),
            ("page", str(chosen.page)),
        ]
        kept = [(k, v) for k, v in pairs if v or k == "officer"]  # officer= (anyone) differs from none
        return "/cases?" + urlencode(kept)


def read_params(query: QueryParams, catalog: PathwayCatalog, staff: Mapping[int, str]) -> ListParams:
    """The list's choices from the query string; unknown values dropped (and named in ``ignored``)."""
    ignored: list[str] = []
    q = " ".join(query.get("q", "").split())[:200]
    pathway = query.get("pathway", "")
    if pathway and pathway not in catalog:
        ignored.append("pathway")
        pathway = ""
    stage = query.get("stage", "")
    if stage and stage not in stage_ids(catalog, pathway or None):
        ignored.append("stage")
        stage = ""
    sort = CaseOrder.parse(query.get("sort")) if query.get("sort") else DEFAULT_ORDER
    if sort is None:
        ignored.append("sort")
    page_text = query.get("page", "1")
    page_no = int(page_text) if page_text.isdigit() and len(page_text) <= 6 else 0
    if not 1 <= page_no <= MAX_PAGE:
        ignored.append("page")
    return ListParams(
        q=q,
        pathway=pathway,
        stage=stage,
        officer=_officer(query, q, staff, ignored),
        status=_status(query, q, ignored),
        overdue=query.get("overdue", "") in {"1", "on", "true", "yes"},
        sort=sort or DEFAULT_ORDER,
        page=page_no if 1 <= page_no <= MAX_PAGE else 1,
        ignored=tuple(ignored),
    )


def _officer(query: QueryParams, q: str, staff: Mapping[int, str], ignored: list[str]) -> str:
    """``me``, ``""`` (anyone) or a colleague's id: mine by default, anyone's for a search."""
    if "officer" in query:
        asked = query.get("officer", "").strip()
        if asked in {"", "me"} or (asked.isdigit() and len(asked) <= 9 and int(asked) in staff):
            return asked
        ignored.append("officer")
    if query.get("show") in {"mine", "all"}:  # the list's former parameter
        return "me" if query.get("show") == "mine" else ""
    return "" if q else "me"


def _status(query: QueryParams, q: str, ignored: list[str]) -> str:
    """Open cases by default, every one for a search."""
    if "status" in query:
        if query["status"] in STATUSES:
            return query["status"]
        ignored.append("status")
    return "all" if q else "open"


def stage_ids(catalog: PathwayCatalog, pathway: str | None) -> set[str]:
    """The stage ids of a pathway (every version), or of every pathway."""
    return {s.id for spec in catalog if pathway in (None, spec.id) for s in spec.stages}


@dataclass(frozen=True, slots=True)
class Line:
    """One row of the list as the page shows it: titles, labels and the deadline in words."""

    ref: str
    project: str
    pathway: str
    stage: str
    status: str
    status_label: str
    result: str | None
    due: str | None  # open cases only
    late: bool
    officer: str


def lines_of(items: Sequence[CaseItem], shown: Shown, zone: str, now: datetime) -> list[Line]:
    """The rows of a page (worked out here once: a template's calls cost more than the query)."""
    status = group_labels(shown.lang)["status"]
    when = Formatter(shown.lang, zone)
    return [
        Line(
            ref=i.ref,
            project=i.project,
            pathway=shown.pathway(i),
            stage=shown.stage(i),
            status=i.status,
            status_label=status.get(i.status, i.status),
            result=shown.result(i),
            due=when.datetime(i.due_at) if i.status == "open" and i.due_at is not None else None,
            late=i.overdue(now),
            officer=i.officer or "—",
        )
        for i in items
    ]


def case_filter(params: ListParams, user: Principal, orgs: frozenset[int]) -> CaseFilter:
    """The service's filter for these choices, within `orgs`."""
    officer_id = (
        user.person_id if params.officer == "me" else (int(params.officer) if params.officer else None)
    )
    return CaseFilter(
        orgs=orgs,
        text=params.q or None,
        pathway=params.pathway or None,
        stage=params.stage or None,
        officer_id=officer_id,
        status=None if params.status == "all" else ("open" if params.status == "open" else "closed"),
        overdue=params.overdue,
    )


def case_list(request: Request, app: App, user: Principal) -> Response:
    """The page, or its export when ``format`` asks for one."""
    lang = language_of(request, user)
    shown = Shown(app.catalog, lang)
    now = app.clock.now()
    fmt = export.requested_format(request)
    with app.store.read() as conn:
        orgs = Scope(user, conn).orgs()
        staff = {p.id: p.name for p in reads.people(conn, orgs, roles=STAFF_FOR_CASES)}
        params = read_params(request.query_params, app.catalog, staff)
        where = case_filter(params, user, orgs)
        if fmt is not None:
            limit = export.MAX_ROWS + 1
            items = search.find_cases(
                conn, where, now=now, order=params.sort, titles=shown.sort_titles(), limit=limit
            )
        else:
            found = search.page_of_cases(
                conn,
                where,
                now=now,
                order=params.sort,
                titles=shown.sort_titles(),
                page=params.page,
                page_size=PAGE_SIZE,
                sort_limit=SORT_LIMIT,
                count_limit=COUNT_LIMIT,
            )
    if fmt is not None:
        columns = listexport.case_columns(lang, shown, now, app.settings.default_timezone)
        return export.respond(fmt, "cases", columns, items, lang=lang)
    return page(request, "cases.html", _context(request, params, found, shown, staff, app, now), user=user)


def _context(
    request: Request,
    params: ListParams,
    found: search.CasePage,
    shown: Shown,
    staff: Mapping[int, str],
    app: App,
    now: datetime,
) -> dict[str, Any]:
    _ = texts(shown.lang)
    names = {
        "officer": _("Officer"),
        "status": _("Status"),
        "pathway": _("Pathway"),
        "stage": _("Stage"),
        "sort": _("Sort"),
        "page": _("Page"),
    }
    latest = app.catalog.latest()
    headings = {"search": _("Search results"), "me": _("My cases"), "": _("Cases of my organisations")}
    heading = headings["search" if params.q else "me" if params.officer == "me" else ""]
    return {
        "heading": heading,
        "params": params,
        "found": found,
        "lines": lines_of(found.items, shown, app.settings.default_timezone, now),
        "ignored": [names[f] for f in params.ignored],
        "pathways": [(p.id, p.title.get(shown.lang)) for p in latest],
        "stages": [
            (p.title.get(shown.lang), [(s.id, s.title.get(shown.lang)) for s in p.stages])
            for p in latest
            if not params.pathway or p.id == params.pathway
        ],
        "officers": sorted(staff.items(), key=lambda kv: kv[1].lower()),
        "sorting": _sorting(replace(params, sort=found.order)),
        "unsorted": _column_name(shown.lang, params.sort.key) if found.order != params.sort else None,
        "sort_limit": SORT_LIMIT,
        "pages": page_numbers(found.page, found.pages),
        "exports": export.links(request),
    }


def _column_name(lang: str, key: str) -> str:
    """A sortable column's title, as its header shows it."""
    _ = texts(lang)
    titles = {"project": _("Project"), "pathway": _("Pathway"), "stage": _("Stage"), "status": _("Status")}
    return titles.get(key) or _("Officer")


def _sorting(params: ListParams) -> dict[str, dict[str, str]]:
    """Each column's link (ascending first, then the other way) and its aria-sort state."""
    out: dict[str, dict[str, str]] = {}
    for key in COLUMNS:
        current = params.sort.key == key
        descending = current and not params.sort.descending  # a new column sorts ascending first
        state = ("descending" if params.sort.descending else "ascending") if current else "none"
        out[key] = {"href": params.url(sort=CaseOrder(key, descending), page=1), "state": state}
    return out


def page_numbers(current: int, last: int, *, around: int = 2) -> Sequence[int | None]:
    """The page links to show: the first, the last, and those around the current one (None: a gap)."""
    wanted = {1, last, *range(current - around, current + around + 1)}
    shown = sorted(n for n in wanted if 1 <= n <= last)
    out: list[int | None] = []
    for n in shown:
        if out and out[-1] is not None and n - out[-1] > 1:
            out.append(None)
        out.append(n)
    return out
