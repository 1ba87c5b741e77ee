"""CSV formula injection: a name an officer typed must not run as a formula in a manager's spreadsheet.

Any officer can name a project or a person ``=HYPERLINK("http://x","y")``; managers open
the CSV exports and reports in a spreadsheet, which runs a cell starting with ``=``, ``+``,
``-``, ``@``, a tab or a carriage return as a formula. Every CSV pathways writes goes
through one writer that prefixes such a text cell with ``'`` (OWASP's rule); numbers stay
numbers.
"""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

from builders import make_org, make_person, make_project, open_diagnosis
from pathways.bootstrap import App
from pathways.services.exchange.export import write_csv
from security.attack import attacked
from security.inprocess_cli import environment, run

HOSTILE = ('=HYPERLINK("http://x","y")', "+1", "-2+3", "@SUM(A1)")
STARTS = ("=", "+", "-", "@", "\t", "\r")


def cells(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text, newline="")))


def is_number(cell: str) -> bool:
    try:
        float(cell)
    except ValueError:
        return False
    return True


def test_every_csv_pathways_writes_shows_hostile_names_as_text(app: App, tmp_path: Path) -> None:
    org = make_org(app, name="DLA Formules")
    for n, name in enumerate(HOSTILE):
        officer = make_person(app, org, name=name, email=f"officer{n}@example.org")
        open_diagnosis(app, make_project(app, org, name=name, permanent_jobs=n + 3), officer)
    env = environment(app, tmp_path)
    commands = {
        "export cases": ("export", "cases"),
        "export projects": ("export", "projects"),
        "export audit": ("export", "audit"),
        "export initiatives": ("export", "initiatives"),
        "report workload": ("report", "workload", "--csv"),
        "audit search": ("audit", "search", "--csv"),
    }
    written: dict[str, list[list[str]]] = {}
    for what, args in commands.items():
        ran = run(env, *args)
        assert (ran.code, ran.crash) == (0, None), f"{what}: {ran.output}"
        written[what] = cells(ran.out)

    # A name sits in these columns; each hostile one is written as text, never as it was typed.
    named = {
        "export cases": "project",
        "export projects": "name",
        "export initiatives": "name",
        "report workload": "officer",
        "audit search": "actor",
    }
    for what, column in named.items():
        header, *rows = written[what]
        values = {row[header.index(column)] for row in rows}
        assert {"'" + name for name in HOSTILE} <= values, (what, values)
        assert not set(HOSTILE) & values, what
    for what, rows in written.items():
        formulas = [c for row in rows for c in row if c.startswith(STARTS) and not is_number(c)]
        assert formulas == [], what
    # Numbers stay numbers: the jobs column of the projects export is still 3, 4, 5, 6.
    header, *rows = written["export projects"]
    assert sorted(int(row[header.index("permanent_jobs")]) for row in rows) == [3, 4, 5, 6]
    attacked(
        "formula in a project or person name, opened from a CSV export or report in a spreadsheet",
        tried=len(HOSTILE) * len(commands),
        detail="export cases/projects/audit/initiatives, report --csv, audit search --csv: "
        "every hostile cell written as '..., numbers unchanged",
    )


def test_the_one_csv_writer_prefixes_every_formula_start_and_keeps_numbers() -> None:
    texts = [*HOSTILE, "\tTAB", "\rCR", "-3"]
    row: dict[str, object] = {f"t{i}": text for i, text in enumerate(texts)}
    row |= {
        "int": -3,
        "decimal": Decimal("-2.50"),
        "float": -0.5,
        "when": datetime(2026, 7, 8, 8, tzinfo=UTC),
        "day": date(2026, 7, 8),
        "json": {"name": "=1+1"},
        "none": None,
        "plain": "Recyclerie du Canal",
    }
    out = io.StringIO(newline="")
    write_csv(out, [*row, "=header"], [row])
    header, written = cells(out.getvalue())

    assert header[-1] == "'=header"
    assert written[: len(texts)] == ["'" + text for text in texts]
    assert dict(zip(header[len(texts) : -1], written[len(texts) : -1], strict=True)) == {
        "int": "-3",
        "decimal": "-2.50",
        "float": "-0.5",
        "when": "2026-07-08T08:00:00+00:00",
        "day": "2026-07-08",
        "json": '{"name": "=1+1"}',
        "none": "",
        "plain": "Recyclerie du Canal",
    }
    attacked(
        "text cell starting with =, +, -, @, tab or CR given to the CSV writer",
        tried=len(texts),
        detail="each written as '...; -3, -2.50, -0.5 as numbers unchanged",
    )
