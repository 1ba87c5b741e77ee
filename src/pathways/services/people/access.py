"""Changes to a staff account's access that end its web sessions: a role change, a disabled account.

Roles are read from the memberships on every request, so a change holds from the next page
on; ending the account's sessions as well makes the person log in again under the new rights,
and stops a copied cookie of a disabled account at once. A password reset ends them too
(:func:`pathways.services.people.accounts.add_user`).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import delete, select, update

from pathways.errors import FieldError, NotFound
from pathways.services.people import directory, websessions
from pathways.services.tx import Tx
from pathways.store.core import ACCOUNT, MEMBER


@dataclass(frozen=True, slots=True)
class AccessChanged:
    """What changed for a person, and how many of their sessions ended."""

    person_id: int
    handle: str
    sessions_ended: int
    roles: tuple[str, ...] = ()  # a role change: the person's roles in that organisation now


def _account_of(tx: Tx, person_id: int) -> int | None:
    return tx.conn.execute(select(ACCOUNT.c.id).where(ACCOUNT.c.person_id == person_id)).scalar()


def disable_user(tx: Tx, *, person: str | int) -> AccessChanged:
    """Stop a person's account from logging in and end its sessions; `pathways user add` enables it again."""
    who = directory.find_person(tx.conn, person)
    account_id = _account_of(tx, who.id)
    if account_id is None:
        raise NotFound(
            f"person '{who.handle}' has no account",
            hint="nothing to disable",
            code="no_account",
            params={"ref": who.handle},
        )
    tx.conn.execute(update(ACCOUNT).where(ACCOUNT.c.id == account_id).values(active=False))
    ended = websessions.end_sessions(tx, account_id, why="disabled")
    orgs = sorted({org for org, _role in directory.roles_of(tx.conn, who.id)})
    if orgs:  # the audit chain is per organisation: the first one the person is in
        tx.audit(
            organisation_id=orgs[0],
            kind="account_disabled",
            payload={"person": who.id, "account": account_id, "sessions_ended": ended},
        )
    return AccessChanged(who.id, who.handle, ended)


def change_role(tx: Tx, *, person: str | int, org: str | int, role: str) -> AccessChanged:
    """Make `role` the person's only role in the organisation; their sessions end."""
    if role not in directory.ROLES:
        raise FieldError("role", f"{role!r} is not a role", hint=f"use one of {', '.join(directory.ROLES)}")
    organisation = directory.find_org(tx.conn, org)
    org_id = int(organisation.id)
    who = directory.find_person(tx.conn, person, org_id=org_id)
    before = sorted(r for o, r in directory.roles_of(tx.conn, who.id) if o == org_id)
    member = MEMBER.c
    tx.conn.execute(
        delete(MEMBER).where(
            member.person_id == who.id, member.organisation_id == org_id, member.role != role
        )
    )
    if role not in before:
        tx.insert(MEMBER, person_id=who.id, organisation_id=org_id, role=role)
    account_id = _account_of(tx, who.id)
    ended = websessions.end_sessions(tx, account_id, why="role") if account_id is not None else 0
    tx.audit(
        organisation_id=org_id,
        kind="person_role_changed",
        payload={"person": who.id, "from": before, "to": role, "sessions_ended": ended},
    )
    return AccessChanged(who.id, who.handle, ended, (role,))
