"""Deadline sweep time and peak memory at 10k, 100k and 1M open cases (1% due); dispatch throughput.

    python bench/sweep.py [--sizes 10000,100000,1000000] [--backend sqlite|postgres|both]
                          [--runs 3] [--messages 1000] [--quick] [--json PATH] [--no-record]

--quick: 10k and 100k cases, 100 messages, 2 runs (two to four minutes). The whole report is
printed; the figures, compact, replace the section ``sweep`` of bench/RESULTS.md (the latest
run). --json PATH: also write the figures
as a JSON list (the bench/run.py suite contract: ``bench``, ``name``, ``backend``, ``cases``,
``unit``, ``median``, ``spread``, ``runs``, ``baseline``, ``ratio``).

Sweep, for each size and backend, in a fresh database:

1. setup (timed, not the figure): one organisation (FR-75) with an officer (daily digest),
   a manager and 100 project owners; N open diagnosis cases at their intake stage,
   bulk-inserted with SQLAlchemy Core (case, stage entry, and the four notices the
   intake's rules give: 2 reminders, 2 escalations), 1% of the cases with one notice
   due (half to the owner, a quarter to the officer's digest, a quarter to the manager),
   every other notice in the future;
2. the figure, ``--runs`` times: ``sweep(app, now=...)`` in a *separate process* (so its peak
   RSS is the sweep's, imports included), wall time and peak RSS (``ru_maxrss``), and the
   RSS before the sweep started (imports, settings, engine). The same process times the
   baseline first, a raw ``SELECT count(*)`` of the pending due notices on the partial index
   the sweep reads, and after the sweep the retention rule alone (which ``sweep()`` applies
   after queuing the messages);
3. check: a second sweep queues nothing; then the notices are set pending again and the
   jobs deleted (not timed) for the next run.

Dispatch: a fresh database with ``--messages`` due owner reminders, each owner's channel a
``mailto://`` to an aiosmtpd server on loopback in this process; ``dispatch(app)`` drains
them with 1 thread, then (the jobs reset) with the default pool; messages per second
(render + Apprise + SMTP + the delivery record, every attempt committed before and after
the send). Baseline: the same rendered messages sent with raw ``smtplib`` to the same
server, one connection per message as Apprise does, no SSL context. Also the CPU time of the
whole process (``time.process_time()``, the SMTP server's thread included) per message, for the
baseline and each dispatch: unlike the rates, it does not change when other processes share the
machine's cores.

Apprise's e-mail plugin builds ``ssl.create_default_context()`` for every e-mail, even plain
SMTP, and nothing public in Apprise changes that; with OpenSSL 3 loading the CA bundle is most
of a send. So each dispatch is measured twice, alternating: with the CA certificates as this
environment gives them (``bundle``: OpenSSL parses ``SSL_CERT_FILE`` on every context), and
with OpenSSL's documented on-demand lookup (``on-demand``: ``SSL_CERT_FILE`` an empty file,
``SSL_CERT_DIR`` the hashed directory, so a certificate is read only when a handshake needs
it), the deployment setting an operator can choose. Same trust, same verification.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import smtplib
import socket
import ssl
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from pathways.store.core import ATTEMPT, CASE, ENTRY, JOB, NOTICE, PROJECT

sys.path.insert(0, str(Path(__file__).resolve().parent))

from sqlalchemy import delete, func, insert, select, update

from common import (
    ROOT,
    BenchDatabase,
    exclusive_run,
    figure,
    fresh_database,
    median,
    record_run,
    run_context,
    server_settings,
    write_figures,
)
from pathways.bootstrap import App, Clock
from pathways.services.people import directory
from pathways.services.tx import write
from pathways.settings import load_settings

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
from pathways.services.people.privacy import apply_retention
from pathways.services.casework.sweep import sweep
from pathways.settings import load_settings
from pathways.store.db import Store
from sqlalchemy import text
now = datetime.fromisoformat(sys.argv[1])
settings = load_settings(config_dir=Path({config!r}), environment="test", database_url=sys.argv[2])
app = App(settings=settings, store=Store.from_url(sys.argv[2]), clock=Clock(now))
# The baseline, before the sweep: the raw count of what is due, on the partial index of pending
# notices the sweep reads (its index pages then warm for the sweep, which favours the sweep a little).
count = text("SELECT count(*) FROM notice WHERE status = 'pending' AND due_at <= :now")
with app.store.read() as conn:
    started = time.perf_counter()
    due = conn.execute(count, {{"now": now}}).scalar_one()
    raw = time.perf_counter() - started
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
started = time.perf_counter()
result = sweep(app, now=now)
seconds = time.perf_counter() - started
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
started = time.perf_counter()
apply_retention(app, now=now, years=app.settings.retention_years)
retention = time.perf_counter() - started
print(json.dumps({{"seconds": seconds, "rss_before_mb": before / 1024, "peak_rss_mb": peak / 1024,
                  "notices": result.notices, "messages": result.messages,
                  "digest_items": result.digest_items, "raw_count_seconds": raw, "raw_count": due,
                  "retention_seconds": retention}}))
"""


