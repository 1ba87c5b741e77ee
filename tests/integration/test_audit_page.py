"""The audit log a page at a time (keyset on seq), filtered by case, person, kind and dates, as
sentences with names, on the page and in the API; on SQLite and PostgreSQL."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import parse_qs, urlsplit

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from builders import make_org, make_person, make_project, open_diagnosis
from pathways.bootstrap import App
from pathways.services.people import accounts
from pathways.services.tx import write
from pathways.store.core import AUDIT as EVENT
from pathways.web import create_app

PASSWORD = "correct horse battery staple"
JANUARY = 200  # events added on top of the fixture's own and June's 30: three pages


@dataclass(frozen=True)
class Chain:
    org: int
    manager: int
    officer: int
    owner: int
    case: str
    other_case: str
    token: str
    last_seq: int


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found, "the page has no CSRF token"
    return found.group(1)


@pytest.fixture
def chain(app: App) -> Chain:
    org = make_org(app, name="DLA de Paris")
    manager = make_person(app, org, role="manager", name="Hugo Bernard", email="hugo@example.org")
    officer = make_person(app, org, name="Camille Martin", email="camille@example.org")
    owner = make_person(app, org, role="owner", name="Inès Dubois")
    case = open_diagnosis(app, make_project(app, org, owner=owner, name="Recyclerie du Canal"), officer)
    elsewhere = make_org(app, name="Réseau voisin")
    theirs = open_diagnosis(
        app, make_project(app, elsewhere), make_person(app, elsewhere, name="Lars Peeters")
    )
    # A long chain of the officer's retried messages, through the real append: 200 in January,
    # then one a day in June (effective 2026-06-01 ... 2026-06-30).
    with write(app, actor_id=officer, at=datetime(2026, 1, 15, 9, 0, tzinfo=UTC)) as tx:
        for job in range(1, JANUARY + 1):
            tx.audit(
                organisation_id=org, kind="message_retried", payload={"job": job, "key": "k", "was": "dead"}
            )
    for day in range(1, 31):
        with write(app, actor_id=officer, at=datetime(2026, 6, day, 9, 0, tzinfo=UTC)) as tx:
            job = JANUARY + day
            tx.audit(
                organisation_id=org, kind="message_retried", payload={"job": job, "key": "k", "was": "dead"}
            )
    with write(app) as tx:
        accounts.add_user(tx, person=manager, password=PASSWORD, language="fr")
        token = accounts.create_token(tx, person=manager, name="tests").token
    with app.store.read() as conn:
        last = conn.execute(select(func.max(EVENT.c.seq)).where(EVENT.c.organisation_id == org)).scalar_one()
    return Chain(org, manager, officer, owner, case.ref, theirs.ref, token, int(last))


@pytest.fixture
def client(app: App, chain: Chain) -> TestClient:
    client = TestClient(create_app(app))
    form = {
        "login": "hugo@example.org",
        "password": PASSWORD,
        "csrf_token": csrf_of(client.get("/login").text),
    }
    assert client.post("/login", data=form, follow_redirects=False).status_code == 303
    return client


def seqs(html: str) -> list[int]:
    return [int(s) for s in re.findall(r'<td class="num" data-label="#">(\d+)</td>', html)]


def visible(html: str) -> str:
    """The text a reader sees (tags dropped)."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def next_link(html: str) -> str | None:
    found = re.search(r'<a href="(/audit\?[^"]*)" rel="next">', html)
    return found.group(1).replace("&amp;", "&") if found else None


def test_the_audit_pages_through_a_long_chain_a_hundred_events_at_a_time(
    client: TestClient, chain: Chain
) -> None:
    first = client.get("/audit")
    assert first.status_code == 200
    page1 = seqs(first.text)
    assert page1 == list(range(chain.last_seq, chain.last_seq - 100, -1))  # newest first, 100
    link = next_link(first.text)
    assert link is not None
    assert parse_qs(urlsplit(link).query)["before"] == [str(page1[-1])]  # keyset: before the last seq shown
    second = client.get(link)
    page2 = seqs(second.text)
    assert page2 == list(range(page1[-1] - 1, page1[-1] - 101, -1))
    third = client.get(next_link(second.text) or "")
    page3 = seqs(third.text)
    assert page3 == list(range(page2[-1] - 1, 0, -1))  # the rest, down to the organisation's first event
    assert next_link(third.text) is None
    assert 'href="/audit?org=' in third.text  # back to the newest events
    # Readable: names and sentences in the page's language, never raw payloads.
    assert f"Camille Martin a renvoyé le message n° {JANUARY + 30}" in first.text
    shown = visible(first.text + second.text + third.text)
    assert "person=" not in shown
    assert not re.search(r"\bperson \d|#\d+ ", shown)
    assert "a ajouté Inès Dubois comme Porteur·se de projet" in third.text
    assert "Réseau voisin" not in first.text + second.text + third.text
    assert "Lars Peeters" not in third.text


