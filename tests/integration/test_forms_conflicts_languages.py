"""Every form of the case page carries the case's version; the API speaks the caller's language.

- A reassignment, a note or a closing sent from a page shown before the case changed is refused
  (409) and the page says who changed what, and when, keeping what was typed.
- The API's errors follow ``Accept-Language`` (fr, nl; English without it), and a conflict names
  a reassignment as well as a decision.
- The API sorts only by what an index serves, refusing another sort with a 422 naming ``sort``
  and the sorts it offers.
- ``/due`` comes a page at a time, overdue cases first, each page within the case list's limits.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from builders import INTAKE_RELEVANT, make_org, make_person, make_project, open_diagnosis
from pathways.bootstrap import App, Clock
from pathways.services.casework import assign
from pathways.services.people import accounts
from pathways.services.tx import write
from pathways.store.core import CASE
from pathways.web import create_app
from pathways.web.cases.caselist import PAGE_SIZE

PASSWORD = "correct horse battery staple"


@dataclass(frozen=True)
class Desk:
    app: App
    client: TestClient
    token: str
    officer: int
    colleague: int
    ref: str


def _version(app: App, ref: str) -> int:
    with app.store.read() as conn:
        return int(conn.execute(select(CASE.c.version).where(CASE.c.ref == ref)).scalar_one())


def _desk(app: App, language: str) -> Iterator[Desk]:
    org = make_org(app)
    officer = make_person(app, org, name="Camille Martin", email="camille@example.org")
    colleague = make_person(app, org, name="Yanis Belkacem", email="yanis@example.org")
    make_person(app, org, name="Hugo Petit", email="hugo@example.org")
    case = open_diagnosis(app, make_project(app, org, name="Recyclerie du Canal"), officer)
    with write(app) as tx:
        accounts.add_user(tx, person=officer, password=PASSWORD, language=language)
        token = accounts.create_token(tx, person=officer, name="tests").token
    with TestClient(create_app(app)) as client:
        csrf = _csrf(client.get("/login").text)
        form = {"login": "camille@example.org", "password": PASSWORD, "csrf_token": csrf, "next": "/cases"}
        assert client.post("/login", data=form, follow_redirects=False).status_code == 303
        yield Desk(app, client, token, officer, colleague, str(case.ref))


@pytest.fixture
def desk(app: App) -> Iterator[Desk]:
    yield from _desk(app, "en")


@pytest.fixture
def desk_fr(app: App) -> Iterator[Desk]:
    yield from _desk(app, "fr")


def _csrf(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found, "the page has no CSRF token"
    return found.group(1)


def _moved_on(desk: Desk) -> int:
    """The version the page showed, then a manager gives the case to the colleague meanwhile."""
    shown = _version(desk.app, desk.ref)
    assign.assign_case(desk.app, assign.AssignCase(case=desk.ref, officer=desk.colleague), by=None)
    assert _version(desk.app, desk.ref) == shown + 1
    return shown


def _text(page: str) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page)).split())


def test_a_reassignment_from_a_stale_page_names_who_changed_the_case(desk: Desk) -> None:
    csrf = _csrf(desk.client.get(f"/cases/{desk.ref}").text)
    shown = _moved_on(desk)
    hugo = str(desk.officer + 2)
    form = {"csrf_token": csrf, "officer": hugo, "version": str(shown)}
    answer = desk.client.post(f"/cases/{desk.ref}/assign", data=form, follow_redirects=False)
    assert answer.status_code == 409
    said = _text(answer.text)
    assert "This case changed since you opened the page" in said
    assert "someone gave the case to Yanis Belkacem on" in said


def test_a_note_from_a_stale_page_is_kept_and_names_the_change_in_french(desk_fr: Desk) -> None:
    desk = desk_fr
    csrf = _csrf(desk.client.get(f"/cases/{desk.ref}").text)
    shown = _moved_on(desk)
    form = {"csrf_token": csrf, "version": str(shown), "kind": "note", "text": "Appel du 3 : budget revu"}
    answer = desk.client.post(f"/cases/{desk.ref}/notes", files={k: (None, v) for k, v in form.items()})
    assert answer.status_code == 409
    said = _text(answer.text)
    assert "la note n'est pas encore enregistrée" in said
    assert "une personne a confié le dossier à Yanis Belkacem le" in said
    assert "Appel du 3 : budget revu" in answer.text  # what was typed is still in the form
    form["version"] = str(shown + 1)  # the page as it came back
    again = desk.client.post(
        f"/cases/{desk.ref}/notes", files={k: (None, v) for k, v in form.items()}, follow_redirects=False
    )
    assert again.status_code == 303


def test_a_closing_from_a_stale_page_names_the_change(desk: Desk) -> None:
    csrf = _csrf(desk.client.get(f"/cases/{desk.ref}").text)
    shown = _moved_on(desk)
    form = {"csrf_token": csrf, "version": str(shown), "result": "withdrawn", "reason": "Projet arrêté"}
    answer = desk.client.post(f"/cases/{desk.ref}/close", data=form, follow_redirects=False)
    assert answer.status_code == 409
    said = _text(answer.text)
    assert "so it was not closed" in said
    assert "someone gave the case to Yanis Belkacem on" in said
    assert "Projet arrêté" in answer.text


def test_an_api_conflict_names_a_reassignment_in_the_callers_language(desk: Desk) -> None:
    shown = _moved_on(desk)
    body = {"outcome": "relevant", "values": INTAKE_RELEVANT, "expected_version": shown}
    headers = {"Authorization": f"Bearer {desk.token}", "Accept-Language": "fr-BE,fr;q=0.9,en;q=0.5"}
    answer = desk.client.post(f"/api/v1/cases/{desk.ref}/decisions", json=body, headers=headers)
    assert answer.status_code == 409
    assert answer.headers["content-language"] == "fr"
    problem = answer.json()
    assert problem["title"] == "Le dossier a changé depuis votre lecture"
    assert problem["detail"].startswith(f"Le dossier {desk.ref} a changé depuis votre lecture")
    assert "a confié le dossier à Yanis Belkacem" in problem["detail"]
    (change,) = problem["conflict"]["meanwhile"]
    assert change["kind"] == "case_assigned"
    assert change["officer"] == "Yanis Belkacem"
    english = desk.client.post(
        f"/api/v1/cases/{desk.ref}/decisions", json=body, headers={"Authorization": f"Bearer {desk.token}"}
    )
    assert english.headers["content-language"] == "en"
    assert "someone gave the case to Yanis Belkacem on" in english.json()["detail"]


def test_api_errors_follow_accept_language(desk: Desk) -> None:
    token = {"Authorization": f"Bearer {desk.token}"}
    missing = desk.client.get("/api/v1/cases/DIAG-2026-9999", headers={**token, "Accept-Language": "nl-BE"})
    assert missing.status_code == 404
    assert missing.json()["title"] == "Niet gevonden"
    assert missing.json()["detail"] == "Niet gevonden, of in een organisatie waarin u geen rol hebt."
    assert "DIAG-2026-9999" in desk.client.get("/api/v1/cases/DIAG-2026-9999", headers=token).json()["detail"]
    refused = desk.client.post(
        f"/api/v1/cases/{desk.ref}/decisions",
        json={"outcome": "relevant", "values": {}, "expected_version": _version(desk.app, desk.ref)},
        headers={**token, "Accept-Language": "fr"},
    )
    assert refused.status_code == 422
    problem = refused.json()
    assert problem["title"] == "Saisie invalide"
    assert len(problem["errors"]) >= 3  # every refused field, each in French
    english = {e["message"] for e in problem["errors"]}
    assert all(e["code"] for e in problem["errors"])
    assert not english & {"required", "this field is required"}
    assert problem["detail"].count(";") == len(problem["errors"]) - 1


def test_the_api_sorts_only_by_indexed_keys_and_names_them_when_refusing(desk: Desk) -> None:
    token = {"Authorization": f"Bearer {desk.token}"}
    for sort in ("ref", "-due", "opened", "-opened"):
        assert desk.client.get(f"/api/v1/cases?sort={sort}", headers=token).status_code == 200, sort
    refused = desk.client.get("/api/v1/cases?sort=-project", headers=token)
    assert refused.status_code == 422
    problem = refused.json()
    assert problem["field"] == "sort"
    assert "'-project' is not a sort the API offers: choose one of opened, ref, due" in problem["detail"]
    french = desk.client.get("/api/v1/cases?sort=officer", headers={**token, "Accept-Language": "fr"}).json()
    assert french["errors"][0]["message"] == (
        "« officer » n'est pas un tri proposé ici : choisissez parmi opened, ref, due."
    )


def test_the_due_list_comes_a_page_at_a_time_overdue_first(app: App) -> None:
    org = make_org(app)
    officer = make_person(app, org, name="Camille Martin", email="camille@example.org")
    now = app.clock.now()
    late = open_diagnosis(
        app, make_project(app, org, name="Atelier en retard"), officer, at=now - timedelta(days=60)
    )
    for n in range(PAGE_SIZE):
        open_diagnosis(app, make_project(app, org, name=f"Projet {n:02d}"), officer)
    with app.store.read() as conn:
        due = conn.execute(select(CASE.c.due_at).where(CASE.c.ref != late.ref)).scalars().first()
    assert due is not None
    app.clock = Clock(due - timedelta(days=1))  # every case but the late one within the week
    with write(app) as tx:
        accounts.add_user(tx, person=officer, password=PASSWORD, language="en")
    with TestClient(create_app(app)) as client:
        csrf = _csrf(client.get("/login").text)
        form = {"login": "camille@example.org", "password": PASSWORD, "csrf_token": csrf, "next": "/due"}
        client.post("/login", data=form)
        first = _text(client.get("/due").text)
        assert f"{PAGE_SIZE + 1} cases · page 1 of 2" in first
        assert first.index("Overdue 1") < first.index(str(late.ref)) < first.index("Within 7 days 50")
        assert "overdue" in first.split(str(late.ref), 1)[1][:120]  # said in words, not by colour only
        second = client.get("/due?page=2").text
        assert len(re.findall(r'<td data-label="Case" class="ref">', second)) == 1
        assert 'aria-current="page"' in second
        assert "Atelier en retard" not in second
        assert client.get("/due?page=999999999").status_code == 200  # past the limits: the first page
