"""`pathway validate`'s checks: the file name first, follow-on errors folded, installed targets, warnings."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from pathways.domain.loader import load_pathway_file
from pathways.domain.validation import check_files, spec_warnings
from pathways.errors import DefinitionError

ROOT = Path(__file__).resolve().parents[2]
FABRIQUE = textwrap.dedent("""\
    id: fabrique
    version: 1
    title: {fr: Fabrique, nl: Fabriek, en: Fabrique}
    reference: FAB
    ends:
      done: {fr: Fait, nl: Klaar, en: Done}
    stages:
      - id: detect
        title: {fr: Détection, nl: Detectie, en: Detection}
        deadline: {weeks: 6}
        remind:
          - {before: {weeks: 2}, to: officer}
        outcomes:
          go: {label: {fr: Go, nl: Go, en: Go}, next: study}
      - id: study
        title: {fr: Étude, nl: Studie, en: Study}
        outcomes:
          found: {label: {fr: Trouvé, nl: Gevonden, en: Found}, next: creation}
      - id: creation
        title: {fr: Création, nl: Oprichting, en: Creation}
        outcomes:
          created: {label: {fr: Créé, nl: Opgericht, en: Created}, end: done, start: ongoing_support}
    """)


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_a_file_name_that_differs_from_the_id_is_said_first(tmp_path: Path) -> None:
    broken = FABRIQUE.replace("next: study", "next: stduy").replace("reference: FAB", "reference: fab")
    path = write(tmp_path / "fab.yaml", broken)
    with pytest.raises(DefinitionError) as caught:
        load_pathway_file(path)
    message = str(caught.value).splitlines()
    assert caught.value.line == 1
    assert "the id `fabrique` differs from the file name fab.yaml" in message[0]
    assert any("reference" in line for line in message[1:])


def test_a_stage_typo_gives_one_error_and_folds_what_follows_from_it(tmp_path: Path) -> None:
    path = write(tmp_path / "fabrique.yaml", FABRIQUE.replace("next: study", "next: stduy"))
    with pytest.raises(DefinitionError) as caught:
        load_pathway_file(path)
    lines = str(caught.value).splitlines()
    assert "unknown stage `stduy` (did you mean `study`?" in lines[0]
    assert len(lines) == 2, lines
    assert lines[1].startswith(f"{path}: then, because of the above: ")
    for follow_on in ("dead end: no end can be reached from stage `detect`", "stage `study` is unreachable"):
        assert follow_on in lines[1]
    assert "stage `creation` is unreachable" in lines[1]


def test_a_hand_off_to_an_installed_pathway_is_resolved(tmp_path: Path) -> None:
    path = write(tmp_path / "fabrique.yaml", FABRIQUE)
    (alone,) = check_files([path], templates=None)
    assert alone.error is not None
    assert "unknown pathway `ongoing_support`" in str(alone.error)
    (installed,) = check_files([path], templates=None, installed=["diagnosis", "ongoing_support"])
    assert installed.error is None
    assert installed.spec is not None
    assert installed.spec.id == "fabrique"


def test_constructs_that_cannot_take_effect_are_warned_about(tmp_path: Path) -> None:
    same_stage = FABRIQUE.replace(
        "deadline: {weeks: 6}",
        "deadline: {until: study_on, default: {weeks: 6}}\n"
        "    fields:\n"
        "      study_on: {type: date, label: {fr: Date, nl: Datum, en: Date}}",
    ).replace("before: {weeks: 2}", "before: {weeks: 1}")
    path = write(tmp_path / "fabrique.yaml", same_stage)
    (checked,) = check_files([path], templates=None, installed=["ongoing_support"])
    assert checked.error is None
    (warning,) = checked.warnings
    assert warning.startswith(f"{path}:10: stages[0].deadline.until:")
    assert "stage `detect` itself collects" in warning
    assert "its `default` (6 weeks) always applies" in warning


def test_a_reminder_before_the_whole_deadline_is_sent_on_entry(tmp_path: Path) -> None:
    path = write(tmp_path / "fabrique.yaml", FABRIQUE.replace("before: {weeks: 2}", "before: {weeks: 6}"))
    (checked,) = check_files([path], templates=None, installed=["ongoing_support"])
    (warning,) = checked.warnings
    assert "stages[0].remind[0].before" in warning
    assert "sent as soon as the stage is entered" in warning


def test_the_shipped_pathways_have_no_warning() -> None:
    from pathways.domain.loader import load_pathway_dir

    for spec in load_pathway_dir(ROOT / "config" / "pathways"):
        assert spec_warnings(spec) == [], spec.key


def test_strict_turns_warnings_into_a_refusal(tmp_path: Path) -> None:
    path = write(tmp_path / "fabrique.yaml", FABRIQUE.replace("before: {weeks: 2}", "before: {weeks: 6}"))
    env = os.environ | {
        "PYTHONPATH": str(ROOT / "src"),
        "PATHWAYS_CONFIG_DIR": str(ROOT / "config"),
        "NO_COLOR": "1",
    }

    def validate(*flags: str) -> subprocess.CompletedProcess[str]:
        argv = [sys.executable, "-m", "pathways", "pathway", "validate", *flags, str(path)]
        return subprocess.run(argv, env=env, capture_output=True, text=True, check=False, cwd=tmp_path)

    lenient = validate()
    assert lenient.returncode == 0, lenient.stderr
    assert "1 warning(s)" in lenient.stdout
    assert "warning:" in lenient.stderr
    strict = validate("--strict")
    assert strict.returncode == 2
    assert "refused (--strict: warnings count)" in strict.stderr
    assert "Traceback" not in strict.stderr
