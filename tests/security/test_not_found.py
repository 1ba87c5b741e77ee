"""Finding 2: "not found" and "not yours" must be the same answer, or every organisation can be probed.

An officer of one organisation asks for another organisation's case, project, person
(by id and by e-mail), document and organisation, then for one that does not exist,
with a reference of the same shape. Each pair must get the same status and the same
body, byte for byte once the echoed reference is set aside.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi.testclient import TestClient
from httpx2 import Response  # what TestClient answers with (Starlette >= 1.0)

from builders import make_org, make_person, make_project, open_diagnosis
from pathways.bootstrap import App
from pathways.services.casework import documents, work
from pathways.services.people import accounts, directory
from pathways.services.tx import write
from pathways.web import create_app
from security.attack import attacked

PASSWORD = "correct horse battery staple"


@dataclass(frozen=True)
class Other:
    """What the other organisation has, which the caller must not be able to tell from nothing."""

    slug: str
    case: str
    project: int
    person: int
    email: str
    document: int


@dataclass(frozen=True)
class World:
    client: TestClient
    token: str
    other: Other


@pytest.fixture
def world(app: App) -> Iterator[World]:
    other_org = make_org(app, name="Réseau voisin")
    their_officer = make_person(app, other_org, role="officer", email="agent@voisin.example.org")
    their_owner = make_person(
        app, other_org, role="owner", name="Porteuse voisine", email="porteuse@voisin.example.org"
    )
    project = make_project(app, other_org, owner=their_owner)
    their_case = open_diagnosis(app, project, their_officer)
    own = make_org(app, name="DLA du quartier")
    me = make_person(app, own, role="officer", email="moi@example.org")
    open_diagnosis(app, make_project(app, own), me)
    work.run_pending(app)  # renders each case's intake sheet: the other organisation has a document
    with app.store.read() as conn:
        slug = str(directory.find_org(conn, other_org).slug)
        doc = documents.list_documents(conn, their_case.ref)[0].id
    with write(app) as tx:
        accounts.add_user(tx, person=me, password=PASSWORD)
        token = accounts.create_token(tx, person=me, name="probe").token
    with TestClient(create_app(app)) as client:
        form = client.get("/login").text
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', form)
        assert csrf is not None
        data = {"login": "moi@example.org", "password": PASSWORD, "csrf_token": csrf.group(1)}
        assert client.post("/login", data=data, follow_redirects=False).status_code == 303
        other = Other(slug, str(their_case.ref), project, their_owner, "porteuse@voisin.example.org", doc)
        yield World(client, token, other)


# name -> (the other organisation's reference, one that does not exist, with the same shape, the request)
Probe = tuple[Callable[[Other], str], str, str, Callable[[str], tuple[str, str, dict[str, Any] | None]]]
PROBES: dict[str, Probe] = {
    "case (API)": (lambda o: o.case, "DIAG-2026-0999", "api", lambda r: ("GET", f"/api/v1/cases/{r}", None)),
    "case history (API)": (
        lambda o: o.case,
        "DIAG-2026-0999",
        "api",
        lambda r: ("GET", f"/api/v1/cases/{r}/history", None),
    ),
    "case (page)": (lambda o: o.case, "DIAG-2026-0999", "page", lambda r: ("GET", f"/cases/{r}", None)),
    "project by id (API)": (
        lambda o: str(o.project),
        "999999",
        "api",
        lambda r: ("GET", f"/api/v1/projects/{r}", None),
    ),
    "project in a new case (API)": (
        lambda o: str(o.project),
        "999999",
        "api",
        lambda r: ("POST", "/api/v1/cases", {"project": r, "pathway": "diagnosis"}),
    ),
    "person by id (API)": (
        lambda o: str(o.person),
        "999999",
        "api",
        lambda r: ("GET", f"/api/v1/cases?officer={r}", None),
    ),
    "person by e-mail (API)": (
        lambda o: o.email,
        "personne@voisin.example.org",
        "api",
        lambda r: ("GET", f"/api/v1/cases?officer={r}", None),
    ),
    "person by e-mail as owner (API)": (
        lambda o: o.email,
        "personne@voisin.example.org",
        "api",
        lambda r: ("POST", "/api/v1/projects", {"name": "Sonde", "org": "dla-du-quartier", "owner": r}),
    ),
    "document (page)": (
        lambda o: str(o.document),
        "999999",
        "page",
        lambda r: ("GET", f"/documents/{r}", None),
    ),
    "organisation (API)": (
        lambda o: o.slug,
        "reseau-absent",
        "api",
        lambda r: ("GET", f"/api/v1/orgs/{r}", None),
    ),
}


def _echo_set_aside(text: str, ref: str) -> str:
    """`text` with the reference it echoes (quoted, or in the page's own path) replaced by REF."""
    for shape in ("'{}'", "&#39;{}&#39;", '/{}"', "/{}/", '"ref":"{}"'):
        text = text.replace(shape.format(ref), shape.format("REF"))
    return text


def _ask(world: World, via: str, request: tuple[str, str, dict[str, Any] | None]) -> Response:
    method, url, body = request
    headers = {"Authorization": f"Bearer {world.token}"} if via == "api" else {}
    return world.client.request(method, url, json=body, headers=headers)


@pytest.mark.parametrize("probe", list(PROBES))
def test_another_organisations_item_gets_the_answer_of_one_that_does_not_exist(
    world: World, probe: str
) -> None:
    theirs_of, missing, via, request = PROBES[probe]
    theirs = theirs_of(world.other)
    of_theirs = _ask(world, via, request(theirs))
    of_nothing = _ask(world, via, request(missing))
    # An owner named in a new project is a field of the form: refused beside it (422) with the
    # form's other problems, alike for a person of another organisation and for nobody.
    status = 422 if probe == "person by e-mail as owner (API)" else 404
    assert of_theirs.status_code == of_nothing.status_code == status, (of_theirs.text, of_nothing.text)
    assert _echo_set_aside(of_theirs.text, theirs) == _echo_set_aside(of_nothing.text, missing)
    kind = probe.split(maxsplit=1)[0]
    assert f"no {kind} " in of_theirs.text  # names what was not found, as for a wrong one
    attacked(f"not found vs not yours: {probe}", tried=2, detail=f"{status}, same body as for a missing one")


def test_a_name_shared_with_another_organisation_is_not_ambiguous(app: App, world: World) -> None:
    """A name used in another organisation neither makes a lookup ambiguous nor lists its ids."""
    with app.store.read() as conn:
        other_org = int(directory.find_org(conn, world.other.slug).id)
        mine = int(directory.find_org(conn, "dla-du-quartier").id)
    twice_there = [make_person(app, other_org, role="officer", name="Alex Dupont") for _ in range(2)]
    make_person(app, mine, role="officer", name="Sam Durand")
    make_person(app, other_org, role="officer", name="Sam Durand")
    headers = {"Authorization": f"Bearer {world.token}"}
    # Two people of that name, both elsewhere: as for a name nobody has.
    elsewhere = world.client.get("/api/v1/cases?officer=Alex Dupont", headers=headers)
    nobody = world.client.get("/api/v1/cases?officer=Alex Dupuis", headers=headers)
    assert elsewhere.status_code == nobody.status_code == 404
    assert _echo_set_aside(elsewhere.text, "Alex Dupont") == _echo_set_aside(nobody.text, "Alex Dupuis")
    assert not any(str(i) in elsewhere.json()["hint"] for i in twice_there)
    # One here, one elsewhere: the one here, without a 409 listing the other's id.
    opened = world.client.post(
        "/api/v1/projects",
        json={"name": "Projet de Sam", "org": "dla-du-quartier", "owner": "Sam Durand"},
        headers=headers,
    )
    assert opened.status_code == 201, opened.text
    assert world.client.get("/api/v1/cases?officer=Sam Durand", headers=headers).status_code == 200
    attacked(
        "not found vs not yours: a name shared with another organisation", tried=3, detail="404 / own row"
    )
