"""Issue 22's engine features on the shipped pathways: an organisation's own local rules over its
files' (``organisation.options``), a warning for mission days outside the usual range, a local project
lead's case entering ongoing support at the founding, and new needs going back to the support plan."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from builders import decide, make_org, make_person, make_project, open_case
from pathways.bootstrap import App
from pathways.errors import FieldError, RuleViolation
from pathways.services.casework import opening
from pathways.services.casework.views import OpenedCase
from pathways.services.people import accounts, org_options
from pathways.services.tx import write
from pathways.store.core import AUDIT
from pathways.web import create_app
from security.inprocess_cli import environment, run

PASSWORD = "correct horse battery staple"
LATE_ANSWER = {"brief_sent_on": "2026-07-01", "consultant_answer_on": "2026-07-07"}  # 6 days: on time
LATER_ANSWER = {"brief_sent_on": "2026-06-22", "consultant_answer_on": "2026-07-06"}  # 14 days: late


@dataclass(frozen=True)
class Desk:
    org: int
    officer: int
    manager: int
    consultant: int


@pytest.fixture
def desk(app: App) -> Desk:
    org = make_org(app, name="DLA des Alpes-Maritimes", territory="FR-06")
    officer = make_person(app, org, name="Camille Martin", email="camille@example.org")
    manager = make_person(app, org, role="manager", name="Nora Haddad", email="nora@example.org")
    consultant = make_person(app, org, role="resource", name="Conseil Coop")
    return Desk(org, officer, manager, consultant)


def brief_case(app: App, desk: Desk, org: int | None = None) -> OpenedCase:
    officer = desk.officer if org is None else make_person(app, org)
    return open_case(app, make_project(app, org or desk.org), officer, "ongoing_support")


def choose(app: App, desk: Desk, ref: str, answer: dict[str, str]) -> Any:
    return decide(
        app, ref, "consultant_chosen", {**answer, "consultant": str(desk.consultant)}, by=desk.officer
    )


# Local rules per organisation


def test_an_organisations_setting_switches_a_charter_rule_on_for_its_cases_only(app: App, desk: Desk) -> None:
    elsewhere = make_org(app, name="DLA de Paris")
    with write(app) as tx:
        saved = org_options.set_options(tx, desk.org, [("consultant_bid_within_week", True)])
    assert saved == {"consultant_bid_within_week": True}

    with pytest.raises(RuleViolation) as refused:
        choose(app, desk, brief_case(app, desk).ref, LATER_ANSWER)
    assert refused.value.rule == "consultant_answer_within_week"
    assert choose(app, desk, brief_case(app, desk).ref, LATE_ANSWER).entered == "mission"
    # The file has the rule off: another organisation's case is not held to it.
    theirs = brief_case(app, desk, elsewhere).ref
    consultant = make_person(app, elsewhere, role="resource")
    assert (
        decide(app, theirs, "consultant_chosen", {**LATER_ANSWER, "consultant": str(consultant)}).entered
        == "mission"
    )

    with write(app) as tx:  # back to the file's value
        assert org_options.set_options(tx, desk.org, [("consultant_bid_within_week", None)]) == {}
    assert choose(app, desk, brief_case(app, desk).ref, LATER_ANSWER).entered == "mission"
    with app.store.read() as conn:
        changes = conn.execute(
            select(AUDIT.c.payload).where(AUDIT.c.kind == "organisation_options_changed").order_by(AUDIT.c.id)
        ).scalars()
        assert [p["options"] for p in changes] == [{"consultant_bid_within_week": True}, {}]


def test_an_organisations_setting_overrides_a_file_that_switches_the_rule_on(app: App, desk: Desk) -> None:
    case = brief_case(app, desk)  # on the current file: the rule is off
    project = make_project(app, desk.org)
    with write(app) as tx:
        v1 = opening.open_case(
            tx, app.catalog, project=project, pathway="ongoing_support", officer=desk.officer, version=1
        )
    with pytest.raises(RuleViolation):  # version 1 switches it on
        choose(app, desk, v1.ref, LATER_ANSWER)
    with write(app) as tx:
        org_options.set_options(tx, desk.org, [("consultant_bid_within_week", False)])
    assert choose(app, desk, v1.ref, LATER_ANSWER).entered == "mission"
    assert choose(app, desk, case.ref, LATER_ANSWER).entered == "mission"


@pytest.mark.parametrize(
    ("setting", "says"),
    [
        ("consultant_bid_within_week", "not name=value"),
        ("consultant_bid_within_a_week=on", "unknown option"),
        ("ptce_edition=maybe", "not on, off or default"),
    ],
)
def test_the_cli_refuses_a_bad_option_naming_it_and_changes_nothing(
    app: App, desk: Desk, tmp_path: Path, setting: str, says: str
) -> None:
    ran = run(environment(app, tmp_path), "org", "update", str(desk.org), "--option", setting)
    assert (ran.code, ran.crash) == (2, None), ran.output
    assert "option" in ran.output
    assert says in ran.output
    with app.store.read() as conn:
        assert org_options.options_of(conn, desk.org) == {}


def test_the_cli_sets_and_shows_an_organisations_options(app: App, desk: Desk, tmp_path: Path) -> None:
    env = environment(app, tmp_path)
    ran = run(env, "org", "update", str(desk.org), "--option", "ptce_edition=on",
              "--option", "geiq_transfer_days=off", "--json")  # fmt: skip
    assert (ran.code, ran.crash) == (0, None), ran.output
    assert json.loads(ran.out)["options"] == {"geiq_transfer_days": False, "ptce_edition": True}
    shown = run(env, "org", "options", str(desk.org))
    assert "ptce_edition" in shown.out
    assert "(file's value)" in shown.out


@pytest.fixture
def api(app: App, desk: Desk) -> Iterator[tuple[TestClient, dict[str, dict[str, str]]]]:
    headers = {}
    with write(app) as tx:
        for who, person in (("officer", desk.officer), ("manager", desk.manager)):
            accounts.add_user(tx, person=person, password=PASSWORD, language="fr")
            token = accounts.create_token(tx, person=person, name="tests").token
            headers[who] = {"Authorization": f"Bearer {token}"}
    with TestClient(create_app(app), follow_redirects=False) as client:
        yield client, headers


def test_the_api_changes_options_for_managers_and_refuses_an_unknown_one(
    app: App, desk: Desk, api: tuple[TestClient, dict[str, dict[str, str]]]
) -> None:
    client, headers = api
    url = f"/api/v1/orgs/{desk.org}/options"
    body = {"options": {"board_approval_before_action": True}}
    assert client.patch(url, json=body, headers=headers["officer"]).status_code == 403
    changed = client.patch(url, json=body, headers=headers["manager"])
    assert changed.status_code == 200, changed.text
    assert {o["name"]: o["organisation"] for o in changed.json()}["board_approval_before_action"] is True
    unknown = client.patch(url, json={"options": {"board_approval": True}}, headers=headers["manager"])
    assert unknown.status_code == 422
    assert "option" in unknown.text
    shown = client.get(url, headers=headers["officer"]).json()
    assert [o["name"] for o in shown if o["organisation"] is not None] == ["board_approval_before_action"]
    elsewhere = make_org(app, name="DLA du Nord")
    assert client.get(f"/api/v1/orgs/{elsewhere}/options", headers=headers["manager"]).status_code == 404


# Mission days outside the usual range: a warning, not a refusal


def plan(desk: Desk, days: str) -> dict[str, str]:
    return {"consultant": str(desk.consultant), "planned_days": days, "window_start": "2026-07-20",
            "window_end": "2026-09-30"}  # fmt: skip


@pytest.mark.parametrize(
    ("days", "warned"), [("8", True), ("1", True), ("2", False), ("4.5", False), ("5", False)]
)
def test_mission_days_outside_2_to_5_are_recorded_with_a_warning(
    app: App, desk: Desk, days: str, warned: bool
) -> None:
    case = open_case(app, make_project(app, desk.org), desk.officer, "consulting_mission")
    decided = decide(app, case.ref, "planned", plan(desk, days), by=desk.officer)
    assert decided.entered == "delivery"  # recorded either way
    assert [w.field for w in decided.warnings] == (["planned_days"] if warned else [])
    with app.store.read() as conn:
        payload = conn.execute(
            select(AUDIT.c.payload).where(AUDIT.c.case_id == case.id, AUDIT.c.kind == "decision")
        ).scalar_one()
    assert payload.get("outside_usual") == (["planned_days"] if warned else None)


def test_the_cli_and_the_case_page_show_the_warning_after_the_decision(
    app: App, desk: Desk, tmp_path: Path, api: tuple[TestClient, dict[str, dict[str, str]]]
) -> None:
    first = open_case(app, make_project(app, desk.org), desk.officer, "consulting_mission")
    sets = [arg for k, v in plan(desk, "8").items() for arg in ("--set", f"{k}={v}")]
    ran = run(environment(app, tmp_path), "case", "decide", first.ref, "planned", *sets)
    assert (ran.code, ran.crash) == (0, None), ran.output
    assert "warning: planned_days = 8 is outside the usual range (2 to 5); recorded anyway" in ran.out

    client, _ = api
    login = client.get("/login").text
    csrf = login.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
    form = {"login": "camille@example.org", "password": PASSWORD, "csrf_token": csrf, "next": "/cases"}
    assert client.post("/login", data=form).status_code == 303
    case = open_case(app, make_project(app, desk.org), desk.officer, "consulting_mission")
    page = client.get(f"/cases/{case.ref}").text
    csrf = page.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
    posted = client.post(
        f"/cases/{case.ref}/decide",
        data={"csrf_token": csrf, "outcome": "planned", "version": "1", **plan(desk, "7")},
    )
    assert posted.status_code == 303, posted.text
    assert posted.headers["location"] == f"/cases/{case.ref}?decided=1&warn=planned_days"
    shown = client.get(posted.headers["location"]).text
    assert 'data-warning="planned_days"' in shown
    assert "Jours-consultant prévus : 7 est en dehors de la fourchette habituelle (2–5)" in shown
    # A value inside the range, or a field the pathway does not know, shows nothing.
    quiet = client.get(f"/cases/{first.ref}?decided=1&warn=window_end&warn=nope").text
    assert "data-warning" not in quiet


# The routes of ongoing support, version 3


def test_a_local_project_leads_case_spawned_by_replication_starts_at_the_founding(
    app: App, desk: Desk
) -> None:
    parent = open_case(app, make_project(app, desk.org, phase="consolidation"), desk.officer, "swarming")
    lead, other = make_project(app, desk.org, phase="idea", siret=None), make_project(app, desk.org)
    with write(app) as tx:
        child = opening.open_case(
            tx,
            app.catalog,
            project=lead,
            pathway="ongoing_support",
            officer=desk.officer,
            parent_id=parent.id,
        )
        # opened by someone (or handed off from another pathway): at the brief
        handed = opening.open_case(
            tx, app.catalog, project=other, pathway="ongoing_support", officer=desk.officer
        )
    assert (child.stage, handed.stage) == ("founding", "brief")


def test_new_needs_go_back_to_the_support_plan_then_to_a_brief_or_internal_actions(
    app: App, desk: Desk
) -> None:
    ref = brief_case(app, desk).ref
    choose(app, desk, ref, LATE_ANSWER)
    mission = {"missions": "Mission RH", "consultant_days": "4", "reports": "Rapport RH"}
    decide(app, ref, "done", mission, by=desk.officer)
    follow = {"jobs_created": "1", "jobs_kept": "4", "financial_health": "stable", "new_needs": "Gouvernance"}
    assert decide(app, ref, "new_needs", follow, by=desk.officer).entered == "plan_update"
    with pytest.raises(RuleViolation):  # neither internal actions nor referrals
        decide(app, ref, "internal_only", {"plan_updated_on": "2026-07-08"}, by=desk.officer)
    with pytest.raises(FieldError):
        decide(app, ref, "new_brief", {}, by=desk.officer)
    internal = {"plan_updated_on": "2026-07-08", "referrals": "France Active"}
    assert decide(app, ref, "internal_only", internal, by=desk.officer).entered == "follow_up"
    assert decide(app, ref, "new_needs", follow, by=desk.officer).entered == "plan_update"
    assert (
        decide(app, ref, "new_brief", {"plan_updated_on": "2026-07-08"}, by=desk.officer).entered == "brief"
    )
