"""`pathways case ...` and `pathways due`: what support officers do every day."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict
from typing import TYPE_CHECKING, Annotated, Any

import typer

from pathways.cli import timeline as timeline_cli
from pathways.cli.context import Json, app_of
from pathways.cli.output import console, emit_json, escape, table, when
from pathways.errors import FieldError

if TYPE_CHECKING:
    from pathways.bootstrap import App
    from pathways.services.casework import work
    from pathways.services.casework.views import CaseView, DueRow, HistoryEntry

app = typer.Typer(help="Cases: a project's journey through a pathway.", no_args_is_help=True)


def _actor(conn: Any, by: str | None, *, org_id: int) -> int | None:
    """Who records a change: a member of the organisation it is recorded in, like anyone a case names."""
    from pathways.services.people import directory

    return directory.find_person(conn, by, org_id=org_id).id if by else None


@app.command("open")
def open_(
    ctx: typer.Context,
    project: Annotated[str, typer.Argument(help="Project id or name.")],
    pathway: Annotated[str, typer.Argument(help="Pathway id: diagnosis, ongoing_support, ...")],
    officer: Annotated[str, typer.Option(help="The officer in charge (id, handle, email).")],
    by: Annotated[str | None, typer.Option(help="Who records this (default: the officer).")] = None,
    quiet: Annotated[
        bool,
        typer.Option(
            "--quiet", "-q", help="Print only the case reference: ref=$(pathways case open ... -q)."
        ),
    ] = False,
    json: Json = False,
) -> None:
    """Open a case for a project at the first stage of a pathway."""
    from pathways.services.casework import opening

    app_ = app_of(ctx)
    opened = opening.open_new(app_, opening.OpenCase(project, pathway, officer=officer, person=by), by=None)
    followed = app_.after_commit(opened.id).ran
    if json:
        emit_json({**asdict(opened), "work": [asdict(r) for r in followed]})
        return
    if quiet:
        typer.echo(opened.ref)  # plain stdout, nothing else: for a shell variable
        return
    console.print(f"opened [bold]{opened.ref}[/] at stage {opened.stage}, due {when(opened.due_at)}")
    _print_work(followed)


def _print_work(results: Sequence[work.JobResult]) -> None:
    """The work a change's follow-up ran (:meth:`pathways.bootstrap.App.after_commit`), one line each."""
    for result in results:
        console.print(f"  {result.key}: {result.status} {escape(result.detail)}")


def _parse_sets(pairs: list[str]) -> dict[str, list[str]]:
    """`--set NAME=VALUE` pairs by field name; a name given again adds a value."""
    values: dict[str, list[str]] = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name.strip():
            raise FieldError(pair, "expected FIELD=VALUE", hint="e.g. --set headcount=4")
        values.setdefault(name.strip(), []).append(value)
    return values


def _field_values(
    app_: App, row: CaseView, outcome: str, given: dict[str, list[str]]
) -> dict[str, str | list[str]]:
    """Repeated `--set` values of a list field are its items; a one-value field given twice is refused."""
    from pathways.domain.spec import FieldType

    spec = app_.catalog.get(row.pathway_id, row.pathway_version)
    stage = spec.stage(row.stage) if row.stage else None
    fields = stage.fields_for(outcome) if stage is not None and outcome in stage.outcomes else {}
    values: dict[str, str | list[str]] = {}
    for name, items in given.items():
        field = fields.get(name)
        many = field is not None and (field.type is FieldType.LIST or field.multiple)
        if len(items) > 1 and not many:
            raise FieldError(
                name,
                f"given {len(items)} times, but it takes one value",
                hint=f"give --set {name}=VALUE once",
            )
        values[name] = items if len(items) > 1 else items[0]
    return values


