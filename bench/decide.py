"""Decisions per second, each its own transaction, against the raw insert rate of the same database.

    PYTHONPATH=src python bench/decide.py [--cases 10000] [--backend sqlite|postgres|both] [--quick]
                                          [--reps 3] [--profile cprofile|pyinstrument] [--no-record]
                                          [--json PATH]

--quick: N=300 per repetition (a smoke run of under two minutes for both backends).
--json PATH: also write the figures as a JSON list (the bench/run.py suite contract), each
``{"bench": "decide", "name", "backend", "cases", "unit", "median", "spread": [min, max],
"runs", "baseline": {"name", "median"} | null, "ratio": float | null}``.

For each backend, in one process and one fresh database (a SQLite file in a temporary
directory; the PostgreSQL database of --postgres-url, default ``pathways_bench_decide``,
dropped and created again):

1. setup (timed, not the figure): migrate; one organisation (FR-75), one officer,
   N x reps (+ warm-up, + profile) projects and as many diagnosis cases opened through
   ``opening.open_case`` in transactions of 1,000; then what a running server would have
   done meanwhile (SQLite WAL checkpoint; PostgreSQL VACUUM ANALYZE and CHECKPOINT);
2. warm-up: a few decisions with every SQL statement counted and timed;
3. each repetition: the raw baseline (N transactions), N decisions on fresh cases, the
   decision-rows baseline (N transactions). A decision is ``cases.decide`` at the
   pathway's first stage with the outcome given (intake -> relevant), with a valid
   value for every field the spec lists for that stage and outcome (generated from
   the field types, so the bench follows the file), inside its own ``tx.write``
   transaction, committed before the next one starts;
4. with --profile, a profiled pass on further fresh cases (not counted).

The raw baseline is plain SQLAlchemy Core on the same database (default engine
options, the application's SQLite pragmas): each transaction inserts one stage-entry
row and one audit-event row (the same columns, types and indexes as ``stageentry``
and ``auditevent``, foreign keys left out) and commits. The ratio is decisions/s over
that rate. The decision-rows baseline inserts, per transaction, every row the decision
inserts (entry, the entered stage's notices, audit event, its outbox jobs), for context.

Figures are the median over the repetitions with [min-max]; latencies are p50 and p99
over all decisions of all repetitions (commit included). Only one benchmark runs at a
time on the machine (a lock in the temporary directory); the whole report is printed, and
the figures, compact, replace the section ``decide`` of bench/RESULTS.md (the latest run).
"""

from __future__ import annotations

import argparse
import cProfile
import functools
import io
import json
import os
import pstats
import sys
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from sqlalchemy import Column, Index, MetaData, Table, UniqueConstraint, create_engine, insert

from common import (
    DEFAULT_POSTGRES_URL,
    ROOT,
    BenchDatabase,
    SqlMeter,
    exclusive_run,
    fresh_database,
    median,
    percentile,
    record_run,
    run_context,
    server_settings,
    sql_meter,
)
from pathways.bootstrap import App, Clock
from pathways.domain.loader import PathwayCatalog, load_pathway_dir
from pathways.domain.spec import FieldSpec, FieldType, PathwaySpec
from pathways.services.casework import cases, opening
from pathways.services.people import directory
from pathways.services.tx import write
from pathways.settings import Settings
from pathways.store.core import AUDIT, ENTRY, JOB, NOTICE
from pathways.store.db import Store

AIMS = {"sqlite": 1000.0, "postgres": 500.0}  # decisions/s, issues 2 and 8
AIM_RATIO = 0.25  # of the raw insert rate, issue 8
SETUP_BATCH = 1000  # projects / cases opened per setup transaction
WARMUP = 200
CONC_WARMUP = 50  # decisions per connection before the concurrent repetitions
CONNECTIONS = 4  # the concurrent part on PostgreSQL (--connections)
CONC_MAX = 4000  # decisions per repetition of the concurrent part, at most
SECRET = "bench-audit-key-not-a-secret-0123456789"


# --- decision values from the pathway file --------------------------------------------------


def _valid_scalar(kind: FieldType, spec: FieldSpec, *, today: date, person: int, choice: str | None) -> Any:
    """A valid value of one scalar field, as a person would type it (CLI `--set`)."""
    if kind in (FieldType.TEXT, FieldType.PERSON):
        if kind is FieldType.PERSON:
            return str(person)
        value = "Accompagner la structure dans la consolidation de son modèle économique."
        return value[: spec.max_length] if spec.max_length else value
    if kind in (FieldType.INTEGER, FieldType.DECIMAL, FieldType.MONEY):
        low = spec.min if spec.min is not None else 0
        number = max(low, 3)
        if spec.max is not None:
            number = min(number, spec.max)
        return str(number)
    if kind is FieldType.DATE:
        return today.isoformat()
    if kind is FieldType.BOOLEAN:
        return "true"
    if kind is FieldType.CHOICE:
        return choice
    if kind is FieldType.SIREN:
        return "732829320"
    if kind is FieldType.SIRET:
        return "73282932000074"
    if kind is FieldType.BCE:
        return "0403170701"
    raise SystemExit(f"bench cannot make up a value of type {kind}")


