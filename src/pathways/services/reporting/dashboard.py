"""The managers' dashboard as a use case: whose reports a reader may see, read in one go.

The dashboard of an organisation is for the roles that may audit it (managers, admins,
auditors): without a choice, the first such organisation of the reader; one they have no
role in is not found, one their role may not audit is refused
(:mod:`pathways.services.people.permits`). The web draws what this returns.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, Final

from sqlalchemy import Connection, case, func, select

from pathways.services.casework import reads
from pathways.services.casework.queries import names_of
from pathways.services.people.accounts import Permission, Principal
from pathways.services.people.permits import chosen_org, orgs_allowing
from pathways.services.people.views import OrgView
from pathways.services.reporting.reports import REPORTS
from pathways.services.reporting.views import OfficerLoad, OpenWork, OrgLoad, ResultCount, StageCount
from pathways.store.core import CASE, ORG

if TYPE_CHECKING:
    from pathways.bootstrap import App

CHARTS: Final = ("funnel", "stages", "overdue", "workload", "outcomes")


@dataclass(frozen=True, slots=True)
class OrgReports:
    """The reports of one organisation, as of the App's clock."""

    org_id: int
    timezone: str
    audited: frozenset[int]  # the organisations the reader may see the dashboard of
    reports: Mapping[str, Sequence[Any]]  # report name -> its rows (reports.REPORTS)


def org_reports(
    app: App, principal: Principal, *, org: int | None = None, names: Sequence[str] = CHARTS
) -> OrgReports:
    """The reports `names` of organisation `org` (default: the reader's first they may audit)."""
    org_id = chosen_org(principal, org, Permission.AUDIT)
    audited = orgs_allowing(principal, Permission.AUDIT)
    now = app.clock.now()
    with app.store.read() as conn:
        timezone = conn.execute(select(ORG.c.timezone).where(ORG.c.id == org_id)).scalar_one()
        reports = {name: REPORTS[name](conn, now=now, org=org_id) for name in names}
    return OrgReports(org_id=org_id, timezone=timezone, audited=audited, reports=reports)


@dataclass(frozen=True, slots=True)
class Dashboard:
    """The dashboard page's data: the charts' reports, the organisations to choose from, the open work."""

    charts: OrgReports
    organisations: Sequence[OrgView]  # those the reader may audit, by id
    open: OpenWork  # open and overdue cases, workload, open cases by pathway and stage


def dashboard(app: App, principal: Principal, *, org: int | None = None) -> Dashboard:
    """Everything the dashboard of organisation `org` shows (default: the reader's first they may audit)."""
    charts = org_reports(app, principal, org=org)
    with app.store.read() as conn:
        organisations = reads.organisations(conn, charts.audited)
        shown = open_work(conn, orgs={charts.org_id}, now=app.clock.now())
    return Dashboard(charts=charts, organisations=organisations, open=shown)


def open_work(conn: Connection, *, orgs: Collection[int], now: datetime) -> OpenWork:
    """Open and overdue cases per organisation, workload per officer, open cases per pathway and stage."""
    scoped = CASE.c.organisation_id.in_(sorted(orgs))
    is_open = CASE.c.status == "open"
    overdue = func.sum(case((CASE.c.due_at < now, 1), else_=0))
    by_org = conn.execute(
        select(ORG.c.id, ORG.c.name, func.count(CASE.c.id), overdue)
        .join(CASE, (CASE.c.organisation_id == ORG.c.id) & is_open)
        .where(scoped)
        .group_by(ORG.c.id, ORG.c.name)
        .order_by(ORG.c.name)
    ).all()
    workload = conn.execute(
        select(CASE.c.officer_id, func.count(CASE.c.id), overdue)
        .where(scoped, is_open)
        .group_by(CASE.c.officer_id)
        .order_by(func.count(CASE.c.id).desc())
    ).all()
    names = names_of(conn, {r[0] for r in workload})
    stages = conn.execute(
        select(CASE.c.pathway_id, CASE.c.stage, func.count(CASE.c.id))
        .where(scoped, is_open)
        .group_by(CASE.c.pathway_id, CASE.c.stage)
        .order_by(CASE.c.pathway_id, CASE.c.stage)
    ).all()
    results = conn.execute(
        select(CASE.c.pathway_id, CASE.c.result, func.count(CASE.c.id))
        .where(scoped, CASE.c.status == "closed")
        .group_by(CASE.c.pathway_id, CASE.c.result)
        .order_by(CASE.c.pathway_id, CASE.c.result)
    ).all()
    return OpenWork(
        orgs=tuple(OrgLoad(id=i, name=n, open=int(o), overdue=int(late or 0)) for i, n, o, late in by_org),
        workload=tuple(
            OfficerLoad(officer=names.get(i or 0, "—"), officer_id=i, open=int(o), overdue=int(late or 0))
            for i, o, late in workload
        ),
        stages=tuple(StageCount(pathway=p, stage=s, open=int(n)) for p, s, n in stages),
        results=tuple(ResultCount(pathway=p, result=r, closed=int(n)) for p, r, n in results),
    )
