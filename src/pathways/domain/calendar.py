"""Business-day arithmetic per territory: weekends plus the territory's public holidays.

Territory codes follow ISO 3166-2 where one exists: ``FR``, a French département
(``FR-75``, ``FR-2A``, ``FR-971``), ``BE`` or a Belgian region (``BE-VLG``,
``BE-WAL``, ``BE-BRU``) and ``BE-DG`` for the German-speaking Community.

Belgium has ten legal public holidays, the same in every region. The community and
regional days (11 July, 27 September, 15 November, Iris day on 8 May) are days off only
where a joint committee or a public employer grants them, so an organisation adds them
itself: they reach a calendar as data (:class:`~pathways.domain.extra_holidays.ExtraHoliday`).
"""

from __future__ import annotations

from bisect import bisect_right
from calendar import monthrange
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache
from types import MappingProxyType

from pathways.domain.extra_holidays import ExtraHoliday
from pathways.errors import InvalidInput, InvalidTerritory

__all__ = ["TERRITORIES", "BusinessCalendar", "add_calendar", "calendar_for", "parse_territory"]

# Holiday names are in English whatever the process locale, so logs and tests are stable.
_LANGUAGE = "en_US"

# holidays.Belgium's public category is the ten days of the law of 4 January 1974 plus
# Easter Sunday and Whit Sunday, which are Sundays anyway: left out, so a calendar names the
# legal days only. (Its school category holds the community days, mixed with school breaks.)
_BELGIAN_SUNDAY_FEASTS = frozenset({"Easter Sunday", "Pentecost"})

_SATURDAY = 5  # date.weekday(): Monday is 0
_CORSICA = 20  # split into 2A and 2B in 1976


@dataclass(frozen=True, slots=True)
class _Rule:
    country: str
    subdiv: str | None = None
    drop: frozenset[str] = frozenset()  # names of library holidays that are not days off


def _rules() -> dict[str, _Rule]:
    metropolitan = [f"{n:02d}" for n in range(1, 96) if n != _CORSICA] + ["2A", "2B"]
    rules = {"FR": _Rule("FR")} | {f"FR-{d}": _Rule("FR") for d in metropolitan}
    # Alsace-Moselle keeps Good Friday and 26 December: the library's '57' (Moselle) has the same
    # days as its newer '6AE' (Alsace), as tests/unit/test_calendar_belgium.py checks.
    rules |= {f"FR-{d}": _Rule("FR", "57") for d in ("57", "67", "68")}
    rules |= {f"FR-{d}": _Rule("FR", d) for d in ("971", "972", "973", "974", "976")}
    rules["FR-975"] = _Rule("FR", "PM")  # Saint-Pierre-et-Miquelon, a département until 1985
    # The legal holidays are national; community and regional days are an organisation's choice.
    belgium = _Rule("BE", drop=_BELGIAN_SUNDAY_FEASTS)
    rules |= dict.fromkeys(("BE", "BE-VLG", "BE-WAL", "BE-BRU", "BE-DG"), belgium)
    return rules


_RULES: Mapping[str, _Rule] = MappingProxyType(_rules())
TERRITORIES: frozenset[str] = frozenset(_RULES)


def parse_territory(code: str) -> str:
    """Return the canonical territory code (upper case, trimmed) or raise InvalidTerritory."""
    canonical = code.strip().upper()
    if canonical not in _RULES:
        raise InvalidTerritory(
            f"unknown territory {code!r}",
            hint="use FR, a département such as FR-75, FR-2A or FR-971, BE, BE-VLG, BE-WAL, BE-BRU or BE-DG",
            code="territory_unknown",
            params={"territory": code},
        )
    return canonical


@lru_cache(maxsize=1024)
def _library_holidays(country: str, subdiv: str | None, year: int) -> Mapping[date, str]:
    import holidays  # here: a command that computes no deadline does not load its country tables

    # A fresh holidays object per call: they mutate as they expand, so none is shared.
    days = holidays.country_holidays(country, subdiv=subdiv, years=year, language=_LANGUAGE)
    # Outside its data range the library answers "no holidays"; a silently wrong deadline is worse.
    if not days.start_year <= year <= days.end_year:
        raise InvalidInput(
            f"no public-holiday data for {country} in {year}",
            hint=f"dates must fall between {days.start_year} and {days.end_year}",
            code="no_holidays",
            params={"country": country, "year": year, "first": days.start_year, "last": days.end_year},
        )
    return MappingProxyType({d: name for d, name in days.items() if d.year == year})


