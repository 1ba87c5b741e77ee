"""The project owner's page (issue 21, item 7), on SQLite and PostgreSQL.

What the current stage asks of the owner, from the pathway file (``ask_owner``), in the owner's
language or ``?lang=``; a document attached where a stage asks for documents; links renewed by
the officer (page and CLI), the old one then refused with a page saying how to get a new one, in
the owner's language; hostile tokens answered with that page, never an error or a case's data.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import quote, urlsplit

import pytest
from fastapi.testclient import TestClient
from itsdangerous import URLSafeSerializer
from sqlalchemy import select

from builders import (
    DIAGNOSIS_ACCEPTED,
    INTAKE_RELEVANT,
    PLAN_VALIDATED,
    decide,
    make_org,
    make_person,
    make_project,
    open_diagnosis,
)
from pathways.bootstrap import App
from pathways.services.casework import attachments, queries
from pathways.services.casework.views import OpenedCase
from pathways.services.people import accounts, editing, ownerlinks
from pathways.services.tx import write
from pathways.store.core import AUDIT
from pathways.web import create_app
from security.inprocess_cli import run_cli

PASSWORD = "correct horse battery staple"
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


@dataclass(frozen=True)
class Owner:
    app: App
    client: TestClient
    org: int
    officer: int
    owner: int
    ref: str
    case_id: int
    token: str


def _setup(app: App, *, owner_language: str = "fr") -> tuple[int, int, int, OpenedCase]:
    org = make_org(app, name="DLA Porteurs")
    officer = make_person(app, org, name="Camille Martin", email="camille@example.org")
    owner = make_person(
        app, org, role="owner", name="Inès Dubois", email="ines@example.org", language=owner_language
    )
    case = open_diagnosis(app, make_project(app, org, name="Recyclerie du Port", owner=owner), officer)
    return org, officer, owner, case


@pytest.fixture
def site(app: App) -> Iterator[Owner]:
    """A French-speaking owner with a link to her diagnosis case, at intake."""
    org, officer, owner, case = _setup(app)
    token = ownerlinks.owner_token(app, int(str(case.id)), owner)
    with TestClient(create_app(app), follow_redirects=False) as client:
        yield Owner(app, client, org, officer, owner, str(case.ref), int(str(case.id)), token)


def _csrf(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found, "the page has no CSRF token"
    return found.group(1)


def _buttons(html: str) -> list[str]:
    """The owner's answers the page offers: the actions its forms post."""
    return re.findall(r'<form method="post" action="/o/[^/"]+/(\w+)"', html)


def _kinds(app: App, case_id: int) -> list[str]:
    with app.store.read() as conn:
        return [e.kind for e in queries.history(conn, case_id)]


def _log_in(site: Owner) -> None:
    with write(site.app) as tx:
        accounts.add_user(tx, person=site.officer, password=PASSWORD, language="fr")
    form = {
        "login": "camille@example.org",
        "password": PASSWORD,
        "csrf_token": _csrf(site.client.get("/login").text),
    }
    assert site.client.post("/login", data=form).status_code == 303


def test_the_page_offers_what_each_stage_asks_of_the_owner(site: Owner) -> None:
    intake = site.client.get(f"/o/{site.token}")
    assert intake.status_code == 200
    assert _buttons(intake.text) == ["meeting_confirmed", "documents_sent"]
    assert "Je confirme le rendez-vous" in intake.text
    assert 'type="file"' in intake.text  # the documents are asked: they may be attached here
    assert intake.text.count('type="file"') == 1  # only there

    decide(site.app, site.ref, "relevant", INTAKE_RELEVANT, by=site.officer)
    diagnosis = site.client.get(f"/o/{site.token}").text
    assert _buttons(diagnosis) == ["diagnosis_validated"]
    assert "Nous validons le document de diagnostic" in diagnosis
    assert 'type="file"' not in diagnosis

    decide(site.app, site.ref, "accepted", DIAGNOSIS_ACCEPTED, by=site.officer)
    plan = site.client.get(f"/o/{site.token}").text
    assert _buttons(plan) == ["board_approved"]

    decide(site.app, site.ref, "validated", PLAN_VALIDATED, by=site.officer)  # the committee asks nothing
    committee = site.client.get(f"/o/{site.token}").text
    assert _buttons(committee) == []
    assert "Rien pour l'instant" in committee


