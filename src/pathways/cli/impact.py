"""`pathways impact ...`: impact evaluations in the VISES manner (question, indicators, dated values)."""

from __future__ import annotations

from dataclasses import asdict
from datetime import date
from typing import Annotated, Any

import typer

from pathways.cli.context import Json, app_of
from pathways.cli.output import console, emit_json, escape, table
from pathways.errors import FieldError

app = typer.Typer(
    help="Impact evaluation: evaluative question, indicators, dated values.", no_args_is_help=True
)


def _done(what: str, new_id: int, json: bool) -> None:
    if json:
        emit_json({"id": new_id})
    else:
        console.print(f"{what} {new_id} recorded")


@app.command("add")
def add(
    ctx: typer.Context,
    target: Annotated[
        str, typer.Argument(metavar="CASE|PROJECT", help="A case reference, or a project id or name.")
    ],
    question: Annotated[str, typer.Option(help="The evaluative question.")],
    tool: Annotated[str | None, typer.Option(help="VISES, MESIS, ValorESS, SROI or SDG.")] = None,
    json: Json = False,
) -> None:
    """Start an impact evaluation, with its evaluative question, on a case (or on a project)."""
    from pathways.services.reporting import impact

    new_id = impact.start_evaluation(app_of(ctx), impact.AddEvaluation(target, question, tool), by=None)
    _done("evaluation", new_id, json)


@app.command("indicator")
def indicator(
    ctx: typer.Context,
    evaluation: Annotated[int, typer.Argument(metavar="EVAL", help="The evaluation's id.")],
    name: Annotated[str, typer.Option(help="What is measured.")],
    unit: Annotated[str, typer.Option(help="In what unit (jobs, €, tonnes, people...).")],
    baseline: Annotated[str | None, typer.Option(help="The value before the support.")] = None,
    target: Annotated[str | None, typer.Option(help="The value aimed at.")] = None,
    json: Json = False,
) -> None:
    """Add an indicator to an evaluation."""
    from pathways.services.reporting import impact

    command = impact.AddIndicator(evaluation, name, unit, baseline=baseline, target=target)
    new_id = impact.define_indicator(app_of(ctx), command, by=None)
    _done("indicator", new_id, json)


@app.command("value")
def value(
    ctx: typer.Context,
    indicator_id: Annotated[int, typer.Argument(metavar="INDICATOR", help="The indicator's id.")],
    measured: Annotated[str, typer.Argument(metavar="VALUE", help="The measured value.")],
    on: Annotated[str, typer.Option(help="When it was measured (YYYY-MM-DD).")],
    json: Json = False,
) -> None:
    """Record a dated value of an indicator."""
    from pathways.services.reporting import impact

    try:
        day = date.fromisoformat(on)
    except ValueError:
        raise FieldError("on", f"expected a date as YYYY-MM-DD, got {on!r}") from None
    new_id = impact.record_value(app_of(ctx), impact.RecordValue(indicator_id, measured, day), by=None)
    _done("value", new_id, json)


@app.command("show")
def show(
    ctx: typer.Context,
    ref: Annotated[
        str, typer.Argument(metavar="CASE|PROJECT", help="A case reference, or a project id or name.")
    ],
    json: Json = False,
) -> None:
    """A case's or a project's evaluations: indicators, values, change from baseline, progress to target."""
    from pathways.services.reporting import impact

    with app_of(ctx).store.read() as conn:
        found = impact.show(conn, ref)
    if json:
        emit_json(asdict(found))
        return
    console.print(
        f"[bold]{escape(found.project.name)}[/]"
        + (f" ({found.case})" if found.case else "")
        + f": {len(found.evaluations)} evaluation(s)"
    )
    for evaluation in found.evaluations:
        tool = f" [{evaluation.tool}]" if evaluation.tool else ""
        on = evaluation.case or "the project"
        console.print(f"\n#{evaluation.id} {escape(evaluation.question)}{escape(tool)} — on {on}")
        rows: list[dict[str, Any]] = [
            asdict(i)
            | {
                "latest": f"{i.latest.value} ({i.latest.on})" if i.latest else None,
                "progress": f"{i.progress_percent} %" if i.progress_percent is not None else None,
                "values": len(i.values),
            }
            for i in evaluation.indicators
        ]
        table(rows, ["id", "name", "unit", "baseline", "target", "latest", "change", "progress", "values"])
