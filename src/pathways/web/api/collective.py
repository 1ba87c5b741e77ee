"""REST API: collective missions and transfers, the cases of one organisation they link.

``GET/POST /api/v1/orgs/{org}/collectives`` lists and creates; ``GET /api/v1/collectives/{id}``
shows one; ``POST /api/v1/collectives/{id}/cases`` links a case and ``DELETE
/api/v1/collectives/{id}/cases/{ref}`` takes one out (it leaves; the history keeps its stay).
A collective or a case of another organisation is not found (404), as one that does not exist;
a case already linked, or not linked, is refused (409).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Path
from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from pathways.services.collaboration import collective
from pathways.services.people.accounts import Permission
from pathways.web.api.routes import ERRORS, CaseRef
from pathways.web.deps import Caller
from pathways.web.inputs import Name, Ref
from pathways.web.scope import Scope

router = APIRouter(prefix="/api/v1", responses=ERRORS)
Kind = Literal["collective_mission", "collective_transfer"]
CollectiveId = Annotated[int, Path(ge=1, le=2**31 - 1)]
CaseKey = Annotated[
    str,
    StringConstraints(pattern=r"^([0-9]{1,9}|[A-Za-z]{2,6}-[0-9]{4}-[0-9]{1,6})$"),
    Field(description="case reference (DIAG-2026-0001) or id"),
]


class CollectiveCreate(BaseModel):
    """A collective action of the organisation and its first cases."""

    model_config = ConfigDict(extra="forbid")

    kind: Kind
    label: Name = Field(description="what it is, e.g. 'Mission RH collective 2026'")
    cases: list[CaseKey] = Field(default_factory=list, max_length=collective.MAX_CASES)


class CaseLink(BaseModel):
    """A case of the collective's organisation to link."""

    model_config = ConfigDict(extra="forbid")

    case: CaseKey


class LinkedCase(BaseModel):
    """A case linked in the collective: its project names the structure."""

    ref: str
    project: str
    pathway: str
    status: str
    joined_at: datetime


class CollectivePublic(BaseModel):
    """A collective and the cases linked in it now."""

    id: int
    kind: str
    label: str
    created_at: datetime
    cases: list[LinkedCase]


def _public(shown: collective.CollectiveView) -> CollectivePublic:
    return CollectivePublic(
        id=shown.id,
        kind=shown.kind,
        label=shown.label,
        created_at=shown.created_at,
        cases=[
            LinkedCase(
                ref=c.ref, project=c.project, pathway=c.pathway_id, status=c.status, joined_at=c.joined_at
            )
            for c in shown.cases
        ],
    )


@router.get("/orgs/{org}/collectives", tags=["cases"])
def list_collectives(caller: Caller, org: Annotated[Ref, Path()]) -> list[CollectivePublic]:
    """The collectives of one of your organisations, newest first."""
    with caller.read() as (user, conn):
        found = Scope(user, conn).org(org)
        return [_public(c) for c in collective.of_organisation(conn, found.id)]


@router.post("/orgs/{org}/collectives", tags=["cases"], status_code=201)
def create_collective(
    caller: Caller, org: Annotated[Ref, Path()], body: CollectiveCreate
) -> CollectivePublic:
    """Create a collective mission or transfer linking cases of the organisation."""
    with caller.read() as (user, conn):
        found = Scope(user, conn).org(org, Permission.WRITE)
    command = collective.CreateCollective(found.id, body.kind, body.label, tuple(body.cases))
    return _public(collective.create(caller.app, command, by=user))


@router.get("/collectives/{collective_id}", tags=["cases"])
def show_collective(caller: Caller, collective_id: CollectiveId) -> CollectivePublic:
    """A collective and its cases."""
    with caller.read() as (user, conn):
        shown = collective.find(conn, collective_id, orgs=user.orgs(Permission.READ))
        Scope(user, conn).check(shown.organisation_id, Permission.READ, f"collective {collective_id}")
        return _public(shown)


@router.post("/collectives/{collective_id}/cases", tags=["cases"])
def link_case(caller: Caller, collective_id: CollectiveId, body: CaseLink) -> CollectivePublic:
    """Link a case of the collective's organisation."""
    command = collective.LinkCase(collective_id, body.case)
    return _public(collective.add_case(caller.app, command, by=caller.account()))


@router.delete("/collectives/{collective_id}/cases/{ref}", tags=["cases"])
def unlink_case(caller: Caller, collective_id: CollectiveId, ref: CaseRef) -> CollectivePublic:
    """Take a case out of the collective; the history keeps its stay."""
    command = collective.UnlinkCase(collective_id, ref)
    return _public(collective.remove_case(caller.app, command, by=caller.account()))
