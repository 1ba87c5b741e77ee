"""`pathways init` and `pathways run`: set up the database and start working."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from pathways.cli import orchestration
from pathways.cli.context import Json, app_of
from pathways.cli.output import console, emit_json, styled, table

if TYPE_CHECKING:
    from collections.abc import Sequence

    from pathways.bootstrap import App
    from pathways.services.catalogue.definitions import Published


def init(
    ctx: typer.Context,
    with_demo: Annotated[
        bool, typer.Option("--demo", help="Add fictitious organisations, people and cases.")
    ] = False,
    json: Json = False,
) -> None:
    """Create or upgrade the database to the latest schema (idempotent)."""
    from pathways.demo import seed as demo
    from pathways.services.catalogue.definitions import publish
    from pathways.store.db import init_database

    app = app_of(ctx)
    revision = init_database(app.store)
    published = publish(app)
    added = demo.load(app) if with_demo else None
    if json:
        emit_json({"database": app.store.safe_url, "revision": revision, "demo": added})
        return
    console.print(f"database {app.store.safe_url} at revision {revision}")
    _said_published(published)
    if added is not None:
        console.print(
            f"demo data: {added['projects']} projects, {added['cases']} cases"
            if added["created"]
            else "demo data already present"
        )


DEMO_PASSWORD = "pathways-demo"  # noqa: S105  local demo accounts only, never in production


def run(
    ctx: typer.Context,
    port: Annotated[int, typer.Option(help="Port of the web app.", min=1, max=65535)] = 8000,
    prefect_port: Annotated[int, typer.Option(help="Port of the embedded Prefect.", min=1, max=65535)] = 4200,
) -> None:
    """Set everything up on the embedded default, then run the web app and the flows (Ctrl-C stops)."""
    from pathways.demo import seed as demo
    from pathways.services.casework import queries
    from pathways.services.catalogue.definitions import publish
    from pathways.store.db import init_database

    app = app_of(ctx)
    init_database(app.store)
    _said_published(publish(app))
    added = demo.load(app)
    console.print(f"[bold]pathways[/] — database {app.store.safe_url}")
    if added["created"]:
        console.print(f"demo data loaded: {added['projects']} projects, {added['cases']} cases")
        if app.settings.environment == "local":
            _demo_logins(app)
    with app.store.read() as conn:
        rows = queries.due(conn, now=app.clock.now(), within_days=7)
    lines = [{**asdict(r), "late": "OVERDUE" if r.overdue else ""} for r in rows[:15]]
    table(
        lines,
        ["ref", "project", "pathway_id", "stage", "due_at", "late", "officer"],
        title=f"Due within 7 days ({len(rows)})",
    )
    web = subprocess.Popen(  # noqa: S603  our own console script, fixed arguments
        [sys.executable, "-m", "pathways", "serve", "--port", str(port)], env=os.environ.copy()
    )
    orchestration.COMPANIONS.append(web)
    console.print(f"[bold]web app[/]: http://127.0.0.1:{port}/  (API docs: http://127.0.0.1:{port}/api/docs)")
    try:
        orchestration.serve_flows(
            ctx,
            limit=None,
            poll=2.0,
            relay_every=1.0,
            stale_after=60.0,
            prefect_port=prefect_port,
            code_dir=Path(),
        )
    finally:
        web.terminate()
        web.wait(timeout=10)


def _demo_logins(app: App) -> None:
    """Give the demo's officers and managers a web login (local installations only)."""
    from pathways.services.people import listing, logins

    with app.store.read() as conn:
        staff = [p for p in listing.list_rows(conn, "person") if p.role in ("officer", "manager")]
    logins.add_users(app, logins.AddUsers(tuple(dict.fromkeys(p.id for p in staff)), DEMO_PASSWORD), by=None)
    manager = next(p for p in staff if p.role == "manager")
    console.print(
        f"demo logins: any officer or manager handle (e.g. [bold]{manager.handle}[/], a manager) "
        f"with the password [bold]{DEMO_PASSWORD}[/]"
    )


def _said_published(published: Sequence[Published]) -> None:
    """A line for each pathway that `init` or `run` published anew; nothing when nothing changed."""
    for one in published:
        if one.status != "unchanged":
            console.print(styled(f"pathway {one.pathway_id} v{one.version}: {one.detail}"), soft_wrap=True)
