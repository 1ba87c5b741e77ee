"""Deadline sweep time and peak memory at 10k, 100k and 1M open cases (1% due); dispatch throughput.

    python bench/sweep.py [--sizes 10000,100000,1000000] [--backend sqlite|postgres|both]
                          [--messages 2000] [--no-record]

Sweep, for each size and backend, in a fresh database:

1. setup (timed, not the figure): one organisation (FR-75) with an officer (daily digest),
   a manager and 100 project owners; N open diagnosis cases at their intake stage,
   bulk-inserted with SQLAlchemy Core (case, stage entry, and the four notices the
   intake's rules give: 2 reminders, 2 escalations), 1% of the cases with one notice
   due (half to the owner, a quarter to the officer's digest, a quarter to the manager),
   every other notice in the future;
2. the figure: ``sweep(app, now=...)`` in a *separate process* (so its peak RSS is the
   sweep's, imports included), wall time and peak RSS (``ru_maxrss``), and the RSS
   before the sweep started (imports, settings, engine);
3. check: a second sweep queues nothing.

Dispatch: a fresh database with ``--messages`` due owner reminders, each owner's
channel a ``mailto://`` to an aiosmtpd server on loopback in this process; one
``dispatch(app)`` drains them; messages per second (render + Apprise + SMTP + the
delivery record, every attempt committed before and after the send).
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from sqlalchemy import func, insert, select

from common import (
    ROOT,
    BenchDatabase,
    exclusive_run,
    fresh_database,
    record,
    run_context,
    server_settings,
)
from pathways.bootstrap import App, Clock
from pathways.services import directory
from pathways.services.tx import write
from pathways.settings import load_settings
from pathways.store.tables import Case, Notice, OutboxJob, Project, StageEntry

CASE = Case.__table__  # type: ignore[attr-defined]
ENTRY = StageEntry.__table__  # type: ignore[attr-defined]
NOTICE = Notice.__table__  # type: ignore[attr-defined]
PROJECT = Project.__table__  # type: ignore[attr-defined]
JOB = OutboxJob.__table__  # type: ignore[attr-defined]

POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/pathways_bench_sweep"
NOW = datetime(2026, 9, 1, 7, 30, tzinfo=UTC)  # 09:30 in Paris
ENTERED = datetime(2026, 8, 3, 8, 0, tzinfo=UTC)
DUE = datetime(2026, 8, 21, 21, 59, 59, tzinfo=UTC)
FUTURE = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)
CHUNK = 20_000
RULES = (
    ("remind:0", "reminder", "owner", "intake_documents"),
    ("remind:1", "reminder", "officer", "reminder"),
    ("escalate:0", "escalation", "officer", "escalation"),
    ("escalate:1", "escalation", "manager", "escalation"),
)
DUE_RULE = {0: 0, 1: 0, 2: 1, 3: 3}  # i % 4 -> which rule is the one due: owner, owner, officer, manager


def make_app(db: BenchDatabase) -> App:
    url = db.url if db.backend == "sqlite" else POSTGRES_URL
    settings = load_settings(config_dir=ROOT / "config", environment="test", database_url=url)
    return App(settings=settings, store=db.store, clock=Clock(NOW))


def chunks(total: int) -> Iterator[range]:
    for start in range(0, total, CHUNK):
        yield range(start, min(start + CHUNK, total))


def populate(
    app: App, cases: int, *, due_every: int, owner_channels: list[str] | None = None
) -> dict[str, Any]:
    """The organisation, its people and `cases` open diagnosis cases; every `due_every`-th has one due."""
    with write(app, at=ENTERED) as tx:
        org = directory.add_org(tx, name="DLA de Paris", territory="FR-75").id
        officer = directory.add_person(
            tx,
            name="Camille Martin",
            org=org,
            role="officer",
            email=None,
            language="fr",
            channels=["mailto://camille@example.org"],
        ).id
        directory.add_person(
            tx,
            name="Hugo Dubois",
            org=org,
            role="manager",
            email=None,
            language="fr",
            channels=["mailto://hugo@example.org"],
        )
        owners = [
            directory.add_person(
                tx,
                name=f"Owner {i}",
                org=org,
                role="owner",
                email=None,
                language=("fr", "nl", "en")[i % 3],
                channels=[owner_channels[i % len(owner_channels)]]
                if owner_channels
                else [f"json://o{i}.test/"],
            ).id
            for i in range(100)
        ]
        project_ids = []
        for i, owner in enumerate(owners):
            project_ids.append(
                tx.insert(
                    PROJECT,
                    organisation_id=org,
                    name=f"Projet {i}",
                    territory="FR-75",
                    phase="founded",
                    permanent_jobs=3,
                    fixed_term_jobs=0,
                    owner_id=owner,
                    created_at=ENTERED,
                )
            )
    started = time.perf_counter()
    due = 0
    for part in chunks(cases):
        with app.store.write() as conn:
            conn.execute(
                insert(CASE),
                [
                    {
                        "id": i + 1,
                        "ref": f"DIAG-2026-{i + 1:07d}",
                        "organisation_id": org,
                        "project_id": project_ids[i % 100],
                        "pathway_id": "diagnosis",
                        "pathway_version": 1,
                        "stage": "intake",
                        "status": "open",
                        "officer_id": officer,
                        "current_entry_id": i + 1,
                        "due_at": DUE,
                        "opened_at": ENTERED,
                        "data": {},
                        "version": 1,
                    }
                    for i in part
                ],
            )
            conn.execute(
                insert(ENTRY),
                [
                    {
                        "id": i + 1,
                        "case_id": i + 1,
                        "seq": 1,
                        "stage": "intake",
                        "entered_at": ENTERED,
                        "due_at": DUE,
                        "values": {},
                    }
                    for i in part
                ],
            )
            rows = []
            for i in part:
                due_rule = DUE_RULE[(i // due_every) % 4] if i % due_every == 0 else None
                due += due_rule is not None
                for r, (rule, kind, role, template) in enumerate(RULES):
                    rows.append(
                        {
                            "case_id": i + 1,
                            "entry_id": i + 1,
                            "rule": rule,
                            "kind": kind,
                            "to_role": role,
                            "template": template,
                            "due_at": NOW - timedelta(hours=1) if r == due_rule else FUTURE,
                            "status": "pending",
                        }
                    )
            conn.execute(insert(NOTICE), rows)
    if app.store.dialect == "postgresql":
        with app.store.write() as conn:
            for table in ("case", "stageentry", "notice"):
                conn.exec_driver_sql(f'ANALYZE "{table}"')
    return {"seconds": time.perf_counter() - started, "due": due}


CHILD = """
import json, resource, sys, time
from datetime import datetime
from pathlib import Path
sys.path.insert(0, {src!r})
from pathways.bootstrap import App, Clock
from pathways.services.sweep import sweep
from pathways.settings import load_settings
from pathways.store.db import Store
now = datetime.fromisoformat(sys.argv[1])
settings = load_settings(config_dir=Path({config!r}), environment="test", database_url=sys.argv[2])
app = App(settings=settings, store=Store.from_url(sys.argv[2]), clock=Clock(now))
with app.store.read() as conn:
    conn.exec_driver_sql("select 1")
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
started = time.perf_counter()
result = sweep(app, now=now)
seconds = time.perf_counter() - started
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({{"seconds": seconds, "rss_before_mb": before / 1024, "peak_rss_mb": peak / 1024,
                  "notices": result.notices, "messages": result.messages,
                  "digest_items": result.digest_items}}))
