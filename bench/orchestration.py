"""Prefect's cost per case-step, and how long work waits between a decision and its flow run.

    PYTHONPATH=src python bench/orchestration.py [--steps 300] [--samples 6] [--reps 3]
                                                 [--modes embedded,scaled] [--quick]
                                                 [--json PATH] [--no-record]

--quick: 100 case-steps, 2 latency samples (about 3 minutes). The whole report is printed; the
figures, compact, replace the section ``orchestration`` of bench/RESULTS.md (the latest run).
--json PATH: every figure as a JSON list (``bench/run.py``).

Two topologies, as `make run` and docker-compose.yml set them up:

- embedded: a Prefect server on SQLite (``pathways.orchestration.embedded``), the application
  on SQLite, ``pathways serve-flows`` serving every flow from one process;
- scaled: a Prefect server on PostgreSQL, the application on PostgreSQL, two ``pathways
  worker`` processes on the ``pathways`` work pool.

1. Overhead (in this process, against each topology's Prefect API, flow heartbeat off): N
   diagnosis cases opened, their N intake-sheet steps carried out by ``work.run_job`` one
   after the other (the baseline), then N more by one run of the ``diagnosis`` flow (one
   task run each, named and tagged). Overhead per case-step = (flow - baseline) / N; the
   median of --reps repetitions. Process start-up is not in it (see 2).
2. Latency (the processes above, default options: relay every 1 s, poll every 2 s): a case
   opened in this process (its intake sheet queued, committed), then the time until the
   step's job is done; and a reminder queued by a sweep (``limit=1``) until a local webhook
   has it. Each sample starts when the previous one is done: the figure includes the relay's
   tick, Prefect's poll, the flow-run process start and the work.

The machine is shared: its load average is printed with the figures.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from pathways.store.core import JOB, PERSON

sys.path.insert(0, str(Path(__file__).resolve().parent))

from sqlalchemy import create_engine, select, text, update
from sqlalchemy.pool import NullPool

from common import ROOT, BenchDatabase, exclusive_run, fresh_database, record_run, run_context
from pathways.bootstrap import App, Clock
from pathways.services.casework import opening, work
from pathways.services.casework.sweep import sweep
from pathways.services.people import directory
from pathways.services.tx import write
from pathways.settings import load_settings

POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432"
AIM_MS = 20.0  # Prefect's overhead per case-step, amortised over a run (issue 4)
LOOPBACK = "127.0.0.1"  # channels may reach the loopback webhook, as an operator allows a catcher


# --- processes -----------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def healthy(api: str) -> bool:
    import httpx

    try:
        return httpx.get(f"{api}/health", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


def wait(what: str, check: Callable[[], Any], timeout: float, every: float = 0.25) -> Any:
    deadline = time.monotonic() + timeout
    while not (found := check()):
        if time.monotonic() > deadline:
            raise SystemExit(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(every)
    return found


@contextmanager
def processes(*commands: tuple[list[str], dict[str, str], Path]) -> Iterator[None]:
    """Child processes for the duration of the block, each in its own session, stopped after."""
    started: list[subprocess.Popen[bytes]] = []
    try:
        for argv, env, log in commands:
            with log.open("ab") as out:
                started.append(
                    subprocess.Popen(
                        argv, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
                    )
                )
        yield
    finally:
        for proc in reversed(started):
            if proc.poll() is None:
                proc.send_signal(signal.SIGINT)
        for proc in reversed(started):
            try:
                proc.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(10)


def prefect_server(home: Path, port: int, database: str | None) -> tuple[list[str], dict[str, str], Path]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    env |= {"PREFECT_HOME": str(home), "PREFECT_SERVER_ANALYTICS_ENABLED": "false"}
    if database:
        env["PREFECT_API_DATABASE_CONNECTION_URL"] = database
    home.mkdir(parents=True, exist_ok=True)
    argv = [sys.executable, "-m", "prefect", "server", "start", "--host", "127.0.0.1", "--port", str(port)]
    return argv, env, home / "server.log"


def pathways(command: list[str], env: dict[str, str], log: Path) -> tuple[list[str], dict[str, str], Path]:
    return [sys.executable, "-m", "pathways", *command], env, log


def deployed(api: str) -> bool:
    from prefect.client.orchestration import SyncPrefectClient

    try:
        with SyncPrefectClient(api) as client:
            client.read_deployment_by_name("diagnosis/pathways")
            client.read_deployment_by_name("dispatch/pathways")
    except Exception:
        return False
    return True


def recreate_postgres(name: str) -> None:
    engine = create_engine(f"{POSTGRES}/postgres", isolation_level="AUTOCOMMIT", poolclass=NullPool)
    with engine.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    engine.dispose()


# --- data ----------------------------------------------------------------------------------


@dataclass
class Webhook:
    """Apprise json:// channel on loopback: counts what arrives."""

    received: list[float] = field(default_factory=list)

    def __post_init__(self) -> None:
        received = self.received

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                self.rfile.read(int(self.headers.get("Content-Length", 0)))
                received.append(time.monotonic())
                self.send_response(200)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"json://127.0.0.1:{self.server.server_address[1]}/hook"