def decision_values(
    spec: PathwaySpec, stage_id: str, outcome: str, *, today: date, person: int
) -> dict[str, Any]:
    """A value for every field of the stage and outcome (required or not): a complete record."""
    stage = spec.stage(stage_id)
    values: dict[str, Any] = {}
    for name, fspec in stage.fields_for(outcome).items():
        first_choice = next(iter(fspec.choices)) if fspec.choices else None
        if fspec.type is FieldType.LIST:
            assert fspec.items is not None
            item = _valid_scalar(fspec.items, fspec, today=today, person=person, choice=first_choice)
            values[name] = [item, item] if fspec.items is not FieldType.DATE else [today.isoformat()] * 2
        else:
            values[name] = _valid_scalar(fspec.type, fspec, today=today, person=person, choice=first_choice)
    return values


# --- setup ----------------------------------------------------------------------------------


@dataclass
class Bench:
    """One backend's database, application and the ids the decisions need."""

    db: BenchDatabase
    app: App
    catalog: PathwayCatalog
    spec: PathwaySpec
    officer_id: int
    case_ids: list[int] = field(default_factory=list)
    setup_s: float = 0.0
    opened_per_s: float = 0.0
    # The concurrent part: (officer id, case ids) of each organisation, one per connection.
    orgs: list[tuple[int, list[int]]] = field(default_factory=list)

    def of(self, officer_id: int) -> Bench:
        """The same bench acting as another organisation's officer."""
        return Bench(self.db, self.app, self.catalog, self.spec, officer_id)


def make_app(db: BenchDatabase, catalog: PathwayCatalog) -> App:
    """The App a CLI command builds, on the bench database, with the catalogue loaded without templates."""
    settings = Settings(
        _env_file=None, environment="test", database_url=db.url, secret_key=SECRET, config_dir=ROOT / "config"
    )
    app = App(settings=settings, store=db.store, clock=Clock())
    app.__dict__["catalog"] = catalog  # App.catalog is a cached_property that would also check templates
    return app


def _organisation(app: App, number: int) -> tuple[int, int]:
    """(organisation id, officer id) of a new support organisation."""
    with write(app) as tx:
        org = directory.add_org(tx, name=f"DLA {number} (bench)", territory="FR-75")
        officer = directory.add_person(
            tx,
            name=f"Camille Martin {number}",
            org=org.id,
            role="officer",
            email=f"camille.martin.{number}@example.org",
            language="fr",
            channels=[],
        )
    return org.id, officer.id


def _open_cases(
    app: App, catalog: PathwayCatalog, pathway: str, org: int, officer: int, count: int
) -> list[int]:
    """`count` projects of `org` and a case of `pathway` for each, in transactions of SETUP_BATCH."""
    spec = catalog.get(pathway)
    # A phase and a legal form that every pathway in the bench accepts at intake.
    phase = (spec.lifecycle.requires or ("founded",))[0]
    phase = getattr(phase, "value", phase)
    case_ids: list[int] = []
    for start in range(0, count, SETUP_BATCH):
        with write(app, actor_id=officer) as tx:
            for i in range(start, min(start + SETUP_BATCH, count)):
                created = directory.add_project(
                    tx,
                    name=f"Structure {org}-{i:06d}",
                    org=org,
                    owner=None,
                    siret=None,
                    bce=None,
                    territory=None,
                    phase=phase,
                    legal_form="association",
                    permanent_jobs=2,
                )
                opened = opening.open_case(tx, catalog, project=created.id, pathway=pathway, officer=officer)
                case_ids.append(opened.id)
    return case_ids


