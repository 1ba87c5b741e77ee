"""`pathways init` and `pathways run`: set up the database and start working."""

from __future__ import annotations

from typing import Annotated

import typer

from pathways.cli.context import Json, app_of
from pathways.cli.output import console, emit_json, table
from pathways.services import demo, queries
from pathways.store.db import init_database


def init(
    ctx: typer.Context,
    with_demo: Annotated[
        bool, typer.Option("--demo", help="Add fictitious organisations, people and cases.")
    ] = False,
    json: Json = False,
) -> None:
    """Create or upgrade the database to the latest schema (idempotent)."""
    app = app_of(ctx)
    revision = init_database(app.store)
    added = demo.load(app) if with_demo else None
    if json:
        emit_json({"database": app.store.safe_url, "revision": revision, "demo": added})
        return
    console.print(f"database {app.store.safe_url} at revision {revision}")
    if added is not None:
        console.print(
            f"demo data: {added['projects']} projects, {added['cases']} cases"
            if added["created"]
            else "demo data already present"
        )


def run(ctx: typer.Context) -> None:
    """Set everything up on the embedded default and show what is due (the service grows here)."""
    app = app_of(ctx)
    init_database(app.store)
    added = demo.load(app)
    console.print(f"[bold]pathways[/] — database {app.store.safe_url}")
    if added["created"]:
        console.print(f"demo data loaded: {added['projects']} projects, {added['cases']} cases")
    with app.store.read() as conn:
        rows = queries.due(conn, now=app.clock.now(), within_days=7)
    for row in rows:
        row["late"] = "OVERDUE" if row["overdue"] else ""
    table(
        rows[:25],
        ["ref", "project", "pathway_id", "stage", "due_at", "late", "officer"],
        title=f"Due within 7 days ({len(rows)})",
    )
    console.print(
        "next: `.venv/bin/pathways case show REF`, `... case decide REF OUTCOME --set FIELD=VALUE`, "
        "`... case history REF`, `... pathway show diagnosis`"
    )
