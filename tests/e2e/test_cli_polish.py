"""The command line as a newcomer meets it: repeated `--set`, lists one item a line, words in --lang."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from cli_home import Home

pytestmark = pytest.mark.e2e

INTAKE = ["--set", "met_on=2026-11-02", "--set", "legal_form=association", "--set", "request=Plan"]


@pytest.fixture
def home(tmp_path: Path) -> Home:
    home = Home(tmp_path / "home")
    home.folder.mkdir()
    home.ok("init")
    home.ok("org", "add", "DLA Test", "--territory", "FR-75")
    home.ok("person", "add", "Marie Dupuis", "--org", "dla-test", "--role", "officer")
    home.ok("person", "add", "Ines Diallo", "--org", "dla-test", "--role", "owner")
    home.ok(
        "project",
        "add",
        "Atelier",
        "--org",
        "dla-test",
        "--owner",
        "ines-diallo",
        "--siret",
        "73282932000074",
    )
    return home


def _values(home: Home, ref: str, stage: str) -> dict[str, object]:
    (decided,) = [e for e in home.history(ref) if e["kind"] == "decision" and e["details"]["stage"] == stage]
    values: dict[str, object] = decided["details"]["values"]
    return values


def test_repeated_set_adds_items_to_a_list_and_is_refused_for_one_value(home: Home) -> None:
    now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M")
    ref = home.open("1", "diagnosis", "marie-dupuis", now=now)
    twice = home.run(
        "case", "decide", ref, "relevant", *INTAKE, "--set", "salaried_jobs=4", "--set", "salaried_jobs=5"
    )
    assert twice.code == 2
    assert "salaried_jobs" in twice.err
    assert "given 2 times" in twice.err
    assert home.show(ref)["stage"] == "intake"  # nothing recorded
    home.ok("case", "decide", ref, "relevant", *INTAKE, "--set", "salaried_jobs=4")

    dates = ["--set", "interviews=2026-11-03", "--set", "interviews=2026-11-10"]
    accepted = ["--set", "validated_on=2026-11-12", "--set", "priority_issues=Gouvernance"]
    home.ok("case", "decide", ref, "accepted", *dates, *accepted)
    assert _values(home, ref, "shared_diagnosis")["interviews"] == ["2026-11-03", "2026-11-10"]


def test_a_list_typed_one_item_a_line_has_one_item_a_line(home: Home) -> None:
    now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M")
    ref = home.open("1", "diagnosis", "marie-dupuis", now=now)
    home.ok("case", "decide", ref, "relevant", *INTAKE, "--set", "salaried_jobs=4")
    lines = "interviews=2026-11-03\n2026-11-10\n\n2026-11-17\n"
    home.ok(
        "case",
        "decide",
        ref,
        "accepted",
        "--set",
        lines,
        "--set",
        "validated_on=2026-11-20",
        "--set",
        "priority_issues=x",
    )
    assert _values(home, ref, "shared_diagnosis")["interviews"] == ["2026-11-03", "2026-11-10", "2026-11-17"]


@pytest.mark.parametrize(
    ("lang", "words"),
    [
        ("fr", ("Accueil et orientation — chargé·e de mission, 15 jours ouvrés", "jusqu'à la date « ")),
        ("nl", ("Onthaal — begeleider, 15 werkdagen", "tot de datum ‘")),
        ("en", ("Intake — support officer, 15 business days", "until the date '")),
    ],
)
def test_pathway_show_speaks_the_language_asked(home: Home, lang: str, words: tuple[str, str]) -> None:
    shown = home.ok("pathway", "show", "diagnosis", "--lang", lang).out
    for expected in words:
        assert expected in shown, shown
    assert "— officer," not in shown
    assert "business_days" not in shown


def test_case_history_speaks_the_language_asked(home: Home) -> None:
    now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M")
    ref = home.open("1", "diagnosis", "marie-dupuis", now=now)
    home.ok("case", "decide", ref, "relevant", *INTAKE, "--set", "salaried_jobs=4")
    french = home.ok("case", "history", ref, "--lang", "fr").out
    flat = " ".join(french.replace("│", " ").split())
    assert "Dossier ouvert en « Diagnostic partagé »" in flat
    assert "a enregistré « Demande pertinente" in flat
    assert "Étape « Accueil et orientation » commencée" in flat
    assert " hours" not in flat
    dutch = " ".join(home.ok("case", "history", ref, "--lang", "nl").out.replace("│", " ").split())
    assert "Relevante aanvraag" in dutch
    wrong = home.run("case", "history", ref, "--lang", "de")
    assert wrong.code == 2
    assert "--lang de" in wrong.err
