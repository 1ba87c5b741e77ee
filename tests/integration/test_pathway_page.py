"""The pathway page (``GET /pathways/{id}``) writes its labels as each language does: "Délai : 3 jours"
in French (a space before the colon), "Termijn: 3 dagen" in Dutch, through the catalogue's label pattern."""

from __future__ import annotations

import re
from collections.abc import Iterator
from html import unescape

import pytest
from fastapi.testclient import TestClient

from builders import make_org, make_person
from pathways.bootstrap import App
from pathways.services.people import accounts
from pathways.services.tx import write
from pathways.web import create_app

PASSWORD = "correct horse battery staple"


@pytest.fixture
def reader(app: App, request: pytest.FixtureRequest) -> Iterator[TestClient]:
    """A logged-in officer whose language is the test's parameter."""
    org = make_org(app)
    officer = make_person(app, org, name="Camille Martin", email="camille@example.org")
    with write(app) as tx:
        accounts.add_user(tx, person=officer, password=PASSWORD, language=request.param)
    with TestClient(create_app(app)) as client:
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").text)
        assert csrf
        form = {"login": "camille@example.org", "password": PASSWORD, "csrf_token": csrf.group(1)}
        assert client.post("/login", data=form, follow_redirects=False).status_code == 303
        yield client


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", "", html)))


@pytest.mark.parametrize("reader", ["fr"], indirect=True)
def test_the_labels_of_a_french_pathway_page_have_a_space_before_the_colon(reader: TestClient) -> None:
    page = reader.get("/pathways/diagnosis")
    assert page.status_code == 200
    text = _text(page.text)
    for label in ("Versions", "Responsable", "Délai", "Données recueillies"):
        assert f"{label} : " in text, label
        assert f"{label}:" not in text, label


@pytest.mark.parametrize("reader", ["nl"], indirect=True)
def test_a_dutch_pathway_page_keeps_the_colon_on_the_label(reader: TestClient) -> None:
    text = _text(reader.get("/pathways/diagnosis").text)
    assert re.search(r"\w: ", text)
    assert not re.search(r"\w : ", text)  # no French spacing in Dutch
