"""A failed message's address fixed and the message sent again, in one form (and in the API):
checked as any channel is, refused for internal hosts, audited without the address, scoped."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from builders import make_org, make_person, make_project, open_diagnosis
from loopback import loopback_channels
from mailcatch import free_port, smtp_server
from pathways.bootstrap import App
from pathways.services.casework.sweep import sweep
from pathways.services.messaging import failures
from pathways.services.messaging.dispatch import dispatch
from pathways.services.messaging.lease import MAX_ATTEMPTS
from pathways.services.people import accounts
from pathways.services.tx import write
from pathways.store.core import AUDIT, JOB, PERSON
from pathways.web import create_app

PASSWORD = "correct horse battery staple"
OWNER_REMINDER = datetime(2026, 7, 16, 7, 30, tzinfo=UTC)  # intake opened 8 July: owner reminded 16 July


@pytest.fixture(autouse=True, scope="module")
def _loopback_channels() -> Iterator[None]:
    """Delivery to servers on 127.0.0.1 is allowed here, as an operator allows a mail catcher."""
    with loopback_channels():
        yield


def smtp(port: int, to: str) -> str:
    return f"mailto://127.0.0.1:{port}?from=pathways@example.org&to={to}&mode=insecure"


@dataclass(frozen=True)
class Dead:
    app: App
    client: TestClient
    token: str
    mine: int  # Léa's reminder
    second: int  # Noé's reminder
    theirs: int  # another organisation's
    lea: int
    noe: int
    manager: int


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found, "the page has no CSRF token"
    return found.group(1)


@pytest.fixture
def dead(app: App) -> Iterator[Dead]:
    closed = free_port()  # nothing listens here: every attempt fails until the last
    here = make_org(app, name="DLA de Paris")
    manager = make_person(app, here, role="manager", name="Nadia Manager", email="nadia@example.org")
    officer = make_person(app, here, name="Camille Martin")
    lea = make_person(
        app, here, role="owner", name="Léa Bernard", channels=(smtp(closed, "lea@example.org"),)
    )
    noe = make_person(app, here, role="owner", name="Noé Petit", channels=(smtp(closed, "noe@example.org"),))
    open_diagnosis(app, make_project(app, here, owner=lea), officer)
    open_diagnosis(app, make_project(app, here, owner=noe), officer)
    elsewhere = make_org(app, name="Réseau voisin")
    theirs_owner = make_person(
        app, elsewhere, role="owner", name="Owner elsewhere", channels=(smtp(closed, "x@example.org"),)
    )
    open_diagnosis(app, make_project(app, elsewhere, owner=theirs_owner), make_person(app, elsewhere))
    with write(app) as tx:
        accounts.add_user(tx, person=manager, password=PASSWORD, language="fr")
        token = accounts.create_token(tx, person=manager, name="tests").token
    assert sweep(app, now=OWNER_REMINDER).messages == 3
    at = datetime.now(UTC)
    for _ in range(MAX_ATTEMPTS):
        dispatch(app, now=at)
        at += timedelta(days=1)
    with app.store.read() as conn:
        mine = {m.recipient: m.id for m in failures.failed_messages(conn, orgs={here})}
        [theirs] = failures.failed_messages(conn, orgs={elsewhere})
    assert theirs.status == "dead"
    with TestClient(create_app(app)) as client:
        form = {
            "login": "nadia@example.org",
            "password": PASSWORD,
            "csrf_token": csrf_of(client.get("/login").text),
        }
        assert client.post("/login", data=form, follow_redirects=False).status_code == 303
        yield Dead(app, client, token, mine["Léa Bernard"], mine["Noé Petit"], theirs.id, lea, noe, manager)


def status(app: App, job_id: int) -> tuple[str, int]:
    with app.store.read() as conn:
        row = conn.execute(select(JOB.c.status, JOB.c.attempts).where(JOB.c.id == job_id)).one()
    return row.status, row.attempts


def channels(app: App, person: int) -> list[str]:
    with app.store.read() as conn:
        return list(conn.execute(select(PERSON.c.channels).where(PERSON.c.id == person)).scalar_one())


def form_of(html: str, job_id: int) -> dict[str, str]:
    """The fields of a message's form, as the page fills them."""
    found = re.search(
        rf'<form method="post" action="/messages/{job_id}/retry" class="retry">(.*?)</form>', html, re.DOTALL
    )
    assert found, html
    fields = dict(re.findall(r'name="([a-z_]+)" value="([^"]*)"', found.group(1)))
    return {k: v.replace("&amp;", "&") for k, v in fields.items()}


