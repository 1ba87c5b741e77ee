"""The `--from` / `--to` options of reports, searches and exports."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated
from zoneinfo import ZoneInfo

import typer

# A bare date or local time is read in the zone most organisations use (as --now is).
ZONE = ZoneInfo("Europe/Paris")

From = Annotated[
    str | None,
    typer.Option("--from", help="Start (ISO date or time, included), e.g. 2026-01-01.", show_default=False),
]
To = Annotated[
    str | None,
    typer.Option(
        "--to", help="End (ISO date or time); a bare date includes that whole day.", show_default=False
    ),
]


def parse_period(start: str | None, end: str | None) -> tuple[datetime | None, datetime | None]:
    """`--from` and `--to` as the half-open UTC period [start, end) the services take."""
    first = _instant(start, "--from", whole_day=False)
    last = _instant(end, "--to", whole_day=True)
    if first is not None and last is not None and last <= first:
        raise typer.BadParameter(f"--to ({end}) must come after --from ({start})")
    return first, last


def _instant(value: str | None, option: str, *, whole_day: bool) -> datetime | None:
    if value is None:
        return None
    text = value.strip()
    try:
        if len(text) == 10:  # YYYY-MM-DD
            day = date.fromisoformat(text)
            moment = datetime.combine(day + timedelta(days=1) if whole_day else day, time(0), tzinfo=ZONE)
            return moment.astimezone(UTC)
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise typer.BadParameter(
            f"{value!r} is not an ISO-8601 date or time (e.g. 2026-07-08 or 2026-07-08T10:00)",
            param_hint=option,
        ) from None
    return (parsed if parsed.tzinfo else parsed.replace(tzinfo=ZONE)).astimezone(UTC)
