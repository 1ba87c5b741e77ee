"""Two officers editing one project or person (issue 21, item 5): the second save is refused, not lost.

The project and person forms carry the version they showed (the last ``directory_edit`` of the
row, :mod:`pathways.services.people.edit_version`); a save made on an older one is refused with
409, naming who changed which fields and when, and the form keeps what was typed. The API takes
``expected_version`` in the PATCH body; without one (the CLI, old integrations) nothing is checked.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Table, select

from builders import make_org, make_person, make_project
from pathways.bootstrap import App
from pathways.errors import EditedMeanwhile
from pathways.services.people import accounts, edit_version
from pathways.services.people.accounts import Principal
from pathways.services.people.editing import ProjectUpdate, update_project
from pathways.services.people.person_editing import PersonUpdate, update_person
from pathways.services.tx import write
from pathways.store.core import PERSON, PROJECT
from pathways.web import create_app
from security.inprocess_cli import environment, run

PASSWORD = "correct horse battery staple"


@dataclass(frozen=True)
class Office:
    app: App
    org: int
    camille: int  # officer
    hugo: int  # officer
    owner: int
    project: int


@pytest.fixture
def office(app: App) -> Office:
    org = make_org(app, name="DLA de Paris")
    camille = make_person(app, org, name="Camille Martin", email="camille@example.org")
    hugo = make_person(app, org, name="Hugo Lefèvre", email="hugo@example.org")
    owner = make_person(app, org, role="owner", name="Inès Dubois", email="ines@example.org")
    project = make_project(
        app, org, name="Recyclerie du Canal", siret=None, phase="idea", legal_form=None, permanent_jobs=0
    )
    with write(app) as tx:
        for person in (camille, hugo):
            accounts.add_user(tx, person=person, password=PASSWORD, language="fr")
    return Office(app, org, camille, hugo, owner, project)


def officer(office: Office, person: int) -> Principal:
    return Principal(
        account_id=person,
        person_id=person,
        name="x",
        handle=f"p{person}",
        language="fr",
        session_key="k",
        roles={office.org: frozenset({"officer"})},
    )


def column(app: App, table: Table, row_id: int, name: str) -> object:
    with app.store.read() as conn:
        return conn.execute(select(table.c[name]).where(table.c.id == row_id)).scalar_one()


# --- the use cases -------------------------------------------------------------------------


def test_the_second_of_two_project_edits_made_on_one_version_is_refused_naming_the_first(
    office: Office,
) -> None:
    app = office.app
    with app.store.read() as conn:
        seen = edit_version.version_of(conn, "project", office.project)
    assert seen == 0  # never edited

    first = update_project(
        app,
        ProjectUpdate(project=office.project, name="Recyclerie du Canal Saint-Martin", expected_version=seen),
        by=officer(office, office.camille),
    )
    assert first.changed == ("name",)
    assert first.version == first.edit_id
    assert first.version > seen

    with pytest.raises(EditedMeanwhile) as refused:
        update_project(
            app,
            ProjectUpdate(project=office.project, legal_form="scic", permanent_jobs=4, expected_version=seen),
            by=officer(office, office.hugo),
        )
    conflict = refused.value
    assert (conflict.expected, conflict.now) == (seen, first.version)
    [edit] = conflict.meanwhile
    assert (edit.by, edit.fields, edit.edit) == ("Camille Martin", ("name",), first.version)
    assert "Camille Martin changed name" in conflict.message
    # Nothing of the refused edit was written; the first one stands.
    assert column(app, PROJECT, office.project, "name") == "Recyclerie du Canal Saint-Martin"
    assert column(app, PROJECT, office.project, "legal_form") is None

    # Made again on the version now, it is saved; without a version (the CLI), nothing is checked.
    again = update_project(
        app,
        ProjectUpdate(project=office.project, legal_form="scic", expected_version=first.version),
        by=officer(office, office.hugo),
    )
    assert again.changed == ("legal_form",)
    unchecked = update_project(app, ProjectUpdate(project=office.project, permanent_jobs=4), by=None)
    assert unchecked.changed == ("permanent_jobs",)


def test_a_person_edited_meanwhile_refuses_a_stale_edit_and_an_unchanged_save_keeps_the_version(
    office: Office,
) -> None:
    app = office.app
    first = update_person(
        app,
        PersonUpdate(person=office.owner, phone="+33 1 23 45 67 89", expected_version=0),
        by=officer(office, office.hugo),
    )
    assert first.changed == ("phone",)
    with pytest.raises(EditedMeanwhile) as refused:
        update_person(
            app,
            PersonUpdate(person=office.owner, email="ines.dubois@example.org", expected_version=0),
            by=officer(office, office.camille),
        )
    [edit] = refused.value.meanwhile
    assert (edit.by, edit.fields) == ("Hugo Lefèvre", ("phone",))
    assert column(app, PERSON, office.owner, "email") == "ines@example.org"
    same = update_person(
        app,
        PersonUpdate(person=office.owner, phone="+33 1 23 45 67 89", expected_version=first.version),
        by=officer(office, office.camille),
    )
    assert (same.changed, same.version) == ((), first.version)


# --- the pages -----------------------------------------------------------------------------


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found, "the page has no CSRF token"
    return found.group(1)


def version_of(html: str) -> str:
    found = re.search(r'name="version" value="(\d+)"', html)
    assert found, "the form carries no version"
    return found.group(1)


@pytest.fixture
def browsers(office: Office) -> Iterator[tuple[TestClient, TestClient]]:
    with TestClient(create_app(office.app)) as camille, TestClient(create_app(office.app)) as hugo:
        for client, login in ((camille, "camille@example.org"), (hugo, "hugo@example.org")):
            csrf = csrf_of(client.get("/login").text)
            form = {"login": login, "password": PASSWORD, "csrf_token": csrf, "next": "/cases"}
            assert client.post("/login", data=form, follow_redirects=False).status_code == 303
        yield camille, hugo


def input_value(html: str, name: str) -> str:
    """The value a page's text input `name` shows."""
    found = re.search(rf'<input[^>]*\bname="{name}"[^>]*>', html)
    assert found, f"no input {name}"
    value = re.search(r'\bvalue="([^"]*)"', found.group(0))
    return value.group(1) if value else ""


