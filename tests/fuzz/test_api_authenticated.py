"""schemathesis on the OpenAPI document, as an officer (API token) and as a logged-in manager: no 5xx.

Two organisations, each with people, a project and a case, so generated requests
find things of their own organisation and of the other one. The officer calls with
their API token; the manager with the session cookie of a real login (and their
token, as the API only takes tokens: the cookie must change nothing). Bounded: a
few examples per operation (PATHWAYS_RELIABILITY scales them), on SQLite, with the
app's BodyLimit in front, as create_app registers it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from fastapi import FastAPI
from fastapi.testclient import TestClient
from fuzzing import FULL, examples, record
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis.core.result import Ok

from builders import make_org, make_person, make_project, open_diagnosis
from pathways.bootstrap import App, Clock
from pathways.services.people import accounts
from pathways.services.tx import write
from pathways.settings import load_settings
from pathways.store.db import Store
from pathways.web import create_app
from pathways.web.limits import BodyLimit

PASSWORD = "correct horse battery staple"


@dataclass(frozen=True)
class World:
    web: FastAPI
    tokens: dict[str, str]  # role -> API token
    cookies: dict[str, str]  # the manager's session


@pytest.fixture
def world(sqlite_store: Store, tmp_path: Path) -> World:
    settings_ = load_settings(config_dir=Path("config"), environment="test", home=tmp_path)
    app = App(settings=settings_, store=sqlite_store, clock=Clock())
    tokens: dict[str, str] = {}
    for name in ("DLA 1", "DLA 2"):
        org = make_org(app, name=name)
        officer = make_person(app, org, role="officer", email=f"officer@{org}.example.org")
        manager = make_person(app, org, role="manager", email=f"manager@{org}.example.org")
        open_diagnosis(app, make_project(app, org), officer)
        with write(app) as tx:
            for role, person in (("officer", officer), ("manager", manager)):
                accounts.add_user(tx, person=person, password=PASSWORD)
                tokens.setdefault(role, accounts.create_token(tx, person=person, name="fuzz").token)
    web = create_app(app)
    middleware: list[object] = [m.cls for m in web.user_middleware]
    assert BodyLimit in middleware  # create_app puts it in front
    with TestClient(web) as client:
        csrf = client.get("/login").text.split('name="csrf_token" value="')[1].split('"')[0]
        client.post(
            "/login", data={"login": "manager@1.example.org", "password": PASSWORD, "csrf_token": csrf}
        )
        assert client.get("/cases").status_code == 200, "the manager is logged in"
        cookies = dict(client.cookies)
    return World(web=web, tokens=tokens, cookies=cookies)


@pytest.mark.parametrize("who", ["officer with an API token", "manager with a session"])
def test_no_generated_request_makes_a_server_error(world: World, who: str) -> None:
    schema = schemathesis.openapi.from_asgi("/api/v1/openapi.json", world.web)
    role = "officer" if who.startswith("officer") else "manager"
    headers = {"Authorization": f"Bearer {world.tokens[role]}"}
    cookies = world.cookies if role == "manager" else None
    failures: list[str] = []
    statuses: dict[int, int] = {}
    results = list(schema.get_all_operations())
    operations = [result.ok() for result in results if isinstance(result, Ok)]
    assert len(operations) == len(results), "every operation of the document loads"
    assert len(operations) >= 17

    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(
            max_examples=examples(10, 60),
            deadline=None,
            derandomize=not FULL,
            database=None,
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        def run(case: schemathesis.Case[Any]) -> None:
            response = case.call(headers=headers, cookies=cookies)
            statuses[response.status_code] = statuses.get(response.status_code, 0) + 1
            if response.status_code >= 500:
                failures.append(
                    f"{case.method} {case.formatted_path} {case.body!r:.200}: {response.status_code}"
                )

        run()
    detail = "statuses " + ", ".join(f"{k}: {v}" for k, v in sorted(statuses.items()))
    record("fuzz", f"schemathesis on the API: {who}", sum(statuses.values()), len(failures), detail)
    assert failures == [], "\n".join(failures[:10])
    assert {200, 404} <= set(statuses), f"the credentials were not used as expected: {sorted(statuses)}"
    if role == "officer":
        assert 403 in statuses or 404 in statuses  # the other organisation's things, or manager-only reads
