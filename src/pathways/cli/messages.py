"""`pathways sweep`, `dispatch`, `messages` and `template preview`: deadlines turned into messages."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated

import typer

from pathways.cli.context import Json, app_of
from pathways.cli.output import console, emit_json, styled, table, when
from pathways.errors import InvalidInput

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
    dry_run: Annotated[
        bool,
        typer.Option(
            "--dry-run", help="Show what would be sent, to whom, in which language; send and change nothing."
        ),
    ] = False,
    json: Json = False,
) -> None:
    """Render and deliver every ready message; exit 1 if some failed (they will be retried)."""
    if dry_run:
        _dry_run(ctx, limit=batch, json=json)
        return
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


def _dry_run(ctx: typer.Context, *, limit: int, json: bool) -> None:
    from pathways.services.messaging.dryrun import plan_dispatch

    planned = plan_dispatch(app_of(ctx), limit=limit)
    if json:
        emit_json([asdict(p) for p in planned])
        return
    if not planned:
        console.print("dry run: nothing is ready to send")
        return
    console.print(f"dry run: the next dispatch would handle {len(planned)} messages (nothing sent)")
    for p in planned:
        head = f"#{p.job_id} {p.key}"
        if p.recipient is not None:
            head += f" → {p.recipient} [{p.lang}] {p.template}"
        console.print(styled((head, "bold")))
        if p.subject is not None:
            console.print(styled(f"    Subject: {p.subject}"), soft_wrap=True)
        for channel in p.channels:
            verdict = f"  REFUSED: {channel.refused}" if channel.refused else ""
            console.print(styled(f"    via {channel.destination}{verdict}"), soft_wrap=True)
        if p.problem is not None:
            console.print(styled((f"    not sent: {p.problem}", "yellow")))


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
        emit_json([asdict(r) for r in rows])
    else:
        table(
            [asdict(r) for r in rows],
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
        emit_json(asdict(done))
    else:
        console.print(f"message {done.id} ({done.key}) queued again (was {done.was})")


@template_app.command("preview")
def preview(
    ctx: typer.Context,
    kind: Annotated[str, typer.Argument(help="Template name: reminder, escalation, digest, ...")],
    lang: Annotated[str, typer.Option(help="fr, nl or en.")] = "en",
    case: Annotated[str | None, typer.Option(help="Fill it from this case's current stage.")] = None,
    to: Annotated[
        str | None,
        typer.Option(help="Address it to this role (default: the role the pathway files send it to)."),
    ] = None,
    json: Json = False,
) -> None:
    """Show a message as its recipient would read it (sample data unless --case)."""
    from pathways.domain.spec import Role
    from pathways.services.messaging.message import preview as render_preview

    roles = [r.value for r in Role]
    if to is not None and to not in roles:
        raise InvalidInput(
            f"--to {to}: not a role",
            hint=f"one of {', '.join(roles)}",
            code="not_a_role",
            params={"role": to, "roles": ", ".join(roles)},
        )
    shown = render_preview(app_of(ctx), kind, lang, case=case, to=Role(to) if to else None)
    if json:
        emit_json(asdict(shown.rendered) | {"to": shown.to.value, "recipient": shown.recipient})
        return
    from pathways.domain.words import phrase, role_word

    who = f"{shown.recipient} ({role_word(shown.to, lang)})"
    console.print(styled((phrase("to", lang, who=who), "bold")), soft_wrap=True)
    console.print(styled((phrase("subject", lang, subject=shown.rendered.subject), "bold")), soft_wrap=True)
    console.print()
    console.print(styled(shown.rendered.body))
