"""Days off an organisation adds (Belgian community days): stored, audited, and counted in its deadlines only.

Both databases: the decision's read carries the organisation's days off as one aggregated
column (string_agg on PostgreSQL, group_concat on SQLite).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from builders import INTAKE_RELEVANT, decide, make_org, make_person, make_project, open_diagnosis
from pathways.bootstrap import App
from pathways.domain.calendar import calendar_for
from pathways.domain.extra_holidays import ExtraHoliday
from pathways.errors import FieldError
from pathways.services.casework.views import OpenedCase
from pathways.services.people import org_holidays
from pathways.services.tx import write
from pathways.store.core import AUDIT as EVENTS
from pathways.web import create_app

BRUSSELS = ZoneInfo("Europe/Brussels")
ROOT = Path(__file__).resolve().parents[2]
FLEMISH_DAY = ExtraHoliday(7, 11, name="Feest van de Vlaamse Gemeenschap", source="PC 329 sector agreement")


def brussels(year: int, month: int, day: int, hour: int = 10) -> datetime:
    return datetime(year, month, day, hour, tzinfo=BRUSSELS)


def due_day(when: Any) -> date:
    assert isinstance(when, datetime)
    return when.astimezone(BRUSSELS).date()


def flemish_pair(app: App) -> tuple[int, int]:
    """Two Flemish organisations; only the first grants 11 July. Each has an officer and a project."""
    granting = make_org(app, name="Ondersteuning Gent", territory="BE-VLG", extra_holidays=[FLEMISH_DAY])
    plain = make_org(app, name="Ondersteuning Brugge", territory="BE-VLG")
    return granting, plain


def open_in(app: App, org: int, at: datetime) -> OpenedCase:
    officer = make_person(app, org)
    return open_diagnosis(app, make_project(app, org, siret=None), officer, at=at.astimezone(UTC))


def test_a_deadline_skips_the_day_off_of_its_organisation_only(app: App) -> None:
    granting, plain = flemish_pair(app)
    monday = brussels(2025, 7, 7)  # 11 July 2025 is a Friday; 21 July (National Day) a Monday

    granted = open_in(app, granting, monday)
    other = open_in(app, plain, monday)

    # Intake: 15 business days. Tue 8 .. Fri 11 (4), Mon 14 .. Fri 18 (9), [Mon 21 National Day],
    # Tue 22 .. Fri 25 (13), Mon 28 (14), Tue 29 (15); one day later where 11 July is off.
    assert due_day(other.due_at) == date(2025, 7, 29)
    assert due_day(granted.due_at) == date(2025, 7, 30)
    assert calendar_for("BE-VLG").add_business_days(date(2025, 7, 7), 15) == date(2025, 7, 29)


def test_a_decision_counts_the_next_deadline_with_the_organisation_days_off(app: App) -> None:
    granting, plain = flemish_pair(app)
    # A bridge day the day after the decision, for the granting organisation only.
    bridge = ExtraHoliday(7, 9, 2026, name="Brugdag", source="Ondernemingsraad, 3 maart 2026")
    with write(app) as tx:
        org_holidays.set_extra_holidays(tx, granting, [FLEMISH_DAY, bridge])
    wednesday = brussels(2026, 7, 8)
    granted, other = open_in(app, granting, wednesday), open_in(app, plain, wednesday)

    moved = [
        decide(app, case.ref, "relevant", INTAKE_RELEVANT, at=wednesday.astimezone(UTC))
        for case in (granted, other)
    ]

    # Shared diagnosis: 40 business days from Wed 8 July 2026, 21 July (National Day) and
    # Sat 15 August (Assumption) on the way: Thu 3 September; Fri 4 where the bridge day is off.
    assert [m.entered for m in moved] == ["shared_diagnosis", "shared_diagnosis"]
    assert due_day(moved[1].due_at) == date(2026, 9, 3)
    assert due_day(moved[0].due_at) == date(2026, 9, 4)
    assert calendar_for("BE-VLG").add_business_days(date(2026, 7, 8), 40) == date(2026, 9, 3)


def test_the_list_is_stored_by_date_and_each_change_is_audited_with_it(app: App) -> None:
    granting, plain = flemish_pair(app)
    iris = ExtraHoliday(5, 8, name="Irisfeest", source="Brussels public employer")
    with write(app) as tx:
        org_holidays.set_extra_holidays(tx, granting, [FLEMISH_DAY, iris])
    with write(app) as tx:  # the same list again: nothing changes, nothing is audited
        org_holidays.set_extra_holidays(tx, granting, [iris, FLEMISH_DAY])
    with write(app) as tx:
        org_holidays.set_extra_holidays(tx, granting, [])

    with app.store.read() as conn:
        assert org_holidays.extra_holidays(conn, granting) == ()
        assert org_holidays.extra_holidays(conn, plain) == ()
        events = conn.execute(
            select(EVENTS.c.kind, EVENTS.c.payload)
            .where(EVENTS.c.organisation_id == granting, EVENTS.c.kind == "organisation_updated")
            .order_by(EVENTS.c.seq)
        ).all()
    assert [(kind, payload["extra_holidays"]) for kind, payload in events] == [
        ("organisation_updated", ["07-11=Feest van de Vlaamse Gemeenschap|PC 329 sector agreement"]),
        (
            "organisation_updated",
            [
                "05-08=Irisfeest|Brussels public employer",
                "07-11=Feest van de Vlaamse Gemeenschap|PC 329 sector agreement",
            ],
        ),
        ("organisation_updated", []),
    ]


def test_a_date_listed_twice_is_refused_and_nothing_is_written(app: App) -> None:
    granting, _plain = flemish_pair(app)
    twice = ExtraHoliday(7, 11, name="Other name", source="Other source")
    with pytest.raises(FieldError, match="07-11 is listed twice"), write(app) as tx:
        org_holidays.set_extra_holidays(tx, granting, [FLEMISH_DAY, twice])
    with app.store.read() as conn:
        assert org_holidays.extra_holidays(conn, granting) == (FLEMISH_DAY,)


# The API


@dataclass(frozen=True)
class Api:
    client: TestClient
    org: int
    other: int
    manager: dict[str, str]
    officer: dict[str, str]


@pytest.fixture
def api(app: App) -> Iterator[Api]:
    from pathways.services.people import accounts

    org, other = flemish_pair(app)
    tokens = {}
    for role in ("manager", "officer"):
        person = make_person(app, org, role=role)
        with write(app) as tx:
            accounts.add_user(tx, person=person, password="correct horse battery staple", language="en")
            tokens[role] = {
                "Authorization": f"Bearer {accounts.create_token(tx, person=person, name='t').token}"
            }
    with TestClient(create_app(app)) as client:
        yield Api(client, org, other, tokens["manager"], tokens["officer"])


def test_a_manager_replaces_the_days_off_through_the_api(api: Api) -> None:
    url = f"/api/v1/orgs/{api.org}/holidays"
    assert api.client.get(url, headers=api.officer).json() == {
        "extra_holidays": [
            {"date": "07-11", "name": "Feest van de Vlaamse Gemeenschap", "source": "PC 329 sector agreement"}
        ]
    }
    body = {
        "extra_holidays": [
            {"date": "2026-07-20", "name": "Brugdag", "source": "Ondernemingsraad"},
            {"date": "09-27", "name": "Fête de la Fédération Wallonie-Bruxelles", "source": "CP 329.02"},
        ]
    }
    replaced = api.client.put(url, json=body, headers=api.manager)
    assert replaced.status_code == 200, replaced.text
    assert [d["date"] for d in replaced.json()["extra_holidays"]] == ["09-27", "2026-07-20"]
    assert api.client.get(url, headers=api.officer).json() == replaced.json()


@pytest.mark.parametrize(
    ("who", "where", "status"),
    [("officer", "org", 403), ("manager", "other", 404)],
)
def test_only_a_manager_of_the_organisation_changes_its_days_off(
    api: Api, who: str, where: str, status: int
) -> None:
    org = api.org if where == "org" else api.other
    body: dict[str, list[object]] = {"extra_holidays": []}
    answer = api.client.put(f"/api/v1/orgs/{org}/holidays", json=body, headers=getattr(api, who))
    assert answer.status_code == status
    assert (
        len(api.client.get(f"/api/v1/orgs/{api.org}/holidays", headers=api.officer).json()["extra_holidays"])
        == 1
    )


@pytest.mark.parametrize(
    ("day", "field_or_detail"),
    [
        ({"date": "02-30", "name": "x", "source": "y"}, "no such date"),
        ({"date": "2026-7-1", "name": "x", "source": "y"}, "date"),
        ({"date": "07-11", "name": "", "source": "y"}, "name"),
        ({"date": "07-11", "name": "x"}, "source"),
    ],
)
def test_a_bad_day_off_is_a_422_naming_what_is_wrong(
    api: Api, day: dict[str, str], field_or_detail: str
) -> None:
    answer = api.client.put(
        f"/api/v1/orgs/{api.org}/holidays", json={"extra_holidays": [day]}, headers=api.manager
    )
    assert answer.status_code == 422
    assert field_or_detail in answer.text


# The command line, as people run it (exit codes)


def run(app: App, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PATHWAYS_")} | {
        "PATHWAYS_DATABASE_URL": app.store.engine.url.render_as_string(hide_password=False),
        "PATHWAYS_AUDIT_KEY": app.audit_key.decode(),
        "PATHWAYS_ENVIRONMENT": "test",
        "PYTHONPATH": str(ROOT / "src"),
        "COLUMNS": "200",
        "NO_COLOR": "1",
    }
    argv = [sys.executable, "-m", "pathways", *args]
    return subprocess.run(argv, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=False)


def test_org_add_and_update_take_extra_holidays_and_refuse_a_bad_one_by_name(app: App) -> None:
    added = run(
        app,
        "org",
        "add",
        "Ondersteuning Gent",
        "--territory",
        "BE-VLG",
        "--extra-holidays",
        "07-11=Feest van de Vlaamse Gemeenschap|PC 329",
        "--json",
    )
    assert added.returncode == 0, added.stderr
    bad = run(app, "org", "update", "ondersteuning-gent", "--extra-holidays", "11-31=Nope|PC 329")
    assert bad.returncode == 2
    assert "'11-31=Nope|PC 329': no such date" in bad.stderr
    assert "Traceback" not in bad.stderr
    updated = run(
        app,
        "org",
        "update",
        "ondersteuning-gent",
        "--extra-holidays",
        "09-27=Fête de la Communauté française|CP 329.02",
        "--extra-holidays",
        "05-08=Irisfeest|Brussels public employer",
        "--json",
    )
    assert updated.returncode == 0, updated.stderr
    with app.store.read() as conn:
        org = json.loads(added.stdout)["id"]
        assert [str(d) for d in org_holidays.extra_holidays(conn, org)] == [
            "05-08=Irisfeest|Brussels public employer",
            "09-27=Fête de la Communauté française|CP 329.02",
        ]
