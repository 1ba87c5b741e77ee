"""`pathways cohort list|show`: incubation cohorts, who is in which, and where each one stands."""

from __future__ import annotations

from dataclasses import asdict
from typing import TYPE_CHECKING, Annotated, Any

import typer

from pathways.cli.context import Json, app_of
from pathways.cli.output import console, emit_json, escape, table
from pathways.errors import InvalidInput

if TYPE_CHECKING:
    from pathways.services.reporting.cohorts import Cohort

app = typer.Typer(
    help="Incubation cohorts: who is in which cohort and where each one stands.", no_args_is_help=True
)

Org = Annotated[str | None, typer.Option(help="Only this organisation (id, slug or name).")]
Lang = Annotated[str, typer.Option("--lang", help="Language of stage titles and results: fr, nl or en.")]


def _lang(lang: str) -> str:
    from pathways.domain.spec import LANGS

    if lang not in LANGS:
        raise InvalidInput(
            f"--lang {lang!r} is not supported",
            hint=f"use one of {', '.join(LANGS)}",
            code="lang_unsupported",
            params={"lang": lang, "langs": ", ".join(LANGS)},
        )
    return lang


def _summary(cohort: Cohort) -> dict[str, Any]:
    return {
        "key": cohort.key,
        "cohort": cohort.name,
        "organisation": cohort.organisation,
        "organisation_id": cohort.organisation_id,
        "start": cohort.start,
        "end": cohort.end,
        "dates_differ": cohort.dates_differ,
        "members": len(cohort.members),
        "in_progress": cohort.in_progress,
        "launched": cohort.launched,
        "stopped": cohort.stopped,
        "overdue": cohort.overdue,
    }


@app.command("list")
def list_(ctx: typer.Context, org: Org = None, lang: Lang = "en", json: Json = False) -> None:
    """The cohorts, latest first: dates, members, how many are still incubated, launched or stopped."""
    from pathways.services.people import directory
    from pathways.services.reporting import cohorts

    language = _lang(lang)
    app_ = app_of(ctx)
    with app_.store.read() as conn:
        orgs = {directory.find_org(conn, org).id} if org is not None else None
        found = cohorts.list_cohorts(conn, app_.catalog, orgs=orgs, lang=language, now=app_.clock.now())
    rows = [_summary(c) for c in found]
    if json:
        emit_json(rows)
    elif not rows:
        console.print("no cohort yet: a case joins one when its `cohort` is recorded (incubation pathway)")
    else:
        for row in rows:
            marked = " *" if row["dates_differ"] else ""
            row["dates"] = f"{row['start'] or '?'} → {row['end'] or '?'}{marked}"
        columns = ["key", "cohort", "organisation", "dates", "members", "in_progress", "launched", "stopped"]
        table(rows, [*columns, "overdue"], title="Incubation cohorts")
        if any(r["dates_differ"] for r in rows):
            console.print("* the members did not all record the same dates: earliest start, latest end")


@app.command("show")
def show(
    ctx: typer.Context,
    cohort: Annotated[str, typer.Argument(metavar="COHORT", help="The cohort's name or key.")],
    org: Org = None,
    lang: Lang = "en",
    json: Json = False,
) -> None:
    """A cohort's members: each case, its project, and its stage or the result it ended with."""
    from pathways.services.people import directory
    from pathways.services.reporting import cohorts

    language = _lang(lang)
    app_ = app_of(ctx)
    with app_.store.read() as conn:
        orgs = {directory.find_org(conn, org).id} if org is not None else None
        found = cohorts.find_cohort(
            conn, app_.catalog, cohort, orgs=orgs, lang=language, now=app_.clock.now()
        )
    if json:
        emit_json(_summary(found) | {"members": [asdict(m) for m in found.members]})
        return
    dates = f"{found.start or '?'} → {found.end or '?'}"
    console.print(f"[bold]{escape(found.name)}[/bold] ({escape(found.organisation)}), {dates}")
    rows = [
        {
            "ref": m.ref,
            "project": m.project,
            "where": m.stage_title or m.result_label,
            "status": m.status,
            "due": m.due_at.date().isoformat() + (" (overdue)" if m.overdue else "")
            if m.due_at is not None and m.status == "open"
            else None,
            "officer": m.officer,
            "mentor": m.mentor,
        }
        for m in found.members
    ]
    table(rows, ["ref", "project", "where", "status", "due", "officer", "mentor"])
