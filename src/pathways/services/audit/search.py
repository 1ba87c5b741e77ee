"""The audit search as a use case: which organisation's chain a reader may search, and what for.

The audit log is for the roles that may audit an organisation (managers, admins, auditors).
A search names at most one case and one person; both are looked up among the reader's
organisations only, so a case or person of an organisation the reader has no role in reads
exactly as an unknown reference (the field's problem is ``unknown`` either way, nothing
else differs). A case the reader may see but not audit is refused (Forbidden), as is an
organisation they may not audit; an organisation they have no role in is not found
(:mod:`pathways.services.people.permits`). A page holds at most :data:`PAGE_MAX` events,
cut on the chain's seq (:mod:`pathways.services.audit.journal`).

The web page and the API (``pathways.web.manager.auditpage``, ``pathways.web.api.manager``)
only parse what is asked and show what :func:`search` returns; the chain's verification,
which reads the whole chain, is :func:`verify_chains` (the page loads it beside the log).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING, Final, Literal
from zoneinfo import ZoneInfo

from sqlalchemy import select

from pathways.errors import NotFound
from pathways.services.audit import auditing
from pathways.services.audit.journal import PAGE_MAX, AuditEntry, AuditPage, AuditQuery, read_page
from pathways.services.casework.lookup import find_case
from pathways.services.people.accounts import Permission, Principal
from pathways.services.people.among import org_among, person_among
from pathways.services.people.permits import chosen_org, orgs_allowing, require
from pathways.store.core import ORG

if TYPE_CHECKING:
    from sqlalchemy import Connection

    from pathways.bootstrap import App

__all__ = [
    "PAGE_MAX",
    "AuditOrg",
    "AuditResult",
    "AuditSearch",
    "Problem",
    "audit_orgs",
    "search",
    "search_in",
    "verify_chains",
]

Problem = Literal["unknown", "before_start"]
UNKNOWN: Final = "unknown"


@dataclass(frozen=True, slots=True)
class AuditSearch:
    """What a reader asks of the audit log: one organisation's events, every filter given matching.

    `org`: None for the reader's first organisation they may audit (or the case's, when a case
    is named); `case`, `person`: references as typed (a case reference or id; a person's id,
    handle, e-mail or name); `since`, `until`: days in the organisation's time zone, both
    included; `before`: the seq the page starts before (the next page's).
    """

    org: int | None = None
    case: str | None = None
    person: str | None = None
    kind: str | None = None
    since: date | None = None
    until: date | None = None
    before: int | None = None
    limit: int = PAGE_MAX


@dataclass(frozen=True, slots=True)
class AuditOrg:
    """An organisation whose audit log the reader may read."""

    id: int
    slug: str
    name: str
    timezone: str


@dataclass(frozen=True, slots=True)
class AuditResult:
    """A page of events, or what is wrong with the search (then no events).

    `problems`: field name (``case``, ``person``, ``until``) -> what is wrong, as a code:
    ``unknown`` for a case or person that is not found among the reader's organisations
    (whether it does not exist or belongs to another organisation), ``before_start`` for an
    end before the start.
    """

    org: AuditOrg
    page: AuditPage | None
    problems: Mapping[str, Problem] = field(default_factory=dict)

    @property
    def events(self) -> tuple[AuditEntry, ...]:
        """The page's events, newest first (none when the search is wrong)."""
        return self.page.entries if self.page is not None else ()

    @property
    def has_next(self) -> bool:
        """Whether older events follow (their page starts before :attr:`next_before`)."""
        return self.page is not None and self.page.next_before is not None

    @property
    def next_before(self) -> int | None:
        """The `before` of the next (older) page; None on the last one."""
        return self.page.next_before if self.page is not None else None


def search(app: App, principal: Principal, command: AuditSearch) -> AuditResult:
    """The page of events `command` asks for, within what `principal` may audit."""
    with app.store.read() as conn:
        return search_in(conn, principal, command)


def search_in(conn: Connection, principal: Principal, command: AuditSearch) -> AuditResult:
    """:func:`search` on an open connection."""
    problems: dict[str, Problem] = {}
    orgs_allowing(principal, Permission.AUDIT)  # Forbidden for a reader who may audit nothing
    visible = principal.orgs(Permission.READ)
    org_id: int | None = None
    case_id = None
    if command.case and command.case.strip():
        ref = command.case.strip()
        try:
            found = find_case(conn, ref)
        except NotFound:
            found = None
        if found is None or found.organisation_id not in visible:
            problems["case"] = UNKNOWN  # unknown, or of an organisation the reader has no role in
        else:
            require(principal, found.organisation_id, Permission.AUDIT, f"case '{ref}'")
            org_id, case_id = found.organisation_id, found.id
    if org_id is None:  # the case's organisation, else the one asked for, else the reader's first
        org_id = chosen_org(principal, command.org, Permission.AUDIT)
    row = org_among(conn, org_id, visible)
    org = AuditOrg(id=int(row.id), slug=row.slug, name=row.name, timezone=row.timezone)
    person_id = None
    if command.person and command.person.strip():
        try:
            person_id = int(person_among(conn, command.person.strip(), visible).id)
        except NotFound:
            problems["person"] = UNKNOWN
    if command.since is not None and command.until is not None and command.until < command.since:
        problems["until"] = "before_start"
    if problems:
        return AuditResult(org, None, problems)
    zone = ZoneInfo(org.timezone)
    query = AuditQuery(
        organisation_id=org.id,
        case_id=case_id,
        person_id=person_id,
        kind=command.kind or None,
        start=datetime.combine(command.since, time(), zone) if command.since else None,
        end=datetime.combine(command.until, time(), zone) + timedelta(days=1) if command.until else None,
        before=command.before,
        limit=max(1, min(command.limit, PAGE_MAX)),
    )
    return AuditResult(org, read_page(conn, query))


def audit_orgs(app: App, principal: Principal) -> tuple[AuditOrg, ...]:
    """The organisations whose audit log `principal` may read, by id."""
    orgs = orgs_allowing(principal, Permission.AUDIT)
    with app.store.read() as conn:
        rows = conn.execute(
            select(ORG.c.id, ORG.c.slug, ORG.c.name, ORG.c.timezone)
            .where(ORG.c.id.in_(sorted(orgs)))
            .order_by(ORG.c.id)
        ).all()
    return tuple(AuditOrg(id=r.id, slug=r.slug, name=r.name, timezone=r.timezone) for r in rows)


def verify_chains(app: App, principal: Principal, org: int | None = None) -> list[auditing.ChainCheck]:
    """The verification of each audit chain `principal` may read (or of organisation `org`'s)."""
    orgs = orgs_allowing(principal, Permission.AUDIT)
    if org is not None:
        require(principal, org, Permission.AUDIT, f"organisation {org}")
        orgs = frozenset({org})
    return [check for org_id in sorted(orgs) for check in auditing.verify(app, organisation=org_id)]
