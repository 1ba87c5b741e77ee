"""Time to check and import a clean projects CSV of 10,000 rows, on SQLite and PostgreSQL.

    python bench/import.py [--rows 10000] [--backend sqlite|postgres|both] [--reps 3] [--no-record]

For each backend and repetition, on a freshly migrated database (migration not timed):
two organisations (FR-75, BE-WAL) and one project owner, then
``importing.import_projects`` on a generated file (the one the integration test
uses: two thirds French rows with a SIRET, one third Belgian rows with a BCE
number, an owner named on every tenth row). Timed from the call to its return:

- check: reading, decoding and checking every row (up to the last "check" progress call);
- import: inserting the rows in batches and the audit events, and the commit;
- refused: the same file with 3 bad rows, checked and refused (nothing written).

Figures are the median of the repetitions, with [min-max].
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import ROOT, exclusive_run, fresh_database, median, record, run_context, server_settings

sys.path.insert(0, str(ROOT / "tests"))

from import_data import project_rows, siret, write_csv
from pathways.bootstrap import App, Clock
from pathways.services.exchange import importing
from pathways.services.people import directory
from pathways.services.tx import write
from pathways.settings import load_settings

POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/pathways_bench_import"
COLUMNS = (
    "backend",
    "rows",
    "check (s)",
    "insert + audit + commit (s)",
    "total (s)",
    "rows/s",
    "refused, 3 bad rows (s)",
)
HEADER = "| " + " | ".join(COLUMNS) + " |"
BAD = {1234: {"siret": "73282932000075"}, 5000: {"territory": "FR-999"}, 9997: {"siret": siret(16)}}


@dataclass
class Result:
    backend: str
    rows: int
    check: list[float] = field(default_factory=list)
    insert: list[float] = field(default_factory=list)
    total: list[float] = field(default_factory=list)
    refused: list[float] = field(default_factory=list)
    settings: dict[str, str] = field(default_factory=dict)


def _app(store: object) -> App:
    settings = load_settings(config_dir=ROOT / "config", environment="test")
    app = App(settings=settings, store=store, clock=Clock())  # type: ignore[arg-type]
    with write(app) as tx:
        org = directory.add_org(tx, name="DLA Paris", territory="FR-75").id
        directory.add_org(tx, name="SAW-B", territory="BE-WAL")
        directory.add_person(
            tx, name="Awa Diallo", org=org, role="owner", email="awa@example.org", language="fr", channels=[]
        )
    return app


def run_backend(backend: str, args: argparse.Namespace, folder: Path) -> Result:
    rows = project_rows(args.rows, fr_org="dla-paris", be_org="SAW-B", owner="awa@example.org")
    clean = write_csv(folder / "clean.csv", rows)
    bad = write_csv(folder / "bad.csv", rows, bad={i: v for i, v in BAD.items() if i < args.rows})
    result = Result(backend, args.rows)
    for rep in range(args.reps):
        db = fresh_database(backend, postgres_url=POSTGRES_URL)
        try:
            app = _app(db.store)
            result.settings = server_settings(db.store)
            start = time.perf_counter()
            try:
                importing.import_projects(app, bad)
            except importing.ImportRefused:
                result.refused.append(time.perf_counter() - start)
            checked: list[float] = []

            def progress(phase: str, done: int, total: int) -> None:
                if phase == "check" and done == total:
                    checked.append(time.perf_counter())  # noqa: B023  read right after the call below

            start = time.perf_counter()
            report = importing.import_projects(app, clean, progress=progress)
            end = time.perf_counter()
            assert report.imported == args.rows, report
            result.check.append(checked[-1] - start)
            result.insert.append(end - checked[-1])
            result.total.append(end - start)
            print(
                f"{backend} rep {rep + 1}: check {result.check[-1]:.2f} s, import {result.insert[-1]:.2f} s, "
                f"total {result.total[-1]:.2f} s; refused file {result.refused[-1]:.2f} s",
                flush=True,
            )
        finally:
            db.close()
    return result


def _cell(values: list[float]) -> str:
    return f"**{median(values):.2f}** [{min(values):.2f}–{max(values):.2f}]"


def report(results: list[Result], args: argparse.Namespace) -> str:
    ctx = run_context()
    lines = [
        "## CSV import of projects",
        "",
        f"- machine: {ctx['machine']}",
        f"- date: {ctx['date']}",
        f"- commit: {ctx['commit']}",
        f"- versions: Python {ctx['python'].split()[-1]}, SQLite {ctx['sqlite']}"
        + "".join(f", PostgreSQL {r.settings['version']}" for r in results if r.backend == "postgres"),
        f"- command: `{ctx['command']}`",
        (
            f"- file: {args.rows:,} generated rows, 11 columns (tests/import_data.py), one transaction; "
            f"median of {args.reps} repetitions [min–max], each on a fresh database"
        ),
        "",
        HEADER,
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        rate = r.rows / median(r.total)
        lines.append(
            f"| {r.backend} | {r.rows:,} | {_cell(r.check)} | {_cell(r.insert)} | {_cell(r.total)} "
            f"| {rate:,.0f} | {_cell(r.refused)} |"
        )
    lines += [
        "",
        (
            "check: read, decode and check every row (SIRET/BCE check digits, territory, phase, "
            "organisation and owner looked up, duplicates in the file and in the database). insert: "
            "executemany in batches of 1,000 with ids taken beforehand (PostgreSQL sequence, SQLite "
            "max(id)), one `projects_imported` audit event per organisation, commit. refused: the same file "
            "with 3 bad rows, every row checked, nothing written."
        ),
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--backend", choices=("sqlite", "postgres", "both"), default="both")
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--no-record", action="store_true", help="print only; leave bench/RESULTS.md alone")
    args = parser.parse_args(argv)
    backends = ["sqlite", "postgres"] if args.backend == "both" else [args.backend]
    with exclusive_run(), tempfile.TemporaryDirectory(prefix="pathways-import-") as folder:
        results = [run_backend(backend, args, Path(folder)) for backend in backends]
    text = report(results, args)
    print("\n" + text)
    if not args.no_record:
        record("import", text)
        print("\nrecorded in bench/RESULTS.md")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
