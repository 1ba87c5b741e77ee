"""The managers' dashboard as a use case: whose reports a reader may see, read in one go.

The dashboard of an organisation is for the roles that may audit it (managers, admins,
auditors): without a choice, the first such organisation of the reader; one they have no
role in is not found, one their role may not audit is refused
(:mod:`pathways.services.people.permits`). The web draws what this returns.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

from sqlalchemy import select

from pathways.services.casework import reads
from pathways.services.people.accounts import Permission, Principal
from pathways.services.people.permits import chosen_org, orgs_allowing
from pathways.services.reporting.reports import REPORTS
from pathways.store.core import ORG

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
    organisations: Sequence[Mapping[str, Any]]  # those the reader may audit, by id
    open: Mapping[str, Any]  # open and overdue cases, workload, open cases by pathway and stage


def dashboard(app: App, principal: Principal, *, org: int | None = None) -> Dashboard:
    """Everything the dashboard of organisation `org` shows (default: the reader's first they may audit)."""
    charts = org_reports(app, principal, org=org)
    with app.store.read() as conn:
        organisations = reads.organisations(conn, charts.audited)
        shown = reads.dashboard(conn, orgs={charts.org_id}, now=app.clock.now())
    return Dashboard(charts=charts, organisations=organisations, open=shown)
