"""The scaled installation as real processes: PostgreSQL, a Prefect server on PostgreSQL, two workers.

What docker-compose.yml describes, started directly (no Docker engine here): the
application database and Prefect's own database on the local PostgreSQL, ``prefect server
start`` on a free loopback port, and two ``pathways worker`` processes on one work pool.
Officers record decisions with the ``pathways`` command (``PATHWAYS_EXECUTOR=prefect``: the
command never runs the work itself); the workers' relays turn the queued work into runs.

One scenario, in phases, each wait bounded:

1. cases opened from the command line: their intake sheets are rendered, once each, and
   every case-step is in Prefect's API as ``<ref>:intake:render_document`` tagged ``pathway:<id>``;
2. a worker is killed (SIGKILL, with its flow-run process) in the middle of a run of many
   case-steps: the other worker finishes them, and none ran twice;
3. Prefect is stopped: decisions still succeed at once and their work waits in the database;
   Prefect is started again: the backlog drains, nothing lost or doubled;
4. the sweep (run through its deployment) queues reminders and escalations, the relay has
   the dispatcher deliver them to a local SMTP server: each message once.

Prefect's scheduler is off in this server: every run here comes from the relay (or the
test), so the test shows that the relay alone moves the work.
"""

from __future__ import annotations

import email
import email.policy
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import create_engine, func, make_url, select, text, update
from sqlalchemy.engine import URL
from sqlalchemy.pool import NullPool

from builders import DIAGNOSIS_ACCEPTED, INTAKE_RELEVANT, make_org, make_person, make_project
from loopback import LOOPBACK_ALLOW, loopback_channels
from pathways.bootstrap import App
from pathways.services.casework import opening
from pathways.services.tx import write
from pathways.settings import load_settings
from pathways.store.core import ATTEMPT, DOC, JOB, PERSON
from pathways.store.db import Store, init_database
from reliability.ledger import full as full_reliability
from reliability.ledger import record

