"""The projects a case concerns: its own project, which carries it, and member projects with a role.

A cooperation between social enterprises is one case shared by several structures. Each member
project joins with a role (``lead`` or ``member``) and leaves with the day and the person each
time; nothing is deleted, so the case keeps its history, and a project may join again. Each
change is an audit event of the case's organisation (``case_member_added``, ``case_member_removed``).

Who adds and removes which project:

- an officer or manager of the case's organisation: its own projects, and removes any member;
- an officer or manager of a partner organisation the case is shared with on both consents
  (:mod:`pathways.services.collaboration.sharing`): that organisation's projects only;
- the operator at the command line (``by=None``): any project of those organisations, recorded
  for a staff member of the project's organisation (``person``).

Another organisation's project that is not shared is "not found", as an unknown one is. What a
member shows of another organisation is names and roles: no contact, no recorded value.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, Final

from sqlalchemy import Connection, select, update

from pathways.errors import FieldError, Forbidden, NotFound, Refused
from pathways.services.casework import scoped
from pathways.services.casework.queries import names_of
from pathways.services.casework.views import CaseView
from pathways.services.collaboration import sharing
from pathways.services.people import directory
from pathways.services.people.accounts import Permission, Principal
from pathways.services.tx import write
from pathways.store.core import CASE_MEMBER as MEMBER
from pathways.store.core import ORG, PROJECT

if TYPE_CHECKING:
    from pathways.bootstrap import App

__all__ = ["MEMBER_ROLES", "AddMember", "Member", "RemoveMember", "add_member", "members_of", "remove_member"]

MEMBER_ROLES: Final = ("lead", "member")


@dataclass(frozen=True, slots=True)
class AddMember:
    """Add `project` (id or name) to `case` with `role`; `person`: the operator's, who it is recorded for."""

    case: str | int
    project: str | int
    role: str = "member"
    person: str | int | None = None


@dataclass(frozen=True, slots=True)
class RemoveMember:
    """Take `project` out of `case` (its history stays)."""

    case: str | int
    project: str | int
    person: str | int | None = None


@dataclass(frozen=True, slots=True)
class Member:
    """One project's part in a case: the carrier (the case's own project) or one stay as a member."""

    id: int | None  # None for the case's own project
    case_id: int
    ref: str
    project_id: int
    project: str
    organisation_id: int
    organisation: str
    role: str
    added_at: datetime
    added_by: str | None
    removed_at: datetime | None
    removed_by: str | None

    @property
    def carrier(self) -> bool:
        return self.id is None

    @property
    def active(self) -> bool:
        return self.removed_at is None


def _writable(conn: Connection, by: Principal | None, case: CaseView) -> frozenset[int]:
    """The organisations whose projects `by` may add to or take out of `case`."""
    shared = sharing.partner_orgs(conn, case.id)
    if by is None:
        return shared | {case.organisation_id}
    writable = by.orgs(Permission.WRITE)
    staff = frozenset(o for o, held in by.roles.items() if held & scoped.CASE_STAFF)
    return (writable & {case.organisation_id}) | (shared & writable & staff)


def _case(conn: Connection, by: Principal | None, ref: str | int) -> tuple[CaseView, frozenset[int]]:
    case, _partner = sharing.readable_case(conn, by, ref)
    sharing.lock_case(conn, case.id)
    orgs = _writable(conn, by, case)
    if not orgs:
        raise Forbidden(
            f"your role does not allow changing case {case.ref} ({Permission.WRITE.value})",
            code="case_change_forbidden",
            params={"ref": case.ref},
        )
    if case.status != "open":
        raise Refused(
            f"case {case.ref} is closed: its members can no longer change",
            hint="open cases only",
            code="case_closed_members",
            params={"ref": case.ref},
        )
    return case, orgs


def _project(conn: Connection, ref: str | int, orgs: frozenset[int]) -> dict[str, Any]:
    text = str(ref).strip()
    try:
        if not text:
            raise NotFound("no project")
        return directory.find_row(
            conn, PROJECT, text, "project", ("name",), scope=PROJECT.c.organisation_id.in_(sorted(orgs))
        )
    except NotFound:
        raise FieldError(
            "project",
            f"no project '{text}' among those you may add",
            code="coop.no_project",
            params={"project": text[:80]},
            hint="a project of your organisation, or of a partner organisation the case is shared with",
        ) from None


def _active(conn: Connection, case_id: int, project_id: int) -> dict[str, Any] | None:
    row = (
        conn.execute(
            select(MEMBER).where(
                MEMBER.c.case_id == case_id, MEMBER.c.project_id == project_id, MEMBER.c.removed_at.is_(None)
            )
        )
        .mappings()
        .first()
    )
    return dict(row) if row is not None else None


