"""Collective missions and transfers (services.casework.collective): several structures' cases linked,
each keeping its own, within one organisation; from the service, the CLI, the API and the case page."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from builders import make_org, make_person, make_project, open_case
from pathways.bootstrap import App
from pathways.errors import FieldError, NotFound, Refused
from pathways.services.casework.views import OpenedCase
from pathways.services.collaboration import collective
from pathways.services.people import accounts
from pathways.services.tx import write
from pathways.store.audit_verify import verify_chain
from pathways.store.core import AUDIT
from pathways.web import create_app
from security.inprocess_cli import environment, run

PASSWORD = "correct horse battery staple"


@dataclass(frozen=True)
class World:
    org: int
    other_org: int
    officer: int
    cases: dict[str, OpenedCase]  # by project name
    stranger_case: OpenedCase  # a case of the other organisation


@pytest.fixture
def world(app: App) -> World:
    org, other_org = make_org(app, name="DLA de Paris"), make_org(app, name="DLA du Nord")
    officer = make_person(app, org, name="Camille Martin", email="camille@example.org")
    stranger = make_person(app, other_org, name="Jules Petit")
    cases = {
        name: open_case(app, make_project(app, org, name=name), officer, "ongoing_support")
        for name in ("Recyclerie du Canal", "Épicerie solidaire", "Ressourcerie Belleville")
    }
    stranger_case = open_case(
        app, make_project(app, other_org, name="Garage du Nord"), stranger, "ongoing_support"
    )
    return World(org, other_org, officer, cases, stranger_case)


def create(app: App, world: World, *refs: str, kind: str = "collective_mission") -> collective.CollectiveView:
    command = collective.CreateCollective(
        world.org, kind, "Mission RH collective", refs, person=world.officer
    )
    return collective.create(app, command, by=None)


def events(app: App, kind: str) -> list[dict[str, Any]]:
    with app.store.read() as conn:
        rows = conn.execute(
            select(AUDIT.c.case_id, AUDIT.c.payload).where(AUDIT.c.kind == kind).order_by(AUDIT.c.id)
        )
        return [{"case_id": r.case_id, **r.payload} for r in rows]


# The service


def test_a_collective_links_the_cases_each_keeping_its_own_and_the_history_says_so(
    app: App, world: World
) -> None:
    canal, epicerie, belleville = world.cases.values()
    made = create(app, world, canal.ref, epicerie.ref)

    assert [c.project for c in made.cases] == ["Recyclerie du Canal", "Épicerie solidaire"]
    assert [c.status for c in made.cases] == ["open", "open"]
    with app.store.read() as conn:
        (linked,) = collective.collectives_of_case(conn, canal.id)
        assert linked.id == made.id
        assert collective.collectives_of_case(conn, belleville.id) == ()
    assert [e["case_id"] for e in events(app, "collective_linked")] == [canal.id, epicerie.id]

    collective.add_case(app, collective.LinkCase(made.id, belleville.ref, person=world.officer), by=None)
    after = collective.remove_case(
        app, collective.UnlinkCase(made.id, canal.ref, person=world.officer), by=None
    )
    assert [c.ref for c in after.cases] == [epicerie.ref, belleville.ref]
    assert [e["case_id"] for e in events(app, "collective_unlinked")] == [canal.id]
    with app.store.read() as conn:
        assert collective.collectives_of_case(conn, canal.id) == ()  # left, not deleted
        assert all(r.ok for r in verify_chain(conn, key=app.audit_key, organisation_id=world.org))


@pytest.mark.parametrize(
    ("kind", "label", "field"),
    [("collective_party", "Mission RH", "kind"), ("collective_mission", "   ", "label")],
)
def test_a_bad_kind_or_label_is_refused_naming_the_field_and_creates_nothing(
    app: App, world: World, kind: str, label: str, field: str
) -> None:
    with pytest.raises(FieldError) as refused:
        collective.create(app, collective.CreateCollective(world.org, kind, label), by=None)
    assert refused.value.field == field
    with app.store.read() as conn:
        assert collective.of_organisation(conn, world.org) == ()


def test_a_case_of_another_organisation_is_not_found_and_nothing_is_written(app: App, world: World) -> None:
    canal = world.cases["Recyclerie du Canal"]
    refs = (canal.ref, world.stranger_case.ref)
    with pytest.raises(NotFound) as refused:
        collective.create(
            app,
            collective.CreateCollective(world.org, "collective_transfer", "Transfert collectif", refs),
            by=None,
        )
    assert world.stranger_case.ref in refused.value.message
    with app.store.read() as conn:
        assert collective.of_organisation(conn, world.org) == ()
    made = create(app, world, canal.ref)
    with pytest.raises(NotFound):
        collective.add_case(app, collective.LinkCase(made.id, world.stranger_case.ref), by=None)
    with pytest.raises(NotFound) as hidden, app.store.read() as conn:  # as one that does not exist
        collective.find(conn, made.id, orgs=(world.other_org,))
    with pytest.raises(NotFound) as missing, app.store.read() as conn:
        collective.find(conn, made.id + 1000, orgs=(world.other_org,))
    assert hidden.value.hint == missing.value.hint


def test_linking_twice_or_removing_a_case_not_linked_is_refused(app: App, world: World) -> None:
    canal, epicerie, _ = world.cases.values()
    made = create(app, world, canal.ref)
    with pytest.raises(Refused):
        collective.add_case(app, collective.LinkCase(made.id, canal.ref), by=None)
    with pytest.raises(Refused):
        collective.remove_case(app, collective.UnlinkCase(made.id, epicerie.ref), by=None)


# The CLI


def test_the_cli_creates_adds_shows_and_refuses_another_organisations_case(
    app: App, world: World, tmp_path: Path
) -> None:
    env = environment(app, tmp_path)
    canal, epicerie, belleville = world.cases.values()
    ran = run(env, "collective", "create", "DLA de Paris", "collective_mission", "Mission RH",
              "--case", canal.ref, "--case", epicerie.ref, "--json")  # fmt: skip
    assert (ran.code, ran.crash) == (0, None), ran.output
    made = json.loads(ran.out)
    assert [c["project"] for c in made["cases"]] == ["Recyclerie du Canal", "Épicerie solidaire"]

    added = run(env, "collective", "add", str(made["id"]), belleville.ref)
    assert added.code == 0, added.output
    assert "Ressourcerie Belleville" in added.out

    foreign = run(env, "collective", "add", str(made["id"]), world.stranger_case.ref)
    assert (foreign.code, foreign.crash) == (3, None)  # not found, as a wrong reference
    assert f"no case '{world.stranger_case.ref}'" in foreign.output

    bad = run(env, "collective", "create", "DLA de Paris", "collective_party", "Mission RH")
    assert (bad.code, bad.crash) == (2, None)
    assert "kind" in bad.output

    listed = run(env, "collective", "list", "DLA de Paris")
    assert "Mission RH" in listed.out


# The API and the case page


@pytest.fixture
def client(app: App, world: World) -> Iterator[tuple[TestClient, dict[str, str]]]:
    with write(app) as tx:
        accounts.add_user(tx, person=world.officer, password=PASSWORD, language="fr")
        token = accounts.create_token(tx, person=world.officer, name="tests").token
    with TestClient(create_app(app), follow_redirects=False) as browser:
        yield browser, {"Authorization": f"Bearer {token}"}


def test_the_api_links_cases_and_another_organisations_look_the_same_as_missing(
    app: App, world: World, client: tuple[TestClient, dict[str, str]]
) -> None:
    browser, headers = client
    canal, epicerie, _ = world.cases.values()
    body = {"kind": "collective_transfer", "label": "Transfert GEIQ", "cases": [canal.ref]}
    made = browser.post(f"/api/v1/orgs/{world.org}/collectives", json=body, headers=headers)
    assert made.status_code == 201, made.text
    number = made.json()["id"]

    linked = browser.post(f"/api/v1/collectives/{number}/cases", json={"case": epicerie.ref}, headers=headers)
    assert [c["project"] for c in linked.json()["cases"]] == ["Recyclerie du Canal", "Épicerie solidaire"]
    again = browser.post(f"/api/v1/collectives/{number}/cases", json={"case": epicerie.ref}, headers=headers)
    assert again.status_code == 409

    foreign = browser.post(
        f"/api/v1/collectives/{number}/cases", json={"case": world.stranger_case.ref}, headers=headers
    )
    unknown = browser.post(
        f"/api/v1/collectives/{number}/cases", json={"case": "SUPP-2026-9999"}, headers=headers
    )
    assert foreign.status_code == unknown.status_code == 404
    elsewhere = browser.post(f"/api/v1/orgs/{world.other_org}/collectives", json=body, headers=headers)
    assert elsewhere.status_code == 404
    # a collective of the other organisation is not found either
    theirs = collective.create(
        app, collective.CreateCollective(world.other_org, "collective_mission", "Nord"), by=None
    )
    assert browser.get(f"/api/v1/collectives/{theirs.id}", headers=headers).status_code == 404
    assert browser.get(f"/api/v1/collectives/{theirs.id + 1000}", headers=headers).status_code == 404

    removed = browser.delete(f"/api/v1/collectives/{number}/cases/{canal.ref}", headers=headers)
    assert [c["ref"] for c in removed.json()["cases"]] == [epicerie.ref]


def test_the_case_page_names_the_other_structures_of_its_collective(
    app: App, world: World, client: tuple[TestClient, dict[str, str]]
) -> None:
    browser, _ = client
    canal, epicerie, belleville = world.cases.values()
    create(app, world, canal.ref, epicerie.ref)
    login = browser.get("/login").text
    csrf = login.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
    form = {"login": "camille@example.org", "password": PASSWORD, "csrf_token": csrf, "next": "/cases"}
    assert browser.post("/login", data=form).status_code == 303

    page = browser.get(f"/cases/{canal.ref}").text
    assert "Actions collectives" in page
    assert "Mission collective" in page
    assert f'<a href="/cases/{epicerie.ref}">Épicerie solidaire</a>' in page
    assert "Ressourcerie Belleville" not in page
    alone = browser.get(f"/cases/{belleville.ref}").text
    assert "Actions collectives" not in alone
