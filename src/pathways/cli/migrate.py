"""`pathways pathway migrate`: move open cases to another version of their pathway."""

from __future__ import annotations

from dataclasses import asdict
from typing import TYPE_CHECKING, Annotated, Any

import typer

from pathways.cli.context import Json, app_of
from pathways.cli.output import console, emit_json, table
from pathways.errors import InvalidInput

if TYPE_CHECKING:
    from pathways.services.catalogue import migration


def parse_mapping(pairs: list[str]) -> dict[str, str]:
    """`OLD=NEW` pairs as a mapping; a stage mapped twice is refused."""
    mapping: dict[str, str] = {}
    for pair in pairs:
        old, sep, new = (part.strip() for part in pair.partition("="))
        if not sep or not old or not new:
            raise InvalidInput(
                f"--map {pair!r}: expected OLD=NEW",
                hint="e.g. --map intake=welcome",
                code="map_pair",
                params={"pair": pair},
            )
        if old in mapping and mapping[old] != new:
            raise InvalidInput(
                f"stage '{old}' is mapped twice ({mapping[old]} and {new})",
                code="stage_mapped_twice",
                params={"stage": old, "first": mapping[old], "second": new},
            )
        mapping[old] = new
    return mapping


def migrate(
    ctx: typer.Context,
    pathway_id: Annotated[str, typer.Argument(metavar="ID", help="The pathway whose cases move.")],
    from_version: Annotated[int, typer.Option("--from", help="The version the cases are on.", min=1)],
    to_version: Annotated[int, typer.Option("--to", help="The version they move to.", min=1)],
    map_: Annotated[
        list[str] | None,
        typer.Option(
            "--map",
            metavar="OLD=NEW",
            help="Stage of the old version = stage of the new; repeat. Same-named stages map by default.",
        ),
    ] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Report what would move; change nothing.")
    ] = False,
    recompute_deadlines: Annotated[
        bool,
        typer.Option(
            "--recompute-deadlines", help="Recount each deadline (and its reminders) from the new stage."
        ),
    ] = False,
    by: Annotated[str | None, typer.Option(help="Who runs the migration (person id, handle, email).")] = None,
    json: Json = False,
) -> None:
    """Move the open cases waiting at a stage of version --from to version --to, each move audited."""
    from pathways.services.catalogue import migration
    from pathways.services.people import directory

    app_ = app_of(ctx)
    mapping = parse_mapping(map_ or [])
    actor = None
    if by is not None:
        with app_.store.read() as conn:
            actor = directory.find_person(conn, by).id
    report = migration.migrate(
        app_,
        pathway=pathway_id,
        from_version=from_version,
        to_version=to_version,
        mapping=mapping,
        dry_run=dry_run,
        recompute_deadlines=recompute_deadlines,
        actor_id=actor,
    )
    if json:
        emit_json(_as_dict(report))
        return
    verb = "would move" if dry_run else "moved"
    console.print(
        f"{report.pathway} v{report.from_version} → v{report.to_version}: "
        f"{verb} {len(report.moved)} case(s), skipped {len(report.skipped)}"
        + (" (dry run: nothing changed)" if dry_run else "")
    )
    if report.moved:
        rows = [{**asdict(m), "move": f"{m.stage_from} → {m.stage_to}"} for m in report.moved]
        columns = ["ref", "move", "entered_at", "due_before"]
        table(rows, [*columns, "due_after", "notices_scheduled"] if recompute_deadlines else columns)
    if report.skipped:
        table([asdict(s) for s in report.skipped], ["ref", "stage", "reason"], title="Skipped")


def _as_dict(report: migration.MigrationReport) -> dict[str, Any]:
    return {
        "pathway": report.pathway,
        "from": report.from_version,
        "to": report.to_version,
        "mapping": dict(report.mapping),
        "dry_run": report.dry_run,
        "recompute_deadlines": report.recompute_deadlines,
        "moved": [asdict(m) for m in report.moved],
        "skipped": [asdict(s) for s in report.skipped],
    }