@lru_cache(maxsize=4096)
def _holidays(territory: str, extra: tuple[ExtraHoliday, ...], year: int) -> Mapping[date, str]:
    rule = _RULES[territory]
    days = {d: n for d, n in _library_holidays(rule.country, rule.subdiv, year).items() if n not in rule.drop}
    for holiday in extra:
        when = holiday.on(year)
        if when is not None:
            name = holiday.name or "day off (organisation)"
            days[when] = f"{days[when]}; {name}" if when in days else name
    return MappingProxyType(days)


@lru_cache(maxsize=4096)
def _weekday_holiday_ordinals(territory: str, extra: tuple[ExtraHoliday, ...], year: int) -> tuple[int, ...]:
    days = _holidays(territory, extra, year)
    return tuple(sorted(d.toordinal() for d in days if d.weekday() < _SATURDAY))


def _weekdays_through(ordinal: int) -> int:
    # Ordinal 1 (0001-01-01) is a Monday, so each block of 7 ordinals holds 5 weekdays.
    weeks, rest = divmod(ordinal, 7)
    return 5 * weeks + min(rest, 5)


@dataclass(frozen=True, slots=True)
class BusinessCalendar:
    """Working days of one territory: Monday to Friday, except its public holidays and the
    days off its organisation adds (``extra``, sorted by date: see :func:`calendar_for`)."""

    territory: str
    extra: tuple[ExtraHoliday, ...] = ()

    def __post_init__(self) -> None:
        if self.territory not in _RULES:
            raise InvalidTerritory(f"unknown territory {self.territory!r}", hint="use calendar_for()")

    def holidays_in(self, year: int) -> Mapping[date, str]:
        """Every day off of ``year`` (weekends included when a holiday falls on one), by date."""
        return _holidays(self.territory, self.extra, year)

    def holiday_name(self, d: date) -> str | None:
        """Name of the public holiday (or added day off) on ``d``, or None."""
        return _holidays(self.territory, self.extra, d.year).get(d)

    def is_business_day(self, d: date) -> bool:
        """True on a weekday that is neither a public holiday nor an added day off."""
        return d.weekday() < _SATURDAY and d not in _holidays(self.territory, self.extra, d.year)

    def next_business_day(self, d: date) -> date:
        """``d`` if it is a business day, else the first one after it."""
        while not self.is_business_day(d):
            d += timedelta(days=1)
        return d

    def previous_business_day(self, d: date) -> date:
        """``d`` if it is a business day, else the last one before it."""
        while not self.is_business_day(d):
            d -= timedelta(days=1)
        return d

    def add_business_days(self, start: date, n: int) -> date:
        """The n-th business day after ``start`` (before it if n < 0); n == 0 rolls forward."""
        if n == 0:
            return self.next_business_day(start)
        step = timedelta(days=1 if n > 0 else -1)
        day, left = start, abs(n)
        while left:
            day += step
            if self.is_business_day(day):
                left -= 1
        return day

    def business_days_between(self, start: date, end: date) -> int:
        """Business days d with start < d <= end; negated when end is before start."""
        if end < start:
            return -self.business_days_between(end, start)
        low, high = start.toordinal(), end.toordinal()
        holidays_in_range = 0
        for year in range(start.year, end.year + 1):
            ordinals = _weekday_holiday_ordinals(self.territory, self.extra, year)
            holidays_in_range += bisect_right(ordinals, high) - bisect_right(ordinals, low)
        return _weekdays_through(high) - _weekdays_through(low) - holidays_in_range


def calendar_for(territory: str, extra: Iterable[ExtraHoliday] = ()) -> BusinessCalendar:
    """The business calendar of a territory code (see TERRITORIES), with an organisation's
    added days off; raises InvalidTerritory."""
    return _calendar(territory, tuple(sorted(set(extra), key=_by_date)))


def _by_date(holiday: ExtraHoliday) -> tuple[int, str, str]:
    return holiday.code, holiday.name, holiday.source


@lru_cache(maxsize=1024)
def _calendar(territory: str, extra: tuple[ExtraHoliday, ...]) -> BusinessCalendar:
    # One calendar per territory and set of days off: equal inputs give the very same object.
    return BusinessCalendar(parse_territory(territory), extra)


def add_calendar(start: date, *, days: int = 0, weeks: int = 0, months: int = 0) -> date:
    """Add calendar months (clamped to the month's end), then weeks and days."""
    month_index = start.year * 12 + start.month - 1 + months
    year, month = divmod(month_index, 12)
    month += 1
    shifted = start.replace(year=year, month=month, day=min(start.day, monthrange(year, month)[1]))
    return shifted + timedelta(days=days, weeks=weeks)
