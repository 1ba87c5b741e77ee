"""Latency of the web API under load: the officer's case list and a decision, 50 concurrent clients.

    python bench/web.py [--cases 100000] [--clients 50] [--requests 5000] [--workers 2]
                        [--postgres-url URL] [--no-record]

1. setup (not timed): a fresh PostgreSQL database; one organisation, 20 officers and
   `--cases` projects with a diagnosis case each at intake, bulk-loaded with Core
   (rows shaped as ``cases.open_case`` writes them); one officer gets an account and
   an API token through the services;
2. a real server: ``uvicorn --workers W`` on 127.0.0.1 (the application built from
   the environment, as ``pathways serve --workers W`` does);
3. each phase: `--clients` concurrent clients (asyncio, one keep-alive connection
   each) send `--requests` requests in all, after a warm-up; latency is measured by
   the client, from sending the request to reading the whole answer;

   - case list: ``GET /api/v1/cases?officer=<me>&limit=50`` (the officer's open cases,
     newest first, among 100,000);
   - decision: ``POST /api/v1/cases/<ref>/decisions`` (intake -> relevant, every field,
     ``expected_version``), each on a different case of that officer.

Figures: p50, p99 and max latency, and requests/s over the phase.
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

from common import ROOT, exclusive_run, fresh_database, percentile, record, run_context, server_settings
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
        for table in ("project", "case", "stageentry"):
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--requests", type=int, default=5000)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--postgres-url", default=POSTGRES_URL)
    parser.add_argument("--no-record", action="store_true")
    args = parser.parse_args()
    context = run_context()
    with exclusive_run():
        db = fresh_database("postgres", postgres_url=args.postgres_url)
        app = App(
            settings=Settings(secret_key=SECRET, environment="test", config_dir=ROOT / "config"),
            store=db.store,
            clock=Clock(),
        )
        began = time.perf_counter()
        me, token, refs = load(app, args.cases)
        print(
            f"loaded {args.cases} cases in {time.perf_counter() - began:.1f}s; officer {me} has {len(refs)}"
        )
        pg = server_settings(db.store)
        decisions = min(args.requests, len(refs) - 200)
        port = free_port()
        server = start_server(args.postgres_url, port, args.workers)
        try:
            base = f"http://127.0.0.1:{port}"
            listing = ("GET", f"/api/v1/cases?officer={me}&limit=50", None)
            asyncio.run(phase(base, token, args.clients, [listing] * 200))  # warm-up
            cases_list = asyncio.run(phase(base, token, args.clients, [listing] * args.requests))
            body = {"outcome": "relevant", "values": DECISION, "expected_version": 1}
            warm = [("POST", f"/api/v1/cases/{ref}/decisions", body) for ref in refs[:200]]
            asyncio.run(phase(base, token, args.clients, warm))
            todo = [("POST", f"/api/v1/cases/{ref}/decisions", body) for ref in refs[200 : 200 + decisions]]
            decide = asyncio.run(phase(base, token, args.clients, todo))
        finally:
            server.terminate()
            server.wait(timeout=30)
        db.close()
    rows = [
        ("officer's case list (GET /api/v1/cases)", cases_list),
        ("decision (POST .../decisions)", decide),
    ]
    table = "\n".join(
        f"| {name} | {int(r['n'])} | {r['p50']:.1f} | {r['p99']:.1f} | {r['max']:.1f} | {r['rate']:.0f} |"
        for name, r in rows
    )
    print(table)
    body_md = f"""## Web API under load (bench/web.py)

- machine: {context["machine"]}
- date: {context["date"]}; commit: {context["commit"]}; {context["python"]}
- command: `{context["command"]}`
- PostgreSQL {pg["version"]} (fsync {pg["fsync"]}, synchronous_commit {pg["synchronous_commit"]});
  {args.cases:,} cases in one organisation, 20 officers; uvicorn with {args.workers} worker processes
  on the same machine as the {args.clients} concurrent clients (asyncio + httpx, keep-alive);
  bearer-token authentication on every request.

| request | n | p50 ms | p99 ms | max ms | req/s |
| --- | ---: | ---: | ---: | ---: | ---: |
{table}

Aim (issue 7): p99 under 100 ms. With {args.clients} clients and {args.workers} workers, a request waits
for the ones queued before it: p99 is mostly queueing (about clients / throughput), not the cost of one
request.
"""
    if not args.no_record:
        record("web", body_md)


if __name__ == "__main__":
    main()
