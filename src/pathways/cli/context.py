"""Building the application for one command, and the options every command shares."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from pathways.bootstrap import App

Json = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]


def app_of(ctx: typer.Context) -> App:
    """The application, with the clock set by the global --now option."""
    # Here, not at the top: only the commands that use the application pay for its imports.
    from pathways.bootstrap import build

    root = ctx.find_root()
    now = root.obj.get("now") if isinstance(root.obj, dict) else None
    return build(now=now)
