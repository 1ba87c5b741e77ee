"""A cooperation case on the web and the API: the partner organisation's staff find it only on both consents.

Before any consent, after the case's organisation's alone, and after a withdrawal, the partner's
officer gets from `/cases/REF` and `/api/v1/cases/REF/members` exactly the 404 an unknown
reference gets; once both consents stand, the partner's view (names and roles, no contact).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from fastapi.testclient import TestClient

from builders import make_org, make_person, make_project, open_case
from pathways.bootstrap import App
from pathways.services.people import accounts
from pathways.services.tx import write
from pathways.web import create_app

PASSWORD = "correct horse battery staple"


@dataclass(frozen=True)
class Desk:
    client: TestClient
    ref: str
    tokens: dict[str, str]  # handle -> API token


@pytest.fixture
def desk(app: App) -> Iterator[Desk]:
    home = make_org(app, name="PTCE Pays de Morlaix", territory="FR-29")
    partner = make_org(app, name="Incubateur ESS Finistère", territory="FR-29")
    people = {
        "maelle": make_person(app, home, role="manager", name="Maëlle Le Gall", email="maelle@ptce.example"),
        "yann": make_person(app, home, name="Yann Kerjean", email="yann@ptce.example"),
        "soizic": make_person(
            app, partner, role="manager", name="Soizic Tanguy", email="soizic@incub.example"
        ),
        "erwan": make_person(app, partner, name="Erwan Guivarc'h", email="erwan@incub.example"),
    }
    owner = make_person(app, home, role="owner", name="Anne Le Bihan", email="anne@recyclerie.example")
    lead = make_project(app, home, name="Recyclerie du Trégor", owner=owner)
    make_project(app, partner, name="Conserverie coopérative")
    ref = str(open_case(app, lead, people["yann"], "cooperation").ref)
    tokens = {}
    with write(app) as tx:
        for handle, person in people.items():
            accounts.add_user(tx, person=person, password=PASSWORD, language="fr")
            tokens[handle] = accounts.create_token(tx, person=person, name="tests").token
    with TestClient(create_app(app), follow_redirects=False) as client:
        yield Desk(client, ref, tokens)


def _api(desk: Desk, who: str, method: str, path: str, body: object = None) -> tuple[int, object]:
    headers = {"Authorization": f"Bearer {desk.tokens[who]}"}
    response = desk.client.request(method, f"/api/v1{path}", headers=headers, json=body)
    return response.status_code, response.json()


def _login(desk: Desk, email: str) -> None:
    desk.client.cookies.clear()
    page = desk.client.get("/login").text
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert csrf is not None
    form = {"login": email, "password": PASSWORD, "csrf_token": csrf.group(1), "next": "/cases"}
    assert desk.client.post("/login", data=form).status_code == 303


def _hidden_from_partner(desk: Desk) -> None:
    """The partner's officer gets exactly the unknown reference's 404, page and API."""
    unknown = "COOP-2026-9999"
    status, said = _api(desk, "erwan", "GET", f"/cases/{desk.ref}/members")
    status_unknown, said_unknown = _api(desk, "erwan", "GET", f"/cases/{unknown}/members")
    assert (status, status_unknown) == (404, 404)
    assert str(said).replace(desk.ref, "X") == str(said_unknown).replace(unknown, "X")
    _login(desk, "erwan@incub.example")
    page = desk.client.get(f"/cases/{desk.ref}")
    other = desk.client.get(f"/cases/{unknown}")
    assert (page.status_code, other.status_code) == (404, 404)
    assert page.text.replace(desk.ref, "X") == other.text.replace(unknown, "X")


def test_the_partner_finds_the_case_only_while_both_consents_stand(desk: Desk) -> None:
    _hidden_from_partner(desk)  # before any consent

    # An officer records no consent for the organisation (403); a manager does.
    status, _said = _api(
        desk, "yann", "POST", f"/cases/{desk.ref}/shares", {"partner": "Incubateur ESS Finistère"}
    )
    assert status == 403
    status, offered = _api(
        desk, "maelle", "POST", f"/cases/{desk.ref}/shares", {"partner": "Incubateur ESS Finistère"}
    )
    assert status == 201
    assert isinstance(offered, dict)
    assert offered["status"] == "offered"
    _hidden_from_partner(desk)  # one side's consent

    # The partner's manager accepts from the list of offers, on the page.
    _login(desk, "soizic@incub.example")
    offers = desk.client.get("/cooperation")
    assert offers.status_code == 200
    assert desk.ref in offers.text
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', offers.text)
    assert csrf is not None
    accepted = desk.client.post(f"/cases/{desk.ref}/shares/accept", data={"csrf_token": csrf.group(1)})
    assert accepted.status_code == 303

    _login(desk, "erwan@incub.example")
    shown = desk.client.get(f"/cases/{desk.ref}")
    assert shown.status_code == 200
    assert "Recyclerie du Trégor" in shown.text
    assert "Yann Kerjean" in shown.text  # names and roles...
    assert "@" not in shown.text.split("<main", 1)[-1]  # ...never an e-mail address
    assert "Anne Le Bihan" not in shown.text  # nor the project lead, whose case it is not
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', shown.text)
    assert csrf is not None
    added = desk.client.post(
        f"/cases/{desk.ref}/members",
        data={"csrf_token": csrf.group(1), "project": "Conserverie coopérative", "role": "member"},
    )
    assert added.status_code == 303
    # A decision stays the case's organisation's: the partner's post is the unknown case's 404.
    decided = desk.client.post(
        f"/cases/{desk.ref}/decide", data={"csrf_token": csrf.group(1), "outcome": "x"}
    )
    assert decided.status_code == 404
    status, members = _api(desk, "erwan", "GET", f"/cases/{desk.ref}/members")
    assert status == 200
    assert isinstance(members, list)
    assert [(m["project"], m["active"]) for m in members] == [
        ("Recyclerie du Trégor", True),
        ("Conserverie coopérative", True),
    ]

    # The case's organisation sees the member, the share and both consents on its case page.
    _login(desk, "yann@ptce.example")
    own = desk.client.get(f"/cases/{desk.ref}")
    assert own.status_code == 200
    assert "Conserverie coopérative" in own.text
    assert "Soizic Tanguy" in own.text
    assert 'data-status="shared"' in own.text

    status, withdrawn = _api(desk, "maelle", "POST", f"/cases/{desk.ref}/shares/withdraw", {})
    assert status == 200
    assert isinstance(withdrawn, dict)
    assert withdrawn["status"] == "withdrawn"
    _hidden_from_partner(desk)  # after the withdrawal


def test_a_refused_member_is_said_in_french_and_nothing_is_written(desk: Desk) -> None:
    _login(desk, "yann@ptce.example")
    page = desk.client.get(f"/cases/{desk.ref}")
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert csrf is not None
    refused = desk.client.post(
        f"/cases/{desk.ref}/members", data={"csrf_token": csrf.group(1), "project": "Conserverie coopérative"}
    )
    assert refused.status_code == 422
    assert "Aucun projet « Conserverie coopérative » parmi ceux que vous pouvez ajouter." in refused.text
    status, members = _api(desk, "yann", "GET", f"/cases/{desk.ref}/members")
    assert status == 200
    assert isinstance(members, list)
    assert len(members) == 1
