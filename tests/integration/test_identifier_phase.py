"""A legal identifier means a legal entity: a project added with a SIRET or BCE number and no
phase is `founded`; an earlier phase given with one is kept and recorded as given despite it.

The same rule through every way in: the `pathways` command (real processes, on SQLite and
PostgreSQL), the REST API, the web form and a CSV import.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from builders import VALID_SIRET, distinct_siret, make_org, make_person
from pathways.bootstrap import App
from pathways.domain.lifecycle import initial_phase
from pathways.domain.spec import Phase
from pathways.services.exchange import importing
from pathways.services.people import accounts
from pathways.services.tx import write
from pathways.store.core import AUDIT, PROJECT
from pathways.web import create_app

ROOT = Path(__file__).resolve().parents[2]
BCE = "0403170701"  # a valid Belgian enterprise number (mod 97)
PASSWORD = "correct horse battery staple"


def _added(app: App, project_id: int) -> dict[str, Any]:
    """The project's row and its `project_added` payload."""
    with app.store.read() as conn:
        row = conn.execute(select(PROJECT).where(PROJECT.c.id == project_id)).mappings().one()
        events = conn.execute(select(AUDIT.c.kind, AUDIT.c.payload)).all()
    payload = next(p for kind, p in events if kind == "project_added" and p["project"] == project_id)
    return {"phase": row["phase"], "recorded": payload["phase"], "from": payload["phase_from"]}


# --- the rule ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("given", "identified", "phase", "source"),
    [
        (None, False, Phase.IDEA, "default"),
        (None, True, Phase.FOUNDED, "identifier"),
        (Phase.EMERGENCE, False, Phase.EMERGENCE, "given"),
        (Phase.IDEA, True, Phase.IDEA, "given_despite_identifier"),
        (Phase.EMERGENCE, True, Phase.EMERGENCE, "given_despite_identifier"),
        (Phase.FOUNDED, True, Phase.FOUNDED, "given"),
        (Phase.SCALING, True, Phase.SCALING, "given"),
    ],
)
def test_a_new_projects_phase_is_the_given_one_else_founded_with_an_identifier_else_idea(
    given: Phase | None, identified: bool, phase: Phase, source: str
) -> None:
    start = initial_phase(given, identified=identified)
    assert (start.phase, start.source) == (phase, source)


# --- the command, as an officer types it -----------------------------------------------------


