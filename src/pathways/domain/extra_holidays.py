"""Days off an organisation adds to its territory's public holidays, each with its source.

Belgium's community and regional days (11 July, 27 September, 15 November, Iris day on
8 May) are days off only where a joint committee or a public employer grants them: an
organisation opts in to them, they are never implied by its territory. France has such
days too (a local saint's day in a collective agreement).

Written ``MM-DD=name|source`` (every year) or ``YYYY-MM-DD=name|source`` (that year only),
e.g. ``07-11=Flemish Community Day|CP 329 joint committee agreement``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from pathways.errors import FieldError

__all__ = [
    "MAX_EXTRA_HOLIDAYS",
    "ExtraHoliday",
    "check_extra_holidays",
    "extra_holiday",
    "parse_extra_holiday",
]

FIELD = "extra_holidays"
MAX_EXTRA_HOLIDAYS = 60  # a few community days and bridge days a year; more is a mistake
MAX_NAME = 100
MAX_SOURCE = 200
YEARS = (2000, 2100)  # the years the holiday library has data for, roughly: a dated day outside is a typo
SYNTAX = "MM-DD=name|source or YYYY-MM-DD=name|source, e.g. '07-11=Flemish Community Day|CP 329'"

_DATE = re.compile(r"(?:(?P<year>[0-9]{4})-)?(?P<month>[0-9]{2})-(?P<day>[0-9]{2})")
_LEAP_YEAR = 2000  # a recurring 29 February is valid: it falls in leap years only


def _refuse(entry: str, why: str) -> FieldError:
    return FieldError(FIELD, f"entry {entry!r}: {why}", hint=f"write each day off as {SYNTAX}")


def _date_problem(year: int | None, month: int, day: int) -> str | None:
    try:
        date(year or _LEAP_YEAR, month, day)
    except ValueError:
        return "no such date"
    if year is not None and not YEARS[0] <= year <= YEARS[1]:
        return f"the year must be between {YEARS[0]} and {YEARS[1]}"
    return None


def _clean_text(entry: str, what: str, value: str, limit: int) -> str:
    text = value.strip()
    if not text:
        raise _refuse(entry, f"the {what} is missing")
    if len(text) > limit:
        raise _refuse(entry, f"the {what} is longer than {limit} characters")
    if any(not c.isprintable() for c in text):
        raise _refuse(entry, f"the {what} contains a control character")
    return text


@dataclass(frozen=True, slots=True)
class ExtraHoliday:
    """A day off every year (``year`` None) or in one year, with its name and why it is granted."""

    month: int
    day: int
    year: int | None = None
    name: str = ""
    source: str = ""

    def __post_init__(self) -> None:
        problem = _date_problem(self.year, self.month, self.day)
        if problem is not None:
            raise _refuse(self.key, problem)

    @property
    def key(self) -> str:
        """``MM-DD`` or ``YYYY-MM-DD``."""
        day = f"{self.month:02d}-{self.day:02d}"
        return day if self.year is None else f"{self.year:04d}-{day}"

    @property
    def code(self) -> int:
        """The date as one number, YYYYMMDD (YYYY is 0 for every year): compact and sortable."""
        return (self.year or 0) * 10000 + self.month * 100 + self.day

    @classmethod
    def from_code(cls, code: int) -> ExtraHoliday:
        """The day off of a :attr:`code`, without name or source (all deadlines need)."""
        year, month_day = divmod(code, 10000)
        return cls(month_day // 100, month_day % 100, year or None)

    def on(self, year: int) -> date | None:
        """Its date in `year`, or None (another year's day, or 29 February in a common year)."""
        if self.year is not None and self.year != year:
            return None
        try:
            return date(year, self.month, self.day)
        except ValueError:
            return None

    def __str__(self) -> str:
        return f"{self.key}={self.name}|{self.source}"


def parse_extra_holiday(entry: str) -> ExtraHoliday:
    """An ``MM-DD=name|source`` or ``YYYY-MM-DD=name|source`` entry; FieldError naming it otherwise."""
    when, equals, rest = entry.strip().partition("=")
    name, bar, source = rest.partition("|")
    if not equals or not bar:
        raise _refuse(entry, "expected DATE=name|source")
    return extra_holiday(when, name, source, entry=entry)


def extra_holiday(when: str, name: str, source: str, *, entry: str | None = None) -> ExtraHoliday:
    """A day off from its parts (``when``: MM-DD or YYYY-MM-DD); FieldError naming `entry` otherwise."""
    shown = entry if entry is not None else f"{when}={name}|{source}"
    found = _DATE.fullmatch(when.strip())
    if found is None:
        raise _refuse(shown, f"{when.strip()!r} is not MM-DD or YYYY-MM-DD")
    year = int(found["year"]) if found["year"] is not None else None
    month, day = int(found["month"]), int(found["day"])
    problem = _date_problem(year, month, day)
    if problem is not None:
        raise _refuse(shown, problem)
    return ExtraHoliday(
        month,
        day,
        year,
        _clean_text(shown, "name", name, MAX_NAME),
        _clean_text(shown, "source", source, MAX_SOURCE),
    )


def check_extra_holidays(days: Iterable[ExtraHoliday]) -> tuple[ExtraHoliday, ...]:
    """The days off sorted by date, each named and sourced; FieldError on a duplicate or too many."""
    checked: dict[tuple[int | None, int, int], ExtraHoliday] = {}
    for day in days:
        _clean_text(day.key, "name", day.name, MAX_NAME)
        _clean_text(day.key, "source", day.source, MAX_SOURCE)
        if (day.year, day.month, day.day) in checked:
            raise _refuse(str(day), f"{day.key} is listed twice")
        checked[day.year, day.month, day.day] = day
    if len(checked) > MAX_EXTRA_HOLIDAYS:
        raise FieldError(FIELD, f"{len(checked)} days off listed", hint=f"list at most {MAX_EXTRA_HOLIDAYS}")
    return tuple(sorted(checked.values(), key=lambda d: d.code))
