"""What every benchmark shares: fresh databases, the run's context and the results file.

Nothing here knows about a particular benchmark. A benchmark builds its databases
with :func:`fresh_database`, describes the run with :func:`run_context` and
writes its section of ``bench/RESULTS.md`` with :func:`record`, which replaces
only the section between its markers and keeps everything else (hand-written
analysis, other benchmarks' sections).
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import math
import os
import platform
import re
import shlex
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "RESULTS.md"
DEFAULT_POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/pathways_bench_decide"

# Runnable from a checkout without installing the package (PYTHONPATH=src does the same).
if str(ROOT / "src") not in sys.path:
    try:
        import pathways.bootstrap  # noqa: F401
    except ImportError:
        sys.path.insert(0, str(ROOT / "src"))

from sqlalchemy import create_engine, event, make_url, text  # noqa: E402
from sqlalchemy.pool import NullPool  # noqa: E402

from pathways.store.db import Store, init_database  # noqa: E402

# --- one run at a time ---------------------------------------------------------------------


@contextlib.contextmanager
def exclusive_run(name: str = "pathways-bench") -> Iterator[None]:
    """Wait until no other benchmark runs on this machine (they would share CPU and database)."""
    path = Path(tempfile.gettempdir()) / f"{name}.lock"
    with path.open("w") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            print(f"waiting for another benchmark run to finish (lock {path}) ...", flush=True)
            fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


# --- databases -----------------------------------------------------------------------------


@dataclass
class BenchDatabase:
    """A freshly migrated database for one benchmark run, and how to throw it away."""

    backend: str  # "sqlite" | "postgres"
    url: str
    store: Store
    tmpdir: tempfile.TemporaryDirectory[str] | None = None

    def close(self) -> None:
        """Close the pool and delete the SQLite file (a PostgreSQL database stays for inspection)."""
        self.store.dispose()
        if self.tmpdir is not None:
            self.tmpdir.cleanup()


def fresh_database(backend: str, *, postgres_url: str = DEFAULT_POSTGRES_URL) -> BenchDatabase:
    """An empty database at the latest migration: a SQLite file in a temporary directory,
    or the PostgreSQL database named in `postgres_url`, dropped and created again."""
    if backend == "sqlite":
        tmpdir = tempfile.TemporaryDirectory(prefix="pathways-bench-")
        url = f"sqlite:///{Path(tmpdir.name) / 'bench.db'}"
        store = Store.from_url(url)
        init_database(store)
        return BenchDatabase(backend, url, store, tmpdir)
    if backend == "postgres":
        parsed = make_url(postgres_url)
        name = parsed.database
        if (
            not name
            or not re.fullmatch(r"[a-z_][a-z0-9_]*", name)
            or name in {"postgres", "template0", "template1"}
        ):
            raise SystemExit(
                f"refusing to drop and recreate database {name!r}: name a dedicated one "
                "(e.g. pathways_bench_decide)"
            )
        admin = create_engine(
            parsed.set(database="postgres"), isolation_level="AUTOCOMMIT", poolclass=NullPool
        )
        try:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
                conn.execute(text(f'CREATE DATABASE "{name}"'))
        finally:
            admin.dispose()
        store = Store.from_url(parsed)
        init_database(store)
        return BenchDatabase(backend, parsed.render_as_string(hide_password=True), store)
    raise SystemExit(f"unknown backend {backend!r}: sqlite or postgres")


# --- where the time goes: statements metered inside the driver -----------------------------

_VERB = re.compile(r"\s*(\w+)")
_TARGET = re.compile(r'\b(?:FROM|INTO|UPDATE)\s+"?(\w+)', re.IGNORECASE)


def _label(statement: str) -> str:
    """'SELECT case', 'INSERT stageentry', 'BEGIN': what a statement does to which table."""
    found = _VERB.match(statement)
    verb = found.group(1).upper() if found else "?"
    target = _TARGET.search(statement)
    return (
        f"{verb} {target.group(1)}" if target and verb in {"SELECT", "INSERT", "UPDATE", "DELETE"} else verb
    )


@dataclass
class SqlMeter:
    """Statements executed and time spent inside the driver (COMMIT only when asked for).

    Every statement runs through SQLAlchemy and is seen by its cursor events. With ``commits``,
    each COMMIT's time in the driver too (label ``COMMIT``; not counted as a statement); with
    ``rollbacks``, each ROLLBACK's (``ROLLBACK``).
    """

    statements: int = 0
    seconds: float = 0.0
    by_label: dict[str, list[float]] = field(default_factory=dict)  # label -> [count, seconds]

    def add(self, label: str, seconds: float, *, statement: bool = True) -> None:
        self.statements += statement
        self.seconds += seconds
        slot = self.by_label.setdefault(label, [0, 0.0])
        slot[0] += 1
        slot[1] += seconds


@contextlib.contextmanager
def sql_meter(store: Store, *, commits: bool = False, rollbacks: bool = False) -> Iterator[SqlMeter]:
    """Meter every statement run on the store's engine while active (COMMIT, ROLLBACK if asked)."""
    meter = SqlMeter()
    engine = store.engine

    def before(conn: Any, _cursor: Any, _stmt: str, _params: Any, _context: Any, _many: bool) -> None:
        conn.info["bench_t0"] = time.perf_counter()

    def after(conn: Any, _cursor: Any, stmt: str, _params: Any, _context: Any, _many: bool) -> None:
        meter.add(_label(stmt), time.perf_counter() - conn.info.pop("bench_t0"))

    dialect = engine.dialect

    def timed(label: str, plain: Callable[[Any], None]) -> Callable[[Any], None]:
        def run(dbapi_connection: Any) -> None:
            started = time.perf_counter()
            plain(dbapi_connection)
            meter.add(label, time.perf_counter() - started, statement=False)

        return run

    event.listen(engine, "before_cursor_execute", before)
    event.listen(engine, "after_cursor_execute", after)
    if commits:  # the engine's dialect object, for the meter's lifetime only
        dialect.do_commit = timed("COMMIT", dialect.do_commit)  # type: ignore[method-assign,assignment]
    if rollbacks:
        dialect.do_rollback = timed("ROLLBACK", dialect.do_rollback)  # type: ignore[method-assign,assignment]
    try:
        yield meter
    finally:
        if commits:
            del dialect.do_commit  # the class's method again
        if rollbacks:
            del dialect.do_rollback
        event.remove(engine, "before_cursor_execute", before)
        event.remove(engine, "after_cursor_execute", after)


