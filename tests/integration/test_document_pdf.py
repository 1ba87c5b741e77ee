"""Every generated document also as PDF: drawn from its HTML by WeasyPrint, in the case's
language, people by name, scoped as the HTML one, fetching nothing outside the document."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar

import pytest
from fastapi.testclient import TestClient

from builders import (
    DIAGNOSIS_ACCEPTED,
    INTAKE_RELEVANT,
    decide,
    make_org,
    make_person,
    make_project,
    open_diagnosis,
)
from pathways.bootstrap import App
from pathways.services.casework import documents, work
from pathways.services.casework.printing import html_to_pdf
from pathways.services.people import accounts
from pathways.services.tx import write
from pathways.web import create_app
from pdfs import needs_printing, pdf_text

PASSWORD = "correct horse battery staple"


@pytest.fixture(autouse=True)
def _printing() -> None:
    needs_printing()


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found, "the page has no CSRF token"
    return found.group(1)


def log_in(client: TestClient, login: str) -> None:
    form = {"login": login, "password": PASSWORD, "csrf_token": csrf_of(client.get("/login").text)}
    assert client.post("/login", data=form, follow_redirects=False).status_code == 303


def diagnosis_document(app: App, org: int, lang: str) -> tuple[str, int]:
    """A case whose shared diagnosis was rendered, for a project lead speaking `lang`: (ref, document id)."""
    officer = make_person(app, org, name="Camille Officier", email=f"camille-{lang}@example.org")
    owner = make_person(app, org, name="Awa Porteuse", role="owner", language=lang)
    project = make_project(app, org, owner=owner, name="Ressourcerie du Port")
    ref = open_diagnosis(app, project, officer).ref
    decide(app, ref, "relevant", INTAKE_RELEVANT)
    decide(app, ref, "accepted", DIAGNOSIS_ACCEPTED)
    work.run_pending(app)
    with app.store.read() as conn:
        [doc] = [d for d in documents.list_documents(conn, ref) if d.stage == "support_plan"]
    with write(app) as tx:
        accounts.add_user(tx, person=officer, password=PASSWORD, language="fr")
    return ref, doc.id


def test_a_document_as_pdf_in_the_case_language_with_people_by_name(app: App) -> None:
    org = make_org(app, name="DLA de Gand")
    ref, doc_id = diagnosis_document(app, org, "nl")
    elsewhere = make_org(app, name="Réseau voisin")
    stranger = make_person(app, elsewhere, name="Lars Peeters", email="lars@example.org")
    with write(app) as tx:
        accounts.add_user(tx, person=stranger, password=PASSWORD, language="en")
    with TestClient(create_app(app)) as client:
        log_in(client, "camille-nl@example.org")
        case_page = client.get(f"/cases/{ref}").text
        assert f'href="/documents/{doc_id}.pdf"' in case_page  # the PDF link beside the document
        html = client.get(f"/documents/{doc_id}")
        pdf = client.get(f"/documents/{doc_id}.pdf")
        assert pdf.status_code == 200
        assert pdf.headers["content-type"] == "application/pdf"
        assert pdf.headers["content-disposition"] == f'inline; filename="{ref}-diagnosis.support_plan.pdf"'
        assert pdf.content.startswith(b"%PDF-")
        text = pdf_text(pdf.content)
        assert "Gezamenlijke diagnose" in text  # the project lead's language, as the HTML
        assert "Gezamenlijke diagnose" in html.text
        assert "Awa Porteuse" in text  # people by name
        assert "Camille Officier" in text
        assert not re.search(r"\bperson\b|#\d+", text)
    with TestClient(create_app(app)) as client:  # another organisation's document does not exist for Lars
        log_in(client, "lars@example.org")
        unknown = client.get("/documents/999999.pdf")
        theirs = client.get(f"/documents/{doc_id}.pdf")
        assert theirs.status_code == unknown.status_code == 404
        assert theirs.text == unknown.text.replace("999999", str(doc_id))
        assert b"%PDF" not in theirs.content


class _Recorder(BaseHTTPRequestHandler):
    hits: ClassVar[list[str]] = []

    def do_GET(self) -> None:
        type(self).hits.append(self.path)
        self.send_response(200)
        self.send_header("Content-Type", "image/png")
        self.end_headers()

    def log_message(self, *args: object) -> None:
        return


@pytest.fixture
def recorder() -> Iterator[tuple[str, list[str]]]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Recorder)
    _Recorder.hits = []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", _Recorder.hits
    server.shutdown()
    server.server_close()


def test_the_pdf_renderer_fetches_nothing_outside_the_document(
    recorder: tuple[str, list[str]], tmp_path: Path
) -> None:
    url, hits = recorder
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP SECRET FILE CONTENT", encoding="utf-8")
    hostile = f"""<!doctype html><html lang="fr"><head>
      <link rel="stylesheet" href="{url}/style.css">
      <style>@import url("{url}/import.css"); @font-face {{ font-family: x; src: url("{url}/font.woff"); }}
        body {{ background: url("file://{secret}"); }}</style></head>
      <body><p>Awa Porteuse</p><img src="{url}/pixel.png"><img src="file://{secret}">
      <object data="file://{secret}"></object><iframe src="file://{secret}"></iframe>
      <embed src="{url}/embed"><img src="data:image/gif;base64,R0lGODlhAQABAAAAACw=">
      </body></html>"""
    pdf = html_to_pdf(hostile)
    assert pdf.startswith(b"%PDF-")
    assert hits == []  # no request reached the server
    text = pdf_text(pdf)
    assert "Awa Porteuse" in text
    assert "TOP SECRET" not in text
    assert b"TOP SECRET" not in pdf
