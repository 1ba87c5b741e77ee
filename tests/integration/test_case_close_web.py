"""Closing a case from the API (POST /api/v1/cases/{ref}/close) and from the case page, on both databases."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from builders import make_org, make_person, make_project, open_case, open_diagnosis
from pathways.bootstrap import App
from pathways.services.casework.views import OpenedCase
from pathways.services.people import accounts
from pathways.services.tx import write
from pathways.store.core import CASE
from pathways.web import create_app

PASSWORD = "correct horse battery staple"
REASON = "La structure se retire du dispositif."


@dataclass(frozen=True)
class Desk:
    app: App
    client: TestClient
    headers: dict[str, str]
    org: int
    officer: int
    case: OpenedCase
    other_case: OpenedCase  # of another organisation


@pytest.fixture
def desk(app: App) -> Iterator[Desk]:
    org, elsewhere = make_org(app, name="DLA de Paris"), make_org(app, name="DLA du Nord")
    officer = make_person(app, org, name="Camille Martin", email="camille@example.org")
    stranger = make_person(app, elsewhere, name="Jules Petit")
    case = open_diagnosis(app, make_project(app, org), officer)
    other_case = open_diagnosis(app, make_project(app, elsewhere), stranger)
    with write(app) as tx:
        accounts.add_user(tx, person=officer, password=PASSWORD, language="fr")
        token = accounts.create_token(tx, person=officer, name="tests").token
    with TestClient(create_app(app), follow_redirects=False) as client:
        yield Desk(app, client, {"Authorization": f"Bearer {token}"}, org, officer, case, other_case)


def status_of(app: App, case_id: int) -> tuple[str, str | None]:
    with app.store.read() as conn:
        row = conn.execute(select(CASE.c.status, CASE.c.result).where(CASE.c.id == case_id)).one()
    return row.status, row.result


def post_close(desk: Desk, ref: str, body: dict[str, Any]) -> Any:
    return desk.client.post(f"/api/v1/cases/{ref}/close", json=body, headers=desk.headers)


# The API


def test_the_api_lists_the_exits_and_closes_the_case_with_its_reason(desk: Desk) -> None:
    ref = desk.case.ref
    shown = desk.client.get(f"/api/v1/cases/{ref}?lang=nl", headers=desk.headers).json()
    assert shown["exits"] == {
        "withdrawn": "Organisatie trekt zich terug",
        "abandoned": "Project stopgezet",
    }

    answer = post_close(desk, ref, {"result": "withdrawn", "reason": REASON, "expected_version": 1})

    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert (body["ref"], body["left"], body["result"], body["version"]) == (ref, "intake", "withdrawn", 2)
    assert body["notices_cancelled"] == 4
    assert body["children_open"] == []
    assert status_of(desk.app, desk.case.id) == ("closed", "withdrawn")
    history = desk.client.get(f"/api/v1/cases/{ref}/history", headers=desk.headers).json()
    assert history[-1]["kind"] == "decision"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"result": "withdrawn"}, "reason"),
        ({"result": "withdrawn", "reason": ""}, "reason"),
        ({"result": "withdrawn", "reason": "   "}, "reason"),
        ({"result": "withdrawn", "reason": "x" * 4001}, "reason"),
        ({"result": "transfer_not_held", "reason": REASON}, "result"),
        ({"reason": REASON}, "result"),
    ],
)
def test_the_api_refuses_an_unknown_exit_or_a_missing_reason_with_a_422_naming_the_field(
    desk: Desk, body: dict[str, Any], field: str
) -> None:
    answer = post_close(desk, desk.case.ref, body)

    assert answer.status_code == 422, answer.text
    problem = answer.json()
    named = problem.get("field") or str(problem.get("detail"))
    assert field in named
    assert status_of(desk.app, desk.case.id) == ("open", None)


def test_another_organisations_case_is_not_found_as_a_case_that_does_not_exist(desk: Desk) -> None:
    body = {"result": "withdrawn", "reason": REASON}

    theirs = post_close(desk, desk.other_case.ref, body)
    nobody = post_close(desk, "DIAG-2026-9999", body)

    assert theirs.status_code == nobody.status_code == 404
    assert theirs.json()["detail"].replace(desk.other_case.ref, "X") == nobody.json()["detail"].replace(
        "DIAG-2026-9999", "X"
    )
    assert status_of(desk.app, desk.other_case.id) == ("open", None)


def test_an_already_closed_case_is_a_409(desk: Desk) -> None:
    body = {"result": "withdrawn", "reason": REASON}
    assert post_close(desk, desk.case.ref, body).status_code == 200

    again = post_close(desk, desk.case.ref, {"result": "abandoned", "reason": "Encore"})

    assert again.status_code == 409
    assert "already closed" in again.json()["detail"]
    assert status_of(desk.app, desk.case.id) == ("closed", "withdrawn")


def test_a_closing_on_a_version_the_case_has_left_is_a_409(desk: Desk) -> None:
    with write(desk.app) as tx:
        tx.conn.execute(CASE.update().where(CASE.c.id == desk.case.id).values(version=2))

    answer = post_close(desk, desk.case.ref, {"result": "withdrawn", "reason": REASON, "expected_version": 1})

    assert answer.status_code == 409
    assert status_of(desk.app, desk.case.id) == ("open", None)


def test_without_a_token_nothing_closes(desk: Desk) -> None:
    answer = desk.client.post(
        f"/api/v1/cases/{desk.case.ref}/close", json={"result": "withdrawn", "reason": "x"}
    )
    assert answer.status_code == 401
    assert status_of(desk.app, desk.case.id) == ("open", None)


# The case page


def logged_in(desk: Desk) -> None:
    page = desk.client.get("/login").text
    form = {
        "login": "camille@example.org",
        "password": PASSWORD,
        "csrf_token": csrf_of(page),
        "next": "/cases",
    }
    assert desk.client.post("/login", data=form).status_code == 303


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found, "the page has no CSRF token"
    return found.group(1)


def test_the_case_page_offers_to_close_the_case_and_closes_it(desk: Desk) -> None:
    logged_in(desk)
    ref = desk.case.ref
    page = desk.client.get(f"/cases/{ref}").text
    assert "Clôturer le dossier" in page
    assert f'action="/cases/{ref}/close"' in page
    assert "Retrait de la structure" in page

    form = {"csrf_token": csrf_of(page), "version": "1", "result": "abandoned", "reason": REASON}
    answer = desk.client.post(f"/cases/{ref}/close", data=form)

    assert answer.status_code == 303
    assert answer.headers["location"] == f"/cases/{ref}?decided=1"
    assert status_of(desk.app, desk.case.id) == ("closed", "abandoned")
    closed = desk.client.get(f"/cases/{ref}").text
    assert "Projet abandonné" in closed
    assert REASON in closed  # the timeline shows the reason
    assert f'action="/cases/{ref}/close"' not in closed


def test_a_closing_without_csrf_is_refused(desk: Desk) -> None:
    logged_in(desk)
    form = {"version": "1", "result": "withdrawn", "reason": REASON}

    answer = desk.client.post(f"/cases/{desk.case.ref}/close", data=form)

    assert answer.status_code == 403
    assert status_of(desk.app, desk.case.id) == ("open", None)


def test_a_closing_without_reason_shows_the_form_again_saying_why_in_french(desk: Desk) -> None:
    logged_in(desk)
    ref = desk.case.ref
    csrf = csrf_of(desk.client.get(f"/cases/{ref}").text)

    answer = desk.client.post(
        f"/cases/{ref}/close",
        data={"csrf_token": csrf, "version": "1", "result": "withdrawn", "reason": "  "},
    )

    assert answer.status_code == 422
    assert "Indiquez pourquoi le dossier est clôturé" in answer.text
    assert 'id="reason-error"' in answer.text
    assert 'value="withdrawn" required checked' in answer.text
    assert status_of(desk.app, desk.case.id) == ("open", None)


def test_closing_twice_from_two_pages_says_it_is_already_closed(desk: Desk) -> None:
    logged_in(desk)
    ref = desk.case.ref
    csrf = csrf_of(desk.client.get(f"/cases/{ref}").text)
    form = {"csrf_token": csrf, "version": "1", "result": "withdrawn", "reason": REASON}
    assert desk.client.post(f"/cases/{ref}/close", data=form).status_code == 303

    again = desk.client.post(f"/cases/{ref}/close", data=form)

    assert again.status_code == 409
    assert "déjà clos" in again.text


def test_another_organisations_case_cannot_be_closed_from_a_page(desk: Desk) -> None:
    logged_in(desk)
    csrf = csrf_of(desk.client.get(f"/cases/{desk.case.ref}").text)
    form = {"csrf_token": csrf, "version": "1", "result": "withdrawn", "reason": REASON}

    answer = desk.client.post(f"/cases/{desk.other_case.ref}/close", data=form)

    assert answer.status_code == 404
    assert status_of(desk.app, desk.other_case.id) == ("open", None)


def test_the_page_says_child_cases_stay_open(desk: Desk) -> None:
    logged_in(desk)
    parent = open_case(desk.app, make_project(desk.app, desk.org), desk.officer, "ongoing_support")
    from builders import decide

    chosen = {
        "brief_sent_on": "2026-07-01",
        "consultant": str(desk.officer),
        "parallel_missions": "Gouvernance",
    }
    decide(desk.app, parent.ref, "consultant_chosen", chosen)
    from pathways.services.casework import work

    work.run_pending(desk.app, case_id=parent.id)
    page = desk.client.get(f"/cases/{parent.ref}").text
    assert "Ses dossiers dérivés restent ouverts, tels quels" in page
    form = {"csrf_token": csrf_of(page), "version": "2", "result": "withdrawn", "reason": REASON}

    assert desk.client.post(f"/cases/{parent.ref}/close", data=form).status_code == 303

    closed = desk.client.get(f"/cases/{parent.ref}").text
    assert 'id="children-open"' in closed
    assert "MISS-2026-0001" in closed
    with desk.app.store.read() as conn:
        child = conn.execute(select(CASE.c.status).where(CASE.c.parent_id == parent.id)).scalar_one()
    assert child == "open"
