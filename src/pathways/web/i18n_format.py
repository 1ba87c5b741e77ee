"""Dates, numbers, money and durations in the reader's locale (Babel), as the templates' filters.

In a template: ``{{ case.due_at | datetime }}`` ("14 déc. 2026, 10:30"), ``{{ day | date }}``
("14 déc. 2026"), ``{{ n | number }}`` ("8 500"), ``{{ amount | money }}`` ("8 500,00 €"),
``{{ share | percent }}`` ("42 %"), ``{{ delta | duration }}`` ("3 jours"). An instant is shown
in the organisation's zone when given (``{{ at | datetime(org.timezone) }}``), else in the
site's default zone. A missing value prints "—".

Dates follow CLDR's medium pattern as Babel ships it, not a house style: Dutch reads
"14 dec 2026" (CLDR's ``d MMM y``, months abbreviated without a full stop), though
"14 dec. 2026" is also common in Dutch and Flemish print. Both are correct; CLDR's is what
every other CLDR-based program the officers use shows (browsers, LibreOffice, phones), so the
pages agree with them rather than with one style guide.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from functools import lru_cache
from typing import Final, Literal
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import format_date, format_time, format_timedelta, get_datetime_format
from babel.numbers import format_currency, format_decimal, format_percent

NONE: Final = "—"
Number = int | float | Decimal | str  # a string is a decimal as recorded ("4.5"); else it is shown as is
Day = date  # the methods below are named after the types: these names keep them apart
Instant = datetime
Unit = Literal["year", "month", "week", "day", "hour", "minute", "second"]


def _decimal(text: str) -> Decimal | None:
    try:
        return Decimal(text.strip())
    except ArithmeticError:  # decimal.InvalidOperation: not a number
        return None


def _numeric(value: Number | None, shown: Callable[[int | float | Decimal], object]) -> str:
    """`value` as `shown` writes it; "—" when missing, a string that is no number as it is."""
    if value is None:
        return NONE
    if isinstance(value, str):
        if (parsed := _decimal(value)) is None:
            return value
        value = parsed
    return str(shown(value))


@lru_cache(maxsize=64)
def babel_locale(lang: str) -> Locale:
    """The Babel locale of a language, parsed once: given a language code, each Babel call would
    parse it and look its data up again (a case list formats a hundred dates)."""
    return Locale.parse(lang)


@lru_cache(maxsize=64)
def _datetime_format(lang: str) -> str:
    """How the locale joins a day ("{1}") and a time ("{0}")."""
    return str(get_datetime_format("medium", locale=babel_locale(lang)))


@lru_cache(maxsize=4096)
def _day(lang: str, day: Day) -> str:
    """A day in the locale's medium format (a list shows the same days again and again)."""
    return str(format_date(day, "medium", locale=babel_locale(lang)))


@lru_cache(maxsize=4096)
def _clock(lang: str, hour: int, minute: int) -> str:
    """A time of day in the locale's short format: hours and minutes, no zone (fr, nl, en)."""
    return str(format_time(time(hour, minute), "short", locale=babel_locale(lang)))


@dataclass(frozen=True, slots=True)
class Formatter:
    """Every format of one locale, instants read in `zone` unless a zone is given."""

    lang: str
    zone: str

    @property
    def locale(self) -> Locale:
        """The Babel locale of `lang`."""
        return babel_locale(self.lang)

    def _local(self, value: Instant, zone: str | None) -> Instant:
        return value.astimezone(ZoneInfo(zone or self.zone))

    def date(self, value: Instant | Day | str | None, zone: str | None = None) -> str:
        """A day: "14 déc. 2026" (an instant is read in the zone; a string is an ISO date)."""
        if value is None or value == "":
            return NONE
        if isinstance(value, str):
            value = Day.fromisoformat(value)
        if isinstance(value, Instant):
            value = self._local(value, zone).date()
        return _day(self.lang, value)

    def datetime(self, value: Instant | None, zone: str | None = None) -> str:
        """An instant to the minute: "14 déc. 2026 10:30"."""
        if value is None:
            return NONE
        local = self._local(value, zone)
        day, clock = _day(self.lang, local.date()), _clock(self.lang, local.hour, local.minute)
        return _datetime_format(self.lang).replace("{1}", day).replace("{0}", clock)

    def number(self, value: Number | None, digits: int | None = None) -> str:
        """A number with the locale's separators; `digits` fixes the decimals."""
        if digits is None:
            return _numeric(value, lambda n: format_decimal(n, locale=self.locale))
        pattern = "#,##0" + ("." + "0" * digits if digits else "")
        return _numeric(value, lambda n: format_decimal(n, pattern, locale=self.locale))

    def money(self, value: Number | None, currency: str = "EUR") -> str:
        """An amount: "8 500,00 €"."""
        return _numeric(value, lambda n: format_currency(n, currency, locale=self.locale))

    def percent(self, value: Number | None) -> str:
        """A share (0.42) as a percentage: "42 %"."""
        return _numeric(value, lambda n: format_percent(n, locale=self.locale))

    def duration(self, value: timedelta | int | float | None, granularity: Unit = "minute") -> str:
        """A duration in words: "3 jours", "2 heures" (a number is seconds)."""
        if value is None:
            return NONE
        delta = value if isinstance(value, timedelta) else timedelta(seconds=float(value))
        return str(format_timedelta(delta, granularity=granularity, locale=self.locale))

    # The names the templates used before the filters; kept so both spellings work.
    def dt(self, value: Instant | None, zone: str | None = None) -> str:
        """Same as `datetime`."""
        return self.datetime(value, zone)

    def day(self, value: Instant | Day | str | None, zone: str | None = None) -> str:
        """Same as `date`."""
        return self.date(value, zone)

    def filters(self) -> dict[str, object]:
        """The Jinja filters of this locale."""
        return {
            "date": self.date,
            "datetime": self.datetime,
            "number": self.number,
            "money": self.money,
            "percent": self.percent,
            "duration": self.duration,
        }
