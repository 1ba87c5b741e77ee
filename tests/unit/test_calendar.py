"""Business-day arithmetic per territory (pathways.domain.calendar)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pathways.domain.calendar import (
    TERRITORIES,
    BusinessCalendar,
    add_calendar,
    calendar_for,
    parse_territory,
)
from pathways.domain.extra_holidays import ExtraHoliday
from pathways.errors import InvalidInput, InvalidTerritory

# Holidays for a year are computed on first use, which can exceed Hypothesis' default deadline.
calendar_settings = settings(deadline=None, max_examples=150)
territories = st.sampled_from(sorted(TERRITORIES))
# Some calendars with days off added by their organisation: the properties hold for them too.
days_off = st.lists(
    st.builds(
        ExtraHoliday,
        month=st.integers(1, 12),
        day=st.integers(1, 28),
        year=st.none() | st.integers(2000, 2080),
        name=st.just("Day off"),
        source=st.just("test"),
    ),
    max_size=4,
)
calendars = st.builds(calendar_for, territories, days_off)
dates = st.dates(min_value=date(1995, 1, 1), max_value=date(2080, 12, 31))
business_day_counts = st.integers(min_value=1, max_value=300)


def naive_count(calendar: BusinessCalendar, start: date, end: date) -> int:
    """Business days d with start < d <= end, counted one day at a time."""
    days = (start + timedelta(days=i) for i in range(1, (end - start).days + 1))
    return sum(calendar.is_business_day(d) for d in days)


# Territory codes


@pytest.mark.parametrize(
    ("raw", "canonical"),
    [("FR", "FR"), (" fr-75 ", "FR-75"), ("fr-2a", "FR-2A"), ("FR-971", "FR-971"), ("be-bru", "BE-BRU")],
)
def test_parse_territory_normalises_case_and_surrounding_spaces(raw: str, canonical: str) -> None:
    assert parse_territory(raw) == canonical


@pytest.mark.parametrize("code", ["", "FR-20", "FR-96", "FR-977", "FR-1", "BE-XX", "DE", "FR 75", "FR-75x"])
def test_parse_territory_refuses_unknown_codes_and_lists_valid_ones(code: str) -> None:
    with pytest.raises(InvalidTerritory) as caught:
        parse_territory(code)
    assert repr(code) in str(caught.value)
    assert "FR-75" in str(caught.value)
    assert "BE-VLG" in str(caught.value)


def test_territories_cover_every_departement_and_belgian_region() -> None:
    departements = {f"FR-{n:02d}" for n in range(1, 96) if n != 20} | {"FR-2A", "FR-2B"}
    overseas = {f"FR-97{n}" for n in range(1, 7)}
    belgium = {"BE", "BE-VLG", "BE-WAL", "BE-BRU", "BE-DG"}
    assert departements | overseas | belgium | {"FR"} == TERRITORIES


def test_calendar_for_returns_one_cached_calendar_per_code() -> None:
    assert calendar_for("FR-75") is calendar_for("FR-75")
    assert calendar_for("fr-75") == calendar_for("FR-75")
    assert calendar_for("fr-75").territory == "FR-75"


def test_business_calendar_refuses_an_unknown_territory() -> None:
    with pytest.raises(InvalidTerritory):
        BusinessCalendar("FR-20")
    with pytest.raises(InvalidTerritory):
        calendar_for("XX")


# France


def test_bastille_day_is_skipped_in_paris() -> None:
    paris = calendar_for("FR-75")
    assert date(2026, 7, 14).weekday() == 1  # a Tuesday: only the holiday makes it a day off
    assert not paris.is_business_day(date(2026, 7, 14))
    assert paris.holiday_name(date(2026, 7, 14)) == "National Day"
    assert paris.add_business_days(date(2026, 7, 13), 1) == date(2026, 7, 15)


def test_fifteen_business_days_after_8_july_2026_in_paris_is_30_july() -> None:
    # Wed 8 July 2026 is the start, not counted. Thu 9 (1), Fri 10 (2), [Sat 11, Sun 12],
    # Mon 13 (3), [Tue 14: Fête nationale], Wed 15 (4), Thu 16 (5), Fri 17 (6), [18, 19],
    # Mon 20 (7) .. Fri 24 (11), [25, 26], Mon 27 (12), Tue 28 (13), Wed 29 (14), Thu 30 (15).
    paris = calendar_for("FR-75")
    assert paris.add_business_days(date(2026, 7, 8), 15) == date(2026, 7, 30)
    assert paris.business_days_between(date(2026, 7, 8), date(2026, 7, 30)) == 15


@pytest.mark.parametrize("alsace_moselle", ["FR-57", "FR-67", "FR-68"])
def test_alsace_moselle_also_rests_on_good_friday_and_26_december(alsace_moselle: str) -> None:
    paris, local = calendar_for("FR-75"), calendar_for(alsace_moselle)
    good_friday = date(2026, 4, 3)
    assert paris.is_business_day(good_friday)
    assert not local.is_business_day(good_friday)
    # 26 December 2026 is a Saturday: a holiday in Alsace-Moselle only, a business day in neither.
    assert paris.holiday_name(date(2026, 12, 26)) is None
    assert local.holiday_name(date(2026, 12, 26)) is not None
    # In 2025 it is a Friday, so the deadlines differ.
    assert paris.is_business_day(date(2025, 12, 26))
    assert not local.is_business_day(date(2025, 12, 26))
    assert local.add_business_days(date(2025, 12, 24), 1) == date(2025, 12, 29)
    assert paris.add_business_days(date(2025, 12, 24), 1) == date(2025, 12, 26)


def test_overseas_departement_honours_its_abolition_of_slavery_day() -> None:
    wednesday = date(2026, 5, 27)
    assert not calendar_for("FR-971").is_business_day(wednesday)
    assert calendar_for("FR-75").is_business_day(wednesday)


def test_holidays_of_the_following_year_are_looked_up_when_a_deadline_crosses_new_year() -> None:
    # Thu 31 Dec 2026 (1), [Fri 1 Jan 2027: New Year's Day], [Sat 2, Sun 3], Mon 4 Jan (2).
    assert calendar_for("FR").add_business_days(date(2026, 12, 30), 2) == date(2027, 1, 4)


def test_years_are_computed_on_demand_up_to_the_end_of_the_holiday_data() -> None:
    assert calendar_for("FR-75").holiday_name(date(2100, 12, 25)) == "Christmas Day"
    assert calendar_for("BE-BRU").holiday_name(date(2100, 7, 21)) == "National Day"


def test_a_year_without_holiday_data_is_refused_rather_than_treated_as_holiday_free() -> None:
    with pytest.raises(InvalidInput, match="2150"):
        calendar_for("FR-75").is_business_day(date(2150, 12, 25))
    with pytest.raises(InvalidInput):
        calendar_for("BE").add_business_days(date(2100, 12, 20), 30)


# Belgium (the legal holidays against the library: tests/unit/test_calendar_belgium.py)

FLEMISH_DAY, FRENCH_DAY, IRIS_DAY, GERMAN_DAY = (
    date(2025, 7, 11),
    date(2027, 9, 27),
    date(2026, 5, 8),
    date(2027, 11, 15),
)


@pytest.mark.parametrize("territory", ["BE", "BE-VLG", "BE-WAL", "BE-BRU", "BE-DG"])
def test_belgian_community_and_regional_days_are_business_days_by_default(territory: str) -> None:
    # Days off only where a joint committee or a public employer grants them (DOMAIN.md).
    calendar = calendar_for(territory)
    for day in (FLEMISH_DAY, FRENCH_DAY, IRIS_DAY, GERMAN_DAY):
        assert day.weekday() < 5, day  # chosen on weekdays, so only a holiday could close them
        assert calendar.is_business_day(day), day
        assert calendar.holiday_name(day) is None


def test_an_added_day_off_closes_only_the_calendar_that_has_it() -> None:
    flemish = ExtraHoliday(7, 11, name="Flemish Community Day", source="CP 329")
    granted, plain = calendar_for("BE-VLG", [flemish]), calendar_for("BE-VLG")
    assert not granted.is_business_day(FLEMISH_DAY)
    assert granted.holiday_name(date(2026, 7, 11)) == "Flemish Community Day"  # named on a Saturday too
    assert plain.is_business_day(FLEMISH_DAY)
    # Thu 10 July 2025 + 1 business day: Fri 11 for everyone but the organisation that grants it.
    assert plain.add_business_days(date(2025, 7, 10), 1) == FLEMISH_DAY
    assert granted.add_business_days(date(2025, 7, 10), 1) == date(2025, 7, 14)


def test_a_dated_day_off_closes_its_year_only() -> None:
    bridge = ExtraHoliday(7, 20, year=2026, name="Bridge day", source="Works council, 3 March 2026")
    calendar = calendar_for("BE-BRU", [bridge])
    assert not calendar.is_business_day(date(2026, 7, 20))
    assert calendar.is_business_day(date(2027, 7, 20))


def test_an_added_day_off_on_a_legal_holiday_keeps_both_names() -> None:
    armistice = ExtraHoliday(11, 11, name="Armistice", source="staff rules")
    assert calendar_for("BE", [armistice]).holiday_name(date(2026, 11, 11)) == "Armistice Day; Armistice"


def test_a_recurring_29_february_closes_leap_years_only() -> None:
    calendar = calendar_for("FR-75", [ExtraHoliday(2, 29, name="Leap day", source="house rule")])
    assert not calendar.is_business_day(date(2028, 2, 29))
    assert calendar.business_days_between(date(2027, 2, 26), date(2027, 3, 1)) == 1


def test_calendars_with_the_same_days_off_are_one_cached_object_whatever_the_order() -> None:
    a = ExtraHoliday(7, 11, name="Flemish Community Day", source="CP 329")
    b = ExtraHoliday(11, 15, name="King's Feast", source="CP 200")
    assert calendar_for("BE-VLG", [a, b]) is calendar_for("BE-VLG", (b, a, a))
    assert calendar_for("BE-VLG", [a]) != calendar_for("BE-VLG")


@pytest.mark.parametrize("territory", ["BE", "BE-VLG", "BE-WAL", "BE-BRU", "BE-DG"])
def test_belgian_national_day_applies_in_every_region(territory: str) -> None:
    assert date(2026, 7, 21).weekday() == 1
    assert not calendar_for(territory).is_business_day(date(2026, 7, 21))
    assert calendar_for("FR").is_business_day(date(2026, 7, 21))


# Properties


@calendar_settings
@given(calendars, dates, st.integers(min_value=-300, max_value=300))
def test_a_business_day_deadline_never_lands_on_a_weekend_or_holiday(
    calendar: BusinessCalendar, start: date, n: int
) -> None:
    deadline = calendar.add_business_days(start, n)
    assert deadline.weekday() < 5
    assert calendar.holiday_name(deadline) is None
    assert calendar.is_business_day(deadline)
    if n > 0:
        assert deadline > start
    elif n < 0:
        assert deadline < start


@calendar_settings
@given(calendars, dates, business_day_counts)
def test_adding_then_counting_business_days_round_trips(
    calendar: BusinessCalendar, start: date, n: int
) -> None:
    deadline = calendar.add_business_days(start, n)
    assert calendar.business_days_between(start, deadline) == n
    assert calendar.business_days_between(deadline, start) == -n
    # The day before the deadline is one business day short.
    assert calendar.business_days_between(start, deadline - timedelta(days=1)) == n - 1


@calendar_settings
@given(calendars, dates, business_day_counts)
def test_going_back_n_business_days_leaves_n_business_days_before_start(
    calendar: BusinessCalendar, start: date, n: int
) -> None:
    earlier = calendar.add_business_days(start, -n)
    # [earlier, start) holds exactly n business days; the count runs over (earlier, start].
    assert naive_count(calendar, earlier, start) == n - 1 + calendar.is_business_day(start)
    assert calendar.add_business_days(earlier, n) == calendar.next_business_day(start)


@calendar_settings
@given(calendars, dates, st.integers(min_value=-400, max_value=400))
def test_counting_agrees_with_walking_day_by_day(calendar: BusinessCalendar, start: date, span: int) -> None:
    end = start + timedelta(days=span)
    expected = naive_count(calendar, start, end) if span >= 0 else -naive_count(calendar, end, start)
    assert calendar.business_days_between(start, end) == expected


@calendar_settings
@given(calendars, dates)
def test_zero_business_days_rolls_forward_to_a_business_day(calendar: BusinessCalendar, start: date) -> None:
    rolled = calendar.add_business_days(start, 0)
    assert rolled == calendar.next_business_day(start)
    assert (rolled == start) == calendar.is_business_day(start)
    assert calendar.business_days_between(start, rolled) == (0 if rolled == start else 1)


@calendar_settings
@given(calendars, dates)
def test_next_and_previous_business_day_are_the_nearest_ones(calendar: BusinessCalendar, day: date) -> None:
    following, preceding = calendar.next_business_day(day), calendar.previous_business_day(day)
    assert calendar.is_business_day(following)
    assert calendar.is_business_day(preceding)
    assert preceding <= day <= following
    assert (following == day) == (preceding == day) == calendar.is_business_day(day)
    # Nothing in between is a business day.
    assert naive_count(calendar, day, following - timedelta(days=1)) == 0
    assert naive_count(calendar, preceding, day - timedelta(days=1)) == 0


# Calendar (not business) arithmetic


@pytest.mark.parametrize(
    ("start", "kwargs", "expected"),
    [
        (date(2026, 1, 31), {"months": 1}, date(2026, 2, 28)),
        (date(2024, 1, 31), {"months": 1}, date(2024, 2, 29)),
        (date(2026, 3, 31), {"months": -1}, date(2026, 2, 28)),
        (date(2026, 11, 30), {"months": 3}, date(2027, 2, 28)),
        (date(2026, 7, 8), {"months": 9}, date(2027, 4, 8)),
        (date(2026, 7, 8), {"weeks": 2, "days": 1}, date(2026, 7, 23)),
        (date(2026, 1, 31), {"months": 1, "days": 1}, date(2026, 3, 1)),
        (date(2026, 7, 8), {}, date(2026, 7, 8)),
    ],
)
def test_add_calendar_clamps_months_to_the_end_of_month(
    start: date, kwargs: dict[str, int], expected: date
) -> None:
    assert add_calendar(start, **kwargs) == expected


@given(st.dates(min_value=date(1900, 1, 1), max_value=date(2100, 12, 31)), st.integers(-240, 240))
def test_add_calendar_moves_exactly_the_number_of_months_and_keeps_the_day_when_it_exists(
    start: date, months: int
) -> None:
    result = add_calendar(start, months=months)
    assert (result.year * 12 + result.month) - (start.year * 12 + start.month) == months
    if result.day != start.day:
        assert result.day < start.day
        assert (result + timedelta(days=1)).day == 1  # clamped to the last day of the month
