"""`pathways case member add|remove|list` and `pathways case share offer|accept|withdraw|list`.

The operator's side of a cooperation case (services.casework.cooperation and .sharing): member
projects, possibly of several organisations, and sharing the case with a partner organisation on
the consent of both. The operator sees every organisation; ``--by`` names who the change is
recorded for (a staff member of the project's organisation; a manager for a consent).
"""

from __future__ import annotations

from dataclasses import asdict
from typing import TYPE_CHECKING, Annotated, Any

import typer

from pathways.cli.context import Json, app_of
from pathways.cli.output import console, emit_json, escape, table, when

if TYPE_CHECKING:
    from pathways.services.collaboration.cooperation import Member
    from pathways.services.collaboration.sharing import Share

member_app = typer.Typer(help="The projects a case concerns (a cooperation between social enterprises).")
share_app = typer.Typer(help="Share a case with a partner organisation, on the consent of both.")

CaseArg = Annotated[str, typer.Argument(help="Case reference (COOP-2026-0001) or id.")]
ProjectArg = Annotated[str, typer.Argument(help="The member project (id or name).")]
By = Annotated[
    str | None,
    typer.Option(help="Who it is recorded for: staff of the project's organisation (id, handle, e-mail)."),
]
Manager = Annotated[
    str | None,
    typer.Option("--by", help="The manager who records the organisation's consent (id, handle, e-mail)."),
]


def _member_json(member: Member) -> dict[str, Any]:
    return asdict(member) | {"carrier": member.carrier, "active": member.active}


def _share_json(share: Share) -> dict[str, Any]:
    return asdict(share) | {"status": share.status}


@member_app.command("add")
def member_add(
    ctx: typer.Context,
    case: CaseArg,
    project: ProjectArg,
    role: Annotated[str, typer.Option(help="lead or member.")] = "member",
    by: By = None,
    json: Json = False,
) -> None:
    """Add a project to the case with a role (a project of a partner organisation once shared)."""
    from pathways.services.collaboration import cooperation

    added = cooperation.add_member(app_of(ctx), cooperation.AddMember(case, project, role, by), by=None)
    if json:
        emit_json(_member_json(added))
        return
    console.print(
        f"{added.ref}: {escape(added.project)} ({escape(added.organisation)}) joins as {added.role}"
    )


@member_app.command("remove")
def member_remove(
    ctx: typer.Context, case: CaseArg, project: ProjectArg, by: By = None, json: Json = False
) -> None:
    """Take a project out of the case; its stay is kept in the case's history."""
    from pathways.services.collaboration import cooperation

    removed = cooperation.remove_member(app_of(ctx), cooperation.RemoveMember(case, project, by), by=None)
    if json:
        emit_json(_member_json(removed))
        return
    console.print(f"{removed.ref}: {escape(removed.project)} left the case")


@member_app.command("list")
def member_list(ctx: typer.Context, case: CaseArg, json: Json = False) -> None:
    """The case's own project and every member's stay (joined, left, by whom)."""
    from pathways.services.collaboration import cooperation, sharing

    app_ = app_of(ctx)
    with app_.store.read() as conn:
        row, _partner = sharing.readable_case(conn, None, case)
        members = cooperation.members_of(conn, row)
    if json:
        emit_json([_member_json(m) for m in members])
        return
    table(
        [
            {
                "project": m.project + (" (carries the case)" if m.carrier else ""),
                "organisation": m.organisation,
                "role": m.role,
                "joined": when(m.added_at),
                "by": m.added_by or "",
                "left": when(m.removed_at) if m.removed_at else "",
                "left_by": m.removed_by or "",
            }
            for m in members
        ],
        ["project", "organisation", "role", "joined", "by", "left", "left_by"],
        title=f"{row.ref}: members",
    )


@share_app.command("offer")
def share_offer(
    ctx: typer.Context,
    case: CaseArg,
    partner: Annotated[str, typer.Option("--with", help="The partner organisation (id, slug or name).")],
    by: Manager = None,
    json: Json = False,
) -> None:
    """Record the case's organisation's consent to share the case with a partner organisation."""
    from pathways.services.collaboration import sharing

    share = sharing.offer_share(app_of(ctx), sharing.OfferShare(case, partner, by), by=None)
    _said(share, json, f"offered to {share.partner}: it is shared once a manager there accepts")


@share_app.command("accept")
def share_accept(
    ctx: typer.Context,
    case: CaseArg,
    org: Annotated[
        str | None,
        typer.Option(help="The partner organisation consenting, when several were offered the case."),
    ] = None,
    by: Manager = None,
    json: Json = False,
) -> None:
    """Record the partner organisation's consent: its officers and managers then read the case."""
    from pathways.services.collaboration import sharing

    share = sharing.accept_share(app_of(ctx), sharing.AcceptShare(case, org, by), by=None)
    _said(share, json, f"shared with {share.partner}")


@share_app.command("withdraw")
def share_withdraw(
    ctx: typer.Context,
    case: CaseArg,
    partner: Annotated[
        str | None, typer.Option("--with", help="Which partner organisation, when there are several.")
    ] = None,
    by: Manager = None,
    json: Json = False,
) -> None:
    """Withdraw a share (either organisation may): the partner no longer finds the case."""
    from pathways.services.collaboration import sharing

    share = sharing.withdraw_share(app_of(ctx), sharing.WithdrawShare(case, partner, by), by=None)
    _said(share, json, f"no longer shared with {share.partner}; its member projects left the case")


@share_app.command("list")
def share_list(ctx: typer.Context, case: CaseArg, json: Json = False) -> None:
    """Every share of the case and where each side's consent stands (withdrawn ones included)."""
    from pathways.services.collaboration import sharing

    app_ = app_of(ctx)
    with app_.store.read() as conn:
        row, _partner = sharing.readable_case(conn, None, case)
        shares = sharing.shares_of(conn, row.id)
    if json:
        emit_json([_share_json(s) for s in shares])
        return
    table(
        [
            {
                "partner": s.partner,
                "status": s.status,
                "offered": f"{when(s.owner_consent_at)} {s.owner_consent_by or ''}".strip(),
                "accepted": f"{when(s.partner_consent_at)} {s.partner_consent_by or ''}".strip()
                if s.partner_consent_at
                else "",
                "withdrawn": f"{when(s.withdrawn_at)} {s.withdrawn_by or ''}".strip()
                if s.withdrawn_at
                else "",
            }
            for s in shares
        ],
        ["partner", "status", "offered", "accepted", "withdrawn"],
        title=f"{row.ref}: shared with",
    )


def _said(share: Share, json: bool, what: str) -> None:
    if json:
        emit_json(_share_json(share))
        return
    console.print(f"{share.ref}: {escape(what)}")
