"""REST API: the days off an organisation adds to its territory's public holidays.

``GET /api/v1/orgs/{org}/holidays`` for anyone with a role in the organisation;
``PUT`` replaces the list (managers and admins), audited as ``organisation_updated``.
Belgian territories count the ten legal holidays only: community and regional days
(11 July, 27 September, 15 November, Iris day) are added here, each with its source.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated

from fastapi import APIRouter, Path
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

from pathways.domain.extra_holidays import (
    MAX_EXTRA_HOLIDAYS,
    MAX_NAME,
    MAX_SOURCE,
    ExtraHoliday,
    extra_holiday,
)
from pathways.services.people import org_holidays
from pathways.services.people.accounts import Permission
from pathways.web.api.routes import ERRORS
from pathways.web.deps import Caller
from pathways.web.inputs import Ref
from pathways.web.scope import Scope

router = APIRouter(prefix="/api/v1", responses=ERRORS)


def _no_nul(value: str) -> str:
    if "\x00" in value:
        raise ValueError("text cannot contain the NUL character")
    return value


DayOffDate = Annotated[
    str,
    StringConstraints(pattern=r"^([0-9]{4}-)?[0-9]{2}-[0-9]{2}$"),
    Field(description="MM-DD (every year) or YYYY-MM-DD (that year only)", examples=["07-11"]),
]
DayOffName = Annotated[str, StringConstraints(min_length=1, max_length=MAX_NAME), AfterValidator(_no_nul)]
DayOffSource = Annotated[
    str,
    StringConstraints(min_length=1, max_length=MAX_SOURCE),
    AfterValidator(_no_nul),
    Field(description="Why it is a day off: joint committee agreement, employer's decision"),
]


class DayOff(BaseModel):
    """A day off the organisation grants beyond the territory's public holidays."""

    model_config = ConfigDict(extra="forbid")

    date: DayOffDate
    name: DayOffName
    source: DayOffSource


class DaysOff(BaseModel):
    """An organisation's added days off (the whole list)."""

    model_config = ConfigDict(extra="forbid")

    extra_holidays: list[DayOff] = Field(max_length=MAX_EXTRA_HOLIDAYS)


def _public(days: Sequence[ExtraHoliday]) -> DaysOff:
    return DaysOff(extra_holidays=[DayOff(date=d.key, name=d.name, source=d.source) for d in days])


@router.get("/orgs/{org}/holidays", tags=["directory"])
def show_days_off(caller: Caller, org: Annotated[Ref, Path()]) -> DaysOff:
    """The days off one of your organisations adds to its territory's public holidays."""
    with caller.read() as (user, conn):
        found = Scope(user, conn).org(org)
        return _public(org_holidays.extra_holidays(conn, found.id))


@router.put("/orgs/{org}/holidays", tags=["directory"])
def replace_days_off(caller: Caller, org: Annotated[Ref, Path()], body: DaysOff) -> DaysOff:
    """Replace the organisation's added days off (managers); deadlines set before keep their date."""
    days = [extra_holiday(d.date, d.name, d.source) for d in body.extra_holidays]
    with caller.read() as (user, conn):
        found = Scope(user, conn).org(org, Permission.MANAGE)
    command = org_holidays.SetHolidays(found.id, tuple(days))
    return _public(org_holidays.change_holidays(caller.app, command, by=user))
