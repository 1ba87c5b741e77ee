"""Latency of the web app under load: the API's case list and decisions, and the officers' pages
(case list, search, due list, a case, a project), 50 concurrent clients.

    PYTHONPATH=src python bench/web.py [--cases 100000] [--clients 50] [--requests 3000] [--runs 3]
                        [--think 1.0] [--officer-requests 1500] [--page-requests 1800] [--pages-only]
                        [--backend sqlite|postgres|both] [--workers 2] [--postgres-url URL] [--quick]
                        [--json PATH] [--no-record] [--timing]

--quick: 10,000 cases, 600 requests a saturated phase and 300 at think time, SQLite only unless
--backend (about a minute). The whole report is printed; the figures, compact, replace the
sections of bench/RESULTS.md of the latest run: ``web_pages`` (the pages) and ``web`` (the
API; not with --pages-only).
--json PATH: also write the figures as a JSON list (the bench/run.py suite contract, see
:func:`figures_of`).

1. setup (not timed): a fresh database (a SQLite file, or the PostgreSQL database of
   `--postgres-url`, dropped and created again); one organisation, 20 officers and
   `--cases` projects with a diagnosis case each at intake and an owner each, bulk-loaded with
   Core (rows shaped as ``cases.open_case`` writes them; names, SIRETs and deadlines from
   bench/web_pages.py); one officer gets an account and an API token through the services;
2. a real server: ``uvicorn --workers W`` on 127.0.0.1 (the application built from
   the environment, as ``pathways serve --workers W`` does);
3. `--clients` keep-alive connections, opened one after the other (each sends one request, then
   the next opens 10 ms later: officers do not all connect in the same millisecond, and a burst
   of connections is accepted whole by whichever worker wakes first); how many each worker
   process holds is reported (Linux);
4. `--runs` times, three scenarios on those connections; latency is measured by the client,
   from writing the request to reading the whole answer (status checked, body read to its
   ``Content-Length``):

   - **saturation**: each client sends its next request as soon as it has the answer (no think
     time): a capacity test. Three phases of `--requests` requests: ``GET /api/v1/health``
     (no token, one ``SELECT 1``: the floor of the server and the load), the case list
     ``GET /api/v1/cases?officer=<me>&limit=50`` (the officer's open cases, newest first,
     among 100,000) and decisions ``POST /api/v1/cases/<ref>/decisions`` (intake -> relevant,
     every field, ``expected_version``), each on a different case of the organisation;
   - **officers at work**: each client waits a think time after every answer, exponentially
     distributed with mean `--think` seconds (an officer reads a page for several seconds:
     1 s is far busier), so the clients offer about clients / think requests a second; the
     requests alternate case list and decision, `--officer-requests` in all;
   - **officers at work on the pages**: the same think time, `--page-requests` page requests with
     the officer's session cookie, the kinds of web_pages.PAGES in turn (their own case list,
     the organisation's open cases by deadline, by project, overdue, a far page, searches by an
     owner's surname, a project's name, a reference, a SIRET with spaces and a common word, the
     due list, a case page, a project page); p99 of each page. ``--pages-only`` runs this
     scenario alone. ``--config-dir``: the pathways and templates the server reads (default
     config/).

The load generator is asyncio streams writing prepared HTTP/1.1 requests (~0.1-0.2 ms of CPU a
request, measured and reported): it shares the machine's cores with the server, and httpx cost
1.9-2.4 ms of CPU a request, as much as the server's own work.

Figures: p50, p99 and max latency, and requests/s over the phase (median of the runs).

--timing: where the pages' time went (bench/web_timing.py; nothing recorded): the server runs
pathways' application wrapped in a middleware that adds a Server-Timing header to each answer
(when the worker's application got the request and had the answer, on the machine's monotonic
clock, the client's too; its time in the database driver and in the worker's garbage collector),
and the client notes its own collections and how late its event loop wakes. Each request then
splits into before (kernel, the worker's event loop), app and after (the client reading it); the
workers' collections by generation (wall and CPU ms) and the SQLite log's size are printed after
each run. The latency figures are still the client's, every request counted.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import socket
import subprocess
import sys
import time
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from pathways.store.core import CASE, ENTRY, PERSON, PROJECT

sys.path.insert(0, str(Path(__file__).resolve().parent))

import httpx
from sqlalchemy import insert, text

import web_pages
import web_timing
from common import (
    ROOT,
    exclusive_run,
    figure,
    fresh_database,
    median,
    percentile,
    record_run,
    run_context,
    server_settings,
    write_figures,
)
from pathways.bootstrap import App, Clock
from pathways.services.people import accounts, directory
from pathways.services.tx import write
from pathways.settings import Settings
from pathways.store.db import Store

POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/pathways_bench_web"
HOST = "127.0.0.1"
OFFICERS = 20
BATCH = 10_000
WARM_UP = 200  # requests of each kind before the measured phases (one-time costs, caches)
STAGGER = 0.01  # seconds between two clients' connections
SECRET = "bench-web-secret-not-a-secret-0123456789"
DECISION = {
    "met_on": "2026-07-08",
    "legal_form": "association",
    "salaried_jobs": "4",
    "request": "Consolider le modèle économique",
}


def load(app: App, cases: int) -> tuple[int, str, list[str]]:
    """Bulk-load the cases; return the benchmarked officer's id, token and every case reference."""
    now = datetime.now(UTC)
    with write(app) as tx:
        org = directory.add_org(tx, name="DLA de Paris", territory="FR-75").id
        officers = [
            directory.add_person(
                tx,
                name=f"Officer {i}",
                org=org,
                role="officer",
                email=f"o{i}@example.org",
                language="fr",
                channels=[],
            ).id
            for i in range(OFFICERS)
        ]
    due = now + timedelta(days=21)
    owners = officers[-1] + 1  # owner of project i: person owners + i
    for start in range(0, cases, BATCH):
        ids = range(start + 1, min(start + BATCH, cases) + 1)
        with app.store.write() as conn:
            conn.execute(insert(PERSON), web_pages.owner_rows(owners, ids, now))
            conn.execute(
                insert(PROJECT),
                [
                    {
                        "id": i, "organisation_id": org, "name": web_pages.project_name(i),
                        "legal_form": "association", "territory": "FR-75", "phase": "founded",
                        "siren": web_pages.siret(i)[:9], "siret": web_pages.siret(i), "owner_id": owners + i,
                        "permanent_jobs": 3, "fixed_term_jobs": 0, "created_at": now,
                    }
                    for i in ids
                ],
            )  # fmt: skip
            conn.execute(
                insert(CASE),
                [
                    {
                        "id": i, "ref": f"DIAG-2026-{i:06d}", "organisation_id": org, "project_id": i,
                        "pathway_id": "diagnosis", "pathway_version": 1, "stage": "intake", "status": "open",
                        "officer_id": officers[i % OFFICERS], "due_at": web_pages.due_of(i, due, now),
                        "opened_at": now, "data": {}, "version": 1,
                    }
                    for i in ids
                ],
            )  # fmt: skip
            conn.execute(
                insert(ENTRY),
                [
                    {
                        "id": i,
                        "case_id": i,
                        "seq": 1,
                        "stage": "intake",
                        "entered_at": now,
                        "due_at": due,
                        "values": {},
                    }
                    for i in ids
                ],
            )
            conn.execute(CASE.update().where(CASE.c.id.in_(list(ids))).values(current_entry_id=CASE.c.id))
    with app.store.write() as conn:
        for table in ("person", "project", "case", "stageentry") if app.store.dialect == "postgresql" else ():
            conn.execute(
                text(
                    f"SELECT setval(pg_get_serial_sequence('\"{table}\"', 'id'), "
                    f'(SELECT max(id) FROM "{table}"))'
                )
            )
        conn.execute(
            text("INSERT INTO refcounter (prefix, year, last) VALUES ('DIAG', 2026, :n)"), {"n": cases}
        )
        conn.execute(text("ANALYZE"))
    if app.store.dialect == "postgresql":
        # What autovacuum does to a table after its first 100,000 rows: the visibility map lets a
        # count read an index alone (VACUUM runs outside a transaction).
        with app.store.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text('VACUUM (ANALYZE) "case", project, person, stageentry'))
    me = officers[0]
    with write(app) as tx:
        accounts.add_user(tx, person=me, password=web_pages.SECRET_PASSWORD)
        token = accounts.create_token(tx, person=me, name="bench").token
    # An officer may decide any case of the organisation (a colleague's too): the decisions take
    # cases in order, each once (every run needs thousands, more than one officer's share).
    refs = [f"DIAG-2026-{i:06d}" for i in range(1, cases + 1)]
    return me, token, refs


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def start_server(
    url: str, port: int, workers: int, config_dir: Path, *, timing: bool = False
) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "PATHWAYS_DATABASE_URL": url,
        "PATHWAYS_SECRET_KEY": SECRET,
        "PATHWAYS_ENVIRONMENT": "test",
        "PATHWAYS_CONFIG_DIR": str(config_dir),
        "PATHWAYS_BASE_URL": f"http://{HOST}:{port}",
    }
    factory = "web_timing:app_from_environment" if timing else "pathways.web.factory:app_from_environment"
    command = [
        sys.executable, "-m", "uvicorn", "--factory", factory, "--app-dir", str(ROOT / "bench"),
        "--host", HOST, "--port", str(port), "--workers", str(workers), "--log-level", "warning",
        "--no-access-log",
    ]  # fmt: skip
    server = subprocess.Popen(command, env=env, cwd=ROOT)
    deadline = time.monotonic() + 180  # a machine shared with test suites may take minutes to start it
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://{HOST}:{port}/login", timeout=1).status_code == 200:
                return server
        except httpx.HTTPError:
            time.sleep(0.2)
    server.kill()
    raise SystemExit("the server did not start")