def server_settings(store: Store) -> dict[str, str]:
    """Version and durability settings that decide commit cost (reported next to the figures)."""
    with store.read() as conn:
        if store.dialect == "sqlite":
            return {
                "version": conn.exec_driver_sql("select sqlite_version()").scalar_one(),
                "journal_mode": conn.exec_driver_sql("PRAGMA journal_mode").scalar_one(),
                "synchronous": {0: "OFF", 1: "NORMAL", 2: "FULL", 3: "EXTRA"}[
                    conn.exec_driver_sql("PRAGMA synchronous").scalar_one()
                ],
            }
        settings = {"version": conn.exec_driver_sql("SHOW server_version").scalar_one()}
        for name in ("fsync", "synchronous_commit", "wal_sync_method", "shared_buffers"):
            settings[name] = conn.exec_driver_sql(f"SHOW {name}").scalar_one()
        return settings


# --- the run -------------------------------------------------------------------------------


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _ram() -> str:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
    except OSError:
        pass
    return "unknown"


def _git_commit() -> str:
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True, check=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no", "--", "src", "config"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return f"{commit} (src/ or config/ modified)" if dirty else commit


def run_context() -> dict[str, str]:
    """Machine, date, commit and interpreter: the header of every recorded result."""
    return {
        "machine": (
            f"{_cpu_model()}, {os.cpu_count()} cores, {_ram()} RAM, {platform.system()} {platform.release()}"
        ),
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "commit": _git_commit(),
        "python": f"{platform.python_implementation()} {platform.python_version()}",
        "sqlite": f"{sqlite3.sqlite_version} (Python sqlite3 module)",
        "command": " ".join(shlex.quote(a) for a in [Path(sys.executable).name, *sys.argv]),
    }


