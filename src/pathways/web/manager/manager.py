"""Managers' pages: the dashboard (reports and their charts), pathways and their graphs.

The audit log is :mod:`pathways.web.manager.auditpage`, failed messages :mod:`pathways.web.manager.failed`.

Charts are drawn by :mod:`pathways.drawing` in the reader's language and put in the page
itself (every word in them is escaped, and each has its title, a description and a table
of the same data); ``/dashboard/charts/{report}.svg`` serves one as a file.

Who may see what is the use cases' business (:mod:`pathways.services.reporting.dashboard`,
:mod:`pathways.services.people.permits`): these routes parse, call them and draw.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import HTMLResponse, Response
from markupsafe import Markup

from pathways.bootstrap import App
from pathways.drawing import charts, graph
from pathways.drawing.svg import render
from pathways.notify.render import babel_locale
from pathways.services.casework import readable
from pathways.services.people.accounts import Permission, Principal
from pathways.services.people.permits import orgs_allowing
from pathways.services.people.sheets import territory_names
from pathways.services.reporting.dashboard import CHARTS, org_reports
from pathways.services.reporting.dashboard import dashboard as dashboard_of
from pathways.web.deps import AppDep, PageUser
from pathways.web.i18n import texts
from pathways.web.render import page

router = APIRouter(include_in_schema=False)
SVG_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'",
    "Cache-Control": "private, max-age=60",
}
OrgChoice = Annotated[int | None, Query(ge=1, le=2**31 - 1)]


def labels(app: App, user: Principal, timezone: str) -> charts.Labels:
    """What the charts need to speak the reader's language."""
    return charts.Labels(
        words=texts(user.language),
        lang=user.language,
        locale=babel_locale(user.language, timezone),
        specs={s.id: s for s in app.catalog.latest()},
        territories=territory_names(app.settings.config_dir / "territories.csv"),
    )


@router.get("/dashboard")
def dashboard(request: Request, app: AppDep, user: PageUser, org: OrgChoice = None) -> HTMLResponse:
    """Funnel, time in stage, overdue work, workload and outcomes of one of my organisations."""
    found = dashboard_of(app, user, org=org)
    rows = found.charts.reports
    context: dict[str, Any] = {
        "org_id": found.charts.org_id,
        "orgs": found.organisations,
        "overdue": rows["overdue"][:25],
        "workload": rows["workload"],
        "stages": rows["stages"],
        "open": found.open,
        "specs": {s.id: s for s in app.catalog.latest()},
    }
    words = labels(app, user, found.charts.timezone)
    drawn = []
    for name in CHARTS:
        chart = charts.build(name, rows[name], words)
        # render() escapes every word it writes: the SVG may go into the page as it is.
        svg = Markup(render(chart, chart_id=f"chart-{name}"))  # noqa: S704
        drawn.append({"name": name, "chart": chart, "svg": svg})
    context["charts"] = drawn
    context["items"] = {
        item: charts.item_label(words.words, item) for item in ("case", "reminder", "escalation")
    }
    context["locale"] = words.locale
    return page(request, "dashboard.html", context, user=user)


@router.get("/dashboard/charts/{report}.svg")
def chart(
    app: AppDep,
    user: PageUser,
    report: Annotated[str, Path(pattern="^(funnel|stages|overdue|workload|outcomes)$")],
    org: OrgChoice = None,
) -> Response:
    """One report of one organisation as an SVG file, in the reader's language."""
    found = org_reports(app, user, org=org, names=(report,))
    svg = charts.svg(report, found.reports[report], labels(app, user, found.timezone))
    return Response(svg, media_type="image/svg+xml", headers=SVG_HEADERS)


@router.get("/pathways")
def pathways(request: Request, app: AppDep, user: PageUser) -> HTMLResponse:
    """The pathways and their stages."""
    orgs_allowing(user, Permission.READ)  # the pathways are for anyone with a role
    return page(request, "pathways.html", {"specs": app.catalog.latest()}, user=user)


PathwayId = Annotated[str, Path(pattern=r"^[a-z][a-z0-9_]{0,63}$")]
Version = Annotated[int | None, Query(ge=1, le=10_000)]


@router.get("/pathways/{pathway_id}")
def pathway(
    request: Request, app: AppDep, user: PageUser, pathway_id: PathwayId, version: Version = None
) -> HTMLResponse:
    """A pathway: its stage graph, then each stage with its owner, deadline, fields and outcomes."""
    orgs_allowing(user, Permission.READ)  # the pathways are for anyone with a role
    spec = app.catalog.get(pathway_id, version)
    titles = {s.id: s.title.get(user.language) for s in app.catalog.latest()}  # hand-offs, spawned cases
    fields = readable.field_labels(spec, user.language)
    context = {"spec": spec, "versions": app.catalog.versions(spec.id), "titles": titles, "fields": fields}
    return page(request, "pathway.html", context, user=user)


@router.get("/pathways/{pathway_id}/graph.svg")
def pathway_graph(app: AppDep, user: PageUser, pathway_id: PathwayId, version: Version = None) -> Response:
    """The pathway's stage graph as an SVG image, in the reader's language."""
    orgs_allowing(user, Permission.READ)  # the pathways are for anyone with a role
    spec = app.catalog.get(pathway_id, version)
    titles = {s.id: s.title.get(user.language) for s in app.catalog.latest()}
    drawn = graph.svg(spec, lang=user.language, words=texts(user.language), titles=titles)
    return Response(drawn, media_type="image/svg+xml", headers=SVG_HEADERS)
