"""The API of a cooperation case: its member projects, and sharing it with a partner organisation.

The same use cases as the case page and the CLI (``services.casework.cooperation``, ``.sharing``):
the case's organisation's staff add and remove its projects and (managers) offer or withdraw a
share; a partner organisation's manager accepts or withdraws it; once both consents stand, the
partner's officers and managers read the members and shares and add or remove their own
organisation's projects. Anyone else gets the 404 of an unknown case.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from fastapi import APIRouter, status
from pydantic import BaseModel, ConfigDict

from pathways.services.collaboration import cooperation, sharing
from pathways.web.api.routes import ERRORS, CaseRef
from pathways.web.deps import ApiUser, AppDep
from pathways.web.inputs import Ref

__all__ = ["router"]

router = APIRouter(prefix="/api/v1", responses=ERRORS, tags=["cooperation"])


class MemberBody(BaseModel):
    """The project to add (id or name) and its role."""

    model_config = ConfigDict(extra="forbid")

    project: Ref
    role: Literal["lead", "member"] = "member"


class ProjectBody(BaseModel):
    """The member project to take out of the case (id or name)."""

    model_config = ConfigDict(extra="forbid")

    project: Ref


class ShareBody(BaseModel):
    """The partner organisation (id, slug or name)."""

    model_config = ConfigDict(extra="forbid")

    partner: Ref


class AcceptBody(BaseModel):
    """Which of your organisations consents, when the case is offered to several of them."""

    model_config = ConfigDict(extra="forbid")

    org: Ref | None = None


class WithdrawBody(BaseModel):
    """Which share to withdraw, when the case's organisation has several."""

    model_config = ConfigDict(extra="forbid")

    partner: Ref | None = None


class MemberPublic(BaseModel):
    """A project's part in the case: names and roles, never a contact."""

    id: int | None
    case: str
    project_id: int
    project: str
    organisation: str
    role: str
    carrier: bool
    active: bool
    added_at: datetime
    added_by: str | None
    removed_at: datetime | None
    removed_by: str | None


class SharePublic(BaseModel):
    """A share and where both consents stand."""

    id: int
    case: str
    organisation: str
    partner_id: int
    partner: str
    status: str
    owner_consent_by: str | None
    owner_consent_at: datetime
    partner_consent_by: str | None
    partner_consent_at: datetime | None
    withdrawn_by: str | None
    withdrawn_at: datetime | None


def _member(m: cooperation.Member) -> MemberPublic:
    return MemberPublic(
        id=m.id,
        case=m.ref,
        project_id=m.project_id,
        project=m.project,
        organisation=m.organisation,
        role=m.role,
        carrier=m.carrier,
        active=m.active,
        added_at=m.added_at,
        added_by=m.added_by,
        removed_at=m.removed_at,
        removed_by=m.removed_by,
    )


def _share(s: sharing.Share) -> SharePublic:
    return SharePublic(
        id=s.id,
        case=s.ref,
        organisation=s.owner,
        partner_id=s.partner_id,
        partner=s.partner,
        status=s.status,
        owner_consent_by=s.owner_consent_by,
        owner_consent_at=s.owner_consent_at,
        partner_consent_by=s.partner_consent_by,
        partner_consent_at=s.partner_consent_at,
        withdrawn_by=s.withdrawn_by,
        withdrawn_at=s.withdrawn_at,
    )


@router.get("/cases/{ref}/members")
def list_members(app: AppDep, user: ApiUser, ref: CaseRef) -> list[MemberPublic]:
    """The case's own project first, then every member's stay (removed ones included)."""
    with app.store.read() as conn:
        case, _partner = sharing.readable_case(conn, user, ref)
        return [_member(m) for m in cooperation.members_of(conn, case)]


@router.post("/cases/{ref}/members", status_code=status.HTTP_201_CREATED)
def add_member(app: AppDep, user: ApiUser, ref: CaseRef, body: MemberBody) -> MemberPublic:
    """Add a project to the case with a role (a partner: one of its own organisation's projects)."""
    return _member(cooperation.add_member(app, cooperation.AddMember(ref, body.project, body.role), by=user))


@router.post("/cases/{ref}/members/remove")
def remove_member(app: AppDep, user: ApiUser, ref: CaseRef, body: ProjectBody) -> MemberPublic:
    """Take a project out of the case; its stay is kept."""
    return _member(cooperation.remove_member(app, cooperation.RemoveMember(ref, body.project), by=user))


@router.get("/cases/{ref}/shares")
def list_shares(app: AppDep, user: ApiUser, ref: CaseRef) -> list[SharePublic]:
    """Every share of the case and where both consents stand (withdrawn ones included)."""
    with app.store.read() as conn:
        case, _partner = sharing.readable_case(conn, user, ref)
        return [_share(s) for s in sharing.shares_of(conn, case.id)]


@router.post("/cases/{ref}/shares", status_code=status.HTTP_201_CREATED)
def offer_share(app: AppDep, user: ApiUser, ref: CaseRef, body: ShareBody) -> SharePublic:
    """The case's organisation consents to share the case with a partner (a manager's word)."""
    return _share(sharing.offer_share(app, sharing.OfferShare(ref, body.partner), by=user))


@router.post("/cases/{ref}/shares/accept")
def accept_share(app: AppDep, user: ApiUser, ref: CaseRef, body: AcceptBody | None = None) -> SharePublic:
    """The partner organisation consents (a manager's word): its staff then read the case."""
    org = body.org if body is not None else None
    return _share(sharing.accept_share(app, sharing.AcceptShare(ref, org), by=user))


@router.post("/cases/{ref}/shares/withdraw")
def withdraw_share(app: AppDep, user: ApiUser, ref: CaseRef, body: WithdrawBody | None = None) -> SharePublic:
    """Either organisation withdraws the share; the partner's member projects leave with it."""
    partner = body.partner if body is not None else None
    return _share(sharing.withdraw_share(app, sharing.WithdrawShare(ref, partner), by=user))


@router.get("/cooperation")
def offers(app: AppDep, user: ApiUser) -> list[SharePublic]:
    """The cases offered to or shared with your organisations (not withdrawn)."""
    staff = frozenset(o for o, held in user.roles.items() if held & (sharing.CONSENTING | {"officer"}))
    with app.store.read() as conn:
        return [_share(s) for s in sharing.offers_for(conn, staff)]
