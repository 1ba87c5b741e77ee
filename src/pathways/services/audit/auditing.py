"""Reading the audit log: verify each organisation's chain, and search events.

Verification is :func:`pathways.store.audit_verify.verify_chain`, named per organisation.
Search returns events with the names of the people who acted, read from the
person table at the time of the search, never from the chain (the chain holds
ids only, so an erased person's events keep verifying and show the pseudonym).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, select

from pathways.services.casework.lookup import find_case
from pathways.services.casework.queries import with_decision_details
from pathways.services.people import directory
from pathways.store import audit_verify
from pathways.store.core import AUDIT, CASE, ORG, PERSON

if TYPE_CHECKING:
    from pathways.bootstrap import App

SYSTEM = "system"  # the actor shown for events recorded without a person (sweeps, flows)


@dataclass(frozen=True, slots=True)
class ChainCheck:
    """The verification of one organisation's chain."""

    organisation_id: int | None
    organisation: str | None  # slug; None when the organisation row itself is gone
    ok: bool
    checked: int
    seq: int | None  # where the first problem is
    problem: str | None  # edited | deleted | reordered | inserted | head_mismatch
    detail: str


@dataclass(frozen=True, slots=True)
class AuditRecord:
    """One audit event, with the organisation, case and actor named."""

    organisation_id: int
    organisation: str | None
    seq: int
    case_id: int | None
    case: str | None  # the case reference
    actor_id: int | None
    actor: str  # the person's current name, or "system"
    kind: str
    effective_at: datetime
    recorded_at: datetime
    payload: dict[str, Any]


def verify(app: App, *, organisation: str | int | None = None) -> list[ChainCheck]:
    """Verify the audit chain of one organisation (id, slug or name) or of all of them."""
    with app.store.read() as conn:
        org_id = directory.find_org(conn, organisation).id if organisation is not None else None
        reports = audit_verify.verify_chain(conn, key=app.audit_key, organisation_id=org_id)
        slugs: dict[int, str] = {row.id: row.slug for row in conn.execute(select(ORG.c.id, ORG.c.slug))}
    return [
        ChainCheck(
            organisation_id=r.organisation_id,
            organisation=slugs.get(r.organisation_id) if r.organisation_id is not None else None,
            ok=r.ok,
            checked=r.checked,
            seq=r.seq,
            problem=r.problem,
            detail=r.detail,
        )
        for r in reports
    ]


def first_broken(checks: list[ChainCheck]) -> ChainCheck | None:
    """The first chain that does not verify, if any."""
    return next((c for c in checks if not c.ok), None)


def search(
    conn: Connection,
    *,
    actor: str | int | None = None,
    case: str | int | None = None,
    org: str | int | None = None,
    kind: str | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
    limit: int = 200,
) -> list[AuditRecord]:
    """Audit events matching every filter given, newest first (effective time in [start, end))."""
    query = (
        select(
            AUDIT.c.organisation_id,
            ORG.c.slug,
            AUDIT.c.seq,
            AUDIT.c.case_id,
            CASE.c.ref,
            AUDIT.c.actor_id,
            PERSON.c.name,
            AUDIT.c.kind,
            AUDIT.c.effective_at,
            AUDIT.c.recorded_at,
            AUDIT.c.payload,
        )
        .select_from(AUDIT)
        .outerjoin(ORG, ORG.c.id == AUDIT.c.organisation_id)
        .outerjoin(CASE, CASE.c.id == AUDIT.c.case_id)
        .outerjoin(PERSON, PERSON.c.id == AUDIT.c.actor_id)
        .order_by(AUDIT.c.effective_at.desc(), AUDIT.c.id.desc())
        .limit(limit)
    )
    if actor is not None:
        query = query.where(AUDIT.c.actor_id == directory.find_person(conn, actor).id)
    if case is not None:
        query = query.where(AUDIT.c.case_id == find_case(conn, case).id)
    if org is not None:
        query = query.where(AUDIT.c.organisation_id == directory.find_org(conn, org).id)
    if kind is not None:
        query = query.where(AUDIT.c.kind == kind)
    if start is not None:
        query = query.where(AUDIT.c.effective_at >= start)
    if end is not None:
        query = query.where(AUDIT.c.effective_at < end)
    rows = list(conn.execute(query))
    payloads = with_decision_details(conn, [dict(row.payload) for row in rows])
    return [
        AuditRecord(
            organisation_id=row.organisation_id,
            organisation=row.slug,
            seq=row.seq,
            case_id=row.case_id,
            case=row.ref,
            actor_id=row.actor_id,
            actor=_actor_name(row.actor_id, row.name),
            kind=row.kind,
            effective_at=row.effective_at,
            recorded_at=row.recorded_at,
            payload=payload,
        )
        for row, payload in zip(rows, payloads, strict=True)
    ]


def _actor_name(actor_id: int | None, name: str | None) -> str:
    if actor_id is None:
        return SYSTEM
    return name if name is not None else f"person #{actor_id}"