# --- the load generator --------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Request:
    """One request, its bytes written once: the client only sends them."""

    kind: str  # "health" | "list" | "decision"
    raw: bytes


def prepare(
    kind: str, method: str, path: str, token: str | None, body: object = None, cookie: str | None = None
) -> Request:
    payload = json.dumps(body).encode() if body is not None else b""
    head = f"{method} {path} HTTP/1.1\r\nHost: {HOST}\r\n"
    if token:
        head += f"Authorization: Bearer {token}\r\n"
    if cookie:
        head += f"Cookie: {cookie}\r\n"
    if body is not None:
        head += f"Content-Type: application/json\r\nContent-Length: {len(payload)}\r\n"
    return Request(kind, (head + "\r\n").encode() + payload)


class Connection:
    """One keep-alive HTTP/1.1 connection: a request out, the whole answer back."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None
        self.reused = False
        self.timing: str | None = None  # the last answer's Server-Timing header (--timing)

    async def send(self, raw: bytes) -> tuple[int, bytes]:
        """The status and body of the answer to `raw`."""
        while True:
            if self.writer is None:
                self.reader, self.writer = await asyncio.open_connection(HOST, self.port)
                self.reused = False
            assert self.reader is not None
            self.writer.write(raw)
            try:
                head = await self.reader.readuntil(b"\r\n\r\n")
            except (asyncio.IncompleteReadError, ConnectionError) as error:
                # The server closed the connection while it was idle (keep-alive timeout) and
                # read nothing of this request: send it again on a new one, as browsers do.
                partial = getattr(error, "partial", b"")
                if not self.reused or partial:
                    raise
                self.close()
                continue
            status, length, close, self.timing = parse_head(head)
            body = await self.reader.readexactly(length)
            self.reused = True
            if close:
                self.close()
            return status, body

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None


def parse_head(head: bytes) -> tuple[int, int, bool, str | None]:
    """Status, Content-Length, whether the server closes the connection and the Server-Timing
    header (``--timing``), from a response head."""
    lines = head.decode("latin-1").split("\r\n")
    version, status, *_ = lines[0].split(" ", 2)
    if not version.startswith("HTTP/1."):
        raise ValueError(f"not an HTTP/1.x answer: {lines[0]!r}")
    headers: dict[str, str] = {}
    for line in lines[1:]:
        if line:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
    if "content-length" not in headers:  # the API always sends one; anything else is a surprise
        raise ValueError(f"answer without Content-Length: {head[:300]!r}")
    closes = headers.get("connection", "").lower() == "close"
    return int(status), int(headers["content-length"]), closes, headers.get("server-timing")


async def connect(port: int, clients: int, first: Request) -> list[Connection]:
    """`clients` connections, opened one after the other, each sending `first` once."""
    conns = []
    for _ in range(clients):
        conn = Connection(port)
        status, body = await conn.send(first.raw)
        if status >= 300:
            raise SystemExit(f"{status} {body[:200]!r}")
        conns.append(conn)
        await asyncio.sleep(STAGGER)
    return conns


Figures = dict[str, float]
"""n, p50, p99, max (ms), rate (requests/s); CPU a request (ms): cpu (load generator), server
(the server's processes) and database (PostgreSQL's processes; SQLite runs inside the server)."""
TICK = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pids: Sequence[int]) -> float:
    """User + system CPU time of processes, in seconds (Linux; gone processes count 0)."""
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / TICK


@dataclass
class CpuMeter:
    """Where a phase's CPU goes: the server's processes and the database's (seconds so far)."""

    server: int | None  # the uvicorn process, parent of the workers (None: no server measured)
    database_user: int | None  # uid of the database server's processes (None: SQLite, in-process)

    def read(self) -> tuple[float, float]:
        server = [] if self.server is None else [self.server, *_children(self.server)]
        user = self.database_user
        database = [] if user is None else [pid for pid in _pids() if _owner(pid) == user]
        return cpu_seconds(server), cpu_seconds(database)


