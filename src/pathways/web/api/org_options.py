"""REST API: the local rules an organisation switches on or off over its pathway files' values.

``GET /api/v1/orgs/{org}/options`` for anyone with a role in the organisation: each option, whether
it is the organisation's setting, and its source; ``PATCH`` changes some (managers and admins):
``{"options": {"consultant_bid_within_week": true, "ptce_edition": null}}``, ``null`` giving the
pathway file's value back. Audited as ``organisation_options_changed``.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path
from pydantic import BaseModel, ConfigDict, Field

from pathways.domain.org_options import NAMES
from pathways.domain.programme import OPTIONS
from pathways.services.people import org_options
from pathways.services.people.accounts import Permission
from pathways.web.api.routes import ERRORS
from pathways.web.deps import Caller
from pathways.web.inputs import Key, Ref
from pathways.web.scope import Scope

router = APIRouter(prefix="/api/v1", responses=ERRORS)


class OptionPublic(BaseModel):
    """One local rule and the organisation's setting for it (None: its pathway files decide)."""

    name: str
    description: str
    source: str
    organisation: bool | None = Field(
        description="the organisation's setting; null: the pathway file's value"
    )


class OptionsChange(BaseModel):
    """The settings to change: true or false, or null for the pathway file's value again."""

    model_config = ConfigDict(extra="forbid")

    options: dict[Key, bool | None] = Field(max_length=len(NAMES))


def _public(saved: dict[str, bool]) -> list[OptionPublic]:
    return [
        OptionPublic(name=o.name, description=o.description, source=o.source, organisation=saved.get(o.name))
        for o in OPTIONS
    ]


@router.get("/orgs/{org}/options", tags=["directory"])
def show_options(caller: Caller, org: Annotated[Ref, Path()]) -> list[OptionPublic]:
    """The local rules of one of your organisations."""
    with caller.read() as (user, conn):
        found = Scope(user, conn).org(org)
        return _public(org_options.options_of(conn, found.id))


@router.patch("/orgs/{org}/options", tags=["directory"])
def change_options(caller: Caller, org: Annotated[Ref, Path()], body: OptionsChange) -> list[OptionPublic]:
    """Switch local rules on or off for the organisation's cases (managers); 422 naming an unknown one."""
    with caller.read() as (user, conn):
        found = Scope(user, conn).org(org, Permission.MANAGE)
    command = org_options.SetOrgOptions(found.id, tuple(body.options.items()))
    return _public(org_options.change_options(caller.app, command, by=user))