def test_an_answer_is_recorded_once_and_an_answer_not_asked_now_is_refused(site: Owner) -> None:
    page = site.client.get(f"/o/{site.token}").text
    form = {"csrf_token": _csrf(page)}
    answered = site.client.post(f"/o/{site.token}/meeting_confirmed", data=form)
    assert answered.status_code == 303
    assert answered.headers["location"] == f"/o/{site.token}?done=meeting_confirmed"
    thanked = site.client.get(answered.headers["location"]).text
    assert "Merci, c'est noté : « Je confirme le rendez-vous »." in thanked
    assert "meeting_confirmed" not in _buttons(thanked)  # answered: no second button
    assert re.search(r'<ul class="done"><li>✓ Je confirme le rendez-vous', thanked)

    refused = site.client.post(f"/o/{site.token}/board_approved", data=form)  # asked later, not now
    assert refused.status_code == 409
    assert "Ce n'est plus demandé à l'étape où en est votre dossier" in refused.text
    refused = site.client.post(f"/o/{site.token}/not-an-action", data=form)
    assert refused.status_code == 409
    assert _kinds(site.app, site.case_id).count("owner_meeting_confirmed") == 1
    assert "owner_board_approved" not in _kinds(site.app, site.case_id)


def test_the_page_speaks_the_owners_language_or_the_one_asked_for(app: App) -> None:
    _org, _officer, owner, case = _setup(app, owner_language="nl")
    token = ownerlinks.owner_token(app, int(str(case.id)), owner)
    with TestClient(create_app(app)) as client:
        dutch = client.get(f"/o/{token}", headers={"Accept-Language": "fr"}).text
        assert '<html lang="nl">' in dutch
        assert "Onthaal" in dutch  # the stage, in the owner's language
        assert "Ik bevestig de afspraak" in dutch
        assert 'hreflang="nl" aria-current="true"' in dutch.replace("\n", " ") or re.search(
            r'hreflang="nl"\s+aria-current="true"', dutch
        )
        french = client.get(f"/o/{token}?lang=fr").text
        assert '<html lang="fr">' in french
        assert "Accueil et orientation" in french
        assert re.search(r'hreflang="fr"\s+aria-current="true"', french)
        english = client.get(f"/o/{token}?lang=en").text
        assert "I confirm the meeting" in english
        assert '<html lang="nl">' in client.get(f"/o/{token}?lang=xx").text  # not ours: the owner's
        # The switcher links to this page in each language, nothing else in its query.
        assert re.findall(r'href="(/o/[^"?]+\?lang=\w\w)"', french) == [
            f"/o/{token}?lang={code}" for code in ("fr", "nl", "en")
        ]
        # An answer given on the page in a language comes back in it.
        form = {"csrf_token": _csrf(english), "lang": "en"}
        answered = client.post(f"/o/{token}/meeting_confirmed", data=form, follow_redirects=False)
        assert answered.headers["location"] == f"/o/{token}?done=meeting_confirmed&lang=en"
        assert "Thank you, noted: “I confirm the meeting”." in client.get(answered.headers["location"]).text


def test_a_document_is_attached_with_the_answer_that_asks_for_it(site: Owner) -> None:
    page = site.client.get(f"/o/{site.token}").text
    files = {"file": ("statuts.pdf", PDF, "application/pdf")}
    form = {"csrf_token": _csrf(page)}
    sent = site.client.post(f"/o/{site.token}/documents_sent", data=form, files=files)
    assert sent.status_code == 303
    again = site.client.post(f"/o/{site.token}/documents_sent", data=form, files=files)  # a double click
    assert again.status_code == 303
    with site.app.store.read() as conn:
        stored = attachments.attachments_of(conn, site.case_id)
        events = conn.execute(
            select(AUDIT.c.kind, AUDIT.c.payload).where(AUDIT.c.case_id == site.case_id).order_by(AUDIT.c.id)
        ).all()
    assert [(a.name, a.media_type, a.uploaded_by) for a in stored] == [
        ("statuts.pdf", "application/pdf", "Inès Dubois")
    ]
    answer = [p for k, p in events if k == "owner_documents_sent"]
    assert len(answer) == 1
    assert answer[0]["attachments"] == [stored[0].id]
    assert [p["answer"] for k, p in events if k == "attachment_added"] == ["documents_sent"]
    shown = site.client.get(f"/o/{site.token}").text
    assert "statuts.pdf" in shown
    assert "Un autre document à joindre" in shown  # more may follow


def test_a_refused_document_is_said_beside_the_upload_in_french_and_nothing_is_recorded(site: Owner) -> None:
    page = site.client.get(f"/o/{site.token}").text
    files = {"file": ("statuts.pdf", b"MZ\x90\x00 not a pdf at all", "application/pdf")}
    refused = site.client.post(
        f"/o/{site.token}/documents_sent", data={"csrf_token": _csrf(page)}, files=files
    )
    assert refused.status_code == 422
    error = re.search(
        r'<p class="field-error" id="files-documents_sent-error-1">(.*?)</p>', refused.text, re.DOTALL
    )
    assert error is not None
    assert "statuts.pdf" in error.group(1)
    assert "est pas un fichier accepté ici" in error.group(1)  # French
    assert re.search(r'<input type="file"[^>]*aria-invalid="true"', refused.text)
    assert "owner_documents_sent" not in _kinds(site.app, site.case_id)
    with site.app.store.read() as conn:
        assert attachments.attachments_of(conn, site.case_id) == []
    # An answer that takes no document refuses one.
    files = {"file": ("statuts.pdf", PDF, "application/pdf")}
    refused = site.client.post(
        f"/o/{site.token}/meeting_confirmed", data={"csrf_token": _csrf(page)}, files=files
    )
    assert refused.status_code == 409
    assert "owner_meeting_confirmed" not in _kinds(site.app, site.case_id)


