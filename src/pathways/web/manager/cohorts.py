"""Incubation cohorts for managers and coaches: who is in which cohort, and where each one stands.

``/cohorts`` lists the cohorts of the reader's organisations (one of them with ``?org=``);
``/cohorts/{key}`` shows one cohort's members, each with its stage or the result it ended with.
A cohort of an organisation the reader has no role in answers the 404 an unknown one answers
(:mod:`pathways.services.reporting.cohorts` reads only the organisations it is given).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import HTMLResponse

from pathways.services.casework import reads
from pathways.services.people.accounts import Permission
from pathways.services.reporting import cohorts
from pathways.web.deps import AppDep, PageUser
from pathways.web.render import page
from pathways.web.scope import Scope

router = APIRouter(include_in_schema=False)
OrgChoice = Annotated[int | None, Query(ge=1, le=2**31 - 1)]
# What domain.incubation.cohort_key makes of a name: lower-case letters, digits and hyphens.
CohortKey = Annotated[str, Path(pattern=r"^[a-z0-9][a-z0-9-]{0,199}$")]


@router.get("/cohorts")
def cohort_list(request: Request, app: AppDep, user: PageUser, org: OrgChoice = None) -> HTMLResponse:
    """The cohorts of my organisations (or of one of them), latest first, with how each one is doing."""
    with app.store.read() as conn:
        scope = Scope(user, conn)
        mine = scope.orgs(Permission.READ)
        if org is not None:
            scope.check(org, Permission.READ, f"organisation {org}")
        found = cohorts.list_cohorts(
            conn,
            app.catalog,
            orgs={org} if org is not None else mine,
            lang=user.language,
            now=app.clock.now(),
        )
        organisations = reads.organisations(conn, mine)
    context = {"cohorts": found, "orgs": organisations, "org_id": org}
    return page(request, "cohorts.html", context, user=user)


@router.get("/cohorts/{key}")
def cohort_page(
    request: Request, app: AppDep, user: PageUser, key: CohortKey, org: OrgChoice = None
) -> HTMLResponse:
    """One cohort: its dates and its members, each with its stage, deadline, officer and mentor."""
    with app.store.read() as conn:
        mine = Scope(user, conn).orgs(Permission.READ)
        found = cohorts.find_cohort(
            conn, app.catalog, key, orgs=mine, org=org, lang=user.language, now=app.clock.now()
        )
    return page(request, "cohort.html", {"cohort": found, "several_orgs": len(mine) > 1}, user=user)
