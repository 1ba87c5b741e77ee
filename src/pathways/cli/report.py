"""`pathways report funnel|stages|overdue|workload|outcomes`: the managers' figures."""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from dataclasses import fields
from pathlib import Path
from typing import Annotated, Any, Final

import typer

from pathways.cli.context import Json, app_of
from pathways.cli.output import console, emit_json, errors, table
from pathways.cli.period import From, To, parse_period
from pathways.errors import InvalidInput

app = typer.Typer(
    help="Managers' reports: funnel, time in stage, overdue items, workload, outcomes.", no_args_is_help=True
)

Org = Annotated[str | None, typer.Option(help="Only this organisation (id, slug or name).")]
Pathway = Annotated[str | None, typer.Option(help="Only this pathway (diagnosis, ongoing_support...).")]
Csv = Annotated[bool, typer.Option("--csv", help="Print CSV instead of a table.")]
Svg = Annotated[
    Path | None, typer.Option("--svg", help="Also write the chart as SVG to this file.", dir_okay=False)
]
Png = Annotated[
    Path | None, typer.Option("--png", help="Also write the chart as PNG to this file.", dir_okay=False)
]

SHOWN: Final = {
    "funnel": ["phase", "reached", "started_here", "moved_on", "conversion", "median_days_to_next"],
    "stages": ["pathway", "stage", "stays", "mean_days", "p50_days", "p90_days"],
    "overdue": [
        "item",
        "ref",
        "project",
        "stage",
        "officer",
        "due_at",
        "days_overdue",
        "escalations",
        "rule",
    ],
    "workload": ["officer", "open_cases", "overdue", "due_within_7_days"],
    "outcomes": ["pathway", "territory", "cohort", "result", "cases", "share"],
}
SHARES: Final = {"conversion", "share"}  # shown as percentages
HELP: Final = {
    "funnel": "Projects per lifecycle phase reached, conversion to the next phase, median days at each.",
    "stages": "Time in stage per pathway and stage: mean, median (p50) and p90 of the stays, in days.",
    "overdue": "Open cases past their deadline, and reminders or escalations due but not sent.",
    "workload": "Per officer: open cases, overdue, due within 7 days.",
    "outcomes": "Case outcomes by pathway, territory and cohort (year opened).",
}


def _command(name: str) -> Callable[..., None]:
    def command(
        ctx: typer.Context,
        org: Org = None,
        pathway: Pathway = None,
        start: From = None,
        end: To = None,
        json: Json = False,
        csv_: Csv = False,
        svg: Svg = None,
        png: Png = None,
    ) -> None:
        run(ctx, name, org=org, pathway=pathway, start=start, end=end, json=json, csv_=csv_, svg=svg, png=png)

    command.__doc__ = HELP[name]
    return command


# From the CLI's own table, so that listing the commands imports no service (a test checks
# that HELP names every report of ``reports.REPORTS``).
for _name in HELP:
    app.command(_name)(_command(_name))


def run(
    ctx: typer.Context,
    name: str,
    *,
    org: str | None,
    pathway: str | None,
    start: str | None,
    end: str | None,
    json: bool,
    csv_: bool,
    svg: Path | None,
    png: Path | None,
) -> None:
    """Compute a report and print it (table, JSON or CSV), writing its charts if asked."""
    from pathways.drawing import charts
    from pathways.services.exchange.export import write_csv
    from pathways.services.reporting import reports

    if json and csv_:
        raise InvalidInput("choose one of --json and --csv")
    first, last = parse_period(start, end)
    app_ = app_of(ctx)
    with app_.store.read() as conn:
        rows = reports.REPORTS[name](
            conn, now=app_.clock.now(), org=org, pathway=pathway, start=first, end=last
        )
    _charts(name, rows, svg=svg, png=png)
    data = reports.as_dicts(rows)
    if json:
        emit_json(data)
    elif csv_:
        columns = [f.name for f in fields(rows[0])] if rows else SHOWN[name]
        write_csv(sys.stdout, columns, data)
    elif not data:
        console.print(f"no data for the {name} report")
    else:
        table([_readable(row) for row in data], SHOWN[name], title=charts.TITLES[name])


def _charts(name: str, rows: Sequence[Any], *, svg: Path | None, png: Path | None) -> None:
    from pathways.drawing import charts

    for path, fmt in ((svg, "svg"), (png, "png")):
        if path is None:
            continue
        path.write_bytes(charts.render(name, rows, fmt="svg" if fmt == "svg" else "png"))
        errors.print(f"chart written to {path}")


def _readable(row: dict[str, Any]) -> dict[str, Any]:
    shown = {}
    for key, value in row.items():
        if isinstance(value, float):
            shown[key] = f"{value:.0%}" if key in SHARES else f"{value:.1f}"
        else:
            shown[key] = value
    return shown