@dataclass
class Office:
    app: App
    org: int
    officer: int
    owner: int

    @classmethod
    def create(cls, db: BenchDatabase, channel: str) -> Office:
        # A simulation on the bench's own database: the reminders' sweep runs 400 days ahead.
        settings = load_settings(
            database_url=db.url, config_dir=ROOT / "config", environment="test", simulation=True
        )
        app = App(settings, db.store, Clock())
        with write(app) as tx:
            org = directory.add_org(tx, name="DLA bench", territory="FR-75").id
            people = [
                directory.add_person(
                    tx,
                    name=f"{role} bench",
                    org=org,
                    role=role,
                    email=None,
                    language="fr",
                    channels=[channel],
                ).id
                for role in ("officer", "owner")
            ]
            tx.conn.execute(update(PERSON).values(digest=False))
        return cls(app, org, people[0], people[1])

    def open_cases(self, count: int) -> list[int]:
        """`count` diagnosis cases at intake, in one transaction; the ids of their queued steps."""
        with write(self.app) as tx:
            first = tx.conn.execute(select(JOB.c.id).order_by(JOB.c.id.desc()).limit(1)).scalar() or 0
            for i in range(count):
                project = directory.add_project(
                    tx, name=f"Projet {time.time_ns()}-{i}", org=self.org, owner=self.owner, siret=None,
                    bce=None, territory=None, phase="founded", legal_form="association", permanent_jobs=3,
                ).id  # fmt: skip
                opening.open_case(
                    tx, self.app.catalog, project=project, pathway="diagnosis", officer=self.officer
                )
            return list(tx.conn.scalars(select(JOB.c.id).where(JOB.c.id > first, JOB.c.kind == "step")))

    def statuses(self, ids: list[int]) -> set[str]:
        with self.app.store.read() as conn:
            return set(conn.scalars(select(JOB.c.status).where(JOB.c.id.in_(ids))))


# --- 1. overhead -----------------------------------------------------------------------------


def overhead(office: Office, api: str, steps: int, reps: int) -> dict[str, list[float]]:
    """Seconds per case-step, each repetition: run_job one by one, then one flow run.

    Wall-clock time, and this process's CPU time (every thread: Prefect's event loop and
    events client included, the Prefect server excluded), less sensitive to a loaded machine.
    """
    from prefect.settings import PREFECT_API_URL

    from pathways.orchestration.deployments import FlowPlan, load_flow
    from pathways.orchestration.runtime import bound, short_flow_settings

    flow = load_flow(ROOT, FlowPlan("diagnosis", timedelta(minutes=15), ()))
    found: dict[str, list[float]] = {"direct": [], "flow": [], "direct_cpu": [], "flow_cpu": []}
    with short_flow_settings({PREFECT_API_URL: api}), bound(office.app):
        for job in office.open_cases(5):  # warm-up: catalog, templates, connections
            work.run_job(office.app, job)
        flow()
        for _ in range(reps):
            ids = office.open_cases(steps)
            started, cpu = time.perf_counter(), time.process_time()
            for job in ids:
                work.run_job(office.app, job)
            found["direct"].append((time.perf_counter() - started) / steps)
            found["direct_cpu"].append((time.process_time() - cpu) / steps)
            ids = office.open_cases(steps)
            started, cpu = time.perf_counter(), time.process_time()
            done = flow()
            found["flow"].append((time.perf_counter() - started) / steps)
            found["flow_cpu"].append((time.process_time() - cpu) / steps)
            assert done == {"done": steps}, done
            assert office.statuses(ids) == {"done"}
        flush_prefect()
    return found


