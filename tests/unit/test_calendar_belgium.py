"""Every territory code's holidays, 2024-2030, against the `holidays` library and Belgian law.

France: the library's holidays of the département's subdivision (Alsace-Moselle,
overseas départements), unchanged. Belgium: the ten legal public holidays (law of
4 January 1974), the same in every region; community and regional days are added by
an organisation, never implied by its territory.
"""

from __future__ import annotations

from datetime import date, timedelta

import holidays
import pytest

from pathways.domain.calendar import TERRITORIES, calendar_for
from pathways.domain.extra_holidays import ExtraHoliday

YEARS = range(2024, 2031)
FRENCH = sorted(t for t in TERRITORIES if t.startswith("FR"))
BELGIAN = sorted(t for t in TERRITORIES if t.startswith("BE"))
# Days off only where a joint committee or a public employer grants them.
COMMUNITY_DAYS = {
    (7, 11): "Flemish Community Day",
    (9, 27): "French Community Day",
    (11, 15): "German-speaking Community Day / King's Feast",
    (5, 8): "Iris Day (Brussels-Capital Region)",
}


def french_subdivision(territory: str) -> str | None:
    """The library's subdivision for a French territory code, worked out independently of the code."""
    departement = territory.removeprefix("FR").removeprefix("-")
    if departement in {"67", "68"}:  # Bas-Rhin and Haut-Rhin: Alsace
        return "6AE" if "6AE" in holidays.list_supported_countries()["FR"] else "57"
    if departement == "975":  # Saint-Pierre-et-Miquelon, a département until 1985
        return "PM"
    return departement if departement in holidays.list_supported_countries()["FR"] else None


def easter(year: int) -> date:
    """Gregorian Easter Sunday (anonymous algorithm): an oracle apart from the library's."""
    a, b, c = year % 19, year // 100, year % 100
    d, e = divmod(b, 4)
    g = (8 * b + 13) // 25
    h = (19 * a + b - d - g + 15) % 30
    i, k = divmod(c, 4)
    l_ = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 22 * l_) // 451
    month, day = divmod(h + l_ - 7 * m + 114, 31)
    return date(year, month, day + 1)


def belgian_legal_holidays(year: int) -> set[date]:
    """The ten days of the law of 4 January 1974 (arrêté royal of 18 April 1974)."""
    sunday = easter(year)
    return {
        date(year, 1, 1),  # New Year
        sunday + timedelta(days=1),  # Easter Monday
        date(year, 5, 1),  # Labour Day
        sunday + timedelta(days=39),  # Ascension
        sunday + timedelta(days=50),  # Whit Monday
        date(year, 7, 21),  # National Day
        date(year, 8, 15),  # Assumption
        date(year, 11, 1),  # All Saints
        date(year, 11, 11),  # Armistice
        date(year, 12, 25),  # Christmas
    }


def test_every_territory_code_is_french_or_belgian() -> None:
    assert set(FRENCH) | set(BELGIAN) == TERRITORIES
    assert BELGIAN == ["BE", "BE-BRU", "BE-DG", "BE-VLG", "BE-WAL"]


@pytest.mark.parametrize("territory", FRENCH)
def test_a_french_calendar_has_the_library_holidays_of_its_departement(territory: str) -> None:
    calendar = calendar_for(territory)
    for year in YEARS:
        expected = holidays.country_holidays(
            "FR", subdiv=french_subdivision(territory), years=year, language="en_US"
        )
        assert dict(calendar.holidays_in(year)) == dict(expected), (territory, year)


@pytest.mark.parametrize("territory", BELGIAN)
def test_a_belgian_calendar_has_the_ten_legal_holidays_and_nothing_else(territory: str) -> None:
    calendar = calendar_for(territory)
    for year in YEARS:
        days = calendar.holidays_in(year)
        assert len(days) == 10, (territory, year, sorted(days))
        assert set(days) == belgian_legal_holidays(year), (territory, year)
        # The same days as the library's public category, less its two Sunday feasts.
        library = holidays.country_holidays("BE", years=year)
        assert set(days) == {d for d in library if d not in {easter(year), easter(year) + timedelta(49)}}


@pytest.mark.parametrize("territory", BELGIAN)
def test_community_and_regional_days_are_business_days_unless_added(territory: str) -> None:
    plain = calendar_for(territory)
    for (month, day), name in COMMUNITY_DAYS.items():
        added = calendar_for(territory, [ExtraHoliday(month, day, name=name, source="joint committee")])
        for year in YEARS:
            when = date(year, month, day)
            assert plain.holiday_name(when) is None, (territory, when)
            assert plain.is_business_day(when) == (when.weekday() < 5), (territory, when)
            assert added.holiday_name(when) == name
            assert not added.is_business_day(when)


@pytest.mark.parametrize("territory", BELGIAN)
def test_belgian_deadlines_in_2026_count_the_legal_holidays_only(territory: str) -> None:
    calendar = calendar_for(territory)
    # 2026: 52 weeks and Thursday 1 January, so 261 weekdays; the legal holidays on weekdays:
    # all but 1 November (Sunday) and 15 August (Saturday), i.e. 8.
    assert calendar.business_days_between(date(2025, 12, 31), date(2026, 12, 31)) == 261 - 8
