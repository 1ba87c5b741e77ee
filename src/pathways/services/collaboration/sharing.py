"""A case shared with a partner organisation, on the consent of both ("Safe to share").

The case's organisation offers it (its consent: who, when); a manager of the partner accepts it
(the partner's consent: who, when); either side withdraws it. Only while both consents stand and
the share is not withdrawn do the partner's officers and managers read the case (its stage,
history of decisions, member projects and shares: names and roles, never contacts, notes, files
or recorded values) and add or remove their own organisation's projects as members. They record
no decision and no note. Before that, and after a withdrawal, the case is "not found" for them
exactly as an unknown reference is.

Consent is an organisation's word: a manager (or an administrator) records it. The operator at
the command line (``by=None``) records it for a manager named with ``person``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

from sqlalchemy import Connection, select, update

from pathways.errors import FieldError, Forbidden, NotFound, Refused
from pathways.services.casework import lookup, scoped
from pathways.services.casework.views import CaseView
from pathways.services.collaboration.shares import Share, offers_for, one_share, shares_of
from pathways.services.people import directory
from pathways.services.people.accounts import Permission, Principal
from pathways.services.tx import Tx, write
from pathways.store.core import CASE
from pathways.store.core import CASE_MEMBER as MEMBER
from pathways.store.core import CASE_SHARE as SHARE

if TYPE_CHECKING:
    from pathways.bootstrap import App

__all__ = [
    "AcceptShare",
    "OfferShare",
    "Share",
    "WithdrawShare",
    "accept_share",
    "lock_case",
    "offer_share",
    "offers_for",
    "partner_orgs",
    "readable_case",
    "shared_with_user",
    "shares_of",
    "withdraw_share",
]

CONSENTING: Final = frozenset({"manager", "admin"})  # who records an organisation's consent


@dataclass(frozen=True, slots=True)
class OfferShare:
    """The case's organisation consents to share `case` with `partner` (id, slug or name)."""

    case: str | int
    partner: str | int
    person: str | int | None = None  # the operator only: the manager it is recorded for


@dataclass(frozen=True, slots=True)
class AcceptShare:
    """The partner organisation consents; `org`: which of the caller's, when several were offered it."""

    case: str | int
    org: str | int | None = None
    person: str | int | None = None


@dataclass(frozen=True, slots=True)
class WithdrawShare:
    """Either side withdraws; `partner`: which share, when the case's organisation has several."""

    case: str | int
    partner: str | int | None = None
    person: str | int | None = None


def _staff_orgs(by: Principal, roles: frozenset[str]) -> frozenset[int]:
    return frozenset(org for org, held in by.roles.items() if held & roles)


def partner_orgs(conn: Connection, case_id: int) -> frozenset[int]:
    """The organisations the case is shared with now: both consents recorded, not withdrawn."""
    query = select(SHARE.c.partner_id).where(
        SHARE.c.case_id == case_id, SHARE.c.partner_consent_at.is_not(None), SHARE.c.withdrawn_at.is_(None)
    )
    return frozenset(conn.scalars(query))


def readable_case(conn: Connection, by: Principal | None, ref: str | int) -> tuple[CaseView, bool]:
    """The case `ref` and whether `by` reads it as a partner; :func:`scoped.absent` if it may not read it.

    Its own organisation's readers read it as always; a partner's officers and managers only
    while the share stands; anyone else gets the answer an unknown reference gets.
    """
    try:
        row = lookup.find_case(conn, ref)
    except NotFound:
        raise scoped.absent(ref) from None
    if by is None or by.can(Permission.READ, row.organisation_id):
        return row, False
    if partner_orgs(conn, row.id) & _staff_orgs(by, scoped.CASE_STAFF):
        return row, True
    raise scoped.absent(ref)


def shared_with_user(conn: Connection, by: Principal, ref: str | int) -> bool:
    """Whether `by` reads case `ref` as a partner now (False for an unknown or unshared case)."""
    try:
        return readable_case(conn, by, ref)[1]
    except NotFound:
        return False


