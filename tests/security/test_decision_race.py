"""Finding 13: two decisions on one case at once must never both apply unseen.

A "looping" outcome leads back to the stage it leaves (diagnosis, support_plan:
``revise``), so the stage no longer tells a decision that the case moved under it. On
SQLite, a decision worked out before its write transaction was decided again on the new
state and written as if its officer had seen the other decision. The rule now, on both
databases: a decision is written on the version it was worked out on. With an expected
version (web form, API, ``--expected-version``) a moved case is a conflict naming who
decided what and when; without one (the CLI only), the decision is worked out again on the
case as it is and, when written, its history names the decision its officer had not seen.
"""

from __future__ import annotations

import html
import os
import re
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from builders import (
    DIAGNOSIS_ACCEPTED,
    INTAKE_RELEVANT,
    decide,
    make_org,
    make_person,
    make_project,
    open_diagnosis,
)
from pathways.bootstrap import App
from pathways.errors import Conflict
from pathways.services.casework import cases, timeline
from pathways.services.casework.views import OpenedCase
from pathways.services.people import accounts
from pathways.services.tx import write
from pathways.store.core import AUDIT, CASE
from pathways.web import create_app
from security.attack import attacked
from security.webdesk import csrf_of
from threads import on_threads

PASSWORD = "correct horse battery staple"
REVISE = {"revision_reason": "Chiffrer les actions"}


@dataclass(frozen=True)
class Loop:
    """A diagnosis case at support_plan, where `revise` leads back to support_plan, and two officers."""

    case: OpenedCase
    camille: int
    hugo: int


@pytest.fixture
def loop(app: App) -> Loop:
    org = make_org(app)
    camille = make_person(app, org, name="Camille Martin", email="camille@example.org")
    hugo = make_person(app, org, name="Hugo Petit", email="hugo@example.org")
    case = open_diagnosis(app, make_project(app, org), camille)
    decide(app, case.ref, "relevant", INTAKE_RELEVANT, by=camille)
    decide(app, case.ref, "accepted", DIAGNOSIS_ACCEPTED, by=camille)
    return Loop(case, camille, hugo)


def version_of(app: App, case_id: int) -> int:
    with app.store.read() as conn:
        return int(conn.execute(select(CASE.c.version).where(CASE.c.id == case_id)).scalar_one())


def decisions(app: App, case_id: int) -> list[dict[str, Any]]:
    """The case's decision events, oldest first: actor and payload."""
    query = select(AUDIT.c.seq, AUDIT.c.actor_id, AUDIT.c.payload).where(
        AUDIT.c.case_id == case_id, AUDIT.c.kind == "decision"
    )
    with app.store.read() as conn:
        return [dict(r) for r in conn.execute(query.order_by(AUDIT.c.seq)).mappings()]


def revise_at_once(app: App, loop: Loop, *, expected_version: int | None) -> list[BaseException]:
    """Camille and Hugo decide `revise` at the same moment: both read the case before either writes."""
    both_read = threading.Barrier(2, timeout=20)

    def revise(officer: int, reason: str) -> None:
        with cases.deciding(app) as decision:
            decision.prepare(
                actor_id=officer,
                case=loop.case.id,
                outcome="revise",
                values={"revision_reason": reason},
                expected_version=expected_version,
            )
            both_read.wait()  # neither has written yet: on PostgreSQL both are in their write transaction

    return on_threads(revise, [(loop.camille, "Chiffrer les actions"), (loop.hugo, "Revoir la gouvernance")])


def test_two_looping_decisions_at_once_without_a_version_both_apply_and_the_second_names_the_first(
    app: App, loop: Loop
) -> None:
    before = version_of(app, loop.case.id)

    errors = revise_at_once(app, loop, expected_version=None)

    # The CLI's rule (no expected version): the second is worked out again on the case as it
    # is, and its history says it was recorded right after a decision its officer had not seen.
    assert errors == []
    assert version_of(app, loop.case.id) == before + 2
    first, second = decisions(app, loop.case.id)[-2:]
    assert {first["actor_id"], second["actor_id"]} == {loop.camille, loop.hugo}
    assert "decided_over" not in first["payload"]
    assert second["payload"]["decided_over"] == [first["seq"]]
    names = {loop.camille: "Camille Martin", loop.hugo: "Hugo Petit"}
    with app.store.read() as conn:
        shown = timeline.timeline(conn, loop.case.id, now=app.clock.now(), catalog=app.catalog)
    (flagged,) = [i for i in shown.items if i.details.get("decided_over")]
    assert flagged.actor == names[second["actor_id"]]
    assert f"right after {names[first['actor_id']]}'s decision 'revise'" in flagged.summary
    assert flagged.details["decided_over"][0]["by"] == names[first["actor_id"]]
    with app.store.read() as conn:  # in the reader's language
        french = timeline.timeline(conn, loop.case.id, now=app.clock.now(), catalog=app.catalog, lang="fr")
    (flagged,) = [i for i in french.items if i.details.get("decided_over")]
    assert f"juste après la décision « revise » de {names[first['actor_id']]}" in flagged.summary
    attacked(
        "two looping decisions at once without an expected version",
        tried=1,
        detail="both applied one after the other; the second's history names the first, unseen",
    )


