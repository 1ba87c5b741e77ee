"""Reassign a case to another officer, recorded in the case's history and the audit chain.

Who may reassign what:

- a manager (or an administrator) of the case's organisation: any case of it, to any of its
  officers or managers;
- an officer: a case in their charge, or in nobody's, to a colleague (an officer or manager
  of the case's organisation); a colleague's case is a manager's to move;
- never to someone outside the case's organisation: such a person is not found, exactly as an
  unknown one (their existence elsewhere is not told);
- the operator at the command line (``by=None``): as a manager.

A reassignment changes the case, so it moves its version on (a form opened before it is
refused as stale, naming what changed): with `expected_version`, it is itself refused if
the case changed since that version. Future reminders to "the officer" go to the new one:
the sweep reads the case's officer when they fall due.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import Connection, update

from pathways.errors import FieldErrors, FieldProblem, Forbidden, NotFound, Refused
from pathways.services.casework import conflict, scoped
from pathways.services.casework.queries import names_of
from pathways.services.casework.views import CaseView
from pathways.services.people import directory
from pathways.services.people.accounts import Permission, Principal
from pathways.services.tx import write
from pathways.store.core import CASE

if TYPE_CHECKING:
    from pathways.bootstrap import App

__all__ = ["AssignCase", "Assigned", "Candidate", "assign_case", "candidates", "may_reassign"]


@dataclass(frozen=True, slots=True)
class AssignCase:
    """Put `officer` (id, handle, e-mail or name) in charge of `case`."""

    case: str | int
    officer: str | int
    expected_version: int | None = None


@dataclass(frozen=True, slots=True)
class Assigned:
    """Who is in charge now, who was before, and the case's new version."""

    case_id: int
    ref: str
    officer_id: int
    officer: str
    previous_id: int | None
    previous: str | None
    version: int


@dataclass(frozen=True, slots=True)
class Candidate:
    """Someone a case may be given to."""

    person_id: int
    name: str


def may_reassign(by: Principal | None, case: CaseView) -> bool:
    """Whether `by` may give `case` (a row) to someone else: see the module's rules."""
    org_id = case.organisation_id
    if by is None or by.can(Permission.MANAGE, org_id):
        return True
    return by.can(Permission.WRITE, org_id) and case.officer_id in (None, by.person_id)


def candidates(conn: Connection, by: Principal | None, case: CaseView) -> list[Candidate]:
    """Who `by` may give `case` to, by name (nobody if `by` may not reassign it)."""
    if case.status != "open" or not may_reassign(by, case):
        return []
    staff = scoped.staff_of(conn, case.organisation_id) - {case.officer_id}
    names = names_of(conn, staff)
    return sorted(
        (Candidate(i, names[i]) for i in staff if i in names), key=lambda c: (c.name.lower(), c.person_id)
    )


def _problem(code: str, message: str, **params: object) -> FieldErrors:
    return FieldErrors([FieldProblem("officer", code, message, None, {k: str(v) for k, v in params.items()})])


def assign_case(
    app: App, command: AssignCase, *, by: Principal | None, at: datetime | None = None
) -> Assigned:
    """Reassign a case in one transaction: the case row (new version) and a ``case_assigned`` event."""
    with write(app, actor_id=by.person_id if by is not None else None, at=at) as tx:
        case = scoped.case_for(tx.conn, by, command.case, change=True)
        ref = case.ref
        if command.expected_version is not None and case.version != command.expected_version:
            raise conflict.stale(tx.conn, case_id=case.id, ref=ref, expected=command.expected_version)
        if case.status != "open":
            raise Refused(
                f"case {ref} is closed: its officer can no longer change",
                hint="open cases only",
                code="case_closed_officer",
                params={"ref": ref},
            )
        if not may_reassign(by, case):
            raise Forbidden(
                f"case {ref} is in a colleague's charge: a manager of its organisation may reassign it",
                hint="ask a manager, or the officer in charge",
                code="case_reassign_forbidden",
                params={"ref": ref},
            )
        org_id = case.organisation_id
        text = str(command.officer).strip()
        try:
            person = directory.find_person(tx.conn, text, org_id=org_id) if text else None
        except (NotFound, Refused) as exc:
            raise _problem("work.error.no_officer", exc.message, who=text[:80]) from None
        if person is None:
            raise _problem("work.error.officer_required", "choose who takes the case")
        if person.id not in scoped.staff_of(tx.conn, org_id):
            raise _problem(
                "work.error.not_staff", f"{person.name} is no officer or manager here", who=person.name
            )
        if person.id == case.officer_id:
            raise _problem("work.error.same_officer", f"{person.name} is already in charge", who=person.name)
        version = case.version + 1
        moved = tx.conn.execute(
            update(CASE)
            .where(CASE.c.id == case.id, CASE.c.version == case.version)
            .values(officer_id=person.id, version=version)
        ).rowcount
        if moved != 1:  # changed since it was read in this transaction (PostgreSQL, READ COMMITTED)
            raise conflict.stale(tx.conn, case_id=case.id, ref=ref, expected=case.version)
        previous = case.officer_id
        tx.audit(
            organisation_id=org_id,
            case_id=case.id,
            kind="case_assigned",
            # "officer": the key the audit log names people by (services.audit.journal.PERSON_KEYS).
            payload={"officer": person.id, "previous": previous, "version": version},
        )
        before = names_of(tx.conn, {previous}).get(previous) if previous is not None else None
        return Assigned(case.id, ref, person.id, person.name, previous, before, version)