def flush_prefect() -> None:
    """Send the events and logs still queued in this process before the server goes away."""
    from prefect.events.worker import EventsWorker
    from prefect.logging.handlers import APILogWorker

    EventsWorker.drain_all(timeout=60, at_exit=False)
    APILogWorker.drain_all(timeout=60, at_exit=False)


# --- 2. latency ------------------------------------------------------------------------------


def latencies(office: Office, webhook: Webhook, samples: int) -> tuple[list[float], list[float]]:
    """Seconds from a committed case opening to its step done; from a queued reminder to its delivery."""
    step_waits, message_waits = [], []
    for _ in range(samples):
        [job] = office.open_cases(1)
        started = time.monotonic()

        def done(job: int = job) -> bool:
            return office.statuses([job]) == {"done"}

        wait("a case-step", done, timeout=180, every=0.02)
        step_waits.append(time.monotonic() - started)
    later = datetime.now(UTC) + timedelta(days=400)
    for _ in range(samples):
        before = len(webhook.received)
        queued = 0
        while not queued:
            queued = sweep(office.app, now=later, limit=1).messages
        started = time.monotonic()

        def delivered(before: int = before, queued: int = queued) -> bool:
            return len(webhook.received) >= before + queued

        wait("a message", delivered, timeout=180, every=0.02)
        message_waits.append(webhook.received[-1] - started)
    return step_waits, message_waits


@dataclass
class Figures:
    mode: str
    prefect: str
    database: str
    overhead: dict[str, list[float]]
    steps: list[float]
    messages: list[float]


def embedded(home: Path, args: argparse.Namespace, webhook: Webhook) -> Figures:
    from pathways.orchestration.embedded import EmbeddedPrefect

    db = fresh_database("sqlite")
    office = Office.create(db, webhook.url)
    server = EmbeddedPrefect(home=home / "prefect", port=free_port())
    server.start()
    try:
        cost = overhead(office, server.api_url, args.steps, args.reps)
        env = environment(home, db.url, server.api_url)
        with processes(pathways(["serve-flows"], env, home / "serve-flows.log")):
            wait("the served deployments", lambda: deployed(server.api_url), timeout=120)
            time.sleep(3)  # the runner's first poll
            steps, messages = latencies(office, webhook, args.samples)
    finally:
        server.stop()
        db.close()
    return Figures("embedded", "SQLite (embedded server)", "SQLite", cost, steps, messages)


def scaled(home: Path, args: argparse.Namespace, webhook: Webhook) -> Figures:
    db = fresh_database("postgres", postgres_url=f"{POSTGRES}/pathways_bench_orchestration")
    recreate_postgres("pathways_bench_prefect")
    office = Office.create(db, webhook.url)
    port = free_port()
    api = f"http://127.0.0.1:{port}/api"
    prefect_db = "postgresql+asyncpg://postgres@127.0.0.1:5432/pathways_bench_prefect"
    env = environment(home, db.url, api)
    try:
        with processes(prefect_server(home / "prefect-pg", port, prefect_db)):
            wait("the Prefect server", lambda: healthy(api), timeout=180)
            cost = overhead(office, api, args.steps, args.reps)
            workers = [
                pathways(["worker", "--name", f"bench-{i}"], env, home / f"worker-{i}.log") for i in (1, 2)
            ]
            with processes(*workers):
                wait("the worker deployments", lambda: deployed(api), timeout=120)
                time.sleep(5)  # both workers polling
                steps, messages = latencies(office, webhook, args.samples)
    finally:
        db.close()
    return Figures("scaled", "PostgreSQL (2 workers)", "PostgreSQL", cost, steps, messages)