def test_two_looping_decisions_at_once_on_the_version_read_one_applies_the_other_is_told_who(
    app: App, loop: Loop
) -> None:
    before = version_of(app, loop.case.id)

    errors = revise_at_once(app, loop, expected_version=before)

    assert len(errors) == 1, errors
    (error,) = errors
    assert isinstance(error, Conflict)
    assert f"version {before}, now {before + 1}" in error.message
    assert re.search(r"(Camille Martin|Hugo Petit) recorded 'revise' at support_plan", error.message)
    assert version_of(app, loop.case.id) == before + 1
    assert len(decisions(app, loop.case.id)) == 3  # relevant, accepted, one revise
    attacked(
        "two looping decisions at once on the same expected version",
        tried=1,
        detail="one applied, the other a conflict naming who decided",
    )


# The API and the web form always decide on the version they showed.


@dataclass(frozen=True)
class Desk:
    app: App
    client: TestClient
    loop: Loop
    token: str  # Hugo's API token


@pytest.fixture
def desk(app: App, loop: Loop) -> Iterator[Desk]:
    with write(app) as tx:
        accounts.add_user(tx, person=loop.hugo, password=PASSWORD, language="fr")
        token = accounts.create_token(tx, person=loop.hugo, name="tests").token
    with TestClient(create_app(app)) as client:
        yield Desk(app, client, loop, token)


def version_in_form(html: str) -> int:
    found = re.search(r'<input type="hidden" name="version" value="([0-9]+)">', html)
    assert found, "the decision form has no version"
    return int(found.group(1))


def api_decide(desk: Desk, body: dict[str, Any]) -> Any:
    ref = desk.loop.case.ref
    headers = {"Authorization": f"Bearer {desk.token}"}
    return desk.client.post(f"/api/v1/cases/{ref}/decisions", json=body, headers=headers)


def test_an_api_decision_without_expected_version_is_a_422_saying_to_read_the_case_first(desk: Desk) -> None:
    before = version_of(desk.app, desk.loop.case.id)
    bodies: list[dict[str, Any]] = [
        {"outcome": "revise", "values": REVISE},
        {"outcome": "revise", "values": REVISE, "expected_version": None},
    ]

    answers = [api_decide(desk, body) for body in bodies]

    for answer in answers:
        assert answer.status_code == 422, answer.text
        (problem,) = answer.json()["detail"]
        assert problem["loc"] == ["body", "expected_version"]
        assert "Read the case first" in problem["msg"]
    assert version_of(desk.app, desk.loop.case.id) == before
    attacked(
        "an API decision without the version it was made on",
        tried=len(bodies),
        detail="422 naming expected_version, with a hint to read the case first; nothing written",
    )


def test_an_api_decision_on_a_stale_version_is_a_409_naming_who_decided(desk: Desk) -> None:
    seen = version_of(desk.app, desk.loop.case.id)
    decide(desk.app, desk.loop.case.ref, "revise", REVISE, by=desk.loop.camille)  # meanwhile

    answer = api_decide(desk, {"outcome": "revise", "values": REVISE, "expected_version": seen})

    assert answer.status_code == 409, answer.text
    detail = answer.json()["detail"]
    assert f"version {seen}, now {seen + 1}" in detail
    assert "Camille Martin recorded 'revise' at support_plan on 2026-07-08 08:00 UTC" in detail
    assert f"expected version {seen + 1}" in answer.json()["hint"]
    assert version_of(desk.app, desk.loop.case.id) == seen + 1
    assert [d["actor_id"] for d in decisions(desk.app, desk.loop.case.id)][-1] == desk.loop.camille
    attacked(
        "an API decision on a version another officer decided over",
        tried=1,
        detail="409 naming who recorded what, when; nothing written",
    )


