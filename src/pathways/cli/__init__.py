"""The `pathways` command: thin — parse, call a service, print (rich, or --json).

Every `pathways ...` imports every command module (the root lists every group). So those
modules import only Typer and the standard library at the top; services, the store, Prefect,
the web stack and rich are imported inside the commands that use them (``pathways --help``
starts in about a tenth of a second, not a second). ``tests/unit/test_cli_start.py`` fails if
a heavy import creeps back to the top. Typer builds a command's options from its signature:
only the group a command is in is built (:mod:`pathways.cli.groups`), not all ~80 commands.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Annotated, Final, NoReturn

import typer

from pathways.cli import (
    audit,
    cases,
    casework,
    closing,
    cohorts,
    collective,
    cooperation,
    directory,
    directory_update,
    documents,
    export,
    impact,
    importing,
    mailbox,
    messages,
    migrate,
    orchestration,
    org_holidays,
    ownerlink,
    pathway,
    privacy,
    report,
    report_funder,
    resources,
    system,
    web,
)
from pathways.cli.groups import LazyGroups
from pathways.cli.output import errors, styled
from pathways.errors import PathwaysError

if TYPE_CHECKING:
    from pydantic import ValidationError

# Mounted on their groups here: the commands a group holds whose code lives in another module.
directory.org_app.command("update")(org_holidays.update)
directory.org_app.command("holidays")(org_holidays.show)
directory.org_app.command("options")(org_holidays.options)
directory.project_app.command("update")(directory_update.project_update)
directory.person_app.command("update")(directory_update.person_update)
cases.app.command("documents")(documents.documents)
cases.app.command("note")(casework.note)
cases.app.command("attach")(casework.attach)
cases.app.command("assign")(casework.assign)
cases.app.command("close")(closing.close)
cases.app.command("owner-link")(ownerlink.owner_link)
cases.app.add_typer(cooperation.member_app, name="member")
cases.app.add_typer(cooperation.share_app, name="share")
report.app.command("funder")(report_funder.funder)
pathway.app.command("migrate")(migrate.migrate)
directory.person_app.command("export")(privacy.export)
directory.person_app.command("erase")(privacy.erase)


# The root's groups of sub-commands, in the order `pathways --help` lists them (after its commands).
GROUPS: Final[Mapping[str, typer.Typer]] = {
    "pathway": pathway.app,
    "org": directory.org_app,
    "person": directory.person_app,
    "project": directory.project_app,
    "case": cases.app,
    "collective": collective.app,
    "resource": resources.app,
    "impact": impact.app,
    "user": web.user_app,
    "token": web.token_app,
    "audit": audit.app,
    "report": report.app,
    "cohort": cohorts.app,
    "import": importing.app,
    "messages": messages.messages_app,
    "template": messages.template_app,
}


class _Root(LazyGroups):
    """The root command: a command builds only its own group (:mod:`pathways.cli.groups`)."""

    groups = GROUPS


app = typer.Typer(
    name="pathways",
    cls=_Root,
    help="Support pathways for social and solidarity economy projects: cases, stages, deadlines.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)
app.command("serve")(web.serve)
app.command("export")(export.export)
app.command("sweep")(messages.sweep)
app.command("dispatch")(messages.dispatch)
app.command("mailbox")(mailbox.mailbox)
app.command("worker")(orchestration.worker)
app.command("serve-flows")(orchestration.serve_flows)
app.command("status")(orchestration.status)
app.command("due")(cases.due)
app.command("init")(system.init)
app.command("run")(system.run)


NOW_YEARS = (1970, 2200)  # the range --now accepts
LARGEST = 2**31 - 1  # the largest whole number an INTEGER column holds (PostgreSQL; SQLite's is larger)


def _parse_now(value: str | None) -> datetime | None:
    if value is None:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter(
            f"{value!r} is not an ISO-8601 date or time (e.g. 2026-07-08T10:00)"
        ) from None
    # A bare date or local time is read in the organisation's usual zone.
    from zoneinfo import ZoneInfo

    # Deadlines are computed from it: keep it where date arithmetic cannot overflow.
    if not NOW_YEARS[0] <= parsed.year <= NOW_YEARS[1]:
        raise typer.BadParameter(
            f"{value!r} is out of range: give a time between {NOW_YEARS[0]} and {NOW_YEARS[1]}"
        )
    return (parsed if parsed.tzinfo else parsed.replace(tzinfo=ZoneInfo("Europe/Paris"))).astimezone(UTC)


@app.callback()
def main_options(
    ctx: typer.Context,
    now: Annotated[
        str | None,
        typer.Option(
            "--now",
            help="Effective time of this command (ISO-8601), e.g. to record a past meeting; "
            "a write may be at most 24 h ahead (unless PATHWAYS_SIMULATION=true).",
        ),
    ] = None,
) -> None:
    """Global options."""
    ctx.obj = {"now": _parse_now(now)}


# What to do about a database error, by what its message says (SQLite's and PostgreSQL's wordings).
_DATABASE_HINTS = (
    (
        ("disk is full", "disk i/o error", "no space left", "file too large"),
        "the disk holding the database is full or failing: free space, then run the command again",
    ),
    (
        ("database is locked", "could not obtain lock", "deadlock"),
        "another process holds the database: run the command again in a moment",
    ),
    (
        ("connection refused", "could not connect", "unable to open database file", "server closed"),
        "check PATHWAYS_DATABASE_URL and that the database (server) is reachable",
    ),
)


def _database_hint(reason: str) -> str:
    lowered = reason.lower()
    for needles, hint in _DATABASE_HINTS:
        if any(needle in lowered for needle in needles):
            return hint
    return "run `pathways init` to create or upgrade the database"


def _invalid(exc: ValidationError) -> str:
    """One line per problem, naming the environment variable; never the values (a secret key)."""
    what = "invalid settings" if exc.title == "Settings" else f"invalid {exc.title}"
    problems = []
    for error in exc.errors(include_url=False, include_input=False, include_context=False):
        name = "_".join(str(part) for part in error["loc"]).upper()
        message = str(error["msg"]).removeprefix("Value error, ")
        prefix = "PATHWAYS_" if exc.title == "Settings" else ""
        problems.append(f"{prefix}{name}: {message}" if name else message)
    return f"{what}: " + "; ".join(problems)


def main() -> None:
    """Console entry point: run the command, turn user mistakes into clear messages and exit codes."""
    command = typer.main.get_command(app)
    try:
        # Not standalone: click returns (not raises) the code of a `typer.Exit(n)`, e.g. `status`'s 1.
        code = command.main(prog_name="pathways", standalone_mode=False)
    except PathwaysError as exc:
        message, hint = _in_language(exc)
        errors.print(styled(("error: ", "bold red"), message))
        if hint:
            errors.print(styled(("hint: ", "yellow"), hint))
        sys.exit(exc.exit_code)
    except typer.Abort:
        errors.print("aborted")
        sys.exit(130)
    except typer.TyperException as exc:
        # Typer >= 0.29 carries its own copy of click: its usage errors are not click's.
        show = getattr(exc, "show", None)
        if callable(show):
            show()
        else:
            errors.print(styled(("error: ", "bold red"), str(exc)))
        sys.exit(int(getattr(exc, "exit_code", 2)))
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except Exception as exc:
        _click_error(exc)
        _library_error(exc)
        raise
    if isinstance(code, int) and not isinstance(code, bool) and code != 0:
        sys.exit(code)


def _in_language(exc: PathwaysError) -> tuple[str, str | None]:
    """The error's message and hint in ``PATHWAYS_LANG`` (fr, nl) where they can be said in it:
    each refused field, a case changed meanwhile, an error with a code (what was not found or is
    refused, and what to do: the web pages' catalogues); else, and by default, in English."""
    lang = os.environ.get("PATHWAYS_LANG", "").strip().lower()
    if lang not in {"fr", "nl"}:
        return exc.message, exc.hint
    from pathways.web.problems import hint_in, said_in  # the catalogues are loaded only for an error

    return said_in(exc, lang), hint_in(exc, lang)


def _fail(message: str, hint: str | None, code: int) -> NoReturn:
    errors.print(styled(("error: ", "bold red"), message))
    if hint:
        errors.print(styled(("hint: ", "yellow"), hint))
    sys.exit(code)


def _click_error(exc: Exception) -> None:
    """Exit as an error of Click's asks (aborted, a usage error, an exit code); return for anything else.

    Typer carries its own copy of Click, so only a library calling Click itself raises one: Click
    is looked for only when ``sys.modules`` has it (as pydantic and SQLAlchemy are, below), and a
    start need not import it.
    """
    if "click" not in sys.modules:
        return
    import click

    if isinstance(exc, click.exceptions.Abort):
        errors.print("aborted")
        sys.exit(130)
    if isinstance(exc, click.ClickException):
        exc.show()
        sys.exit(exc.exit_code)
    if isinstance(exc, click.exceptions.Exit):
        sys.exit(exc.exit_code)


def _library_error(exc: Exception) -> None:
    """Exit with one line (and a hint) for a settings or database error; return for anything else.

    pydantic and SQLAlchemy are imported by the commands that use them, not up front (so that
    `pathways --help` starts quickly): an error of theirs can only come from a module already
    loaded, so each is looked for only when ``sys.modules`` has it.
    """
    if "pydantic" in sys.modules:
        from pydantic import ValidationError

        if isinstance(exc, ValidationError):
            _fail(_invalid(exc), None, 2)
    data_error: type[Exception] | None = None
    if "sqlalchemy" in sys.modules:
        from sqlalchemy.exc import DataError, OperationalError, ProgrammingError

        data_error = DataError
        if isinstance(exc, (OperationalError, ProgrammingError)):
            reason = str(exc.orig).splitlines()[0] if str(exc.orig) else type(exc.orig).__name__
            _fail(f"database: {reason}", _database_hint(reason), 1)
    if isinstance(exc, OverflowError) or (data_error is not None and isinstance(exc, data_error)):
        # A number no column holds (`--limit 99999999999999999999`): SQLite's driver raises
        # OverflowError, PostgreSQL DataError. Nothing was written: the transaction rolled back.
        orig = getattr(exc, "orig", None) or exc
        reason = str(orig).splitlines()[0] if str(orig) else type(orig).__name__
        _fail(f"the database refused a value: {reason}", f"ids, counts and limits go up to {LARGEST:,}", 2)