def add_member(app: App, command: AddMember, *, by: Principal | None) -> Member:
    """Add a member project to a case, with a ``case_member_added`` event."""
    if command.role not in MEMBER_ROLES:
        raise FieldError(
            "role",
            f"{command.role!r} is not a member's role",
            code="coop.role",
            hint=f"use one of {', '.join(MEMBER_ROLES)}",
        )
    with write(app, actor_id=by.person_id if by is not None else None) as tx:
        case, orgs = _case(tx.conn, by, command.case)
        project = _project(tx.conn, command.project, orgs)
        if project["id"] == case.project_id:
            raise FieldError("project", "the case's own project carries it already", code="coop.carrier")
        if _active(tx.conn, case.id, project["id"]) is not None:
            raise FieldError(
                "project",
                f"{project['name']} is already a member",
                code="coop.already",
                params={"project": project["name"]},
            )
        who = scoped.recorder(tx.conn, by, command.person, org_id=project["organisation_id"])
        member_id = tx.insert(
            MEMBER,
            case_id=case.id,
            project_id=project["id"],
            organisation_id=project["organisation_id"],
            role=command.role,
            added_at=tx.at,
            added_by=who,
        )
        tx.audit(
            organisation_id=case.organisation_id,
            case_id=case.id,
            kind="case_member_added",
            payload={"member": member_id, "project": project["id"], "role": command.role, "by": who},
        )
        return next(m for m in members_of(tx.conn, case) if m.id == member_id)


def remove_member(app: App, command: RemoveMember, *, by: Principal | None) -> Member:
    """Take a member project out of a case (its row closed, not deleted): a ``case_member_removed`` event."""
    with write(app, actor_id=by.person_id if by is not None else None) as tx:
        case, orgs = _case(tx.conn, by, command.case)
        everyone = sharing.partner_orgs(tx.conn, case.id) | {case.organisation_id}
        # The case's organisation removes any member; a partner only its own projects.
        removable = everyone if case.organisation_id in orgs else orgs
        project = _project(tx.conn, command.project, removable)
        row = _active(tx.conn, case.id, project["id"])
        if row is None:
            raise FieldError(
                "project",
                f"{project['name']} is not a member",
                code="coop.not_member",
                params={"project": project["name"]},
            )
        who = scoped.recorder(tx.conn, by, command.person, org_id=project["organisation_id"])
        tx.conn.execute(
            update(MEMBER).where(MEMBER.c.id == row["id"]).values(removed_at=tx.at, removed_by=who)
        )
        tx.audit(
            organisation_id=case.organisation_id,
            case_id=case.id,
            kind="case_member_removed",
            payload={"member": row["id"], "project": project["id"], "role": row["role"], "by": who},
        )
        return next(m for m in members_of(tx.conn, case) if m.id == row["id"])


def members_of(conn: Connection, case: CaseView) -> list[Member]:
    """The case's own project first, then each member's stay, oldest first (removed ones included)."""
    rows = [
        dict(r)
        for r in conn.execute(
            select(MEMBER).where(MEMBER.c.case_id == case.id).order_by(MEMBER.c.added_at, MEMBER.c.id)
        ).mappings()
    ]
    projects = {r["project_id"] for r in rows} | {case.project_id}
    found = {
        r["id"]: (r["name"], r["organisation_id"])
        for r in conn.execute(
            select(PROJECT.c.id, PROJECT.c.name, PROJECT.c.organisation_id).where(PROJECT.c.id.in_(projects))
        ).mappings()
    }
    in_orgs = ORG.c.id.in_({o for _n, o in found.values()})
    orgs: dict[int, str] = {r[0]: r[1] for r in conn.execute(select(ORG.c.id, ORG.c.name).where(in_orgs))}
    people = names_of(conn, {r[k] for r in rows for k in ("added_by", "removed_by")})
    name, org = found[case.project_id]
    shown = [
        Member(
            None,
            case.id,
            case.ref,
            case.project_id,
            name,
            org,
            orgs[org],
            "lead",
            case.opened_at,
            None,
            None,
            None,
        )
    ]
    for r in rows:
        name, org = found[r["project_id"]]
        shown.append(
            Member(
                r["id"],
                case.id,
                case.ref,
                r["project_id"],
                name,
                org,
                orgs[org],
                r["role"],
                r["added_at"],
                people.get(r["added_by"]),
                r["removed_at"],
                people.get(r["removed_by"]),
            )
        )
    return shown
