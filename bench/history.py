"""The history of one case among millions of audit events: p50 and p99 of `queries.history`.

    PYTHONPATH=src python bench/history.py [--sizes 100000,1000000,10000000] [--backend both]
                                           [--samples 500] [--quick] [--json PATH] [--no-record]

For each backend, one fresh database (a SQLite file; the PostgreSQL database of
--postgres-url, default ``pathways_bench_history``, dropped and created again) grown
through the sizes (audit events; default 100k, 1M, 10M; --quick stops at 1M). Each
size adds cases of 12 audit events each (opened, 3 decisions pointing at their stage
entry, 8 notices and messages), written round-robin across the new cases, so the events
of one case lie far apart in the table, as they do when cases run side by side for
months. Bulk writes: COPY on PostgreSQL, executemany in transactions of 50,000 rows on
SQLite; then ANALYZE (PostgreSQL: VACUUM ANALYZE and CHECKPOINT).

At each size: `queries.history(conn, ref)` (what `pathways case history REF --audit`
runs: the case by reference, its events in chain order, actor names, decision values
from the stage entries) in its own read transaction, for --samples random cases drawn
over the whole table, 3 rounds; the figure is the median over the rounds of each
round's p50 and p99, with [min-max]. Aim (issue 8): p99 < 10 ms at 10M events.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from sqlalchemy import Table, event, func, insert, select, text

from common import (
    ROOT,
    BenchDatabase,
    exclusive_run,
    figure,
    fresh_database,
    median,
    percentile,
    publish,
    run_context,
    server_settings,
)
from pathways.bootstrap import App, Clock
from pathways.domain.loader import load_pathway_dir
from pathways.services.casework import opening, queries
from pathways.services.people import directory
from pathways.services.tx import write
from pathways.settings import Settings
from pathways.store.core import AUDIT, CASE, ENTRY

EVENTS_PER_CASE = 12
DECISIONS = (3, 6, 9)  # event numbers of a case that are decisions (one stage entry each)
AIM_MS = 10.0
AIM_EVENTS = 10_000_000
ROUNDS = 3
CHUNK = 50_000
SECRET = "bench-audit-key-not-a-secret-0123456789"
DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/pathways_bench_history"
STAGES = ("intake", "shared_diagnosis", "support_plan", "committee")
OTHER_KINDS = ("notice_sent", "message_delivered", "notice_sent", "message_delivered", "document_rendered")


# --- the data -------------------------------------------------------------------------------


def _hex(n: int) -> str:
    return hashlib.sha256(n.to_bytes(8, "big")).hexdigest()


@dataclass
class Grower:
    """Adds cases, their stage entries and their audit events to reach a number of events."""

    db: BenchDatabase
    org_id: int
    project_id: int
    actors: list[int]
    template: dict[str, Any]  # a real case row, copied for the generated cases
    next_case: int = 0
    next_entry: int = 0
    next_event: int = 0
    next_seq: int = 0
    events: int = 0
    refs: list[str] = field(default_factory=list)
    written_s: float = 0.0
    base: datetime = datetime(2024, 1, 8, 9, 0, tzinfo=UTC)

    def start(self) -> None:
        with self.db.store.read() as conn:
            self.next_case = conn.execute(select(func.max(CASE.c.id))).scalar_one() + 1
            self.next_entry = conn.execute(select(func.max(ENTRY.c.id))).scalar_one() + 1
            self.next_event = conn.execute(select(func.max(AUDIT.c.id))).scalar_one() + 1
            self.next_seq = conn.execute(select(func.max(AUDIT.c.seq))).scalar_one() + 1
            self.events = conn.execute(select(func.count()).select_from(AUDIT)).scalar_one()

    def grow(self, target: int) -> None:
        """Add cases of 12 events until the table holds `target` events."""
        count = max(0, (target - self.events) // EVENTS_PER_CASE)
        if not count:
            return
        t0 = time.perf_counter()
        first_case, first_entry = self.next_case, self.next_entry
        case_rows: list[dict[str, Any]] = []
        entry_rows: list[dict[str, Any]] = []
        for i in range(count):
            cid = first_case + i
            ref = f"BENCH-{cid:08d}"
            opened = self.base + timedelta(minutes=cid)
            case_rows.append(
                {
                    **self.template,
                    "id": cid,
                    "ref": ref,
                    "stage": STAGES[3],
                    "opened_at": opened,
                    "due_at": opened + timedelta(days=90),
                    "current_entry_id": first_entry + i * 4 + 3,
                }
            )
            self.refs.append(ref)
            entry_rows.extend(
                {
                    "id": first_entry + i * 4 + s,
                    "case_id": cid,
                    "seq": s + 1,
                    "stage": STAGES[s],
                    "entered_at": opened + timedelta(days=20 * s),
                    "due_at": opened + timedelta(days=20 * s + 15),
                    "left_at": opened + timedelta(days=20 * s + 12) if s < 3 else None,
                    "outcome": "done" if s < 3 else None,
                    "values": {"met_on": "2026-03-02", "request": "Consolider le modèle économique."}
                    if s < 3
                    else {},
                    "decided_by": self.actors[s % len(self.actors)] if s < 3 else None,
                    "note": None,
                }
                for s in range(4)
            )
        self._bulk(CASE, case_rows)
        self._bulk(ENTRY, entry_rows)
        self._bulk(AUDIT, self._events(first_case, first_entry, count))
        self.next_case += count
        self.next_entry += count * 4
        self.events += count * EVENTS_PER_CASE
        self.written_s += time.perf_counter() - t0

    def _events(self, first_case: int, first_entry: int, count: int) -> Iterator[dict[str, Any]]:
        """Round-robin: event k of every new case, then event k+1 of every new case..."""
        for number in range(EVENTS_PER_CASE):
            for i in range(count):
                cid, event_id, seq = first_case + i, self.next_event, self.next_seq
                self.next_event += 1
                self.next_seq += 1
                at = self.base + timedelta(minutes=cid, days=5 * number)
                ref = f"BENCH-{cid:08d}"
                payload: dict[str, Any]
                if number == 0:
                    kind, payload = "case_opened", {"ref": ref, "pathway": "diagnosis", "stage": STAGES[0]}
                elif number in DECISIONS:
                    s = DECISIONS.index(number)
                    kind = "decision"
                    payload = {
                        "ref": ref,
                        "stage": STAGES[s],
                        "outcome": "done",
                        "entered": STAGES[s + 1],
                        "result": None,
                        "entry": first_entry + i * 4 + s,
                        "fields": ["met_on", "request"],
                        "values_digest": _hex(event_id),
                        "version": s + 2,
                    }
                else:
                    kind = OTHER_KINDS[number % len(OTHER_KINDS)]
                    payload = {
                        "ref": ref,
                        "rule": f"remind:{number % 2}",
                        "template": "reminder",
                        "to": "officer",
                    }
                yield {
                    "id": event_id,
                    "organisation_id": self.org_id,
                    "seq": seq,
                    "case_id": cid,
                    "actor_id": self.actors[number % len(self.actors)] if number in DECISIONS else None,
                    "kind": kind,
                    "effective_at": at,
                    "recorded_at": at,
                    "payload": payload,
                    "prev_digest": _hex(event_id - 1),
                    "digest": _hex(event_id),
                }

    def _bulk(self, table: Table, rows: Any) -> None:
        rows = iter(rows)
        if self.db.backend == "postgres":
            self._copy(table, rows)
            return
        statement = insert(table)
        while True:
            chunk = [row for _, row in zip(range(CHUNK), rows, strict=False)]
            if not chunk:
                return
            with self.db.store.write() as conn:
                conn.execute(statement, chunk)

    def _copy(self, table: Table, rows: Iterator[dict[str, Any]]) -> None:
        names = [c.name for c in table.columns]
        json_columns = {c.name for c in table.columns if "JSON" in type(c.type).__name__.upper()} | {
            "payload",
            "values",
            "data",
        }
        columns = ", ".join(f'"{n}"' for n in names)
        with self.db.store.engine.begin() as conn:
            raw: Any = conn.connection.driver_connection
            with raw.cursor() as cur, cur.copy(f'COPY "{table.name}" ({columns}) FROM STDIN') as copy:
                for row in rows:
                    copy.write_row(
                        [json.dumps(row[n]) if n in json_columns and n in row else row.get(n) for n in names]
                    )

    def settle(self) -> None:
        if self.db.backend == "sqlite":
            with self.db.store.write() as conn:
                conn.exec_driver_sql("ANALYZE")
            with self.db.store.engine.connect() as conn:
                conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
            return
        with self.db.store.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            for table in ("case", "stageentry", "auditevent"):
                conn.exec_driver_sql(
                    f"SELECT setval(pg_get_serial_sequence('\"{table}\"', 'id'), "
                    f'(SELECT max(id) FROM "{table}"))'
                )
            conn.exec_driver_sql("VACUUM ANALYZE")
            conn.exec_driver_sql("CHECKPOINT")


def setup(db: BenchDatabase) -> Grower:
    """One organisation, its people, one real diagnosis case (the template of the generated ones)."""
    settings = Settings(  # type: ignore[call-arg,unused-ignore]
        _env_file=None, environment="test", database_url=db.url, secret_key=SECRET, config_dir=ROOT / "config"
    )
    catalog = load_pathway_dir(ROOT / "config" / "pathways")
    app = App(settings=settings, store=db.store, clock=Clock())
    app.__dict__["catalog"] = catalog
    with write(app) as tx:
        org = directory.add_org(tx, name="France Active (bench)", territory="FR-75")
        actors = [
            directory.add_person(
                tx,
                name=name,
                org=org.id,
                role=role,
                email=f"{name.split()[0].lower()}@example.org",
                language="fr",
                channels=[],
            ).id
            for name, role in (
                ("Camille Martin", "officer"),
                ("Jan Peeters", "officer"),
                ("Dominique Leroy", "manager"),
            )
        ]
        project = directory.add_project(
            tx,
            name="Structure (bench)",
            org=org.id,
            owner=None,
            siret=None,
            bce=None,
            territory=None,
            phase="founded",
            legal_form="association",
            permanent_jobs=2,
        )
    with write(app, actor_id=actors[0]) as tx:
        opened = opening.open_case(tx, catalog, project=project.id, pathway="diagnosis", officer=actors[0])
    with db.store.read() as conn:
        row = dict(conn.execute(select(CASE).where(CASE.c.id == opened.id)).mappings().one())
    grower = Grower(db, org.id, project.id, actors, {k: v for k, v in row.items() if k != "id"})
    grower.start()
    return grower


# --- the figure -----------------------------------------------------------------------------


@dataclass
class Point:
    backend: str
    events: int
    cases: int
    p50: list[float]  # ms, one per round
    p99: list[float]
    max_ms: float
    rows: float  # events per history, mean
    written_s: float
    settings: dict[str, str]
    plan: str = ""
    meter: tuple[float, float, float] = (0.0, 0.0, 0.0)
    empty_p50: list[float] = field(default_factory=list)  # ms: a read transaction of SELECT 1
    empty_p99: list[float] = field(default_factory=list)


def measure(
    grower: Grower, samples: int, rng: random.Random
) -> tuple[list[float], list[float], float, float, list[float], list[float]]:
    store = grower.db.store
    refs = grower.refs
    for ref in rng.sample(refs, min(50, len(refs))):  # warm-up: connections, statement caches
        with store.read() as conn:
            queries.history(conn, ref)
    p50s, p99s, worst, rows = [], [], 0.0, 0
    empty_p50s, empty_p99s = [], []
    clock = time.perf_counter
    one = text("SELECT 1")
    for _ in range(ROUNDS):
        latencies, empties = [], []
        for ref in rng.sample(refs, min(samples, len(refs))):
            t0 = clock()
            with store.read() as conn:
                events = queries.history(conn, ref)
            t1 = clock()
            with store.read() as conn:  # the baseline, interleaved: a read transaction of one statement
                conn.execute(one).scalar_one()
            empties.append((clock() - t1) * 1e3)
            latencies.append((t1 - t0) * 1e3)
            rows += len(events)
        latencies.sort()
        empties.sort()
        p50s.append(percentile(latencies, 0.50))
        p99s.append(percentile(latencies, 0.99))
        empty_p50s.append(percentile(empties, 0.50))
        empty_p99s.append(percentile(empties, 0.99))
        worst = max(worst, latencies[-1])
    mean_rows = rows / (ROUNDS * min(samples, len(refs)))
    return p50s, p99s, worst, mean_rows, empty_p50s, empty_p99s


def metered(grower: Grower, rng: random.Random, count: int = 100) -> tuple[float, float, float]:
    """A further pass, not counted: (statements, ms inside the driver's execute, ms in all) per history."""
    engine = grower.db.store.engine
    spent = [0, 0.0]

    def before(conn: Any, _cursor: Any, _stmt: str, _params: Any, _context: Any, _many: bool) -> None:
        conn.info["bench_t0"] = time.perf_counter()

    def after(conn: Any, _cursor: Any, _stmt: str, _params: Any, _context: Any, _many: bool) -> None:
        spent[0] += 1
        spent[1] += time.perf_counter() - conn.info.pop("bench_t0")

    refs = rng.sample(grower.refs, min(count, len(grower.refs)))
    event.listen(engine, "before_cursor_execute", before)
    event.listen(engine, "after_cursor_execute", after)
    try:
        t0 = time.perf_counter()
        for ref in refs:
            with grower.db.store.read() as conn:
                queries.history(conn, ref)
        total = time.perf_counter() - t0
    finally:
        event.remove(engine, "before_cursor_execute", before)
        event.remove(engine, "after_cursor_execute", after)
    return spent[0] / len(refs), spent[1] / len(refs) * 1e3, total / len(refs) * 1e3


def explain(grower: Grower) -> str:
    """The plan of the events query for one case (PostgreSQL: EXPLAIN ANALYZE BUFFERS)."""
    case_id = int(grower.refs[len(grower.refs) // 2].split("-")[1])
    query = f"SELECT * FROM auditevent WHERE case_id = {case_id} ORDER BY organisation_id, seq"
    with grower.db.store.engine.connect() as conn:
        if grower.db.backend == "postgres":
            return "\n".join(conn.execute(text(f"EXPLAIN (ANALYZE, BUFFERS) {query}")).scalars())
        return "\n".join(str(r[-1]) for r in conn.execute(text(f"EXPLAIN QUERY PLAN {query}")))


def run_backend(backend: str, args: argparse.Namespace) -> list[Point]:
    db = fresh_database(backend, postgres_url=args.postgres_url)
    points: list[Point] = []
    rng = random.Random(8)
    try:
        grower = setup(db)
        settings = server_settings(db.store)
        for size in args.sizes:
            print(f"[{backend}] growing to {size:,} audit events ...", flush=True)
            grower.grow(size)
            grower.settle()
            p50, p99, worst, rows, empty_p50, empty_p99 = measure(grower, args.samples, rng)
            point = Point(
                backend,
                grower.events,
                len(grower.refs),
                p50,
                p99,
                worst,
                rows,
                grower.written_s,
                settings,
                explain(grower),
                metered(grower, rng),
                empty_p50,
                empty_p99,
            )
            points.append(point)
            print(
                f"[{backend}] {point.events:,} events ({point.cases:,} cases): p50 {median(p50):.2f} ms, "
                f"p99 {median(p99):.2f} ms, max {worst:.1f} ms (load {os.getloadavg()[0]:.1f}); "
                f"written so far in {grower.written_s:.0f} s",
                flush=True,
            )
    finally:
        db.close()
    return points


def figures(points: list[Point]) -> list[dict[str, object]]:
    out: list[dict[str, object]] = []
    for p in points:
        for stat, values, empty in (("p50", p.p50, p.empty_p50), ("p99", p.p99, p.empty_p99)):
            out.append(
                figure(
                    "history",
                    f"case history {stat} (N = audit events)",
                    p.backend,
                    p.events,
                    "ms",
                    values,
                    baseline=(f"read transaction of SELECT 1, {stat}", median(empty)),
                )
            )
    return out


def report(points: list[Point], args: argparse.Namespace) -> str:
    ctx = run_context()
    lines = [
        f"## History of one case among millions of audit events ({'quick' if args.quick else 'full'} run)",
        "",
        f"- machine: {ctx['machine']}",
        f"- date: {ctx['date']}; commit {ctx['commit']}; {ctx['python']}",
        f"- command: `{ctx['command']}`",
    ]
    seen: set[str] = set()
    for p in points:
        if p.backend not in seen:
            seen.add(p.backend)
            lines.append(f"- {p.backend}: " + ", ".join(f"{k} {v}" for k, v in p.settings.items()))
    lines += [
        "",
        (
            "| backend | audit events | cases | events per history | p50 ms median [min–max] "
            "| **p99 ms** median [min–max] | max ms | SELECT 1 read p50 / p99 ms "
            "| statements: in driver / all, ms | written (cumulative) |"
        ),
        "|---|---:|---:|---:|---|---|---:|---|---|---:|",
    ]
    lines += [
        f"| {p.backend} | {p.events:,} | {p.cases:,} | {p.rows:.1f} "
        f"| {median(p.p50):.2f} [{min(p.p50):.2f}–{max(p.p50):.2f}] "
        f"| **{median(p.p99):.2f}** [{min(p.p99):.2f}–{max(p.p99):.2f}] "
        f"| {p.max_ms:.1f} | {median(p.empty_p50):.2f} / {median(p.empty_p99):.2f} "
        f"| {p.meter[0]:.0f}: {p.meter[1]:.2f} / {p.meter[2]:.2f} | {p.written_s:.0f} s |"
        for p in points
    ]
    lines += ["", "### Aim: p99 < 10 ms at 10M audit events", ""]
    for backend in dict.fromkeys(p.backend for p in points):
        largest = max((p for p in points if p.backend == backend), key=lambda p: p.events)
        p99 = median(largest.p99)
        where = "" if largest.events >= AIM_EVENTS else f" (largest size measured: {largest.events:,} events)"
        verdict = (
            f"met: {p99:.2f} ms, {AIM_MS / p99:.1f}× under the aim{where}"
            if p99 < AIM_MS
            else f"**missed** by {p99 - AIM_MS:.2f} ms ({p99:.2f} ms){where}"
        )
        lines.append(f"- {backend}: {verdict}")
    lines += [
        "",
        (
            f"Each history: `queries.history(conn, ref)` in its own `Store.read()` transaction, timed from "
            f"checkout to rollback; {args.samples} random cases per round, {ROUNDS} rounds, after 50 "
            "warm-up calls; the database is warm (just written, in the OS cache). Events of one case are "
            "written round-robin across the cases of a size step, so each lies on a different page. "
            "Figures taken under load (2 cores shared with other engineers' runs): read the cost curve "
            "(the same query at growing sizes in the same run) rather than the absolute milliseconds. "
            "SELECT 1 read: after each history, a read transaction of one `SELECT 1` on the same "
            "store (the baseline: what any read costs here, round trips and scheduling included). "
            "statements: per history, from a further metered pass of 100 histories (not counted): how "
            "many statements `queries.history` runs, the time inside the driver's execute (round trip "
            "and server) and the whole call (BEGIN, isolation level and ROLLBACK included); the plan "
            "below shows the server's own share."
        ),
    ]
    for p in points:
        if p is max((q for q in points if q.backend == p.backend), key=lambda q: q.events):
            lines += ["", f"Plan of the events query on {p.backend} at {p.events:,} events:", "", "```"]
            lines += [p.plan, "```"]
    return "\n".join(lines)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--sizes", default=None, help="audit events, comma-separated (100000,1000000,10000000)"
    )
    parser.add_argument("--backend", choices=("sqlite", "postgres", "both"), default="both")
    parser.add_argument(
        "--samples", type=int, default=None, help="histories per round (1000; 300 with --quick)"
    )
    parser.add_argument("--quick", action="store_true", help="sizes 100k and 1M, 300 histories per round")
    parser.add_argument("--json", metavar="PATH", default=None, help="also write the figures as JSON")
    parser.add_argument("--postgres-url", default=DEFAULT_URL)
    parser.add_argument("--no-record", action="store_true", help="print only; leave bench/RESULTS.md alone")
    args = parser.parse_args(argv)
    sizes = args.sizes or ("100000,1000000" if args.quick else "100000,1000000,10000000")
    try:
        args.sizes = sorted(int(s.replace("_", "")) for s in sizes.split(","))
    except ValueError:
        parser.error(f"--sizes: comma-separated whole numbers of audit events, not {sizes!r}")
    if args.sizes[0] < EVENTS_PER_CASE * 10:
        parser.error(f"--sizes: at least {EVENTS_PER_CASE * 10} audit events")
    if args.samples is None:
        args.samples = 300 if args.quick else 1000
    if args.samples < 1:
        parser.error("--samples must be at least 1")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    backends = ["sqlite", "postgres"] if args.backend == "both" else [args.backend]
    with exclusive_run():
        points = [p for backend in backends for p in run_backend(backend, args)]
        publish(
            "history",
            report(points, args),
            figures=figures(points),
            json_path=args.json,
            no_record=args.no_record,
            quick=args.quick,
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