def log_in(desk: Desk) -> None:
    csrf = csrf_of(desk.client.get("/login").text)
    form = {"login": "hugo@example.org", "password": PASSWORD, "csrf_token": csrf, "next": "/cases"}
    assert desk.client.post("/login", data=form, follow_redirects=False).status_code == 303


def test_a_stale_decision_form_shows_who_changed_what_in_the_users_language(desk: Desk) -> None:
    log_in(desk)
    ref = desk.loop.case.ref
    page = desk.client.get(f"/cases/{ref}").text
    shown = version_in_form(page)
    decide(desk.app, ref, "revise", REVISE, by=desk.loop.camille)  # while Hugo fills the form in
    form = {"csrf_token": csrf_of(page), "version": str(shown), "outcome": "revise",
            "revision_reason": "Revoir la gouvernance"}  # fmt: skip

    refused = desk.client.post(f"/cases/{ref}/decide", data=form)

    assert refused.status_code == 409
    assert "Ce dossier a changé depuis que vous avez ouvert ce formulaire" in refused.text
    assert (
        "Camille Martin a enregistré « Parcours à retravailler » à l'étape Élaboration du parcours le"
        in html.unescape(refused.text)
    )
    assert version_in_form(refused.text) == shown + 1  # deciding again is deciding on the new state
    assert ">Revoir la gouvernance</textarea>" in refused.text  # what Hugo typed is kept
    assert version_of(desk.app, desk.loop.case.id) == shown + 1
    assert [d["actor_id"] for d in decisions(desk.app, desk.loop.case.id)][-1] == desk.loop.camille
    attacked(
        "a decision form posted after another officer decided on the case",
        tried=1,
        detail="409 page naming who recorded what and when, in French; nothing written",
    )


def test_a_decision_form_without_its_version_is_refused(desk: Desk) -> None:
    log_in(desk)
    ref = desk.loop.case.ref
    page = desk.client.get(f"/cases/{ref}").text
    before = version_in_form(page)
    forged = [{}, {"version": ""}, {"version": "0"}, {"version": "x1"}]

    answers = [
        desk.client.post(
            f"/cases/{ref}/decide",
            data={"csrf_token": csrf_of(page), "outcome": "revise", **REVISE, **version},
        )
        for version in forged
    ]

    assert [a.status_code for a in answers] == [422] * len(forged)
    assert "the form does not say which version of the case it showed" in answers[0].text
    assert version_of(desk.app, desk.loop.case.id) == before
    attacked(
        "a decision form without the version it showed",
        tried=len(forged),
        detail="422, nothing written",
    )


ROOT = Path(__file__).resolve().parents[2]


def pathways(app: App, home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """Run the `pathways` command on the test's database."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PATHWAYS_")} | {
        "PATHWAYS_DATABASE_URL": app.store.engine.url.render_as_string(hide_password=False),
        "PATHWAYS_HOME": str(home),
        "PATHWAYS_ENVIRONMENT": "test",
        "PATHWAYS_EXECUTOR": "inline",
        "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT / "src"), os.environ.get("PYTHONPATH")])),
        "COLUMNS": "250",
        "NO_COLOR": "1",
    }
    argv = [sys.executable, "-m", "pathways", "--now", "2026-07-08T10:05:00+02:00", *args]
    return subprocess.run(argv, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=False)


def test_a_cli_decision_on_a_stale_expected_version_exits_4_naming_who_decided(
    app: App, loop: Loop, tmp_path: Path
) -> None:
    seen = version_of(app, loop.case.id)
    decide(app, loop.case.ref, "revise", REVISE, by=loop.camille)  # meanwhile

    stale = pathways(
        app, tmp_path, "case", "decide", loop.case.ref, "revise", "--set", "revision_reason=Revoir",
        "--by", str(loop.hugo), "--expect-version", str(seen),
    )  # fmt: skip

    assert stale.returncode == 4, stale.stderr
    assert "Traceback" not in stale.stderr
    assert "Camille Martin recorded 'revise' at support_plan" in " ".join(stale.stderr.split())
    assert version_of(app, loop.case.id) == seen + 1
    attacked(
        "a CLI decision on a version another officer decided over",
        tried=1,
        detail="exit 4 naming who recorded what, when; nothing written",
    )
