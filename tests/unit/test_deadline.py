"""Due dates and reminder/escalation plans of stage entries (pathways.domain.deadline)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pathways.domain.calendar import TERRITORIES, calendar_for
from pathways.domain.deadline import PlannedNotice, due_at, is_overdue, plan_notices, within
from pathways.domain.extra_holidays import ExtraHoliday
from pathways.domain.loader import PathwayCatalog, load_pathway_dir
from pathways.domain.spec import StageSpec

PARIS = ZoneInfo("Europe/Paris")
BRUSSELS = ZoneInfo("Europe/Brussels")
PATHWAYS_DIR = Path(__file__).resolve().parents[2] / "config" / "pathways"


@cache
def catalogue() -> PathwayCatalog:
    return load_pathway_dir(PATHWAYS_DIR)


def label(text: str) -> dict[str, str]:
    return {"fr": text, "nl": text, "en": text}


def make_stage(deadline: dict[str, Any] | None, **extra: Any) -> StageSpec:
    document: dict[str, Any] = {
        "id": "review",
        "title": label("Review"),
        "deadline": deadline,
        "fields": {"meeting": {"type": "date", "label": label("Meeting")}},
        "outcomes": {"done": {"label": label("Done"), "end": "done"}},
    }
    return StageSpec.model_validate(document | extra)


def paris(year: int, month: int, day: int, hour: int = 10, minute: int = 0, second: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=PARIS)


def due(stage: StageSpec, entered: datetime, territory: str = "FR-75", **kw: Any) -> datetime | None:
    return due_at(
        stage,
        entered_at=entered.astimezone(UTC),
        territory=territory,
        zone=kw.pop("zone", PARIS),
        recorded=kw.pop("recorded", {}),
        extra_holidays=kw.pop("extra_holidays", ()),
    )


def notices(
    stage: StageSpec, entered: datetime, territory: str = "FR-75", zone: ZoneInfo = PARIS
) -> list[PlannedNotice]:
    when = due(stage, entered, territory, zone=zone)
    return plan_notices(stage, entered_at=entered.astimezone(UTC), due=when, territory=territory, zone=zone)


# Due dates


def test_intake_entered_on_8_july_in_paris_is_due_on_30_july_at_the_end_of_the_day() -> None:
    intake = catalogue().get("diagnosis").stage("intake")

    when = due(intake, paris(2026, 7, 8))

    # 15 business days, skipping the weekends and Bastille Day (Tuesday 14 July).
    assert when == paris(2026, 7, 30, 23, 59, 59)
    assert when is not None
    assert when.tzinfo == UTC
    assert when == datetime(2026, 7, 30, 21, 59, 59, tzinfo=UTC)


def test_the_due_day_is_counted_in_the_organisation_zone_not_in_utc() -> None:
    stage = make_stage({"business_days": 1})
    late_evening = paris(2026, 7, 8, 23, 30)  # still 8 July in Paris, 21:30 UTC

    assert due(stage, late_evening) == paris(2026, 7, 9, 23, 59, 59)
    assert due(stage, paris(2026, 7, 9, 0, 30)) == paris(2026, 7, 10, 23, 59, 59)  # 8 July 22:30 UTC


def test_a_winter_due_instant_is_one_hour_from_utc() -> None:
    stage = make_stage({"business_days": 2})

    assert due(stage, paris(2026, 1, 12)) == datetime(2026, 1, 14, 22, 59, 59, tzinfo=UTC)


def test_good_friday_delays_a_one_day_deadline_in_moselle_but_not_in_paris() -> None:
    stage = make_stage({"business_days": 1})
    thursday = paris(2026, 4, 2)  # Good Friday 3 April 2026, Easter Monday 6 April

    assert due(stage, thursday, "FR-75") == paris(2026, 4, 3, 23, 59, 59)
    assert due(stage, thursday, "FR-57") == paris(2026, 4, 7, 23, 59, 59)


def test_saint_stephen_delays_a_deadline_in_alsace_but_not_in_paris() -> None:
    stage = make_stage({"business_days": 1})
    christmas_eve = paris(2025, 12, 24)  # Thursday; 25 is Christmas, 26 Saint Stephen in Alsace-Moselle

    assert due(stage, christmas_eve, "FR-75") == paris(2025, 12, 26, 23, 59, 59)
    assert due(stage, christmas_eve, "FR-67") == paris(2025, 12, 29, 23, 59, 59)


def test_the_flemish_community_day_is_skipped_only_by_an_organisation_that_adds_it() -> None:
    stage = make_stage({"business_days": 1})
    thursday = datetime(2025, 7, 10, 10, tzinfo=BRUSSELS)  # 11 July 2025 is a Friday
    flemish_day = (ExtraHoliday(7, 11, name="Flemish Community Day", source="CP 329"),)

    # Not a legal public holiday: a business day in Flanders unless the organisation grants it.
    assert due(stage, thursday, "BE-VLG", zone=BRUSSELS) == datetime(2025, 7, 11, 23, 59, 59, tzinfo=BRUSSELS)
    assert due(stage, thursday, "BE-VLG", zone=BRUSSELS, extra_holidays=flemish_day) == datetime(
        2025, 7, 14, 23, 59, 59, tzinfo=BRUSSELS
    )


@pytest.mark.parametrize(
    ("deadline", "expected"),
    [
        ({"days": 10}, date(2026, 7, 18)),  # a Saturday: calendar days do not skip weekends
        ({"weeks": 4}, date(2026, 8, 5)),
        ({"months": 2}, date(2026, 9, 8)),
    ],
)
def test_calendar_deadlines_count_calendar_days(deadline: dict[str, int], expected: date) -> None:
    when = due(make_stage(deadline), paris(2026, 7, 8))

    assert when == datetime.combine(expected, time(23, 59, 59), tzinfo=PARIS)


def test_a_month_deadline_from_the_31st_is_clamped_to_the_end_of_the_month() -> None:
    when = due(make_stage({"months": 1}), paris(2026, 1, 31))

    assert when == paris(2026, 2, 28, 23, 59, 59)


def test_a_deadline_until_a_recorded_date_is_due_at_the_end_of_that_day() -> None:
    committee = catalogue().get("diagnosis").stage("committee")

    for recorded in ({"committee_date": "2026-09-15"}, {"committee_date": date(2026, 9, 15)}):
        assert due(committee, paris(2026, 7, 8), recorded=recorded) == paris(2026, 9, 15, 23, 59, 59)


def test_a_deadline_until_an_unknown_date_falls_back_to_its_default() -> None:
    committee = catalogue().get("diagnosis").stage("committee")

    when = due(committee, paris(2026, 7, 8), recorded={"other": "2026-09-15"})

    assert when == datetime.combine(
        calendar_for("FR-75").add_business_days(date(2026, 7, 8), 20), time(23, 59, 59), tzinfo=PARIS
    )
    assert when == paris(2026, 8, 6, 23, 59, 59)


def test_a_deadline_until_an_unknown_date_without_default_has_no_due_date_and_no_notices() -> None:
    stage = make_stage({"until": "meeting"}, remind=[{"before": {"business_days": 2}, "to": "officer"}])

    assert due(stage, paris(2026, 7, 8)) is None
    assert notices(stage, paris(2026, 7, 8)) == []


def test_a_stage_without_deadline_is_never_due() -> None:
    stage = make_stage(None)

    assert due(stage, paris(2026, 7, 8)) is None
    assert not is_overdue(None, paris(2030, 1, 1))
    assert not within(None, paris(2030, 1, 1), 365)


# Notice plans


def test_intake_reminders_fall_on_business_days_at_nine_and_escalations_after_the_due_day() -> None:
    intake = catalogue().get("diagnosis").stage("intake")

    planned = notices(intake, paris(2026, 7, 8))

    assert planned == [
        PlannedNotice(
            "remind:0", "reminder", "owner", "intake_documents", paris(2026, 7, 16, 9).astimezone(UTC)
        ),
        PlannedNotice("remind:1", "reminder", "officer", "reminder", paris(2026, 7, 27, 9).astimezone(UTC)),
        PlannedNotice(
            "escalate:0", "escalation", "officer", "escalation", paris(2026, 7, 31, 9).astimezone(UTC)
        ),
        PlannedNotice(
            "escalate:1", "escalation", "manager", "escalation", paris(2026, 8, 6, 9).astimezone(UTC)
        ),
    ]


def test_a_reminder_five_business_days_before_skips_a_public_holiday() -> None:
    stage = make_stage(
        {"business_days": 10},
        remind=[{"before": {"business_days": 5}, "to": "owner", "template": "board_approval"}],
        escalate=[{"after": {"business_days": 2}, "to": "manager"}],
    )
    friday = paris(2026, 7, 3)

    reminder, escalation = notices(stage, friday)

    # Due Monday 20 July; five business days back skips Bastille Day: Friday 10 July.
    assert due(stage, friday) == paris(2026, 7, 20, 23, 59, 59)
    assert reminder.due_at == paris(2026, 7, 10, 9).astimezone(UTC)
    assert (reminder.kind, reminder.to_role, reminder.template) == ("reminder", "owner", "board_approval")
    assert escalation.due_at == paris(2026, 7, 22, 9).astimezone(UTC)
    assert (escalation.kind, escalation.to_role, escalation.template) == (
        "escalation",
        "manager",
        "escalation",
    )


def test_reminders_that_would_fall_before_the_stage_was_entered_are_dropped() -> None:
    stage = make_stage(
        {"business_days": 3},
        remind=[
            {"before": {"business_days": 5}, "to": "owner"},
            {"before": {"business_days": 1}, "to": "officer"},
        ],
        escalate=[{"after": {"business_days": 1}, "to": "manager"}],
    )

    planned = notices(stage, paris(2026, 7, 8))

    assert [n.rule for n in planned] == ["remind:1", "escalate:0"]  # rules keep their index
    assert planned[0].due_at == paris(2026, 7, 10, 9).astimezone(UTC)


def test_a_reminder_at_nine_on_the_day_of_entry_after_nine_is_dropped() -> None:
    stage = make_stage({"business_days": 1}, remind=[{"before": {"business_days": 1}, "to": "officer"}])

    assert notices(stage, paris(2026, 7, 8, 8, 59)) != []
    assert notices(stage, paris(2026, 7, 8, 9, 1)) == []


def test_reminders_of_a_deadline_until_a_recorded_date_count_back_from_that_date() -> None:
    committee = catalogue().get("diagnosis").stage("committee")
    entered = paris(2026, 7, 8)
    when = due(committee, entered, recorded={"committee_date": "2026-09-15"})

    planned = plan_notices(
        committee, entered_at=entered.astimezone(UTC), due=when, territory="FR-75", zone=PARIS
    )

    reminder = planned[0]
    assert (reminder.rule, reminder.template) == ("remind:0", "committee_agenda")
    assert reminder.due_at == paris(2026, 9, 1, 9).astimezone(UTC)  # 10 business days before 15 September


def test_overdue_is_strictly_after_the_due_instant() -> None:
    when = paris(2026, 7, 30, 23, 59, 59)

    assert not is_overdue(when, when)
    assert is_overdue(when, when + timedelta(seconds=1))
    assert within(when, when - timedelta(days=3), 3)
    assert not within(when, when - timedelta(days=3, seconds=1), 3)


# Properties

territories = st.sampled_from(sorted(TERRITORIES))
entries = st.datetimes(min_value=datetime(2024, 1, 1), max_value=datetime(2032, 12, 31)).map(
    lambda d: d.replace(tzinfo=PARIS)
)


@settings(deadline=None, max_examples=200)
@given(territory=territories, entered=entries, days=st.integers(min_value=1, max_value=60))
def test_a_business_day_deadline_never_lands_on_a_weekend_or_a_public_holiday(
    territory: str, entered: datetime, days: int
) -> None:
    stage = make_stage({"business_days": days})
    calendar = calendar_for(territory)

    when = due(stage, entered, territory)

    assert when is not None
    due_day = when.astimezone(PARIS).date()
    assert calendar.is_business_day(due_day)
    assert calendar.business_days_between(entered.astimezone(PARIS).date(), due_day) == days


@settings(deadline=None, max_examples=200)
@given(
    territory=territories,
    entered=entries,
    days=st.integers(min_value=1, max_value=40),
    before=st.integers(min_value=1, max_value=40),
    after=st.integers(min_value=1, max_value=20),
)
def test_business_day_notices_fall_at_nine_on_business_days_around_the_due_day(
    territory: str, entered: datetime, days: int, before: int, after: int
) -> None:
    stage = make_stage(
        {"business_days": days},
        remind=[{"before": {"business_days": before}, "to": "officer"}],
        escalate=[{"after": {"business_days": after}, "to": "manager"}],
    )
    calendar = calendar_for(territory)
    when = due(stage, entered, territory)
    assert when is not None

    planned = notices(stage, entered, territory)

    entered_day = entered.astimezone(PARIS).date()
    kept_reminder = before < days or (
        before == days
        and calendar.is_business_day(entered_day)
        and entered.astimezone(PARIS).time() < time(9)
    )
    assert [n.kind for n in planned] == (["reminder"] if kept_reminder else []) + ["escalation"]
    for notice in planned:
        local = notice.due_at.astimezone(PARIS)
        assert local.time() == time(9, 0)
        assert calendar.is_business_day(local.date())
        assert notice.due_at > entered
    reminders = [n for n in planned if n.kind == "reminder"]
    if reminders:
        reminder_day = reminders[0].due_at.astimezone(PARIS).date()
        assert calendar.business_days_between(reminder_day, when.astimezone(PARIS).date()) == before
    assert planned[-1].due_at > when
