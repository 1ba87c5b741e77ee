"""The days off each organisation adds to its territory's public holidays, and the calendar they make.

Stored one row a day (``organisation_holiday``), changed as a whole list, audited as an
``organisation_updated`` event carrying the list. Deadlines need only the dates: the
decision's single read carries them as one aggregated column (:data:`CODES_OF_CASE_ORG`),
so a decision costs no extra statement; the domain counts every deadline of an organisation
on one cached calendar (:func:`pathways.domain.calendar.calendar_for`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    Connection,
    ScalarSelect,
    String,
    bindparam,
    cast,
    delete,
    func,
    insert,
    select,
)

from pathways.domain.extra_holidays import ExtraHoliday, check_extra_holidays
from pathways.services.tx import Tx, write
from pathways.store.core import CASE as _CASE
from pathways.store.core import HOLIDAY
from pathways.store.core import ORG as _ORG

if TYPE_CHECKING:
    from pathways.bootstrap import App
    from pathways.services.people.accounts import Principal

__all__ = [
    "CODES_OF_CASE_ORG",
    "SetHolidays",
    "change_holidays",
    "days_off",
    "decode",
    "extra_holidays",
    "set_extra_holidays",
]


@dataclass(frozen=True, slots=True)
class SetHolidays:
    """Replace the days off organisation `organisation_id` adds with `days` (the whole list)."""

    organisation_id: int
    days: tuple[ExtraHoliday, ...]


# YYYYMMDD with YYYY = 0 for a day off every year: ExtraHoliday.code, computed by the database.
_CODE = func.coalesce(HOLIDAY.c.year, 0) * 10000 + HOLIDAY.c.month * 100 + HOLIDAY.c.day

CODES_OF_CASE_ORG: ScalarSelect[Any] = (
    # SQLAlchemy's aggregate_strings: string_agg on PostgreSQL, group_concat on SQLite.
    select(func.aggregate_strings(cast(_CODE, String), ","))
    .where(HOLIDAY.c.organisation_id == _CASE.c.organisation_id)
    .scalar_subquery()
)
"""The case's organisation's days off as "711,20260720" (NULL when none): a column for a read of cases."""

_CODES_OF_ORG = select(_CODE).where(HOLIDAY.c.organisation_id == bindparam("b_org"))
_LIST_OF_ORG = (
    select(HOLIDAY.c.month, HOLIDAY.c.day, HOLIDAY.c.year, HOLIDAY.c.name, HOLIDAY.c.source)
    .where(HOLIDAY.c.organisation_id == bindparam("b_org"))
    .order_by(HOLIDAY.c.id)
)


def decode(codes: str | None) -> tuple[ExtraHoliday, ...]:
    """The days off of a :data:`CODES_OF_CASE_ORG` value (dates only)."""
    if not codes:
        return ()
    return tuple(sorted({ExtraHoliday.from_code(int(code)) for code in codes.split(",")}, key=_code))


def _code(day: ExtraHoliday) -> int:
    return day.code


def days_off(conn: Connection, org_id: int) -> tuple[ExtraHoliday, ...]:
    """The organisation's days off, dates only: what its deadlines are counted with."""
    codes = conn.execute(_CODES_OF_ORG, {"b_org": org_id}).scalars()
    return tuple(sorted({ExtraHoliday.from_code(int(c)) for c in codes}, key=_code))


def extra_holidays(conn: Connection, org_id: int) -> tuple[ExtraHoliday, ...]:
    """The organisation's days off with their names and sources, by date."""
    rows = conn.execute(_LIST_OF_ORG, {"b_org": org_id})
    return tuple(sorted((ExtraHoliday(*row) for row in rows), key=_code))


def set_extra_holidays(tx: Tx, org_id: int, days: Iterable[ExtraHoliday]) -> tuple[ExtraHoliday, ...]:
    """Replace the organisation's days off (checked first); audited when the list changes.

    Deadlines already set keep their date; stages entered from now on count the new list.
    """
    checked = check_extra_holidays(days)
    # Two updates at once would interleave their deletes and inserts: one waits for the other.
    tx.conn.execute(select(_ORG.c.id).where(_ORG.c.id == org_id).with_for_update())
    if extra_holidays(tx.conn, org_id) == checked:
        return checked
    tx.conn.execute(delete(HOLIDAY).where(HOLIDAY.c.organisation_id == org_id))
    if checked:
        tx.conn.execute(
            insert(HOLIDAY),
            [
                {
                    "organisation_id": org_id,
                    "month": d.month,
                    "day": d.day,
                    "year": d.year,
                    "name": d.name,
                    "source": d.source,
                }
                for d in checked
            ],
        )
    tx.audit(
        organisation_id=org_id,
        kind="organisation_updated",
        payload={"extra_holidays": [str(d) for d in checked]},
    )
    return checked


def change_holidays(app: App, command: SetHolidays, *, by: Principal | None) -> tuple[ExtraHoliday, ...]:
    """Replace the organisation's days off (managers; ``by=None``: the operator), in one transaction."""
    # Imported here: accounts imports the directory, which imports this module.
    from pathways.services.people.accounts import Permission
    from pathways.services.people.permits import require

    if by is not None:
        require(by, command.organisation_id, Permission.MANAGE, f"organisation {command.organisation_id}")
    with write(app, actor_id=by.person_id if by is not None else None) as tx:
        return set_extra_holidays(tx, command.organisation_id, command.days)
