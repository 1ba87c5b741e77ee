"""`pathways person export|erase`: a person's requests to see or erase their personal data."""

from __future__ import annotations

import json as json_module
from dataclasses import asdict
from pathlib import Path
from typing import Annotated

import typer

from pathways.cli.context import Json, app_of
from pathways.cli.output import console, emit_json, errors, escape

Person = Annotated[str, typer.Argument(metavar="PERSON", help="Person id, handle, email or name.")]


def export(
    ctx: typer.Context,
    person: Person,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write the JSON to this file instead of stdout.")
    ] = None,
) -> None:
    """Everything held about a person, as JSON (their right of access)."""
    from pathways.services.people import privacy

    with app_of(ctx).store.read() as conn:
        data = privacy.export_person(conn, person)
    text = json_module.dumps(data, ensure_ascii=False, indent=2)
    if output is None:
        print(text)
        return
    output.write_text(text + "\n", encoding="utf-8")
    errors.print(f"exported person {data['person']['id']} to {escape(str(output))}")


def erase(
    ctx: typer.Context,
    person: Person,
    yes: Annotated[bool, typer.Option("--yes", help="Do not ask for confirmation.")] = False,
    by: Annotated[str | None, typer.Option(help="Who records the request (id, handle, email).")] = None,
    json: Json = False,
) -> None:
    """Erase a person's personal data (pseudonymised; the audit chain still verifies). Cannot be undone."""
    from pathways.services.people import directory, privacy

    app_ = app_of(ctx)
    with app_.store.read() as conn:
        row = directory.find_person(conn, person)
        actor = directory.find_person(conn, by).id if by else None
    if not yes:
        typer.confirm(
            f"Erase the personal data of {row.name} (id {row.id})? This cannot be undone",
            abort=True,
            err=True,
        )
    erased = privacy.erase_person(app_, row.id, reason="request", actor_id=actor)
    if json:
        emit_json(asdict(erased))
    else:
        copies = ", ".join(f"{table} ({n})" for table, n in sorted(erased.rows_scrubbed.items()))
        where = f"; copies replaced in {copies}" if copies else ""
        console.print(f"person {erased.person_id} erased{where}")
    if erased.audit_events_left:
        ids = ", ".join(map(str, erased.audit_events_left))
        errors.print(
            f"[yellow]warning:[/] audit events {ids} hold this person's data in text typed into a decision; "
            "the audit chain is append-only, so they keep it"
        )
