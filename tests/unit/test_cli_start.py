"""The `pathways` command starts quickly: listing commands and their options imports no heavy library.

Typer builds every command's options from its signature, so the command modules are imported
for any `pathways ...`; their services, the database layer, Prefect and the web stack are
imported inside the commands that use them. A subprocess shows what a fresh start loads.
"""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

import pytest
import typer
from typer.core import TyperCommand, TyperGroup
from typer.testing import CliRunner

from pathways import cli
from pathways.cli import report
from pathways.cli.groups import LazyCommands
from pathways.services.reporting import reports

# Libraries `pathways --help` must not load (each costs tens to hundreds of milliseconds).
HEAVY = (
    "click",  # Typer carries its own copy
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


def test_a_group_of_commands_is_built_when_looked_up_and_not_before() -> None:
    built: list[str] = []

    def build(name: str) -> str:
        built.append(name)
        return name.upper()

    commands = LazyCommands({"serve": "SERVE"}, ["case", "report"], build)

    assert list(commands) == ["serve", "case", "report"]
    assert "case" in commands
    assert "nothing" not in commands
    assert built == []
    assert commands.get("case") == commands["case"] == "CASE"
    assert built == ["case"]  # once, and only that group
    assert list(commands) == ["serve", "case", "report"]  # still in the order given


def _whole_tree() -> typer.Typer:
    """The root as Typer builds it whole: its options, its commands, then its groups."""
    root = typer.Typer(
        name="pathways",
        help=cli.app.info.help,
        no_args_is_help=True,
        pretty_exceptions_enable=False,
        rich_markup_mode=None,
    )
    root.callback()(cli.main_options)
    for info in cli.app.registered_commands:
        assert info.callback is not None
        root.command(info.name)(info.callback)
    for name, group in cli.GROUPS.items():
        root.add_typer(group, name=name)
    return root


def _helps(root: object) -> dict[tuple[str, ...], str]:
    """The help of every group and command under `root` (a Click command), by path."""
    found: dict[tuple[str, ...], str] = {}

    def walk(command: object, ctx: Any, path: tuple[str, ...]) -> None:  # ctx: Typer's copy of Click's
        assert isinstance(command, TyperGroup | TyperCommand)
        found[path] = command.get_help(ctx)
        if isinstance(command, TyperGroup):
            for name in command.list_commands(ctx):
                sub = command.get_command(ctx, name)
                assert sub is not None
                walk(sub, sub.make_context(name, [], parent=ctx, resilient_parsing=True), (*path, name))

    assert isinstance(root, TyperGroup)
    walk(root, root.make_context("pathways", [], resilient_parsing=True), ())
    return found


def test_every_help_and_usage_error_is_the_whole_trees() -> None:
    """`pathways --help` lists every group with its help; every group's and command's help, and a
    typo's "did you mean", are what the whole tree built at once gives."""
    whole = _whole_tree()
    expected = _helps(typer.main.get_command(whole))
    assert len(expected) > 80
    assert _helps(typer.main.get_command(cli.app)) == expected
    runner = CliRunner()
    for args in (["--help"], ["cas"], ["case", "shw"], ["case"]):
        was = runner.invoke(whole, args, prog_name="pathways", env={"COLUMNS": "100"})
        shown = runner.invoke(cli.app, args, prog_name="pathways", env={"COLUMNS": "100"})
        assert (shown.output, shown.exit_code) == (was.output, was.exit_code), args
    listed = runner.invoke(cli.app, ["--help"], prog_name="pathways", env={"COLUMNS": "100"}).output
    assert all(f"  {name} " in listed for name in cli.GROUPS)
    assert "Did you mean 'case'?" in runner.invoke(cli.app, ["cas"], prog_name="pathways").output


def test_shell_completion_completes_groups_and_their_commands() -> None:
    runner = CliRunner()

    def complete(words: str) -> list[str]:
        env = {
            "_PATHWAYS_COMPLETE": "complete_bash",
            "COMP_WORDS": words,
            "COMP_CWORD": str(words.count(" ")),
        }
        return runner.invoke(cli.app, [], prog_name="pathways", env=env).output.split()

    assert complete("pathways ca") == ["case"]
    assert complete("pathways re") == ["resource", "report"]
    assert complete("pathways case s") == ["show", "share"]
    assert complete("pathways case member ") == ["add", "remove", "list"]
