"""`pathways import projects|people FILE.csv`: every row checked first, bad lines named, all or nothing."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from pathways.cli.context import Json, app_of
from pathways.cli.output import console, emit_json, errors, table
from pathways.errors import InvalidInput

if TYPE_CHECKING:
    from rich.progress import TaskID

    from pathways.bootstrap import App
    from pathways.services.exchange import importing

app = typer.Typer(
    help="Import projects and people from CSV files (columns: docs/IMPORT.md).", no_args_is_help=True
)

LONG_RUN = 1000  # rows: below this an import is over before a bar would be read
_PHASES = {"check": "checking rows", "import": "importing"}

File = Annotated[
    Path, typer.Argument(metavar="FILE.csv", help="UTF-8 CSV, ';' or ',' separated, with a header.")
]
SkipInvalid = Annotated[
    bool, typer.Option("--skip-invalid", help="Import the valid rows and report the others (default: none).")
]
_Importer = Callable[..., "importing.ImportReport"]


@app.command("projects")
def projects(ctx: typer.Context, file: File, skip_invalid: SkipInvalid = False, json: Json = False) -> None:
    """Import projects; exit 2 naming every bad line when any row is invalid (nothing imported)."""
    from pathways.services.exchange import importing

    _run(app_of(ctx), importing.import_projects, file, skip_invalid=skip_invalid, json=json)


@app.command("people")
def people(ctx: typer.Context, file: File, skip_invalid: SkipInvalid = False, json: Json = False) -> None:
    """Import people and their roles; exit 2 naming every bad line when any row is invalid."""
    from pathways.services.exchange import importing

    _run(app_of(ctx), importing.import_people, file, skip_invalid=skip_invalid, json=json)


def _run(app_: App, importer: _Importer, file: Path, *, skip_invalid: bool, json: bool) -> None:
    from pathways.services.exchange import importing

    try:
        with _bar(enabled=not json) as progress:
            report = importer(app_, file, skip_invalid=skip_invalid, progress=progress)
    except importing.ImportRefused as refused:
        if json:
            emit_json({"imported": 0, "refused": True, "problems": _problems(refused.problems)})
        else:
            _print_problems(refused.problems, title="Refused rows")
        first_line = refused.message.split("\n", 1)[0].rstrip(":")
        raise InvalidInput(first_line, hint=refused.hint) from None
    if json:
        emit_json(
            {
                "what": report.what,
                "rows": report.rows,
                "imported": report.imported,
                "ids": list(report.ids),
                "by_organisation": dict(report.by_organisation),
                "skipped_lines": report.skipped_lines,
                "skipped": _problems(report.skipped),
            }
        )
        return
    lines = report.skipped_lines
    skipped = f"; {len(lines)} invalid row(s) skipped" if lines else ""
    console.print(f"imported {report.imported} of {report.rows} {report.what} rows{skipped}")
    if report.skipped:
        _print_problems(report.skipped, title="Skipped rows")


def _problems(problems: Sequence[importing.RowProblem]) -> list[dict[str, object]]:
    return [{"line": p.line, "column": p.column, "reason": p.reason} for p in problems]


def _print_problems(problems: Sequence[importing.RowProblem], *, title: str) -> None:
    rows = [{"line": p.line, "column": p.column or "", "reason": p.reason} for p in problems]
    table(rows, ["line", "column", "reason"], title=title)


@contextmanager
def _bar(*, enabled: bool) -> Iterator[importing.Progress | None]:
    """A progress callback drawing a bar on stderr for long runs (none when printing JSON)."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    if not enabled:
        yield None
        return
    progress = Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=errors.rich,
        transient=True,
    )
    tasks: dict[str, TaskID] = {}

    def advance(phase: str, done: int, total: int) -> None:
        if total < LONG_RUN:
            return
        if not tasks:
            progress.start()
        if phase not in tasks:
            tasks[phase] = progress.add_task(_PHASES.get(phase, phase), total=total)
        progress.update(tasks[phase], completed=done)

    try:
        yield advance
    finally:
        if tasks:
            progress.stop()