def setup(
    backend: str,
    catalog: PathwayCatalog,
    *,
    pathway: str,
    cases_needed: int,
    postgres_url: str,
    orgs: int = 0,
    per_org: int = 0,
) -> Bench:
    """A fresh database with one organisation, one officer and `cases_needed` open cases; and, for
    the concurrent part, `orgs` organisations more with `per_org` cases each (opened in parallel)."""
    started = time.perf_counter()
    db = fresh_database(backend, postgres_url=postgres_url)
    app = make_app(db, catalog)
    spec = catalog.get(pathway)
    org, officer = _organisation(app, 0)
    case_ids = _open_cases(app, catalog, pathway, org, officer, cases_needed)
    opened_per_s = cases_needed / (time.perf_counter() - started)
    others = [_organisation(app, number) for number in range(1, orgs + 1)]
    opened: list[list[int]] = [[] for _ in others]

    def open_for(index: int) -> None:
        opened[index] = _open_cases(app, catalog, pathway, *others[index], per_org)

    threads = [threading.Thread(target=open_for, args=(i,)) for i in range(len(others))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if any(len(ids) != per_org for ids in opened):
        raise SystemExit("setup: a thread opening cases failed (see above)")
    bench = Bench(db, app, catalog, spec, officer, case_ids, time.perf_counter() - started, opened_per_s)
    bench.orgs = [(officer_id, ids) for (_org, officer_id), ids in zip(others, opened, strict=True)]
    return bench


# --- the figure -----------------------------------------------------------------------------


def decide_all(
    bench: Bench, ids: list[int], outcome: str, values: Mapping[str, Any], commits: list[float] | None = None
) -> list[float]:
    """Decide each case in its own transaction; the latency of each (seconds, commit included).

    `commits`, when given, receives the time from the end of ``cases.decide`` to the end of
    the ``write`` block (commit and connection return) of each decision.
    """
    app, catalog, officer = bench.app, bench.catalog, bench.officer_id
    clock = time.perf_counter
    latencies: list[float] = []
    decided = 0.0
    for case_id in ids:
        t0 = clock()
        with write(app, actor_id=officer) as tx:
            cases.decide(tx, catalog, case=case_id, outcome=outcome, values=values)
            decided = clock()
        t1 = clock()
        latencies.append(t1 - t0)
        if commits is not None:
            commits.append(t1 - decided)
    return latencies


def in_parallel(works: Sequence[Callable[[], Any]]) -> tuple[float, list[Any]]:
    """Run each work on its own thread, all released at once; (wall seconds, their results)."""
    results: list[Any] = [None] * len(works)
    failures: list[BaseException] = []
    start = threading.Barrier(len(works) + 1)

    def run(index: int) -> None:
        start.wait()
        try:
            results[index] = works[index]()
        except BaseException as error:  # reported below, in the main thread
            failures.append(error)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(works))]
    for thread in threads:
        thread.start()
    start.wait()
    t0 = time.perf_counter()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - t0
    if failures:
        raise failures[0]
    return wall, results


def decide_concurrently(
    bench: Bench, shares: list[tuple[int, list[int]]], outcome: str, values: Sequence[Mapping[str, Any]]
) -> tuple[float, list[float]]:
    """Each (officer, cases) share decided on its own thread and connection, all at once:
    (decisions per second over the wall time, every decision's latency)."""
    works = [
        functools.partial(decide_all, bench.of(officer), ids, outcome, v)
        for (officer, ids), v in zip(shares, values, strict=True)
    ]
    wall, latencies = in_parallel(works)
    return sum(len(ids) for _officer, ids in shares) / wall, [t for each in latencies for t in each]


# --- the baselines --------------------------------------------------------------------------


def _copy_table(source: Table, metadata: MetaData, name: str) -> Table:
    """Same columns, types, unique constraints and indexes as `source`; no foreign keys."""
    columns = [Column(c.name, c.type, primary_key=c.primary_key, nullable=c.nullable) for c in source.columns]
    table = Table(name, metadata, *columns)
    for constraint in source.constraints:
        if isinstance(constraint, UniqueConstraint):
            table.append_constraint(UniqueConstraint(*[c.name for c in constraint.columns]))
    for index in source.indexes:
        Index(
            f"{name}_{index.name}",
            *[table.c[c.name] for c in index.columns],
            unique=index.unique,
            **{k: v for k, v in index.dialect_kwargs.items() if k.endswith("_where")},
        )
    return table