@app.command("decide")
def decide(
    ctx: typer.Context,
    case: Annotated[str, typer.Argument(help="Case reference (DIAG-2026-0001) or id.")],
    outcome: Annotated[str, typer.Argument(help="The outcome of the current stage.")],
    set_: Annotated[
        list[str] | None, typer.Option("--set", help="FIELD=VALUE; repeat for each field.")
    ] = None,
    by: Annotated[str | None, typer.Option(help="Who decides (default: the case's officer).")] = None,
    note: Annotated[str | None, typer.Option(help="Why: kept in the history.")] = None,
    expect_version: Annotated[
        int | None,
        typer.Option(
            "--expected-version",
            "--expect-version",
            help="The case's version you decided on (`case show`): refused, naming who decided, if it "
            "changed since. Without it, a decision recorded meanwhile is named in the history.",
        ),
    ] = None,
    json: Json = False,
) -> None:
    """Record the current stage's decision with its data; exit 2 on a bad field, 4 if not allowed."""
    from pathways.services.casework import cases, lookup

    app_ = app_of(ctx)
    given = _parse_sets(set_ or [])
    with cases.deciding(app_) as decision:
        row = lookup.find_case(decision.conn, case)
        values = _field_values(app_, row, outcome, given)
        decision.prepare(
            actor_id=_actor(decision.conn, by, org_id=row.organisation_id) if by else row.officer_id,
            case=row.id,
            outcome=outcome,
            values=values,
            note=note,
            expected_version=expect_version,
        )
    decided = decision.decided
    followed = app_.after_commit(decided.case_id, queued=decided.queued_work).ran
    if json:
        emit_json({**asdict(decided), "work": [asdict(r) for r in followed]})
        return
    where = (
        f"now at {decided.entered}, due {when(decided.due_at)}"
        if decided.entered
        else f"closed: {decided.result}"
    )
    console.print(f"{decided.ref}: {decided.left} → {outcome}; {where}")
    for unseen in decided.decided_over:  # decided again on the case as it had become
        console.print(
            f"[yellow]note:[/] recorded right after {escape(unseen.by or 'someone')}'s decision "
            f"'{unseen.outcome}' at {unseen.stage} ({when(unseen.at)}), which you had not seen; "
            "the case's history says so"
        )
    for w in decided.warnings:  # recorded anyway: a usual range is a default, not a limit
        low, high = w.usual_min, w.usual_max
        usual = (
            f"{low} to {high}"
            if low is not None and high is not None
            else f"from {low}"
            if low
            else f"up to {high}"
        )
        console.print(
            f"[yellow]warning:[/] {w.field} = {w.value} is outside the usual range ({usual}); "
            "recorded anyway, and the case's history says so"
        )
    _print_work(followed)


@app.command("show")
def show(
    ctx: typer.Context,
    case: Annotated[str, typer.Argument(help="Case reference or id.")],
    lang: Annotated[str, typer.Option(help="fr, nl or en.")] = "en",
    json: Json = False,
) -> None:
    """Show a case: project, stage, deadline, outcomes offered, recorded data."""
    from pathways.services.casework import queries

    app_ = app_of(ctx)
    with app_.store.read() as conn:
        info = queries.show_case(conn, app_.catalog, case, lang=lang)
    if json:
        emit_json(asdict(info))
        return
    console.print(
        f"[bold]{info.ref}[/] — {escape(info.project.name)} ({info.pathway_title} v{info.pathway_version})"
    )
    if info.status == "open":
        console.print(f"  stage: {info.stage} ({escape(info.stage_title or '')}), due {when(info.due_at)}")
        console.print(f"  outcomes: {', '.join(info.outcomes)}")
        console.print(f"  exits (`case close`, any stage): {', '.join(info.exits)}")
        for name, field in info.fields.items():
            star = "*" if field.required else ""
            console.print(f"  field {name}{star}: {field.type} — {escape(field.label)}")
    else:
        console.print(f"  closed {when(info.closed_at)}: {info.result} ({escape(info.result_label or '')})")
    console.print(f"  officer: {escape(info.officer or '—')}; project phase: {info.project.phase}")
    if info.parent:
        console.print(f"  parent: {info.parent}")
    for child in info.children:
        subject = f" '{escape(str(child.subject))}'" if child.subject else ""
        where = child.stage or child.result or "—"
        console.print(
            f"  child: {child.ref} {child.pathway}{subject} "
            f"({child.status}, at {where}, due {when(child.due_at)})"
        )
    entries = [asdict(e) for e in info.entries]
    table(entries, ["seq", "stage", "entered_at", "due_at", "left_at", "outcome", "decided_by"])


