"""Lookups among a set of organisations (the caller's): what :class:`pathways.web.scope.Scope` reads.

A row of another organisation is searched for as if it did not exist: it can neither be
found nor make a name ambiguous, and the answer is the :class:`~pathways.errors.NotFound`
an unknown reference gets (``Refused`` when a name is ambiguous among the visible rows).
"""

from __future__ import annotations

from collections.abc import Collection

from sqlalchemy import Connection, select

from pathways.services.people.directory import find_view
from pathways.services.people.views import OrgDocument, OrgView, PersonView, ProjectView
from pathways.store.core import CASE, DOC, MEMBER, ORG, PERSON, PROJECT

__all__ = ["document_of", "org_among", "person_among", "project_among", "project_names"]


def org_among(conn: Connection, ref: str | int, orgs: Collection[int]) -> OrgView:
    """The organisation `ref` (id, slug or name) if it is one of `orgs`."""
    return find_view(conn, ORG, ref, "organisation", ("slug", "name"), OrgView.of, scope=ORG.c.id.in_(orgs))


def project_among(conn: Connection, ref: str | int, orgs: Collection[int]) -> ProjectView:
    """The project `ref` (id or name) of one of `orgs`."""
    scope = PROJECT.c.organisation_id.in_(orgs)
    return find_view(conn, PROJECT, ref, "project", ("name",), ProjectView.of, scope=scope)


def person_among(conn: Connection, ref: str | int, orgs: Collection[int]) -> PersonView:
    """The person `ref` (id, handle, e-mail or name) with a role in one of `orgs`."""
    members = select(MEMBER.c.person_id).where(MEMBER.c.organisation_id.in_(orgs))
    scope = PERSON.c.id.in_(members)
    return find_view(conn, PERSON, ref, "person", ("handle", "email", "name"), PersonView.of, scope=scope)


def project_names(conn: Connection, org_id: int, *, limit: int) -> list[tuple[int, str]]:
    """The ids and names of the organisation's projects, by name (at most `limit`)."""
    query = (
        select(PROJECT.c.id, PROJECT.c.name)
        .where(PROJECT.c.organisation_id == org_id)
        .order_by(PROJECT.c.name)
        .limit(limit)
    )
    return [(int(i), str(n)) for i, n in conn.execute(query)]


def document_of(conn: Connection, doc_id: int) -> OrgDocument | None:
    """The document `doc_id` with its case's ``organisation_id``; None when there is none."""
    row = (
        conn.execute(
            select(DOC, CASE.c.organisation_id)
            .join(CASE, CASE.c.id == DOC.c.case_id)
            .where(DOC.c.id == doc_id)
        )
        .mappings()
        .first()
    )
    return None if row is None else OrgDocument.of(row)