def database_user(store: Store) -> int | None:
    """The uid of PostgreSQL's processes (the owner of this session's backend); None on SQLite."""
    if store.dialect != "postgresql":
        return None
    with store.read() as conn:
        return _owner(conn.execute(text("SELECT pg_backend_pid()")).scalar_one())


async def phase(
    conns: Sequence[Connection],
    requests: Sequence[Request],
    think: float,
    meter: CpuMeter | None = None,
    samples: list[web_timing.Sample] | None = None,
) -> dict[str, Figures]:
    """Send `requests` over the connections, each client in turn taking the next; figures by kind.

    With `think` > 0 a client waits an exponentially distributed time of that mean before its
    first request and after every answer. `meter`: also where the server's CPU went. `samples`:
    each request's times on both sides (``--timing``), appended.
    """
    todo = deque(requests)
    latencies: dict[str, list[float]] = {r.kind: [] for r in requests}
    errors: list[str] = []
    rng = random.Random(len(requests))

    async def client(conn: Connection) -> None:
        if think:
            await asyncio.sleep(rng.expovariate(1 / think))
        while todo:
            request = todo.popleft()
            started = time.perf_counter()
            status, body = await conn.send(request.raw)
            done = time.perf_counter()
            latencies[request.kind].append((done - started) * 1000)
            if samples is not None and conn.timing is not None:
                samples.append(web_timing.Sample(request.kind, started, done, web_timing.parse(conn.timing)))
            if status >= 300:
                errors.append(f"{status} {request.raw.split(b' ', 2)[1].decode()} {body[:200]!r}")
            if think and todo:
                await asyncio.sleep(rng.expovariate(1 / think))

    before = meter.read() if meter else (0.0, 0.0)
    started, cpu = time.perf_counter(), time.process_time()
    await asyncio.gather(*(client(c) for c in conns))
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    after = meter.read() if meter else (0.0, 0.0)
    if errors:
        raise SystemExit(f"{len(errors)} failed requests, first: {errors[0]}")
    out = {}
    for kind, values in latencies.items():
        values.sort()
        out[kind] = {
            "n": len(values),
            "p50": percentile(values, 0.50),
            "p99": percentile(values, 0.99),
            "max": values[-1],
            "rate": len(values) / elapsed,
            "cpu": cpu * 1000 / len(requests),
            "server": (after[0] - before[0]) * 1000 / len(requests),
            "database": (after[1] - before[1]) * 1000 / len(requests),
        }
    return out


