"""`pathways sweep`, `dispatch`, `messages` and `template preview`: deadlines turned into messages."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated

import typer

from pathways.cli.context import Json, app_of
from pathways.cli.output import console, emit_json, styled, table, when

messages_app = typer.Typer(
    help="Messages queued for delivery: reminders, escalations, digests.", invoke_without_command=True
)
template_app = typer.Typer(help="Message templates.", no_args_is_help=True)


def sweep(
    ctx: typer.Context,
    limit: Annotated[int | None, typer.Option(help="Handle at most this many due notices.", min=1)] = None,
    batch: Annotated[
        int | None,
        typer.Option(help="Due notices per transaction (smaller: shorter locks; default 2000).", min=1),
    ] = None,
    json: Json = False,
) -> None:
    """Queue every reminder and escalation due now (or at the global --now) and not yet sent."""
    from pathways.services.casework.sweep import BATCH
    from pathways.services.casework.sweep import sweep as run_sweep

    app_ = app_of(ctx)
    now = app_.clock.now()
    result = run_sweep(app_, now=now, limit=limit, batch=batch or BATCH)
    if json:
        emit_json({"now": now, **asdict(result)})
        return
    console.print(
        f"sweep at {when(now)}: {result.notices} due notices → {result.messages} messages, "
        f"{result.digest_items} digest items"
        + (f", {result.unaddressed} with nobody to tell" if result.unaddressed else "")
        + (f", {result.cancelled} no longer current" if result.cancelled else "")
    )


def dispatch(
    ctx: typer.Context,
    batch: Annotated[int, typer.Option(help="Jobs claimed per transaction.")] = 100,
    json: Json = False,
) -> None:
    """Render and deliver every ready message; exit 1 if some failed (they will be retried)."""
    from pathways.services.messaging.dispatch import dispatch as run_dispatch

    result = run_dispatch(app_of(ctx), batch=batch)
    if json:
        emit_json(asdict(result))
    else:
        console.print(
            f"{result.claimed} messages: {result.sent} sent, {result.failed} to retry, {result.dead} dead"
            + (f", {result.cancelled} no longer current" if result.cancelled else "")
            + (f" ({result.reclaimed} taken over from a stopped dispatcher)" if result.reclaimed else "")
        )
        for job in result.jobs:
            if job.status in ("failed", "dead"):
                console.print(styled(f"  {job.status} #{job.job_id} {job.key}: {job.detail}"))
    if result.failed or result.dead:
        raise typer.Exit(1)


@messages_app.callback()
def messages(
    ctx: typer.Context,
    case: Annotated[str | None, typer.Option(help="Only this case's messages.")] = None,
    failed: Annotated[
        bool, typer.Option("--failed", help="Only failing and dead-lettered messages.")
    ] = False,
    limit: Annotated[int, typer.Option(help="At most this many, newest first.")] = 200,
    json: Json = False,
) -> None:
    """List messages with their delivery status (dead ones need `pathways messages retry ID`)."""
    if ctx.invoked_subcommand is not None:
        return
    from pathways.services.messaging.outbox import list_messages

    with app_of(ctx).store.read() as conn:
        rows = list_messages(conn, case=case, failed=failed, limit=limit)
    if json:
        emit_json(rows)
    else:
        table(
            rows,
            ["id", "kind", "case", "template", "to", "status", "attempts", "next_attempt_at", "last_error"],
        )


@messages_app.command("retry")
def retry(
    ctx: typer.Context,
    job_id: Annotated[int, typer.Argument(metavar="ID", help="The message id (see `pathways messages`).")],
    json: Json = False,
) -> None:
    """Put a dead-lettered (or failing) message back in the queue, to be sent by the next dispatch."""
    from pathways.services.messaging.outbox import retry_message

    done = retry_message(app_of(ctx), job_id)
    if json:
        emit_json(done)
    else:
        console.print(f"message {done['id']} ({done['key']}) queued again (was {done['was']})")


@template_app.command("preview")
def preview(
    ctx: typer.Context,
    kind: Annotated[str, typer.Argument(help="Template name: reminder, escalation, digest, ...")],
    lang: Annotated[str, typer.Option(help="fr, nl or en.")] = "en",
    case: Annotated[str | None, typer.Option(help="Fill it from this case's current stage.")] = None,
    json: Json = False,
) -> None:
    """Show a message as its recipient would read it (sample data unless --case)."""
    from pathways.services.messaging.message import preview as render_preview

    rendered = render_preview(app_of(ctx), kind, lang, case=case)
    if json:
        emit_json(asdict(rendered))
        return
    console.print(styled((f"Subject: {rendered.subject}", "bold")))
    console.print()
    console.print(styled(rendered.body))
