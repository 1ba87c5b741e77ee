"""`pathways export cases|projects|audit|initiatives`: data for auditors, funders and open data."""

from __future__ import annotations

import os
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, TextIO

import typer

from pathways.cli.context import app_of
from pathways.cli.output import errors
from pathways.cli.period import From, To, parse_period
from pathways.errors import InvalidInput


def export(
    ctx: typer.Context,
    what: Annotated[str, typer.Argument(help="cases, projects, audit, or initiatives (open data).")],
    format_: Annotated[
        str,
        typer.Option("--format", "-f", help="csv or json; initiatives also geojson or jsonld (schema.org)."),
    ] = "csv",
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", help="Write to this file (default: stdout).", dir_okay=False),
    ] = None,
    org: Annotated[str | None, typer.Option(help="Only this organisation (id, slug or name).")] = None,
    start: From = None,
    end: To = None,
    lang: Annotated[str, typer.Option(help="Initiatives: language of pathway titles (fr, nl, en).")] = "en",
) -> None:
    """Export cases, projects or the audit log (csv, json), or open data on initiatives (no personal data)."""
    from pathways.services.exchange import export as exporting
    from pathways.services.exchange import opendata

    fmt = format_.lower()
    first, last = parse_period(start, end)
    if what == "initiatives" and (first or last):
        raise InvalidInput(
            "initiatives are published as they stand now: --from and --to do not apply",
            code="initiatives_no_period",
        )
    app_ = app_of(ctx)

    def write(out: TextIO) -> int:
        with app_.store.read() as conn:
            if what == "initiatives":
                return opendata.initiatives(
                    conn,
                    out,
                    fmt=fmt,
                    territories=opendata.load_territories(app_.settings.config_dir / "territories.csv"),
                    catalog=app_.catalog,
                    lang=lang,
                    org=org,
                )
            return exporting.export_table(conn, what, out, fmt=fmt, org=org, start=first, end=last)

    if output is None:
        write(sys.stdout)
        return
    count = _atomically(output, write)
    errors.print(f"{count} {what} written to {output}")


def _atomically(path: Path, write: Callable[[TextIO], int]) -> int:
    """Write to a temporary file beside `path`, then rename: a failed export leaves no half file."""
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent or Path())
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="") as out:
            count = write(out)
        Path(temporary).replace(path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return count
