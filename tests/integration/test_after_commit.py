"""The one after-commit mechanism (`App.after_commit`): what a change queued runs, and nothing else.

Every entry point (pages, API, CLI, demo) calls it once its change has committed. With the
inline executor it runs the work of the case changed and of the cases that work opens; another
case's work, of the same organisation or not, waits for its own change or for a runner. With
Prefect nothing runs in the caller: the relay asks for the runs.
"""

from __future__ import annotations

from dataclasses import asdict, replace
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select

from builders import (
    COMMITTEE_FAVOURABLE,
    DIAGNOSIS_ACCEPTED,
    INTAKE_RELEVANT,
    PLAN_VALIDATED,
    decide,
    make_org,
    make_person,
    make_project,
    open_diagnosis,
)
from pathways.bootstrap import App
from pathways.services.people import accounts
from pathways.services.tx import write
from pathways.settings import load_settings
from pathways.store.core import CASE, JOB
from pathways.web import create_app


def waiting(app: App, case_id: int) -> list[str]:
    """The keys of the case's jobs not yet done."""
    with app.store.read() as conn:
        query = select(JOB.c.key).where(JOB.c.case_id == case_id, JOB.c.status != "done").order_by(JOB.c.id)
        return list(conn.scalars(query))


def a_case(app: App, org: int) -> dict[str, Any]:
    officer = make_person(app, org)
    return asdict(open_diagnosis(app, make_project(app, org), officer)) | {"officer": officer}


def test_a_change_runs_its_own_cases_work_and_leaves_every_other_case_waiting(app: App) -> None:
    here = make_org(app, name="DLA de Paris")
    mine, neighbour = a_case(app, here), a_case(app, here)
    theirs = a_case(app, make_org(app, name="Réseau voisin"))
    assert waiting(app, mine["id"])
    assert waiting(app, neighbour["id"])
    assert waiting(app, theirs["id"])

    followed = app.after_commit(mine["id"])

    assert [(r.key.split(":")[0], r.status) for r in followed.ran] == [("step", "done")]  # the intake sheet
    assert not followed.deferred
    assert waiting(app, mine["id"]) == []
    assert waiting(app, neighbour["id"]) != []  # the same organisation, another case: not this change's
    assert waiting(app, theirs["id"]) != []  # another organisation: never run by this caller


def test_the_work_of_a_case_a_hand_off_opens_runs_in_the_same_follow_up(app: App) -> None:
    here = make_org(app)
    case = a_case(app, here)
    theirs = a_case(app, make_org(app))
    app.after_commit(case["id"])
    for outcome, values in (
        ("relevant", INTAKE_RELEVANT),
        ("accepted", DIAGNOSIS_ACCEPTED),
        ("validated", PLAN_VALIDATED),
    ):
        app.after_commit(decide(app, case["ref"], outcome, values, by=case["officer"]).case_id)

    decided = decide(app, case["ref"], "favourable", COMMITTEE_FAVOURABLE, by=case["officer"])
    followed = app.after_commit(decided.case_id, queued=decided.queued_work)

    with app.store.read() as conn:
        (child,) = conn.execute(select(CASE.c.id, CASE.c.ref).where(CASE.c.parent_id == case["id"])).all()
    kinds = [r.key.split(":")[0] for r in followed.ran]
    assert kinds[0] == "handoff"
    assert followed.ran[0].detail == f"opened {child.ref}"
    assert any(r.key.startswith(f"step:{child.id}:") for r in followed.ran)  # the consulting brief
    assert {r.status for r in followed.ran} == {"done"}
    assert waiting(app, case["id"]) == waiting(app, child.id) == []
    assert waiting(app, theirs["id"]) != []


def test_a_case_opened_through_the_api_has_its_work_done_and_no_other_organisations(app: App) -> None:
    here = make_org(app)
    officer = make_person(app, here)
    project = make_project(app, here)
    theirs = a_case(app, make_org(app))
    with write(app) as tx:
        accounts.add_user(tx, person=officer, password="correct horse battery staple", language="en")
        token = accounts.create_token(tx, person=officer, name="tests").token

    with TestClient(create_app(app)) as client:
        answer = client.post(
            "/api/v1/cases",
            json={"project": str(project), "pathway": "diagnosis"},
            headers={"Authorization": f"Bearer {token}"},
        )

    assert answer.status_code == 201, answer.text
    assert waiting(app, answer.json()["id"]) == []  # its intake sheet is rendered
    assert waiting(app, theirs["id"]) != []


def test_a_change_that_queued_nothing_looks_at_nothing(app: App) -> None:
    case = a_case(app, make_org(app))

    assert app.after_commit(case["id"], queued=False).ran == ()
    assert waiting(app, case["id"]) != []


def test_with_prefect_as_executor_nothing_runs_in_the_caller(app: App) -> None:
    settings = load_settings(config_dir=Path("config"), environment="test", executor="prefect")
    on_prefect = replace(app, settings=settings)
    case = a_case(on_prefect, make_org(on_prefect))

    followed = on_prefect.after_commit(case["id"])

    assert followed.deferred
    assert followed.ran == ()
    assert waiting(app, case["id"]) != []  # the relay asks Prefect for the run that does it
