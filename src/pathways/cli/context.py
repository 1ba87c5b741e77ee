"""Building the application for one command, and the options every command shares."""

from __future__ import annotations

from typing import Annotated

import typer

from pathways.bootstrap import App, build

Json = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]


def app_of(ctx: typer.Context) -> App:
    """The application, with the clock set by the global --now option."""
    root = ctx.find_root()
    now = root.obj.get("now") if isinstance(root.obj, dict) else None
    return build(now=now)