def sweep_in_child(url: str) -> dict[str, Any]:
    script = CHILD.format(src=str(ROOT / "src"), config=str(ROOT / "config"))
    out = subprocess.run(
        [sys.executable, "-c", script, NOW.isoformat(), url], capture_output=True, text=True, check=True
    ).stdout
    return dict(json.loads(out.strip().splitlines()[-1]))


def reset_sweep(db: BenchDatabase) -> None:
    """Undo a sweep (not timed): its notices pending again, its jobs gone."""
    with db.store.write() as conn:
        conn.execute(
            update(NOTICE).where(NOTICE.c.status != "pending").values(status="pending", done_at=None)
        )
        conn.execute(delete(JOB))
    if db.backend == "postgres":
        with db.store.write() as conn:
            conn.exec_driver_sql("ANALYZE notice")
            conn.exec_driver_sql("ANALYZE outboxjob")


def bench_sweep(backend: str, size: int, runs: int) -> dict[str, Any]:
    db = fresh_database(backend, postgres_url=POSTGRES_URL)
    url = db.url if backend == "sqlite" else POSTGRES_URL
    try:
        app = make_app(db)
        setup = populate(app, size, due_every=100)
        print(
            f"  {backend} {size:>9,} cases: setup {setup['seconds']:.1f} s, {setup['due']:,} due", flush=True
        )
        samples = []
        for run in range(runs):
            if run:
                reset_sweep(db)
            first = sweep_in_child(url)
            again = sweep_in_child(url)
            with db.store.read() as conn:
                jobs = conn.execute(select(func.count()).select_from(JOB)).scalar_one()
            assert first["notices"] == setup["due"] == first["raw_count"], (first, setup)
            assert again["notices"] == 0, again
            print(
                f"    sweep {first['seconds']:.2f} s (raw count {first['raw_count_seconds'] * 1000:.1f} ms, "
                f"retention alone {first['retention_seconds']:.2f} s), "
                f"peak RSS {first['peak_rss_mb']:.0f} MB "
                f"(before {first['rss_before_mb']:.0f} MB); {jobs:,} jobs",
                flush=True,
            )
            samples.append(first | {"jobs": jobs})
        return {
            "backend": backend,
            "cases": size,
            "notices": samples[0]["notices"],
            "jobs": samples[0]["jobs"],
            "runs": samples,
            "settings": server_settings(db.store),
        }
    finally:
        db.close()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def reset_dispatch(db: BenchDatabase, at: datetime) -> None:
    """Every message pending again, its delivery record gone (not timed)."""
    with db.store.write() as conn:
        conn.execute(delete(ATTEMPT))
        conn.execute(
            update(JOB).values(
                status="pending", attempts=0, next_attempt_at=at, updated_at=at, last_error=None
            )
        )


def raw_messages(app: App) -> list[EmailMessage]:
    """The queued messages rendered as the dispatcher renders them, as plain e-mails (not timed)."""
    from pathways.notify.render import Renderer
    from pathways.services.messaging.message import build_message

    renderer = Renderer(app.settings.templates_dir)
    mails = []
    with app.store.read() as conn:
        for kind, payload in conn.execute(select(JOB.c.kind, JOB.c.payload).order_by(JOB.c.id)):
            built = build_message(conn, app, kind, payload)
            assert built is not None
            rendered = renderer.render(built.template, built.lang, built.context, zone=built.zone)
            mail = EmailMessage()
            mail["From"], mail["To"], mail["Subject"] = (
                "pathways@example.org",
                "owner@example.org",
                rendered.subject,
            )
            mail.set_content(rendered.body)
            if rendered.html is not None:
                mail.add_alternative(rendered.html, subtype="html")
            mails.append(mail)
    return mails


CA_LOOKUPS = ("bundle", "on-demand")


