"""The authorisation matrix: every role × every API endpoint × its own and another organisation.

Two organisations, "own" (where the caller holds one role) and "other" (where the
caller has none). Every endpoint is called once on each; the expected status
depends only on the role and the organisation. After every call, nothing of the
other organisation has changed, and no list ever returned its data. Each
organisation has a dead-lettered message (its owner has no channel), so the
failed-messages list and its retry are checked too.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from builders import INTAKE_RELEVANT, make_org, make_person, make_project, open_diagnosis
from pathways.bootstrap import App
from pathways.services.casework.sweep import sweep
from pathways.services.messaging import failures
from pathways.services.messaging.dispatch import dispatch
from pathways.services.people import accounts, directory
from pathways.services.tx import write
from pathways.store.core import AUDIT as EVENTS
from pathways.store.core import CASE, JOB, MEMBER, PROJECT
from pathways.web import create_app

ROLES = ("officer", "manager", "admin", "auditor")
PASSWORD = "correct horse battery staple"
OWNER_REMINDER = datetime(2026, 7, 16, 7, 30, tzinfo=UTC)  # intake opened 8 July: owner reminded 16 July


@dataclass(frozen=True)
class Org:
    id: int
    slug: str
    project: int  # an eligible project without a case: for opening one
    case: str  # a case at intake: to read, and to decide on
    owner: int
    message: int = 0  # a dead-lettered message to its owner


@dataclass(frozen=True)
class World:
    client: TestClient
    app: App
    token: str
    own: Org
    other: Org


def _org(app: App, name: str, *, staff: int | None = None) -> Org:
    org = make_org(app, name=name)
    officer = staff or make_person(app, org, role="officer")
    owner = make_person(app, org, role="owner", name=f"Owner of {name}")
    case = open_diagnosis(app, make_project(app, org, owner=owner), officer)
    return Org(org, _slug(app, org), make_project(app, org, owner=owner), case.ref, owner)


def _with_message(app: App, org: Org) -> Org:
    with app.store.read() as conn:
        [message] = failures.failed_messages(conn, orgs={org.id})
    assert message.case == org.case
    assert message.status == "dead"
    return Org(org.id, org.slug, org.project, org.case, org.owner, message.id)


def _slug(app: App, org: int) -> str:
    with app.store.read() as conn:
        return str(directory.find_org(conn, org).slug)


@pytest.fixture(params=ROLES)
def world(request: pytest.FixtureRequest, app: App) -> Iterator[World]:
    role = request.param
    other = _org(app, "Réseau voisin")
    own_id = make_org(app, name="DLA du quartier")
    me = make_person(app, own_id, role=role, name=f"Moi {role}", email=f"{role}@example.org")
    # A case of the own organisation needs an officer of its own: the caller may be an auditor.
    officer = make_person(app, own_id, role="officer") if role != "officer" else me
    owner = make_person(app, own_id, role="owner", name="Owner here")
    case = open_diagnosis(app, make_project(app, own_id, owner=owner), officer)
    own = Org(own_id, _slug(app, own_id), make_project(app, own_id, owner=owner), case.ref, owner)
    # The owners have no channel: their intake reminders are dead-lettered at the first try.
    swept = sweep(app, now=OWNER_REMINDER)
    assert swept.messages == 2, swept
    assert dispatch(app).dead == 2  # ready at once (by the real clock)
    own, other = _with_message(app, own), _with_message(app, other)
    with write(app) as tx:
        accounts.add_user(tx, person=me, password=PASSWORD)
        token = accounts.create_token(tx, person=me, name="matrix").token
    with TestClient(create_app(app), raise_server_exceptions=True) as client:
        yield World(client, app, token, own, other)


# (name, method, path, body) for one organisation; expected statuses by role: (own, other).
Endpoint = tuple[str, str, Callable[[Org], str], Callable[[Org], dict[str, Any] | None]]
READ = dict.fromkeys(ROLES, (200, 404))
WRITE = {"officer": (201, 404), "manager": (201, 404), "admin": (201, 404), "auditor": (403, 404)}
AUDIT = {"officer": (403, 403), "manager": (200, 404), "admin": (200, 404), "auditor": (200, 404)}
STAFF = {"officer": (403, 404), "manager": (201, 404), "admin": (201, 404), "auditor": (403, 404)}
ADMIN = {"officer": (403, 404), "manager": (403, 404), "admin": (201, 404), "auditor": (403, 404)}
MANAGE = {"officer": (403, 404), "manager": (200, 404), "admin": (200, 404), "auditor": (403, 404)}

MATRIX: list[tuple[Endpoint, dict[str, tuple[int, int]]]] = [
    (("show org", "GET", lambda o: f"/orgs/{o.slug}", lambda o: None), READ),
    (("people of org", "GET", lambda o: f"/people?org={o.id}", lambda o: None), READ),
    (("projects of org", "GET", lambda o: f"/projects?org={o.id}", lambda o: None), READ),
    (("show project", "GET", lambda o: f"/projects/{o.project}", lambda o: None), READ),
    (("cases of org", "GET", lambda o: f"/cases?org={o.id}&status=all", lambda o: None), READ),
    (("show case", "GET", lambda o: f"/cases/{o.case}", lambda o: None), READ),
    (("case history", "GET", lambda o: f"/cases/{o.case}/history", lambda o: None), READ),
    (("due of org", "GET", lambda o: f"/due?org={o.id}&within=60", lambda o: None), READ),
    (("cases of officer", "GET", lambda o: f"/cases?officer={o.owner}", lambda o: None), READ),
    (("audit of case", "GET", lambda o: f"/audit?case={o.case}", lambda o: None), AUDIT),
    (("failed messages of org", "GET", lambda o: f"/messages/failed?org={o.id}", lambda o: None), MANAGE),
    (("retry message", "POST", lambda o: f"/messages/{o.message}/retry", lambda o: None), MANAGE),
    (
        (
            "add owner",
            "POST",
            lambda o: "/people",
            lambda o: {"name": "Nouvelle porteuse", "org": o.id, "role": "owner"},
        ),
        WRITE,
    ),
    (
        (
            "add officer",
            "POST",
            lambda o: "/people",
            lambda o: {"name": "Nouvel agent", "org": o.id, "role": "officer"},
        ),
        STAFF,
    ),
    (
        (
            "add admin",
            "POST",
            lambda o: "/people",
            lambda o: {"name": "Nouvel admin", "org": o.id, "role": "admin"},
        ),
        ADMIN,
    ),
    (
        (
            "add project",
            "POST",
            lambda o: "/projects",
            lambda o: {"name": "Projet neuf", "org": o.slug, "phase": "idea"},
        ),
        WRITE,
    ),
    (
        ("open case", "POST", lambda o: "/cases", lambda o: {"project": o.project, "pathway": "diagnosis"}),
        WRITE,
    ),
    (
        (
            "decide",
            "POST",
            lambda o: f"/cases/{o.case}/decisions",
            lambda o: {"outcome": "relevant", "values": INTAKE_RELEVANT, "expected_version": 1},
        ),
        WRITE,
    ),
]
UNSCOPED = [  # no organisation in the request: the answer is about the caller's own
    ("/me", dict.fromkeys(ROLES, 200)),
    ("/orgs", dict.fromkeys(ROLES, 200)),
    ("/people", dict.fromkeys(ROLES, 200)),
    ("/projects", dict.fromkeys(ROLES, 200)),
    ("/cases?status=all", dict.fromkeys(ROLES, 200)),
    ("/due?within=366", dict.fromkeys(ROLES, 200)),
    ("/pathways", dict.fromkeys(ROLES, 200)),
    ("/pathways/diagnosis", dict.fromkeys(ROLES, 200)),
    ("/audit", {"officer": 403, "manager": 200, "admin": 200, "auditor": 200}),
    ("/audit/verify", {"officer": 403, "manager": 200, "admin": 200, "auditor": 200}),
    ("/messages/failed", {"officer": 403, "manager": 200, "admin": 200, "auditor": 403}),
]


def _footprint(app: App, org: Org) -> dict[str, Any]:
    """Everything of an organisation an attack could change."""
    case, audit, project, member, job = CASE, EVENTS, PROJECT, MEMBER, JOB
    with app.store.read() as conn:
        return {
            "messages": conn.execute(
                select(job.c.id, job.c.status, job.c.attempts, job.c.updated_at)
                .join(case, case.c.id == job.c.case_id)
                .where(case.c.organisation_id == org.id)
                .order_by(job.c.id)
            ).all(),
            "cases": conn.execute(
                select(case.c.ref, case.c.version, case.c.stage)
                .where(case.c.organisation_id == org.id)
                .order_by(case.c.id)
            ).all(),
            "audit": conn.execute(select(func.count()).where(audit.c.organisation_id == org.id)).scalar(),
            "projects": conn.execute(
                select(func.count()).where(project.c.organisation_id == org.id)
            ).scalar(),
            "people": conn.execute(select(func.count()).where(member.c.organisation_id == org.id)).scalar(),
        }


def _role(world: World) -> str:
    with world.app.store.read() as conn:
        principal = accounts.principal_for_token(conn, world.token)
    assert principal is not None
    (roles,) = [r for org, r in principal.roles.items() if org == world.own.id]
    (role,) = roles
    return role


def test_every_role_gets_the_expected_status_on_every_endpoint_of_both_organisations(world: World) -> None:
    role = _role(world)
    headers = {"Authorization": f"Bearer {world.token}"}
    before = _footprint(world.app, world.other)
    got: dict[tuple[str, str], int] = {}
    want: dict[tuple[str, str], int] = {}
    for (name, method, path, body), expected in MATRIX:
        for which, org, code in (
            ("own", world.own, expected[role][0]),
            ("other", world.other, expected[role][1]),
        ):
            response = world.client.request(method, f"/api/v1{path(org)}", json=body(org), headers=headers)
            got[(name, which)] = response.status_code
            want[(name, which)] = code
            assert _footprint(world.app, world.other) == before, f"{role} {name} on the other organisation"
    for url, codes in UNSCOPED:
        response = world.client.get(f"/api/v1{url}", headers=headers)
        got[(url, "-")] = response.status_code
        want[(url, "-")] = codes[role]
        if response.status_code == 200:
            text = response.text
            assert world.other.case not in text, f"{url} shows the other organisation's case"
            assert world.other.slug not in text, f"{url} shows the other organisation"
            assert "Réseau voisin" not in text, f"{url} shows the other organisation's name"
            assert "Owner of" not in text, f"{url} shows the other organisation's people"
            if url == "/messages/failed":  # the own one was retried above by those who may
                assert {m["organisation_id"] for m in response.json()} <= {world.own.id}
    assert got == want
    assert _footprint(world.app, world.other) == before


def test_without_a_valid_token_every_endpoint_answers_401(world: World) -> None:
    """Reads and writes alike (writes check the token inside their own transaction): 401, nothing changed."""
    requests = [(method, path(world.own), body(world.own)) for (_, method, path, body), _ in MATRIX] + [
        ("GET", p, None) for p, _ in UNSCOPED
    ]
    before = _footprint(world.app, world.own)
    bad = {"Authorization": "Bearer pw_00000000_forged"}
    for method, path, body in requests:
        assert world.client.request(method, f"/api/v1{path}", json=body).status_code == 401, path
        answer = world.client.request(method, f"/api/v1{path}", json=body, headers=bad)
        assert answer.status_code == 401, path
        assert answer.json()["detail"] == "unknown or revoked API token", path
    assert _footprint(world.app, world.own) == before
    with write(world.app) as tx:
        with world.app.store.read() as conn:
            principal = accounts.principal_for_token(conn, world.token)
        assert principal is not None
        prefix = "_".join(world.token.split("_")[:2])
        accounts.revoke_token(tx, prefix=prefix)
    assert (
        world.client.get("/api/v1/me", headers={"Authorization": f"Bearer {world.token}"}).status_code == 401
    )


@pytest.mark.parametrize("role", ROLES)
def test_pages_of_another_organisation_are_not_found_and_cannot_be_changed(app: App, role: str) -> None:
    other_org = make_org(app, name="Ailleurs")
    other_case = open_diagnosis(app, make_project(app, other_org), make_person(app, other_org))
    own = make_org(app, name="Ici")
    me = make_person(app, own, role=role, email=f"{role}@example.org")
    with write(app) as tx:
        accounts.add_user(tx, person=me, password=PASSWORD)
    with TestClient(create_app(app)) as client:
        login = client.get("/login")
        csrf = login.text.split('name="csrf_token" value="')[1].split('"')[0]
        client.post("/login", data={"login": f"{role}@example.org", "password": PASSWORD, "csrf_token": csrf})
        assert client.get(f"/cases/{other_case.ref}").status_code == 404
        page = client.get("/cases")
        csrf = page.text.split('name="csrf_token" value="')[1].split('"')[0]
        data = {"csrf_token": csrf, "outcome": "relevant", **INTAKE_RELEVANT}
        assert client.post(f"/cases/{other_case.ref}/decide", data=data).status_code == 404
        assert other_case.ref not in client.get("/cases?show=all&status=all").text
        assert client.get(f"/audit?case={other_case.ref}").status_code in (403, 404)
    with app.store.read() as conn:
        version = conn.execute(select(CASE.c.version).where(CASE.c.ref == other_case.ref)).scalar()
    assert version == 1