pytestmark = [pytest.mark.e2e, pytest.mark.postgres, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
KILL_BATCH = 40  # case-steps in the run a worker dies in: enough for it to die half-way
OUTAGE_SECONDS = 150 if full_reliability() else 3  # how long Prefect stays down (after the decisions)
STALE_AFTER = 10  # seconds the surviving relay waits behind a run that stopped moving
SWEPT_NOTICES = 12


@pytest.fixture(autouse=True, scope="module")
def _loopback_channels() -> Iterator[None]:
    """These tests deliver to servers on 127.0.0.1: allowed as an operator would (PATHWAYS_CHANNEL_ALLOW)."""
    with loopback_channels():
        yield


# --- waiting, processes ------------------------------------------------------------------------------


def wait_until(what: str, check: Callable[[], Any], timeout: float, every: float = 0.25) -> Any:
    """Poll `check` until it returns something true; fail naming `what` after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        found = check()
        if found:
            return found
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout:.0f} s waiting for {what} (last: {found!r})")
        time.sleep(every)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Service:
    """A long-running child process, its output in a log file (shown when the test fails)."""

    name: str
    argv: list[str]
    env: dict[str, str]
    log: Path
    process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.log.parent.mkdir(parents=True, exist_ok=True)
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(
                self.argv,
                cwd=ROOT,
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def stop(self, timeout: float = 20) -> None:
        """SIGINT, then SIGKILL: the process and what it started (its process group)."""
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGINT)
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            os.killpg(self.pid, signal.SIGKILL)
            self.process.wait(timeout)

    def tail(self, lines: int = 40) -> str:
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])


def children(pid: int) -> list[int]:
    """Every descendant of `pid` (from /proc)."""
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            kids = [int(k) for k in (task / "children").read_text().split()]
        except OSError:
            continue
        for kid in kids:
            found += [kid, *children(kid)]
    return found


def cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


def run_cli(env: dict[str, str], *args: str, timeout: float = 60) -> tuple[int, str, float]:
    """One `pathways` command to its end: exit code, standard output and how long it took."""
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-m", "pathways", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    assert "Traceback" not in done.stderr, done.stderr
    return done.returncode, done.stdout, time.monotonic() - started


def run_all(env: dict[str, str], *commands: list[str]) -> list[tuple[int, str, float]]:
    """Independent commands side by side; each must succeed."""
    with ThreadPoolExecutor(max_workers=3) as pool:
        results = list(pool.map(lambda args: run_cli(env, *args), commands))
    for args, (code, out, _took) in zip(commands, results, strict=True):
        assert code == 0, f"pathways {' '.join(args)} exited {code}:\n{out}"
    return results


def sets(values: dict[str, str]) -> list[str]:
    return [arg for name, value in values.items() for arg in ("--set", f"{name}={value}")]


# --- databases ---------------------------------------------------------------------------------------


def server_url() -> URL:
    return make_url(os.environ.get("PATHWAYS_TEST_POSTGRES_URL") or DEFAULT_POSTGRES_URL)


def maintenance(*statements: str) -> None:
    engine = create_engine(
        server_url().set(database="postgres"), isolation_level="AUTOCOMMIT", poolclass=NullPool
    )
    try:
        with engine.connect() as conn:
            for statement in statements:
                conn.execute(text(statement))
    except Exception as exc:  # noqa: BLE001
        if os.environ.get("CI") == "true":
            pytest.fail(f"PostgreSQL unreachable ({exc}); CI=true requires the PostgreSQL tests")
        pytest.skip(f"PostgreSQL unreachable: {exc}")
    finally:
        engine.dispose()


@pytest.fixture(scope="module")
def databases() -> Iterator[tuple[URL, URL]]:
    """The application's database and Prefect's, created empty for this run and dropped after."""
    names = (f"pathways_orchestration_e2e_{os.getpid()}", f"pathways_prefect_e2e_{os.getpid()}")
    maintenance(
        *(s for n in names for s in (f'DROP DATABASE IF EXISTS "{n}" WITH (FORCE)', f'CREATE DATABASE "{n}"'))
    )
    app_db = server_url().set(database=names[0])
    prefect_db = server_url().set(drivername="postgresql+asyncpg", database=names[1])
    yield app_db, prefect_db
    maintenance(*(f'DROP DATABASE IF EXISTS "{n}" WITH (FORCE)' for n in names))


# --- the installation --------------------------------------------------------------------------------


@dataclass
class Mailbox:
    """An SMTP server on loopback keeping every message (the compose file's mail catcher)."""

    port: int = field(default_factory=free_port)
    messages: list[email.message.EmailMessage] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(email.message_from_bytes(envelope.content, policy=email.policy.default))
        return "250 OK"

    def url(self, to: str) -> str:
        return f"mailto://127.0.0.1:{self.port}?from=pathways@example.org&to={to}&mode=insecure"


@dataclass
class Installation:
    app: App
    env: dict[str, str]  # the `pathways` command's environment
    prefect: Service
    workers: list[Service]
    api: str
    mailbox: Mailbox
    org: int = 0
    officer: int = 0

    def jobs(self, *kinds: str) -> list[dict[str, Any]]:
        with self.app.store.read() as conn:
            query = select(JOB).where(JOB.c.kind.in_(kinds)).order_by(JOB.c.id)
            return [dict(r) for r in conn.execute(query).mappings()]

    def all_done(self, *kinds: str) -> bool:
        found = self.jobs(*kinds)
        return bool(found) and {j["status"] for j in found} == {"done"}

    def documents_per_entry(self) -> dict[tuple[int, int | None], int]:
        with self.app.store.read() as conn:
            rows = conn.execute(
                select(DOC.c.case_id, DOC.c.entry_id, func.count()).group_by(DOC.c.case_id, DOC.c.entry_id)
            )
            return {(case, entry): n for case, entry, n in rows}


def prefect_server(home: Path, db: URL, port: int) -> Service:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    env |= {
        "PREFECT_HOME": str(home),
        "PREFECT_API_DATABASE_CONNECTION_URL": db.render_as_string(hide_password=False),
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "PREFECT_SERVER_UI_ENABLED": "false",
        "PREFECT_SERVER_SERVICES_SCHEDULER_ENABLED": "false",  # runs come from the relay only
    }
    argv = [sys.executable, "-m", "prefect", "server", "start", "--host", "127.0.0.1", "--port", str(port)]
    return Service("prefect", argv, env, home / "server.log")


def healthy(api: str) -> bool:
    import httpx

    try:
        return httpx.get(f"{api}/health", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


@pytest.fixture(scope="module")
def installation(
    databases: tuple[URL, URL], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Installation]:
    app_db, prefect_db = databases
    home = tmp_path_factory.mktemp("scaled")
    url = app_db.render_as_string(hide_password=False)
    # Bounded even on a lock: no statement of the test's own waits for ever.
    store = Store(create_engine(url, poolclass=NullPool, connect_args={"options": "-c lock_timeout=30s"}))
    init_database(store)
    app = App(
        settings=load_settings(database_url=url, config_dir=ROOT / "config", environment="test"), store=store
    )
    port = free_port()
    api = f"http://127.0.0.1:{port}/api"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PATHWAYS_", "PREFECT_"))}
    env |= {
        "PATHWAYS_DATABASE_URL": url,
        "PATHWAYS_HOME": str(home),
        "PATHWAYS_ENVIRONMENT": "test",
        "PATHWAYS_EXECUTOR": "prefect",
        "PATHWAYS_SIMULATION": "true",  # step 4 sweeps 200 days ahead of the clock
        "PATHWAYS_CHANNEL_ALLOW": LOOPBACK_ALLOW,  # the workers send to the mailbox on 127.0.0.1
        "PREFECT_API_URL": api,
        "PREFECT_HOME": str(home / "client"),
        "COLUMNS": "200",
        "NO_COLOR": "1",
    }
    prefect = prefect_server(home / "prefect", prefect_db, port)
    worker_options = [
        "--poll",
        "1",
        "--limit",
        "2",
        "--relay-every",
        "0.5",
        "--stale-after",
        str(STALE_AFTER),
    ]
    workers = [
        Service(
            f"worker-{i}",
            [sys.executable, "-m", "pathways", "worker", *worker_options, "--name", f"e2e-{i}"],
            env,
            home / f"worker-{i}.log",
        )
        for i in (1, 2)
    ]
    mailbox = Mailbox()
    smtp = Controller(mailbox, hostname="127.0.0.1", port=mailbox.port)
    smtp.start()
    services = [prefect, *workers]
    try:
        for service in services:  # the workers wait for Prefect on their own
            service.start()
        wait_until("the Prefect server", lambda: healthy(api), timeout=150, every=0.5)
        yield Installation(app, env, prefect, workers, api, mailbox)
    finally:
        for service in reversed(services):
            service.stop()
        smtp.stop()
        store.dispose()


@contextmanager
def logs_on_failure(installation: Installation) -> Iterator[None]:
    """The services' last lines, printed when the scenario fails (pytest shows them with the failure)."""
    try:
        yield
    except BaseException:
        for service in [installation.prefect, *installation.workers]:
            print(f"\n----- {service.name} ({service.log}) -----\n{service.tail()}")
        raise


# --- Prefect's view ----------------------------------------------------------------------------------


def prefect_client(api: str) -> Any:
    from prefect.client.orchestration import SyncPrefectClient

    return SyncPrefectClient(api)


def online_workers(api: str) -> int:
    from prefect.client.schemas.filters import WorkerFilter, WorkerFilterStatus

    try:
        with prefect_client(api) as client:
            workers = client.read_workers_for_work_pool(
                "pathways",
                worker_filter=WorkerFilter(status=WorkerFilterStatus(any_=["ONLINE"])),
                limit=10,
                offset=0,
            )
    except Exception:  # noqa: BLE001  not there yet
        return 0
    return len(workers)


def task_runs_of(api: str, ref: str) -> list[tuple[str, str]]:
    """(name, state) of every task run of case `ref` (named ``<ref>:<stage>:<step>``)."""
    from prefect.client.schemas.filters import TaskRunFilter, TaskRunFilterName
    from prefect.client.schemas.sorting import TaskRunSort

    with prefect_client(api) as client:
        runs = client.read_task_runs(
            task_run_filter=TaskRunFilter(name=TaskRunFilterName(like_=f"{ref}:")),
            sort=TaskRunSort.EXPECTED_START_TIME_ASC,
            limit=50,
        )
    return [(r.name, r.state_name or "") for r in runs]


def engine_children(worker: Service) -> list[int]:
    return [p for p in children(worker.pid) if "pathways.orchestration.engine" in cmdline(p)]


# --- pathways status ---------------------------------------------------------------------------------


def test_status_exits_1_from_the_command_line_when_prefect_runs_the_work_and_does_not_answer(
    tmp_path: Path,
) -> None:
    url = f"sqlite:///{tmp_path / 'pathways.db'}"
    init_database(Store.from_url(url))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PATHWAYS_", "PREFECT_"))}
    env |= {
        "PATHWAYS_DATABASE_URL": url,
        "PATHWAYS_HOME": str(tmp_path),
        "PATHWAYS_ENVIRONMENT": "test",
        "PREFECT_API_URL": f"http://127.0.0.1:{free_port()}/api",  # nothing listens there
        "PREFECT_HOME": str(tmp_path / "prefect"),
        "NO_COLOR": "1",
    }
    code, out, _took = run_cli(env | {"PATHWAYS_EXECUTOR": "prefect"}, "status")
    assert code == 1, out
    assert "Prefect: unreachable at http://127.0.0.1:" in out
    # Run in-process (executor `inline`), the work does not need Prefect: the same report, exit 0.
    code, out, _took = run_cli(env | {"PATHWAYS_EXECUTOR": "inline"}, "status")
    assert (code, "Prefect: unreachable" in out) == (0, True), out


# --- the scenario ------------------------------------------------------------------------------------


def test_decisions_reach_prefect_workers_exactly_once_through_a_worker_crash_and_a_prefect_outage(
    installation: Installation,
) -> None:
    with logs_on_failure(installation):
        scenario(installation)


def scenario(inst: Installation) -> None:
    started = time.monotonic()
    wait_until("two workers online", lambda: online_workers(inst.api) >= 2, timeout=120, every=1)
    inst.org = make_org(inst.app, name="Maison de l'ESS")
    inst.officer = make_person(
        inst.app, inst.org, name="Camille Martin", channels=(inst.mailbox.url("camille@example.org"),)
    )
    make_person(
        inst.app,
        inst.org,
        name="Hugo Dubois",
        role="manager",
        channels=(inst.mailbox.url("hugo@example.org"),),
    )
    owner = make_person(
        inst.app,
        inst.org,
        name="Fien Peeters",
        role="owner",
        channels=(inst.mailbox.url("fien@example.org"),),
    )
    with inst.app.store.write() as conn:
        conn.execute(update(PERSON).values(digest=False))  # a message per item, no daily digest

    # 1. Cases opened from the command line: each intake sheet rendered once, visible in Prefect.
    projects = [make_project(inst.app, inst.org, name=f"Recyclerie {i}", owner=owner) for i in range(4)]
    opened = run_all(
        inst.env,
        *(["case", "open", str(p), "diagnosis", "--officer", str(inst.officer), "--json"] for p in projects),
    )
    refs = [json.loads(out)["ref"] for _, out, _ in opened]
    wait_until("the intake sheets", lambda: inst.all_done("step"), timeout=90)
    for ref in refs:

        def completed(ref: str = ref) -> list[tuple[str, str]]:
            return [n for n in task_runs_of(inst.api, ref) if n[1] == "Completed"]

        # the step is done in our database; Prefect records the task run's final state a moment
        # later, from the flow run's process: under CI load that took more than 30 s once
        named = wait_until(f"{ref}'s task run in Prefect", completed, timeout=90)
        assert named == [(f"{ref}:intake:render_document", "Completed")]
    phase1 = time.monotonic()

    # 2. A worker dies (SIGKILL, with its flow run) half-way through a run: the other finishes it.
    wait_until("the workers idle", lambda: not any(engine_children(w) for w in inst.workers), timeout=60)
    projects = [make_project(inst.app, inst.org, owner=owner) for _ in range(KILL_BATCH)]
    with write(inst.app) as tx:  # one transaction: the relays see the whole batch at once, one run takes it
        batch = [
            opening.open_case(tx, inst.app.catalog, project=p, pathway="diagnosis", officer=inst.officer).ref
            for p in projects
        ]
    wait_until(
        "the first case-steps of the batch",
        lambda: sum(j["status"] == "done" for j in inst.jobs("step")) > len(refs),
        timeout=60,
        every=0.05,
    )
    victim, kids = wait_until(
        "the worker running the batch",
        lambda: next(((w, kids) for w in inst.workers if (kids := engine_children(w))), None),
        timeout=10,
        every=0.05,
    )
    os.kill(victim.pid, signal.SIGKILL)
    for pid in kids:  # a machine going down takes its flow runs with it
        with suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    done_at_kill = sum(j["status"] == "done" for j in inst.jobs("step"))
    assert done_at_kill < len(refs) + KILL_BATCH, "the run ended before the worker could be killed"
    wait_until("the batch, on the surviving worker", lambda: inst.all_done("step"), timeout=120)
    last = batch[-1]
    assert (f"{last}:intake:render_document", "Completed") in wait_until(
        f"{last}'s task run", lambda: task_runs_of(inst.api, last), timeout=30
    )
    phase2 = time.monotonic()
    record(
        "fault",
        "SIGKILL of a pathways worker and its flow-run process mid-run (Prefect server on PostgreSQL)",
        tried=1,
        failures=0,
        detail=f"{len(batch)} case-steps in the run, {done_at_kill} done at the kill; the other worker "
        "finished them, each once",
    )

    # 3. Prefect stops: decisions succeed and wait; Prefect returns: the backlog drains.
    stopping = time.monotonic()
    inst.prefect.stop()
    stopped = time.monotonic()
    assert not healthy(inst.api)
    project = make_project(inst.app, inst.org, owner=owner)
    decided = run_all(
        inst.env,
        *(["case", "decide", ref, "relevant", *sets(INTAKE_RELEVANT)] for ref in refs[:2]),
        ["case", "open", str(project), "diagnosis", "--officer", str(inst.officer)],
    )
    decided += run_all(
        inst.env, *(["case", "decide", ref, "accepted", *sets(DIAGNOSIS_ACCEPTED)] for ref in refs[:2])
    )
    assert max(took for _, _, took in decided) < 30  # nobody waited for Prefect
    code, out, _took = run_cli(inst.env, "status", "--json")
    assert code == 1, out  # the work is Prefect's and Prefect does not answer: an operator's script sees it
    assert json.loads(out)["prefect"]["reachable"] is False
    time.sleep(OUTAGE_SECONDS)  # full reliability mode: Prefect stays down for minutes
    waiting = [j for j in inst.jobs("step") if j["status"] != "done"]
    assert len(waiting) == 3  # 2 support plans, 1 intake sheet: queued, not lost
    restarting = time.monotonic()
    inst.prefect.start()
    wait_until("Prefect back", lambda: healthy(inst.api), timeout=150, every=0.5)
    back = time.monotonic()
    wait_until("the backlog", lambda: inst.all_done("step"), timeout=120)
    phase3 = time.monotonic()
    code, out, _took = run_cli(inst.env, "status", "--json")
    assert code == 0, out
    assert json.loads(out)["prefect"]["reachable"] is True

    steps = inst.jobs("step")
    assert all(j["attempts"] == 1 for j in steps), [j["key"] for j in steps if j["attempts"] != 1]
    assert set(inst.documents_per_entry().values()) == {1}  # one document per stage entry: none twice
    assert len(inst.documents_per_entry()) == len(steps)
    record(
        "fault",
        "Prefect server stopped while officers decide, then restarted",
        tried=1,
        failures=0,
        detail=f"down {back - stopping:.0f} s; {len(decided)} commands succeeded meanwhile (slowest "
        f"{max(took for _, _, took in decided):.1f} s); {len(waiting)} steps waited and ran once after",
    )

    # 4. The sweep (through its deployment) queues messages; the relay has them delivered once.
    later = datetime.now(UTC) + timedelta(days=200)
    with prefect_client(inst.api) as client:
        sweep = client.read_deployment_by_name("sweep/pathways")
        # Some of the notices are enough (a message per recipient each): the rest stay for later sweeps.
        client.create_flow_run_from_deployment(
            sweep.id, parameters={"now": later.isoformat(), "limit": SWEPT_NOTICES}
        )
    messages = wait_until(
        "the sweep's messages, delivered",
        lambda: (m := inst.jobs("message")) and {j["status"] for j in m} == {"done"} and m,
        timeout=120,
    )
    wait_until("the mails", lambda: len(inst.mailbox.messages) >= len(messages), timeout=30)
    time.sleep(2)
    assert len(inst.mailbox.messages) == len(messages)
    with inst.app.store.read() as conn:
        sent = conn.execute(
            select(ATTEMPT.c.job_id, func.count())
            .where(ATTEMPT.c.outcome == "sent")
            .group_by(ATTEMPT.c.job_id)
        ).all()
    assert sorted(job for job, n in sent if n == 1) == sorted(m["id"] for m in messages)
    finished = time.monotonic()
    print(
        f"\nphases: start+open {phase1 - started:.0f} s, worker killed {phase2 - phase1:.0f} s, "
        f"outage {phase3 - phase2:.0f} s (stop {stopped - stopping:.0f} s, decisions "
        f"{restarting - stopped:.0f} s, restart {back - restarting:.0f} s, drain {phase3 - back:.0f} s), "
        f"messages {finished - phase3:.0f} s; {len(messages)} messages"
    )