@contextlib.contextmanager
def ca_lookup(mode: str) -> Iterator[None]:
    """How OpenSSL finds CA certificates while the block runs (it reads the variables at each context).

    ``bundle``: as this environment has it. ``on-demand``: ``SSL_CERT_FILE`` an empty file and
    ``SSL_CERT_DIR`` the hashed directory, so OpenSSL reads a CA only when a handshake needs it.
    """
    if mode == "bundle":
        yield
        return
    paths = ssl.get_default_verify_paths()
    saved = {name: os.environ.get(name) for name in ("SSL_CERT_FILE", "SSL_CERT_DIR")}
    with tempfile.NamedTemporaryFile(suffix=".pem") as empty:
        os.environ["SSL_CERT_FILE"] = empty.name
        os.environ["SSL_CERT_DIR"] = paths.capath or paths.openssl_capath
        try:
            yield
        finally:
            for name, value in saved.items():
                if value is None:
                    os.environ.pop(name, None)
                else:
                    os.environ[name] = value


def bench_dispatch(backend: str, messages: int, runs: int) -> dict[str, Any]:
    from aiosmtpd.controller import Controller

    from pathways.services.casework.sweep import sweep
    from pathways.services.messaging.dispatch import WORKERS, dispatch

    class Counter:
        count = 0

        async def handle_DATA(self, *_args: Any) -> str:  # noqa: N802  aiosmtpd's hook name
            Counter.count += 1
            return "250 OK"

    # The catcher listens on loopback: allowed as an operator would (refused by default), both when
    # the owners' channel is entered and when it is sent to.
    os.environ["PATHWAYS_CHANNEL_ALLOW"] = "127.0.0.1"
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
        mails = raw_messages(app)
        # Keys: "raw", then "<CA lookup>:<threads>" for each of CA_LOOKUPS and 1 or WORKERS threads.
        rates: dict[str, list[float]] = {"raw": []}
        # The same keys: CPU time of this whole process (SMTP server included) per message, in ms;
        # unlike the rates, other processes on the machine do not count in it.
        cpu: dict[str, list[float]] = {"raw": []}
        for _ in range(runs):
            Counter.count = 0
            started, cpu_started = time.perf_counter(), time.process_time()
            for mail in mails:  # what Apprise does per message, without Apprise
                with smtplib.SMTP("127.0.0.1", port, timeout=15) as smtp:
                    smtp.send_message(mail)
            rates["raw"].append(len(mails) / (time.perf_counter() - started))
            cpu["raw"].append((time.process_time() - cpu_started) * 1000 / len(mails))
            assert Counter.count == len(mails)
            for mode in CA_LOOKUPS:
                for workers in (1, WORKERS):
                    reset_dispatch(db, datetime.now(UTC))
                    Counter.count = 0
                    with ca_lookup(mode):
                        started, cpu_started = time.perf_counter(), time.process_time()
                        result = dispatch(app, workers=workers)
                        seconds = time.perf_counter() - started
                        cpu_ms = (time.process_time() - cpu_started) * 1000 / result.sent
                    assert result.sent == swept.messages == Counter.count, (result, swept, Counter.count)
                    rates.setdefault(f"{mode}:{workers}", []).append(result.sent / seconds)
                    cpu.setdefault(f"{mode}:{workers}", []).append(cpu_ms)
            print(
                f"  {backend} dispatch of {swept.messages:,}: raw smtplib {rates['raw'][-1]:.0f}/s, "
                + ", ".join(
                    f"CA {mode} {workers} thread(s) {rates[f'{mode}:{workers}'][-1]:.0f}/s"
                    for mode in CA_LOOKUPS
                    for workers in (1, WORKERS)
                )
                + f"; CPU ms/message: raw {cpu['raw'][-1]:.2f}, "
                + ", ".join(
                    f"{mode} {workers} {cpu[f'{mode}:{workers}'][-1]:.2f}"
                    for mode in CA_LOOKUPS
                    for workers in (1, WORKERS)
                ),
                flush=True,
            )
        return {
            "backend": backend,
            "messages": swept.messages,
            "workers": WORKERS,
            "rates": rates,
            "cpu": cpu,
        }
    finally:
        controller.stop()
        db.close()


def spread(values: list[float], fmt: str) -> str:
    return f"**{format(median(values), fmt)}** [{format(min(values), fmt)}–{format(max(values), fmt)}]"


