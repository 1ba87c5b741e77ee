"""CSV import of projects and people, on SQLite and on PostgreSQL."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import typer
from sqlalchemy import func, select

from builders import make_org, make_person
from import_data import line_of, project_rows, siret, write_csv
from pathways.bootstrap import App
from pathways.cli import importing as importing_cli
from pathways.errors import InvalidInput, PathwaysError
from pathways.services.exchange import importing
from pathways.store.audit_verify import verify_chain
from pathways.store.core import AUDIT, MEMBER, PERSON, PROJECT

ROWS = 10_000
BAD = {  # data row index -> the bad values
    1234: {"siret": "73282932000075"},  # wrong check digit
    5000: {"territory": "FR-999"},  # unknown territory
    9997: {"siret": siret(16)},  # the SIRET of row 16: a duplicate within the file
}
BAD_LINES = [line_of(i) for i in sorted(BAD)]  # 1236, 5002, 9999


def count(app: App, table: Any) -> int:
    with app.store.read() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())


@pytest.fixture
def orgs(app: App) -> dict[str, Any]:
    fr = make_org(app, name="DLA Paris", territory="FR-75")
    be = make_org(app, name="SAW-B", territory="BE-WAL")
    owner = make_person(app, fr, name="Awa Diallo", role="owner", email="awa@example.org")
    return {"fr": fr, "be": be, "owner": owner}


@pytest.fixture
def rows(orgs: dict[str, Any]) -> list[dict[str, str]]:
    return project_rows(ROWS, fr_org="dla-paris", be_org="SAW-B", owner="awa@example.org")


def test_three_bad_rows_in_ten_thousand_are_reported_and_nothing_is_imported(
    app: App, rows: list[dict[str, str]], tmp_path: Path
) -> None:
    path = write_csv(tmp_path / "projects.csv", rows, bad=BAD)
    events = count(app, AUDIT)

    with pytest.raises(importing.ImportRefused) as refused:
        importing.import_projects(app, path)

    assert refused.value.lines == BAD_LINES
    assert [(p.line, p.column) for p in refused.value.problems] == [
        (1236, "siret"),
        (5002, "territory"),
        (9999, "siret"),
    ]
    assert "wrong check digit" in refused.value.problems[0].reason
    assert "unknown territory" in refused.value.problems[1].reason
    assert refused.value.problems[2].reason == f"same SIRET as line {line_of(16)}"
    assert "lines 1236, 5002, 9999" in refused.value.message
    assert count(app, PROJECT) == 0
    assert count(app, AUDIT) == events


def test_the_clean_file_imports_every_row_with_one_audit_event_per_organisation(
    app: App, rows: list[dict[str, str]], orgs: dict[str, Any], tmp_path: Path
) -> None:
    path = write_csv(tmp_path / "projects.csv", rows)
    seen: list[tuple[str, int, int]] = []

    report = importing.import_projects(app, path, progress=lambda *args: seen.append(args))

    assert (report.rows, report.imported, report.skipped) == (ROWS, ROWS, ())
    assert count(app, PROJECT) == ROWS
    assert seen[-1] == ("import", ROWS, ROWS)
    assert ("check", ROWS, ROWS) in seen
    with app.store.read() as conn:
        first = conn.execute(select(PROJECT).where(PROJECT.c.id == report.ids[0])).mappings().one()
        belgian = conn.execute(select(PROJECT).where(PROJECT.c.id == report.ids[2])).mappings().one()
        events = conn.execute(select(AUDIT).where(AUDIT.c.kind == "projects_imported")).mappings().all()
        assert all(r.ok for r in verify_chain(conn, key=app.audit_key))
    assert (first["name"], first["siret"], first["siren"]) == (
        "Projet coopératif n°0",
        siret(0),
        siret(0)[:9],
    )
    assert (first["organisation_id"], first["owner_id"], first["territory"]) == (
        orgs["fr"],
        orgs["owner"],
        "FR-75",
    )
    assert (belgian["organisation_id"], belgian["bce"], belgian["territory"]) == (
        orgs["be"],
        "0200000241",
        "BE-VLG",
    )
    assert {e["organisation_id"]: e["payload"]["count"] for e in events} == {
        orgs["fr"]: 6667,
        orgs["be"]: 3333,
    }
    assert sorted(i for e in events for i in e["payload"]["projects"]) == sorted(report.ids)


def test_skip_invalid_imports_the_other_rows(app: App, rows: list[dict[str, str]], tmp_path: Path) -> None:
    path = write_csv(tmp_path / "projects.csv", rows, bad=BAD)

    report = importing.import_projects(app, path, skip_invalid=True)

    assert report.imported == ROWS - 3
    assert report.skipped_lines == BAD_LINES
    assert count(app, PROJECT) == ROWS - 3
    with app.store.read() as conn:
        names = set(conn.scalars(select(PROJECT.c.name)))
    assert {f"Projet coopératif n°{i}" for i in BAD} & names == set()


def test_importing_the_same_file_twice_refuses_every_row(
    app: App, orgs: dict[str, Any], tmp_path: Path
) -> None:
    path = write_csv(tmp_path / "p.csv", project_rows(4, fr_org="dla-paris", be_org="saw-b"))
    importing.import_projects(app, path)
    with pytest.raises(importing.ImportRefused) as refused:
        importing.import_projects(app, path)
    assert refused.value.lines == [2, 3, 4, 5]
    assert "exists already" in refused.value.problems[0].reason


def test_semicolons_a_byte_order_mark_and_french_headers(
    app: App, orgs: dict[str, Any], tmp_path: Path
) -> None:
    path = tmp_path / "projets.csv"
    path.write_text(
        "\ufeffNom;Organisation;Porteur;SIRET;Territoire;Phase;Forme juridique;Emplois permanents\n"
        'Régie de quartier;DLA Paris;awa@example.org;732 829 320 00074;fr-69;Founded;SCIC;"4"\n'
        '"Café ; associatif";1;;;;;;\n',
        encoding="utf-8",
    )
    report = importing.import_projects(app, path)
    with app.store.read() as conn:
        rows = conn.execute(select(PROJECT).order_by(PROJECT.c.id)).mappings().all()
    assert report.imported == 2
    assert [(r["name"], r["siret"], r["territory"], r["phase"], r["permanent_jobs"]) for r in rows] == [
        ("Régie de quartier", "73282932000074", "FR-69", "founded", 4),
        ("Café ; associatif", None, "FR-75", "idea", 0),
    ]


def test_every_problem_of_every_row_is_named_with_its_line_and_column(
    app: App, orgs: dict[str, Any], tmp_path: Path
) -> None:
    path = tmp_path / "p.csv"
    path.write_text(
        "name,org,owner,bce,phase,permanent_jobs\n"
        '"Multi\nline name",dla-paris,,,idea,1\n'  # lines 2-3
        ",nowhere,nobody,0123.456.789,dreaming,-1\n"  # line 4
        "Extra,dla-paris,,,idea,1,surplus\n",  # line 5
        encoding="utf-8",
    )
    with pytest.raises(importing.ImportRefused) as refused:
        importing.import_projects(app, path)
    assert {(p.line, p.column) for p in refused.value.problems} == {
        (4, "name"),
        (4, "org"),
        (4, "owner"),
        (4, "bce"),
        (4, "phase"),
        (4, "permanent_jobs"),
        (5, None),
    }


@pytest.mark.parametrize(
    ("header", "named"),
    [("name,owner", "org"), ("name,org,colour", "colour"), ("name,org,nom", "nom")],
)
def test_a_bad_header_refuses_the_file(app: App, tmp_path: Path, header: str, named: str) -> None:
    path = tmp_path / "p.csv"
    path.write_text(f"{header}\n", encoding="utf-8")
    with pytest.raises(importing.ImportRefused) as refused:
        importing.import_projects(app, path)
    assert [(p.line, p.column) for p in refused.value.problems] == [(1, named)]
    assert refused.value.hint is not None
    assert "docs/IMPORT.md" in refused.value.hint


def test_a_file_that_is_not_utf8_is_refused_with_its_line(app: App, tmp_path: Path) -> None:
    path = tmp_path / "p.csv"
    path.write_bytes("name,org\nok,1\nCaf\xe9,1\n".encode("latin-1"))
    with pytest.raises(InvalidInput, match="line 3 is not UTF-8"):
        importing.import_projects(app, path)


def test_people_import_with_roles_channels_and_unique_handles(
    app: App, orgs: dict[str, Any], tmp_path: Path
) -> None:
    path = tmp_path / "people.csv"
    path.write_text(
        "naam;organisatie;rol;e-mail;telefoon;taal;kanalen;onderwerpen\n"
        "Awa Diallo;saw-b;officer|manager;awa.d@example.be;+32 2 123 45 67;NL;"
        "mailto://awa.d@example.be|ntfy://ntfy.sh/awa;financement|gouvernance\n"
        "Jan Peeters;SAW-B;resource;;;;;\n",
        encoding="utf-8",
    )
    report = importing.import_people(app, path)
    with app.store.read() as conn:
        query = select(PERSON).where(PERSON.c.id.in_(report.ids)).order_by(PERSON.c.id)
        people = [dict(p) for p in conn.execute(query).mappings()]
        roles = conn.execute(
            select(MEMBER.c.person_id, MEMBER.c.organisation_id, MEMBER.c.role).where(
                MEMBER.c.person_id.in_(report.ids)
            )
        ).all()
        event = conn.execute(select(AUDIT).where(AUDIT.c.kind == "people_imported")).mappings().one()
    assert [(p["handle"], p["language"], p["channels"], p["topics"]) for p in people] == [
        (
            "awa-diallo-2",
            "nl",
            ["mailto://awa.d@example.be", "ntfy://ntfy.sh/awa"],
            ["financement", "gouvernance"],
        ),
        ("jan-peeters", None, [], []),
    ]
    assert sorted((r.person_id, r.role) for r in roles) == sorted(
        [(report.ids[0], "officer"), (report.ids[0], "manager"), (report.ids[1], "resource")]
    )
    assert {r.organisation_id for r in roles} == {orgs["be"]}
    assert event["payload"]["people"] == list(report.ids)
    assert "Awa" not in json.dumps(event["payload"])


def test_people_rows_are_checked(app: App, orgs: dict[str, Any], tmp_path: Path) -> None:
    path = tmp_path / "people.csv"
    path.write_text(
        "name,org,role,email,language,channels\n"
        "A,dla-paris,officer,a@example.org,fr,\n"
        "B,dla-paris,chief,a@example.org,de,awa@example.org\n"  # line 3
        "C,dla-paris,owner,awa@example.org,,\n",  # line 4: the email exists already
        encoding="utf-8",
    )
    with pytest.raises(importing.ImportRefused) as refused:
        importing.import_people(app, path)
    assert sorted((p.line, p.column) for p in refused.value.problems) == [
        (3, "channels"),
        (3, "email"),
        (3, "language"),
        (3, "role"),
        (4, "email"),
    ]
    assert count(app, PERSON) == 1


def test_a_role_of_separators_only_is_refused_not_a_person_without_a_role(
    app: App, orgs: dict[str, Any], tmp_path: Path
) -> None:
    """Found by the full fuzz run: "|" split into no role, and the empty batch of roles hit the database."""
    path = tmp_path / "people.csv"
    path.write_text("name,org,role,email\nA,dla-paris,|,a@example.org\nB,dla-paris, | ,b@example.org\n")
    before = count(app, PERSON)
    with pytest.raises(importing.ImportRefused) as refused:
        importing.import_people(app, path)
    assert sorted((p.line, p.column) for p in refused.value.problems) == [(2, "role"), (3, "role")]
    assert count(app, PERSON) == before


def _cli(app: App, monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.setenv("PATHWAYS_DATABASE_URL", app.store.engine.url.render_as_string(hide_password=False))
    monkeypatch.setenv("PATHWAYS_CONFIG_DIR", str(app.settings.config_dir.resolve()))
    return typer.main.get_command(importing_cli.app)


def test_cli_names_the_bad_lines_and_exits_2(
    app: App, rows: list[dict[str, str]], tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    path = write_csv(tmp_path / "projects.csv", rows[:3000], bad={1234: BAD[1234]})
    command = _cli(app, monkeypatch)
    with pytest.raises(PathwaysError) as refused:
        command.main(["projects", str(path)], standalone_mode=False)
    assert refused.value.exit_code == 2
    assert "1236" in capsys.readouterr().out
    assert count(app, PROJECT) == 0

    command.main(["projects", str(path), "--skip-invalid", "--json"], standalone_mode=False)
    printed = json.loads(capsys.readouterr().out)
    assert (printed["imported"], printed["skipped_lines"]) == (2999, [1236])
