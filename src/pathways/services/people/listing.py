"""Every organisation, person (one line per role) or project, as the CLI's lists show them."""

from __future__ import annotations

from typing import Literal, overload

from sqlalchemy import Connection, select

from pathways.services.people.directory import find_org
from pathways.services.people.views import MemberView, OrgView, ProjectView
from pathways.store.core import MEMBER, ORG, PERSON, PROJECT


def org_names(conn: Connection) -> list[tuple[int, str]]:
    """Every organisation's id and name, by name."""
    return [(int(i), str(n)) for i, n in conn.execute(select(ORG.c.id, ORG.c.name).order_by(ORG.c.name))]


@overload
def list_rows(conn: Connection, what: Literal["org"], *, org: str | int | None = None) -> list[OrgView]: ...
@overload
def list_rows(
    conn: Connection, what: Literal["person"], *, org: str | int | None = None
) -> list[MemberView]: ...
@overload
def list_rows(
    conn: Connection, what: Literal["project"], *, org: str | int | None = None
) -> list[ProjectView]: ...
def list_rows(
    conn: Connection, what: str, *, org: str | int | None = None
) -> list[OrgView] | list[MemberView] | list[ProjectView]:
    """Organisations, people (one line per role) or projects, optionally of one organisation; by id."""
    if what == "org":
        return [OrgView.of(r) for r in conn.execute(select(ORG).order_by(ORG.c.id)).mappings()]
    org_id = find_org(conn, org).id if org is not None else None
    if what == "person":
        query = select(PERSON, MEMBER.c.role, MEMBER.c.organisation_id).join(
            MEMBER, MEMBER.c.person_id == PERSON.c.id
        )
        if org_id is not None:
            query = query.where(MEMBER.c.organisation_id == org_id)
        return [MemberView.of(r) for r in conn.execute(query.order_by(PERSON.c.id)).mappings()]
    query = select(PROJECT)
    if org_id is not None:
        query = query.where(PROJECT.c.organisation_id == org_id)
    return [ProjectView.of(r) for r in conn.execute(query.order_by(PROJECT.c.id)).mappings()]