@dataclass
class Baseline:
    """Raw Core insert transactions on the bench database."""

    store: Store
    entry: Table
    audit: Table
    notice: Table
    outbox: Table
    next_id: int = 0

    @classmethod
    def create(cls, db: BenchDatabase) -> Baseline:
        # Default engine options (no pre-ping); Store adds the same SQLite pragmas and BEGIN IMMEDIATE.
        store = Store(create_engine(db.store.engine.url))
        metadata = MetaData()
        entry, audit, notice, outbox = (
            _copy_table(source, metadata, f"raw_{source.name}") for source in (ENTRY, AUDIT, NOTICE, JOB)
        )
        metadata.create_all(store.engine)
        return cls(store, entry, audit, notice, outbox)

    def rows(self, n: int) -> tuple[dict[str, Any], dict[str, Any]]:
        now = datetime.now(UTC)
        entry = {
            "case_id": n,
            "seq": 2,
            "stage": "shared_diagnosis",
            "entered_at": now,
            "due_at": now,
            "values": {},
        }
        audit = {
            "organisation_id": 1,
            "seq": n + 1,
            "case_id": n,
            "actor_id": 1,
            "kind": "decision",
            "effective_at": now,
            "recorded_at": now,
            "payload": {
                "ref": f"DIAG-2026-{n:04d}",
                "stage": "intake",
                "outcome": "relevant",
                "entered": "shared_diagnosis",
                "result": None,
                "note": None,
                "version": 2,
                "values": {
                    "met_on": "2026-11-22",
                    "legal_form": "association",
                    "salaried_jobs": 3,
                    "request": "Accompagner la structure dans la consolidation de son modèle.",
                    "documents_received": True,
                },
            },
            "prev_digest": "a" * 64,
            "digest": "b" * 64,
        }
        return entry, audit

    def run_two_rows(self, count: int) -> float:
        """`count` transactions of one entry row and one audit row; transactions per second."""
        return self.run_two_rows_on(count, connections=1)

    def run_two_rows_on(self, count: int, *, connections: int) -> float:
        """The same, split over `connections` threads each with its own connection, all at once."""
        insert_entry, insert_audit = insert(self.entry), insert(self.audit)
        prepared = [self.rows(self.next_id + i) for i in range(count)]
        self.next_id += count

        def run(rows: list[tuple[dict[str, Any], dict[str, Any]]]) -> None:
            for entry, audit in rows:
                with self.store.write() as conn:
                    conn.execute(insert_entry, entry)
                    conn.execute(insert_audit, audit)

        if connections == 1:
            t0 = time.perf_counter()
            run(prepared)
            return count / (time.perf_counter() - t0)
        wall, _ = in_parallel([functools.partial(run, prepared[i::connections]) for i in range(connections)])
        return count / wall

    def run_decision_rows(self, count: int, *, notices: int, jobs: int) -> float:
        """`count` transactions of what a decision inserts: entry, `notices` notices, audit, `jobs` jobs."""
        insert_entry, insert_audit = insert(self.entry), insert(self.audit)
        insert_notice, insert_job = insert(self.notice), insert(self.outbox)
        prepared = [self.rows(self.next_id + i) for i in range(count)]
        self.next_id += count
        t0 = time.perf_counter()
        for entry, audit in prepared:
            now = entry["entered_at"]
            with self.store.write() as conn:
                key = conn.execute(insert_entry, entry).inserted_primary_key
                assert key is not None
                entry_id = key[0]
                if notices:
                    conn.execute(
                        insert_notice,
                        [
                            {
                                "case_id": entry["case_id"],
                                "entry_id": entry_id,
                                "rule": f"rule:{r}",
                                "kind": "reminder",
                                "to_role": "officer",
                                "template": "reminder",
                                "due_at": now,
                                "status": "pending",
                            }
                            for r in range(notices)
                        ],
                    )
                conn.execute(insert_audit, audit)
                for j in range(jobs):
                    conn.execute(
                        insert_job,
                        {
                            "key": f"step:{entry['case_id']}:{entry_id}:{j}",
                            "kind": "step",
                            "case_id": entry["case_id"],
                            "pathway_id": "diagnosis",
                            "status": "pending",
                            "attempts": 0,
                            "payload": {
                                "step": "render_document",
                                "entry": entry_id,
                                "stage": "shared_diagnosis",
                                "ref": audit["payload"]["ref"],
                            },
                            "next_attempt_at": now,
                            "created_at": now,
                            "updated_at": now,
                        },
                    )
        return count / (time.perf_counter() - t0)


# --- one backend ----------------------------------------------------------------------------


@dataclass
class Result:
    """One backend's figures."""

    backend: str
    n: int
    reps: int
    rates: list[float]
    latencies: list[float]  # sorted, seconds
    commits: list[float]  # sorted, seconds
    raw_rates: list[float]
    full_rates: list[float]
    setup_s: float
    opened_per_s: float
    meter: SqlMeter
    warmup: int
    warmup_s: float
    settings: dict[str, str]
    cpu_share: list[float]  # process CPU time / wall time of each repetition
    cpu_ms: list[float]  # process CPU milliseconds per decision, each repetition
    load: tuple[float, float]  # 1-minute load average before and after the repetitions
    shape: dict[str, int]  # rows a decision inserts besides the entry and the audit event
    # The concurrent part (PostgreSQL): `connections` threads in this process, each deciding the
    # cases of its own organisation on its own connection, all at once; raw baseline likewise.
    connections: int = 1
    conc_rates: list[float] = field(default_factory=list)
    conc_raw_rates: list[float] = field(default_factory=list)
    conc_latencies: list[float] = field(default_factory=list)  # sorted, seconds
    conc_cpu_ms: list[float] = field(default_factory=list)
    conc_n: int = 0

    @property
    def rate(self) -> float:
        return median(self.rates)

    @property
    def raw(self) -> float:
        return median(self.raw_rates)

    @property
    def conc_rate(self) -> float:
        return median(self.conc_rates)

    @property
    def full(self) -> float:
        return median(self.full_rates)


