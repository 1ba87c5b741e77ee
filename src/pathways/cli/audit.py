"""`pathways audit verify|search`: check the tamper-evident log and find who did what."""

from __future__ import annotations

import sys
from dataclasses import asdict
from typing import Annotated, Any

import typer

from pathways.cli.context import Json, app_of
from pathways.cli.output import console, emit_json, table
from pathways.cli.period import From, To, parse_period
from pathways.errors import InvalidInput, Refused
from pathways.services import auditing
from pathways.services.auditing import AuditRecord, ChainCheck
from pathways.services.export import write_csv

app = typer.Typer(
    help="The tamper-evident audit log: verify its chains, search its events.", no_args_is_help=True
)

Csv = Annotated[bool, typer.Option("--csv", help="Print CSV instead of a table.")]
SEARCH_COLUMNS = (
    "organisation", "seq", "effective_at", "recorded_at", "actor_id", "actor", "kind", "case", "payload",
)  # fmt: skip


@app.command("verify")
def verify(
    ctx: typer.Context,
    org: Annotated[str | None, typer.Option(help="Only this organisation (id, slug or name).")] = None,
    json: Json = False,
) -> None:
    """Recompute every chain; exit 4 with the first broken link (organisation, seq, kind)."""
    checks = auditing.verify(app_of(ctx), organisation=org)
    if json:
        emit_json([asdict(c) for c in checks])
    else:
        table(
            [
                {
                    **asdict(c),
                    "organisation": _org(c),
                    "state": "ok" if c.ok else "BROKEN",
                    "events": c.checked,
                }
                for c in checks
            ],
            ["organisation", "state", "events", "problem", "seq"],
            title="Audit chains",
        )
    broken = auditing.first_broken(checks)
    if broken is not None:
        raise Refused(
            f"the audit chain of {_org(broken)} is broken at seq {broken.seq}: {broken.problem} event",
            hint=f"{broken.detail}; compare with a backup or an earlier export of the audit log",
        )
    if not json:
        chains = "1 chain" if len(checks) == 1 else f"{len(checks)} chains"
        console.print(f"{chains} verified, {sum(c.checked for c in checks)} events")


@app.command("search")
def search(
    ctx: typer.Context,
    actor: Annotated[str | None, typer.Option(help="Who acted (id, handle, email or name).")] = None,
    case: Annotated[str | None, typer.Option(help="Case reference or id.")] = None,
    org: Annotated[str | None, typer.Option(help="Organisation (id, slug or name).")] = None,
    kind: Annotated[
        str | None, typer.Option(help="Event kind: decision, case_opened, phase_changed...")
    ] = None,
    start: From = None,
    end: To = None,
    limit: Annotated[int, typer.Option(help="At most this many events, newest first.", min=1)] = 200,
    json: Json = False,
    csv_: Csv = False,
) -> None:
    """Audit events matching every filter, newest first, with the actor's name."""
    if json and csv_:
        raise InvalidInput("choose one of --json and --csv")
    first, last = parse_period(start, end)
    with app_of(ctx).store.read() as conn:
        found = auditing.search(
            conn, actor=actor, case=case, org=org, kind=kind, start=first, end=last, limit=limit
        )
    if json:
        emit_json([asdict(r) for r in found])
    elif csv_:
        write_records(found)
    elif not found:
        console.print("no audit event matches")
    else:
        table(
            [{**asdict(r), "what": _summary(r)} for r in found],
            ["organisation", "seq", "effective_at", "actor", "kind", "case", "what"],
            title=f"Audit events ({len(found)}{', limit reached' if len(found) == limit else ''})",
        )


def write_records(records: list[AuditRecord]) -> None:
    """Audit records as CSV on stdout (payload as JSON)."""
    write_csv(sys.stdout, SEARCH_COLUMNS, (asdict(r) for r in records))


def _org(check: ChainCheck) -> str:
    if check.organisation is not None:
        return check.organisation
    return f"organisation #{check.organisation_id}"


def _summary(record: AuditRecord) -> str:
    payload: dict[str, Any] = record.payload
    if record.kind == "decision":
        target = (
            f"→ {payload.get('entered')}" if payload.get("entered") else f"closed: {payload.get('result')}"
        )
        return f"{payload.get('stage')}: {payload.get('outcome')} {target}"
    return ", ".join(f"{k}={v}" for k, v in payload.items())