def test_filters_by_case_person_kind_and_dates(client: TestClient, chain: Chain) -> None:
    by_case = client.get("/audit", params={"case": chain.case}).text
    assert len(seqs(by_case)) == 1
    assert "a ouvert le dossier dans le parcours « Diagnostic partagé »" in by_case
    by_kind = client.get(
        "/audit", params={"kind": "message_retried", "since": "2026-06-01", "until": "2026-06-30"}
    )
    days = seqs(by_kind.text)
    assert len(days) == 30  # one event a day in June, whichever page of the chain they are on
    assert next_link(by_kind.text) is None
    by_person = client.get("/audit", params={"person": "camille@example.org"}).text
    assert len(seqs(by_person)) == 100  # 231 events by Camille (and one about her): a page
    assert next_link(by_person) is not None
    about_owner = client.get("/audit", params={"person": str(chain.owner)}).text
    assert len(seqs(about_owner)) == 1  # nothing done by Inès: the event that names her
    assert "Inès Dubois" in about_owner
    both = client.get("/audit", params={"person": "Camille Martin", "kind": "case_opened"}).text
    assert len(seqs(both)) == 1


def test_wrong_filters_are_said_beside_their_fields_in_the_page_language(
    client: TestClient, chain: Chain
) -> None:
    page = client.get("/audit", params={"case": "DIAG-2099-9", "person": "nobody", "since": "2026-02-31"})
    assert page.status_code == 404
    assert "Aucun dossier DIAG-2099-9 dans vos organisations." in page.text
    assert "Aucune personne « nobody » dans vos organisations." in page.text
    assert "« 2026-02-31 » n&#39;est pas une date (AAAA-MM-JJ)." in page.text
    assert seqs(page.text) == []
    # Another organisation's case reads as unknown; its events are never listed.
    theirs = client.get("/audit", params={"case": chain.other_case})
    assert theirs.status_code == 404
    assert f"Aucun dossier {chain.other_case} dans vos organisations." in theirs.text
    assert seqs(theirs.text) == []
    bad_dates = client.get("/audit", params={"since": "2026-07-01", "until": "2026-06-01"})
    assert bad_dates.status_code == 422
    assert "La fin est avant le début." in bad_dates.text


def test_the_api_has_the_same_filters_and_links_the_next_page(client: TestClient, chain: Chain) -> None:
    headers = {"Authorization": f"Bearer {chain.token}"}
    first = client.get("/api/v1/audit", headers=headers, params={"limit": 50})
    assert first.status_code == 200
    events = first.json()
    assert [e["seq"] for e in events] == list(range(chain.last_seq, chain.last_seq - 50, -1))
    link = re.fullmatch(r'<(/api/v1/audit\?[^>]+)>; rel="next"', first.headers["link"])
    assert link is not None
    second = client.get(link.group(1), headers=headers).json()
    assert second[0]["seq"] == events[-1]["seq"] - 1
    june = client.get(
        "/api/v1/audit",
        headers=headers,
        params={
            "kind": "message_retried",
            "since": "2026-06-01",
            "until": "2026-06-30",
            "person": "camille-martin",
        },
    )
    assert len(june.json()) == 30
    assert "link" not in june.headers
    assert {e["actor"] for e in june.json()} == {"Camille Martin"}
    assert (
        client.get("/api/v1/audit", headers=headers, params={"case": chain.case}).json()[0]["kind"]
        == "case_opened"
    )
    assert client.get("/api/v1/audit", headers=headers, params={"person": "nobody"}).status_code == 404
    refused = client.get(
        "/api/v1/audit", headers=headers, params={"since": "2026-07-01", "until": "2026-06-01"}
    )
    assert refused.status_code == 422
    assert refused.json()["field"] == "until"
    assert client.get("/api/v1/audit", headers=headers, params={"limit": 101}).status_code == 422
    # Another organisation's case is not found, exactly as a case that does not exist.
    other = client.get("/api/v1/audit", headers=headers, params={"case": chain.other_case})
    unknown = client.get("/api/v1/audit", headers=headers, params={"case": "DIAG-2099-9"})
    assert other.status_code == unknown.status_code == 404
    assert other.json()["detail"] == unknown.json()["detail"].replace("DIAG-2099-9", chain.other_case)


def test_the_chain_is_verified_beside_the_log(client: TestClient, chain: Chain) -> None:
    page = client.get("/audit").text
    assert f'hx-get="/audit/verify?org={chain.org}"' in page
    verified = client.get(f"/audit/verify?org={chain.org}", headers={"hx-request": "true"}).text
    assert f"{chain.last_seq}" in verified
    assert "chaîne intacte" in verified
    # French punctuation: a space before the colon, as in every label; the name still bold
    assert "<strong>DLA de Paris</strong> : ✓" in verified, verified
