"""Notes, attachments and reassignment through the case page and the API (FastAPI's test client, a
real database on both backends): CSRF, streaming size limit, type spoofing, scoping, headers."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from dataclasses import dataclass
from html import unescape
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Table, func, select

from builders import make_org, make_person, make_project, open_diagnosis
from pathways.bootstrap import App, Clock
from pathways.services.casework.attachments import ATTACHMENT, NOTE
from pathways.services.people import accounts
from pathways.services.tx import write
from pathways.settings import load_settings
from pathways.store.db import Store
from pathways.web import create_app

PASSWORD = "correct horse battery staple"
LIMIT = 64 * 1024
PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


@dataclass(frozen=True)
class Desk:
    app: App
    client: TestClient
    token: str  # the officer's API token
    case: str
    stranger_case: str
    colleague: int
    stranger: int


@pytest.fixture
def desk(store: Store, tmp_path: Path) -> Iterator[Desk]:
    settings = load_settings(
        config_dir=Path("config"), environment="test", home=tmp_path, max_attachment_bytes=LIMIT
    )
    app = App(settings=settings, store=store, clock=Clock())
    org = make_org(app, name="DLA du Val-de-Marne")
    officer = make_person(app, org, name="Camille Martin", email="camille@example.org")
    colleague = make_person(app, org, name="Hugo Bernard")
    case = open_diagnosis(app, make_project(app, org, name="Recyclerie"), officer)
    other = make_org(app, name="Réseau voisin")
    stranger = make_person(app, other, name="Lars Peeters", email="lars@example.org")
    stranger_case = open_diagnosis(app, make_project(app, other, name="Buurtwinkel"), stranger)
    with write(app) as tx:
        accounts.add_user(tx, person=officer, password=PASSWORD, language="fr")
        token = accounts.create_token(tx, person=officer, name="tests").token
    with TestClient(create_app(app), follow_redirects=False) as client:
        csrf = csrf_of(client.get("/login").text)
        form = {"login": "camille@example.org", "password": PASSWORD, "csrf_token": csrf, "next": "/cases"}
        assert client.post("/login", data=form).status_code == 303
        yield Desk(app, client, token, str(case.ref), str(stranger_case.ref), colleague, stranger)


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found, "the page has no CSRF token"
    return found.group(1)


def page_csrf(desk: Desk) -> str:
    return csrf_of(desk.client.get(f"/cases/{desk.case}").text)


def count(desk: Desk, table: Table) -> int:
    with desk.app.store.read() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())


def bearer(desk: Desk) -> dict[str, str]:
    return {"Authorization": f"Bearer {desk.token}"}


# --- the case page --------------------------------------------------------------------------


def test_an_officer_adds_a_meeting_report_with_a_file_and_downloads_it(desk: Desk) -> None:
    form = {
        "csrf_token": page_csrf(desk),
        "kind": "meeting",
        "date": "2020-03-02",
        "text": "Rendez-vous avec le bureau",
    }
    files = {"file": ("compte rendu.pdf", io.BytesIO(PDF), "application/pdf")}
    sent = desk.client.post(f"/cases/{desk.case}/notes", data=form, files=files)
    assert sent.status_code == 303
    assert sent.headers["location"] == f"/cases/{desk.case}?done=meeting#work"

    html = unescape(desk.client.get(sent.headers["location"]).text)
    assert "Le compte rendu est ajouté à l'historique." in html  # the account's language: French
    assert "Rendez-vous avec le bureau" in html
    link = re.search(rf'href="(/cases/{desk.case}/attachments/(\d+))"', html)
    assert link, "the attachment is linked from the page"
    got = desk.client.get(link.group(1))
    assert got.status_code == 200
    assert got.content == PDF
    assert got.headers["content-type"] == "application/pdf"
    assert got.headers["x-content-type-options"] == "nosniff"
    assert got.headers["content-disposition"].startswith('attachment; filename="compte rendu.pdf"')
    assert "filename*=UTF-8''compte%20rendu.pdf" in got.headers["content-disposition"]


def test_a_form_without_its_csrf_token_or_with_the_file_before_it_is_refused(desk: Desk) -> None:
    files = {"file": ("plan.pdf", io.BytesIO(PDF), "application/pdf")}
    refused = desk.client.post(f"/cases/{desk.case}/notes", data={"text": "x"}, files=files)
    assert refused.status_code == 403
    # The token after the file: the file is refused before it is kept (fields are read in order).
    body, boundary = _multipart([("file", ("plan.pdf", PDF)), ("csrf_token", page_csrf(desk)), ("text", "x")])
    late = desk.client.post(
        f"/cases/{desk.case}/notes",
        content=body,
        headers={"content-type": f"multipart/form-data; boundary={boundary}"},
    )
    assert late.status_code == 403
    assert count(desk, NOTE) == 0
    assert count(desk, ATTACHMENT) == 0


def test_a_file_over_the_limit_is_refused_beside_its_field_in_french(desk: Desk) -> None:
    big = PDF + b"0" * LIMIT
    form = {"csrf_token": page_csrf(desk)}
    refused = desk.client.post(
        f"/cases/{desk.case}/attachments",
        data=form,
        files={"file": ("gros.pdf", io.BytesIO(big), "application/pdf")},
    )
    assert refused.status_code == 422
    assert "gros.pdf dépasse 0,06 Mo." in refused.text  # 64 KiB, said in French
    assert 'id="w-file-error"' in refused.text
    # Far over it: refused before the body is read (BodyLimit), with the limit in the message.
    huge = desk.client.post(
        f"/cases/{desk.case}/attachments",
        data=form,
        files={"file": ("huge.pdf", io.BytesIO(PDF + b"0" * (2 * 1024 * 1024)), "application/pdf")},
    )
    assert huge.status_code == 413
    assert count(desk, ATTACHMENT) == 0


def test_an_html_page_named_pdf_is_refused_and_a_path_in_the_name_is_dropped(desk: Desk) -> None:
    form = {"csrf_token": page_csrf(desk)}
    spoof = desk.client.post(
        f"/cases/{desk.case}/attachments",
        data=form,
        files={
            "file": ("rapport.pdf", io.BytesIO(b"<html><script>alert(1)</script></html>"), "application/pdf")
        },
    )
    assert spoof.status_code == 422
    assert 'id="w-file-error"' in spoof.text
    kept = desk.client.post(
        f"/cases/{desk.case}/attachments",
        data=form,
        files={"file": ("../../../etc/cron.d/rapport.pdf", io.BytesIO(PDF), "text/html")},
    )
    assert kept.status_code == 303
    with desk.app.store.read() as conn:
        assert list(conn.scalars(select(ATTACHMENT.c.name))) == ["rapport.pdf"]
        assert list(conn.scalars(select(ATTACHMENT.c.media_type))) == ["application/pdf"]


def test_another_organisations_attachment_answers_as_an_unknown_case(desk: Desk) -> None:
    theirs = desk.client.post(
        f"/api/v1/cases/{desk.stranger_case}/attachments",
        headers=bearer(desk),
        files={"file": ("x.pdf", io.BytesIO(PDF), "application/pdf")},
    )
    assert theirs.status_code == 404
    # Stored by their own officer (the operator here), then asked for by ours, page and API.
    from pathways.services.casework import attachments

    file = attachments.FileUpload("bilan.pdf", io.BytesIO(PDF))
    added = attachments.add_attachment(
        desk.app, attachments.AddAttachment(case=desk.stranger_case, file=file), by=None
    )
    page = desk.client.get(f"/cases/{desk.stranger_case}/attachments/{added.id}")
    unknown = desk.client.get(f"/cases/DIAG-2026-9999/attachments/{added.id}")
    assert page.status_code == unknown.status_code == 404
    api = desk.client.get(f"/api/v1/cases/{desk.stranger_case}/attachments/{added.id}", headers=bearer(desk))
    api_unknown = desk.client.get(
        f"/api/v1/cases/DIAG-2026-9999/attachments/{added.id}", headers=bearer(desk)
    )
    assert api.status_code == api_unknown.status_code == 404
    assert api.json()["hint"] == api_unknown.json()["hint"]
    # Under our own case, their attachment's id is not found either.
    assert desk.client.get(f"/cases/{desk.case}/attachments/{added.id}").status_code == 404


def test_an_officer_reassigns_their_case_from_the_page_never_outside(desk: Desk) -> None:
    html = desk.client.get(f"/cases/{desk.case}").text
    version = re.search(r'id="assign-form".*?name="version" value="(\d+)"', html, re.DOTALL)
    assert version, "the assign form carries the case's version"
    outside = {"csrf_token": csrf_of(html), "officer": str(desk.stranger), "version": version.group(1)}
    refused = desk.client.post(f"/cases/{desk.case}/assign", data=outside)
    assert refused.status_code == 422
    assert 'id="w-officer-error"' in refused.text
    given = {"csrf_token": csrf_of(html), "officer": str(desk.colleague), "version": version.group(1)}
    done = desk.client.post(f"/cases/{desk.case}/assign", data=given)
    assert done.status_code == 303
    page = desk.client.get(done.headers["location"]).text
    assert "Hugo Bernard" in page
    assert "Camille Martin → Hugo Bernard" in page
    # The case is no longer hers: the form is gone, and posting anyway is refused.
    assert 'id="assign-form"' not in page
    again = {"csrf_token": csrf_of(page), "officer": str(desk.colleague)}
    assert desk.client.post(f"/cases/{desk.case}/assign", data=again).status_code == 403


# --- the API --------------------------------------------------------------------------------


def test_the_api_adds_a_note_lists_and_serves_attachments_and_reassigns(desk: Desk) -> None:
    note = desk.client.post(
        f"/api/v1/cases/{desk.case}/notes",
        headers=bearer(desk),
        data={"text": "Appel du trésorier", "date": "2020-01-15"},
        files={"file": ("budget.txt", io.BytesIO("Budget prévisionnel 2027\n".encode()), "text/plain")},
    )
    assert note.status_code == 201, note.text
    body = note.json()
    assert body["kind"] == "note"
    assert body["on"] == "2020-01-15"
    assert body["attachment"]["media_type"] == "text/plain; charset=utf-8"
    listed = desk.client.get(f"/api/v1/cases/{desk.case}/attachments", headers=bearer(desk)).json()
    assert [a["name"] for a in listed] == ["budget.txt"]
    served = desk.client.get(f"/api/v1/cases/{desk.case}/attachments/{listed[0]['id']}", headers=bearer(desk))
    assert served.content.decode() == "Budget prévisionnel 2027\n"

    moved = desk.client.post(
        f"/api/v1/cases/{desk.case}/assign", headers=bearer(desk), json={"officer": "Hugo Bernard"}
    )
    assert moved.status_code == 200, moved.text
    assert (moved.json()["officer"], moved.json()["previous"]) == ("Hugo Bernard", "Camille Martin")


def test_the_api_names_every_refused_field_at_once(desk: Desk) -> None:
    refused = desk.client.post(
        f"/api/v1/cases/{desk.case}/notes",
        headers=bearer(desk),
        data={"text": "", "kind": "memo", "date": "someday"},
        files={"file": ("photo.png", io.BytesIO(PDF), "image/png")},
    )
    assert refused.status_code == 422
    assert {e["field"]: e["code"] for e in refused.json()["errors"]} == {
        "text": "work.error.text_required",
        "kind": "work.error.kind_unknown",
        "date": "work.error.date",
        "file": "work.error.extension",
    }
    wrong_type = desk.client.post(
        f"/api/v1/cases/{desk.case}/notes", headers=bearer(desk), json={"text": "hello"}
    )
    assert wrong_type.status_code == 422
    unauthenticated = desk.client.post(
        f"/api/v1/cases/{desk.case}/attachments",
        files={"file": ("x.pdf", io.BytesIO(PDF), "application/pdf")},
    )
    assert unauthenticated.status_code == 401
    assert count(desk, NOTE) == 0


def _multipart(parts: list[tuple[str, object]]) -> tuple[bytes, str]:
    """A multipart body with its parts in this order (a test client keeps fields before files)."""
    boundary = "pathways-test-boundary"
    chunks: list[bytes] = []
    for name, value in parts:
        chunks.append(f"--{boundary}\r\n".encode())
        if isinstance(value, tuple):
            filename, content = value
            chunks.append(
                f'Content-Disposition: form-data; name="{name}"; filename="{filename}"\r\n'
                "Content-Type: application/octet-stream\r\n\r\n".encode()
            )
            chunks.append(content)
        else:
            chunks.append(f'Content-Disposition: form-data; name="{name}"\r\n\r\n{value}'.encode())
        chunks.append(b"\r\n")
    chunks.append(f"--{boundary}--\r\n".encode())
    return b"".join(chunks), boundary
