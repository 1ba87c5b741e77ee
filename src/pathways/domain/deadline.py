"""Deadline arithmetic: when a stage is due, and when its reminders and escalations fall.

Instants are timezone-aware UTC; days are counted in the organisation's zone,
on the calendar of the case's territory with the days off the organisation adds.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

from pathways.domain.calendar import add_calendar, calendar_for
from pathways.domain.extra_holidays import ExtraHoliday
from pathways.domain.spec import Duration, StageSpec

DUE_TIME = time(23, 59, 59)  # a stage is due by the end of its due day
NOTICE_TIME = time(9, 0)  # reminders and escalations go out at the start of a working day


@dataclass(frozen=True, slots=True)
class PlannedNotice:
    """A reminder or escalation to schedule for a stage entry."""

    rule: str  # "remind:0", "escalate:1": index in the stage's list, stable across runs
    kind: str  # "reminder" | "escalation"
    to_role: str
    template: str
    due_at: datetime


def shift(
    day: date, duration: Duration, territory: str, *, sign: int = 1, extra: Sequence[ExtraHoliday] = ()
) -> date:
    """`day` moved by `duration` (business days on the territory's calendar, `extra` days off too)."""
    if duration.business_days is not None:
        return _add_business_days(territory, tuple(extra), day, sign * duration.business_days)
    return add_calendar(
        day,
        days=sign * (duration.days or 0),
        weeks=sign * (duration.weeks or 0),
        months=sign * (duration.months or 0),
    )


@lru_cache(maxsize=8192)
def _add_business_days(territory: str, extra: tuple[ExtraHoliday, ...], day: date, n: int) -> date:
    # Every decision of a day asks the same few questions (a deadline and its notices); the
    # calendar walks day by day, so answers are kept.
    return calendar_for(territory, extra).add_business_days(day, n)


@lru_cache(maxsize=8192)
def _instant(day: date, at: time, zone: ZoneInfo) -> datetime:
    # The same few days, again and again (see above); zone conversion is not free.
    return datetime.combine(day, at, tzinfo=zone).astimezone(UTC)


def due_at(
    stage: StageSpec,
    *,
    entered_at: datetime,
    territory: str,
    zone: ZoneInfo,
    recorded: Mapping[str, Any],
    extra_holidays: Sequence[ExtraHoliday] = (),
) -> datetime | None:
    """When the stage is due, or None for a stage without deadline (or with an unknown date).

    `extra_holidays`: the days off the case's organisation adds to the territory's holidays.
    """
    deadline = stage.deadline
    if deadline is None:
        return None
    entered_day = entered_at.astimezone(zone).date()
    if deadline.until is not None:
        value = recorded.get(deadline.until)
        if isinstance(value, str):
            value = date.fromisoformat(value)
        if isinstance(value, date):
            return _instant(value, DUE_TIME, zone)
        if deadline.default is None:
            return None
        return _instant(shift(entered_day, deadline.default, territory, extra=extra_holidays), DUE_TIME, zone)
    duration = deadline.duration
    assert duration is not None
    return _instant(shift(entered_day, duration, territory, extra=extra_holidays), DUE_TIME, zone)


def plan_notices(
    stage: StageSpec,
    *,
    entered_at: datetime,
    due: datetime | None,
    territory: str,
    zone: ZoneInfo,
    extra_holidays: Sequence[ExtraHoliday] = (),
) -> list[PlannedNotice]:
    """Reminders before and escalations after `due`; reminders that would fall before entry are dropped."""
    if due is None:
        return []
    due_day = due.astimezone(zone).date()
    planned: list[PlannedNotice] = []
    for i, remind in enumerate(stage.remind):
        before = shift(due_day, remind.before, territory, sign=-1, extra=extra_holidays)
        when = _instant(before, NOTICE_TIME, zone)
        if when > entered_at:
            planned.append(PlannedNotice(f"remind:{i}", "reminder", remind.to.value, remind.template, when))
    for i, escalate in enumerate(stage.escalate):
        when = _instant(shift(due_day, escalate.after, territory, extra=extra_holidays), NOTICE_TIME, zone)
        planned.append(
            PlannedNotice(f"escalate:{i}", "escalation", escalate.to.value, escalate.template, when)
        )
    return planned


def is_overdue(due: datetime | None, now: datetime) -> bool:
    """Whether a stage due at `due` is late at `now`."""
    return due is not None and now > due


def within(due: datetime | None, now: datetime, days: int) -> bool:
    """Whether `due` falls before `now + days` (overdue items included)."""
    return due is not None and due <= now + timedelta(days=days)
