"""CPU and SQL statements of each web page an officer or a manager opens, one at a time, in process.

    PYTHONPATH=src python bench/web_cpu.py [--cases 100000] [--database PATH] [--config-dir DIR]
                                           [--requests 40] [--only KIND[,KIND]]
                                           [--profile KIND[,KIND]] [--top 25]

The pages of bench/web.py's officers at work (bench/web_pages.PAGES: the case list, its
filters, sorts and searches, the due list, a case, a project) and two more: the manager's
dashboard and a decision posted from the case page's form. The ASGI application is
called in this process (no HTTP, no load generator, no other request at the same time), with
the session cookie of a login through the login form, on the database ``bench/web.py`` loads
(SQLite). For each page: milliseconds of CPU a request (this process, every thread: the route,
SQLite, the template), milliseconds (wall clock) spent inside the driver, and the statements it
sends. The kinds are those of web_pages.PAGES, ``dashboard`` and ``decide``.

--database PATH: keep the loaded SQLite file there and use it again on the next run (it is
migrated to the latest revision first; delete it to load again, and after a load that failed).
Without it, a temporary file.
--profile KIND: also a cProfile of that page (every thread, CPU time), the `--top` functions by
their own time and by cumulative time; the profiler's own cost inflates every figure several times.

This is where the time of a page goes, not its latency under load: bench/web.py measures that.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import functools
import pstats
import re
import sys
import tempfile
import threading
import time
from collections.abc import Callable, MutableMapping
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from sqlalchemy import text

sys.path.insert(0, str(Path(__file__).resolve().parent))

import web
import web_pages
from common import ROOT, sql_meter
from pathways.bootstrap import App, Clock
from pathways.services.people import accounts, directory
from pathways.services.tx import write
from pathways.settings import Settings
from pathways.store.db import Store, init_database
from pathways.web.app import create_app

MANAGER_LOGIN = "manager@example.org"
EXTRA = {
    "dashboard": "the manager's dashboard (GET /dashboard)",
    "decide": "a decision from the case page's form (POST /cases/{ref}/decide)",
}


class Client:
    """Calls the ASGI application in this process with a cookie jar (no HTTP)."""

    def __init__(self, asgi: Any) -> None:
        self.asgi = asgi
        self.cookies: dict[str, str] = {}

    async def call(self, method: str, path: str, form: dict[str, str] | None = None) -> tuple[int, bytes]:
        path, _, query = path.partition("?")
        body = urlencode(form).encode() if form is not None else b""
        headers = [(b"host", b"bench"), (b"accept-language", b"fr")]
        if self.cookies:
            cookie = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
            headers.append((b"cookie", cookie.encode()))
        if form is not None:
            headers += [
                (b"content-type", b"application/x-www-form-urlencoded"),
                (b"content-length", b"%d" % len(body)),
            ]
        scope = {
            "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": method,
            "path": path, "raw_path": path.encode(), "query_string": query.encode(), "headers": headers,
            "client": ("127.0.0.1", 1), "server": ("bench", 80), "scheme": "http", "root_path": "",
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

        await self.asgi(scope, receive, send)
        for name, value in sent[0].get("headers", []):
            if name.lower() == b"set-cookie":
                pair = value.decode().split(";", 1)[0]
                key, _, val = pair.partition("=")
                self.cookies[key] = val
        return int(sent[0]["status"]), b"".join(m.get("body", b"") for m in sent[1:])

    async def csrf(self, path: str) -> str:
        status, body = await self.call("GET", path)
        found = re.search(rb'name="csrf_token" value="([^"]+)"', body)
        if status != 200 or found is None:
            raise SystemExit(f"no CSRF token on {path}: {status}")
        return found.group(1).decode()

    async def login(self, login: str, password: str) -> None:
        token = await self.csrf("/login")
        status, body = await self.call(
            "POST", "/login", {"login": login, "password": password, "csrf_token": token}
        )
        if status != 303:
            raise SystemExit(f"login refused: {status} {body[:200]!r}")


def world(path: Path, cases: int, config_dir: Path) -> App:
    """The application on the loaded database at `path` (loaded now when the file is new)."""
    new = not path.exists()
    store = Store.from_url(f"sqlite:///{path}")
    init_database(store)
    settings = Settings(secret_key=web.SECRET, environment="test", config_dir=config_dir)
    app = App(settings=settings, store=store, clock=Clock())
    if new:
        began = time.perf_counter()
        me, _token, _refs = web.load(app, cases)
        with write(app) as tx:
            org = directory.roles_of(tx.conn, me)[0][0]
            manager = directory.add_person(
                tx, name="Manager", org=org, role="manager", email=MANAGER_LOGIN, language="fr", channels=[]
            ).id
            accounts.add_user(tx, person=manager, password=web_pages.SECRET_PASSWORD)
        print(f"loaded {cases} cases in {time.perf_counter() - began:.0f} s into {path}", flush=True)
    return app


class ThreadProfiles:
    """cProfile in this thread and in every thread started after :meth:`install` (the threadpool
    running the routes), cleared at :meth:`start`, merged at :meth:`stats`."""

    def __init__(self) -> None:
        self.main = cProfile.Profile(time.thread_time)
        self.threads: list[cProfile.Profile] = []

    def install(self) -> None:
        def begin(_frame: Any, _event: str, _arg: Any) -> None:
            sys.setprofile(None)
            profile = cProfile.Profile(time.thread_time)
            self.threads.append(profile)
            profile.enable()

        threading.setprofile(begin)

    def start(self) -> None:
        for profile in self.threads:  # idle threads: what they recorded so far goes
            profile.clear()
        self.main.clear()
        self.main.enable()

    def stats(self) -> pstats.Stats:
        self.main.disable()
        merged = pstats.Stats(self.main)
        for profile in self.threads:
            merged.add(_Snapshot(profile))
        return merged


class _Snapshot(cProfile.Profile):
    """What a running profiler recorded so far, for pstats (which would disable it in this thread).

    A Profile (never enabled) only for pstats' and typeshed's sake: pstats reads ``stats``
    after calling ``create_stats``, here a no-op.
    """

    def __init__(self, profile: cProfile.Profile) -> None:
        super().__init__()
        profile.snapshot_stats()
        self.stats = profile.stats

    def create_stats(self) -> None:
        """Already made."""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--database", type=Path, default=None)
    parser.add_argument(
        "--config-dir",
        type=Path,
        default=ROOT / "config",
        help="the pathways and templates (default config/)",
    )
    parser.add_argument("--requests", type=int, default=40, help="measured requests of each page")
    parser.add_argument("--profile", default="", help="comma-separated page kinds to profile")
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--only", default="", help="comma-separated page kinds to measure (default all)")
    args = parser.parse_args()
    tmp = None
    if args.database is None:
        tmp = tempfile.TemporaryDirectory(prefix="pathways-bench-")
        args.database = Path(tmp.name) / "bench.db"
    app = world(args.database, args.cases, args.config_dir)
    asgi = create_app(app)
    labels = {**web_pages.PAGES, **EXTRA}
    wanted = [k for k in args.only.split(",") if k] or list(labels)
    profiled = {k for k in args.profile.split(",") if k}
    with app.store.read() as conn:  # cases still at intake (an earlier run decided some)
        fresh = conn.execute(
            text("SELECT ref FROM \"case\" WHERE stage = 'intake' AND version = 1 ORDER BY id LIMIT 1000")
        )
        decided = iter(list(fresh.scalars()))

    profiles = ThreadProfiles()
    if profiled:
        profiles.install()

    async def run() -> None:
        async with asgi.router.lifespan_context(asgi):
            officer, manager = Client(asgi), Client(asgi)
            await officer.login("o0@example.org", web_pages.SECRET_PASSWORD)
            await manager.login(MANAGER_LOGIN, web_pages.SECRET_PASSWORD)
            token = await officer.csrf("/cases")

            def paths(kind: str, n: int) -> list[Callable[[], Any]]:
                if kind in web_pages.PAGES:
                    listed = [
                        p for k, p in web_pages.page_paths(args.cases, n * len(web_pages.PAGES)) if k == kind
                    ]
                    return [functools.partial(officer.call, "GET", p) for p in listed[:n]]
                if kind == "dashboard":
                    return [lambda: manager.call("GET", "/dashboard") for _ in range(n)]
                form = {"csrf_token": token, "outcome": "relevant", "version": "1", **web.DECISION}
                return [
                    functools.partial(officer.call, "POST", f"/cases/{next(decided)}/decide", form)
                    for _ in range(n)
                ]

            print("| page | CPU ms a page | in the driver, wall ms | statements | by kind |")
            print("| --- | ---: | ---: | ---: | --- |")
            for kind in wanted:
                for call in paths(kind, 5):  # warm up: templates, catalogues, caches
                    await call()
                calls = paths(kind, args.requests)
                if kind in profiled:
                    profiles.start()
                c0 = time.process_time()
                with sql_meter(app.store) as meter:
                    for call in calls:
                        status, body = await call()
                        if status not in (200, 303):
                            raise SystemExit(f"{kind}: {status} {body[:300]!r}")
                spent = (time.process_time() - c0) * 1000 / len(calls)
                n = len(calls)
                kinds = ", ".join(f"{label} {c / n:.1f}" for label, (c, _s) in sorted(meter.by_label.items()))
                print(
                    f"| {labels[kind]} | {spent:.1f} | {meter.seconds * 1000 / n:.1f} "
                    f"| {meter.statements / n:.1f} | {kinds} |",
                    flush=True,
                )
                if kind in profiled:
                    stats = profiles.stats()
                    stats.sort_stats("tottime").print_stats(args.top)
                    stats.sort_stats("cumulative").print_stats(args.top)

    try:
        asyncio.run(run())
    finally:
        app.store.dispose()
        if tmp is not None:
            tmp.cleanup()


if __name__ == "__main__":
    main()