def test_a_manager_fixes_the_address_and_the_message_goes_to_the_new_one(dead: Dead) -> None:
    listing = dead.client.get("/messages/failed").text
    fields = form_of(listing, dead.mine)
    assert fields["address"] == channels(dead.app, dead.lea)[0]  # the address that failed, to correct
    assert "Adresse de Léa Bernard" in listing
    port = free_port()
    fields["address"] = smtp(port, "lea.bernard@example.org")
    done = dead.client.post(f"/messages/{dead.mine}/retry", data=fields, follow_redirects=False)
    assert done.status_code == 303
    assert done.headers["location"] == f"/messages/failed?retried={dead.mine}&fixed=1"
    assert "Adresse corrigée" in dead.client.get(done.headers["location"]).text
    assert channels(dead.app, dead.lea) == [fields["address"]]
    assert status(dead.app, dead.mine) == ("pending", 0)
    with dead.app.store.read() as conn:
        events = conn.execute(
            select(AUDIT.c.kind, AUDIT.c.actor_id, AUDIT.c.payload).where(
                AUDIT.c.kind.in_(["message_readdressed", "message_retried"])
            )
        ).all()
    assert sorted((e.kind, e.actor_id) for e in events) == [
        ("message_readdressed", dead.manager),
        ("message_retried", dead.manager),
    ]
    readdressed = next(e.payload for e in events if e.kind == "message_readdressed")
    assert readdressed == {"job": dead.mine, "person": dead.lea, "channel": "mailto"}
    assert "lea" not in json.dumps([e.payload for e in events])  # no address in the chain
    with smtp_server(port) as mailbox:  # the message goes to the corrected address
        assert dispatch(dead.app).sent == 1
        mailbox.wait_for(1)
    assert mailbox.messages[0]["To"] == "lea.bernard@example.org"
    audit_page = dead.client.get("/audit").text
    assert (
        f"Nadia Manager a corrigé l&#39;adresse de Léa Bernard pour le message n° {dead.mine}" in audit_page
    )


@pytest.mark.parametrize(
    ("address", "said"),
    [
        ("not an address", "Ce n&#39;est ni une adresse e-mail ni l&#39;adresse d&#39;un canal connu"),
        ("json://169.254.169.254/latest/meta-data", "mène à un serveur du réseau interne (169.254.169.254)"),
        ("mailto://10.20.30.40?to=lea@example.org", "mène à un serveur du réseau interne (10.20.30.40)"),
    ],
)
def test_an_invalid_or_internal_address_is_refused_beside_its_field(
    dead: Dead, address: str, said: str
) -> None:
    before = channels(dead.app, dead.lea)
    fields = form_of(dead.client.get("/messages/failed").text, dead.mine) | {"address": address}
    refused = dead.client.post(f"/messages/{dead.mine}/retry", data=fields, follow_redirects=False)
    assert refused.status_code == 422
    assert said in refused.text
    assert f'id="address-{dead.mine}-error"' in refused.text
    assert f'value="{address}"' in refused.text.replace("&amp;", "&")  # what was typed is kept
    assert channels(dead.app, dead.lea) == before
    assert status(dead.app, dead.mine)[0] == "dead"


def test_another_organisations_message_does_not_exist_for_the_manager(dead: Dead) -> None:
    csrf = csrf_of(dead.client.get("/messages/failed").text)
    data = {"csrf_token": csrf, "address": "someone@example.org"}
    page = dead.client.post(f"/messages/{dead.theirs}/retry", data=data, follow_redirects=False)
    headers = {"Authorization": f"Bearer {dead.token}"}
    api = dead.client.post(
        f"/api/v1/messages/{dead.theirs}/retry", headers=headers, json={"address": "a@example.org"}
    )
    assert page.status_code == api.status_code == 404
    assert status(dead.app, dead.theirs)[0] == "dead"
    with dead.app.store.read() as conn:
        kinds = set(conn.execute(select(AUDIT.c.kind)).scalars())
    assert "message_readdressed" not in kinds


def test_the_api_fixes_and_retries_in_one_call(dead: Dead) -> None:
    headers = {"Authorization": f"Bearer {dead.token}"}
    url = f"/api/v1/messages/{dead.second}/retry"
    wrong = dead.client.post(url, headers=headers, json={"address": "json://169.254.169.254/"})
    assert wrong.status_code == 422
    assert wrong.json()["field"] == "channel"
    assert status(dead.app, dead.second)[0] == "dead"
    done = dead.client.post(url, headers=headers, json={"address": "noe.petit@example.org"})
    assert done.status_code == 200, done.text
    assert done.json() | {"key": None} == {
        "id": dead.second,
        "key": None,
        "status": "pending",
        "was": "dead",
        "person_id": dead.noe,
        "address_changed": True,
        "channel": "mailto",
    }
    assert channels(dead.app, dead.noe) == ["mailto://noe.petit@example.org"]
    # Without an address, a plain retry (as before); a message no longer failed is refused.
    assert dead.client.post(url, headers=headers).status_code == 409