def connections_per_worker(server: subprocess.Popen[bytes], port: int) -> list[int]:
    """How many established connections to `port` each worker process holds, most first (Linux)."""
    try:
        workers = [pid for pid in _children(server.pid) if b"resource_tracker" not in _cmdline(pid)] or [
            server.pid
        ]
        owner = {}
        for pid in workers:
            for fd in Path(f"/proc/{pid}/fd").iterdir():
                target = str(fd.readlink())
                if target.startswith("socket:["):
                    owner[target[8:-1]] = pid
        counts = dict.fromkeys(workers, 0)
        for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
            fields = line.split()
            local_port, state, inode = int(fields[1].rsplit(":", 1)[1], 16), fields[3], fields[9]
            if local_port == port and state == "01" and inode in owner:  # 01: ESTABLISHED
                counts[owner[inode]] += 1
    except (OSError, ValueError, IndexError):
        return []
    return sorted(counts.values(), reverse=True)


def _pids() -> list[int]:
    return [int(p.name) for p in Path("/proc").iterdir() if p.name.isdigit()]


def _children(pid: int) -> list[int]:
    return [child for child in _pids() if _parent(child) == pid]


def _parent(pid: int) -> int | None:
    try:
        return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])
    except (OSError, ValueError, IndexError):
        return None


def _owner(pid: int) -> int | None:
    try:
        return Path(f"/proc/{pid}").stat().st_uid
    except OSError:
        return None


def _cmdline(pid: int) -> bytes:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return b""


# --- one backend ---------------------------------------------------------------------------

Run = dict[str, dict[str, Figures]]  # scenario ("saturated", "officers", "pages") -> kind -> figures
KINDS = ("health", "list", "decision")
LABELS = {
    "health": "baseline: health (GET /api/v1/health)",
    "list": "officer's case list (GET /api/v1/cases)",
    "decision": "decision (POST .../decisions)",
}
NAMES = {"health": "health", "list": "case list", "decision": "decision"}


@dataclass
class Measured:
    """One backend's runs and what describes them."""

    runs: list[Run]
    settings: dict[str, str]
    spread: list[list[int]]  # connections per worker process at the start of each run
    load: tuple[float, float]  # 1-minute load average before and after


