"""Managers' pages: dashboard, audit search and verification, pathways and their stages."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import HTMLResponse

from pathways.services.accounts import Permission
from pathways.store.audit import verify_chain
from pathways.web import reads
from pathways.web.deps import AppDep, PageUser
from pathways.web.render import page
from pathways.web.scope import Scope

router = APIRouter(include_in_schema=False)


@router.get("/dashboard")
def dashboard(request: Request, app: AppDep, user: PageUser) -> HTMLResponse:
    """Open and overdue cases, workload per officer, cases per stage and results, for my organisations."""
    with app.store.read() as conn:
        orgs = Scope(user, conn).orgs(Permission.AUDIT)
        data = reads.dashboard(conn, orgs=orgs, now=app.clock.now())
    peak = max([w["open"] for w in data["workload"]] + [s["open"] for s in data["stages"]] + [1])
    titles = {s.id: s for s in app.catalog.latest()}
    return page(request, "dashboard.html", {**data, "peak": peak, "specs": titles}, user=user)


def _day(value: str | None) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


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
    with app.store.read() as conn:
        scope = Scope(user, conn)
        orgs = scope.orgs(Permission.AUDIT)
        case_id = None
        if case and case.strip():
            found = scope.case(case.strip())
            scope.check(found["organisation_id"], Permission.AUDIT, f"case '{case}'")
            case_id = found["id"]
        rows = reads.audit_events(
            conn,
            orgs=orgs,
            case_id=case_id,
            kind=kind or None,
            since=datetime.combine(start, time(), UTC) if start else None,
            until=datetime.combine(end, time(), UTC) + timedelta(days=1) if end else None,
            limit=200,
        )
        kinds = reads.audit_kinds(conn, orgs)
        names = {o["id"]: o["name"] for o in reads.organisations(conn, orgs)}
    context = {
        "rows": rows,
        "kinds": kinds,
        "orgs": names,
        "query": {"case": case or "", "kind": kind or "", "since": since or "", "until": until or ""},
    }
    return page(request, "audit.html", context, user=user)


@router.get("/audit/verify")
def verify(request: Request, app: AppDep, user: PageUser) -> HTMLResponse:
    """Verify the audit chain of each of my organisations."""
    with app.store.read() as conn:
        orgs = Scope(user, conn).orgs(Permission.AUDIT)
        names = {o["id"]: o["name"] for o in reads.organisations(conn, orgs)}
        reports = [
            r for org in sorted(orgs) for r in verify_chain(conn, key=app.audit_key, organisation_id=org)
        ]
    fragment = request.headers.get("hx-request") == "true"
    name = "_verify.html" if fragment else "verify.html"
    return page(request, name, {"reports": reports, "orgs": names}, user=user)


@router.get("/pathways")
def pathways(request: Request, app: AppDep, user: PageUser) -> HTMLResponse:
    """The pathways and their stages."""
    with app.store.read() as conn:
        Scope(user, conn).orgs()
    return page(request, "pathways.html", {"specs": app.catalog.latest()}, user=user)


@router.get("/pathways/{pathway_id}")
def pathway(
    request: Request,
    app: AppDep,
    user: PageUser,
    pathway_id: Annotated[str, Path(pattern=r"^[a-z][a-z0-9_]{0,63}$")],
    version: Annotated[int | None, Query(ge=1, le=10_000)] = None,
) -> HTMLResponse:
    """A pathway: each stage, who owns it, its deadline, fields and outcomes, and where they lead."""
    with app.store.read() as conn:
        Scope(user, conn).orgs()
    spec = app.catalog.get(pathway_id, version)
    return page(request, "pathway.html", {"spec": spec, "versions": app.catalog.versions(spec.id)}, user=user)
