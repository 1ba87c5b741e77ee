"""`pathways case owner-link CASE`: a new link for the project owner, printed; older ones stop opening."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated

import typer

from pathways.cli.context import Json, app_of
from pathways.cli.output import console, emit_json, escape, when


def owner_link(
    ctx: typer.Context,
    case: Annotated[str, typer.Argument(help="Case reference (DIAG-2026-0001) or id.")],
    days: Annotated[int, typer.Option(help="How long the link opens, 1 to 90 days.", min=1, max=90)] = 14,
    by: Annotated[
        str | None,
        typer.Option(help="The officer or manager it is recorded for (default: the case's officer)."),
    ] = None,
    quiet: Annotated[
        bool,
        typer.Option("--quiet", "-q", help="Print only the link: link=$(pathways case owner-link ... -q)."),
    ] = False,
    json: Json = False,
) -> None:
    """Renew the project owner's link and print it: their messages' older links no longer open."""
    from pathways.services.casework import lookup, scoped
    from pathways.services.people import ownerlinks

    app_ = app_of(ctx)
    with app_.store.read() as conn:
        row = lookup.find_case(conn, case)
        actor = scoped.recorder(conn, None, by, org_id=row.organisation_id) if by else row.officer_id
    renewed = ownerlinks.renew_owner_link(app_, case=row.id, by=None, days=days, actor_id=actor)
    if json:
        emit_json(asdict(renewed))
        return
    if quiet:
        typer.echo(renewed.url)  # plain stdout, nothing else: for a shell variable
        return
    console.print(
        f"{renewed.ref}: new link for {escape(renewed.owner)}, valid until {when(renewed.expires)}; "
        "every earlier link no longer opens"
    )
    typer.echo(renewed.url)  # whole on its own line: rich would wrap a long link
