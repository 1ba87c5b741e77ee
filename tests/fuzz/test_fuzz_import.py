"""CSV import on hostile files: each bad line reported by line and column, nothing written unless all is well.

Valid files of projects and of people are mutated (a cell replaced by a hostile
value, a separator added or dropped, a quote left open, bytes that are not
UTF-8, a NUL, a huge field, lines shuffled, the header damaged) and imported on
SQLite and on PostgreSQL. An import either succeeds, and the tables grew by
exactly the rows it reports, or is refused with ``ImportRefused`` (every
problem on a line of the file, in a column it has) or ``InvalidInput`` naming
the file, and then the tables and the audit are exactly as they were.
"""

from __future__ import annotations

import csv
import io
import traceback
from pathlib import Path

import pytest
from fuzzing import fuzz_settings, record
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import func, select

from builders import make_org, make_person
from import_data import PROJECT_HEADER, bce, siret
from pathways.bootstrap import App
from pathways.errors import InvalidInput
from pathways.services.exchange import importing
from pathways.store.core import AUDIT, MEMBER, PERSON, PROJECT

TABLES = {
    "projects": PROJECT,
    "people": PERSON,
    "members": MEMBER,
    "audit": AUDIT,
}
PEOPLE_HEADER = ("name", "org", "role", "email", "phone", "language", "channels", "topics")
COLUMNS = {
    "projects": {c.name for c in importing.PROJECT_COLUMNS},
    "people": {c.name for c in importing.PEOPLE_COLUMNS},
}

HOSTILE = st.sampled_from(
    [
        "",
        " ",
        "\x00",
        "a\x00b",
        "²",  # a digit to str.isdigit, not to int()
        "٣",  # an Arabic-Indic three
        "¹²³",
        "99999999999999999999999",
        "-1",
        "1e3",
        "0x10",
        " 7 ",
        "NaN",
        "=cmd|' /C calc'!A0",  # spreadsheet formula injection
        "{{ 7*7 }}",
        "{% for x in () %}{% endfor %}",
        "<script>alert(1)</script>",
        "'; DROP TABLE project; --",
        "FR-75",
        "BE-BRU",
        "FR-999",
        "XX",
        "idea",
        "IDEA",
        "officer|manager",
        "officer||owner",
        "|",
        "nobody",
        "dla-paris",
        "1",
        "2",
        "9999999999",
        "a@b.c",
        "a@@b",
        "mailto://x@example.org",
        "tgram://",
        "fr",
        "NL",
        "de",
        "+32 (0)2 123 45 67",
        "73282932000075",
        "0203.000.095",
        "BE0203000095",
        "é" * 201,
        "x" * 5000,
        "\u202e",
        "\ufeff",
        "\r",
        "\n",
        '"',
        ",",
        ";",
    ]
)
RAW_EDITS = ["quote", "nul", "latin1", "bytes", "cut", "huge", "crlf"]
CELL = HOSTILE | st.text(max_size=40)


def project_rows(start: int, count: int) -> list[list[str]]:
    rows = []
    for i in range(start, start + count):
        belgian = i % 3 == 2
        rows.append(
            [
                f"Projet n°{i}",
                "SAW-B" if belgian else "dla-paris",
                "awa@example.org" if i % 4 == 0 else "",
                "" if belgian else siret(i),
                bce(i) if belgian else "",
                "BE-WAL" if belgian else "FR-75",
                "founded",
                "asbl" if belgian else "association",
                "88.99B",
                str(i % 7),
                str(i % 3),
            ]
        )
    return rows


def people_rows(start: int, count: int) -> list[list[str]]:
    return [
        [
            f"Personne {i}",
            "dla-paris" if i % 2 else "SAW-B",
            "officer|manager" if i % 3 == 0 else "owner",
            f"p{i}@example.org",
            "+33 1 23 45 67 89",
            ("fr", "nl", "en")[i % 3],
            "mailto://p@example.org" if i % 5 == 0 else "",
            "finance|governance",
        ]
        for i in range(start, start + count)
    ]


def as_csv(header: tuple[str, ...], rows: list[list[str]], delimiter: str) -> str:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue()