def test_the_officer_renews_the_link_and_the_old_one_says_it_was_replaced(site: Owner) -> None:
    _log_in(site)
    case_page = site.client.get(f"/cases/{site.ref}").text
    assert f'action="/cases/{site.ref}/owner-link"' in case_page
    renewed = site.client.post(f"/cases/{site.ref}/owner-link", data={"csrf_token": _csrf(case_page)})
    assert renewed.status_code == 200
    assert renewed.headers["cache-control"] == "no-store"  # a key to the case: kept by no cache
    link = re.search(r'<input id="owner-link" type="text" value="([^"]+)" readonly>', renewed.text)
    assert link is not None
    assert "Nouveau lien pour Inès Dubois" in renewed.text
    new_token = link.group(1).rsplit("/o/", 1)[1]
    site.client.post("/logout", data={"csrf_token": _csrf(renewed.text)})

    old = site.client.get(f"/o/{site.token}")
    assert old.status_code == 410
    assert "Ce lien a été remplacé" in old.text
    assert "Écrivez à Camille Martin" in old.text  # whom to ask, in the owner's language
    assert "Recyclerie du Port" not in old.text  # nothing of the case itself
    opens = site.client.get(f"/o/{new_token}")
    assert opens.status_code == 200
    form = {"csrf_token": _csrf(opens.text)}
    assert site.client.post(f"/o/{site.token}/meeting_confirmed", data=form).status_code == 410
    assert "owner_meeting_confirmed" not in _kinds(site.app, site.case_id)
    assert _kinds(site.app, site.case_id).count("owner_link_renewed") == 1


def test_a_message_sent_after_a_renewal_carries_a_link_that_opens(site: Owner) -> None:
    ownerlinks.renew_owner_link(site.app, case=site.ref, by=None)
    with site.app.store.read() as conn:
        link = ownerlinks.current_link(conn, site.app, site.case_id, site.owner)
    assert site.client.get(urlsplit(link).path).status_code == 200
    assert site.client.get(f"/o/{site.token}").status_code == 410


