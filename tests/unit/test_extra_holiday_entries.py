"""Days off an organisation adds, as typed on the command line (pathways.domain.extra_holidays)."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pathways.domain.extra_holidays import (
    MAX_EXTRA_HOLIDAYS,
    ExtraHoliday,
    check_extra_holidays,
    parse_extra_holiday,
)
from pathways.errors import FieldError


def test_a_recurring_day_off_is_month_and_day_with_its_name_and_source() -> None:
    day = parse_extra_holiday(" 07-11 = Fête de la Communauté flamande | CP 329 (sector agreement) ")
    assert day == ExtraHoliday(7, 11, None, "Fête de la Communauté flamande", "CP 329 (sector agreement)")
    assert day.key == "07-11"
    assert str(day) == "07-11=Fête de la Communauté flamande|CP 329 (sector agreement)"
    assert day.on(2027) == date(2027, 7, 11)


def test_a_dated_day_off_falls_in_its_year_only() -> None:
    day = parse_extra_holiday("2026-07-20=Bridge day|Works council, 3 March 2026")
    assert (day.year, day.key) == (2026, "2026-07-20")
    assert day.on(2026) == date(2026, 7, 20)
    assert day.on(2027) is None


def test_the_source_may_hold_bars_and_the_name_equal_signs() -> None:
    day = parse_extra_holiday("09-27=Day = off|CP 200 | art. 3")
    assert (day.name, day.source) == ("Day = off", "CP 200 | art. 3")


def test_29_february_recurs_in_leap_years_only() -> None:
    day = parse_extra_holiday("02-29=Leap day|house rule")
    assert day.on(2028) == date(2028, 2, 29)
    assert day.on(2027) is None


@pytest.mark.parametrize(
    ("entry", "why"),
    [
        ("11-07", "expected DATE=name|source"),
        ("11-07=Flemish day", "expected DATE=name|source"),
        ("7-11=Flemish day|CP 329", "is not MM-DD or YYYY-MM-DD"),
        ("11/07=Flemish day|CP 329", "is not MM-DD or YYYY-MM-DD"),
        ("13-01=Day|CP 329", "no such date"),
        ("02-30=Day|CP 329", "no such date"),
        ("2027-02-29=Day|CP 329", "no such date"),
        ("1999-07-11=Day|CP 329", "between 2000 and 2100"),
        ("07-11=|CP 329", "the name is missing"),
        ("07-11=Flemish day|  ", "the source is missing"),
        ("07-11=Flemish\tday|CP 329", "control character"),
        ("07-11=" + "x" * 101 + "|CP 329", "longer than 100"),
    ],
)
def test_a_bad_entry_is_refused_naming_the_entry_and_the_syntax(entry: str, why: str) -> None:
    with pytest.raises(FieldError) as refused:
        parse_extra_holiday(entry)
    assert refused.value.field == "extra_holidays"
    assert repr(entry) in refused.value.message
    assert why in refused.value.message
    assert refused.value.hint is not None
    assert "MM-DD=name|source" in refused.value.hint


def test_a_list_is_sorted_by_date_and_a_date_listed_twice_is_refused() -> None:
    flemish = ExtraHoliday(7, 11, name="Flemish day", source="CP 329")
    dated = ExtraHoliday(7, 11, 2026, name="Flemish day", source="CP 329")
    iris = ExtraHoliday(5, 8, name="Iris day", source="Brussels public employer")
    assert check_extra_holidays([flemish, dated, iris]) == (iris, flemish, dated)
    with pytest.raises(FieldError, match="07-11 is listed twice"):
        check_extra_holidays([flemish, ExtraHoliday(7, 11, name="Other", source="x")])
    with pytest.raises(FieldError, match="the source is missing"):
        check_extra_holidays([ExtraHoliday(7, 11, name="Flemish day")])
    too_many = [ExtraHoliday(1, 1, 2000 + n, name="d", source="s") for n in range(MAX_EXTRA_HOLIDAYS + 1)]
    with pytest.raises(FieldError, match="at most"):
        check_extra_holidays(too_many)


@given(st.dates(min_value=date(2000, 1, 1), max_value=date(2100, 12, 31)), st.booleans())
def test_a_day_off_round_trips_through_its_text_and_its_code(when: date, every_year: bool) -> None:
    day = ExtraHoliday(when.month, when.day, None if every_year else when.year, "Day off", "Source")
    assert parse_extra_holiday(str(day)) == day
    assert ExtraHoliday.from_code(day.code) == ExtraHoliday(day.month, day.day, day.year)
    assert day.on(when.year) == when
