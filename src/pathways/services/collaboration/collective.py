"""Collective missions and transfers: one action linking several cases of one organisation.

A consulting mission run for several structures, or one resource person's transfer to several
beneficiaries, is a *collective*: each structure keeps its own case (its stages, deadlines and
decisions), and the collective links them, so that each case's page names the others.

Every case of a collective belongs to the collective's organisation: a case of another
organisation is refused as if it did not exist ("not found" and "not yours" look the same), as is
a collective of another organisation. A case taken out is *left* (``left_at``), never deleted, so
the history keeps who took part and when; it may join again. Each change is one transaction with
an audit event per case linked or unlinked (``collective_linked``, ``collective_unlinked``).

A caller (``by``) changes the collectives of the organisations where its role allows writing;
the operator at the command line (``by=None``) changes any, recorded for a member it names.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import TYPE_CHECKING, Final

from sqlalchemy import Connection, Table, insert, select, update

from pathways.errors import FieldError, NotFound, Refused
from pathways.services.casework.lookup import case_key
from pathways.services.people import directory
from pathways.services.people.accounts import Permission, Principal
from pathways.services.people.permits import require
from pathways.services.tx import Tx, write
from pathways.store.collective import Collective, CollectiveMember
from pathways.store.core import CASE, PROJECT, core

if TYPE_CHECKING:
    from pathways.bootstrap import App

__all__ = [
    "KINDS",
    "MAX_LABEL",
    "CollectiveView",
    "CreateCollective",
    "LinkCase",
    "Linked",
    "UnlinkCase",
    "add_case",
    "collectives_of_case",
    "create",
    "find",
    "of_organisation",
    "remove_case",
]

COLLECTIVE: Final[Table] = core(Collective)
MEMBER: Final[Table] = core(CollectiveMember)
KINDS: Final = ("collective_mission", "collective_transfer")
MAX_LABEL: Final = 200
MAX_CASES: Final = 50  # cases given at once to `create`


@dataclass(frozen=True, slots=True)
class Linked:
    """A case linked in a collective: its project's name says which structure it is."""

    case_id: int
    ref: str
    project: str
    pathway_id: str
    status: str
    joined_at: datetime


@dataclass(frozen=True, slots=True)
class CollectiveView:
    """A collective and the cases linked in it now (those taken out are in the history)."""

    id: int
    organisation_id: int
    kind: str
    label: str
    created_at: datetime
    cases: tuple[Linked, ...]


def _not_found(ref: object) -> NotFound:
    return NotFound(
        f"no collective '{ref}'",
        hint="`pathways collective list ORG` lists them",
        code="collective_not_found",
        params={"ref": ref},
    )


def _case_in(conn: Connection, ref: str | int, org_id: int) -> tuple[int, str]:
    """(id, ref) of a case of the organisation; any other, like a wrong reference, is not found."""
    text, params = case_key(ref)
    column = CASE.c.id if "b_id" in params else CASE.c.ref
    found = conn.execute(
        select(CASE.c.id, CASE.c.ref).where(
            column == next(iter(params.values())), CASE.c.organisation_id == org_id
        )
    ).first()
    if found is None:
        raise NotFound(
            f"no case '{text}'",
            hint="case references look like DIAG-2026-0001; see `pathways due`",
            code="case_not_found",
            params={"ref": text},
        )
    return int(found.id), str(found.ref)