# --- statistics ----------------------------------------------------------------------------


def percentile(sorted_values: Sequence[float], fraction: float) -> float:
    """The nearest-rank percentile of already sorted values."""
    if not sorted_values:
        return float("nan")
    rank = max(1, min(len(sorted_values), round(fraction * len(sorted_values) + 0.5)))
    return sorted_values[rank - 1]


def median(values: Sequence[float]) -> float:
    """The median (of the repetitions' rates)."""
    return statistics.median(values)


# --- the results file ----------------------------------------------------------------------


def record(section: str, body: str, *, path: Path = RESULTS, title: str = "# Benchmark results") -> None:
    """Replace the section `section` of the results file with `body` (appended when new)."""
    start, end = f"<!-- bench:{section}:start -->", f"<!-- bench:{section}:end -->"
    block = f"{start}\n{body.rstrip()}\n{end}"
    current = path.read_text() if path.exists() else f"{title}\n\n"
    pattern = re.compile(re.escape(start) + r".*?" + re.escape(end), re.DOTALL)
    if pattern.search(current):
        updated = pattern.sub(lambda _m: block, current, count=1)
    else:
        updated = current.rstrip() + "\n\n" + block + "\n"
    path.write_text(updated)


# --- machine-readable figures (`--json PATH`, read by bench/run.py) ------------------------


def figure(
    bench: str,
    name: str,
    backend: str,
    cases: int,
    unit: str,
    values: Sequence[float],
    *,
    baseline: tuple[str, float] | None = None,
) -> dict[str, object]:
    """One figure of the `--json` contract: the median of `values` (one per run) and its spread.

    `baseline` is (name, median) of what the figure is compared with in the same run;
    the ratio is the figure's median over the baseline's.
    """
    if not values:
        raise ValueError(f"figure {bench}/{name}: no values")
    mid = median(values)
    return {
        "bench": bench,
        "name": name,
        "backend": backend,
        "cases": cases,
        "unit": unit,
        "median": mid,
        "spread": [min(values), max(values)],
        "runs": len(values),
        "baseline": {"name": baseline[0], "median": baseline[1]} if baseline else None,
        "ratio": mid / baseline[1] if baseline and baseline[1] else None,
    }


def write_figures(path: Path | str, figures: Sequence[dict[str, object]]) -> None:
    """Write the figures of a run as a JSON list (the `--json PATH` contract)."""
    Path(path).write_text(json.dumps(list(figures), indent=2) + "\n")


def publish(
    section: str,
    text: str,
    *,
    figures: Sequence[dict[str, object]],
    json_path: Path | str | None,
    no_record: bool,
    quick: bool,
) -> None:
    """Print a run's whole report, write its figures for `--json`, and record them, compact,
    in bench/RESULTS.md (section `section`: the script's latest run)."""
    print("\n" + text)
    if json_path:
        write_figures(json_path, figures)
    if not no_record:
        record_run(section, figures, quick=quick)
        print("\nfigures recorded in bench/RESULTS.md")


# --- a run's figures in bench/RESULTS.md --------------------------------------------------------


def fmt_number(value: float) -> str:
    """A figure as a reader wants it: 2,027 · 63.3 · 0.48 · 0.000419."""
    if not math.isfinite(value):
        return str(value)
    if abs(value) >= 100:
        return f"{value:,.0f}"
    if abs(value) >= 10:
        return f"{value:.1f}"
    return f"{value:.2f}" if abs(value) >= 0.1 else f"{value:.3g}"