def test_pathways_case_owner_link_prints_a_new_link_and_the_old_one_stops_opening(
    site: Owner, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    code, printed = run_cli(site.app, monkeypatch, capsys, "case", "owner-link", site.ref, "--quiet")
    assert code == 0, printed
    url = printed.strip()
    assert re.fullmatch(r"\S+/o/[A-Za-z0-9_.\-]+", url)
    assert site.client.get(f"/o/{url.rsplit('/o/', 1)[1]}").status_code == 200
    assert site.client.get(f"/o/{site.token}").status_code == 410
    code, printed = run_cli(site.app, monkeypatch, capsys, "case", "owner-link", site.ref, "--days", "400")
    assert code == 2  # refused, naming the option, no traceback
    assert "Traceback" not in printed


def test_a_project_without_an_owner_has_no_link_to_renew(app: App) -> None:
    org = make_org(app)
    officer = make_person(app, org, name="Camille Martin", email="camille@example.org")
    case = open_diagnosis(app, make_project(app, org), officer)
    with write(app) as tx:
        accounts.add_user(tx, person=officer, password=PASSWORD, language="fr")
    with TestClient(create_app(app), follow_redirects=False) as client:
        form = {
            "login": "camille@example.org",
            "password": PASSWORD,
            "csrf_token": _csrf(client.get("/login").text),
        }
        client.post("/login", data=form)
        page = client.get(f"/cases/{case.ref}").text
        refused = client.post(f"/cases/{case.ref}/owner-link", data={"csrf_token": _csrf(page)})
    assert refused.status_code == 409
    assert "n'a pas encore de porteur ou de porteuse de projet" in refused.text


def test_an_expired_link_says_so_in_the_owners_language_with_whom_to_ask(app: App) -> None:
    _org, _officer, owner, case = _setup(app, owner_language="nl")
    expired = ownerlinks.owner_token(app, int(str(case.id)), owner, days=-1)
    with TestClient(create_app(app)) as client:
        answer = client.get(f"/o/{expired}", headers={"Accept-Language": "fr"})
    assert answer.status_code == 410
    assert '<html lang="nl">' in answer.text
    assert "Deze link is verlopen" in answer.text
    assert "Schrijf naar Camille Martin" in answer.text
    assert answer.headers["referrer-policy"] == "no-referrer"


def _hostile(app: App, case_id: int, owner: int, other_case: int, stranger: int) -> dict[str, str]:
    """Tokens an attacker might try, by what they are."""
    ours = URLSafeSerializer(app.settings.secret_key, salt="pathways.owner-link")
    later = int((app.clock.real() + timedelta(days=5)).timestamp())
    good = ownerlinks.owner_token(app, case_id, owner)
    return {
        "damaged": good[:-3] + ("abc" if not good.endswith("abc") else "xyz"),
        "another secret": URLSafeSerializer("not-the-secret", salt="pathways.owner-link").dumps(
            {"c": case_id, "p": owner, "x": later}
        ),
        "another salt": URLSafeSerializer(app.settings.secret_key, salt="itsdangerous").dumps(
            {"c": case_id, "p": owner, "x": later}
        ),
        "someone else's case": ours.dumps({"c": other_case, "p": owner, "x": later}),
        "not the owner": ours.dumps({"c": case_id, "p": stranger, "x": later}),
        "no such case": ours.dumps({"c": 2**31 - 1, "p": owner, "x": later}),
        "beyond the id columns": ours.dumps({"c": 2**40, "p": owner, "x": later}),
        "negative ids": ours.dumps({"c": -1, "p": -5, "x": later}),
        "text ids": ours.dumps({"c": "1 OR 1=1", "p": owner, "x": later}),
        "a list": ours.dumps([case_id, owner, later]),
        "huge expiry": ours.dumps({"c": case_id, "p": owner, "x": 10**30}),
        "a future renewal": ours.dumps({"c": case_id, "p": owner, "x": later, "g": 99}),
        "a text renewal": ours.dumps({"c": case_id, "p": owner, "x": later, "g": "x"}),
        "short": "abc",
        "sql": "' OR 1=1 --",
        "markup": "<script>alert(1)</script>",
        "unicode": "лёгкий-ключ-ü" * 3,
        "dots": "..%2F..%2Fetc%2Fpasswd",
        "very long": "A" * 1990,
    }


def test_hostile_tokens_get_the_not_valid_page_never_an_error_or_a_case(app: App) -> None:
    org, _officer, owner, case = _setup(app)
    other_org = make_org(app, name="DLA Voisine")
    other_owner = make_person(app, other_org, role="owner", name="Paul Lemaire")
    other_case = open_diagnosis(
        app, make_project(app, other_org, name="Épicerie Voisine", owner=other_owner), None
    )
    stranger = make_person(app, org, role="owner", name="Zoé Martin")
    tokens = _hostile(app, int(str(case.id)), owner, int(str(other_case.id)), stranger)
    with TestClient(create_app(app), follow_redirects=False) as client:
        csrf = _csrf(client.get(f"/o/{ownerlinks.owner_token(app, int(str(case.id)), owner)}").text)
        for what, token in tokens.items():
            segment = quote(token, safe="")  # one path segment, whatever it holds
            for answer in (
                client.get(f"/o/{segment}"),
                client.post(f"/o/{segment}/meeting_confirmed", data={"csrf_token": csrf}),
            ):
                assert answer.status_code == 404, (what, answer.status_code, answer.text[:300])
                assert "Ce lien ne s'ouvre pas" in answer.text, what
                for secret in (
                    "Recyclerie du Port",
                    "Épicerie Voisine",
                    "Inès Dubois",
                    "Camille Martin",
                    "DIAG-",
                ):
                    assert secret not in answer.text, (what, secret)
                assert "<script>alert" not in answer.text
        for path in (f"/o/{'A' * 2100}", "/o/<script>alert(1)</script>", "/o/a/b/c", "/o/%2F%2F"):
            odd = client.get(path)
            assert odd.status_code == 404, path
            assert "Ce lien ne s'ouvre pas" in odd.text
        good = ownerlinks.owner_token(app, int(str(case.id)), owner)
        slashed = client.get(f"/o/{good}/")  # a slash a mail program added
        assert slashed.status_code == 303
        assert slashed.headers["location"] == f"/o/{good}"
    assert not any(k.startswith("owner_") for k in _kinds(app, int(str(case.id))))
    assert not any(k.startswith("owner_") for k in _kinds(app, int(str(other_case.id))))


def test_a_link_no_longer_opens_once_the_project_changes_hands(site: Owner) -> None:
    new_owner = make_person(site.app, site.org, role="owner", name="Paul Lemaire")
    editing.update_project(
        site.app, editing.ProjectUpdate(project="Recyclerie du Port", owner=new_owner), by=None
    )
    answer = site.client.get(f"/o/{site.token}")
    assert answer.status_code == 404
    assert "Camille Martin" not in answer.text  # no longer theirs: nothing said about the case