def find(conn: Connection, collective_id: int, *, orgs: Collection[int] | None) -> CollectiveView:
    """A collective with its cases; one of an organisation outside `orgs` (None: any) is not found."""
    row = conn.execute(select(COLLECTIVE).where(COLLECTIVE.c.id == collective_id)).mappings().first()
    if row is None or (orgs is not None and row["organisation_id"] not in orgs):
        raise _not_found(collective_id)
    linked = conn.execute(
        select(CASE.c.id, CASE.c.ref, PROJECT.c.name, CASE.c.pathway_id, CASE.c.status, MEMBER.c.joined_at)
        .select_from(
            MEMBER.join(CASE, CASE.c.id == MEMBER.c.case_id).join(PROJECT, PROJECT.c.id == CASE.c.project_id)
        )
        .where(MEMBER.c.collective_id == collective_id, MEMBER.c.left_at.is_(None))
        .order_by(MEMBER.c.joined_at, MEMBER.c.id)
    ).all()
    return CollectiveView(
        id=row["id"],
        organisation_id=row["organisation_id"],
        kind=row["kind"],
        label=row["label"],
        created_at=row["created_at"],
        cases=tuple(Linked(r.id, r.ref, r.name, r.pathway_id, r.status, r.joined_at) for r in linked),
    )


def collectives_of_case(conn: Connection, case_id: int) -> tuple[CollectiveView, ...]:
    """The collectives a case is linked in now, each with all its cases (the case's page)."""
    ids = conn.scalars(
        select(MEMBER.c.collective_id)
        .where(MEMBER.c.case_id == case_id, MEMBER.c.left_at.is_(None))
        .order_by(MEMBER.c.collective_id)
    ).all()
    return tuple(find(conn, i, orgs=None) for i in ids)


def of_organisation(conn: Connection, org_id: int) -> tuple[CollectiveView, ...]:
    """The organisation's collectives, newest first."""
    ids = conn.scalars(
        select(COLLECTIVE.c.id).where(COLLECTIVE.c.organisation_id == org_id).order_by(COLLECTIVE.c.id.desc())
    ).all()
    return tuple(find(conn, i, orgs=(org_id,)) for i in ids)


@dataclass(frozen=True, slots=True)
class CreateCollective:
    """A new collective of organisation `organisation_id`, linking its first `cases`.

    `person`: the operator only (``by=None``), the member of the organisation it is recorded for.
    """

    organisation_id: int
    kind: str
    label: str
    cases: tuple[str | int, ...] = ()
    person: str | int | None = None


@dataclass(frozen=True, slots=True)
class LinkCase:
    """Link `case` to collective `collective_id` (`person`: as for :class:`CreateCollective`)."""

    collective_id: int
    case: str | int
    person: str | int | None = None


@dataclass(frozen=True, slots=True)
class UnlinkCase:
    """Take `case` out of collective `collective_id`: it leaves, the history keeps its stay."""

    collective_id: int
    case: str | int
    person: str | int | None = None


def _recorded_by(tx: Tx, by: Principal | None, person: str | int | None, org_id: int) -> Tx:
    """The transaction with its actor: the caller, or (operator only) `person` of the organisation."""
    if by is not None or person is None:
        return tx
    return replace(tx, actor_id=directory.find_person(tx.conn, person, org_id=org_id).id)


def _mine(tx: Tx, by: Principal | None, collective_id: int) -> CollectiveView:
    """The collective, when `by` may change it: one of an organisation it has no role in is not found."""
    shown = find(tx.conn, collective_id, orgs=by.orgs(Permission.READ) if by is not None else None)
    if by is not None:
        require(by, shown.organisation_id, Permission.WRITE, f"collective {collective_id}")
    return shown


def create(app: App, command: CreateCollective, *, by: Principal | None) -> CollectiveView:
    """A new collective of the organisation, with its first cases; FieldError naming `kind`, `label`."""
    org_id = command.organisation_id
    if by is not None:
        require(by, org_id, Permission.WRITE, f"organisation {org_id}")
    with write(app, actor_id=by.person_id if by is not None else None) as opened:
        tx = _recorded_by(opened, by, command.person, org_id)
        return _create(tx, org_id, command.kind, command.label, command.cases)


