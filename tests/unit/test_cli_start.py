"""The `pathways` command starts quickly: listing commands and their options imports no heavy library.

Typer builds every command's options from its signature, so the command modules are imported
for any `pathways ...`; their services, the database layer, Prefect and the web stack are
imported inside the commands that use them. A subprocess shows what a fresh start loads.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from pathways.cli import report
from pathways.services.reporting import reports

# Libraries `pathways --help` must not load (each costs tens to hundreds of milliseconds).
HEAVY = (
    "sqlalchemy",
    "sqlmodel",
    "prefect",
    "fastapi",
    "uvicorn",
    "apprise",
    "jinja2",
    "rich",
    "pathways.domain",
    "pathways.services",
    "pathways.demo",
    "pathways.drawing",
)

# Runs `pathways ARGS` in a fresh interpreter for each ARGS, then prints the heavy modules loaded.
PROBE = """
import json, sys
from pathways.cli import main
commands, heavy = json.loads(sys.argv[1]), json.loads(sys.argv[2])
for args in commands:
    sys.argv = ["pathways", *args]
    try:
        main()
    except SystemExit:
        pass
print(json.dumps(sorted({m for m in sys.modules if any(m == h or m.startswith(h + ".") for h in heavy)})))
"""


def _loaded_by(*commands: list[str]) -> list[str]:
    done = subprocess.run(
        [sys.executable, "-c", PROBE, json.dumps(commands), json.dumps(HEAVY)],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    loaded: list[str] = json.loads(done.stdout.strip().splitlines()[-1])
    return loaded


def test_help_imports_no_database_prefect_web_or_delivery_library() -> None:
    assert _loaded_by(["--help"]) == []


@pytest.mark.parametrize(
    "group", ["case", "pathway", "org", "person", "project", "report", "audit", "import", "messages"]
)
def test_a_command_groups_help_imports_no_heavy_library(group: str) -> None:
    assert _loaded_by([group, "--help"]) == []


def test_a_commands_help_builds_its_options_without_heavy_imports() -> None:
    assert _loaded_by(["case", "show", "--help"], ["report", "funnel", "--help"], ["serve", "--help"]) == []


def test_the_report_commands_are_the_services_reports() -> None:
    """The CLI lists its report commands from its own table (no service imported to list them)."""
    assert set(report.HELP) == set(reports.REPORTS) == set(report.SHOWN)
