"""Each programme rule through the `pathways` command: refused (exit 4, named, nothing changed), then allowed.

One installation per module (`pathways init`, people, projects, two transfers already
validated this year), copied for each test.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from cli_home import (
    CONSULTANT,
    OFFICER,
    OTHER_RESOURCE,
    PROJECTS,
    RESOURCE,
    ROOT,
    Home,
    fresh_copy,
    seed,
    sets,
)

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Home:
    """The journeys' installation, and two transfers validated in 2026 for the first resource person."""
    home = Home(tmp_path_factory.mktemp("rules-template"))
    seed(home)
    from pathways.bootstrap import App, Clock
    from pathways.services.casework import cases, opening, work
    from pathways.services.people import directory
    from pathways.services.tx import write
    from pathways.settings import load_settings
    from pathways.store.db import Store

    store = Store.from_url(home.url)
    settings = load_settings(
        database_url=home.url, config_dir=ROOT / "config", environment="test", home=home.folder
    )
    app = App(settings=settings, store=store, clock=Clock(datetime(2026, 3, 2, 9, tzinfo=UTC)))
    steps = [
        ("eligible", {"beneficiary_role": "founder", "network": "PTCE", "requested_resource_person": RESOURCE,
                      "topics": "governance", "reason": "Gouvernance"}),
        ("accepted", {"resource_person": RESOURCE, "resource_employer": "Régie", "framed_questions": "A;B;C",
                      "accepted_on": "2026-03-02"}),
        ("validated", {"validated_on": "2026-03-03"}),
    ]  # fmt: skip
    for name in ("Repair Café Gerland", "Tiers-lieu Les Halles"):
        with write(app) as tx:
            org = directory.find_org(tx.conn, "dla-de-paris-e2e")["id"]
            project = directory.add_project(
                tx, name=name, org=org, owner=None, siret=None, bce=None, territory=None, phase="founded",
                legal_form="association", permanent_jobs=3,
            )  # fmt: skip
            ref = opening.open_case(
                tx, app.catalog, project=project.id, pathway="peer_transfer", officer=OFFICER
            )["ref"]
        for outcome, values in steps:
            with write(app) as tx:
                cases.decide(tx, app.catalog, case=ref, outcome=outcome, values=values)
    work.run_pending(app)
    store.dispose()
    return home


@pytest.fixture
def home(template: Home, tmp_path: Path) -> Home:
    return fresh_copy(template, tmp_path)


def refused(home: Home, ref: str, outcome: str, values: dict[str, str], rule: str, *, now: str) -> None:
    """The decision is refused with exit 4 naming `rule`, and the case is exactly as before."""
    before = home.show(ref)
    result = home.run("case", "decide", ref, outcome, *sets(values), now=now)
    assert result.code == 4, result.out + result.err
    assert f"rule '{rule}'" in result.err
    assert "hint:" in result.err  # what to do instead
    assert home.show(ref) == before


def test_diagnosis_eligibility_and_board_approval(home: Home, tmp_path: Path) -> None:
    ref = home.open(home.project("diagnosis"), "diagnosis", OFFICER, now="2026-07-08T10:00")
    intake = {
        "met_on": "2026-07-08",
        "legal_form": "association",
        "salaried_jobs": "4",
        "request": "Consolider",
    }

    refused(
        home, ref, "relevant", intake | {"legal_form": "other"}, "diagnosis_eligibility", now="2026-07-09"
    )
    refused(home, ref, "relevant", intake | {"salaried_jobs": "0"}, "diagnosis_eligibility", now="2026-07-09")
    assert home.decide(ref, "relevant", intake, now="2026-07-09")["entered"] == "shared_diagnosis"

    accepted = {"interviews": "2026-07-10", "validated_on": "2026-07-20", "priority_issues": "Gouvernance"}
    home.decide(ref, "accepted", accepted, now="2026-07-20")
    plan = {"board_approval": "no", "committee_date": "2026-09-15"}
    refused(home, ref, "validated", plan, "board_approval_recorded", now="2026-07-22")
    approved = plan | {"board_approval": "yes", "board_approval_on": "2026-07-22"}
    assert home.decide(ref, "validated", approved, now="2026-07-22")["entered"] == "committee"


def test_consultants_answer_a_brief_within_a_week(home: Home) -> None:
    ref = home.open(home.project("ongoing_support"), "ongoing_support", OFFICER, now="2026-07-08T10:00")
    brief = {"brief_sent_on": "2026-07-08", "consultant": CONSULTANT}

    late = brief | {"consultant_answer_on": "2026-07-16"}
    refused(home, ref, "consultant_chosen", late, "consultant_answer_within_week", now="2026-07-17")
    on_time = brief | {"consultant_answer_on": "2026-07-15"}
    assert home.decide(ref, "consultant_chosen", on_time, now="2026-07-17")["entered"] == "mission"


def test_peer_transfer_yearly_cap_and_three_month_window(home: Home) -> None:
    ref = home.open(home.project("peer_transfer"), "peer_transfer", OFFICER, now="2026-07-01T10:00")
    request = {"beneficiary_role": "salaried_director", "network": "PTCE", "topics": "governance"}
    request |= {"requested_resource_person": RESOURCE, "reason": "Gouvernance"}
    home.decide(ref, "eligible", request, now="2026-07-02")

    def accepted(resource: str) -> dict[str, str]:
        return {"resource_person": resource, "resource_employer": "Régie", "framed_questions": "A;B;C",
                "accepted_on": "2026-07-09"}  # fmt: skip

    home.decide(ref, "accepted", accepted(RESOURCE), now="2026-07-10")
    # The resource person already has two transfers validated in 2026 (see the template).
    refused(
        home, ref, "validated", {"validated_on": "2026-07-15"}, "resource_person_yearly_cap", now="2026-07-15"
    )
    home.decide(ref, "rematch", {"rematch_reason": "Plafond annuel atteint"}, now="2026-07-15")
    home.decide(ref, "accepted", accepted(OTHER_RESOURCE), now="2026-07-16")
    assert (
        home.decide(ref, "validated", {"validated_on": "2026-07-17"}, now="2026-07-17")["entered"]
        == "transfer"
    )

    transfer = {"half_days": "4", "agenda": "Gouvernance"}
    late = transfer | {"transfer_days": "2026-08-03;2026-10-19"}  # the window ends on 17 October
    refused(home, ref, "done", late, "transfer_within_three_months", now="2026-10-20")
    in_time = transfer | {"transfer_days": "2026-08-03;2026-10-16"}
    assert home.decide(ref, "done", in_time, now="2026-10-20")["entered"] == "review"


def test_only_a_proven_model_is_swarmed(home: Home) -> None:
    def cases() -> list[tuple[Any, ...]]:
        return home.query('SELECT ref FROM "case" ORDER BY id')

    before = cases()
    result = home.run("case", "open", home.project("unproven"), "swarming", "--officer", OFFICER)
    assert result.code == 4, result.out + result.err
    assert "rule 'proven_model'" in result.err
    assert PROJECTS["unproven"] in result.err
    assert cases() == before
    assert home.query("SELECT count(*) FROM refcounter WHERE prefix = 'SWRM'") == [(0,)]  # no reference used

    opened = home.open(home.project("swarming"), "swarming", OFFICER, now="2026-07-01T10:00")
    assert opened == "SWRM-2026-0001"
    assert home.show(opened)["stage"] == "codify"