def environment(home: Path, url: str, api: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PATHWAYS_", "PREFECT_"))}
    return env | {
        "PATHWAYS_DATABASE_URL": url,
        "PATHWAYS_HOME": str(home),
        "PATHWAYS_ENVIRONMENT": "test",
        "PATHWAYS_EXECUTOR": "prefect",
        "PATHWAYS_CHANNEL_ALLOW": LOOPBACK,  # the workers send to the webhook on loopback
        "PREFECT_API_URL": api,
    }


# --- report ----------------------------------------------------------------------------------


def spread(values: list[float]) -> str:
    ordered = sorted(values)
    return f"**{statistics.median(ordered):.1f} s** [{ordered[0]:.1f}–{ordered[-1]:.1f}]"


def med(values: list[float]) -> float:
    return statistics.median(values)


def extra(f: Figures, cpu: bool = False) -> list[float]:
    """Prefect's cost per case-step, each repetition: flow run less run_job alone (seconds)."""
    suffix = "_cpu" if cpu else ""
    return [a - b for a, b in zip(f.overhead["flow" + suffix], f.overhead["direct" + suffix], strict=True)]


def report(figures: list[Figures], args: argparse.Namespace, load: tuple[float, float]) -> str:
    ctx = run_context()
    lines = [
        "## Orchestration on Prefect (`bench/orchestration.py`)",
        "",
        f"- machine: {ctx['machine']}",
        f"- load average (a shared machine): {load[0]:.1f} before, {load[1]:.1f} after",
        f"- date: {ctx['date']}; commit {ctx['commit']}; {ctx['python']}; Prefect {prefect_version()}",
        f"- command: `{ctx['command']}`",
        "",
        f"Overhead: {args.steps} intake-sheet steps (`render_document`) by `work.run_job` one after",
        f"the other, then {args.steps} more by one in-process run of the `diagnosis` flow (a task run",
        f"each, named `<ref>:<stage>:<step>`, tagged); median of {args.reps} [min–max of the",
        "repetitions' differences]. Wall-clock time, and this process's CPU time (all its threads,",
        f"not the Prefect server's). Aim: under {AIM_MS:.0f} ms per case-step.",
        "",
        (
            "| mode | Prefect API on | app database | run_job alone | in one flow run "
            "| Prefect per case-step | its CPU (client) | case-steps/s per run |"
        ),
        "|---|---|---|---:|---:|---:|---:|---:|",
    ]
    for f in figures:
        wall, cpu = sorted(extra(f)), sorted(extra(f, cpu=True))
        lines.append(
            f"| {f.mode} | {f.prefect} | {f.database} | {med(f.overhead['direct']) * 1000:.1f} ms "
            f"| {med(f.overhead['flow']) * 1000:.1f} ms "
            f"| **{med(wall) * 1000:.1f} ms** [{wall[0] * 1000:.1f}–{wall[-1] * 1000:.1f}] "
            f"| {med(cpu) * 1000:.1f} ms [{cpu[0] * 1000:.1f}–{cpu[-1] * 1000:.1f}] "
            f"| {1 / med(f.overhead['flow']):.0f} |"
        )
    lines += [
        "",
        f"Latency, {args.samples} samples each, one after the other, median [min–max]: a case opened",
        "(its step queued and committed) until the step is done; a reminder queued by a sweep until",
        "the webhook has it.",
        "Defaults: relay every 1 s, Prefect polled every 2 s; each run is a new process.",
        "",
        "| mode | decision → step done | reminder queued → delivered |",
        "|---|---:|---:|",
        *(f"| {f.mode} | {spread(f.steps)} | {spread(f.messages)} |" for f in figures),
    ]
    return "\n".join(lines)


def figure(
    name: str,
    backend: str,
    cases: int,
    unit: str,
    values: list[float],
    baseline: tuple[str, float] | None = None,
) -> dict[str, Any]:
    """One figure in the suite's JSON form (``bench/run.py``)."""
    median = statistics.median(values)
    return {
        "bench": "orchestration",
        "name": name,
        "backend": backend,
        "cases": cases,
        "unit": unit,
        "median": round(median, 3),
        "spread": [round(min(values), 3), round(max(values), 3)],
        "runs": len(values),
        "baseline": {"name": baseline[0], "median": round(baseline[1], 3)} if baseline else None,
        "ratio": round(median / baseline[1], 3) if baseline and baseline[1] else None,
    }


def as_json(figures: list[Figures], args: argparse.Namespace) -> list[dict[str, Any]]:
    """Every figure: per case-step in ms (run_job alone is the baseline), latencies in s."""
    out = []
    for f in figures:
        # The mode in the backend ("embedded: sqlite", "scaled: postgresql"): a figure's modes side by side.
        backend = f"{f.mode}: {f.database.lower()}"
        ms = {k: [v * 1000 for v in values] for k, values in f.overhead.items()}
        direct = ("run_job per case-step", med(ms["direct"]))
        direct_cpu = ("run_job CPU per case-step", med(ms["direct_cpu"]))
        out += [
            figure(direct[0], backend, args.steps, "ms", ms["direct"]),
            figure("flow run per case-step", backend, args.steps, "ms", ms["flow"], direct),
            figure(
                "Prefect overhead per case-step",
                backend,
                args.steps,
                "ms",
                [v * 1000 for v in extra(f)],
                ("aim", AIM_MS),
            ),
            figure(direct_cpu[0], backend, args.steps, "ms", ms["direct_cpu"]),
            figure("flow run CPU per case-step", backend, args.steps, "ms", ms["flow_cpu"], direct_cpu),
            figure("decision to step done", backend, 1, "s", f.steps),
            figure("reminder queued to delivered", backend, 1, "s", f.messages),
        ]
    return out


def prefect_version() -> str:
    import prefect

    return str(prefect.__version__)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--steps", type=int, default=None, help="case-steps per repetition (300; 100 --quick)"
    )
    parser.add_argument("--samples", type=int, default=None, help="latency samples (6; 2 with --quick)")
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--modes", default="embedded,scaled")
    parser.add_argument("--quick", action="store_true", help="a smoke run of about 3 minutes")
    parser.add_argument("--json", type=Path, metavar="PATH", help="also write the figures as a JSON list")
    parser.add_argument("--no-record", action="store_true")
    args = parser.parse_args()
    args.steps = args.steps or (100 if args.quick else 300)
    args.samples = args.samples or (2 if args.quick else 6)
    modes = args.modes.split(",")
    unknown = sorted(set(modes) - {"embedded", "scaled"})
    if unknown:
        parser.error(f"--modes: unknown mode {unknown[0]!r} (embedded, scaled)")
    os.environ.setdefault("PREFECT_SERVER_ALLOW_EPHEMERAL_MODE", "false")
    os.environ["PATHWAYS_CHANNEL_ALLOW"] = LOOPBACK  # people's channel is the webhook on loopback
    figures = []
    with exclusive_run(), tempfile.TemporaryDirectory(prefix="pathways-bench-orch-") as tmp:
        load_before = os.getloadavg()[0]
        webhook = Webhook()
        for mode in modes:
            print(f"{mode} ...", flush=True)
            runner = {"embedded": embedded, "scaled": scaled}[mode]
            figures.append(runner(Path(tmp) / mode, args, webhook))
            print(json.dumps(figures[-1].__dict__, default=str), flush=True)
        body = report(figures, args, (load_before, os.getloadavg()[0]))
    print(body)
    if args.json:
        args.json.write_text(json.dumps(as_json(figures, args), indent=2) + "\n")
    if not args.no_record:
        record_run("orchestration", as_json(figures, args), quick=args.quick)


if __name__ == "__main__":
    main()
