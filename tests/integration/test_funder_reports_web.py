"""Funders' reports through the command line and the web, on the history of tests/funders_fixture.py.

Figures are those worked out by hand in tests/integration/test_funder_reports.py.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook

from funders_fixture import Funders, build
from pathways.bootstrap import App
from pathways.services.people import accounts
from pathways.services.tx import write
from pathways.web import create_app
from pdfs import printing_available
from security.inprocess_cli import environment, run

PASSWORD = "correct horse battery staple"


@pytest.fixture
def funders(app: App) -> Funders:
    found = build(app)
    with write(app) as tx:
        for person in (found.manager, found.officer, found.beta_manager):
            accounts.add_user(tx, person=person, password=PASSWORD, language="fr")
    return found


def test_command_prints_a_table_csv_and_writes_xlsx_and_pdf(
    app: App, funders: Funders, tmp_path: Path
) -> None:
    env = environment(app, tmp_path)
    shown = run(env, "report", "funder", "tsf", "--year", "2026", "--org", "DLA Alpha")
    assert shown.code == 0, shown.output
    assert "Rosa Ressource" in shown.out
    assert "Zoé" not in shown.out  # organisation B's resource person
    as_csv = run(env, "report", "funder", "tsf", "--year", "2026", "--org", "DLA Alpha", "--format", "csv")
    assert as_csv.code == 0, as_csv.output
    assert list(csv.reader(io.StringIO(as_csv.out))) == [
        ["Indicator", "Detail", "Number", "Days", "Amount (€)"],
        ["Transfers closed, per resource person", "Rosa Ressource", "2", "3.50", "1575.00"],
        ["Transfers closed, per resource person", "Yann Ressource", "1", "3.00", "1350.00"],
        ["Transfers closed, total", "", "3", "6.50", "2925.00"],
    ]
    # Without --org: every organisation, B's transfer (3 days, 3 000) included
    everyone = run(env, "report", "funder", "tsf", "--year", "2026", "--format", "csv", "--lang", "fr")
    assert everyone.out.splitlines()[0] == "Indicateur,Détail,Nombre,Jours,Montant (€)"
    lines = list(csv.reader(io.StringIO(everyone.out)))
    assert lines[0] == ["Indicateur", "Détail", "Nombre", "Jours", "Montant (€)"]
    assert lines[-1] == [
        "Transferts clôturés, total",
        "",
        "4",
        "9.50",
        "5925.00",
    ]  # 3 + 1, 6.5 + 3, 2 925 + 3 000
    sheet = tmp_path / "dla.xlsx"
    written = run(
        env,
        "report",
        "funder",
        "dla",
        "--year",
        "2026",
        "--org",
        "DLA Alpha",
        "--format",
        "xlsx",
        "--out",
        str(sheet),
    )
    assert written.code == 0, written.output
    worksheet = load_workbook(sheet).active
    assert worksheet is not None
    rows = list(worksheet.iter_rows(values_only=True))
    assert rows[1] == ("Structures supported", None, 3, None, None)  # P1 P2 P3
    if printing_available():
        pdf = tmp_path / "dla.pdf"
        printed = run(env, "report", "funder", "dla", "--year", "2026", "--format", "pdf", "--out", str(pdf))
        assert printed.code == 0, printed.output
        assert pdf.read_bytes().startswith(b"%PDF-")


@pytest.mark.parametrize(
    ("args", "named"),
    [
        (("report", "funder", "dlx", "--year", "2026"), "kind"),
        (("report", "funder", "dla", "--year", "1999"), "year"),
        (("report", "funder", "dla", "--year", "2026", "--format", "doc"), "--format"),
        (("report", "funder", "dla", "--year", "2026", "--format", "xlsx"), "--out"),
        (("report", "funder", "dla", "--year", "2026", "--org", "Nowhere"), "Nowhere"),
    ],
)
def test_command_refuses_bad_input_with_a_message(
    app: App, funders: Funders, tmp_path: Path, args: tuple[str, ...], named: str
) -> None:
    ran = run(environment(app, tmp_path), *args)
    assert ran.code != 0
    assert ran.crash is None
    assert named in ran.output


def _client(app: App, email: str) -> Iterator[TestClient]:
    with TestClient(create_app(app)) as client:
        page = client.get("/login").text
        csrf = page.split('name="csrf_token" value="')[1].split('"')[0]
        form = {"login": email, "password": PASSWORD, "csrf_token": csrf}
        assert client.post("/login", data=form, follow_redirects=False).status_code == 303
        yield client


@pytest.fixture
def maud(app: App, funders: Funders) -> Iterator[TestClient]:
    yield from _client(app, "maud@example.org")


def test_manager_sees_her_organisations_figures_and_downloads_them(
    app: App, funders: Funders, maud: TestClient
) -> None:
    page = maud.get("/reports/funder/tsf?year=2026")
    assert page.status_code == 200
    assert "Transferts clôturés, par personne ressource" in page.text
    assert "Rosa Ressource" in page.text
    assert "Zoé Ressource" not in page.text  # organisation B's: never counted
    assert "2 925,00" in page.text.replace("\u202f", " ").replace("\xa0", " ")  # 1 575 + 1 350
    got = maud.get("/reports/funder/tsf?year=2026&format=csv")
    assert got.status_code == 200
    lines = list(csv.reader(io.StringIO(got.content.decode("utf-8-sig"))))
    assert lines[-1] == ["Transferts clôturés, total", "", "3", "6.50", "2925.00"]
    book = maud.get(f"/reports/funder/dla?year=2026&org={funders.alpha}&format=xlsx")
    worksheet = load_workbook(io.BytesIO(book.content)).active
    assert worksheet is not None
    rows = list(worksheet.iter_rows(values_only=True))
    assert ("Emplois créés", None, 2, None, None) in rows  # P2's follow-up
    if printing_available():
        pdf = maud.get("/reports/funder/dla?year=2026&format=pdf")
        assert pdf.status_code == 200
        assert pdf.content.startswith(b"%PDF-")


def test_another_organisation_or_an_unknown_report_is_not_found(
    app: App, funders: Funders, maud: TestClient
) -> None:
    assert maud.get(f"/reports/funder/dla?year=2026&org={funders.beta}").status_code == 404
    assert maud.get("/reports/funder/weather?year=2026").status_code == 404
    assert maud.get("/reports/funder/dla?year=1800").status_code in (400, 422)


def test_the_other_organisations_manager_sees_only_hers(app: App, funders: Funders) -> None:
    for client in _client(app, "bram@example.org"):
        page = client.get("/reports/funder/tsf?year=2026")
        assert page.status_code == 200
        assert "Zoé Ressource" in page.text  # TB: 3 days, 3 000
        assert "Rosa Ressource" not in page.text
        assert client.get(f"/reports/funder/tsf?year=2026&org={funders.alpha}").status_code == 404


def test_an_officer_may_not_see_funders_reports(app: App, funders: Funders) -> None:
    for client in _client(app, "alice@example.org"):
        assert client.get("/reports/funder/dla?year=2026").status_code == 403
        assert client.get("/reports/funder/tsf?year=2026&format=csv").status_code == 403
        assert client.get(f"/reports/funder/dla?year=2026&org={funders.alpha}").status_code == 403


def test_the_dla_sheet_names_sectors_and_mission_themes_in_the_readers_words(
    app: App, funders: Funders, maud: TestClient
) -> None:
    got = maud.get(f"/reports/funder/dla?year=2026&org={funders.alpha}&format=csv")
    assert got.status_code == 200
    rows = list(csv.reader(io.StringIO(got.content.decode("utf-8-sig"))))
    sectors = [row[1:3] for row in rows if row[0] == "Structures accompagnées, par secteur"]
    # P3 (no sector), P2 (the directory's NACE code), P1 (recorded at its intake, the pathway's label)
    assert sectors == [
        ["Non renseigné", "1"],
        ["47.11B", "1"],
        ["Environnement et transition écologique", "1"],
    ]
    themes = [row[1:4] for row in rows if row[0] == "Missions d'ingénierie terminées, par thème"]
    assert themes == [["Gouvernance", "2", "5.50"], ["Non renseigné", "1", "4.50"]]  # P1 + P3; P2
