"""Read models for the web and the API, each restricted to a set of organisation ids (the caller's scope).

They complement :mod:`pathways.services.casework.queries`, whose filters take one
organisation at a time: here every list takes the whole set the principal may
read, and pages are bounded (limit and offset) for installations with many cases.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from sqlalchemy import Connection, select

from pathways.domain.loader import PathwayCatalog
from pathways.services.casework import readable
from pathways.services.casework.views import DocumentItem
from pathways.services.people.views import OrgView
from pathways.store.core import AUDIT, DOC, MEMBER, ORG, PERSON, PROJECT


def organisations(conn: Connection, orgs: Collection[int]) -> list[OrgView]:
    """The organisations `orgs`."""
    query = select(ORG).where(ORG.c.id.in_(sorted(orgs))).order_by(ORG.c.id)
    return [OrgView.of(r) for r in conn.execute(query).mappings()]


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
) -> list[DocumentItem]:
    """A case's documents (without their content), oldest first; with a catalogue, each with its title."""
    query = (
        select(DOC.c.id, DOC.c.name, DOC.c.language, DOC.c.media_type, DOC.c.created_at)
        .where(DOC.c.case_id == case_id)
        .order_by(DOC.c.id)
    )
    return [
        DocumentItem(**r, title=readable.document_title(catalog, r["name"], lang) if catalog else r["name"])
        for r in conn.execute(query).mappings()
    ]


def audit_kinds(conn: Connection, orgs: Collection[int]) -> list[str]:
    """The kinds of event recorded in `orgs` (for the search form)."""
    query = (
        select(AUDIT.c.kind)
        .where(AUDIT.c.organisation_id.in_(sorted(orgs)))
        .distinct()
        .order_by(AUDIT.c.kind)
    )
    return list(conn.scalars(query))
