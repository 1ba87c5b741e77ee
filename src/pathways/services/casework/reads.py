"""Read models for the web and the API, each restricted to a set of organisation ids (the caller's scope).

They complement :mod:`pathways.services.casework.queries`, whose filters take one
organisation at a time: here every list takes the whole set the principal may
read, and pages are bounded (limit and offset) for installations with many cases.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, case, func, select

from pathways.domain.loader import PathwayCatalog
from pathways.services.casework import readable
from pathways.services.casework.queries import names_of
from pathways.store.core import AUDIT, CASE, DOC, MEMBER, ORG, PERSON, PROJECT


def organisations(conn: Connection, orgs: Collection[int]) -> list[dict[str, Any]]:
    """The organisations `orgs`."""
    query = select(ORG).where(ORG.c.id.in_(sorted(orgs))).order_by(ORG.c.id)
    return [dict(r) for r in conn.execute(query).mappings()]


def people(
    conn: Connection, orgs: Collection[int], *, roles: Collection[str] | None = None
) -> list[dict[str, Any]]:
    """People with a role in `orgs`, each with their roles there."""
    query = (
        select(PERSON, MEMBER.c.organisation_id, MEMBER.c.role)
        .join(MEMBER, MEMBER.c.person_id == PERSON.c.id)
        .where(MEMBER.c.organisation_id.in_(sorted(orgs)), PERSON.c.erased_at.is_(None))
        .order_by(PERSON.c.id, MEMBER.c.organisation_id)
    )
    if roles is not None:
        query = query.where(MEMBER.c.role.in_(sorted(roles)))
    found: dict[int, dict[str, Any]] = {}
    for row in conn.execute(query).mappings():
        person = found.setdefault(row["id"], {**dict(row), "roles": []})
        person["roles"].append({"organisation_id": row["organisation_id"], "role": row["role"]})
    return list(found.values())


def projects(
    conn: Connection, orgs: Collection[int], *, limit: int = 500, offset: int = 0
) -> list[dict[str, Any]]:
    """Projects of `orgs`, newest first."""
    query = (
        select(PROJECT)
        .where(PROJECT.c.organisation_id.in_(sorted(orgs)))
        .order_by(PROJECT.c.id.desc())
        .limit(limit)
        .offset(offset)
    )
    return [dict(r) for r in conn.execute(query).mappings()]


def documents(
    conn: Connection, case_id: int, *, catalog: PathwayCatalog | None = None, lang: str = "en"
) -> list[dict[str, Any]]:
    """A case's documents (without their content), oldest first; with a catalogue, each with its title."""
    query = (
        select(DOC.c.id, DOC.c.name, DOC.c.language, DOC.c.media_type, DOC.c.created_at)
        .where(DOC.c.case_id == case_id)
        .order_by(DOC.c.id)
    )
    found = [dict(r) for r in conn.execute(query).mappings()]
    for doc in found:
        doc["title"] = readable.document_title(catalog, doc["name"], lang) if catalog else doc["name"]
    return found


def audit_kinds(conn: Connection, orgs: Collection[int]) -> list[str]:
    """The kinds of event recorded in `orgs` (for the search form)."""
    query = (
        select(AUDIT.c.kind)
        .where(AUDIT.c.organisation_id.in_(sorted(orgs)))
        .distinct()
        .order_by(AUDIT.c.kind)
    )
    return list(conn.scalars(query))


def dashboard(conn: Connection, *, orgs: Collection[int], now: datetime) -> dict[str, Any]:
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
    return {
        "orgs": [{"id": i, "name": n, "open": int(o), "overdue": int(late or 0)} for i, n, o, late in by_org],
        "workload": [
            {"officer": names.get(i or 0, "—"), "officer_id": i, "open": int(o), "overdue": int(late or 0)}
            for i, o, late in workload
        ],
        "stages": [{"pathway": p, "stage": s, "open": int(n)} for p, s, n in stages],
        "results": [{"pathway": p, "result": r, "closed": int(n)} for p, r, n in results],
    }
