"""Printing results: rich tables for people, JSON for scripts."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from rich.console import Console
from rich.table import Table
from rich.text import Text

from pathways.services.export import json_default

console = Console()
errors = Console(stderr=True, soft_wrap=True)  # a path or a message is never cut by a newline


def emit_json(data: Any) -> None:
    """Machine-readable output on stdout."""
    print(json.dumps(data, default=json_default, ensure_ascii=False, indent=2))


def when(value: datetime | None, zone: str = "Europe/Paris") -> str:
    """An instant in the organisation's zone, to the minute."""
    if value is None:
        return "—"
    return value.astimezone(ZoneInfo(zone)).strftime("%Y-%m-%d %H:%M")


def table(rows: Sequence[Mapping[str, Any]], columns: Sequence[str], *, title: str | None = None) -> None:
    """Rows as a table with the given columns."""
    view = Table(title=title, header_style="bold")
    for i, column in enumerate(columns):
        view.add_column(column.replace("_", " "), no_wrap=i == 0)  # the key column stays readable
    for row in rows:
        cells = (
            when(v) if isinstance(v, datetime) else ("—" if v is None else str(v))
            for v in (row.get(c) for c in columns)
        )
        view.add_row(*(Text(c) for c in cells))  # user text is never read as markup
    console.print(view)
