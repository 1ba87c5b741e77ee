"""`pathways report funder KIND --year Y`: a funder's yearly report as a table, CSV, XLSX or PDF."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from pathways.cli.context import app_of
from pathways.cli.output import errors, table
from pathways.errors import InvalidInput

Kind = Annotated[
    str, typer.Argument(help="dla (DLA indicators), tsf (peer transfers), incubator (cohorts) or aces.")
]
Year = Annotated[
    int, typer.Option("--year", help="The year the figures are for (decisions that took effect in it).")
]
Org = Annotated[str | None, typer.Option(help="Only this organisation (id, slug or name); default: all.")]
Format = Annotated[str, typer.Option("--format", help="table, csv, xlsx or pdf (xlsx and pdf need --out).")]
Out = Annotated[Path | None, typer.Option("--out", help="Write the report to this file.", dir_okay=False)]
Lang = Annotated[str, typer.Option("--lang", help="Language of the titles: fr, nl or en.")]
FORMATS = ("table", "csv", "xlsx", "pdf")


def funder(
    ctx: typer.Context,
    kind: Kind,
    year: Year,
    org: Org = None,
    fmt: Format = "table",
    out: Out = None,
    lang: Lang = "en",
) -> None:
    """A funder's yearly report: dla, tsf, incubator or aces (what each column counts: docs/REPORTS.md)."""
    from pathways.domain.spec import LANGS
    from pathways.services.people.directory import find_org
    from pathways.services.people.listing import org_names
    from pathways.services.reporting.funders import FunderQuery, funder_report
    from pathways.web import export
    from pathways.web.manager import funder_words

    if fmt not in FORMATS:
        raise InvalidInput(
            f"--format {fmt!r} is not known",
            hint=f"use one of {', '.join(FORMATS)}",
            code="format_unknown",
            params={"format": fmt, "formats": ", ".join(FORMATS)},
        )
    if lang not in LANGS:
        raise InvalidInput(
            f"--lang {lang!r} is not supported",
            hint=f"use one of {', '.join(LANGS)}",
            code="lang_unsupported",
            params={"lang": lang, "langs": ", ".join(LANGS)},
        )
    if fmt in {"xlsx", "pdf"} and out is None:
        raise InvalidInput(
            f"--format {fmt} writes a file",
            hint="give --out FILE",
            code="format_needs_out",
            params={"format": fmt},
        )
    app = app_of(ctx)
    with app.store.read() as conn:
        if org is not None:
            one = find_org(conn, org)
            found = [(one.id, one.name)]
        else:
            found = org_names(conn)
        query = FunderQuery(kind=kind, year=year, orgs=frozenset(i for i, _name in found))
        report = funder_report(conn, query)
    sheet = funder_words.sheet(report, app.catalog, lang)
    if fmt == "table":
        shown = [
            dict(zip(sheet.columns, ("" if c is None else c for c in row), strict=True)) for row in sheet.rows
        ]
        table(shown, sheet.columns, title=sheet.title)
        return
    if fmt == "pdf":
        from pathways.services.casework.printing import html_to_pdf

        names = ", ".join(name for _id, name in found)
        body = html_to_pdf(funder_words.printable(sheet, lang=lang, organisations=names))
    else:
        wanted: export.Format = "csv" if fmt == "csv" else "xlsx"
        cols = funder_words.export_columns(sheet)
        body = bytes(export.respond(wanted, f"{kind}-{year}", cols, sheet.rows, lang=lang).body)
    if out is None:
        sys.stdout.write(body.decode("utf-8").removeprefix("\ufeff"))
        return
    out.write_bytes(body)
    errors.print(f"{sheet.title}: written to {out}")
