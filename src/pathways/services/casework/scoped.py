"""The case a use case works on, found among the caller's organisations, and who records the work.

A case of an organisation the caller has no role in gets the very answer an unknown
reference gets (same message, same hint): references cannot be probed. One the caller may
read but not change is Forbidden. ``by=None`` is the operator at the command line, who sees
every organisation; the person the work is recorded for must then be a staff member of the
case's organisation.
"""

from __future__ import annotations

from typing import Final

from sqlalchemy import Connection, select

from pathways.errors import Forbidden, NotFound
from pathways.services.casework import lookup
from pathways.services.casework.views import CaseView
from pathways.services.people import directory
from pathways.services.people.accounts import Permission, Principal
from pathways.store.core import MEMBER, PERSON

__all__ = ["CASE_STAFF", "absent", "case_for", "recorder", "staff_of"]

CASE_STAFF: Final = frozenset({"officer", "manager"})  # who may be in charge of a case
HINT: Final = "case references look like DIAG-2026-0001; only cases of your organisations can be found"


def absent(ref: object) -> NotFound:
    """The one answer for a case that does not exist or is not the caller's."""
    shown = str(ref).strip()
    return NotFound(f"no case '{shown}'", hint=HINT, code="case_not_found_here", params={"ref": shown})


def case_for(conn: Connection, by: Principal | None, ref: str | int, *, change: bool) -> CaseView:
    """The case `ref` if `by` may read it (and change it, with `change`); :func:`absent` otherwise."""
    try:
        row = lookup.find_case(conn, ref)
    except NotFound:
        raise absent(ref) from None
    org_id = row.organisation_id
    if by is not None:
        if not by.can(Permission.READ, org_id):
            raise absent(ref)
        if change and not by.can(Permission.WRITE, org_id):
            raise Forbidden(
                f"your role does not allow changing case {row.ref} ({Permission.WRITE.value})",
                code="case_change_forbidden",
                params={"ref": row.ref},
            )
    return row


def staff_of(conn: Connection, org_id: int) -> set[int]:
    """Ids of the people who may be in charge of a case of `org_id` (officers, managers; not erased)."""
    member = MEMBER.c
    query = (
        select(member.person_id)
        .join(PERSON, PERSON.c.id == member.person_id)
        .where(
            member.organisation_id == org_id,
            member.role.in_(sorted(CASE_STAFF)),
            PERSON.c.erased_at.is_(None),
        )
    )
    return set(conn.scalars(query))


def recorder(conn: Connection, by: Principal | None, person: str | int | None, *, org_id: int) -> int | None:
    """Who the work is recorded for: the caller, or (operator only) `person`, a staff member of `org_id`."""
    if by is not None:
        return by.person_id
    if person is None:
        return None
    found = directory.find_person(conn, person, org_id=org_id)
    if found.id not in staff_of(conn, org_id):
        raise NotFound(
            f"no officer or manager '{str(person).strip()}' in the case's organisation",
            hint="work on a case is recorded for one of its organisation's officers or managers",
            code="officer_not_found_here",
            params={"person": str(person).strip()},
        )
    return int(found.id)