def project_form(html: str, **changes: str) -> dict[str, str]:
    base = {
        "name": "Recyclerie du Canal",
        "siret": "",
        "bce": "",
        "legal_form": "",
        "permanent_jobs": "0",
        "fixed_term_jobs": "0",
        "owner": "",
        "phase": "",
        "csrf_token": csrf_of(html),
        "version": version_of(html),
    }
    return base | changes


def test_two_officers_save_one_project_form_and_the_second_is_told_who_changed_what(
    office: Office, browsers: tuple[TestClient, TestClient]
) -> None:
    camille, hugo = browsers
    url = f"/projects/{office.project}"
    camilles_form = camille.get(url).text
    hugos_form = hugo.get(url).text  # both opened the form before either saved

    saved = camille.post(
        url, data=project_form(camilles_form, name="Recyclerie Saint-Martin"), follow_redirects=False
    )
    assert saved.status_code == 303

    refused = hugo.post(url, data=project_form(hugos_form, permanent_jobs="7"), follow_redirects=False)
    assert refused.status_code == 409
    html = refused.text
    assert "Quelqu'un d'autre a enregistré une modification" in html
    assert "Camille Martin a modifié Nom le" in html  # who, which field (in French), when
    assert 'value="7"' in html  # what Hugo typed is kept
    # but the name Camille changed shows as it is now: saving again never puts the old one back
    assert input_value(html, "name") == "Recyclerie Saint-Martin"
    assert column(office.app, PROJECT, office.project, "permanent_jobs") == 0
    assert column(office.app, PROJECT, office.project, "name") == "Recyclerie Saint-Martin"

    # The refused form now carries the version as it is: saving it again is a choice made knowingly.
    again = hugo.post(
        url,
        data=project_form(html, name="Recyclerie Saint-Martin", permanent_jobs="7"),
        follow_redirects=False,
    )
    assert again.status_code == 303
    assert column(office.app, PROJECT, office.project, "permanent_jobs") == 7