def _create(
    tx: Tx, organisation_id: int, kind: str, label: str, cases: Sequence[str | int]
) -> CollectiveView:
    """Create the collective in `tx`, each case checked before anything is written."""
    if kind not in KINDS:
        raise FieldError(
            "kind", f"'{kind}' is not a kind of collective", hint=f"choose one of: {', '.join(KINDS)}"
        )
    text = label.strip()
    if not text or len(text) > MAX_LABEL or "\x00" in text:
        raise FieldError(
            "label", f"give a label of 1 to {MAX_LABEL} characters", hint="e.g. 'Mission RH 2026'"
        )
    if len(cases) > MAX_CASES:
        raise FieldError(
            "cases", f"at most {MAX_CASES} cases at once", hint="add the others with `collective add`"
        )
    found = [_case_in(tx.conn, ref, organisation_id) for ref in cases]  # every one checked before writing
    new_id = tx.conn.execute(
        insert(COLLECTIVE)
        .values(
            organisation_id=organisation_id, kind=kind, label=text, created_by=tx.actor_id, created_at=tx.at
        )
        .returning(COLLECTIVE.c.id)
    ).scalar_one()
    tx.audit(
        organisation_id=organisation_id,
        kind="collective_created",
        payload={"collective": new_id, "kind": kind, "cases": [ref for _, ref in found]},
    )
    for case_id, ref in dict(found).items():
        _link(tx, organisation_id, new_id, case_id, ref)
    return find(tx.conn, new_id, orgs=(organisation_id,))


def _current(conn: Connection, collective_id: int, case_id: int) -> int | None:
    return conn.scalars(
        select(MEMBER.c.id).where(
            MEMBER.c.collective_id == collective_id, MEMBER.c.case_id == case_id, MEMBER.c.left_at.is_(None)
        )
    ).first()


def _link(tx: Tx, org_id: int, collective_id: int, case_id: int, ref: str) -> None:
    tx.conn.execute(insert(MEMBER).values(collective_id=collective_id, case_id=case_id, joined_at=tx.at))
    tx.audit(
        organisation_id=org_id,
        case_id=case_id,
        kind="collective_linked",
        payload={"collective": collective_id, "ref": ref},
    )


def add_case(app: App, command: LinkCase, *, by: Principal | None) -> CollectiveView:
    """Link a case of the collective's organisation; Refused if it is linked already."""
    collective_id = command.collective_id
    with write(app, actor_id=by.person_id if by is not None else None) as opened:
        shown = _mine(opened, by, collective_id)
        tx = _recorded_by(opened, by, command.person, shown.organisation_id)
        case_id, ref = _case_in(tx.conn, command.case, shown.organisation_id)
        if _current(tx.conn, collective_id, case_id) is not None:
            raise Refused(
                f"case {ref} is already in collective {collective_id}",
                hint="nothing to do",
                code="case_in_collective",
                params={"ref": ref, "collective": collective_id},
            )
        _link(tx, shown.organisation_id, collective_id, case_id, ref)
        return find(tx.conn, collective_id, orgs=(shown.organisation_id,))


def remove_case(app: App, command: UnlinkCase, *, by: Principal | None) -> CollectiveView:
    """Take a case out (it leaves; the history keeps its stay); Refused if it is not linked."""
    collective_id = command.collective_id
    with write(app, actor_id=by.person_id if by is not None else None) as opened:
        shown = _mine(opened, by, collective_id)
        tx = _recorded_by(opened, by, command.person, shown.organisation_id)
        case_id, ref = _case_in(tx.conn, command.case, shown.organisation_id)
        member = _current(tx.conn, collective_id, case_id)
        if member is None:
            raise Refused(
                f"case {ref} is not in collective {collective_id}",
                hint="`pathways collective show` lists them",
                code="case_not_in_collective",
                params={"ref": ref, "collective": collective_id},
            )
        tx.conn.execute(update(MEMBER).where(MEMBER.c.id == member).values(left_at=tx.at))
        tx.audit(
            organisation_id=shown.organisation_id,
            case_id=case_id,
            kind="collective_unlinked",
            payload={"collective": collective_id, "ref": ref},
        )
        return find(tx.conn, collective_id, orgs=(shown.organisation_id,))
