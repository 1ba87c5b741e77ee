"""Finding 9: blank names and duplicate identifiers are refused, naming the record that exists.

An organisation, a project or a person named "" or only spaces, a second project with the
SIRET or BCE number of one the organisation has, a second person with the e-mail of one of
its members: each is refused (CLI exit 2, API 422 naming the field) and nothing is written.
Another organisation's project or person is never named: its SIRET or e-mail is not looked at.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from builders import decide, distinct_siret, make_org, make_person, make_project, open_case
from pathways.bootstrap import App
from pathways.errors import FieldError
from pathways.services.exchange import importing
from pathways.services.people import accounts, directory
from pathways.services.tx import write
from pathways.store.core import CASE, MEMBER, ORG, PERSON, PROJECT
from pathways.web import create_app
from security.attack import attacked
from security.inprocess_cli import run_cli

PASSWORD = "correct horse battery staple"
BLANKS = ("", "   ", "\t \u00a0")
BCE = "0403.170.701"


@dataclass(frozen=True)
class World:
    app: App
    client: TestClient
    headers: dict[str, str]
    org: int
    other: int
    siret: str
    project: int  # the own organisation's project with `siret` and BCE
    person: int  # the own organisation's officer, e-mail moi@example.org


@pytest.fixture
def world(app: App) -> Iterator[World]:
    other = make_org(app, name="Réseau voisin")
    make_person(app, other, role="owner", email="voisine@example.org")
    org = make_org(app, name="DLA du quartier")
    me = make_person(app, org, role="manager", name="Camille Martin", email="moi@example.org")
    siret = distinct_siret()
    project = make_project(app, org, name="Recyclerie du Port", siret=siret, bce=BCE)
    with write(app) as tx:
        accounts.add_user(tx, person=me, password=PASSWORD)
        token = accounts.create_token(tx, person=me, name="probe").token
    with TestClient(create_app(app)) as client:
        yield World(app, client, {"Authorization": f"Bearer {token}"}, org, other, siret, project, me)


def counts(app: App) -> tuple[int, ...]:
    with app.store.read() as conn:
        return tuple(
            int(conn.execute(select(func.count()).select_from(t)).scalar_one())
            for t in (ORG, PERSON, MEMBER, PROJECT)
        )


def test_blank_names_are_refused_by_the_cli(
    world: World, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    before = counts(world.app)
    slug = "dla-du-quartier"
    for blank in BLANKS:
        for args in (
            ("org", "add", blank, "--territory", "FR-75"),
            ("project", "add", blank, "--org", slug),
            ("person", "add", blank, "--org", slug, "--role", "officer"),
        ):
            code, printed = run_cli(world.app, monkeypatch, capsys, *args)
            assert code == 2, (args, printed)
            assert "field 'name'" in printed, printed
    assert counts(world.app) == before
    attacked(
        "blank names through the CLI", tried=3 * len(BLANKS), detail="exit 2 naming `name`; nothing added"
    )


def test_blank_names_are_refused_by_the_api_and_the_services(world: World) -> None:
    before = counts(world.app)
    for blank in BLANKS[1:]:  # "" is refused by the API's schema already
        for path, body in (
            ("/api/v1/projects", {"name": blank, "org": world.org}),
            ("/api/v1/people", {"name": blank, "org": world.org, "role": "owner"}),
        ):
            response = world.client.post(path, json=body, headers=world.headers)
            assert response.status_code == 422, (path, response.text)
            assert response.json()["field"] == "name"
        with write(world.app) as tx, pytest.raises(FieldError) as refused:
            directory.add_org(tx, name=blank, territory="FR-75")
        assert refused.value.field == "name"
    assert counts(world.app) == before
    with write(world.app) as tx:  # names are kept without their surrounding blanks
        added = directory.add_org(tx, name="  Réseau du Nord  ", territory="FR-59")
    with world.app.store.read() as conn:
        assert directory.find_org(conn, added.id).name == "Réseau du Nord"
    attacked(
        "blank names through the API", tried=2 * len(BLANKS[1:]), detail="422 naming `name`; nothing added"
    )


def test_a_second_project_with_the_organisations_siret_or_bce_is_refused_naming_it(
    world: World, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    before = counts(world.app)
    named = f"project {world.project} 'Recyclerie du Port'"
    spaced = f"{world.siret[:3]} {world.siret[3:6]} {world.siret[6:9]} {world.siret[9:]}"
    for field, value in (("siret", spaced), ("bce", "BE 0403170701")):
        response = world.client.post(
            "/api/v1/projects",
            json={"name": "Recyclerie bis", "org": world.org, field: value},
            headers=world.headers,
        )
        assert response.status_code == 422, response.text
        assert response.json()["field"] == field
        assert named in response.json()["detail"]
        code, printed = run_cli(
            world.app,
            monkeypatch,
            capsys,
            "project",
            "add",
            "Recyclerie bis",
            "--org",
            "dla-du-quartier",
            f"--{field}",
            value,
        )
        assert code == 2, printed
        assert named in printed
    assert counts(world.app) == before
    # Another organisation may follow the same structure: its SIRET is not looked at there.
    response = world.client.post(
        "/api/v1/projects",
        json={"name": "Recyclerie", "org": world.org, "siret": distinct_siret()},
        headers=world.headers,
    )
    assert response.status_code == 201
    with write(world.app) as tx:
        directory.add_project(
            tx, name="Recyclerie du Port", org=world.other, owner=None, siret=world.siret, bce=BCE,
            territory=None, phase="founded", legal_form=None,
        )  # fmt: skip
    attacked(
        "a second project with the organisation's SIRET or BCE number",
        tried=4,
        detail="API 422 and CLI exit 2 naming the existing project (id and name); nothing added",
    )


def test_csv_import_refuses_the_organisations_siret_naming_its_project(world: World, tmp_path: Path) -> None:
    path = tmp_path / "projects.csv"
    path.write_text(
        f"name,org,siret\nRecyclerie ter,dla-du-quartier,{world.siret}\n"
        f"Ailleurs,reseau-voisin,{world.siret}\n",
        encoding="utf-8",
    )
    with pytest.raises(importing.ImportRefused) as refused:
        importing.import_projects(world.app, path)
    [problem] = refused.value.problems  # the other organisation's row is fine
    assert (problem.line, problem.column) == (2, "siret")
    assert f"project {world.project} 'Recyclerie du Port'" in problem.reason
    attacked(
        "an imported project with the organisation's SIRET", tried=1, detail="refused naming the project"
    )


def test_a_second_person_with_a_members_email_is_refused_naming_them(
    world: World, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    before = counts(world.app)
    named = f"person 'camille-martin' (id {world.person})"
    response = world.client.post(
        "/api/v1/people",
        json={"name": "Camille Bis", "org": world.org, "role": "owner", "email": "MOI@example.org"},
        headers=world.headers,
    )
    assert response.status_code == 422, response.text
    assert response.json()["field"] == "email"
    assert named in response.json()["detail"]
    code, printed = run_cli(
        world.app, monkeypatch, capsys,
        "person", "add", "Camille Bis", "--org", "dla-du-quartier", "--role", "owner",
        "--email", "moi@example.org",
    )  # fmt: skip
    assert code == 2, printed
    assert named in printed
    assert "--existing" in printed
    assert counts(world.app) == before
    # Explicitly: the member gets the new role, no second person.
    code, printed = run_cli(
        world.app, monkeypatch, capsys,
        "person", "add", "Camille Martin", "--org", "dla-du-quartier", "--role", "owner",
        "--email", "moi@example.org", "--existing", "--json",
    )  # fmt: skip
    assert code == 0, printed
    with world.app.store.read() as conn:
        assert sorted(r for _, r in directory.roles_of(conn, world.person)) == ["manager", "owner"]
    assert counts(world.app)[1] == before[1]
    # Another organisation's e-mail is not looked at: a new person, the other one never named.
    response = world.client.post(
        "/api/v1/people",
        json={"name": "Voisine", "org": world.org, "role": "owner", "email": "voisine@example.org"},
        headers=world.headers,
    )
    assert response.status_code == 201, response.text
    attacked(
        "a second person with a member's e-mail",
        tried=2,
        detail="API 422 and CLI exit 2 naming the member's handle; `--existing` gives them the role instead",
    )


def test_a_founding_decision_giving_a_project_the_siret_of_another_is_refused_naming_it(app: App) -> None:
    """A SIRET recorded at founding is checked as when a project is added: one entity, one project."""
    org = make_org(app)
    officer = make_person(app, org)
    make_person(app, org, name="Conseil Coop", role="resource")
    taken = distinct_siret()
    existing = make_project(app, org, name="Régie des Tilleuls", siret=taken)
    project = make_project(app, org, phase="idea", siret=None, legal_form=None)
    opened = open_case(app, project, officer, "ongoing_support")
    decide(
        app,
        opened.ref,
        "consultant_chosen",
        {"brief_sent_on": "2026-07-08", "consultant": "Conseil Coop", "consultant_answer_on": "2026-07-13"},
        by=officer,
    )
    decide(
        app,
        opened.ref,
        "done_to_founding",
        {"missions": "Étude de faisabilité", "consultant_days": "6", "reports": "Rapport final"},
        by=officer,
    )
    with app.store.read() as conn:
        version = conn.execute(select(CASE.c.version).where(CASE.c.id == opened.id)).scalar_one()

    founded = {"country": "fr", "siret": taken, "founded_on": "2026-07-01"}
    with pytest.raises(FieldError, match=rf"project {existing} 'Régie des Tilleuls' .* SIRET {taken}"):
        decide(app, opened.ref, "founded", founded, by=officer)

    with app.store.read() as conn:
        assert conn.execute(select(PROJECT.c.siret).where(PROJECT.c.id == project)).scalar_one() is None
        assert conn.execute(select(CASE.c.version).where(CASE.c.id == opened.id)).scalar_one() == version
    attacked(
        "a founding decision giving a project the SIRET of another project of the organisation",
        tried=1,
        detail="refused naming the existing project; case and project unchanged",
    )
