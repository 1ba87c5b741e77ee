"""`pathways org update|holidays`: the days off an organisation adds to its territory's public holidays."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Annotated, Any

import typer

from pathways.cli.context import Json, app_of
from pathways.cli.output import console, emit_json, table
from pathways.errors import InvalidInput

if TYPE_CHECKING:
    from pathways.domain.extra_holidays import ExtraHoliday
    from pathways.services.people.views import OrgView

ExtraHolidays = Annotated[
    list[str] | None,
    typer.Option(
        "--extra-holidays",
        metavar="DATE=NAME|SOURCE",
        help="A day off the organisation grants beyond the territory's public holidays, with why: "
        "MM-DD every year or YYYY-MM-DD once, e.g. '07-11=Flemish Community Day|CP 329 agreement' "
        "or '2026-07-20=Bridge day|works council'. Repeat for several. Belgian territories count "
        "the ten legal holidays only: 11 July, 27 September, 15 November and 8 May (Iris day) are "
        "days off only if added here.",
    ),
]


def parse_all(entries: Sequence[str] | None) -> tuple[ExtraHoliday, ...]:
    """Each --extra-holidays entry parsed; the first bad one is refused by name (exit 2)."""
    from pathways.domain.extra_holidays import parse_extra_holiday

    return tuple(parse_extra_holiday(entry) for entry in entries or ())


def _rows(days: Sequence[ExtraHoliday]) -> list[dict[str, Any]]:
    return [{"date": d.key, "name": d.name, "source": d.source} for d in days]


def _print(org: OrgView, days: Sequence[ExtraHoliday], json: bool) -> None:
    if json:
        emit_json({"id": org.id, "slug": org.slug, "extra_holidays": _rows(days)})
    elif days:
        table(_rows(days), ["date", "name", "source"])
    else:
        console.print(f"{org.slug}: the public holidays of {org.territory} only")


def update(
    ctx: typer.Context,
    org: Annotated[str, typer.Argument(help="Organisation id, slug or name.")],
    extra_holidays: ExtraHolidays = None,
    clear_extra_holidays: Annotated[
        bool, typer.Option("--clear-extra-holidays", help="Remove every added day off.")
    ] = False,
    option: Annotated[
        list[str] | None,
        typer.Option(
            "--option",
            metavar="NAME=on|off|default",
            help="A local rule the organisation switches on or off over its pathway files "
            "(consultant_bid_within_week, board_approval_before_action, geiq_transfer_days, "
            "ptce_edition; docs/PROGRAMMES.md gives each one's source); default: the file's value "
            "again. Repeat for several.",
        ),
    ] = None,
    json: Json = False,
) -> None:
    """Change an organisation: --extra-holidays replaces its list of added days off; --option sets a
    local rule for its cases."""
    from pathways.services.people import directory, org_holidays

    if option:
        if extra_holidays is not None or clear_extra_holidays:
            raise InvalidInput(
                "--option with --extra-holidays or --clear-extra-holidays",
                hint="change the options and the days off in two commands",
                code="holidays_with_options",
            )
        _update_options(ctx, org, option, json)
        return
    if extra_holidays is None and not clear_extra_holidays:
        raise InvalidInput(
            "nothing to change",
            hint="give --extra-holidays (repeat it), --clear-extra-holidays or --option",
            code="nothing_to_change",
        )
    if extra_holidays and clear_extra_holidays:
        raise InvalidInput(
            "--extra-holidays and --clear-extra-holidays together",
            hint="give the full new list with --extra-holidays, or only --clear-extra-holidays",
            code="holidays_both",
        )
    days = parse_all(extra_holidays)
    app_ = app_of(ctx)
    with app_.store.read() as conn:
        found = directory.find_org(conn, org)
    saved = org_holidays.change_holidays(app_, org_holidays.SetHolidays(found.id, days), by=None)
    _print(found, saved, json)


def show(
    ctx: typer.Context,
    org: Annotated[str, typer.Argument(help="Organisation id, slug or name.")],
    json: Json = False,
) -> None:
    """The days off an organisation adds to its territory's public holidays."""
    from pathways.services.people import directory, org_holidays

    with app_of(ctx).store.read() as conn:
        found = directory.find_org(conn, org)
        days = org_holidays.extra_holidays(conn, found.id)
    _print(found, days, json)


def _update_options(ctx: typer.Context, org: str, settings: Sequence[str], json: bool) -> None:
    from pathways.domain.org_options import parse_setting
    from pathways.services.people import directory, org_options

    changes = tuple(parse_setting(text) for text in settings)  # each checked before anything is written
    app_ = app_of(ctx)
    with app_.store.read() as conn:
        found = directory.find_org(conn, org)
    saved = org_options.change_options(app_, org_options.SetOrgOptions(found.id, changes), by=None)
    _print_options(found, saved, json)


def _print_options(org: OrgView, saved: dict[str, bool], json: bool) -> None:
    from pathways.domain.org_options import NAMES

    if json:
        emit_json({"id": org.id, "slug": org.slug, "options": saved})
        return
    rows = [
        {
            "option": name,
            "organisation": ("on" if saved[name] else "off") if name in saved else "(file's value)",
        }
        for name in NAMES
    ]
    table(rows, ["option", "organisation"])


def options(
    ctx: typer.Context,
    org: Annotated[str, typer.Argument(help="Organisation id, slug or name.")],
    json: Json = False,
) -> None:
    """The local rules an organisation switched on or off over its pathway files' values."""
    from pathways.services.people import directory, org_options

    with app_of(ctx).store.read() as conn:
        found = directory.find_org(conn, org)
        saved = org_options.options_of(conn, found.id)
    _print_options(found, saved, json)
