"""`pathways case note`, `case attach` and `case assign` as real processes on a SQLite installation:
what they print, their exit codes, and what the case's timeline and history then hold."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from cli_home import ROOT, Home

from builders import make_org, make_person, make_project, open_diagnosis
from pathways.bootstrap import App, Clock
from pathways.settings import load_settings
from pathways.store.audit_verify import verify_chain
from pathways.store.db import Store

pytestmark = pytest.mark.e2e

PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


@dataclass(frozen=True)
class Office:
    home: Home
    app: App
    folder: Path
    ref: str
    other_ref: str


@pytest.fixture(scope="module")
def office(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Office]:
    folder = tmp_path_factory.mktemp("casework-cli")
    home = Home(folder)
    home.ok("init")
    store = Store.from_url(home.url)
    settings = load_settings(
        database_url=home.url, config_dir=ROOT / "config", environment="test", home=folder
    )
    app = App(settings=settings, store=store, clock=Clock())
    org = make_org(app, name="DLA du Val-de-Marne")
    officer = make_person(app, org, name="Camille Martin", email="camille@example.org")
    make_person(app, org, name="Hugo Bernard", email="hugo@example.org")
    other = make_org(app, name="Réseau voisin")
    stranger = make_person(app, other, name="Lars Peeters", email="lars@example.org")
    ref = str(open_diagnosis(app, make_project(app, org, name="Recyclerie"), officer).ref)
    other_ref = str(open_diagnosis(app, make_project(app, other, name="Buurtwinkel"), stranger).ref)
    yield Office(home, app, folder, ref, other_ref)
    store.dispose()


def test_case_note_adds_a_dated_meeting_report_with_its_file_to_the_timeline(office: Office) -> None:
    report = office.folder / "compte-rendu.pdf"
    report.write_bytes(PDF)
    done = office.home.ok(
        "case", "note", office.ref, "Rencontre avec le bureau", "--meeting", "--date", "2026-11-30",
        "--attach", str(report), "--by", "camille@example.org",
    )  # fmt: skip
    assert f"{office.ref}: meeting report of 2026-11-30 added to the timeline" in done.out
    assert "attached compte-rendu.pdf (application/pdf" in done.out
    items = office.home.ok("case", "history", office.ref, "--json").json()["items"]
    meeting = next(i for i in items if i["kind"] == "meeting")
    assert (meeting["summary"], meeting["actor"]) == ("Rencontre avec le bureau", "Camille Martin")
    assert any(i["kind"] == "attachment" and i["summary"] == "compte-rendu.pdf" for i in items)
    with office.app.store.read() as conn:
        assert all(report.ok for report in verify_chain(conn, key=office.app.audit_key))


def test_case_note_exits_2_naming_each_refused_field_and_writes_nothing(office: Office) -> None:
    spoof = office.folder / "rapport.pdf"
    spoof.write_bytes(b"<!doctype html><html><script>alert(1)</script></html>")
    before = office.home.query("SELECT count(*) FROM case_note")
    refused = office.home.run("case", "note", office.ref, " ", "--date", "2999-01-01", "--attach", str(spoof))
    assert refused.code == 2
    for field in ("text", "date", "file"):
        assert f"  {field}: " in refused.err
    missing = office.home.run(
        "case", "note", office.ref, "Appel", "--attach", str(office.folder / "absent.pdf")
    )
    assert missing.code == 2
    assert "field 'attach'" in missing.err
    assert office.home.query("SELECT count(*) FROM case_note") == before


def test_case_attach_keeps_a_clean_name_and_refuses_a_name_that_lies(office: Office) -> None:
    photo = office.folder / "photo.jpg"
    photo.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 32)  # a PNG named .jpg
    lying = office.home.run("case", "attach", office.ref, str(photo))
    assert lying.code == 2
    assert "its content is PNG" in lying.err
    plan = office.folder / "plan.txt"
    plan.write_text("Plan de trésorerie 2027\n", encoding="utf-8")
    attached = office.home.ok("case", "attach", office.ref, str(plan), "--json").json()
    assert (attached["name"], attached["media_type"]) == ("plan.txt", "text/plain; charset=utf-8")


def test_case_assign_gives_the_case_to_a_colleague_never_outside_the_organisation(office: Office) -> None:
    outside = office.home.run("case", "assign", office.ref, "lars@example.org")
    assert outside.code == 2
    assert "officer" in outside.err
    unknown = office.home.run("case", "assign", "DIAG-2026-9999", "hugo@example.org")
    assert unknown.code == 3
    done = office.home.ok("case", "assign", office.ref, "hugo@example.org")
    assert f"{office.ref}: now followed by Hugo Bernard (before: Camille Martin)" in done.out
    assert office.home.show(office.ref)["officer"] == "Hugo Bernard"
    events = office.home.history(office.ref)
    assert [e["kind"] for e in events if e["kind"] == "case_assigned"] == ["case_assigned"]
    again = office.home.run("case", "assign", office.ref, "hugo@example.org")
    assert again.code == 2
    assert "already in charge" in again.err