@st.composite
def hostile_file(draw: st.DrawFn, what: str) -> bytes:
    """A valid file of `what` with one to four hostile edits, as bytes."""
    start = draw(st.integers(100, 100_000)) * 10  # distinct rows from one example to the next, mostly
    header = PROJECT_HEADER if what == "projects" else PEOPLE_HEADER
    count = draw(st.integers(1, 6))
    rows = project_rows(start, count) if what == "projects" else people_rows(start, count)
    delimiter = draw(st.sampled_from([",", ";"]))
    header_cells = list(header)
    raw_edits: list[str] = []
    for _ in range(draw(st.integers(1, 4))):
        edit = draw(st.sampled_from(["cell", "cell", "cell", "header", "extra", "missing", "raw", "shuffle"]))
        if edit == "cell":
            row = rows[draw(st.integers(0, count - 1))]
            if row:
                row[draw(st.integers(0, len(row) - 1))] = draw(CELL)
        elif edit == "header":
            header_cells[draw(st.integers(0, len(header) - 1))] = draw(CELL)
        elif edit == "extra":
            rows[draw(st.integers(0, count - 1))].append(draw(CELL))
        elif edit == "missing":
            row = rows[draw(st.integers(0, count - 1))]
            if row:
                row.pop()
        elif edit == "shuffle":
            rows = draw(st.permutations(rows))
        else:
            raw_edits.append(draw(st.sampled_from(RAW_EDITS)))
    text = as_csv(tuple(header_cells), rows, delimiter)
    data = text.encode()
    for edit in raw_edits:
        at = draw(st.integers(0, len(data)))
        if edit == "quote":
            data = data[:at] + b'"' + data[at:]
        elif edit == "nul":
            data = data[:at] + b"\x00" + data[at:]
        elif edit == "latin1":
            data = data.replace("°".encode(), "°".encode("latin-1"), 1)
        elif edit == "bytes":
            data = data[:at] + draw(st.binary(min_size=1, max_size=8)) + data[at:]
        elif edit == "cut":
            data = data[:at]
        elif edit == "huge":
            data = data[:at] + b'"' + b"y" * 140_000 + b'"' + data[at:]  # beyond csv's field size limit
        else:
            data = data.replace(b"\n", b"\r\n")
    return data


def counts(app: App) -> dict[str, int]:
    with app.store.read() as conn:
        return {
            name: int(conn.execute(select(func.count()).select_from(table)).scalar_one())
            for name, table in TABLES.items()
        }


@pytest.fixture
def orgs(app: App) -> None:
    fr = make_org(app, name="DLA Paris", territory="FR-75")
    make_org(app, name="SAW-B", territory="BE-WAL")
    make_person(app, fr, name="Awa Diallo", role="owner", email="awa@example.org")


def check_import(app: App, what: str, path: Path, data: bytes, failures: list[str]) -> str:
    """Import `path`; 'imported', 'refused' or 'unreadable', or a failure appended."""
    # Lines as the csv module counts them: \n, \r\n and a lone \r each end one.
    lines = data.count(b"\n") + data.count(b"\r") - data.count(b"\r\n") + 1
    before = counts(app)
    run = importing.import_projects if what == "projects" else importing.import_people
    try:
        report = run(app, path)
    except importing.ImportRefused as exc:
        outcome = "refused"
        for problem in exc.problems:
            if not 1 <= problem.line <= lines:
                failures.append(f"problem on line {problem.line} of a {lines}-line file: {problem}")
            # A header's problems name the cell as written, and blank lines may come before it.
            in_header = problem.line == 1 or problem.reason.startswith(("unknown column", "names column"))
            if problem.column is not None and not in_header and problem.column not in COLUMNS[what]:
                failures.append(f"problem in unknown column {problem.column!r}: {problem}")
        if not exc.problems:
            failures.append(f"refused without a problem: {exc.message}")
    except InvalidInput as exc:
        outcome = "unreadable"
        if str(path) not in exc.message:
            failures.append(f"the file is not named: {exc.message}")
    except Exception as exc:  # noqa: BLE001  any other exception is what this test looks for
        failures.append(f"{type(exc).__name__}: {exc!s:.300}\nfile: {data[:400]!r}\n{traceback.format_exc()}")
        outcome = "crashed"
    else:
        outcome = "imported"
        after = counts(app)
        grown = after["projects" if what == "projects" else "people"] - before[what]
        if grown != report.imported:
            failures.append(f"{report.imported} reported imported, {grown} rows written")
        return outcome
    after = counts(app)
    if after != before:
        failures.append(f"a refused import wrote: {before} -> {after}; file {data[:300]!r}")
    return outcome


@pytest.mark.usefixtures("orgs")
@pytest.mark.parametrize("what", ["projects", "people"])
def test_hostile_csv_is_refused_line_by_line_and_nothing_is_written(
    app: App, what: str, tmp_path: Path
) -> None:
    failures: list[str] = []
    outcomes: dict[str, int] = {}

    @fuzz_settings(40, 400)
    @given(data=st.data())
    def run(data: st.DataObject) -> None:
        content = data.draw(hostile_file(what))
        path = tmp_path / f"{what}.csv"
        path.write_bytes(content)
        outcome = check_import(app, what, path, content, failures)
        outcomes[outcome] = outcomes.get(outcome, 0) + 1

    run()
    backend = app.store.engine.dialect.name
    detail = ", ".join(f"{k} {v}" for k, v in sorted(outcomes.items()))
    first = f"; first: {failures[0][:300]}" if failures else ""
    record("fuzz", f"CSV import of {what} ({backend}): mutated files", sum(outcomes.values()), len(failures),
           detail + first)  # fmt: skip
    assert failures == [], "\n\n".join(failures[:3])
    assert outcomes.get("refused", 0) > 0
