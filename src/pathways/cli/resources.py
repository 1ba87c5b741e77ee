"""`pathways resource list|suggest`: the resource persons of peer transfer, and who fits a case."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated

import typer

from pathways.cli.context import Json, app_of
from pathways.cli.output import console, emit_json, escape, table

app = typer.Typer(
    help="Resource persons for peer transfer: topics, transfers this year.", no_args_is_help=True
)


@app.command("list")
def list_(
    ctx: typer.Context,
    org: Annotated[
        str | None, typer.Option(help="Only those an organisation lists (id, slug, name).")
    ] = None,
    topic: Annotated[str | None, typer.Option(help="Only those with this topic.")] = None,
    everyone: Annotated[
        bool, typer.Option("--all", help="Also people with the resource role and no topic (consultants).")
    ] = False,
    json: Json = False,
) -> None:
    """Resource persons: topics, organisation, transfers validated this calendar year (2 at most)."""
    from pathways.services.people import resources

    app_ = app_of(ctx)
    with app_.store.read() as conn:
        rows = resources.list_resources(conn, now=app_.clock.now(), org=org, topic=topic, everyone=everyone)
    if json:
        emit_json([asdict(row) for row in rows])
        return
    shown = [
        asdict(row) | {"topics": ", ".join(row.topics), "transfers": f"{row.transfers_this_year}/2"}
        for row in rows
    ]
    table(shown, ["id", "handle", "name", "organisation", "topics", "transfers"], title="Resource persons")


@app.command("suggest")
def suggest(
    ctx: typer.Context,
    case: Annotated[str, typer.Argument(help="A peer_transfer case at matching (reference or id).")],
    json: Json = False,
) -> None:
    """Who may take this transfer: a fitting topic, under the yearly cap, not of the beneficiary structure."""
    from pathways.services.people import resources

    app_ = app_of(ctx)
    with app_.store.read() as conn:
        found = resources.suggest(conn, app_.catalog, case, now=app_.clock.now())
    if json:
        emit_json(found)
        return
    console.print(
        f"[bold]{found['case']}[/] — {escape(found['project'])}: topics {', '.join(found['topics']) or '—'}"
    )
    if not found["candidates"]:
        console.print(
            "no resource person fits: add one with `pathways person add ... --role resource --topic ...`"
        )
    rows = [
        c
        | {
            "fits": ", ".join(c["fits"]),
            "transfers": f"{c['transfers_this_year']}/{found['cap']}",
            "note": "requested" if c["requested"] else "",
        }
        for c in found["candidates"]
    ]
    if rows:
        table(rows, ["id", "handle", "name", "organisation", "fits", "transfers", "note"], title="Candidates")
    if found["excluded"]:
        table(found["excluded"], ["id", "name", "organisation", "why"], title="Left out")