def measure(url: str, backend: str, args: argparse.Namespace) -> Measured:
    """Load the database, start the server, run both scenarios `args.runs` times."""
    db = fresh_database(backend, postgres_url=args.postgres_url)
    app = App(
        settings=Settings(secret_key=SECRET, environment="test", config_dir=args.config_dir),
        store=db.store,
        clock=Clock(),
    )
    began = time.perf_counter()
    me, token, refs = load(app, args.cases)
    print(f"[{backend}] loaded {args.cases} cases in {time.perf_counter() - began:.1f}s")
    settings = server_settings(db.store)
    body = {"outcome": "relevant", "values": DECISION, "expected_version": 1}
    posts = iter([prepare("decision", "POST", f"/api/v1/cases/{ref}/decisions", token, body) for ref in refs])
    needed = WARM_UP + args.runs * (args.requests + args.officer_requests // 2)
    if needed > len(refs) and not args.pages_only:
        raise SystemExit(f"{needed} decisions need as many cases: raise --cases or lower --requests")
    health = prepare("health", "GET", "/api/v1/health", None)
    listing = prepare("list", "GET", f"/api/v1/cases?officer={me}&limit=50", token)

    def decisions(n: int) -> list[Request]:
        return [next(posts) for _ in range(n)]

    port = free_port()
    server = start_server(
        url if backend == "postgres" else db.url, port, args.workers, args.config_dir, timing=args.timing
    )
    meter = CpuMeter(server.pid, database_user(db.store))
    cookie = web_pages.login_cookie(f"http://{HOST}:{port}", "o0@example.org", web_pages.SECRET_PASSWORD)

    def pages(n: int, seed: int) -> list[Request]:
        paths = web_pages.page_paths(args.cases, n, seed)
        return [prepare(kind, "GET", path, None, cookie=cookie) for kind, path in paths]

    runs: list[Run] = []
    load_before = os.getloadavg()[0]
    try:

        async def scenarios() -> list[list[int]]:
            spread = []
            conns = await connect(port, args.clients, health)
            warm_ups = [[health] * WARM_UP, pages(WARM_UP, 0)]
            if not args.pages_only:
                warm_ups += [[listing] * WARM_UP, decisions(WARM_UP)]
            for warm in warm_ups:
                await phase(conns, warm, 0)
            for i in range(args.runs):
                # New connections each run: the server closes those left idle (keep-alive timeout)
                # while the last officers finish, and a burst of reconnections would all land on
                # one worker.
                for conn in conns:
                    conn.close()
                conns = await connect(port, args.clients, health)
                spread.append(connections_per_worker(server, port))
                run: Run = {}
                if not args.pages_only:
                    run["saturated"] = {}
                    for requests in (
                        [health] * args.requests,
                        [listing] * args.requests,
                        decisions(args.requests),
                    ):
                        run["saturated"] |= await phase(conns, requests, 0, meter)
                    half = args.officer_requests // 2
                    mixed = [r for pair in zip([listing] * half, decisions(half), strict=True) for r in pair]
                    run["officers"] = await phase(conns, mixed, args.think)
                probe = web_timing.Probe(db.url, HOST) if args.timing else None
                samples = None if probe is None else probe.samples
                run["pages"] = await phase(
                    conns, pages(args.page_requests, i + 1), args.think, meter, samples
                )
                if probe is not None:
                    print(f"[{backend}] run {i + 1}, pages, where the time went:")
                    print(await probe.finish(conns))
                print(
                    f"[{backend}] run {i + 1}: "
                    + "; ".join(
                        f"{scenario} {kind} p50 {f['p50']:.1f} p99 {f['p99']:.1f} ms {f['rate']:.0f}/s"
                        for scenario, kinds in run.items()
                        for kind, f in kinds.items()
                    ),
                    flush=True,
                )
                runs.append(run)
            for conn in conns:
                conn.close()
            return spread

        spread = asyncio.run(scenarios())
    finally:
        server.terminate()
        server.wait(timeout=30)
        db.close()
    return Measured(runs, settings, spread, (load_before, os.getloadavg()[0]))


# --- figures and text ----------------------------------------------------------------------


def officers_label(args: argparse.Namespace) -> str:
    """How the think-time scenario is named in figures: "50 officers at 1 s think time"."""
    return f"{args.clients} officers at {args.think:g} s think time"


def figures_of(backend: str, args: argparse.Namespace, runs: list[Run]) -> list[dict[str, object]]:
    """The --json figures.

    Saturation (names unchanged since the first version): ``health p50|p99``, ``case list
    p50|p99`` and ``decision p50|p99`` in ms, each against health's same percentile, and the
    capacity ``<request> requests/s, saturated`` in req/s. Officers at work: ``case list p99,
    50 officers at 1 s think time`` (and p50, and decision), in ms. The pages: ``page <kind>
    p50|p99, 50 officers at 1 s think time`` (kinds: web_pages.PAGES), in ms.
    """
    out: list[dict[str, object]] = []
    for stat in ("p50", "p99"):
        for kind in web_pages.PAGES:
            values = [r["pages"][kind][stat] for r in runs]
            name = f"page {kind} {stat}, {officers_label(args)}"
            out.append(figure("web", name, backend, args.cases, "ms", values))
    if args.pages_only:
        return out
    sat = [r["saturated"] for r in runs]
    for stat in ("p50", "p99"):
        base = median([r["health"][stat] for r in sat])
        out.append(
            figure("web", f"health {stat}", backend, args.cases, "ms", [r["health"][stat] for r in sat])
        )
        for kind in ("list", "decision"):
            values = [r[kind][stat] for r in sat]
            out.append(
                figure(
                    "web", f"{NAMES[kind]} {stat}", backend, args.cases, "ms", values,
                    baseline=(f"health {stat}", base),
                )
            )  # fmt: skip
    for kind in KINDS:
        rates = [r[kind]["rate"] for r in sat]
        out.append(figure("web", f"{NAMES[kind]} requests/s, saturated", backend, args.cases, "req/s", rates))
    for stat in ("p50", "p99"):
        for kind in ("list", "decision"):
            values = [r["officers"][kind][stat] for r in runs]
            name = f"{NAMES[kind]} {stat}, {officers_label(args)}"
            out.append(figure("web", name, backend, args.cases, "ms", values))
    return out


def _col(runs: list[Run], scenario: str, kind: str) -> dict[str, float]:
    keys = ("n", "p50", "p99", "max", "rate", "cpu", "server", "database")
    return {k: median([r[scenario][kind].get(k, 0.0) for r in runs]) for k in keys}


def _p99_range(runs: list[Run], scenario: str, kind: str) -> str:
    values = [r[scenario][kind]["p99"] for r in runs]
    return f"{min(values):.0f}–{max(values):.0f}"


def verdict(value: float, aim: float = 100.0) -> str:
    """Met or missed, and by how much."""
    if value <= aim:
        return f"met ({1 - value / aim:.0%} under)"
    return f"**missed** (×{value / aim:.1f} the aim)"


def pages_section(measured: Measured, args: argparse.Namespace) -> str:
    """The Markdown table of the pages under officers at work."""
    runs = measured.runs
    rows = []
    for kind, label in web_pages.PAGES.items():
        col = _col(runs, "pages", kind)
        rows.append(
            f"| {label} | {int(col['n'])} | {col['p50']:.1f} | {col['p99']:.1f} "
            f"({_p99_range(runs, 'pages', kind)}) | {col['max']:.1f} | {verdict(col['p99'])} |"
        )
    every = sorted(v for r in runs for f in r["pages"].values() for v in [f["p99"]])
    achieved = median([sum(f["rate"] for f in r["pages"].values()) for r in runs])
    # The meter's CPU is of the whole phase, shared out over its requests (every kind gets the mean).
    cpu = _col(runs, "pages", next(iter(web_pages.PAGES)))
    total = _cpu(cpu)
    cores = os.cpu_count() or 1
    return f"""**Officers at work on the pages** ({officers_label(args)}, logged in with a session cookie,
each answer the whole HTML page; {args.page_requests} requests a run, the kinds in turn; about
{args.clients / args.think:.0f} requests a second offered, {achieved:.0f} served). The officer has
{args.cases // OFFICERS:,} of the {args.cases:,} cases; every project has an owner (about 100
people a surname) and a SIRET; one case in fifty is overdue.

| page | n | p50 ms | p99 ms (range) | max ms | aim p99 < 100 ms |
| --- | ---: | ---: | ---: | ---: | --- |
{chr(10).join(rows)}

Worst page p99: {every[-1]:.0f} ms. CPU a page, mean over the phase: {cpu["server"]:.1f} ms server +
{cpu["database"]:.1f} ms database + {cpu["cpu"]:.2f} ms load generator = {total:.1f} ms, so {cores} cores
serve at most {cores * 1000 / total:.0f} pages a second when nothing else runs
({args.clients / args.think / (cores * 1000 / total):.0%} of it offered); load average (1 min)
{measured.load[0]:.1f} before, {measured.load[1]:.1f} after: other work on the machine takes its share.
"""


def section(backend: str, measured: Measured, args: argparse.Namespace) -> str:
    """The Markdown of one backend's results."""
    runs, settings = measured.runs, measured.settings
    if args.pages_only:
        return f"### {_engine(backend, settings)}\n\n{pages_section(measured, args)}"
    engine = _engine(backend, settings)
    health = _col(runs, "saturated", "health")
    saturated = []
    for kind in KINDS:
        col = _col(runs, "saturated", kind)
        ratio = (
            ""
            if kind == "health"
            else f"{col['p50'] / health['p50']:.1f}× / {col['p99'] / health['p99']:.1f}×"
        )
        saturated.append(
            f"| {LABELS[kind]} | {int(col['n'])} | {col['p50']:.1f} | {col['p99']:.1f} "
            f"({_p99_range(runs, 'saturated', kind)}) | {col['max']:.1f} | **{col['rate']:.0f}** | {ratio} |"
        )
    cores = os.cpu_count() or 1
    budget = []
    for kind in KINDS:
        col = _col(runs, "saturated", kind)
        total = _cpu(col)
        most = cores * 1000 / total if total else float("inf")
        budget.append(
            f"| {LABELS[kind]} | {col['server']:.2f} | {col['database']:.2f} | {col['cpu']:.2f} "
            f"| {total:.2f} | {most:.0f} | {args.clients / most * 1000:.0f} |"
        )
    officers = []
    for kind in ("list", "decision"):
        col = _col(runs, "officers", kind)
        officers.append(
            f"| {LABELS[kind]} | {int(col['n'])} | {col['p50']:.1f} | {col['p99']:.1f} "
            f"({_p99_range(runs, 'officers', kind)}) | {col['max']:.1f} |"
        )
    achieved = median([sum(f["rate"] for f in r["officers"].values()) for r in runs])
    cpu = median([f["cpu"] for r in runs for scenario in r.values() for f in scenario.values()])
    spread = ", ".join("/".join(str(n) for n in s) for s in measured.spread if s) or "unknown"
    sat_list, sat_decision = _col(runs, "saturated", "list"), _col(runs, "saturated", "decision")
    off_list, off_decision = _col(runs, "officers", "list"), _col(runs, "officers", "decision")
    mix = 1 / (0.5 / sat_list["rate"] + 0.5 / sat_decision["rate"])  # alternating list and decision
    list_verdict = _cpu_verdict(sat_list, cores, args.clients)
    decision_verdict = _cpu_verdict(sat_decision, cores, args.clients)
    plural = "s" if len(runs) > 1 else ""
    return f"""### {engine}

{args.cases:,} cases in one organisation, 20 officers; {len(runs)} run{plural}: medians of the runs, p99
range in brackets. Connections per worker process at the start of each run: {spread}.
Load generator: {cpu:.2f} ms of CPU a request. Load average (1 min): {measured.load[0]:.1f} before,
{measured.load[1]:.1f} after.

**Saturation**: {args.clients} clients, no think time (each sends its next request as soon as it
has the answer): a capacity test, where latency is mostly queueing (about clients / capacity).

| request | n | p50 ms | p99 ms (range) | max ms | req/s (capacity) | × health p50 / p99 |
| --- | ---: | ---: | ---: | ---: | ---: | ---: |
{chr(10).join(saturated)}

Where the CPU of a saturated phase went, per request (ms; from /proc, the server's processes,
{"PostgreSQL's processes" if backend == "postgres" else "none apart: SQLite runs inside the server"},
and the load generator), and what it allows on {cores} cores: at most cores / CPU requests a
second, so with {args.clients} requests in flight a mean latency of at least {args.clients} × CPU / cores
(time waiting on the disk or on locks only adds to it).

| request | server | database | load generator | CPU a request | most req/s | least mean ms |
| --- | ---: | ---: | ---: | ---: | ---: | ---: |
{chr(10).join(budget)}

**Officers at work**: {args.clients} clients, each thinking {args.think:g} s on average
(exponentially distributed) after every answer, alternating case list and decision: about
{args.clients / args.think:.0f} requests a second offered ({achieved:.0f} served over the phase,
stragglers included), {args.clients / args.think / mix:.0%} of the capacity for that mix
({mix:.0f} req/s, from the saturated figures).

| request | n | p50 ms | p99 ms (range) | max ms |
| --- | ---: | ---: | ---: | ---: |
{chr(10).join(officers)}

Aim (issue 7), p99 under 100 ms:
- **{officers_label(args)}** (~{args.clients / args.think:.0f} req/s): case list p99
  {off_list["p99"]:.0f} ms, {verdict(off_list["p99"])}; decision p99 {off_decision["p99"]:.0f} ms,
  {verdict(off_decision["p99"])}.
- **saturated**, {args.clients} clients without think time: case list p99 {sat_list["p99"]:.0f} ms,
  {verdict(sat_list["p99"])}; decision p99 {sat_decision["p99"]:.0f} ms, {verdict(sat_decision["p99"])}.
  With {args.clients} requests always in flight, each waits for about {args.clients} / capacity:
  {args.clients / sat_list["rate"] * 1000:.0f} ms at {sat_list["rate"]:.0f} lists a second,
  {args.clients / sat_decision["rate"] * 1000:.0f} ms at {sat_decision["rate"]:.0f} decisions a second;
  even a mean under 100 ms would need {args.clients * 10} requests a second, so at most
  {cores} × 100 / {args.clients} = {cores * 100 / args.clients:.1f} ms of CPU a request (server, database and
  load generator together, table above). Spent: {_cpu(sat_list):.2f} ms a list,
  {_cpu(sat_decision):.2f} ms a decision (case list: {list_verdict}; decision: {decision_verdict}).

{pages_section(measured, args)}"""


def _engine(backend: str, settings: dict[str, str]) -> str:
    if backend == "postgres":
        return (
            f"PostgreSQL {settings['version']} (fsync {settings['fsync']}, "
            f"synchronous_commit {settings['synchronous_commit']})"
        )
    journal, synchronous = settings["journal_mode"], settings["synchronous"]
    return f"SQLite {settings['version']} (journal {journal}, synchronous {synchronous})"


def _cpu(col: dict[str, float]) -> float:
    """CPU milliseconds a request of a saturated phase: server, database and load generator."""
    return col["server"] + col["database"] + col["cpu"]


def _cpu_verdict(col: dict[str, float], cores: int, clients: int) -> str:
    """Whether the CPU a request alone keeps the mean latency of a saturated phase over 100 ms."""
    least = clients * _cpu(col) / cores
    if least >= 100:
        return f"CPU alone keeps the mean at {least:.0f} ms or more: the aim is out of reach on {cores} cores"
    return f"CPU alone allows a mean of {least:.0f} ms"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=None, help="default 100000; 10000 with --quick")
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument(
        "--requests", type=int, default=None, help="per saturated phase and run (default 3000; 600 quick)"
    )
    parser.add_argument(
        "--officer-requests",
        type=int,
        default=None,
        help="per run at think time, half lists, half decisions (default 1500; 300 quick)",
    )
    parser.add_argument(
        "--think", type=float, default=1.0, help="mean think time of the officers' scenario, s"
    )
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--backend", choices=("sqlite", "postgres", "both"), default=None)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--postgres-url", default=POSTGRES_URL)
    parser.add_argument("--quick", action="store_true", help="10,000 cases, SQLite: about a minute")
    parser.add_argument("--json", type=Path, default=None, metavar="PATH", help="write the figures as JSON")
    parser.add_argument(
        "--page-requests",
        type=int,
        default=None,
        help="per run, the pages at think time (default 1800; 360 quick)",
    )
    parser.add_argument(
        "--pages-only", action="store_true", help="only the pages at think time (no API scenarios)"
    )
    parser.add_argument("--no-record", action="store_true")
    parser.add_argument(
        "--timing",
        action="store_true",
        help="print where the pages' time went, server and client side (bench/web_timing.py)",
    )
    parser.add_argument(
        "--config-dir",
        type=Path,
        default=ROOT / "config",
        help="the pathways and templates (default config/)",
    )
    args = parser.parse_args()
    if args.think <= 0:
        parser.error("--think must be positive (the saturated scenario has none)")
    args.cases = args.cases or (10_000 if args.quick else 100_000)
    args.requests = args.requests or (600 if args.quick else 3000)
    args.officer_requests = args.officer_requests or (300 if args.quick else 1500)
    args.page_requests = args.page_requests or (360 if args.quick else 1800)
    backend = args.backend or ("sqlite" if args.quick else "both")
    backends = ("sqlite", "postgres") if backend == "both" else (backend,)
    context = run_context()
    figures: list[dict[str, object]] = []
    sections: list[str] = []
    with exclusive_run():
        for name in backends:
            measured = measure(args.postgres_url, name, args)
            figures += figures_of(name, args, measured.runs)
            sections.append(section(name, measured, args))
    what = "pages" if args.pages_only else "API"
    flags = (" --quick" if args.quick else "") + (" --pages-only" if args.pages_only else "")
    auth = (
        "the officer's session cookie on every page"
        if args.pages_only
        else "bearer-token authentication on every API request but health, a session cookie on the pages"
    )
    body_md = f"""## Web {what} under load (bench/web.py{flags})

- machine: {context["machine"]}
- date: {context["date"]}; commit: {context["commit"]}; {context["python"]}
- command: `{context["command"]}`
- uvicorn (uvloop, httptools) with {args.workers} worker processes on the same machine as the
  {args.clients} clients (asyncio streams, one keep-alive connection each); {auth}. The machine
  may have been shared with other work (load averages below).

{chr(10).join(sections)}"""
    print(body_md)
    if not args.no_record:  # the pages in their section, the API in its own (not in a pages-only run)
        pages = [f for f in figures if str(f["name"]).startswith("page ")]
        record_run("web_pages", pages, quick=args.quick, context=context)
        if not args.pages_only:
            record_run("web", [f for f in figures if f not in pages], quick=args.quick, context=context)
    if args.json:
        write_figures(args.json, figures)
        print(f"figures written to {args.json}")


if __name__ == "__main__":
    main()