def report(
    context: dict[str, str], sweeps: list[dict[str, Any]], dispatches: list[dict[str, Any]], load: str
) -> str:
    lines = [
        "## Deadline sweep and dispatch (`bench/sweep.py`)",
        "",
        f"- machine: {context['machine']}; load average (1 min) {load}: above 2, other processes",
        "  competed for the CPU and the database during the run",
        f"- date: {context['date']}; commit {context['commit']}; {context['python']}",
        f"- command: `{context['command']}`",
    ]
    for backend in sorted({s["backend"] for s in sweeps} | {d["backend"] for d in dispatches}):
        settings = next((s["settings"] for s in sweeps if s["backend"] == backend), None)
        if settings:
            lines.append(f"- {backend}: " + ", ".join(f"{k} {v}" for k, v in settings.items()))
    if sweeps:
        lines += [
            "",
            "Sweep: N open diagnosis cases (4 notices each), 1% with a notice due; one `sweep()` in its own",
            "process (queuing the messages, then the retention rule); median [min–max] of the runs. Peak RSS",
            "is the whole process (interpreter, imports, engine), `ru_maxrss`. Baseline: a raw",
            "`SELECT count(*)` of the pending due notices on the partial index the sweep reads, in the same",
            "process just before the sweep; retention: the retention rule alone, run again after the sweep",
            "(part of the sweep time).",
            "",
            (
                "| backend | open cases | due notices | runs | sweep time | raw count (baseline) | ratio "
                "| retention alone | peak RSS | RSS before sweep | jobs queued |"
            ),
            "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
        ]
        for s in sweeps:
            runs = s["runs"]
            secs = [r["seconds"] for r in runs]
            raw = [r["raw_count_seconds"] * 1000 for r in runs]
            lines.append(
                f"| {s['backend']} | {s['cases']:,} | {s['notices']:,} | {len(runs)} "
                f"| {spread(secs, '.2f')} s "
                f"| {median(raw):.1f} ms | ×{median(secs) * 1000 / median(raw):,.0f} "
                f"| {median([r['retention_seconds'] for r in runs]):.2f} s "
                f"| {spread([r['peak_rss_mb'] for r in runs], '.0f')} MB "
                f"| {median([r['rss_before_mb'] for r in runs]):.0f} MB | {s['jobs']:,} |"
            )
    if dispatches:
        workers = dispatches[0]["workers"]
        lines += [
            "",
            "Dispatch: owner reminders, each one email to aiosmtpd on loopback through Apprise (`mailto://`,",
            "plain SMTP); render + send + delivery record (committed before and after each send), with one",
            f"thread and with the default pool of {workers}; baseline: the same rendered messages sent with",
            "raw `smtplib`, one connection per message (as Apprise does), no SSL context. Messages per",
            "second, median [min–max] of the runs; ratio: dispatch over the raw rate. CA certificates:",
            "Apprise builds an SSL context for every e-mail; `bundle`, OpenSSL parses the CA bundle each",
            "time (this environment's `SSL_CERT_FILE`); `on-demand`, `SSL_CERT_FILE` an empty file and",
            "`SSL_CERT_DIR` the hashed directory, so a CA is read only when a handshake needs it.",
            "",
            (
                "| backend | CA certificates | messages | runs | raw smtplib/s (baseline) "
                f"| 1 thread/s | ratio | {workers} threads/s | ratio | {workers} threads over 1 |"
            ),
            "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|",
        ]
        for d in dispatches:
            r = d["rates"]
            smtplib_rate = median(r["raw"])
            for mode in CA_LOOKUPS:
                single, pool = r[f"{mode}:1"], r[f"{mode}:{workers}"]
                one, many = median(single), median(pool)
                lines.append(
                    f"| {d['backend']} | {mode} | {d['messages']:,} | {len(r['raw'])} "
                    f"| {spread(r['raw'], '.0f')} | {spread(single, '.0f')} | {one / smtplib_rate:.2f} "
                    f"| {spread(pool, '.0f')} "
                    f"| {many / smtplib_rate:.2f} | ×{many / one:.2f} |"
                )
        lines += [
            "",
            "CPU time of the whole process (the SMTP server's thread included) per message, ms: what",
            "other processes on a shared machine do not change. Ratio: over raw `smtplib`'s.",
            "",
            f"| backend | CA certificates | raw smtplib | 1 thread | ratio | {workers} threads | ratio |",
            "|---|---|---:|---:|---:|---:|---:|",
        ]
        for d in dispatches:
            c = d["cpu"]
            raw_cpu = median(c["raw"])
            for mode in CA_LOOKUPS:
                one, many = median(c[f"{mode}:1"]), median(c[f"{mode}:{workers}"])
                lines.append(
                    f"| {d['backend']} | {mode} | {raw_cpu:.2f} | {one:.2f} | ×{one / raw_cpu:.1f} "
                    f"| {many:.2f} | ×{many / raw_cpu:.1f} |"
                )
    return "\n".join(lines) + "\n"


