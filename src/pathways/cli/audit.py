"""`pathways audit verify|head|search`: check the tamper-evident log and find who did what."""

from __future__ import annotations

import sys
from dataclasses import asdict
from typing import TYPE_CHECKING, Annotated, Any

import typer

from pathways.cli.context import Json, app_of
from pathways.cli.output import console, emit_json, table
from pathways.cli.period import From, To, parse_period
from pathways.errors import InvalidInput, Refused

if TYPE_CHECKING:
    from pathways.services.audit.anchoring import AnchorCheck
    from pathways.services.audit.auditing import AuditRecord, ChainCheck

app = typer.Typer(
    help="The tamper-evident audit log: verify its chains, search its events.", no_args_is_help=True
)

Csv = Annotated[bool, typer.Option("--csv", help="Print CSV instead of a table.")]
SEARCH_COLUMNS = (
    "organisation", "seq", "effective_at", "recorded_at", "actor_id", "actor", "kind", "case", "payload",
)  # fmt: skip


RULE = "every organisation has a chain from seq 1, its creation"


@app.command("verify")
def verify(
    ctx: typer.Context,
    org: Annotated[str | None, typer.Option(help="Only this organisation (id, slug or name).")] = None,
    against: Annotated[
        str | None,
        typer.Option(
            "--against",
            metavar="FILE",
            help="Also check the heads saved by `audit head --json` in FILE ('-': standard input).",
        ),
    ] = None,
    json: Json = False,
) -> None:
    """Recompute every chain; exit 4 with the first broken link (organisation, seq, kind).

    Every organisation with data must have a chain starting at seq 1. With --against, each
    saved head must still be in its chain with the same digest (a chain cut or rewritten
    since fails); organisations added after the heads were saved are verified as usual.
    """
    from pathways.services.audit import anchoring, auditing

    saved = anchoring.load(against) if against is not None else None  # bad input fails first
    app_ = app_of(ctx)
    checks = auditing.verify(app_, organisation=org)
    only = checks[0].organisation_id if org is not None and checks else None
    anchors = anchoring.check(app_, saved, organisation_id=only) if saved is not None else None
    if json:
        chains = [asdict(c) for c in checks]
        emit_json(chains if anchors is None else {"chains": chains, "anchors": [asdict(a) for a in anchors]})
    else:
        _show(checks, anchors, against)
    _refuse_failures(checks, anchors or [], against)
    if not json:
        chains_ = "1 chain" if len(checks) == 1 else f"{len(checks)} chains"
        held = "" if anchors is None else f", {_count(len(anchors), 'saved head')} held"
        console.print(f"{chains_} verified, {sum(c.checked for c in checks)} events{held}; {RULE}")


def _show(checks: list[ChainCheck], anchors: list[AnchorCheck] | None, against: str | None) -> None:
    table(
        [
            {**asdict(c), "organisation": _org(c), "state": "ok" if c.ok else "BROKEN", "events": c.checked}
            for c in checks
        ],
        ["organisation", "state", "events", "problem", "seq"],
        title="Audit chains",
    )
    if anchors is not None:
        table(
            [{**asdict(a), "organisation": _org(a), "state": "ok" if a.ok else "FAILED"} for a in anchors],
            ["organisation", "seq", "state", "problem", "detail"],
            title=f"Saved heads ({against})",
        )


def _refuse_failures(checks: list[ChainCheck], anchors: list[AnchorCheck], against: str | None) -> None:
    """Exit 4 naming the first failing organisation and seq (and the others, if any)."""
    broken = [c for c in checks if not c.ok]
    if broken:
        first = broken[0]
        raise Refused(
            f"the audit chain of {_org(first)} is broken at seq {first.seq}: {first.problem} event"
            + _more(broken),
            hint=f"{first.detail}; compare with a backup, an earlier export or a saved head "
            "(`audit verify --against FILE`)",
        )
    failed = [a for a in anchors if not a.ok]
    if failed:
        lost = failed[0]
        raise Refused(
            f"the audit chain of {_org(lost)} no longer holds the head saved in {against} "
            f"at seq {lost.seq}: {lost.problem}" + _more(failed),
            hint=f"{lost.detail}; events were cut or rewritten since the head was saved: restore "
            "the audit tables from a backup taken before, and find out who had write access",
        )


def _count(number: int, noun: str) -> str:
    return f"1 {noun}" if number == 1 else f"{number} {noun}s"


@app.command("head")
def head(ctx: typer.Context, json: Json = False) -> None:
    """Each organisation's chain head (seq, digest): keep it outside the database.

    A head saved elsewhere (a file on another machine, a ticket, the managers' digest) lets
    `audit verify --against FILE` find events cut off the end or rewritten since.
    """
    from pathways.services.audit import anchoring

    found = anchoring.heads(app_of(ctx))
    if json:
        emit_json(anchoring.dump(found))
    elif not found:
        console.print("no audit chain yet")
    else:
        table(
            [
                {**asdict(h), "organisation": h.organisation or f"organisation #{h.organisation_id}"}
                for h in found
            ],
            ["organisation", "organisation_id", "seq", "digest"],
            title="Audit chain heads",
        )


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
    from pathways.services.audit import auditing

    if json and csv_:
        raise InvalidInput("choose one of --json and --csv", code="json_or_csv")
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
    from pathways.services.exchange.export import write_csv

    write_csv(sys.stdout, SEARCH_COLUMNS, (asdict(r) for r in records))


def _more(failing: list[ChainCheck] | list[AnchorCheck]) -> str:
    """The other failing organisations, named with their seq."""
    others = [f"{_org(f)} at seq {f.seq} ({f.problem})" for f in failing[1:]]
    return f"; also {', '.join(others)}" if others else ""


def _org(check: ChainCheck | AnchorCheck) -> str:
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