@dataclass(frozen=True)
class Shell:
    env: dict[str, str]
    org: int
    officer: int

    def run(self, *args: str) -> subprocess.CompletedProcess[str]:
        done = subprocess.run(
            [sys.executable, "-m", "pathways", *args],
            cwd=ROOT,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert "Traceback" not in done.stdout + done.stderr, done.stdout + done.stderr
        return done

    def ok(self, *args: str) -> str:
        done = self.run(*args)
        assert done.returncode == 0, (
            f"{' '.join(args)} exited {done.returncode}:\n{done.stdout}\n{done.stderr}"
        )
        return done.stdout


@pytest.fixture
def shell(app: App, tmp_path: Path) -> Shell:
    """The `pathways` command on the test's database (SQLite or PostgreSQL), an org and an officer."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PATHWAYS_")}
    env |= {
        "PATHWAYS_DATABASE_URL": app.store.engine.url.render_as_string(hide_password=False),
        "PATHWAYS_HOME": str(tmp_path),
        "PATHWAYS_ENVIRONMENT": "test",
        "PATHWAYS_EXECUTOR": "inline",
        "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT / "src"), os.environ.get("PYTHONPATH")])),
        "COLUMNS": "250",
        "NO_COLOR": "1",
    }
    org = make_org(app, name="DLA du Val-de-Marne", territory="FR-94")
    return Shell(env, org, make_person(app, org, name="Margaux Lebrun"))


def _project_id(stdout: str) -> int:
    found = re.search(r"\(id (\d+)\)", stdout)
    assert found, stdout
    return int(found.group(1))


def test_a_project_added_with_a_siret_is_founded_and_can_open_a_diagnosis(app: App, shell: Shell) -> None:
    added = shell.ok(
        "project", "add", "Recyclerie des Bords de Marne", "--org", str(shell.org), "--siret", VALID_SIRET
    )
    project = _project_id(added)
    assert _added(app, project) == {"phase": "founded", "recorded": "founded", "from": "identifier"}
    opened = shell.ok(
        "case", "open", "Recyclerie des Bords de Marne", "diagnosis", "--officer", str(shell.officer)
    )
    assert "at stage intake" in opened


def test_an_earlier_phase_given_with_a_siret_stays_and_is_recorded_as_given_despite_it(
    app: App, shell: Shell
) -> None:
    args = ["project", "add", "Nouvelle activité", "--org", str(shell.org), "--siret", distinct_siret()]
    project = _project_id(shell.ok(*args, "--phase", "emergence"))
    assert _added(app, project) == {
        "phase": "emergence",
        "recorded": "emergence",
        "from": "given_despite_identifier",
    }
    refused = shell.run("case", "open", str(project), "diagnosis", "--officer", str(shell.officer))
    assert refused.returncode == 4  # a diagnosis is for founded structures: the officer's choice holds
    assert "emergence" in refused.stderr


def test_without_an_identifier_a_project_is_an_idea_and_a_bce_number_makes_it_founded(
    app: App, shell: Shell
) -> None:
    idea = _project_id(shell.ok("project", "add", "Idée de quartier", "--org", str(shell.org)))
    belgian = _project_id(shell.ok("project", "add", "Coopérative", "--org", str(shell.org), "--bce", BCE))
    assert _added(app, idea) == {"phase": "idea", "recorded": "idea", "from": "default"}
    assert _added(app, belgian) == {"phase": "founded", "recorded": "founded", "from": "identifier"}


# --- the REST API and the web form ---------------------------------------------------------------


@dataclass(frozen=True)
class Desk:
    client: TestClient
    token: str
    org: int


@pytest.fixture
def desk(app: App) -> Iterator[Desk]:
    org = make_org(app)
    officer = make_person(app, org, name="Margaux Lebrun", email="margaux@example.org")
    with write(app) as tx:
        accounts.add_user(tx, person=officer, password=PASSWORD, language="en")
        token = accounts.create_token(tx, person=officer, name="tests").token
    with TestClient(create_app(app)) as client:
        yield Desk(client, token, org)


def test_the_api_adds_a_project_with_a_siret_as_founded_unless_a_phase_is_given(app: App, desk: Desk) -> None:
    headers = {"Authorization": f"Bearer {desk.token}"}
    founded = desk.client.post(
        "/api/v1/projects",
        json={"name": "Avec SIRET", "org": str(desk.org), "siret": VALID_SIRET},
        headers=headers,
    )
    given = desk.client.post(
        "/api/v1/projects",
        json={"name": "Nouvelle activité", "org": str(desk.org), "siret": distinct_siret(), "phase": "idea"},
        headers=headers,
    )
    plain = desk.client.post("/api/v1/projects", json={"name": "Idée", "org": str(desk.org)}, headers=headers)
    assert [r.status_code for r in (founded, given, plain)] == [201, 201, 201], founded.text + given.text
    assert _added(app, founded.json()["id"])["from"] == "identifier"
    assert _added(app, given.json()["id"]) == {
        "phase": "idea",
        "recorded": "idea",
        "from": "given_despite_identifier",
    }
    assert _added(app, plain.json()["id"]) == {"phase": "idea", "recorded": "idea", "from": "default"}


def test_the_web_form_offers_no_phase_by_default_and_a_siret_then_makes_the_project_founded(
    app: App, desk: Desk
) -> None:
    login = desk.client.get("/login").text
    form = {"login": "margaux@example.org", "password": PASSWORD, "csrf_token": _csrf(login), "next": "/"}
    assert desk.client.post("/login", data=form, follow_redirects=False).status_code == 303
    page = desk.client.get("/projects/new").text
    select_ = re.search(r'<select id="phase" name="phase"[^>]*>(.*?)</select>', page, re.DOTALL)
    assert select_ is not None
    assert select_.group(1).startswith('<option value="">')  # the first, so the browser's default
    form = {
        "org": str(desk.org),
        "name": "Par le formulaire",
        "siret": VALID_SIRET,
        "phase": "",
        "csrf_token": _csrf(page),
    }
    added = desk.client.post("/projects/new", data=form, follow_redirects=False)
    assert added.status_code == 303, added.text
    project = int(added.headers["location"].rsplit("=", 1)[1])
    assert _added(app, project) == {"phase": "founded", "recorded": "founded", "from": "identifier"}


def _csrf(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found, "the page has no CSRF token"
    return found.group(1)


# --- a CSV import ------------------------------------------------------------------------------


def test_an_import_applies_the_same_rule_and_its_event_names_the_earlier_phases_given(
    app: App, tmp_path: Path
) -> None:
    org = make_org(app, name="DLA Import")
    path = tmp_path / "projects.csv"
    path.write_text(
        "name,org,siret,bce,phase\n"
        f"Avec SIRET,{org},{VALID_SIRET},,\n"
        f"Avec BCE,{org},,{BCE},\n"
        f"Sans numéro,{org},,,\n"
        f"Nouvelle activité,{org},{distinct_siret()},,Emergence\n"
        f"Déjà consolidée,{org},{distinct_siret()},,consolidation\n",
        encoding="utf-8",
    )
    report = importing.import_projects(app, path)
    with app.store.read() as conn:
        phases: dict[str, str] = dict(conn.execute(select(PROJECT.c.name, PROJECT.c.phase)).tuples().all())
        payload = conn.execute(
            select(AUDIT.c.payload).where(AUDIT.c.kind == "projects_imported")
        ).scalar_one()
    assert phases == {
        "Avec SIRET": "founded",
        "Avec BCE": "founded",
        "Sans numéro": "idea",
        "Nouvelle activité": "emergence",
        "Déjà consolidée": "consolidation",
    }
    assert payload["phase_given_despite_identifier"] == [report.ids[3]]
