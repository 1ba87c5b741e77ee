"""A signed-up officer at the web app's door, for the security tests that log in through pages."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from fastapi.testclient import TestClient

from builders import make_org, make_person
from pathways.bootstrap import App
from pathways.services.people import accounts
from pathways.services.tx import write
from pathways.web import create_app

PASSWORD = "correct horse battery staple"


@dataclass(frozen=True)
class Desk:
    app: App
    client: TestClient
    org: int
    officer: int


@contextmanager
def officer_desk(app: App, org_name: str) -> Iterator[Desk]:
    """Camille Martin (camille@example.org), an officer with a French login; no redirect followed."""
    org = make_org(app, name=org_name)
    officer = make_person(app, org, name="Camille Martin", email="camille@example.org")
    with write(app) as tx:
        accounts.add_user(tx, person=officer, password=PASSWORD, language="fr")
    with TestClient(create_app(app), follow_redirects=False) as client:
        yield Desk(app, client, org, officer)


def csrf_of(html: str) -> str:
    """The CSRF token of a page's form."""
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found, "the page has no CSRF token"
    return found.group(1)
