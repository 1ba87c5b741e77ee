"""`pathways case close`: close a case through one of its pathway's exits, at any stage, with a reason."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated

import typer

from pathways.cli.context import Json, app_of
from pathways.cli.output import console, emit_json, escape, when


def close(
    ctx: typer.Context,
    case: Annotated[str, typer.Argument(help="Case reference (DIAG-2026-0001) or id.")],
    result: Annotated[
        str, typer.Argument(help="The exit: withdrawn, abandoned, or one the pathway adds (`case show`).")
    ],
    reason: Annotated[
        str, typer.Option("--reason", help="Why the case closes (required): kept in the history.")
    ],
    by: Annotated[str | None, typer.Option(help="Who closes it (default: the case's officer).")] = None,
    expect_version: Annotated[
        int | None,
        typer.Option(
            "--expected-version",
            "--expect-version",
            help="The case's version you read (`case show`): refused, naming who decided, if it changed.",
        ),
    ] = None,
    json: Json = False,
) -> None:
    """Close an open case at any stage; exit 2 for an unknown exit or no reason, 4 if already closed.

    Reminders not yet sent and the stage's automatic steps are cancelled; child cases stay as they are.
    """
    from pathways.services.casework import closing

    command = closing.CloseCase(case, result, reason, expected_version=expect_version, person=by)
    closed = closing.close(app_of(ctx), command, by=None)
    if json:
        emit_json(asdict(closed))
        return
    console.print(f"{closed.ref}: closed at {closed.left} as {closed.result} ({when(closed.closed_at)})")
    if closed.notices_cancelled or closed.work_cancelled:
        console.print(
            f"  cancelled: {closed.notices_cancelled} reminders or escalations, "
            f"{closed.work_cancelled} messages or automatic steps"
        )
    if closed.children_open:
        console.print(
            f"  child cases stay open, as they are: {escape(', '.join(closed.children_open))} "
            "(close each on its own if it stops too)"
        )