def lock_case(conn: Connection, case_id: int) -> None:
    """Hold the case's row until the transaction ends: two changes of its members or shares made
    at once (two offers to the same partner, the same project added twice) run one after the other."""
    conn.execute(select(CASE.c.id).where(CASE.c.id == case_id).with_for_update())


def _consenter(conn: Connection, by: Principal | None, person: str | int | None, org_id: int) -> int:
    """Who records the consent of `org_id`: the caller (a manager there) or, for the operator, `person`."""
    if by is not None:
        if org_id not in _staff_orgs(by, CONSENTING):
            raise Forbidden(
                "only a manager of the organisation records its consent to share a case",
                hint="ask a manager of your organisation",
                code="share_consent_forbidden",
            )
        return by.person_id
    if person is None:
        raise FieldError("by", "name the manager who records the organisation's consent", code="coop.by")
    try:
        found = directory.find_person(conn, person, org_id=org_id)
    except NotFound:
        found = None
    held = {r for o, r in directory.roles_of(conn, found.id) if o == org_id} if found else set()
    if found is None or not held & CONSENTING:
        raise FieldError(
            "by",
            f"no manager '{str(person).strip()}' in the organisation whose consent this is",
            code="coop.by",
        )
    return int(found.id)


def _open(case: CaseView) -> None:
    if case.status != "open":
        raise Refused(
            f"case {case.ref} is closed: its sharing can no longer change",
            hint="open cases only",
            code="case_closed_sharing",
            params={"ref": case.ref},
        )


def offer_share(app: App, command: OfferShare, *, by: Principal | None) -> Share:
    """Record the case's organisation's consent to share the case with a partner organisation."""
    with write(app, actor_id=by.person_id if by is not None else None) as tx:
        case = scoped.case_for(tx.conn, by, command.case, change=True)
        lock_case(tx.conn, case.id)
        _open(case)
        text = str(command.partner).strip()
        try:
            partner = directory.find_org(tx.conn, text) if text else None
        except NotFound:
            partner = None
        if partner is None:
            raise FieldError(
                "partner", f"no organisation '{text}'", code="coop.no_partner", params={"org": text}
            )
        if partner.id == case.organisation_id:
            raise FieldError(
                "partner", "a case is not shared with its own organisation", code="coop.same_org"
            )
        if _standing(tx.conn, case.id, partner.id) is not None:
            raise FieldError(
                "partner",
                f"case {case.ref} is already offered to or shared with {partner.name}",
                code="coop.already_shared",
            )
        who = _consenter(tx.conn, by, command.person, case.organisation_id)
        share_id = tx.insert(
            SHARE, case_id=case.id, partner_id=partner.id, owner_consent_by=who, owner_consent_at=tx.at
        )
        _audit(tx, case, "case_share_offered", share_id, partner.id, who, chain=case.organisation_id)
        return one_share(tx.conn, share_id)


def _standing(conn: Connection, case_id: int, partner_id: int) -> dict[str, Any] | None:
    """The share of `case_id` with `partner_id` not withdrawn, if any."""
    row = (
        conn.execute(
            select(SHARE).where(
                SHARE.c.case_id == case_id, SHARE.c.partner_id == partner_id, SHARE.c.withdrawn_at.is_(None)
            )
        )
        .mappings()
        .first()
    )
    return dict(row) if row is not None else None


def _for_partner(conn: Connection, by: Principal | None, command: AcceptShare) -> tuple[CaseView, int]:
    """The case and the share offered to one of the caller's organisations; absent otherwise."""
    try:
        case = lookup.find_case(conn, command.case)
    except NotFound:
        raise scoped.absent(command.case) from None
    offered = {
        r["partner_id"]: r["id"]
        for r in conn.execute(
            select(SHARE.c.id, SHARE.c.partner_id).where(
                SHARE.c.case_id == case.id, SHARE.c.withdrawn_at.is_(None)
            )
        ).mappings()
    }
    mine = set(offered) if by is None else set(offered) & _staff_orgs(by, scoped.CASE_STAFF | CONSENTING)
    if command.org is not None:
        try:
            wanted = int(directory.find_org(conn, command.org).id)
        except NotFound:
            wanted = -1
        mine &= {wanted}
    if not mine:
        raise scoped.absent(command.case)
    if len(mine) > 1:
        raise FieldError(
            "org", "the case is offered to several organisations: name yours", code="coop.which_org"
        )
    partner_id = mine.pop()
    return case, partner_id


