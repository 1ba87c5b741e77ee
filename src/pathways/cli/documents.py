"""`pathways case documents CASE`: the documents rendered for a case, listed, written out or printed."""

from __future__ import annotations

import sys
from dataclasses import asdict
from pathlib import Path
from typing import Annotated

import typer

from pathways.cli.context import Json, app_of
from pathways.cli.output import console, emit_json, table
from pathways.errors import InvalidInput


def documents(
    ctx: typer.Context,
    case: Annotated[str, typer.Argument(help="Case reference or id.")],
    output: Annotated[
        Path | None, typer.Option(help="Write every document into this folder (created if needed).")
    ] = None,
    show: Annotated[
        int | None, typer.Option("--print", metavar="ID", help="Print this document's HTML on stdout.")
    ] = None,
    json: Json = False,
) -> None:
    """List the documents rendered for a case (printable HTML); write them to a folder or print one."""
    from pathways.services.casework import documents as service

    with app_of(ctx).store.read() as conn:
        if show is not None:
            sys.stdout.write(service.get_document(conn, case, show).content)
            return
        found = service.list_documents(conn, case)
        contents = {d.id: service.get_document(conn, case, d.id).content for d in found} if output else {}
    written: dict[int, Path] = {}
    if output is not None:
        if output.exists() and not output.is_dir():
            raise InvalidInput(
                f"{output} is not a folder",
                hint="give a folder for --output",
                code="not_a_folder",
                params={"path": output},
            )
        output.mkdir(parents=True, exist_ok=True)
        for doc_id, name in service.file_names(found).items():
            path = output / name
            path.write_text(contents[doc_id], encoding="utf-8")
            written[doc_id] = path
    rows = [{**asdict(d), "file": str(written[d.id]) if d.id in written else None} for d in found]
    if json:
        emit_json(rows)
        return
    if not rows:
        console.print("no document rendered for this case yet")
        return
    table(rows, ["id", "title", "stage", "language", "created_at", "size"] + (["file"] if written else []))
