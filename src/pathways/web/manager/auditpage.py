"""The audit log for managers, admins and auditors: one organisation's chain a page at a time.

``GET /audit`` shows at most 100 events, newest first, as sentences in the reader's
language, filtered by case, person (who acted, or whom the event is about), kind and
dates (days in the organisation's zone); "older events" carries ``before=<seq>`` (keyset
pagination, see :mod:`pathways.services.audit.journal`). The chain's verification is
loaded beside it (``/audit/verify?org=``). ``GET /api/v1/audit`` takes the same filters
(:func:`search`) and gives the next page in a ``Link: <…>; rel="next"`` header.

What a reader may search (which organisation, case and person, "not yours" read as
unknown) is the use case :mod:`pathways.services.audit.search`'s: this module parses the
form, says what is wrong in the reader's language and draws the page.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from pathways.bootstrap import App
from pathways.drawing.svg import number
from pathways.notify.render import babel_locale
from pathways.services.audit import search as audit_search
from pathways.services.audit.journal import PAGE_MAX, AuditPage
from pathways.services.audit.search import AuditOrg, AuditSearch, verify_chains
from pathways.services.people.accounts import Principal
from pathways.web.deps import AppDep, PageUser
from pathways.web.i18n import Texts, texts
from pathways.web.manager import auditview
from pathways.web.render import page

router = APIRouter(include_in_schema=False)
KIND_PATTERN = r"^[a-z][a-z_]{0,39}$"
Seq = Annotated[int | None, Query(ge=1, le=2**31 - 1)]
OrgId = Annotated[int | None, Query(ge=1, le=2**31 - 1)]


@dataclass(frozen=True, slots=True)
class AuditFilters:
    """The search as typed: every value a string from the form or the query."""

    org: int | None = None
    case: str = ""
    person: str = ""
    kind: str = ""
    since: str = ""
    until: str = ""
    before: int | None = None
    limit: int = PAGE_MAX

    def link(self, **changes: Any) -> str:
        """The query string of this search with `changes` (None drops a parameter)."""
        values = {
            "org": self.org,
            "case": self.case,
            "person": self.person,
            "kind": self.kind,
            "since": self.since,
            "until": self.until,
            "before": self.before,
            "limit": self.limit if self.limit != PAGE_MAX else None,
        } | changes
        return urlencode({k: v for k, v in values.items() if v not in (None, "")})


@dataclass(frozen=True, slots=True)
class Resolved:
    """A search as the service answered it: the organisation, and what is wrong with each field."""

    org: AuditOrg
    errors: dict[str, str] = field(default_factory=dict)  # field -> what is wrong, in the reader's words


def _day(text: str) -> date | None:
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


def search(app: App, user: Principal, filters: AuditFilters, t: Texts) -> tuple[Resolved, AuditPage | None]:
    """The page of events the filters ask for (None when a filter is wrong), within the reader's scope.

    The dates are parsed here (a day that is not one is said beside its field); which
    organisation, case and person the reader may search is :func:`pathways.services.audit.search.search`'s.
    """
    start, end = _day(filters.since), _day(filters.until)
    command = AuditSearch(
        org=filters.org,
        case=filters.case.strip() or None,
        person=filters.person.strip() or None,
        kind=filters.kind or None,
        since=start,
        until=end,
        before=filters.before,
        limit=filters.limit,
    )
    result = audit_search.search(app, user, command)
    errors: dict[str, str] = {}
    if "case" in result.problems:
        errors["case"] = t("No case %(ref)s in your organisations.", ref=filters.case.strip())
    if "person" in result.problems:
        errors["person"] = t("No person “%(person)s” in your organisations.", person=filters.person.strip())
    if filters.since and start is None:
        errors["since"] = t("“%(value)s” is not a date (YYYY-MM-DD).", value=filters.since)
    if filters.until and end is None:
        errors["until"] = t("“%(value)s” is not a date (YYYY-MM-DD).", value=filters.until)
    if "until" in result.problems:
        errors["until"] = t("The end is before the start.")
    return Resolved(result.org, errors), (result.page if not errors else None)


@router.get("/audit")
def audit(
    request: Request,
    app: AppDep,
    user: PageUser,
    org: OrgId = None,
    case: Annotated[str, Query(max_length=32)] = "",
    person: Annotated[str, Query(max_length=200)] = "",
    kind: Annotated[str, Query(max_length=40)] = "",
    since: Annotated[str, Query(max_length=10)] = "",
    until: Annotated[str, Query(max_length=10)] = "",
    before: Seq = None,
) -> HTMLResponse:
    """Search the audit log of one of my organisations, a page of at most 100 events at a time."""
    t = texts(user.language)
    # Any kind of event may be asked for (newer features add theirs); the list offers the known ones.
    filters = AuditFilters(
        org, case, person, kind if re.fullmatch(KIND_PATTERN, kind) else "", since, until, before
    )
    resolved, found = search(app, user, filters, t)
    org_id = resolved.org.id
    locale = babel_locale(user.language, resolved.org.timezone)
    events = auditview.views(found, app.catalog, t, lambda n: number(n, locale, 2)) if found else []
    orgs = audit_search.audit_orgs(app, user)
    context = {
        "org": resolved.org,
        "orgs": orgs,
        "events": events,
        "filters": filters,
        "kinds": _with(auditview.kind_choices(t), filters.kind, t),
        "errors": resolved.errors,
        "next_link": filters.link(org=org_id, before=found.next_before)
        if found and found.next_before
        else None,
        "first_link": filters.link(org=org_id, before=None) if filters.before else None,
        "filtered": any((filters.case, filters.person, filters.kind, filters.since, filters.until)),
    }
    # A case or person the reader cannot see is not found (404, as everywhere), a wrong date 422:
    # the page still shows the search with what is wrong beside its field.
    errors = resolved.errors
    code = 404 if {"case", "person"} & errors.keys() else 422 if errors else 200
    return page(request, "audit.html", context, user=user, status_code=code)


def _with(choices: list[tuple[str, str]], kind: str, t: Texts) -> list[tuple[str, str]]:
    """The kinds to offer, with the one asked for when the list does not know it."""
    if kind and kind not in dict(choices):
        return [*choices, (kind, auditview.kind_label(t, kind))]
    return choices


@router.get("/audit/verify")
def verify(request: Request, app: AppDep, user: PageUser, org: OrgId = None) -> HTMLResponse:
    """Verify the audit chain of each of my organisations (or of one)."""
    checks = verify_chains(app, user, org)
    names = {o.id: o.name for o in audit_search.audit_orgs(app, user)}
    name = "_verify.html" if request.headers.get("hx-request") == "true" else "verify.html"
    return page(request, name, {"reports": checks, "orgs": names}, user=user)