@app.command("history")
def history(
    ctx: typer.Context,
    case: Annotated[str, typer.Argument(help="Case reference or id.")],
    audit: Annotated[
        bool, typer.Option("--audit", help="The case's audit events instead (effective and recorded times).")
    ] = False,
    lang: Annotated[str, typer.Option(help="Stage titles in fr, nl or en.")] = "en",
    json: Json = False,
) -> None:
    """A case's timeline: time in each stage (loops summed), decisions, documents, messages."""
    from pathways.services.casework import queries

    if not audit:
        timeline_cli.timeline(ctx, case, lang=lang, json=json)
        return
    with app_of(ctx).store.read() as conn:
        events = queries.history(conn, case)
    if json:
        emit_json([asdict(e) for e in events])
        return
    rows = [{**asdict(e), "what": _describe(e)} for e in events]
    table(rows, ["seq", "at", "recorded_at", "actor", "kind", "what"])


def _describe(event: HistoryEntry) -> str:
    d = event.details
    if event.kind == "decision":
        target = f"→ {d['entered']}" if d.get("entered") else f"closed: {d.get('result')}"
        values = ", ".join(f"{k}={v}" for k, v in (d.get("values") or {}).items())
        return (
            f"{d['stage']}: {d['outcome']} {target}"
            + (f" [{values}]" if values else "")
            + (f" — {d['note']}" if d.get("note") else "")
        )
    if event.kind == "case_opened":
        return f"opened in {d['pathway']} v{d['version']} at {d['stage']}" + (
            " (from a parent case)" if d.get("parent") else ""
        )
    return ", ".join(f"{k}={v}" for k, v in d.items())


@app.command("list")
def list_(
    ctx: typer.Context,
    status: Annotated[str, typer.Option(help="open, closed or all.")] = "open",
    officer: Annotated[str | None, typer.Option()] = None,
    org: Annotated[str | None, typer.Option()] = None,
    pathway: Annotated[str | None, typer.Option()] = None,
    json: Json = False,
) -> None:
    """List cases, newest first."""
    from pathways.services.casework import queries

    with app_of(ctx).store.read() as conn:
        rows = queries.list_cases(
            conn, status=None if status == "all" else status, officer=officer, org=org, pathway=pathway
        )
    found = [asdict(r) for r in rows]
    emit_json(found) if json else table(
        found, ["ref", "project", "pathway_id", "stage", "status", "result", "due_at"]
    )


def due(
    ctx: typer.Context,
    officer: Annotated[str | None, typer.Option(help="Only this officer's cases.")] = None,
    org: Annotated[str | None, typer.Option(help="Only this organisation's cases.")] = None,
    within: Annotated[
        int,
        typer.Option(help="Days ahead, 0 to 366 (overdue items are always listed).", min=0, max=366),
    ] = 7,
    json: Json = False,
) -> None:
    """What is due within the next days, overdue first."""
    from pathways.services.casework import queries

    app_ = app_of(ctx)
    with app_.store.read() as conn:
        rows = queries.due(conn, now=app_.clock.now(), within_days=within, officer=officer, org=org)
    if json:
        emit_json([_due_json(r) for r in rows])
        return
    if not rows:
        console.print(f"nothing due within {within} days")
        return
    lines = [{**asdict(r), "late": "OVERDUE" if r.overdue else ""} for r in rows]
    table(lines, ["ref", "project", "pathway_id", "stage", "due_at", "late", "officer"], title="Due")


def _due_json(row: DueRow) -> dict[str, Any]:
    """A due case as ``--json`` writes it: the titles only when the read had them."""
    found = asdict(row)
    if row.pathway_title is None:
        del found["pathway_title"], found["stage_title"]
    return found
