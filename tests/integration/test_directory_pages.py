"""The project and people pages and ``PATCH /api/v1/projects|people/{id}``, in-process, on both databases.

Issue 21, item 2: lists with search, a project's sheet and a person's, their edit forms (every
refused field at once, beside it, in the page's language, what was typed kept), the same use
cases through the API; another organisation's project or person is the 404 an unknown one is.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from builders import VALID_SIRET, make_org, make_person, make_project, open_diagnosis
from pathways.bootstrap import App
from pathways.services.people import accounts
from pathways.services.tx import write
from pathways.store.core import AUDIT, PERSON, PROJECT
from pathways.web import create_app

PASSWORD = "correct horse battery staple"
HOSTILE = "<script>alert('x')</script> Épicerie"


@dataclass(frozen=True)
class Desk:
    app: App
    client: TestClient
    token: str
    org: int
    officer: int
    owner: int
    carrier: int
    project: int
    case: str
    theirs: int
    stranger: int


@pytest.fixture
def desk(app: App) -> Iterator[Desk]:
    org = make_org(app, name="DLA de Paris")
    officer = make_person(app, org, name="Camille Martin", email="camille@example.org")
    owner = make_person(app, org, role="owner", name="Inès Dubois", email="ines@example.org")
    carrier = make_person(app, org, role="owner", name="Lucas Girard", email="lucas@example.org")
    project = make_project(app, org, name="Recyclerie du Canal", owner=owner, siret=VALID_SIRET)
    case = open_diagnosis(app, project, officer)
    other = make_org(app, name="Réseau voisin")
    stranger = make_person(app, other, role="owner", name="Lars Peeters", email="lars@example.org")
    theirs = make_project(app, other, name="Buurtwinkel De Linde", owner=stranger)
    with write(app) as tx:
        accounts.add_user(tx, person=officer, password=PASSWORD, language="fr")
        token = accounts.create_token(tx, person=officer, name="tests").token
    with TestClient(create_app(app)) as client:
        yield Desk(app, client, token, org, officer, owner, carrier, project, str(case.ref), theirs, stranger)


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found, "the page has no CSRF token"
    return found.group(1)


def log_in(desk: Desk) -> str:
    csrf = csrf_of(desk.client.get("/login").text)
    form = {"login": "camille@example.org", "password": PASSWORD, "csrf_token": csrf, "next": "/cases"}
    assert desk.client.post("/login", data=form, follow_redirects=False).status_code == 303
    return csrf_of(desk.client.get(f"/projects/{desk.project}").text)


def main_of(html: str) -> str:
    found = re.search(r"<main.*</main>", html, re.DOTALL)
    assert found, "no <main> on the page"
    return found.group(0)


def auth(desk: Desk) -> dict[str, str]:
    return {"Authorization": f"Bearer {desk.token}"}


def project_row(desk: Desk, project: int) -> dict[str, object]:
    with desk.app.store.read() as conn:
        return dict(conn.execute(select(PROJECT).where(PROJECT.c.id == project)).mappings().one())


def form_of(desk: Desk, **changes: str) -> dict[str, str]:
    base = {
        "name": "Recyclerie du Canal",
        "siret": VALID_SIRET,
        "bce": "",
        "legal_form": "association",
        "permanent_jobs": "3",
        "fixed_term_jobs": "0",
        "owner": str(desk.owner),
        "phase": "",
    }
    return base | changes


# --- pages ---------------------------------------------------------------------------------


def test_the_project_sheet_shows_labels_formatted_numbers_cases_and_the_owner(desk: Desk) -> None:
    log_in(desk)
    html = desk.client.get(f"/projects/{desk.project}").text
    assert "732 829 320 00074" in html  # the SIRET as written
    assert "Association loi 1901" in html  # the legal form's label, not its code
    assert f'href="/cases/{desk.case}"' in html
    assert "Diagnostic partagé" in html
    assert f'href="/people/{desk.owner}"' in html
    assert "ines@example.org" in html
    assert "Créée" in html  # the phase in French
    assert 'action="/projects/' in html
    assert "csrf_token" in html


def test_the_lists_find_by_name_siret_and_owner_and_never_another_organisations(desk: Desk) -> None:
    log_in(desk)
    for q in ("canal", "73282932000074", "732 829 320", "Inès"):
        html = desk.client.get("/projects", params={"q": q}).text
        assert f'href="/projects/{desk.project}"' in html, q
    assert "Buurtwinkel" not in desk.client.get("/projects").text
    found = desk.client.get("/projects", params={"q": "Buurtwinkel"}).text
    assert f'href="/projects/{desk.theirs}"' not in found
    assert "Aucun projet trouvé." in found
    people = desk.client.get("/people", params={"q": "girard"}).text
    assert f'href="/people/{desk.carrier}"' in people
    assert "Inès" not in people
    assert "Lars Peeters" not in desk.client.get("/people").text


def test_another_organisations_project_and_person_are_404_like_unknown_ones(desk: Desk) -> None:
    csrf = log_in(desk)
    for kind, theirs in (("projects", desk.theirs), ("people", desk.stranger)):
        mine = desk.client.get(f"/{kind}/{theirs}")
        unknown = desk.client.get(f"/{kind}/999999")
        assert mine.status_code == unknown.status_code == 404
        said = main_of(mine.text).replace(f"&#39;{theirs}&#39;", "N")
        assert said == main_of(unknown.text).replace("&#39;999999&#39;", "N")
        posted = desk.client.post(f"/{kind}/{theirs}", data={"csrf_token": csrf, "name": "Pris"})
        assert posted.status_code == 404
    assert project_row(desk, desk.theirs)["name"] == "Buurtwinkel De Linde"


def test_an_officer_changes_the_owner_to_a_carrier_found_later(desk: Desk) -> None:
    csrf = log_in(desk)
    posted = desk.client.post(
        f"/projects/{desk.project}",
        data=form_of(desk, owner=str(desk.carrier), csrf_token=csrf),
        follow_redirects=False,
    )
    assert posted.status_code == 303
    assert posted.headers["location"] == f"/projects/{desk.project}?saved=1"
    assert project_row(desk, desk.project)["owner_id"] == desk.carrier
    html = desk.client.get(posted.headers["location"]).text
    assert "Modifications enregistrées" in html
    assert "Inès Dubois → " in html.replace("<strong>", "") or "Inès Dubois" in html
    # The case page names the project and its new owner, linked to their pages.
    case = desk.client.get(f"/cases/{desk.case}").text
    assert f'href="/projects/{desk.project}"' in case
    assert f'href="/people/{desk.carrier}"' in case


def test_every_refused_field_is_said_in_french_beside_it_and_what_was_typed_is_kept(desk: Desk) -> None:
    csrf = log_in(desk)
    bad = form_of(desk, name="  ", siret="73282932000075", permanent_jobs="trois", csrf_token=csrf)
    answer = desk.client.post(f"/projects/{desk.project}", data=bad)
    assert answer.status_code == 422
    html = answer.text
    assert "3 champs à corriger" in html
    assert "Ce champ est obligatoire." in html
    assert "Ce numéro SIRET n'est pas valide" in html or "Ce numéro SIRET n&#39;est pas valide" in html
    assert "Saisissez un nombre entier" in html
    assert 'value="73282932000075"' in html
    assert 'value="trois"' in html
    assert html.count('aria-invalid="true"') == 3
    assert project_row(desk, desk.project)["name"] == "Recyclerie du Canal"


def test_a_script_in_a_name_is_shown_as_text(desk: Desk) -> None:
    csrf = log_in(desk)
    posted = desk.client.post(
        f"/projects/{desk.project}", data=form_of(desk, name=HOSTILE, csrf_token=csrf), follow_redirects=False
    )
    assert posted.status_code == 303
    for path in (f"/projects/{desk.project}", "/projects", f"/people/{desk.owner}"):
        html = desk.client.get(path).text
        assert "<script>alert" not in html
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; Épicerie" in desk.client.get("/projects").text


def test_a_form_without_its_csrf_token_is_refused(desk: Desk) -> None:
    log_in(desk)
    answer = desk.client.post(f"/projects/{desk.project}", data=form_of(desk, name="Autre"))
    assert answer.status_code == 403
    assert project_row(desk, desk.project)["name"] == "Recyclerie du Canal"


def test_a_person_form_refuses_an_internal_channel_in_french(desk: Desk) -> None:
    csrf = log_in(desk)
    form = {
        "csrf_token": csrf,
        "name": "Inès Dubois",
        "email": "pas-une-adresse",
        "phone": "",
        "language": "nl",
        "add_channels": "json://169.254.169.254/latest/meta-data",
    }
    answer = desk.client.post(f"/people/{desk.owner}", data=form)
    assert answer.status_code == 422
    assert "2 champs à corriger" in answer.text
    assert "adresse interne" in answer.text
    assert "169.254.169.254" in answer.text
    assert "json://169.254.169.254/latest/meta-data</textarea>" in answer.text  # kept
    form |= {"email": "ines.dubois@example.org", "add_channels": "mailto://ines.dubois@example.org"}
    assert desk.client.post(f"/people/{desk.owner}", data=form, follow_redirects=False).status_code == 303
    with desk.app.store.read() as conn:
        row = conn.execute(select(PERSON).where(PERSON.c.id == desk.owner)).mappings().one()
    assert (row["email"], row["language"], row["channels"]) == (
        "ines.dubois@example.org",
        "nl",
        ["mailto://ines.dubois@example.org"],
    )
    sheet = desk.client.get(f"/people/{desk.owner}").text
    assert "Recyclerie du Canal" in sheet
    assert "ines@example.org" in sheet


# --- API -----------------------------------------------------------------------------------


def test_patch_a_project_with_a_bce_makes_it_founded(desk: Desk) -> None:
    idea = make_project(desk.app, desk.org, name="Idée", siret=None, phase="idea")
    answer = desk.client.patch(
        f"/api/v1/projects/{idea}", json={"bce": "0417.497.106", "owner": desk.carrier}, headers=auth(desk)
    )
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["changed"] == ["bce", "owner_id", "phase"]
    assert body["phase_from"] == "identifier"
    assert (body["project"]["bce"], body["project"]["phase"], body["project"]["owner_id"]) == (
        "0417497106",
        "founded",
        desk.carrier,
    )
    cleared = desk.client.patch(f"/api/v1/projects/{idea}", json={"owner": None}, headers=auth(desk)).json()
    assert cleared["changed"] == ["owner_id"]
    assert cleared["project"]["owner_id"] is None


def test_patch_names_every_refused_field_in_one_422(desk: Desk) -> None:
    answer = desk.client.patch(
        f"/api/v1/projects/{desk.project}",
        json={"siret": "12345678901234", "owner": "nobody@example.org", "name": "   "},
        headers=auth(desk),
    )
    assert answer.status_code == 422
    found = [(e["field"], e["code"]) for e in answer.json()["errors"]]
    assert found == [("name", "required"), ("siret", "identifier"), ("owner", "owner")]
    bad_type = desk.client.patch(
        f"/api/v1/projects/{desk.project}", json={"permanent_jobs": -1, "colour": "red"}, headers=auth(desk)
    )
    assert bad_type.status_code == 422


def test_patch_another_organisations_row_is_the_404_of_an_unknown_one(desk: Desk) -> None:
    for kind, theirs in (("projects", desk.theirs), ("people", desk.stranger)):
        mine = desk.client.patch(f"/api/v1/{kind}/{theirs}", json={"name": "Pris"}, headers=auth(desk))
        unknown = desk.client.patch(f"/api/v1/{kind}/999999", json={"name": "Pris"}, headers=auth(desk))
        assert mine.status_code == unknown.status_code == 404
        assert mine.json()["hint"] == unknown.json()["hint"]
        assert mine.json()["detail"].replace(str(theirs), "N") == unknown.json()["detail"].replace(
            "999999", "N"
        )


def test_patch_a_person_refuses_internal_channels_and_records_no_contact_in_the_chain(desk: Desk) -> None:
    refused = desk.client.patch(
        f"/api/v1/people/{desk.owner}",
        json={"channels": ["json://127.0.0.1:8080/hook"], "language": "nl"},
        headers=auth(desk),
    )
    assert refused.status_code == 422
    assert [(e["field"], e["code"]) for e in refused.json()["errors"]] == [("channels", "channel_refused")]
    done = desk.client.patch(
        f"/api/v1/people/{desk.owner}",
        json={"phone": "+32 2 123 45 67", "channels": ["mailto://ines@example.org"]},
        headers=auth(desk),
    )
    assert done.status_code == 200, done.text
    assert done.json()["changed"] == ["channels", "phone"]
    with desk.app.store.read() as conn:
        payload = conn.execute(select(AUDIT.c.payload).where(AUDIT.c.kind == "person_updated")).scalar_one()
    assert payload["fields"] == ["channels", "phone"]
    assert "123 45" not in str(payload)


def test_the_lists_download_as_csv_and_xlsx_in_the_readers_language(desk: Desk) -> None:
    log_in(desk)
    make_project(desk.app, desk.org, name='=HYPERLINK("http://evil.example")', siret=None)
    csv = desk.client.get("/projects", params={"format": "csv"})
    assert csv.status_code == 200
    assert csv.headers["content-type"].startswith("text/csv")
    text = csv.content.decode("utf-8-sig")
    assert text.splitlines()[0].startswith("Nom du projet")
    assert "732 829 320 00074" in text
    assert "Association loi 1901" in text
    assert "Buurtwinkel" not in text
    assert "'=HYPERLINK" in text  # a formula is written as text
    xlsx = desk.client.get("/people", params={"format": "xlsx", "q": "dubois"})
    assert xlsx.status_code == 200
    assert xlsx.content[:2] == b"PK"
    assert 'href="/projects?format=csv"' in desk.client.get("/projects").text