"""


def sweep_in_child(url: str) -> dict[str, Any]:
    script = CHILD.format(src=str(ROOT / "src"), config=str(ROOT / "config"))
    out = subprocess.run(
        [sys.executable, "-c", script, NOW.isoformat(), url], capture_output=True, text=True, check=True
    ).stdout
    return dict(json.loads(out.strip().splitlines()[-1]))


def bench_sweep(backend: str, size: int) -> dict[str, Any]:
    db = fresh_database(backend, postgres_url=POSTGRES_URL)
    url = db.url if backend == "sqlite" else POSTGRES_URL
    try:
        app = make_app(db)
        setup = populate(app, size, due_every=100)
        print(
            f"  {backend} {size:>9,} cases: setup {setup['seconds']:.1f} s, {setup['due']:,} due", flush=True
        )
        first = sweep_in_child(url)
        again = sweep_in_child(url)
        with db.store.read() as conn:
            jobs = conn.execute(select(func.count()).select_from(JOB)).scalar_one()
        assert first["notices"] == setup["due"], (first, setup)
        assert again["notices"] == 0, again
        print(
            f"    sweep {first['seconds']:.2f} s, peak RSS {first['peak_rss_mb']:.0f} MB "
            f"(before {first['rss_before_mb']:.0f} MB); {jobs:,} jobs",
            flush=True,
        )
        return {
            "backend": backend,
            "cases": size,
            **first,
            "jobs": jobs,
            "settings": server_settings(db.store),
        }
    finally:
        db.close()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def bench_dispatch(backend: str, messages: int) -> dict[str, Any]:
    from aiosmtpd.controller import Controller

    from pathways.services.dispatch import dispatch
    from pathways.services.sweep import sweep

    class Counter:
        count = 0

        async def handle_DATA(self, *_args: Any) -> str:  # noqa: N802  aiosmtpd's hook name
            Counter.count += 1
            return "250 OK"

    port = free_port()
    controller = Controller(Counter(), hostname="127.0.0.1", port=port)
    controller.start()
    db = fresh_database(backend, postgres_url=POSTGRES_URL)
    try:
        app = make_app(db)
        channel = f"mailto://127.0.0.1:{port}?from=pathways@example.org&to=owner@example.org&mode=insecure"
        populate(app, messages * 2, due_every=1, owner_channels=[channel])  # half of them: the owner's
        with app.store.write() as conn:  # keep only owner reminders due: one message each
            conn.execute(NOTICE.update().where(NOTICE.c.to_role != "owner").values(status="cancelled"))
        swept = sweep(app, now=NOW)
        assert app.catalog.ids()  # loaded before the clock starts, as in a long-running dispatcher
        started = time.perf_counter()
        result = dispatch(app)
        seconds = time.perf_counter() - started
        assert result.sent == swept.messages == Counter.count, (result, swept, Counter.count)
        rate = result.sent / seconds
        print(f"  {backend} dispatch: {result.sent:,} messages in {seconds:.1f} s = {rate:.0f}/s", flush=True)
        return {"backend": backend, "messages": result.sent, "seconds": seconds, "rate": rate}
    finally:
        controller.stop()
        db.close()


def report(context: dict[str, str], sweeps: list[dict[str, Any]], dispatches: list[dict[str, Any]]) -> str:
    lines = [
        "## Deadline sweep and dispatch (`bench/sweep.py`)",
        "",
        f"- machine: {context['machine']}",
        f"- date: {context['date']}; commit {context['commit']}; {context['python']}",
        f"- command: `{context['command']}`",
    ]
    for backend in sorted({s["backend"] for s in sweeps}):
        settings = next(s["settings"] for s in sweeps if s["backend"] == backend)
        lines.append(f"- {backend}: " + ", ".join(f"{k} {v}" for k, v in settings.items()))
    lines += [
        "",
        "Sweep: N open diagnosis cases (4 notices each), 1% with a notice due; one `sweep()` in its own",
        "process. Peak RSS is the whole process (interpreter, imports, engine), `ru_maxrss`.",
        "",
        "| backend | open cases | due notices | sweep time | peak RSS | RSS before sweep | jobs queued |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    lines += [
        f"| {s['backend']} | {s['cases']:,} | {s['notices']:,} | {s['seconds']:.2f} s "
        f"| {s['peak_rss_mb']:.0f} MB | {s['rss_before_mb']:.0f} MB | {s['jobs']:,} |"
        for s in sweeps
    ]
    if dispatches:
        lines += [
            "",
            "Dispatch: owner reminders, each one email to aiosmtpd on loopback through Apprise (`mailto://`,",
            "plain SMTP); render + send + delivery record (committed before and after each send).",
            "",
            "| backend | messages | time | messages/s |",
            "|---|---:|---:|---:|",
        ]
        lines += [
            f"| {d['backend']} | {d['messages']:,} | {d['seconds']:.1f} s | {d['rate']:.0f} |"
            for d in dispatches
        ]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="10000,100000,1000000")
    parser.add_argument("--backend", choices=("sqlite", "postgres", "both"), default="both")
    parser.add_argument("--messages", type=int, default=2000, help="dispatch: messages to send (0: skip)")
    parser.add_argument("--no-record", action="store_true")
    args = parser.parse_args()
    backends = ("sqlite", "postgres") if args.backend == "both" else (args.backend,)
    sizes = [int(s) for s in args.sizes.split(",") if s]
    os.environ.setdefault("PATHWAYS_ENVIRONMENT", "test")
    with exclusive_run():
        context = run_context()
        sweeps = [bench_sweep(b, n) for n in sizes for b in backends]
        dispatches = [bench_dispatch(b, args.messages) for b in backends] if args.messages else []
    text = report(context, sweeps, dispatches)
    print(text)
    if not args.no_record:
        record("sweep", text)


if __name__ == "__main__":
    main()
