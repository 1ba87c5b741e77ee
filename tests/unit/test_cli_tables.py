"""CLI tables never cut a date or a reference, however narrow the terminal (a pipe counts 80 columns)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[2] / "src"
SCRIPT = """
from datetime import datetime, UTC
from pathways.cli.output import table
rows = [
    {"ref": "SUPP-2026-0017", "project": "Les Petites Tables de Nancy, atelier de réemploi du quartier",
     "stage": "consulting_mission", "due_at": datetime(2026, 4, 17, 21, 59, tzinfo=UTC),
     "officer": "Hugo Muller"},
    {"ref": "DIAG-2026-0002", "project": "Épicerie solidaire", "stage": "intake",
     "due_at": datetime(2026, 4, 12, 21, 59, tzinfo=UTC), "officer": "Yanis Belkacem"},
]
table(rows, ["ref", "project", "stage", "due_at", "officer"], title="Due")
"""


@pytest.mark.parametrize("columns", ["40", "80", "200"])
def test_dates_and_refs_are_whole_at_any_width(columns: str) -> None:
    env = os.environ | {"COLUMNS": columns, "NO_COLOR": "1", "PYTHONPATH": str(SRC)}
    out = subprocess.run(
        [sys.executable, "-c", SCRIPT], env=env, capture_output=True, text=True, check=True
    ).stdout
    for whole in (
        "SUPP-2026-0017",
        "DIAG-2026-0002",
        "2026-04-17 23:59",
        "2026-04-12 23:59",
        "consulting_mission",
    ):
        assert whole in out, out
    assert "…" not in out


def test_a_command_run_after_another_prints_at_its_own_width(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Two commands in one process (a test runner, a shell embedding the CLI): the second is not
    cut to the width the first one had (CI failed this way: a project name folded at 80 columns)."""
    from pathways.cli.output import table

    rows = [{"ref": "SUPP-2026-0001", "project": "Ressourcerie Belleville du Canal Saint-Martin"}]
    monkeypatch.setenv("COLUMNS", "40")
    table(rows, ["ref", "project"])
    narrow = capsys.readouterr().out
    assert "Ressourcerie Belleville du Canal Saint-Martin" not in narrow  # folded at 40 columns
    monkeypatch.setenv("COLUMNS", "250")
    table(rows, ["ref", "project"])
    assert "Ressourcerie Belleville du Canal Saint-Martin" in capsys.readouterr().out