def short_command(command: str) -> str:
    """The command as a reader would type it: `python bench/NAME.py ...`, without `--json PATH`."""
    words, shown = shlex.split(command), []
    skip = False
    for word in words:
        if skip:
            skip = False
        elif word == "--json":
            skip = True
        elif not word.startswith("--json="):
            shown.append(f"bench/{Path(word).name}" if word.endswith(".py") else word)
    return " ".join(shlex.quote(w) for w in shown)


def _cell(f: Mapping[str, Any]) -> str:
    low, high = (fmt_number(float(v)) for v in f["spread"])
    cell = f"**{fmt_number(float(f['median']))}**" + (f" [{low}–{high}]" if low != high else "")
    return cell + (f" · **{float(f['ratio']):.2f}×**" if f["ratio"] is not None else "")


_PERCENTILE = re.compile(r"\b(p50|p99)\b")


def figures_block(
    figures: Sequence[Mapping[str, Any]], *, quick: bool, context: Mapping[str, str] | None = None
) -> str:
    """A run's figures, compact: one line saying which run, then a row per figure with a column
    per backend (median [min–max] over the runs, and the ratio to its baseline of the same run);
    a figure's p50 and p99 share a row ("p50 / p99")."""
    ctx = context or run_context()
    mode = "quick" if quick else "full"
    run = f"{ctx['date']}, commit {ctx['commit']}, {ctx['machine']}, {ctx['python']}"
    lines = [f"Latest run ({mode}): {run}; `{short_command(ctx['command'])}`.", ""]
    if not figures:
        return "\n".join([*lines, "No figures in this run."])
    backends = list(dict.fromkeys(str(f["backend"]) for f in figures))
    rows: dict[tuple[str, int, int, str], dict[str, list[Mapping[str, Any]]]] = {}
    for f in figures:
        key = (_PERCENTILE.sub("p50 / p99", str(f["name"])), int(f["cases"]), int(f["runs"]), str(f["unit"]))
        rows.setdefault(key, {}).setdefault(str(f["backend"]), []).append(f)
    lines += [
        "| figure (÷ baseline, same run) | N ×runs | unit | " + " | ".join(backends) + " |",
        "|---|---:|---|" + "---|" * len(backends),
    ]
    for (name, cases, runs, unit), by_backend in rows.items():
        paired = all(len(fs) == 2 for fs in by_backend.values())  # else its own name: "p99" alone
        first = next(iter(by_backend.values()))[0]
        base = next((f["baseline"] for fs in by_backend.values() for f in fs if f["baseline"]), None)
        label = name if paired else str(first["name"])
        if base:
            label += f" ÷ {_PERCENTILE.sub('p50 / p99', str(base['name'])) if paired else base['name']}"
        cells = [" / ".join(map(_cell, by_backend[b])) if b in by_backend else "–" for b in backends]
        lines.append(f"| {label} | {cases:,} ×{runs} | {unit} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def record_run(
    section: str,
    figures: Sequence[Mapping[str, Any]],
    *,
    quick: bool,
    context: Mapping[str, str] | None = None,
    path: Path = RESULTS,
) -> None:
    """Record a run's figures, compact, as section `section` of the results file: the script's
    latest run, quick or full (its whole report is what it prints; `bench/run.py` keeps the aims)."""
    record(section, figures_block(figures, quick=quick, context=context), path=path)


def place_section_first(section: str, *, path: Path = RESULTS, title: str = "# Benchmark results") -> None:
    """Make sure section `section` exists right under the results file's title (empty when new);
    :func:`record` then rewrites it in place."""
    start, end = f"<!-- bench:{section}:start -->", f"<!-- bench:{section}:end -->"
    current = path.read_text() if path.exists() else f"{title}\n"
    if start in current and end in current:
        return
    lines = current.splitlines()
    head = 1 if lines and lines[0].startswith("# ") else 0
    placed = [*lines[:head], "", start, end, "", *lines[head:]]
    path.write_text("\n".join(placed).rstrip() + "\n")
