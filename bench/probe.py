"""Small measurements behind the decision work: the numbers quoted in bench/RESULTS.md's notes.

    PYTHONPATH=src python bench/probe.py wal-pages [--cases 500]
    PYTHONPATH=src python bench/probe.py empty-write [--transactions 5000]
    PYTHONPATH=src python bench/probe.py pg-commit [--transactions 3000] [--threads 1,2,4,8]
    PYTHONPATH=src python bench/probe.py api-cpu [--cases 10000] [--requests 1000] [--backend sqlite|postgres]
    PYTHONPATH=src python bench/probe.py write-lock [--cases 3000] [--requests 2000]
    PYTHONPATH=src python bench/probe.py retention [--cases 1000000] [--backend sqlite|postgres]

wal-pages: SQLite write-ahead-log pages (frames) per decision, by B-tree. Decisions run as in
``bench/decide.py`` with checkpoints off; the frame headers of the log are read and each page is
mapped to its table or index with SQLite's ``dbstat``.

empty-write: microseconds of an empty ``Store.write()`` transaction on a SQLite file, against
``BEGIN IMMEDIATE``/``COMMIT`` on the driver itself.

pg-commit: one PostgreSQL connection running ``INSERT`` + ``COMMIT`` with psycopg (transactions
per second, user and system CPU microseconds per transaction), then the same on N threads at once.
Uses the ``test`` database (a table ``probe_commit`` is made and dropped).

api-cpu: CPU milliseconds per request of the API's case list and of a decision, the ASGI
application called in this process (no HTTP, no load generator), on a database loaded as
``bench/web.py`` loads it; after 100 requests of warm-up, three rounds each. On PostgreSQL
(database ``pathways_bench_probe``) also the CPU of the server's processes a request, and the
statements a request sends, by kind (BEGIN, SELECT, INSERT, ...).

write-lock: how long a decision through the API (the ASGI application called in this process,
as for api-cpu) holds SQLite's one write lock, from ``BEGIN IMMEDIATE`` to the end of its COMMIT,
one request at a time: medians and p90 of the whole and of its parts (before the first INSERT
or UPDATE, the writes, COMMIT).

retention: the retention rule's selection (``privacy._expired_owners``) on the database of
``bench/sweep.py`` (N open cases of 100 owners), for a cutoff before the projects were registered
(every owner has a newer project: the bench's case) and one after (every owner a candidate, each
with N / 100 open cases); the PostgreSQL database is ``pathways_bench_probe``, dropped and made again.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import json
import resource
import sqlite3
import statistics
import struct
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Coroutine, MutableMapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from sqlalchemy import event

import decide
from common import ROOT, exclusive_run, fresh_database, sql_meter
from pathways.domain.loader import load_pathway_dir
from pathways.store import db as store_db
from pathways.store.db import Store

PG_DSN = "host=127.0.0.1 user=postgres dbname=test"


def wal_pages(cases: int) -> None:
    # No checkpoint of any kind while the decisions run: every page they write stays in the log.
    store_db._SQLITE_PRAGMAS = tuple(  # type: ignore[misc,assignment]
        "PRAGMA wal_autocheckpoint=0" if "autocheckpoint" in p else p for p in store_db._SQLITE_PRAGMAS
    )
    catalog = load_pathway_dir(ROOT / "config" / "pathways")
    warmup = 50
    bench = decide.setup("sqlite", catalog, pathway="diagnosis", cases_needed=cases + warmup, postgres_url="")
    try:
        decide.settle(bench.db)
        values = decide.decision_values(
            bench.spec,
            bench.spec.first_stage.id,
            "relevant",
            today=datetime.now(UTC).date(),
            person=bench.officer_id,
        )
        decide.decide_all(bench, bench.case_ids[:warmup], "relevant", values)
        with bench.db.store.engine.connect() as conn:
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        decide.decide_all(bench, bench.case_ids[warmup:], "relevant", values)
        path = str(bench.db.store.engine.url.database)
        log = Path(path + "-wal").read_bytes()
        page_size = struct.unpack(">I", log[8:12])[0]
        frames: collections.Counter[int] = collections.Counter()
        offset = 32  # log header; each frame: 24-byte header (page number first), then the page
        while offset + 24 + page_size <= len(log):
            frames[struct.unpack(">I", log[offset : offset + 4])[0]] += 1
            offset += 24 + page_size
        with sqlite3.connect(path) as conn:
            owner = dict(conn.execute("SELECT pageno, name FROM dbstat"))
    finally:
        bench.db.close()
    by_tree: collections.Counter[str] = collections.Counter()
    for page, count in frames.items():
        by_tree[owner.get(page, "?")] += count
    print(f"{sum(frames.values()) / cases:.1f} WAL pages per decision ({cases} decisions)")
    for name, count in by_tree.most_common():
        print(f"  {name:40s} {count / cases:5.2f}")


def empty_write(transactions: int) -> None:
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "probe.db"
        store = Store.from_url(f"sqlite:///{path}")
        with store.write() as conn:
            conn.exec_driver_sql("CREATE TABLE t (id INTEGER PRIMARY KEY)")
        for _ in range(3):
            t0 = time.perf_counter()
            for _ in range(transactions):
                with store.write():
                    pass
            print(f"Store.write(), empty: {(time.perf_counter() - t0) / transactions * 1e6:.1f} µs")
        store.dispose()
        raw = sqlite3.connect(path, isolation_level=None)
        t0 = time.perf_counter()
        for _ in range(transactions):
            raw.execute("BEGIN IMMEDIATE")
            raw.commit()
        print(
            f"BEGIN IMMEDIATE/COMMIT on the driver: {(time.perf_counter() - t0) / transactions * 1e6:.1f} µs"
        )
        raw.close()


def pg_commit(transactions: int, threads: list[int]) -> None:
    import psycopg

    with psycopg.connect(PG_DSN, autocommit=True) as admin:
        admin.execute("CREATE TABLE IF NOT EXISTS probe_commit (id serial PRIMARY KEY, v text)")
    try:
        with psycopg.connect(PG_DSN) as conn:
            before, t0 = resource.getrusage(resource.RUSAGE_SELF), time.perf_counter()
            for _ in range(transactions):
                conn.execute("INSERT INTO probe_commit (v) VALUES ('x')")
                conn.commit()
            wall, after = time.perf_counter() - t0, resource.getrusage(resource.RUSAGE_SELF)
        user = (after.ru_utime - before.ru_utime) / transactions * 1e6
        system = (after.ru_stime - before.ru_stime) / transactions * 1e6
        print(
            f"1 connection: {transactions / wall:,.0f} tx/s, "
            f"CPU {user:.0f} µs user + {system:.0f} µs system a transaction"
        )
        for count in threads:
            each = transactions // count

            def work(n: int = each) -> None:
                with psycopg.connect(PG_DSN) as conn:
                    for _ in range(n):
                        conn.execute("INSERT INTO probe_commit (v) VALUES ('x')")
                        conn.commit()

            running = [threading.Thread(target=work) for _ in range(count)]
            t0 = time.perf_counter()
            for thread in running:
                thread.start()
            for thread in running:
                thread.join()
            print(f"{count} threads: {each * count / (time.perf_counter() - t0):,.0f} tx/s")
    finally:
        with psycopg.connect(PG_DSN, autocommit=True) as admin:
            admin.execute("DROP TABLE IF EXISTS probe_commit")


def _asgi_client(asgi: Any, token: str) -> Callable[..., Coroutine[Any, Any, None]]:
    """A coroutine function calling the ASGI application in this process, as the token's holder
    (no HTTP); it stops the probe on an answer other than 200 or 201."""
    auth = (b"authorization", f"Bearer {token}".encode())

    async def call(method: str, path: str, query: str = "", body: bytes = b"") -> None:
        headers = [(b"host", b"probe"), auth]
        if body:
            headers += [(b"content-type", b"application/json"), (b"content-length", b"%d" % len(body))]
        scope = {
            "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": method,
            "path": path, "raw_path": path.encode(), "query_string": query.encode(), "headers": headers,
            "client": ("127.0.0.1", 1), "server": ("probe", 80), "scheme": "http", "root_path": "",
        }  # fmt: skip
        sent: list[MutableMapping[str, Any]] = []
        done = False

        async def receive() -> MutableMapping[str, Any]:
            nonlocal done
            if done:  # the body was read: nothing more comes
                await asyncio.Event().wait()
            done = True
            return {"type": "http.request", "body": body, "more_body": False}

        async def send(message: MutableMapping[str, Any]) -> None:
            sent.append(message)

        await asgi(scope, receive, send)
        if sent[0]["status"] not in (200, 201):
            raise SystemExit(f"{method} {path}: {sent[0]['status']} {sent[1:]}")

    return call


def _api_world(backend: str, cases: int) -> tuple[Any, Any, int, str, list[str]]:
    """The database (``common.fresh_database``), the ASGI application, and the officer, token and
    case references ``bench/web.py`` loads."""
    import web
    from pathways.bootstrap import App, Clock
    from pathways.settings import Settings
    from pathways.web.app import create_app

    db = fresh_database(
        backend, postgres_url="postgresql+psycopg://postgres@127.0.0.1:5432/pathways_bench_probe"
    )
    settings = Settings(secret_key=web.SECRET, environment="test", config_dir=ROOT / "config")
    app = App(settings=settings, store=db.store, clock=Clock())
    me, token, refs = web.load(app, cases)
    return db, create_app(app), me, token, refs


def _decision_body() -> bytes:
    import web

    return json.dumps({"outcome": "relevant", "values": web.DECISION, "expected_version": 1}).encode()


def api_cpu(cases: int, requests: int, backend: str) -> None:
    import web  # bench/web.py: the same data and the same requests

    db, asgi, me, token, refs = _api_world(backend, cases)
    database = web.CpuMeter(server=None, database_user=web.database_user(db.store))
    try:
        if 100 + 3 * requests > len(refs):
            raise SystemExit(f"{100 + 3 * requests} decisions need as many cases: raise --cases")
        call = _asgi_client(asgi, token)
        decision = _decision_body()
        cases_left = iter(refs)

        async def case_list() -> None:
            await call("GET", "/api/v1/cases", f"officer={me}&limit=50")

        async def decide_one() -> None:
            await call("POST", f"/api/v1/cases/{next(cases_left)}/decisions", body=decision)

        async def rounds() -> None:
            async with asgi.router.lifespan_context(asgi):
                for name, request in (("case list", case_list), ("decision", decide_one)):
                    for _ in range(100):
                        await request()
                    for _ in range(3):
                        c0, d0 = time.process_time(), database.read()[1]
                        with sql_meter(db.store, commits=True, rollbacks=True) as meter:
                            for _ in range(requests):
                                await request()
                        spent, db_spent = time.process_time() - c0, database.read()[1] - d0
                        sent = ", ".join(
                            f"{label} {n / requests:.1f}" for label, (n, _s) in sorted(meter.by_label.items())
                        )
                        print(
                            f"{name}: {spent / requests * 1e3:.2f} ms of CPU a request here"
                            + (
                                f", {db_spent / requests * 1e3:.2f} in PostgreSQL"
                                if backend == "postgres"
                                else ""
                            )
                            + f"; a request sends {sent}"
                        )

        asyncio.run(rounds())
    finally:
        db.close()


def write_lock(cases: int, requests: int) -> None:
    """How long a decision through the API holds SQLite's write lock, one request at a time."""
    db, asgi, _me, token, refs = _api_world("sqlite", cases)
    engine, dialect = db.store.engine, db.store.engine.dialect
    if 100 + requests > len(refs):
        raise SystemExit(f"{100 + requests} decisions need as many cases: raise --cases")
    marks: dict[str, float] = {}
    spans: list[tuple[float, float, float]] = []  # before the first write, writes, COMMIT (s)

    def locked(conn: Any) -> None:  # after the store's own listener has taken the lock
        if conn.get_execution_options().get(store_db._BEGIN_OPTION) == "write":
            marks.clear()
            marks["locked"] = time.perf_counter()

    def writing(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:  # before each statement
        if "locked" in marks and "write" not in marks and statement.split(None, 1)[0] in ("INSERT", "UPDATE"):
            marks["write"] = time.perf_counter()

    plain_commit = dialect.do_commit

    def commit(dbapi_connection: Any) -> None:
        marks["commit"] = time.perf_counter()
        plain_commit(dbapi_connection)
        if "locked" in marks:
            at = marks.get("write", marks["commit"])
            spans.append((at - marks["locked"], marks["commit"] - at, time.perf_counter() - marks["commit"]))

    call = _asgi_client(asgi, token)
    decision = _decision_body()
    cases_left = iter(refs)

    async def run() -> None:
        async with asgi.router.lifespan_context(asgi):
            for _ in range(100):
                await call("POST", f"/api/v1/cases/{next(cases_left)}/decisions", body=decision)
            event.listen(engine, "begin", locked)
            event.listen(engine, "before_cursor_execute", writing)
            dialect.do_commit = commit
            try:
                for _ in range(requests):
                    await call("POST", f"/api/v1/cases/{next(cases_left)}/decisions", body=decision)
            finally:
                del dialect.do_commit
                event.remove(engine, "before_cursor_execute", writing)
                event.remove(engine, "begin", locked)

    try:
        asyncio.run(run())
    finally:
        db.close()
    if len(spans) != requests:
        raise SystemExit(f"{len(spans)} write transactions for {requests} decisions")
    parts = [sorted(span[i] * 1e3 for span in spans) for i in range(3)]
    held = sorted(sum(span) * 1e3 for span in spans)

    def quartiles(values: list[float]) -> str:
        return f"{statistics.median(values):.3f} ms (p90 {values[int(len(values) * 0.9)]:.3f})"

    print(f"{requests} decisions, one at a time: the write lock held {quartiles(held)}, of which")
    for label, values in zip(("before the first write", "the writes", "COMMIT"), parts, strict=True):
        print(f"  {label}: {quartiles(values)}")


def retention(cases: int, backend: str) -> None:
    import sweep  # bench/sweep.py: the same data
    from pathways.services.people.privacy import _expired_owners

    url = "postgresql+psycopg://postgres@127.0.0.1:5432/pathways_bench_probe"
    db = fresh_database(backend, postgres_url=url)
    try:
        sweep.POSTGRES_URL = url
        setup = sweep.populate(sweep.make_app(db), cases, due_every=100)
        print(f"{backend}, {cases:,} open cases: set up in {setup['seconds']:.0f} s")
        for label, cutoff in (
            ("cutoff before the projects (every owner has a newer one)", datetime(2023, 9, 1, tzinfo=UTC)),
            ("cutoff after the projects (every owner a candidate)", datetime(2026, 10, 1, tzinfo=UTC)),
        ):
            times = []
            with db.store.read() as conn:
                for _ in range(3):
                    t0 = time.perf_counter()
                    _expired_owners(conn, cutoff)
                    times.append((time.perf_counter() - t0) * 1e3)
            print(f"{label}: " + ", ".join(f"{t:.1f}" for t in times) + " ms")
    finally:
        db.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="probe", required=True)
    sub.add_parser("wal-pages").add_argument("--cases", type=int, default=500)
    sub.add_parser("empty-write").add_argument("--transactions", type=int, default=5000)
    pg = sub.add_parser("pg-commit")
    pg.add_argument("--transactions", type=int, default=3000)
    pg.add_argument("--threads", default="1,2,4,8", help="comma-separated thread counts")
    api = sub.add_parser("api-cpu")
    api.add_argument("--cases", type=int, default=10_000)
    api.add_argument("--requests", type=int, default=1000)
    api.add_argument("--backend", choices=("sqlite", "postgres"), default="sqlite")
    lock = sub.add_parser("write-lock")
    lock.add_argument("--cases", type=int, default=3000)
    lock.add_argument("--requests", type=int, default=2000)
    kept = sub.add_parser("retention")
    kept.add_argument("--cases", type=int, default=1_000_000)
    kept.add_argument("--backend", choices=("sqlite", "postgres"), default="postgres")
    args = parser.parse_args(argv)
    with exclusive_run():
        if args.probe == "wal-pages":
            wal_pages(args.cases)
        elif args.probe == "empty-write":
            empty_write(args.transactions)
        elif args.probe == "api-cpu":
            api_cpu(args.cases, args.requests, args.backend)
        elif args.probe == "write-lock":
            write_lock(args.cases, args.requests)
        elif args.probe == "retention":
            retention(args.cases, args.backend)
        else:
            pg_commit(args.transactions, [int(n) for n in args.threads.split(",") if n.strip()])
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
