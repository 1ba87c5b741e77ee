"""`pathways pathway ...`: list, show and validate pathway definitions."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from pathways.cli.context import Json, app_of
from pathways.cli.output import console, emit_json, errors, escape, table
from pathways.errors import DefinitionError, InvalidInput

if TYPE_CHECKING:
    from pathways.domain.spec import PathwaySpec

app = typer.Typer(help="Pathway definitions (config/pathways/*.yaml).", no_args_is_help=True)


def _summary(spec: PathwaySpec) -> dict[str, object]:
    return {
        "id": spec.id,
        "version": spec.version,
        "title": spec.title.en,
        "reference": spec.reference,
        "stages": len(spec.stages),
    }


@app.command("list")
def list_(ctx: typer.Context, json: Json = False) -> None:
    """List the pathways and their current versions."""
    rows = [_summary(s) for s in app_of(ctx).catalog.latest()]
    emit_json(rows) if json else table(rows, ["id", "version", "title", "reference", "stages"])


@app.command()
def show(
    ctx: typer.Context,
    pathway_id: Annotated[str, typer.Argument(metavar="ID")],
    version: Annotated[int | None, typer.Option(help="A version other than the latest.")] = None,
    lang: Annotated[str, typer.Option(help="Language of the labels: fr, nl, en.")] = "en",
    mermaid: Annotated[
        bool, typer.Option("--mermaid", help="Print the stage graph as a Mermaid flowchart.")
    ] = False,
    svg: Annotated[
        Path | None, typer.Option(metavar="FILE", help="Draw the stage graph into an SVG file.")
    ] = None,
    json: Json = False,
) -> None:
    """Show a pathway: its stages, deadlines, outcomes and where they lead."""
    spec = app_of(ctx).catalog.get(pathway_id, version)
    if mermaid or svg is not None:
        from pathways.drawing import graph

        if svg is not None:
            svg.write_text(graph.svg(spec, lang=lang), encoding="utf-8")
            errors.print(f"stage graph of {spec.id} v{spec.version} written to {svg}")
        if mermaid:
            sys.stdout.write(graph.mermaid(spec, lang=lang))
        return
    if json:
        emit_json(spec.model_dump(mode="json"))
        return
    console.print(
        f"[bold]{spec.title.get(lang)}[/] ({spec.id} v{spec.version}, cases {spec.reference}-YYYY-NNNN)"
    )
    for stage in spec.stages:
        deadline = "no deadline"
        if stage.deadline is not None:
            deadline = (
                f"until {stage.deadline.until}" if stage.deadline.until else str(stage.deadline.duration)
            )
        console.print(f"  [cyan]{stage.id}[/] {stage.title.get(lang)} — {stage.owner.value}, {deadline}")
        for key, out in stage.outcomes.items():
            target = f"→ {out.next}" if out.next else f"■ {out.end}"
            extra = "".join(
                [
                    f" + start {out.start}" if out.start else "",
                    f" + spawn {out.spawn.pathway} per {out.spawn.per}" if out.spawn else "",
                    f" (project → {out.phase.value})" if out.phase else "",
                ]
            )
            console.print(f"      {key}: {target}{extra}")


@app.command()
def validate(
    files: Annotated[list[Path], typer.Argument(metavar="FILE...", help="Pathway files to check.")],
    templates: Annotated[Path | None, typer.Option(help="Check message templates exist here.")] = None,
    json: Json = False,
) -> None:
    """Check pathway files; exit 2 naming the file and line of the first problem of each bad file."""
    from pathways.domain.loader import validate_files

    results = validate_files(files, templates=templates)
    bad = [(p, r) for p, r in results if isinstance(r, DefinitionError)]
    if json:
        emit_json(
            [
                {
                    "file": str(p),
                    "ok": not isinstance(r, DefinitionError),
                    "error": str(r) if isinstance(r, DefinitionError) else None,
                }
                for p, r in results
            ]
        )
    else:
        for path, result in results:
            if isinstance(result, DefinitionError):
                errors.print(f"[red]✗[/] {escape(str(result))}", highlight=False)
            else:
                console.print(
                    f"[green]✓[/] {path}: {result.id} v{result.version}, {len(result.stages)} stages"
                )
    if bad:
        raise InvalidInput(f"{len(bad)} of {len(results)} file(s) refused")


@app.command()
def schema(
    markdown: Annotated[
        bool,
        typer.Option("--markdown", help="Print the Markdown reference (docs/PATHWAY-FORMAT.md) instead."),
    ] = False,
    write: Annotated[
        bool,
        typer.Option(
            "--write",
            help="Write both config/pathway.schema.json and docs/PATHWAY-FORMAT.md under the current folder "
            "(the repository's root): after changing the models in pathways.domain.spec.",
        ),
    ] = False,
) -> None:
    """Print the JSON Schema of pathway files, which editors use to complete and check them as you type.

    Name it on a pathway file's first line: `# yaml-language-server: $schema=../pathway.schema.json`.
    """
    from pathways.domain import reference

    if write:
        for name, text in (
            (reference.SCHEMA_FILE, reference.schema_text()),
            (reference.REFERENCE_FILE, reference.markdown()),
        ):
            path = Path(name)
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
            errors.print(f"wrote {name}")
        return
    sys.stdout.write(reference.markdown() if markdown else reference.schema_text())
