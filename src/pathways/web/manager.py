"""Managers' pages: dashboard (reports and charts), audit search and verification, failed messages
with retry, pathways and their graphs.

Charts and graphs are served as SVG images (``<img>``), so no text they contain can
run in the page.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from pathways.drawing import charts, graph
from pathways.errors import Forbidden, NotFound
from pathways.services.audit import auditing
from pathways.services.casework import queries
from pathways.services.messaging.outbox import retry_message
from pathways.services.people.accounts import Permission, Principal
from pathways.services.reporting import reports
from pathways.web import reads
from pathways.web.deps import AppDep, Csrf, PageUser
from pathways.web.render import page
from pathways.web.scope import Scope

router = APIRouter(include_in_schema=False)
CHARTS = ("funnel", "stages", "overdue", "workload", "outcomes")
SVG_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'",
    "Cache-Control": "private, max-age=60",
}
OrgChoice = Annotated[int | None, Query(ge=1, le=2**31 - 1)]


def _dashboard_org(scope: Scope, wanted: int | None) -> int:
    """The organisation the dashboard shows: the one asked for, else the first the reader may audit."""
    orgs = scope.orgs(Permission.AUDIT)
    if wanted is None:
        return min(orgs)
    scope.check(wanted, Permission.AUDIT, f"organisation {wanted}")
    return wanted


@router.get("/dashboard")
def dashboard(request: Request, app: AppDep, user: PageUser, org: OrgChoice = None) -> HTMLResponse:
    """Funnel, time in stage, overdue work, workload and outcomes of one of my organisations."""
    now = app.clock.now()
    with app.store.read() as conn:
        scope = Scope(user, conn)
        org_id = _dashboard_org(scope, org)
        context: dict[str, Any] = {
            "org_id": org_id,
            "orgs": reads.organisations(conn, scope.orgs(Permission.AUDIT)),
            "overdue": reports.overdue(conn, now=now, org=org_id)[:25],
            "workload": reports.workload(conn, now=now, org=org_id),
            "stages": reports.stages(conn, now=now, org=org_id),
            "open": reads.dashboard(conn, orgs={org_id}, now=now),
            "charts": CHARTS,
            "specs": {s.id: s for s in app.catalog.latest()},
        }
    return page(request, "dashboard.html", context, user=user)


@router.get("/dashboard/charts/{report}.svg")
def chart(
    app: AppDep,
    user: PageUser,
    report: Annotated[str, Path(pattern="^(funnel|stages|overdue|workload|outcomes)$")],
    org: OrgChoice = None,
) -> Response:
    """One report of one organisation as an SVG chart."""
    with app.store.read() as conn:
        org_id = _dashboard_org(Scope(user, conn), org)
        rows = reports.REPORTS[report](conn, now=app.clock.now(), org=org_id)
    return Response(charts.render(report, rows, fmt="svg"), media_type="image/svg+xml", headers=SVG_HEADERS)


def _day(value: str | None) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


def audit_search(
    app: AppDep,
    user: Principal,
    *,
    case: str | None,
    kind: str | None,
    start: datetime | None = None,
    end: datetime | None = None,
    limit: int = 200,
) -> list[auditing.AuditRecord]:
    """Audit events of the organisations where `user` may read the audit, newest first."""
    with app.store.read() as conn:
        scope = Scope(user, conn)
        orgs = scope.orgs(Permission.AUDIT)
        case_id = None
        if case:
            found = scope.case(case)
            scope.check(found["organisation_id"], Permission.AUDIT, f"case '{case}'")
            case_id, orgs = found["id"], frozenset({found["organisation_id"]})
        rows = [
            r
            for org in sorted(orgs)
            for r in auditing.search(
                conn, org=org, case=case_id, kind=kind, start=start, end=end, limit=limit
            )
        ]
    rows.sort(key=lambda r: (r.effective_at, r.organisation_id, r.seq), reverse=True)
    return rows[:limit]


@router.get("/audit")
def audit(
    request: Request,
    app: AppDep,
    user: PageUser,
    case: Annotated[str | None, Query(max_length=32)] = None,
    kind: Annotated[str | None, Query(max_length=40)] = None,
    since: Annotated[str | None, Query(max_length=10)] = None,
    until: Annotated[str | None, Query(max_length=10)] = None,
) -> HTMLResponse:
    """Search the audit log of my organisations (managers, admins, auditors)."""
    start, end = _day(since), _day(until)
    rows = audit_search(
        app,
        user,
        case=(case or "").strip() or None,
        kind=kind or None,
        start=datetime.combine(start, time(), UTC) if start else None,
        end=datetime.combine(end, time(), UTC) + timedelta(days=1) if end else None,
    )
    with app.store.read() as conn:
        orgs = Scope(user, conn).orgs(Permission.AUDIT)
        kinds = reads.audit_kinds(conn, orgs)
        names = {o["id"]: o["name"] for o in reads.organisations(conn, orgs)}
    context = {
        "rows": rows,
        "kinds": kinds,
        "orgs": names,
        "query": {"case": case or "", "kind": kind or "", "since": since or "", "until": until or ""},
    }
    return page(request, "audit.html", context, user=user)


def verify_chains(app: AppDep, user: Principal) -> list[auditing.ChainCheck]:
    """The verification of each audit chain `user` may read."""
    with app.store.read() as conn:
        orgs = Scope(user, conn).orgs(Permission.AUDIT)
    return [check for org in sorted(orgs) for check in auditing.verify(app, organisation=org)]


@router.get("/audit/verify")
def verify(request: Request, app: AppDep, user: PageUser) -> HTMLResponse:
    """Verify the audit chain of each of my organisations."""
    checks = verify_chains(app, user)
    with app.store.read() as conn:
        names = {
            o["id"]: o["name"] for o in reads.organisations(conn, Scope(user, conn).orgs(Permission.AUDIT))
        }
    name = "_verify.html" if request.headers.get("hx-request") == "true" else "verify.html"
    return page(request, name, {"reports": checks, "orgs": names}, user=user)


def failed_messages(
    app: AppDep, user: Principal, *, org: int | None = None, limit: int = 200
) -> list[dict[str, Any]]:
    """Failing and dead-lettered messages of the organisations `user` manages (or of one of them)."""
    with app.store.read() as conn:
        scope = Scope(user, conn)
        if org is not None:
            scope.check(org, Permission.MANAGE, f"organisation {org}")
            orgs = frozenset({org})
        else:
            orgs = scope.orgs(Permission.MANAGE)
        return queries.failed_messages(conn, orgs=orgs, limit=limit)


def retry(app: AppDep, user: Principal, job_id: int) -> dict[str, Any]:
    """Queue a failed message again (as `pathways messages retry ID`), if `user` manages its organisations.

    A message of an organisation the account has no role in does not exist for it (404).
    """
    with app.store.read() as conn:
        held = queries.message_orgs(conn, job_id)
    if not held or not held <= user.orgs(Permission.READ):
        raise NotFound(f"no message {job_id}")
    if not held <= user.orgs(Permission.MANAGE):
        raise Forbidden(f"your role does not allow retrying message {job_id} ({Permission.MANAGE.value})")
    return retry_message(app, job_id, actor_id=user.person_id)


@router.get("/messages/failed")
def failed(
    request: Request, app: AppDep, user: PageUser, org: OrgChoice = None, retried: OrgChoice = None
) -> HTMLResponse:
    """Failed and dead-lettered messages of my organisations, each with a retry button (managers)."""
    rows = failed_messages(app, user, org=org)
    with app.store.read() as conn:
        names = {
            o["id"]: o["name"] for o in reads.organisations(conn, Scope(user, conn).orgs(Permission.MANAGE))
        }
    return page(request, "failed.html", {"rows": rows, "orgs": names, "retried": retried}, user=user)


@router.post("/messages/{job_id}/retry", dependencies=[Csrf])
def retry_page(
    app: AppDep, user: PageUser, job_id: Annotated[int, Path(ge=1, le=2**31 - 1)]
) -> RedirectResponse:
    """Put a failed message back in the queue, then back to the list."""
    retry(app, user, job_id)
    return RedirectResponse(f"/messages/failed?retried={job_id}", status_code=303)


@router.get("/pathways")
def pathways(request: Request, app: AppDep, user: PageUser) -> HTMLResponse:
    """The pathways and their stages."""
    with app.store.read() as conn:
        Scope(user, conn).orgs()
    return page(request, "pathways.html", {"specs": app.catalog.latest()}, user=user)


PathwayId = Annotated[str, Path(pattern=r"^[a-z][a-z0-9_]{0,63}$")]
Version = Annotated[int | None, Query(ge=1, le=10_000)]


@router.get("/pathways/{pathway_id}")
def pathway(
    request: Request, app: AppDep, user: PageUser, pathway_id: PathwayId, version: Version = None
) -> HTMLResponse:
    """A pathway: its stage graph, then each stage with its owner, deadline, fields and outcomes."""
    with app.store.read() as conn:
        Scope(user, conn).orgs()
    spec = app.catalog.get(pathway_id, version)
    return page(request, "pathway.html", {"spec": spec, "versions": app.catalog.versions(spec.id)}, user=user)


@router.get("/pathways/{pathway_id}/graph.svg")
def pathway_graph(app: AppDep, user: PageUser, pathway_id: PathwayId, version: Version = None) -> Response:
    """The pathway's stage graph as an SVG image, in the reader's language."""
    with app.store.read() as conn:
        Scope(user, conn).orgs()
    spec = app.catalog.get(pathway_id, version)
    return Response(graph.svg(spec, lang=user.language), media_type="image/svg+xml", headers=SVG_HEADERS)