def test_a_person_form_opened_before_another_officers_save_is_refused_in_the_pages_language(
    office: Office, browsers: tuple[TestClient, TestClient]
) -> None:
    camille, hugo = browsers
    url = f"/people/{office.owner}"
    camilles_form, hugos_form = camille.get(url).text, hugo.get(url).text
    language = column(office.app, PERSON, office.owner, "language")
    assert language != "nl"
    fields = {
        "name": "Inès Dubois",
        "email": "ines@example.org",
        "phone": "",
        "language": str(language or ""),
        "add_channels": "",
    }
    mine = fields | {"phone": "+33 1 23 45 67 89", "csrf_token": csrf_of(camilles_form)}
    assert (
        camille.post(
            url, data=mine | {"version": version_of(camilles_form)}, follow_redirects=False
        ).status_code
        == 303
    )
    theirs = fields | {"language": "nl", "csrf_token": csrf_of(hugos_form), "version": version_of(hugos_form)}
    refused = hugo.post(url, data=theirs, follow_redirects=False)
    assert refused.status_code == 409
    assert "Camille Martin a modifié Téléphone le" in refused.text
    assert input_value(refused.text, "phone") == "+33 1 23 45 67 89"  # changed meanwhile: as it is now
    assert column(office.app, PERSON, office.owner, "language") == language


# --- the API -------------------------------------------------------------------------------


def test_patch_with_a_stale_expected_version_is_a_409_naming_each_edit_since(office: Office) -> None:
    with write(office.app) as tx:
        camille = accounts.create_token(tx, person=office.camille, name="tests").token
        hugo = accounts.create_token(tx, person=office.hugo, name="tests").token
    url = f"/api/v1/projects/{office.project}"
    with TestClient(create_app(office.app)) as client:
        read = client.get(url, headers={"Authorization": f"Bearer {camille}"}).json()
        assert read["version"] == 0
        done = client.patch(
            url,
            json={"name": "Recyclerie Saint-Martin", "expected_version": read["version"]},
            headers={"Authorization": f"Bearer {camille}"},
        )
        assert done.status_code == 200, done.text
        assert done.json()["project"]["version"] > read["version"]

        stale = client.patch(
            url,
            json={"legal_form": "scic", "expected_version": read["version"]},
            headers={"Authorization": f"Bearer {hugo}", "Accept-Language": "nl"},
        )
        assert stale.status_code == 409
        body = stale.json()
        assert body["edited"]["expected_version"] == read["version"]
        assert body["edited"]["version"] == done.json()["project"]["version"]
        [edit] = body["edited"]["meanwhile"]
        assert (edit["by"], edit["fields"]) == ("Camille Martin", ["name"])
        assert body["title"] == "Gewijzigd door iemand anders sinds u het las"
        assert "Camille Martin heeft Naam gewijzigd op" in body["detail"]
        assert column(office.app, PROJECT, office.project, "legal_form") is None

        # Without expected_version, as before: the change is applied.
        plain = client.patch(url, json={"legal_form": "scic"}, headers={"Authorization": f"Bearer {hugo}"})
        assert plain.status_code == 200
        assert plain.json()["changed"] == ["legal_form"]


# --- the command line ----------------------------------------------------------------------


def test_project_update_with_a_stale_expected_version_exits_4_naming_the_edit(
    office: Office, tmp_path: Path
) -> None:
    env = environment(office.app, tmp_path)
    first = run(env, "project", "update", str(office.project), "--name", "Recyclerie Saint-Martin", "--json")
    assert (first.code, first.crash) == (0, None), first.output
    version = json.loads(first.out)["version"]
    assert version > 0

    stale = run(env, "project", "update", str(office.project), "--jobs", "7", "--expected-version", "0")
    assert stale.code == 4, stale.output
    assert "changed since you read it (version 0, now" in stale.output
    assert column(office.app, PROJECT, office.project, "permanent_jobs") == 0

    fresh = run(
        env, "project", "update", str(office.project), "--jobs", "7", "--expected-version", str(version)
    )
    assert fresh.code == 0, fresh.output
    assert column(office.app, PROJECT, office.project, "permanent_jobs") == 7
