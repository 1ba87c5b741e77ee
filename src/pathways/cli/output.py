"""Printing results: rich tables for people, JSON for scripts.

rich is imported on first print, not up front: a command that prints nothing of its own
(``pathways --help``, which Typer formats) never loads it.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

if TYPE_CHECKING:
    from rich.console import Console
    from rich.text import Text


class LazyConsole:
    """A rich ``Console`` made on first use, with the options given."""

    def __init__(self, *, stderr: bool = False, soft_wrap: bool = False) -> None:
        self._stderr = stderr
        self._soft_wrap = soft_wrap
        self._console: Console | None = None
        self._made_for: tuple[object, str | None] | None = None

    @property
    def rich(self) -> Console:
        """The console itself (for rich's own widgets, e.g. a progress bar).

        Rich reads the width (``COLUMNS``) and the terminal once, when a console is made: a new
        one is made whenever the stream or ``COLUMNS`` changed since (a command run in-process
        after another, as a test runner does), so a table is never cut to a stale width.
        """
        stream = sys.stderr if self._stderr else sys.stdout
        made_for = (stream, os.environ.get("COLUMNS"))
        if self._console is None or self._made_for != made_for:
            from rich.console import Console

            self._console = Console(stderr=self._stderr, soft_wrap=self._soft_wrap)
            self._made_for = made_for
        return self._console

    def print(self, *objects: Any, **options: Any) -> None:
        """``Console.print``: markup in strings is read, a :func:`styled` text is printed as is."""
        self.rich.print(*objects, **options)


console = LazyConsole()
errors = LazyConsole(stderr=True, soft_wrap=True)  # a path or a message is never cut by a newline


def escape(text: str) -> str:
    """`text` with rich markup escaped, to print user text inside a markup string."""
    from rich.markup import escape as escape_markup

    return escape_markup(text)


def styled(*parts: str | tuple[str, str]) -> Text:
    """Text never read as markup, from plain strings and (string, style) pairs."""
    from rich.text import Text

    return Text.assemble(*parts)


def emit_json(data: Any) -> None:
    """Machine-readable output on stdout."""
    from pathways.services.exchange.export import json_default

    print(json.dumps(data, default=json_default, ensure_ascii=False, indent=2))


def when(value: datetime | None, zone: str = "Europe/Paris") -> str:
    """An instant in the organisation's zone, to the minute."""
    if value is None:
        return "—"
    return value.astimezone(ZoneInfo(zone)).strftime("%Y-%m-%d %H:%M")


def table(rows: Sequence[Mapping[str, Any]], columns: Sequence[str], *, title: str | None = None) -> None:
    """Rows as a table with the given columns.

    Dates, references, ids and other one-word values are never cut or wrapped: their column is
    as wide as its widest value, and the columns of longer text wrap to fit the terminal. When
    even that does not fit, the table is printed wider than the terminal rather than cut.
    """
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    cells = [
        [
            when(v) if isinstance(v, datetime) else ("—" if v is None else str(v))
            for v in (row.get(c) for c in columns)
        ]
        for row in rows
    ]
    view = Table(title=title, header_style="bold")
    for i, column in enumerate(columns):
        header = column.replace("_", " ")
        values = [line[i] for line in cells]
        width = max((len(v) for v in (header, *values)), default=1)
        if width <= WORD and all(_is_date(v) or " " not in v.strip() for v in values):
            view.add_column(header, no_wrap=True, min_width=width)
        else:
            view.add_column(header, overflow="fold", min_width=min(width, WRAPPED))
    for line in cells:
        view.add_row(*(Text(c) for c in line))  # user text is never read as markup
    screen = console.rich
    # each column's least width, its padding (2) and its left border (1), and the right border
    needed = sum((c.min_width or 1) + 3 for c in view.columns) + 1
    if needed <= screen.width:
        screen.print(view)
    else:  # wider than the terminal: printed whole (the terminal may wrap it), never cut
        Console(file=screen.file, width=needed, no_color=screen.no_color).print(view)


WORD = 40  # a value without spaces (or a date) and no longer than this is never wrapped or cut
WRAPPED = 12  # the narrowest a column of longer text is wrapped to


def _is_date(value: str) -> bool:
    return len(value) == 16 and value[4] == "-" and value[13] == ":"
