"""Read models for the web and the API, each restricted to a set of organisation ids (the caller's scope).

They complement :mod:`pathways.services.casework.queries`, whose filters take one
organisation at a time: here every list takes the whole set the principal may
read, and pages are bounded (limit and offset) for installations with many cases.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import fields

from sqlalchemy import Connection, select

from pathways.domain.loader import PathwayCatalog
from pathways.services.casework import readable
from pathways.services.casework.views import DocumentItem
from pathways.services.people.views import OrgView, PersonView, PersonWithRoles, ProjectView, RoleIn
from pathways.store.core import AUDIT, DOC, MEMBER, ORG, PERSON, PROJECT


def organisations(conn: Connection, orgs: Collection[int]) -> list[OrgView]:
    """The organisations `orgs`."""
    query = select(ORG).where(ORG.c.id.in_(sorted(orgs))).order_by(ORG.c.id)
    return [OrgView.of(r) for r in conn.execute(query).mappings()]


def people(
    conn: Connection, orgs: Collection[int], *, roles: Collection[str] | None = None
) -> list[PersonWithRoles]:
    """People with a role in `orgs`, each with their roles there; by id."""
    query = (
        select(PERSON, MEMBER.c.organisation_id, MEMBER.c.role)
        .join(MEMBER, MEMBER.c.person_id == PERSON.c.id)
        .where(MEMBER.c.organisation_id.in_(sorted(orgs)), PERSON.c.erased_at.is_(None))
        .order_by(PERSON.c.id, MEMBER.c.organisation_id)
    )
    if roles is not None:
        query = query.where(MEMBER.c.role.in_(sorted(roles)))
    found: dict[int, PersonView] = {}
    held: dict[int, list[RoleIn]] = {}
    for row in conn.execute(query).mappings():
        found.setdefault(row["id"], PersonView.of(row))
        held.setdefault(row["id"], []).append(RoleIn(row["organisation_id"], row["role"]))
    return [
        PersonWithRoles(**{f.name: getattr(person, f.name) for f in fields(PersonView)}, roles=tuple(held[i]))
        for i, person in found.items()
    ]


def projects(
    conn: Connection, orgs: Collection[int], *, limit: int = 500, offset: int = 0
) -> list[ProjectView]:
    """Projects of `orgs`, newest first."""
    query = (
        select(PROJECT)
        .where(PROJECT.c.organisation_id.in_(sorted(orgs)))
        .order_by(PROJECT.c.id.desc())
        .limit(limit)
        .offset(offset)
    )
    return [ProjectView.of(r) for r in conn.execute(query).mappings()]


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
