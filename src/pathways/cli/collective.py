"""`pathways collective create|add|remove|show|list`: cases linked under one collective action.

A collective mission (one consulting mission for several structures) or a collective transfer
(one resource person, several beneficiaries): each structure keeps its own case, the collective
links them (services.casework.collective). Every case belongs to the collective's organisation.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import TYPE_CHECKING, Annotated

import typer

from pathways.cli.context import Json, app_of
from pathways.cli.output import console, emit_json, escape, table, when

if TYPE_CHECKING:
    from pathways.services.collaboration.collective import CollectiveView

app = typer.Typer(
    help="Collective missions and transfers: several structures' cases linked, each keeping its own.",
    no_args_is_help=True,
)
CollectiveId = Annotated[int, typer.Argument(help="The collective's number (`collective list ORG`).", min=1)]
CaseArg = Annotated[str, typer.Argument(help="Case reference (DIAG-2026-0001) or id.")]
By = Annotated[
    str | None,
    typer.Option(
        help="Who records it: a member of the organisation (id, handle, e-mail); default: nobody named."
    ),
]


def _print(shown: CollectiveView, json: bool) -> None:
    if json:
        emit_json(asdict(shown))
        return
    console.print(f"collective {shown.id}: {escape(shown.label)} ({shown.kind}, {when(shown.created_at)})")
    rows = [
        {
            "case": c.ref,
            "project": c.project,
            "pathway": c.pathway_id,
            "status": c.status,
            "joined": c.joined_at,
        }
        for c in shown.cases
    ]
    if rows:
        table(rows, ["case", "project", "pathway", "status", "joined"])
    else:
        console.print("  no case linked")


@app.command("create")
def create(
    ctx: typer.Context,
    org: Annotated[str, typer.Argument(help="Organisation id, slug or name.")],
    kind: Annotated[str, typer.Argument(help="collective_mission or collective_transfer.")],
    label: Annotated[str, typer.Argument(help="What it is, e.g. 'Mission RH collective 2026'.")],
    case: Annotated[
        list[str] | None, typer.Option("--case", help="A case of the organisation to link (repeat it).")
    ] = None,
    by: By = None,
    json: Json = False,
) -> None:
    """Create a collective of the organisation, linking its first cases (exit 2 for a bad kind or label)."""
    from pathways.services.collaboration import collective
    from pathways.services.people import directory

    app_ = app_of(ctx)
    with app_.store.read() as conn:
        found = directory.find_org(conn, org)
    command = collective.CreateCollective(found.id, kind, label, tuple(case or ()), person=by)
    _print(collective.create(app_, command, by=None), json)


@app.command("add")
def add(
    ctx: typer.Context, collective_id: CollectiveId, case: CaseArg, by: By = None, json: Json = False
) -> None:
    """Link a case of the collective's organisation (exit 3 for a case of another, exit 4 if linked)."""
    _change(ctx, collective_id, case, by, json, remove=False)


@app.command("remove")
def remove(
    ctx: typer.Context, collective_id: CollectiveId, case: CaseArg, by: By = None, json: Json = False
) -> None:
    """Take a case out of the collective; the history keeps its stay (exit 4 if it is not linked)."""
    _change(ctx, collective_id, case, by, json, remove=True)


def _change(
    ctx: typer.Context, collective_id: int, case: str, by: str | None, json: bool, *, remove: bool
) -> None:
    """Link `case` to the collective or take it out, as a member of the collective's organisation."""
    from pathways.services.collaboration import collective

    app_ = app_of(ctx)
    if remove:
        shown = collective.remove_case(app_, collective.UnlinkCase(collective_id, case, person=by), by=None)
    else:
        shown = collective.add_case(app_, collective.LinkCase(collective_id, case, person=by), by=None)
    _print(shown, json)


@app.command("show")
def show(ctx: typer.Context, collective_id: CollectiveId, json: Json = False) -> None:
    """A collective and the cases linked in it."""
    from pathways.services.collaboration import collective

    with app_of(ctx).store.read() as conn:
        shown = collective.find(conn, collective_id, orgs=None)
    _print(shown, json)


@app.command("list")
def list_(
    ctx: typer.Context,
    org: Annotated[str, typer.Argument(help="Organisation id, slug or name.")],
    json: Json = False,
) -> None:
    """The organisation's collectives, newest first."""
    from pathways.services.collaboration import collective
    from pathways.services.people import directory

    with app_of(ctx).store.read() as conn:
        found = directory.find_org(conn, org)
        shown = collective.of_organisation(conn, found.id)
    if json:
        emit_json([asdict(c) for c in shown])
        return
    rows = [{"id": c.id, "kind": c.kind, "label": c.label, "cases": len(c.cases)} for c in shown]
    if rows:
        table(rows, ["id", "kind", "label", "cases"])
    else:
        console.print(f"{found.slug}: no collective")
