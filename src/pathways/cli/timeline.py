"""`pathways case timeline CASE`: time in each stage, decisions, documents and messages of a case."""

from __future__ import annotations

from dataclasses import asdict
from typing import TYPE_CHECKING, Annotated, Any

import typer

from pathways.cli.context import Json, app_of
from pathways.cli.output import console, emit_json, escape, table, when

if TYPE_CHECKING:
    from pathways.services.casework import timeline as timelines


def timeline(
    ctx: typer.Context,
    case: Annotated[str, typer.Argument(help="Case reference (DIAG-2026-0001) or id.")],
    lang: Annotated[str, typer.Option(help="Stage titles in fr, nl or en.")] = "en",
    json: Json = False,
) -> None:
    """A case's timeline: time spent in each stage (loops summed), decisions, documents, messages."""
    from pathways.services.casework import timeline as timelines

    app_ = app_of(ctx)
    with app_.store.read() as conn:
        found = timelines.timeline(conn, case, now=app_.clock.now(), catalog=app_.catalog, lang=lang)
    if json:
        emit_json(as_json(found))
        return
    state = f"closed {when(found.closed_at)}: {found.result}" if found.status == "closed" else "open"
    console.print(
        f"[bold]{found.ref}[/] — {escape(found.project)} ({found.pathway} v{found.pathway_version}), "
        f"opened {when(found.opened_at)}, {state}"
    )
    table(
        [
            {
                "stage": s.stage,
                "title": s.title,
                "stays": s.stays,
                "days": f"{s.days:.1f}",
                "now": "◀ here" if s.current else "",
            }
            for s in found.stages
        ],
        ["stage", "title", "stays", "days", "now"],
        title="Time in stage",
    )
    table(
        [{**asdict(i), "who": i.actor} for i in found.items],
        ["at", "kind", "stage", "summary", "who", "link"],
        title="Timeline",
    )


def as_json(found: timelines.Timeline) -> dict[str, Any]:
    """The timeline as JSON-ready data (each stage with its days)."""
    data = asdict(found)
    data["stages"] = [{**asdict(s), "days": s.days} for s in found.stages]
    return data
