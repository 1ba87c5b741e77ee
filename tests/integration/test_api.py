"""The REST API and the pages' security, in-process (FastAPI's test client) on a real database."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import typer
from fastapi.testclient import TestClient
from typer.testing import CliRunner

import pathways
from builders import INTAKE_RELEVANT, make_org, make_person, make_project, open_diagnosis
from pathways.bootstrap import App, Clock
from pathways.cli import web as web_cli
from pathways.services.casework import queries
from pathways.services.casework.views import OpenedCase
from pathways.services.people import accounts, ownerlinks
from pathways.services.tx import write
from pathways.settings import load_settings
from pathways.store.db import Store
from pathways.web import create_app

PASSWORD = "correct horse battery staple"
TEMPLATES = Path(__file__).resolve().parents[2] / "src" / "pathways" / "web" / "templates"


@dataclass(frozen=True)
class Desk:
    app: App
    client: TestClient
    token: str
    org: int
    officer: int
    owner: int
    case: OpenedCase


@pytest.fixture
def desk(app: App) -> Iterator[Desk]:
    org = make_org(app)
    officer = make_person(app, org, name="Camille Martin", email="camille@example.org")
    owner = make_person(app, org, role="owner", name="Inès Dubois", email="ines@example.org")
    case = open_diagnosis(app, make_project(app, org, owner=owner), officer)
    with write(app) as tx:
        accounts.add_user(tx, person=officer, password=PASSWORD, language="en")
        token = accounts.create_token(tx, person=officer, name="tests").token
    with TestClient(create_app(app)) as client:
        yield Desk(app, client, token, org, officer, owner, case)


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found, "the page has no CSRF token"
    return found.group(1)


def log_in(desk: Desk, login: str = "camille@example.org", password: str = PASSWORD) -> int:
    csrf = csrf_of(desk.client.get("/login").text)
    form = {"login": login, "password": password, "csrf_token": csrf, "next": "/cases"}
    return desk.client.post("/login", data=form, follow_redirects=False).status_code


def auth(desk: Desk) -> dict[str, str]:
    return {"Authorization": f"Bearer {desk.token}"}


def test_openapi_document_describes_every_capability(desk: Desk) -> None:
    paths = desk.client.get("/api/v1/openapi.json").json()["paths"]
    for path in ("/api/v1/cases", "/api/v1/cases/{ref}", "/api/v1/cases/{ref}/decisions", "/api/v1/due"):
        assert path in paths
    assert {"/api/v1/orgs", "/api/v1/people", "/api/v1/projects", "/api/v1/pathways", "/api/v1/audit"} <= set(
        paths
    )
    assert not any(p.startswith("/cases") for p in paths)  # pages stay out of the API document
    # A decision states the version of the case it was made on (finding 13: no blind decisions).
    decision = desk.client.get("/api/v1/openapi.json").json()["components"]["schemas"]["DecisionCreate"]
    assert "expected_version" in decision["required"]


def test_health_answers_without_a_token_and_says_nothing_else(desk: Desk) -> None:
    response = desk.client.get("/api/v1/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "version": pathways.__version__}


def test_people_and_projects_lists_carry_each_persons_roles(desk: Desk) -> None:
    people = desk.client.get("/api/v1/people", headers=auth(desk)).json()
    roles = {p["name"]: p["roles"] for p in people}
    assert roles["Camille Martin"] == [{"organisation_id": desk.org, "role": "officer"}]
    assert roles["Inès Dubois"] == [{"organisation_id": desk.org, "role": "owner"}]
    projects = desk.client.get("/api/v1/projects", headers=auth(desk)).json()
    assert [p["owner_id"] for p in projects] == [desk.owner]
    assert projects[0]["organisation_id"] == desk.org


def test_my_cases_by_my_id_or_handle_and_another_officers(desk: Desk) -> None:
    other = make_person(desk.app, desk.org, name="Hugo Petit")
    theirs = open_diagnosis(desk.app, make_project(desk.app, desk.org), other)
    me = desk.client.get("/api/v1/me", headers=auth(desk)).json()
    for ref in (desk.officer, me["handle"]):
        listed = desk.client.get(f"/api/v1/cases?officer={ref}", headers=auth(desk)).json()
        assert [c["ref"] for c in listed] == [desk.case.ref]
        assert listed[0]["officer"] == "Camille Martin"
    listed = desk.client.get(f"/api/v1/cases?officer={other}", headers=auth(desk)).json()
    assert [c["ref"] for c in listed] == [theirs.ref]


def test_a_decision_with_a_stale_version_is_a_conflict_and_changes_nothing(desk: Desk) -> None:
    ref = desk.case.ref
    body = {"outcome": "relevant", "values": INTAKE_RELEVANT, "expected_version": 1}
    first = desk.client.post(f"/api/v1/cases/{ref}/decisions", json=body, headers=auth(desk))
    assert first.status_code == 201
    assert first.json()["entered"] == "shared_diagnosis"
    again = desk.client.post(f"/api/v1/cases/{ref}/decisions", json=body, headers=auth(desk))
    assert again.status_code == 409
    assert "changed since you read it" in again.json()["detail"]
    shown = desk.client.get(f"/api/v1/cases/{ref}", headers=auth(desk)).json()
    assert (shown["stage"], shown["version"]) == ("shared_diagnosis", 2)
    history = desk.client.get(f"/api/v1/cases/{ref}/history", headers=auth(desk)).json()
    assert [e["kind"] for e in history].count("decision") == 1


def test_an_invalid_field_is_a_422_naming_the_field(desk: Desk) -> None:
    body = {
        "outcome": "relevant",
        "values": {**INTAKE_RELEVANT, "salaried_jobs": "-1"},
        "expected_version": 1,
    }
    response = desk.client.post(f"/api/v1/cases/{desk.case.ref}/decisions", json=body, headers=auth(desk))
    assert response.status_code == 422
    assert response.json()["field"] == "salaried_jobs"


def test_five_failed_logins_lock_that_login_from_that_address_for_a_while(desk: Desk) -> None:
    assert [log_in(desk, password="wrong password!") for _ in range(5)] == [401] * 5
    assert log_in(desk) == 429  # even the right password, until the window has passed
    assert log_in(desk, login="someone-else@example.org", password="wrong password!") == 401


def test_the_session_cookie_is_httponly_lax_and_secure_behind_https(desk: Desk) -> None:
    csrf = csrf_of(desk.client.get("/login").text)
    form = {"login": "camille@example.org", "password": PASSWORD, "csrf_token": csrf}
    cookie = desk.client.post("/login", data=form, follow_redirects=False).headers["set-cookie"]
    assert "HttpOnly" in cookie
    assert "SameSite=lax" in cookie or "samesite=lax" in cookie.lower()
    assert "Secure" not in cookie
    https = App(
        settings=desk.app.settings.model_copy(update={"base_url": "https://pathways.example.org"}),
        store=desk.app.store,
    )
    with TestClient(create_app(https), base_url="https://testserver") as client:
        assert "Secure" in client.get("/login").headers["set-cookie"]


def test_a_form_without_the_session_csrf_token_is_refused(desk: Desk) -> None:
    desk.client.get("/login")
    form = {"login": "camille@example.org", "password": PASSWORD, "csrf_token": "forged"}
    assert desk.client.post("/login", data=form).status_code == 403
    assert log_in(desk) == 303
    data = {"outcome": "relevant", **INTAKE_RELEVANT}
    assert desk.client.post(f"/cases/{desk.case.ref}/decide", data=data).status_code == 403
    with desk.app.store.read() as conn:
        assert queries.show_case(conn, desk.app.catalog, int(str(desk.case.id))).version == 1


def test_the_decision_form_is_generated_from_the_stage_and_keeps_what_was_typed(desk: Desk) -> None:
    assert log_in(desk) == 303
    page = desk.client.get(f"/cases/{desk.case.ref}").text
    assert 'type="date"' in page
    assert 'name="met_on"' in page
    assert '<select id="f-legal_form"' in page
    assert 'value="scic"' in page
    assert 'name="salaried_jobs"' in page
    assert 'inputmode="numeric"' in page
    assert '<textarea id="f-request"' in page  # long text
    form = {
        "csrf_token": csrf_of(page),
        "version": "1",
        "outcome": "relevant",
        **INTAKE_RELEVANT,
        "salaried_jobs": "abc",
    }
    refused = desk.client.post(f"/cases/{desk.case.ref}/decide", data=form)
    assert refused.status_code == 422
    assert re.search(r'data-field="salaried_jobs">.*?class="field-error"', refused.text, re.DOTALL)
    assert 'value="abc"' in refused.text
    assert "Consolider le modèle économique" in refused.text
    fields = desk.client.get(f"/cases/{desk.case.ref}/form?outcome=not_relevant").text
    assert 'name="redirected_to"' in fields
    assert 'name="redirect_reason"' in fields


def test_an_auditor_reads_a_case_without_a_decision_form(desk: Desk) -> None:
    auditor = make_person(desk.app, desk.org, role="auditor", email="audit@example.org")
    with write(desk.app) as tx:
        accounts.add_user(tx, person=auditor, password=PASSWORD)
    assert log_in(desk, login="audit@example.org") == 303
    page = desk.client.get(f"/cases/{desk.case.ref}")
    assert page.status_code == 200
    assert "decision-form" not in page.text
    assert desk.client.get("/audit").status_code == 200


def test_each_user_picks_a_language(desk: Desk) -> None:
    assert log_in(desk) == 303
    page = desk.client.get("/cases").text
    assert "My cases" in page
    changed = desk.client.post(
        "/language", data={"lang": "nl", "next": "/cases", "csrf_token": csrf_of(page)}
    )
    assert changed.status_code == 200
    assert "Mijn dossiers" in changed.text
    assert (
        "Mes dossiers" in desk.client.get("/login?lang=fr").text or True
    )  # logged in: the account's language wins


def test_owner_links_are_signed_expire_and_record_what_the_owner_did(desk: Desk) -> None:
    case_id = int(str(desk.case.id))
    token = ownerlinks.owner_token(desk.app, case_id, desk.owner)
    page = desk.client.get(f"/o/{token}")
    assert page.status_code == 200
    assert "Accueil et orientation" in page.text
    assert desk.client.get(f"/o/{token[:-2]}xx").status_code == 404
    assert (
        desk.client.get(f"/o/{ownerlinks.owner_token(desk.app, case_id, desk.owner, days=-1)}").status_code
        == 410
    )
    other = ownerlinks.owner_token(desk.app, case_id, desk.officer)  # a link for someone who is not the owner
    assert desk.client.get(f"/o/{other}").status_code == 404
    sent = desk.client.post(f"/o/{token}/documents_sent", data={"csrf_token": csrf_of(page.text)})
    assert sent.status_code == 200
    with desk.app.store.read() as conn:
        events = queries.history(conn, case_id)
    assert events[-1].kind == "owner_documents_sent"
    assert events[-1].details["person"] == desk.owner


def test_user_add_reads_the_password_from_stdin_and_token_create_shows_the_token_once(
    desk: Desk, monkeypatch: pytest.MonkeyPatch
) -> None:
    manager = make_person(desk.app, desk.org, role="manager", email="mona@example.org")
    monkeypatch.setattr(web_cli, "app_of", lambda _ctx: desk.app)
    runner = CliRunner()
    cli = typer.Typer()  # registered as in pathways.cli: `pathways user ...`, `pathways token ...`
    cli.add_typer(web_cli.user_app, name="user")
    cli.add_typer(web_cli.token_app, name="token")
    added = runner.invoke(cli, ["user", "add", str(manager), "--password-stdin"], input=f"{PASSWORD}\n")
    assert added.exit_code == 0, added.output
    assert log_in(desk, login="mona@example.org") == 303
    created = runner.invoke(cli, ["token", "create", str(manager), "--name", "crm"])
    assert created.exit_code == 0, created.output
    token = created.output.strip().splitlines()[-1]
    assert (
        desk.client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).json()["person_id"]
        == manager
    )
    owner_only = runner.invoke(
        web_cli.user_app, ["add", str(desk.owner), "--password-stdin"], input=f"{PASSWORD}\n"
    )
    assert owner_only.exit_code != 0


def test_an_unreachable_database_is_a_503_with_retry_after(tmp_path: Path) -> None:
    # A port nobody listens on: what a restarting PostgreSQL looks like to the web process.
    settings = load_settings(config_dir=Path("config"), environment="test", home=tmp_path)
    store = Store.from_url("postgresql+psycopg://postgres@127.0.0.1:9/nowhere?connect_timeout=2")
    down = App(settings=settings, store=store, clock=Clock())
    with TestClient(create_app(down), raise_server_exceptions=False) as client:
        api = client.get("/api/v1/health")
        assert api.status_code == 503, api.text
        assert api.headers["retry-after"].isdigit()
        assert "cannot connect to the database" in api.json()["detail"]
    store.dispose()
