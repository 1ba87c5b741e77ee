"""`pathways ARGS...` in this process, through the console entry point, on a test's database.

The real ``pathways.cli.main`` runs (its mapping of errors to exit codes and messages
included) under click's ``CliRunner``, with an environment pointing at the ``app``
fixture's database, so a test runs on SQLite and on PostgreSQL alike.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from pathways.bootstrap import App
from pathways.cli import main

CONFIG = Path(__file__).resolve().parents[2] / "config"


@click.command(
    context_settings={"ignore_unknown_options": True, "allow_extra_args": True, "help_option_names": []}
)
@click.argument("args", nargs=-1, type=click.UNPROCESSED)
def _entry(args: tuple[str, ...]) -> None:
    sys.argv = ["pathways", *args]
    main()


@dataclass(frozen=True)
class Ran:
    """What one command did: exit code, standard output, both streams."""

    code: int
    out: str
    output: str
    crash: BaseException | None  # an exception main() let out (a traceback for the user)


def environment(app: App, home: Path, **extra: str) -> dict[str, str]:
    """The environment of a `pathways` process on `app`'s database and audit key."""
    return {
        "PATHWAYS_DATABASE_URL": app.store.engine.url.render_as_string(hide_password=False),
        "PATHWAYS_AUDIT_KEY": app.audit_key.decode(),
        "PATHWAYS_CONFIG_DIR": str(CONFIG),
        "PATHWAYS_ENVIRONMENT": "test",
        "PATHWAYS_EXECUTOR": "inline",
        "PATHWAYS_HOME": str(home),
        "PATHWAYS_SIMULATION": "false",
        "COLUMNS": "250",
        "NO_COLOR": "1",
        **extra,
    }


def run(env: dict[str, str], *args: str) -> Ran:
    """Run `pathways ARGS...` to its end."""
    result = CliRunner().invoke(_entry, list(args), env=env)
    crash = None if isinstance(result.exception, SystemExit | None) else result.exception
    return Ran(result.exit_code, result.stdout, result.output, crash)


def run_cli(
    app: App, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], *args: str
) -> tuple[int, str]:
    """`pathways ARGS...` through `main()` itself, with pytest's fixtures: (exit code, what it printed)."""
    monkeypatch.setenv("PATHWAYS_DATABASE_URL", app.store.engine.url.render_as_string(hide_password=False))
    monkeypatch.setenv("PATHWAYS_CONFIG_DIR", str(app.settings.config_dir.resolve()))
    monkeypatch.setenv("PATHWAYS_ENVIRONMENT", "test")
    monkeypatch.setenv("PATHWAYS_EXECUTOR", "inline")
    monkeypatch.setattr(sys, "argv", ["pathways", *args])
    capsys.readouterr()
    try:
        main()
        code = 0
    except SystemExit as exited:
        code = int(exited.code or 0)
    printed = capsys.readouterr()
    return code, printed.out + printed.err