def figures(sweeps: list[dict[str, Any]], dispatches: list[dict[str, Any]]) -> list[dict[str, object]]:
    """The figures of the run, in the bench/run.py `--json` contract."""
    out: list[dict[str, object]] = []
    for s in sweeps:
        runs = s["runs"]
        raw = [r["raw_count_seconds"] for r in runs]
        base = ("raw count of the due notices", median(raw))
        common_args = (s["backend"], s["cases"])
        out.append(
            figure("sweep", "sweep time", *common_args, "s", [r["seconds"] for r in runs], baseline=base)
        )
        out.append(figure("sweep", base[0], *common_args, "s", raw))
        out.append(
            figure("sweep", "retention rule alone", *common_args, "s", [r["retention_seconds"] for r in runs])
        )
        out.append(figure("sweep", "peak RSS", *common_args, "MB", [r["peak_rss_mb"] for r in runs]))
    for d in dispatches:
        r, workers = d["rates"], d["workers"]
        base = ("raw smtplib send of the same messages", median(r["raw"]))
        args = (d["backend"], d["messages"], "msg/s")
        for mode in CA_LOOKUPS:
            suffix = "" if mode == "bundle" else f", CA {mode}"
            for count, label in ((workers, f"{workers} threads"), (1, "1 thread")):
                rates = r[f"{mode}:{count}"]
                out.append(figure("dispatch", f"dispatch, {label}{suffix}", *args, rates, baseline=base))
        out.append(figure("dispatch", base[0], *args, r["raw"]))
        # CPU per message of the pool (named without "threads": bench/run.py's aim reads the rates).
        c = d["cpu"]
        cpu_base = ("CPU per message, raw smtplib", median(c["raw"]))
        cpu_args = (d["backend"], d["messages"], "ms")
        for mode in CA_LOOKUPS:
            suffix = "" if mode == "bundle" else f", CA {mode}"
            name = f"CPU per message, dispatch (pool of {workers}){suffix}"
            out.append(figure("dispatch", name, *cpu_args, c[f"{mode}:{workers}"], baseline=cpu_base))
        out.append(figure("dispatch", cpu_base[0], *cpu_args, c["raw"]))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--sizes", default=None, help="open cases per database (default 10000,100000,1000000)"
    )
    parser.add_argument("--backend", choices=("sqlite", "postgres", "both"), default="both")
    parser.add_argument(
        "--runs", type=int, default=None, help="sweeps per size and dispatch runs (default 3)"
    )
    parser.add_argument("--messages", type=int, default=None, help="dispatch: messages to send (0: skip)")
    parser.add_argument("--quick", action="store_true", help="10k and 100k cases, 100 messages, 2 runs")
    parser.add_argument("--json", type=Path, default=None, metavar="PATH", help="write the figures as JSON")
    parser.add_argument("--no-record", action="store_true")
    args = parser.parse_args()
    # --sizes "" skips the sweep (dispatch only).
    sizes_text = (
        args.sizes if args.sizes is not None else ("10000,100000" if args.quick else "10000,100000,1000000")
    )
    runs = args.runs or (2 if args.quick else 3)
    messages = args.messages if args.messages is not None else (100 if args.quick else 1000)
    backends = ("sqlite", "postgres") if args.backend == "both" else (args.backend,)
    sizes = [int(s) for s in sizes_text.split(",") if s]
    os.environ.setdefault("PATHWAYS_ENVIRONMENT", "test")
    with exclusive_run():
        context = run_context()
        load_before = os.getloadavg()[0]
        sweeps = [bench_sweep(b, n, runs) for n in sizes for b in backends]
        dispatches = [bench_dispatch(b, messages, runs) for b in backends] if messages else []
        load = f"{load_before:.1f} → {os.getloadavg()[0]:.1f}"
    text = report(context, sweeps, dispatches, load)
    print(text)
    if args.json is not None:
        write_figures(args.json, figures(sweeps, dispatches))
    if not args.no_record:
        record_run("sweep", figures(sweeps, dispatches), quick=args.quick, context=context)


if __name__ == "__main__":
    main()
