"""`pathways report funnel|stages|overdue|workload|outcomes`: the managers' figures."""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, fields
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Final

import typer

from pathways.cli.context import Json, app_of
from pathways.cli.output import console, emit_json, errors, table
from pathways.cli.period import From, To, parse_period
from pathways.errors import InvalidInput

if TYPE_CHECKING:
    from pathways.bootstrap import App

app = typer.Typer(
    help="Managers' reports: funnel, time in stage, overdue items, workload, outcomes.", no_args_is_help=True
)

Org = Annotated[str | None, typer.Option(help="Only this organisation (id, slug or name).")]
Pathway = Annotated[str | None, typer.Option(help="Only this pathway (diagnosis, ongoing_support...).")]
Csv = Annotated[bool, typer.Option("--csv", help="Print CSV instead of a table.")]
Svg = Annotated[
    Path | None, typer.Option("--svg", help="Also write the chart as SVG to this file.", dir_okay=False)
]
Pdf = Annotated[
    Path | None, typer.Option("--pdf", help="Also write the chart as PDF to this file.", dir_okay=False)
]
Png = Annotated[Path | None, typer.Option("--png", hidden=True, dir_okay=False)]  # gone: says so
Lang = Annotated[str, typer.Option("--lang", help="Language of the chart's words: fr, nl or en.")]

SHOWN: Final = {
    "funnel": ["phase", "reached", "started_here", "moved_on", "conversion", "median_days_to_next", "exited"],
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
        pdf: Pdf = None,
        png: Png = None,
        lang: Lang = "en",
    ) -> None:
        if png is not None:
            raise InvalidInput(
                "charts are no longer written as PNG", hint="use --svg FILE or --pdf FILE", code="png_charts"
            )
        charts = Charts(svg=svg, pdf=pdf, lang=lang)
        run(ctx, name, org=org, pathway=pathway, start=start, end=end, json=json, csv_=csv_, charts=charts)

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
    charts: Charts | None = None,
) -> None:
    """Compute a report and print it (table, JSON or CSV), writing its charts if asked."""
    from pathways.services.exchange.export import write_csv
    from pathways.services.reporting import reports

    if json and csv_:
        raise InvalidInput("choose one of --json and --csv", code="json_or_csv")
    first, last = parse_period(start, end)
    app_ = app_of(ctx)
    with app_.store.read() as conn:
        rows = reports.REPORTS[name](
            conn, now=app_.clock.now(), org=org, pathway=pathway, start=first, end=last
        )
    if charts is not None:
        charts.write(app_, name, rows)
    data = reports.as_dicts(rows)
    if json:
        emit_json(data)
    elif csv_:
        columns = [f.name for f in fields(rows[0])] if rows else SHOWN[name]
        write_csv(sys.stdout, columns, data)
    elif not data:
        console.print(f"no data for the {name} report")
    else:
        table([_readable(row) for row in data], SHOWN[name], title=HELP[name])


@dataclass(frozen=True, slots=True)
class Charts:
    """Where to write a report's chart (SVG, PDF) and in which language."""

    svg: Path | None = None
    pdf: Path | None = None
    lang: str = "en"

    def write(self, app: App, name: str, rows: Sequence[Any]) -> None:
        """Draw the chart of `rows` and write it where asked."""
        if self.svg is None and self.pdf is None:
            return
        from pathways.domain.spec import LANGS
        from pathways.drawing import charts
        from pathways.notify.render import babel_locale
        from pathways.services.casework.printing import html_to_pdf
        from pathways.web.i18n import texts

        if self.lang not in LANGS:
            raise InvalidInput(
                f"--lang {self.lang!r} is not supported",
                hint=f"one of {', '.join(LANGS)}",
                code="lang_unsupported",
                params={"lang": self.lang, "langs": ", ".join(LANGS)},
            )
        labels = charts.Labels(
            words=texts(self.lang),
            lang=self.lang,
            locale=babel_locale(self.lang, app.settings.default_timezone),
            specs={s.id: s for s in app.catalog.latest()},
        )
        svg = charts.svg(name, rows, labels)
        if self.svg is not None:
            self.svg.write_text(svg, encoding="utf-8")
            errors.print(f"chart written to {self.svg}")
        if self.pdf is not None:
            inline = charts.svg(name, rows, labels, standalone=False)
            style = "@page { size: A4; margin: 15mm } svg { display: block; width: 100%; max-height: 265mm }"
            page = (
                f'<!doctype html><html lang="{self.lang}"><meta charset="utf-8">'
                f"<style>{style}</style><body>{inline}</body></html>"
            )
            self.pdf.write_bytes(html_to_pdf(page))
            errors.print(f"chart written to {self.pdf}")


def _readable(row: dict[str, Any]) -> dict[str, Any]:
    shown = {}
    for key, value in row.items():
        if isinstance(value, float):
            shown[key] = f"{value:.0%}" if key in SHARES else f"{value:.1f}"
        else:
            shown[key] = value
    return shown
