"""Latency of the web API under load: the officer's case list and a decision, 50 concurrent clients.

    PYTHONPATH=src python bench/web.py [--cases 100000] [--clients 50] [--requests 3000] [--runs 3]
                        [--backend sqlite|postgres|both] [--workers 2] [--postgres-url URL]
                        [--quick] [--json PATH] [--no-record]

--quick: 10,000 cases, 600 requests a phase, SQLite only unless --backend (about two minutes).
Results go to bench/RESULTS.md, section ``web`` (``web-quick`` with --quick; ``-sqlite`` or
``-postgres`` appended when one backend is run alone).
--json PATH: also write the figures as a JSON list (the bench/run.py suite contract): p50 and
p99 of each request, each against the same percentile of ``GET /api/v1/health`` (the same
server, the same load, no token and one ``SELECT 1``) measured in the same run.

1. setup (not timed): a fresh database (a SQLite file, or the PostgreSQL database of
   `--postgres-url`, dropped and created again); one organisation, 20 officers and
   `--cases` projects with a diagnosis case each at intake, bulk-loaded with Core
   (rows shaped as ``cases.open_case`` writes them); one officer gets an account and
   an API token through the services;
2. a real server: ``uvicorn --workers W`` on 127.0.0.1 (the application built from
   the environment, as ``pathways serve --workers W`` does);
3. each phase, `--runs` times: `--clients` concurrent clients (asyncio, one keep-alive
   connection each) send `--requests` requests in all, after a warm-up; latency is
   measured by the client, from sending the request to reading the whole answer;

   - baseline: ``GET /api/v1/health``;
   - case list: ``GET /api/v1/cases?officer=<me>&limit=50`` (the officer's open cases,
     newest first, among 100,000);
   - decision: ``POST /api/v1/cases/<ref>/decisions`` (intake -> relevant, every field,
     ``expected_version``), each on a different case of that officer.

Figures: p50, p99 and max latency, and requests/s over the phase (median of the runs).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import secrets
import socket
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import httpx
from sqlalchemy import insert, text

from common import (
    ROOT,
    exclusive_run,
    figure,
    fresh_database,
    median,
    percentile,
    record,
    run_context,
    server_settings,
    write_figures,
)
from pathways.bootstrap import App, Clock
from pathways.services import accounts, directory
from pathways.services.cases import CASE, ENTRY, PROJECT
from pathways.services.tx import write
from pathways.settings import Settings

POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/pathways_bench_web"
OFFICERS = 20
BATCH = 10_000
SECRET = "bench-web-secret-not-a-secret-0123456789"
DECISION = {
    "met_on": "2026-07-08",
    "legal_form": "association",
    "salaried_jobs": "4",
    "request": "Consolider le modèle économique",
}


def load(app: App, cases: int) -> tuple[int, str, list[str]]:
    """Bulk-load the cases; return the benchmarked officer's id, token and case references."""
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
    for start in range(0, cases, BATCH):
        ids = range(start + 1, min(start + BATCH, cases) + 1)
        with app.store.write() as conn:
            conn.execute(
                insert(PROJECT),
                [
                    {
                        "id": i, "organisation_id": org, "name": f"Projet {i}", "legal_form": "association",
                        "territory": "FR-75", "phase": "founded", "permanent_jobs": 3, "fixed_term_jobs": 0,
                        "created_at": now,
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
                        "officer_id": officers[i % OFFICERS], "due_at": due - timedelta(minutes=i % 5000),
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
        for table in ("project", "case", "stageentry") if app.store.dialect == "postgresql" else ():
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
    me = officers[0]
    with write(app) as tx:
        accounts.add_user(tx, person=me, password=secrets.token_urlsafe(16))
        token = accounts.create_token(tx, person=me, name="bench").token
    refs = [f"DIAG-2026-{i:06d}" for i in range(1, cases + 1) if officers[i % OFFICERS] == me]
    return me, token, refs


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_server(url: str, port: int, workers: int) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "PATHWAYS_DATABASE_URL": url,
        "PATHWAYS_SECRET_KEY": SECRET,
        "PATHWAYS_ENVIRONMENT": "test",
        "PATHWAYS_CONFIG_DIR": str(ROOT / "config"),
        "PATHWAYS_BASE_URL": f"http://127.0.0.1:{port}",
    }
    command = [
        sys.executable, "-m", "uvicorn", "--factory", "pathways.web.factory:app_from_environment",
        "--host", "127.0.0.1", "--port", str(port), "--workers", str(workers), "--log-level", "warning",
        "--no-access-log",
    ]  # fmt: skip
    server = subprocess.Popen(command, env=env, cwd=ROOT)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/login", timeout=1).status_code == 200:
                return server
        except httpx.HTTPError:
            time.sleep(0.2)
    server.kill()
    raise SystemExit("the server did not start")


async def phase(
    base: str, token: str, clients: int, requests: list[tuple[str, str, dict[str, object] | None]]
) -> dict[str, float]:
    """Send the requests over `clients` concurrent connections; latencies in ms and the rate."""
    queue: asyncio.Queue[tuple[str, str, dict[str, object] | None]] = asyncio.Queue()
    for item in requests:
        queue.put_nowait(item)
    latencies: list[float] = []
    errors: list[str] = []
    headers = {"Authorization": f"Bearer {token}"}

    async def client() -> None:
        async with httpx.AsyncClient(base_url=base, headers=headers, timeout=60) as http:
            while not queue.empty():
                method, path, body = queue.get_nowait()
                started = time.perf_counter()
                response = await http.request(method, path, json=body)
                latencies.append((time.perf_counter() - started) * 1000)
                if response.status_code >= 300:
                    errors.append(f"{response.status_code} {path} {response.text[:200]}")

    started = time.perf_counter()
    await asyncio.gather(*(client() for _ in range(clients)))
    elapsed = time.perf_counter() - started
    if errors:
        raise SystemExit(f"{len(errors)} failed requests, first: {errors[0]}")
    latencies.sort()
    return {
        "n": len(latencies),
        "p50": percentile(latencies, 0.50),
        "p99": percentile(latencies, 0.99),
        "max": latencies[-1],
        "rate": len(latencies) / elapsed,
    }


Request = tuple[str, str, dict[str, object] | None]
Run = dict[str, dict[str, float]]  # request -> its figures, for one run
REQUESTS = ("health", "list", "decision")
LABELS = {
    "health": "baseline: health (GET /api/v1/health)",
    "list": "officer's case list (GET /api/v1/cases)",
    "decision": "decision (POST .../decisions)",
}


def measure(url: str, backend: str, args: argparse.Namespace) -> tuple[list[Run], dict[str, str], int]:
    """Load the database, start the server, run every phase `args.runs` times."""
    db = fresh_database(backend, postgres_url=args.postgres_url)
    app = App(
        settings=Settings(secret_key=SECRET, environment="test", config_dir=ROOT / "config"),
        store=db.store,
        clock=Clock(),
    )
    began = time.perf_counter()
    me, token, refs = load(app, args.cases)
    print(
        f"[{backend}] loaded {args.cases} cases in {time.perf_counter() - began:.1f}s;"
        f" officer {me} has {len(refs)}"
    )
    settings = server_settings(db.store)
    warm_n = min(200, len(refs) // 10)
    decisions = min(args.requests, (len(refs) - warm_n) // args.runs)
    port = free_port()
    server = start_server(url if backend == "postgres" else db.url, port, args.workers)
    runs: list[Run] = []
    try:
        base = f"http://127.0.0.1:{port}"
        health: Request = ("GET", "/api/v1/health", None)
        listing: Request = ("GET", f"/api/v1/cases?officer={me}&limit=50", None)
        body: dict[str, object] | None = {"outcome": "relevant", "values": DECISION, "expected_version": 1}
        posts: list[Request] = [("POST", f"/api/v1/cases/{ref}/decisions", body) for ref in refs]
        asyncio.run(phase(base, token, args.clients, [health] * 200))  # warm-up
        asyncio.run(phase(base, token, args.clients, [listing] * 200))
        asyncio.run(phase(base, token, args.clients, posts[:warm_n]))
        for i in range(args.runs):
            todo = posts[warm_n + i * decisions : warm_n + (i + 1) * decisions]
            run = {
                "health": asyncio.run(phase(base, token, args.clients, [health] * args.requests)),
                "list": asyncio.run(phase(base, token, args.clients, [listing] * args.requests)),
                "decision": asyncio.run(phase(base, token, args.clients, todo)),
            }
            print(
                f"[{backend}] run {i + 1}: "
                + "; ".join(f"{k} p50 {v['p50']:.1f} p99 {v['p99']:.1f} ms" for k, v in run.items())
            )
            runs.append(run)
    finally:
        server.terminate()
        server.wait(timeout=30)
        db.close()
    return runs, settings, decisions


def figures_of(backend: str, cases: int, runs: list[Run]) -> list[dict[str, object]]:
    """The --json figures: p50 and p99 of the list and the decision, against health's."""
    out: list[dict[str, object]] = []
    for stat in ("p50", "p99"):
        base = median([r["health"][stat] for r in runs])
        out.append(figure("web", f"health {stat}", backend, cases, "ms", [r["health"][stat] for r in runs]))
        for request, name in (("list", "case list"), ("decision", "decision")):
            values = [r[request][stat] for r in runs]
            out.append(
                figure(
                    "web", f"{name} {stat}", backend, cases, "ms", values, baseline=(f"health {stat}", base)
                )
            )
    return out


def section(
    backend: str, runs: list[Run], settings: dict[str, str], decisions: int, args: argparse.Namespace
) -> str:
    """The Markdown of one backend's results."""
    if backend == "postgres":
        engine = (
            f"PostgreSQL {settings['version']} (fsync {settings['fsync']}, "
            f"synchronous_commit {settings['synchronous_commit']})"
        )
    else:
        engine = (
            f"SQLite {settings['version']} (journal {settings['journal_mode']}, "
            f"synchronous {settings['synchronous']})"
        )
    lines = []
    for request in REQUESTS:
        col = {k: median([r[request][k] for r in runs]) for k in ("n", "p50", "p99", "max", "rate")}
        health = {k: median([r["health"][k] for r in runs]) for k in ("p50", "p99")}
        spread = [r[request]["p99"] for r in runs]
        ratio = (
            ""
            if request == "health"
            else f"{col['p50'] / health['p50']:.1f}× / {col['p99'] / health['p99']:.1f}×"
        )
        lines.append(
            f"| {LABELS[request]} | {int(col['n'])} | {col['p50']:.1f} | {col['p99']:.1f} "
            f"({min(spread):.0f}–{max(spread):.0f}) | {col['max']:.1f} | {col['rate']:.0f} | {ratio} |"
        )
    table = "\n".join(lines)
    return f"""### {engine}

{args.cases:,} cases in one organisation, 20 officers; {len(runs)} runs of each phase ({args.requests} list
requests, {decisions} decisions a run, each on a different case); medians of the runs, p99 range in brackets.

| request | n | p50 ms | p99 ms (range) | max ms | req/s | × health p50 / p99 |
| --- | ---: | ---: | ---: | ---: | ---: | ---: |
{table}
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=None, help="default 100000; 10000 with --quick")
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument(
        "--requests", type=int, default=None, help="per phase and run (default 3000; 600 quick)"
    )
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--backend", choices=("sqlite", "postgres", "both"), default=None)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--postgres-url", default=POSTGRES_URL)
    parser.add_argument("--quick", action="store_true", help="10,000 cases, SQLite: about two minutes")
    parser.add_argument("--json", type=Path, default=None, metavar="PATH", help="write the figures as JSON")
    parser.add_argument("--no-record", action="store_true")
    args = parser.parse_args()
    args.cases = args.cases or (10_000 if args.quick else 100_000)
    args.requests = args.requests or (600 if args.quick else 3000)
    backend = args.backend or ("sqlite" if args.quick else "both")
    backends = ("sqlite", "postgres") if backend == "both" else (backend,)
    context = run_context()
    figures: list[dict[str, object]] = []
    sections: list[str] = []
    with exclusive_run():
        for name in backends:
            runs, settings, decisions = measure(args.postgres_url, name, args)
            figures += figures_of(name, args.cases, runs)
            sections.append(section(name, runs, settings, decisions, args))
    body_md = f"""## Web API under load (bench/web.py{" --quick" if args.quick else ""})

- machine: {context["machine"]}
- date: {context["date"]}; commit: {context["commit"]}; {context["python"]}
- command: `{context["command"]}`
- uvicorn with {args.workers} worker processes on the same machine as the {args.clients} concurrent
  clients (asyncio + httpx, keep-alive); bearer-token authentication on every request but health.
  The machine was shared with other work during the run: compare the ratios to the health baseline
  (same server, same load, same run) rather than the absolute figures.

{chr(10).join(sections)}
Aim (issue 7): p99 under 100 ms. With {args.clients} clients and {args.workers} workers, a request waits
for the ones queued before it: p99 is mostly queueing (about clients / throughput), not the cost of one
request; the health baseline shows that floor.
"""
    print(body_md)
    if not args.no_record:
        # One section per backend run alone (web-sqlite, web-postgres), one for both (web).
        name = "web-quick" if args.quick else "web"
        record(name if backend == "both" else f"{name}-{backend}", body_md)
    if args.json:
        write_figures(args.json, figures)
        print(f"figures written to {args.json}")


if __name__ == "__main__":
    main()