def settle(db: BenchDatabase) -> None:
    """After the bulk setup: what a running server would have done (statistics, checkpoint)."""
    if db.backend == "sqlite":
        with db.store.engine.connect() as conn:
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        return
    with db.store.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.exec_driver_sql("VACUUM ANALYZE")
        conn.exec_driver_sql("CHECKPOINT")


def run_backend(backend: str, args: argparse.Namespace, catalog: PathwayCatalog) -> Result:
    """Setup, warm-up, the repetitions and the optional profile on one fresh database."""
    n, reps = args.cases, args.reps
    profiled = min(n, args.profile_cases) if args.profile else 0
    warmup = min(WARMUP, max(50, n // 5))
    needed = n * reps + warmup + profiled
    connections = args.connections if backend == "postgres" else 1
    # Each connection's decisions per repetition: N in all, at most CONC_MAX (the setup opens a case
    # at ~80/s on PostgreSQL here, one at a time: case references are gapless, one counter for all).
    share = -(-min(n, CONC_MAX) // connections) if connections > 1 else 0
    per_org = share * reps + CONC_WARMUP if share else 0
    others = f" + {connections} organisations × {per_org:,}" if share else ""
    print(f"[{backend}] setup: {needed:,} projects and cases{others} ...", flush=True)
    bench = setup(
        backend,
        catalog,
        pathway=args.pathway,
        cases_needed=needed,
        postgres_url=args.postgres_url,
        orgs=connections if share else 0,
        per_org=per_org,
    )
    try:
        settle(bench.db)
        settings = server_settings(bench.db.store)
        print(
            f"[{backend}] setup took {bench.setup_s:.1f} s (made at {bench.opened_per_s:,.0f}/s)",
            flush=True,
        )
        values = decision_values(
            bench.spec,
            bench.spec.first_stage.id,
            args.outcome,
            today=datetime.now(UTC).date(),
            person=bench.officer_id,
        )
        ids = iter(bench.case_ids)

        def take(count: int) -> list[int]:
            return [next(ids) for _ in range(count)]

        # What the decision inserts, from the spec: the entered stage's notices and automatic steps.
        target = bench.spec.first_stage.outcomes[args.outcome].next
        entered = bench.spec.stage(target) if target else None
        shape = {
            "notices": len(entered.remind) + len(entered.escalate) if entered else 0,
            "jobs": len(entered.steps) if entered else 0,
        }
        baseline = Baseline.create(bench.db)
        baseline.run_two_rows(max(warmup, 1000))
        baseline.run_decision_rows(warmup, **shape)
        with sql_meter(bench.db.store) as meter:
            t0 = time.perf_counter()
            decide_all(bench, take(warmup), args.outcome, values)
            warmup_s = time.perf_counter() - t0

        rates: list[float] = []
        raw_rates: list[float] = []
        full_rates: list[float] = []
        latencies: list[float] = []
        commits: list[float] = []
        cpu_share: list[float] = []
        cpu_ms: list[float] = []
        conc_values = [
            decision_values(
                bench.spec,
                bench.spec.first_stage.id,
                args.outcome,
                today=datetime.now(UTC).date(),
                person=officer,
            )
            for officer, _ids in bench.orgs
        ]
        org_ids = [(officer, iter(ids)) for officer, ids in bench.orgs]

        def shares(count: int) -> list[tuple[int, list[int]]]:
            return [(officer, [next(it) for _ in range(count)]) for officer, it in org_ids]

        conc_rates: list[float] = []
        conc_raw_rates: list[float] = []
        conc_latencies: list[float] = []
        conc_cpu_ms: list[float] = []
        if share:
            baseline.run_two_rows_on(CONC_WARMUP * connections, connections=connections)
            decide_concurrently(bench, shares(CONC_WARMUP), args.outcome, conc_values)
        load_before = os.getloadavg()[0]
        for rep in range(1, reps + 1):
            raw_rates.append(baseline.run_two_rows(n))
            t0, c0 = time.perf_counter(), time.process_time()
            latencies.extend(decide_all(bench, take(n), args.outcome, values, commits))
            wall = time.perf_counter() - t0
            rates.append(n / wall)
            cpu = time.process_time() - c0
            cpu_share.append(cpu / wall)
            cpu_ms.append(cpu / n * 1e3)
            full_rates.append(baseline.run_decision_rows(n, **shape))
            print(
                f"[{backend}] rep {rep}/{reps}: {rates[-1]:,.0f} decisions/s "
                f"(CPU {cpu_share[-1]:.0%} of wall, load {os.getloadavg()[0]:.1f}); "
                f"raw {raw_rates[-1]:,.0f} tx/s; "
                f"decision rows {full_rates[-1]:,.0f} tx/s",
                flush=True,
            )
            if share:
                conc_raw_rates.append(baseline.run_two_rows_on(share * connections, connections=connections))
                c0 = time.process_time()
                rate, lat = decide_concurrently(bench, shares(share), args.outcome, conc_values)
                conc_cpu_ms.append((time.process_time() - c0) / (share * connections) * 1e3)
                conc_rates.append(rate)
                conc_latencies.extend(lat)
                print(
                    f"[{backend}] rep {rep}/{reps}, {connections} connections: {rate:,.0f} decisions/s; "
                    f"raw {conc_raw_rates[-1]:,.0f} tx/s",
                    flush=True,
                )
        load_after = os.getloadavg()[0]
        if profiled:
            profile(bench, take(profiled), args, values)
        baseline.store.dispose()
    finally:
        bench.db.close()
    latencies.sort()
    commits.sort()
    return Result(
        backend,
        n,
        reps,
        rates,
        latencies,
        commits,
        raw_rates,
        full_rates,
        bench.setup_s,
        bench.opened_per_s,
        meter,
        warmup,
        warmup_s,
        settings,
        cpu_share,
        cpu_ms,
        (load_before, load_after),
        shape,
        connections if share else 1,
        conc_rates,
        conc_raw_rates,
        sorted(conc_latencies),
        conc_cpu_ms,
        share * connections,
    )


def profile(bench: Bench, ids: list[int], args: argparse.Namespace, values: Mapping[str, Any]) -> None:
    """Profile decisions on fresh cases and print where the time goes."""
    run: Callable[[], object] = lambda: decide_all(bench, ids, args.outcome, values)  # noqa: E731
    print(f"\n## Profile: {len(ids)} decisions on {bench.db.backend} ({args.profile})\n", flush=True)
    if args.profile == "pyinstrument":
        from pyinstrument import Profiler

        profiler = Profiler(interval=0.0005)
        profiler.start()
        run()
        profiler.stop()
        print(profiler.output_text(unicode=True, color=False, show_all=False))
        return
    prof = cProfile.Profile()
    prof.enable()
    run()
    prof.disable()
    for sort in ("tottime", "cumulative"):
        out = io.StringIO()
        pstats.Stats(prof, stream=out).strip_dirs().sort_stats(sort).print_stats(args.profile_top)
        print(out.getvalue())


# --- report ---------------------------------------------------------------------------------


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:.2f}"


def table(results: list[Result]) -> str:
    """The figures, one row per backend."""
    lines = [
        (
            "| backend | N | decisions/s median [min–max] | p50 / p99 ms | commit p50 ms "
            "| raw tx/s median [min–max] | **ratio** | decision-rows tx/s | ratio | CPU ms / decision "
            "| load (1 min) |"
        ),
        "|---|---:|---|---|---:|---|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        p50, p99 = _ms(percentile(r.latencies, 0.50)), _ms(percentile(r.latencies, 0.99))
        lines.append(
            f"| {r.backend} | {r.n:,} ×{r.reps} "
            f"| **{r.rate:,.0f}** [{min(r.rates):,.0f}–{max(r.rates):,.0f}] | {p50} / {p99} "
            f"| {_ms(percentile(r.commits, 0.50))} "
            f"| {r.raw:,.0f} [{min(r.raw_rates):,.0f}–{max(r.raw_rates):,.0f}] | **{r.rate / r.raw:.1%}** "
            f"| {r.full:,.0f} | {r.rate / r.full:.1%} | {median(r.cpu_ms):.2f} "
            f"| {r.load[0]:.1f} → {r.load[1]:.1f} |"
        )
        if r.conc_rates:
            p50, p99 = _ms(percentile(r.conc_latencies, 0.50)), _ms(percentile(r.conc_latencies, 0.99))
            raw = median(r.conc_raw_rates)
            lines.append(
                f"| {r.backend}, {r.connections} connections | {r.conc_n:,} ×{len(r.conc_rates)} "
                f"| **{r.conc_rate:,.0f}** [{min(r.conc_rates):,.0f}–{max(r.conc_rates):,.0f}] "
                f"| {p50} / {p99} "
                f"| – | {raw:,.0f} [{min(r.conc_raw_rates):,.0f}–{max(r.conc_raw_rates):,.0f}] "
                f"| **{r.conc_rate / raw:.1%}** | – | – | {median(r.conc_cpu_ms):.2f} | – |"
            )
    return "\n".join(lines)


def statement_table(results: list[Result]) -> str:
    """Per decision: each kind of statement, how often, and its time inside the driver."""
    labels: list[str] = []
    for r in results:
        labels += [label for label in r.meter.by_label if label not in labels]
    head = "| statement | " + " | ".join(f"{r.backend}: per decision, µs each" for r in results) + " |"
    lines = [head, "|---|" + "---:|" * len(results)]
    for label in labels:
        cells = []
        for r in results:
            count, seconds = r.meter.by_label.get(label, (0, 0.0))
            cells.append(f"{count / r.warmup:.0f} × {seconds / count * 1e6:,.0f}" if count else "–")
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    total = " | ".join(
        f"{r.meter.statements / r.warmup:.0f} statements, {r.meter.seconds / r.warmup * 1e3:.2f} ms "
        f"of {r.warmup_s / r.warmup * 1e3:.2f} ms ({r.meter.seconds / r.warmup_s:.0%})"
        for r in results
    )
    lines.append(f"| **in the driver** | {total} |")
    return "\n".join(lines)


def _readings(r: Result) -> list[tuple[str, float, float]]:
    """(how it was run, decisions/s, raw tx/s) of one backend: one connection, then concurrent."""
    out = [("one connection", r.rate, r.raw)]
    if r.conc_rates:
        out.append((f"{r.connections} connections", r.conc_rate, median(r.conc_raw_rates)))
    return out


def aims(results: list[Result]) -> str:
    lines = ["| aim | how | measured | verdict |", "|---|---|---:|---|"]
    for r in results:
        aim = AIMS[r.backend]
        for how, rate, _raw in _readings(r):
            gap = rate / aim
            verdict = (
                f"met (×{gap:.2f} the aim)"
                if rate >= aim
                else f"**missed** by {aim - rate:,.0f}/s ({1 - gap:.0%} short)"
            )
            lines.append(f"| ≥ {aim:,.0f} decisions/s on {r.backend} | {how} | {rate:,.0f}/s | {verdict} |")
    for r in results:
        for how, rate, raw in _readings(r):
            ratio = rate / raw
            verdict = (
                f"met (×{ratio / AIM_RATIO:.2f} the aim)"
                if ratio >= AIM_RATIO
                else f"**missed** by {(AIM_RATIO - ratio) * 100:.1f} points (needs ×{AIM_RATIO / ratio:.2f})"
            )
            lines.append(
                f"| ≥ {AIM_RATIO:.0%} of the raw insert rate on {r.backend} | {how} "
                f"| {ratio:.1%} | {verdict} |"
            )
    return "\n".join(lines)


def report(results: list[Result], args: argparse.Namespace) -> str:
    ctx = run_context()
    versions = [f"Python {ctx['python'].split()[-1]}", f"SQLite {ctx['sqlite']}"]
    settings_lines = []
    for r in results:
        s = dict(r.settings)
        if r.backend == "postgres":
            versions.append(f"PostgreSQL {s.pop('version')}")
        else:
            s.pop("version")
        settings_lines.append(f"- {r.backend}: " + ", ".join(f"{k}={v}" for k, v in s.items()))
    setup_lines = [
        f"- {r.backend}: {r.setup_s:.1f} s for {r.n * r.reps:,}+ projects and cases "
        f"(projects and cases made at {r.opened_per_s:,.0f}/s in transactions of {SETUP_BATCH})"
        + (f"; then {r.connections} organisations more, in parallel" if r.conc_rates else "")
        for r in results
    ]
    mode = "quick" if args.quick else "full"
    shape = results[0].shape
    decision = (
        f"- decision: `{args.pathway}` first stage → `{args.outcome}`, every field of the stage and "
        "outcome set, one `tx.write` transaction each, one process, one connection at a time; on "
        "PostgreSQL also *N connections*: that many threads of the same process, each deciding the cases "
        "of its own organisation on its own connection, all at once (as a server process does for "
        "officers of several organisations; within one organisation decisions take turns at the "
        "audit chain's head)"
    )
    notes = (
        "N ×reps: N decisions per repetition, each repetition on fresh cases of the same database. "
        "Latencies over all decisions of all repetitions, commit included; commit: from the end of "
        "`cases.decide` to the end of the `write` block. raw tx/s: transactions of one stage-entry row "
        "plus one audit-event row (same columns, types and indexes, no foreign keys), SQLAlchemy Core, "
        "committed one by one, same database, same run: **the ratio's base**. decision-rows tx/s: "
        f"transactions inserting every row the decision inserts (stage entry, {shape['notices']} notices, "
        f"audit event, {shape['jobs']} outbox jobs), for context. CPU ms / decision: process CPU time per "
        f"decision (the Python side, whatever else runs on the machine; {os.cpu_count()} cores here). "
        "load: the 1-minute load average before and after the repetitions; above the core count, other "
        "processes competed for the CPU and every rate is lower than on a quiet machine. "
        f"N connections: the same measures with that many threads at once (N, at most {CONC_MAX:,}, in "
        "all per repetition), "
        "against the raw transactions run the same way; on one connection a PostgreSQL decision waits "
        "for three round trips and a WAL flush, which other connections' work can overlap."
    )
    where = (
        f"Where a decision's time goes ({results[0].warmup} warm-up decisions; time inside the driver's "
        "execute, COMMIT excluded):"
    )
    return "\n".join(
        [
            f"## Decisions per second ({mode} run)",
            "",
            f"- machine: {ctx['machine']}",
            f"- date: {ctx['date']}",
            f"- commit: {ctx['commit']}",
            f"- versions: {', '.join(versions)}",
            f"- command: `{ctx['command']}`",
            decision,
            "- durability:",
            *[f"  {line}" for line in settings_lines],
            "",
            table(results),
            "",
            notes,
            "",
            where,
            "",
            statement_table(results),
            "",
            "### Aims (issues 2 and 8)",
            "",
            aims(results),
            "",
            "### Setup (not the figure)",
            "",
            *setup_lines,
        ]
    )


# --- main -----------------------------------------------------------------------------------


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument(
        "--cases", type=int, default=None, help="decisions per repetition (default 10000; 300 with --quick)"
    )
    parser.add_argument("--backend", choices=("sqlite", "postgres", "both"), default="both")
    parser.add_argument("--quick", action="store_true", help="N=300: a smoke run of under two minutes")
    parser.add_argument("--reps", type=int, default=3, help="repetitions, each on fresh cases (default 3)")
    parser.add_argument("--pathway", default="diagnosis")
    parser.add_argument("--outcome", default="relevant", help="outcome of the first stage to record")
    parser.add_argument(
        "--postgres-url",
        default=DEFAULT_POSTGRES_URL,
        help="database dropped and recreated for the run (default %(default)s)",
    )
    parser.add_argument(
        "--profile",
        choices=("cprofile", "pyinstrument"),
        default=None,
        help="profile a further pass of decisions (not counted in the figures)",
    )
    parser.add_argument(
        "--connections",
        type=int,
        default=CONNECTIONS,
        help="PostgreSQL also: this many connections deciding at once in this process, each for its own "
        "organisation (default %(default)s; 1: skip this part)",
    )
    parser.add_argument("--profile-cases", type=int, default=2000)
    parser.add_argument("--profile-top", type=int, default=30)
    parser.add_argument("--no-record", action="store_true", help="print only; leave bench/RESULTS.md alone")
    parser.add_argument("--json", type=Path, default=None, metavar="PATH", help="write the figures as JSON")
    args = parser.parse_args(argv)
    if args.cases is None:
        args.cases = 300 if args.quick else 10_000
    if args.cases < 1 or args.reps < 1 or args.connections < 1:
        parser.error("--cases, --reps and --connections must be at least 1")
    return args


def figures(results: list[Result]) -> list[dict[str, Any]]:
    """The figures as the suite runner reads them: one entry per measure and backend."""
    out: list[dict[str, Any]] = []

    def figure(
        r: Result, name: str, unit: str, values: list[float], baseline: tuple[str, float] | None = None
    ) -> None:
        mid = median(values)
        out.append(
            {
                "bench": "decide",
                "name": name,
                "backend": r.backend,
                "cases": r.n,
                "unit": unit,
                "median": round(mid, 3),
                "spread": [round(min(values), 3), round(max(values), 3)],
                "runs": len(values),
                "baseline": {"name": baseline[0], "median": round(baseline[1], 3)} if baseline else None,
                "ratio": round(mid / baseline[1], 4) if baseline else None,
            }
        )

    for r in results:
        figure(r, "decisions", "decisions/s", r.rates, ("raw_insert", r.raw))
        figure(r, "raw_insert", "tx/s", r.raw_rates)
        figure(r, "all_rows_insert", "tx/s", r.full_rates)  # every row a decision inserts, raw
        figure(r, "cpu_per_decision", "ms", r.cpu_ms)
        if r.conc_rates:
            k = f"{r.connections} connections"
            figure(
                r,
                f"decisions, {k}",
                "decisions/s",
                r.conc_rates,
                (f"raw_insert, {k}", median(r.conc_raw_rates)),
            )
            figure(r, f"raw_insert, {k}", "tx/s", r.conc_raw_rates)
            figure(r, f"cpu_per_decision, {k}", "ms", r.conc_cpu_ms)
    return out


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    catalog = load_pathway_dir(ROOT / "config" / "pathways")  # no templates: they are not the figure
    backends = ["sqlite", "postgres"] if args.backend == "both" else [args.backend]
    with exclusive_run():  # also serialises writes to bench/RESULTS.md
        results = [run_backend(backend, args, catalog) for backend in backends]
        text = report(results, args)
        print("\n" + text)
        if not args.no_record:
            record_run("decide", figures(results), quick=args.quick)
            print("\nfigures recorded in bench/RESULTS.md")
        if args.json:
            args.json.write_text(json.dumps(figures(results), indent=2) + "\n")
            print(f"figures written to {args.json}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