def accept_share(app: App, command: AcceptShare, *, by: Principal | None) -> Share:
    """Record the partner organisation's consent: from then on its staff read the case."""
    with write(app, actor_id=by.person_id if by is not None else None) as tx:
        case, partner_id = _for_partner(tx.conn, by, command)
        lock_case(tx.conn, case.id)
        _open(case)
        share = _standing(tx.conn, case.id, partner_id)
        assert share is not None
        if share["partner_consent_at"] is not None:
            raise Refused(
                f"your organisation already consented to share case {case.ref}",
                code="share_consented",
                params={"ref": case.ref},
            )
        who = _consenter(tx.conn, by, command.person, partner_id)
        tx.conn.execute(
            update(SHARE)
            .where(SHARE.c.id == share["id"])
            .values(partner_consent_by=who, partner_consent_at=tx.at)
        )
        _audit(tx, case, "case_share_accepted", share["id"], partner_id, who, chain=case.organisation_id)
        _audit(tx, case, "case_share_accepted", share["id"], partner_id, who, chain=partner_id)
        return one_share(tx.conn, share["id"])


def withdraw_share(app: App, command: WithdrawShare, *, by: Principal | None) -> Share:
    """Withdraw a share, from either side; the partner's member projects leave the case with it."""
    with write(app, actor_id=by.person_id if by is not None else None) as tx:
        conn = tx.conn
        try:
            case = lookup.find_case(conn, command.case)
        except NotFound:
            raise scoped.absent(command.case) from None
        lock_case(conn, case.id)
        owner = by is None or by.can(Permission.READ, case.organisation_id)
        if owner:
            standing = [
                dict(r)
                for r in conn.execute(
                    select(SHARE).where(SHARE.c.case_id == case.id, SHARE.c.withdrawn_at.is_(None))
                ).mappings()
            ]
            if command.partner is not None:
                text = str(command.partner).strip()
                try:
                    partner_id = int(directory.find_org(conn, text).id)
                except NotFound:
                    partner_id = -1
                standing = [s for s in standing if s["partner_id"] == partner_id]
            if not standing:
                raise FieldError(
                    "partner", "the case is not offered to or shared with it", code="coop.no_share"
                )
            if len(standing) > 1:
                raise FieldError(
                    "partner", "the case is shared with several: name one", code="coop.which_org"
                )
            share = standing[0]
            consenting_org = case.organisation_id
        else:
            case, partner_id = _for_partner(conn, by, AcceptShare(command.case, command.partner))
            found = _standing(conn, case.id, partner_id)
            assert found is not None
            share, consenting_org = found, partner_id
        try:
            who = _consenter(conn, by, command.person, consenting_org)
        except FieldError:
            if by is not None:
                raise
            # The operator records either side's withdrawal: the partner's, for one of its managers.
            who = _consenter(conn, by, command.person, share["partner_id"])
        conn.execute(
            update(SHARE).where(SHARE.c.id == share["id"]).values(withdrawn_by=who, withdrawn_at=tx.at)
        )
        conn.execute(
            update(MEMBER)
            .where(
                MEMBER.c.case_id == case.id,
                MEMBER.c.organisation_id == share["partner_id"],
                MEMBER.c.removed_at.is_(None),
            )
            .values(removed_at=tx.at, removed_by=who)
        )
        for chain in {case.organisation_id, share["partner_id"]}:
            _audit(tx, case, "case_share_withdrawn", share["id"], share["partner_id"], who, chain=chain)
        return one_share(conn, share["id"])


def _audit(tx: Tx, case: CaseView, kind: str, share: int, partner: int, who: int, *, chain: int) -> None:
    # The partner's own chain names no case id of another organisation's (its audit log's case
    # filter reads its own cases): the reference is in the payload.
    tx.audit(
        organisation_id=chain,
        case_id=case.id if chain == case.organisation_id else None,
        kind=kind,
        payload={"share": share, "partner": partner, "person": who, "ref": case.ref},
    )
