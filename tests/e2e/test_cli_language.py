"""The command line's errors in ``PATHWAYS_LANG``: refused fields in French or Dutch, English by default."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
from cli_home import ROOT, Home

pytestmark = pytest.mark.e2e


@pytest.fixture
def home(tmp_path: Path) -> Home:
    home = Home(tmp_path / "home")
    home.folder.mkdir()
    home.ok("init")
    home.ok("org", "add", "DLA Test", "--territory", "FR-75")
    home.ok("person", "add", "Marie Dupuis", "--org", "dla-test", "--role", "officer")
    home.ok("project", "add", "Atelier", "--org", "dla-test", "--siret", "73282932000074")
    return home


def _decide(home: Home, ref: str, lang: str | None) -> subprocess.CompletedProcess[str]:
    env = home.env() | ({"PATHWAYS_LANG": lang} if lang else {})
    return subprocess.run(
        [sys.executable, "-m", "pathways", "case", "decide", ref, "relevant", "--set", "met_on=2026-13-40"],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=120,
        check=False,
    )


def test_refused_fields_are_said_in_pathways_lang(home: Home) -> None:
    ref = home.open("1", "diagnosis", "marie-dupuis", now=datetime.now(UTC).strftime("%Y-%m-%dT%H:%M"))
    english, french, dutch = (_decide(home, ref, lang) for lang in (None, "fr", "nl"))
    assert english.returncode == french.returncode == dutch.returncode == 2
    assert "legal_form" in english.stderr
    for said in (french.stderr, dutch.stderr):
        assert "legal_form:" in said  # each field named, as in English
        assert "met_on:" in said
        assert "Traceback" not in said
    assert french.stderr != english.stderr
    assert dutch.stderr != english.stderr
    assert "Saisissez" in french.stderr or "obligatoire" in french.stderr, french.stderr
    assert home.show(ref)["stage"] == "intake"  # nothing recorded


def _show(home: Home, ref: str, lang: str | None) -> subprocess.CompletedProcess[str]:
    env = home.env() | ({"PATHWAYS_LANG": lang} if lang else {})
    return subprocess.run(
        [sys.executable, "-m", "pathways", "case", "show", ref],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=120,
        check=False,
    )


def test_a_case_not_found_is_said_in_pathways_lang_naming_it_and_what_to_do(home: Home) -> None:
    english, french, dutch = (_show(home, "NOPE-2026-0001", lang) for lang in (None, "fr", "nl"))
    assert english.returncode == french.returncode == dutch.returncode == 3
    assert english.stderr.splitlines() == [
        "error: no case 'NOPE-2026-0001'",
        "hint: case references look like DIAG-2026-0001; see `pathways due`",
    ]
    assert french.stderr.splitlines() == [
        "error: Il n'y a pas de dossier « NOPE-2026-0001 ».",
        (
            "hint: Une référence de dossier a la forme DIAG-2026-0001 ; "
            "`pathways due` liste les dossiers à traiter."
        ),
    ]
    assert dutch.stderr.splitlines()[0] == "error: Er is geen dossier ‘NOPE-2026-0001’."
    assert "`pathways due`" in dutch.stderr.splitlines()[1]
    assert "Traceback" not in french.stderr + dutch.stderr
