"""Managers' failed-messages page and API, on real dead letters: a reminder sent to an SMTP port
nobody listens on until its last attempt, then retried from the page and delivered to a real
SMTP server (aiosmtpd) on that port."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from builders import make_org, make_person, make_project, open_diagnosis
from loopback import loopback_channels
from mailcatch import free_port, plain_text, smtp_server
from pathways.bootstrap import App
from pathways.services.casework.sweep import sweep
from pathways.services.messaging import failures, lease
from pathways.services.messaging.dispatch import dispatch
from pathways.services.messaging.lease import MAX_ATTEMPTS
from pathways.services.people import accounts
from pathways.services.tx import write
from pathways.store.core import AUDIT, JOB
from pathways.web import create_app
from pathways.web.i18n import texts

PASSWORD = "correct horse battery staple"
OWNER_REMINDER = datetime(2026, 7, 16, 7, 30, tzinfo=UTC)  # intake opened 8 July: owner reminded 16 July


@pytest.fixture(autouse=True, scope="module")
def _loopback_channels() -> Iterator[None]:
    """These tests deliver to servers on 127.0.0.1: allowed as an operator would (PATHWAYS_CHANNEL_ALLOW)."""
    with loopback_channels():
        yield


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found, "the page has no CSRF token"
    return found.group(1)


def job(app: App, job_id: int) -> dict[str, object]:
    with app.store.read() as conn:
        return dict(conn.execute(select(JOB).where(JOB.c.id == job_id)).mappings().one())


def test_a_manager_sees_the_dead_letters_of_their_organisation_and_retries_one(app: App) -> None:
    port = free_port()  # nothing listens here until the retry
    here = make_org(app, name="DLA de Paris")
    manager = make_person(app, here, role="manager", name="Nadia Manager", email="nadia@example.org")
    officer = make_person(app, here, name="Camille Martin")
    owner = make_person(
        app,
        here,
        role="owner",
        name="Léa Bernard",
        channels=(f"mailto://127.0.0.1:{port}?from=pathways@example.org&to=lea@example.org&mode=insecure",),
    )
    case = open_diagnosis(app, make_project(app, here, owner=owner), officer)
    elsewhere = make_org(app, name="Réseau voisin")
    their_owner = make_person(app, elsewhere, role="owner", name="Owner of elsewhere")  # no channel
    theirs = open_diagnosis(app, make_project(app, elsewhere, owner=their_owner), make_person(app, elsewhere))
    with write(app) as tx:
        accounts.add_user(tx, person=manager, password=PASSWORD, language="en")
        token = accounts.create_token(tx, person=manager, name="tests").token

    assert sweep(app, now=OWNER_REMINDER).messages == 2
    at = datetime.now(UTC)
    for _ in range(MAX_ATTEMPTS):  # the messages are ready by the real clock; each retry a day later
        dispatch(app, now=at)
        at += timedelta(days=1)
    with app.store.read() as conn:
        [mine] = failures.failed_messages(conn, orgs={here})
        [other] = failures.failed_messages(conn, orgs={elsewhere})
    assert (mine.status, mine.attempts, mine.case) == ("dead", MAX_ATTEMPTS, case.ref)
    assert other.case == theirs.ref

    with TestClient(create_app(app)) as client:
        form = {
            "login": "nadia@example.org",
            "password": PASSWORD,
            "csrf_token": csrf_of(client.get("/login").text),
        }
        assert client.post("/login", data=form, follow_redirects=False).status_code == 303
        cases_page = client.get("/cases").text
        assert 'href="/messages/failed"' in cases_page  # in the managers' navigation
        assert f'href="/messages/failed?org={here}"' in client.get("/dashboard").text

        listing = client.get("/messages/failed")
        assert listing.status_code == 200
        row = re.search(
            rf'<li class="card message dead" id="message-{mine.id}">(.*?)</li>', listing.text, re.DOTALL
        )
        assert row, listing.text
        cells = row.group(1)
        assert case.ref in cells
        assert "Léa Bernard" in cells
        assert f"<dd>{MAX_ATTEMPTS} · " in cells
        assert str(mine.last_error)
        assert str(mine.last_error)[:20] in cells
        assert theirs.ref not in listing.text
        assert "Owner of elsewhere" not in listing.text
        csrf = csrf_of(listing.text)

        # Another organisation's message does not exist for this manager; it stays dead.
        refused = client.post(
            f"/messages/{other.id}/retry", data={"csrf_token": csrf}, follow_redirects=False
        )
        assert refused.status_code == 404
        assert job(app, other.id)["status"] == "dead"
        # Without the session's CSRF token nothing is retried.
        assert client.post(f"/messages/{mine.id}/retry", data={}, follow_redirects=False).status_code == 403
        assert job(app, mine.id)["status"] == "dead"

        done = client.post(f"/messages/{mine.id}/retry", data={"csrf_token": csrf}, follow_redirects=False)
        assert done.status_code == 303
        assert done.headers["location"] == f"/messages/failed?retried={mine.id}"
        after = client.get(done.headers["location"]).text
        assert f"Message {mine.id} is queued again" in after
        assert f'id="message-{mine.id}"' not in after  # no longer failed
        assert (job(app, mine.id)["status"], job(app, mine.id)["attempts"]) == ("pending", 0)
        # Retrying what is no longer failed is refused, as by the CLI.
        again = client.post(f"/messages/{mine.id}/retry", data={"csrf_token": csrf}, follow_redirects=False)
        assert again.status_code == 409

        # The API lists the same, scoped the same way.
        headers = {"Authorization": f"Bearer {token}"}
        assert client.get("/api/v1/messages/failed", headers=headers).json() == []
        assert client.post(f"/api/v1/messages/{other.id}/retry", headers=headers).status_code == 404
        paths = client.get("/api/v1/openapi.json").json()["paths"]
        assert {"/api/v1/messages/failed", "/api/v1/messages/{message_id}/retry"} <= set(paths)

        for lang in ("fr", "nl", "en"):  # the page in each language
            client.post("/language", data={"lang": lang, "next": "/messages/failed", "csrf_token": csrf})
            assert f"<h1>{texts(lang)('Failed messages')}</h1>" in client.get("/messages/failed").text

    with app.store.read() as conn:
        kinds = conn.execute(
            select(AUDIT.c.kind, AUDIT.c.organisation_id, AUDIT.c.actor_id).where(
                AUDIT.c.kind == "message_retried"
            )
        ).all()
    assert kinds == [("message_retried", here, manager)]  # who asked is in the audit
    with smtp_server(port) as mailbox:  # the server is back: the retried reminder goes out
        assert dispatch(app).sent == 1
        mailbox.wait_for(1)
    assert mailbox.messages[0]["To"] == "lea@example.org"
    assert case.ref in plain_text(mailbox.messages[0])


def test_an_officer_has_no_failed_messages_page(app: App) -> None:
    org = make_org(app)
    officer = make_person(app, org, email="camille@example.org")
    with write(app) as tx:
        accounts.add_user(tx, person=officer, password=PASSWORD, language="fr")
    with TestClient(create_app(app)) as client:
        form = {
            "login": "camille@example.org",
            "password": PASSWORD,
            "csrf_token": csrf_of(client.get("/login").text),
        }
        client.post("/login", data=form)
        assert 'href="/messages/failed"' not in client.get("/cases").text
        assert client.get("/messages/failed").status_code == 403


def test_a_dispatcher_stopped_before_sending_does_not_make_a_message_poison(app: App) -> None:
    """Claims are not sends: a message taken over MAX_ATTEMPTS times, never sent, is not dead-lettered."""
    here = make_org(app, name="DLA de Paris")
    owner = make_person(app, here, role="owner", channels=("mailto://lea@example.org",))
    open_diagnosis(app, make_project(app, here, owner=owner), make_person(app, here))
    assert sweep(app, now=OWNER_REMINDER).messages == 1
    at = datetime.now(UTC)
    for n in range(MAX_ATTEMPTS + 2):  # each claim's dispatcher "dies" before its first send
        claimed, _ = lease.claim(app, at=at + n * 2 * lease.LEASE, size=10, lease=lease.LEASE)
        assert [j.status for j in claimed] == ["sending"], n
    [row] = [job(app, claimed[0].id)]
    assert row["status"] == "sending"
    assert row["attempts"] == MAX_ATTEMPTS + 2
