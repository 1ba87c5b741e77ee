"""`pathways pathway ...`: list, show, validate, publish and compare pathway definitions."""

from __future__ import annotations

import sys
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from pathways.cli.context import Json, app_of
from pathways.cli.output import console, emit_json, errors, escape, styled, table
from pathways.errors import InvalidInput

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
    """List the pathways and their current versions (and the files changed since their publication)."""
    from pathways.services.catalogue.definitions import unpublished

    app_ = app_of(ctx)
    rows = [_summary(s) for s in app_.catalog.latest()]
    if json:
        emit_json(rows)
        return
    table(rows, ["id", "version", "title", "reference", "stages"])
    for file in unpublished(app_):
        errors.print(
            styled(("note: ", "yellow"), f"{file} changed since it was published: `pathways pathway publish`")
        )


@app.command()
def publish(
    ctx: typer.Context,
    files: Annotated[
        list[Path] | None,
        typer.Argument(
            metavar="[FILE...]", help="Pathway files (default: every file of the pathways folder)."
        ),
    ] = None,
    json: Json = False,
) -> None:
    """Publish pathway files: a file whose content changed becomes its pathway's next version.

    Cases keep the version they started on; new cases take the latest. A published version is
    never changed, and no `version:` needs bumping by hand. `init` and `run` publish on start.
    """
    from pathways.services.catalogue.definitions import publish as run_publish

    done = run_publish(app_of(ctx), files or None)
    if json:
        emit_json([asdict(p) for p in done])
        return
    for one in done:
        mark = {"new": "+", "changed": "↑", "unchanged": "=", "kept": "!"}[one.status]
        console.print(
            styled(f"{mark} {one.pathway_id} v{one.version}: {one.detail} ({one.file})"), soft_wrap=True
        )


@app.command()
def versions(
    ctx: typer.Context,
    pathway_id: Annotated[str, typer.Argument(metavar="ID")],
    json: Json = False,
) -> None:
    """The published versions of a pathway, with the cases on each."""
    from pathways.services.catalogue.definitions import versions as list_versions

    found = list_versions(app_of(ctx), pathway_id)
    rows = [asdict(v) for v in found]
    if json:
        emit_json(rows)
        return
    table(rows, ["version", "published_at", "open_cases", "cases", "digest", "file"], title=pathway_id)


@app.command()
def diff(
    ctx: typer.Context,
    pathway_id: Annotated[str, typer.Argument(metavar="ID")],
    old: Annotated[int, typer.Argument(metavar="V1", help="The older version.", min=1)],
    new: Annotated[int, typer.Argument(metavar="V2", help="The newer version.", min=1)],
) -> None:
    """What changed between two published versions, as a unified diff of their files."""
    from pathways.services.catalogue.definitions import diff as versions_diff

    text = versions_diff(app_of(ctx), pathway_id, old, new)
    sys.stdout.write(text or f"{pathway_id} v{old} and v{new} have the same file\n")


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
    from pathways.domain.spec import LANGS

    if lang not in LANGS:
        raise InvalidInput(
            f"--lang {lang}: not a language of pathways",
            hint=f"one of {', '.join(LANGS)}",
            code="lang_unsupported",
            params={"lang": lang, "langs": ", ".join(LANGS)},
        )
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
    from pathways.domain.words import duration_words, phrase, role_word

    console.print(
        f"[bold]{spec.title.get(lang)}[/] ({spec.id} v{spec.version}, "
        f"{phrase('cases', lang, ref=spec.reference + '-YYYY-NNNN')})"
    )

    labels = {
        name: f.label.get(lang)
        for st in spec.stages
        for fields in (st.fields, *(o.fields for o in st.outcomes.values()))
        for name, f in fields.items()
    }
    for stage in spec.stages:
        deadline = phrase("no_deadline", lang)
        if stage.deadline is not None and stage.deadline.until:
            deadline = phrase("until", lang, field=labels.get(stage.deadline.until, stage.deadline.until))
        elif stage.deadline is not None and stage.deadline.duration is not None:
            deadline = duration_words(stage.deadline.duration, lang)
        line = f"{stage.title.get(lang)} — {role_word(stage.owner, lang)}, {deadline}"
        console.print(styled("  ", (stage.id, "cyan"), " ", line))
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
    strict: Annotated[
        bool, typer.Option("--strict", help="Refuse files with warnings too (exit 2): for CI.")
    ] = False,
    json: Json = False,
) -> None:
    """Check pathway files against the installed pathways; exit 2 naming each bad file's problems.

    Hand-offs and spawns may name a pathway given here, beside a given file, or installed
    (PATHWAYS_CONFIG_DIR/pathways). Warnings name what cannot take effect as written; they
    refuse nothing unless --strict.
    """
    from pathways.domain.validation import check_files
    from pathways.settings import load_settings

    installed_dir = load_settings().pathways_dir
    installed = [p.stem for p in installed_dir.glob("*.yaml")] if installed_dir.is_dir() else []
    results = check_files(files, templates=templates, installed=installed)
    bad = [c for c in results if c.error is not None or (strict and c.warnings)]
    if json:
        emit_json(
            [
                {
                    "file": str(c.path),
                    "ok": c not in bad,
                    "error": str(c.error) if c.error is not None else None,
                    "warnings": list(c.warnings),
                }
                for c in results
            ]
        )
    else:
        for one in results:
            if one.error is not None:
                errors.print(f"[red]✗[/] {escape(str(one.error))}", highlight=False)
                continue
            assert one.spec is not None
            mark = "[red]✗[/]" if one in bad else "[green]✓[/]"
            summary = f"{one.spec.id} v{one.spec.version}, {len(one.spec.stages)} stages"
            warned = f", {len(one.warnings)} warning(s)" if one.warnings else ""
            console.print(f"{mark} {escape(str(one.path))}: {summary}{warned}", highlight=False)
            for warning in one.warnings:
                errors.print(f"  [yellow]warning:[/] {escape(warning)}", highlight=False)
    if bad:
        refused = f"{len(bad)} of {len(results)} file(s) refused"
        raise InvalidInput(refused + (" (--strict: warnings count)" if strict else ""))


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
