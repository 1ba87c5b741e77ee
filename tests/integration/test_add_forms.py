"""The forms that add a project or a person say every refused field at once, beside it, in the
page's language, keep what was typed, answer 422 and write nothing (as the edit forms do)."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from builders import make_org, make_person
from pathways.bootstrap import App
from pathways.services.people import accounts
from pathways.services.tx import write
from pathways.store.core import PERSON, PROJECT
from pathways.web import create_app

PASSWORD = "correct horse battery staple"
WRONG_SIRET = "732 829 320 00075"  # a wrong check digit
SAID = {
    "fr": {
        "name": "Ce champ est obligatoire.",
        "siret": "Ce numéro SIRET n'est pas valide : 14 chiffres, dont une clé de contrôle.",
        "jobs": "Saisissez un nombre entier, par exemple 4.",
        "summary": "3 champs à corriger : rien n'est encore enregistré.",
        "email": "Saisissez une adresse e-mail, par exemple nom@example.org.",
        "phone": "Saisissez un numéro de téléphone, par exemple +33 1 23 45 67 89.",
    },
    "nl": {
        "name": "Dit veld is verplicht.",
        "siret": "Dit SIRET-nummer is ongeldig: 14 cijfers, met een controlecijfer.",
        "jobs": "Vul een geheel getal in, bijvoorbeeld 4.",
        "summary": "3 velden te verbeteren: er is nog niets opgeslagen.",
        "email": "Geef een e-mailadres, bijvoorbeeld naam@example.org.",
        "phone": "Geef een telefoonnummer, bijvoorbeeld +32 2 123 45 67.",
    },
}


@dataclass(frozen=True)
class Officer:
    client: TestClient
    org: int
    lang: str


def _officer(app: App, lang: str) -> Iterator[Officer]:
    org = make_org(app)
    officer = make_person(app, org, name="Margaux Lebrun", email=f"margaux-{lang}@example.org")
    with write(app) as tx:
        accounts.add_user(tx, person=officer, password=PASSWORD, language=lang)
    with TestClient(create_app(app)) as client:
        login = client.get("/login").text
        form = {"login": f"margaux-{lang}@example.org", "password": PASSWORD, "csrf_token": _csrf(login)}
        assert client.post("/login", data=form, follow_redirects=False).status_code == 303
        yield Officer(client, org, lang)


@pytest.fixture(params=["fr", "nl"])
def officer(app: App, request: pytest.FixtureRequest) -> Iterator[Officer]:
    yield from _officer(app, request.param)


def _csrf(page: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert found, "the page has no CSRF token"
    return found.group(1)


def _beside(page: str) -> dict[str, str]:
    """Each error said beside a field: {field: text}."""
    found = re.findall(r'<p class="field-error" id="(\w+)-error">(.*?)</p>', page, re.DOTALL)
    shown = (re.sub(r'<span class="sr-only">.*?</span>', "", text) for _, text in found)
    return {field: html.unescape(text).strip() for (field, _), text in zip(found, shown, strict=True)}


def _input(page: str, name: str) -> str:
    found = re.search(rf'<(?:input|select) id="{name}" [^>]*>', page)
    assert found, f"no input {name}"
    return found.group(0)


def _count(app: App, table: object) -> int:
    with app.store.read() as conn:
        return int(conn.scalar(select(func.count()).select_from(table)) or 0)  # type: ignore[arg-type]


def test_three_refused_fields_of_a_new_project_are_said_at_once_beside_them_in_the_pages_language(
    app: App, officer: Officer
) -> None:
    client = officer.client
    form = {
        "org": str(officer.org),
        "name": "  ",
        "siret": WRONG_SIRET,
        "bce": "",
        "phase": "",
        "legal_form": "scop",
        "jobs": "beaucoup",
        "csrf_token": _csrf(client.get("/projects/new").text),
    }
    before = _count(app, PROJECT)

    refused = client.post("/projects/new", data=form, follow_redirects=False)

    assert refused.status_code == 422
    page = refused.text
    said = SAID[officer.lang]
    assert _beside(page) == {"name": said["name"], "siret": said["siret"], "jobs": said["jobs"]}
    assert said["summary"] in html.unescape(page)
    for name in ("name", "siret", "jobs"):
        assert f'aria-describedby="{name}-error"' in _input(page, name)
        assert 'aria-invalid="true"' in _input(page, name)
    assert 'aria-invalid="true"' not in _input(page, "legal_form")
    assert 'value="732 829 320 00075"' in _input(page, "siret")
    assert 'value="beaucoup"' in _input(page, "jobs")
    assert 'value="scop"' in _input(page, "legal_form")
    assert _count(app, PROJECT) == before


def test_refused_fields_of_a_new_person_are_said_at_once_and_kept(app: App, officer: Officer) -> None:
    client = officer.client
    page = client.get("/people/new").text
    form = {
        "org": str(officer.org),
        "name": "",
        "role": "owner",
        "email": "pas-une-adresse",
        "phone": "appelez-moi",
        "lang": "",
        "csrf_token": _csrf(page),
    }
    before = _count(app, PERSON)

    refused = client.post("/people/new", data=form, follow_redirects=False)

    assert refused.status_code == 422
    said = SAID[officer.lang]
    assert _beside(refused.text) == {"name": said["name"], "email": said["email"], "phone": said["phone"]}
    assert 'value="pas-une-adresse"' in _input(refused.text, "email")
    assert 'value="appelez-moi"' in _input(refused.text, "phone")
    assert _count(app, PERSON) == before
