"""`pathways org|person|project ...`: the people and projects pathways knows."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated

import typer

from pathways.cli.context import Json, app_of
from pathways.cli.org_holidays import ExtraHolidays, parse_all
from pathways.cli.output import console, emit_json, table

org_app = typer.Typer(help="Support organisations.", no_args_is_help=True)
person_app = typer.Typer(help="Officers, managers, project leads, resource persons.", no_args_is_help=True)
project_app = typer.Typer(help="Supported projects.", no_args_is_help=True)


def _created(what: str, added_id: int, handle: str, json: bool) -> None:
    if json:
        emit_json({"id": added_id, "handle": handle})
    else:
        console.print(f"{what} [bold]{handle}[/] added (id {added_id})")


@org_app.command("add")
def org_add(
    ctx: typer.Context,
    name: str,
    territory: Annotated[str, typer.Option(help="FR-75, FR-57, BE-VLG, BE-WAL, BE-BRU, ...")],
    timezone: Annotated[str | None, typer.Option(help="Default: Europe/Paris or Europe/Brussels.")] = None,
    lang: Annotated[str, typer.Option(help="Default language of its messages: fr, nl, en.")] = "fr",
    extra_holidays: ExtraHolidays = None,
    json: Json = False,
) -> None:
    """Add a support organisation."""
    from pathways.services.people import adding

    days_off = parse_all(extra_holidays)
    command = adding.AddOrg(name, territory, timezone=timezone, language=lang, extra_holidays=days_off)
    added = adding.add_org(app_of(ctx), command, by=None)
    _created("organisation", added.id, added.slug, json)


@org_app.command("list")
def org_list(ctx: typer.Context, json: Json = False) -> None:
    """List organisations."""
    from pathways.services.people import listing

    with app_of(ctx).store.read() as conn:
        rows = [asdict(r) for r in listing.list_rows(conn, "org")]
    emit_json(rows) if json else table(rows, ["id", "slug", "name", "territory", "timezone", "language"])


@person_app.command("add")
def person_add(
    ctx: typer.Context,
    name: str,
    org: Annotated[str, typer.Option(help="Organisation id, slug or name.")],
    role: Annotated[str, typer.Option(help="officer, manager, owner, resource, admin, auditor.")],
    email: Annotated[str | None, typer.Option()] = None,
    phone: Annotated[str | None, typer.Option()] = None,
    lang: Annotated[str | None, typer.Option(help="fr, nl or en; default: the organisation's.")] = None,
    channel: Annotated[list[str] | None, typer.Option(help="Apprise URL; repeat for several.")] = None,
    topic: Annotated[list[str] | None, typer.Option(help="Resource persons: a topic; repeat.")] = None,
    existing: Annotated[
        bool,
        typer.Option(
            "--existing",
            help="Give this role to the person who has --email (e.g. a resource person several "
            "organisations list) instead of adding a new person.",
        ),
    ] = False,
    json: Json = False,
) -> None:
    """Add a person with a role in an organisation (an e-mail a member has already is refused)."""
    from pathways.services.people import adding

    command = adding.AddPerson(
        name,
        org,
        role,
        email=email,
        phone=phone,
        language=lang,
        channels=tuple(channel or ()),
        topics=tuple(topic or ()),
        existing=existing,
    )
    added = adding.add_person(app_of(ctx), command, by=None)
    _created("person", added.id, added.handle, json)


@person_app.command("list")
def person_list(
    ctx: typer.Context, org: Annotated[str | None, typer.Option()] = None, json: Json = False
) -> None:
    """List people and their roles."""
    from pathways.services.people import listing

    with app_of(ctx).store.read() as conn:
        rows = [asdict(r) for r in listing.list_rows(conn, "person", org=org)]
    emit_json(rows) if json else table(rows, ["id", "handle", "name", "role", "email", "language"])


@project_app.command("add")
def project_add(
    ctx: typer.Context,
    name: str,
    org: Annotated[str, typer.Option(help="Organisation id, slug or name.")],
    owner: Annotated[str | None, typer.Option(help="The project lead (person id, handle, email).")] = None,
    siret: Annotated[str | None, typer.Option(help="French SIRET, 14 digits.")] = None,
    bce: Annotated[str | None, typer.Option(help="Belgian BCE/KBO number, 10 digits.")] = None,
    territory: Annotated[str | None, typer.Option(help="Default: the organisation's.")] = None,
    phase: Annotated[
        str | None,
        typer.Option(
            help="idea, emergence, founded, consolidation, scaling. Default: founded with --siret or"
            " --bce (a legal entity), else idea; an earlier phase with an identifier is kept and"
            " recorded as given (a new activity of an existing structure)."
        ),
    ] = None,
    legal_form: Annotated[str | None, typer.Option(help="association, scic, scop, asbl, ...")] = None,
    jobs: Annotated[int, typer.Option(help="Permanent salaried jobs.", min=0, max=1_000_000)] = 0,
    json: Json = False,
) -> None:
    """Add a supported project."""
    from pathways.services.people import adding

    command = adding.AddProject(
        name,
        org,
        owner=owner,
        siret=siret,
        bce=bce,
        territory=territory,
        phase=phase,
        legal_form=legal_form,
        permanent_jobs=jobs,
    )
    added = adding.add_project(app_of(ctx), command, by=None)
    _created("project", added.id, str(added.id), json)


@project_app.command("list")
def project_list(
    ctx: typer.Context, org: Annotated[str | None, typer.Option()] = None, json: Json = False
) -> None:
    """List projects."""
    from pathways.services.people import listing

    with app_of(ctx).store.read() as conn:
        rows = [asdict(r) for r in listing.list_rows(conn, "project", org=org)]
    emit_json(rows) if json else table(
        rows, ["id", "name", "legal_form", "territory", "phase", "siret", "bce"]
    )
