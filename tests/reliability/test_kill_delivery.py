"""SIGKILL of the sweep (`pathways sweep`) and of the dispatcher (`pathways dispatch`) at random points.

A real SMTP server (aiosmtpd) listens on loopback; every project owner has a mailbox
there. On 16 July each owner's intake reminder is due: one message per owner, one
idempotency key each. After the kills and a final run of each command: every due
notice became exactly one message, every message arrived once, except those in flight at a
dispatcher kill (at most WORKERS at once), each repeat matched by an attempt recorded
as interrupted;
nothing is left ready; the audit chains verify.
"""

from __future__ import annotations

import random
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, update

from loopback import LOOPBACK_ALLOW, loopback_channels
from pathways.services.casework.sweep import sweep
from pathways.services.messaging import status
from pathways.services.messaging.dispatch import WORKERS, dispatch
from pathways.services.messaging.lease import LEASE, MAX_ATTEMPTS
from pathways.services.messaging.outbox import attempts_of
from pathways.store.core import JOB
from pathways.store.db import Store
from reliability.ledger import record
from reliability.relsupport import (
    ROOT,
    SMTPServer,
    audit_verify,
    environment,
    full_only,
    kill,
    make_app,
    pathways,
    scaled,
    seed,
)

pytestmark = [pytest.mark.e2e, pytest.mark.postgres, pytest.mark.slow]

REMINDER_DUE = "2026-07-16T12:00:00+00:00"  # each owner's intake_documents reminder is due (not yet others)


@pytest.fixture(autouse=True, scope="module")
def _loopback_channels() -> Iterator[None]:
    """These tests deliver to servers on 127.0.0.1: allowed as an operator would (PATHWAYS_CHANNEL_ALLOW)."""
    with loopback_channels():
        yield


@pytest.fixture
def smtp() -> Iterator[SMTPServer]:
    server = SMTPServer()
    server.controller.start()
    yield server
    server.controller.stop()


def message_jobs(store: Store) -> list[dict[str, Any]]:
    with store.read() as conn:
        query = select(JOB).where(JOB.c.kind == "message").order_by(JOB.c.id)
        return [dict(r) for r in conn.execute(query).mappings()]


def start(env: dict[str, str], *args: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "pathways", *args],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def expire_leases(store: Store) -> None:
    """What waiting out the dispatcher's lease (5 minutes) does, without waiting."""
    with store.write() as conn:
        conn.execute(
            update(JOB)
            .where(JOB.c.status == "sending")
            .values(updated_at=datetime.now(UTC) - LEASE - timedelta(seconds=1))
        )


@full_only
def test_killing_the_sweep_at_random_points_queues_every_due_message_once(
    postgres_store: Store, smtp: SMTPServer, tmp_path: Path
) -> None:
    owners = scaled(100, 1000)
    kills = scaled(3, 10)
    app = make_app(postgres_store, tmp_path)
    seed(
        app,
        officers=2,
        cases_count=owners,
        tokens=False,
        drain=False,
        owner_channel=smtp.url("owner{i}@example.org"),
    )
    env = environment(app.settings.effective_database_url, tmp_path, PATHWAYS_CHANNEL_ALLOW=LOOPBACK_ALLOW)
    rng = random.Random(716)
    landed = 0
    now = datetime.fromisoformat(REMINDER_DUE)
    for _ in range(kills):
        # Small batches (many transactions); the kill comes a random moment after the first
        # batch of this run committed, so it lands in the middle of the sweep, not before or after.
        due = status.queue_status(app, now=now).notices_due
        proc = start(env, "--now", REMINDER_DUE, "sweep", "--batch", "10")
        give_up = time.monotonic() + 60
        while proc.poll() is None and time.monotonic() < give_up:
            if status.queue_status(app, now=now).notices_due < due:
                break
            time.sleep(0.01)
        time.sleep(rng.uniform(0.0, 0.08))
        if proc.poll() is None:
            landed += 1
        kill(proc)
        assert proc.stderr is not None
        assert b"Traceback" not in proc.stderr.read()
    finished = pathways(env, "--now", REMINDER_DUE, "sweep", "--json")
    assert finished.code == 0, finished.err

    jobs = message_jobs(postgres_store)
    due_left = status.queue_status(app, now=datetime.fromisoformat(REMINDER_DUE)).notices_due
    sent = dispatch(app)
    received = smtp.mailbox.by_recipient()
    wrong = {to: n for to, n in received.items() if n != 1}
    record(
        "fault",
        "SIGKILL of the deadline sweep (pathways sweep) at random points",
        tried=kills,
        failures=abs(len(jobs) - owners) + len(wrong) + due_left,
        detail=(
            f"{landed} kills landed while it ran; {owners} due reminders → {len(jobs)} messages queued, "
            f"{len(received)} recipients each got {set(received.values())} message(s); audit verify passed"
        ),
    )
    assert landed > 0, "no kill landed while a sweep ran"
    assert len(jobs) == owners
    assert len({j["key"] for j in jobs}) == owners
    assert due_left == 0
    assert sent.sent == owners
    assert len(received) == owners
    assert wrong == {}
    audit_verify(env)


def test_killing_the_dispatcher_at_random_points_delivers_each_message_once_but_the_one_in_flight(
    postgres_store: Store, smtp: SMTPServer, tmp_path: Path
) -> None:
    owners = scaled(30, 150)
    kills = scaled(3, 20)
    app = make_app(postgres_store, tmp_path)
    world = seed(
        app,
        officers=2,
        cases_count=owners,
        tokens=False,
        drain=False,
        owner_channel=smtp.url("owner{i}@example.org"),
    )
    assert sweep(app, now=datetime.fromisoformat(REMINDER_DUE)).messages == owners
    env = environment(app.settings.effective_database_url, tmp_path, PATHWAYS_CHANNEL_ALLOW=LOOPBACK_ALLOW)
    smtp.mailbox.delay = 0.02  # the message is in; the sender still waits a little for "250"
    rng = random.Random(8)
    landed = 0
    for _ in range(kills):
        before = len(smtp.mailbox.messages)
        if before >= owners:
            break
        proc = start(env, "dispatch", "--batch", "5")
        target = before + rng.randint(1, 4)
        deadline = time.monotonic() + 90
        while len(smtp.mailbox.messages) < target and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.005)
        if proc.poll() is None:
            landed += 1
        kill(proc)
        assert proc.stderr is not None
        assert b"Traceback" not in proc.stderr.read()
        expire_leases(postgres_store)
    smtp.mailbox.delay = 0
    # A message interrupted MAX_ATTEMPTS times is taken for a poison message and dead-lettered
    # (by design): the operator puts it back with `pathways messages retry`.
    # The last kill's messages in flight may reach it too, when the final dispatch takes them
    # over: the operator retries until nothing is dead (a few rounds at most).
    poisoned: list[int] = []
    for _ in range(3):
        dead = [j["id"] for j in message_jobs(postgres_store) if j["status"] == "dead"]
        for job_id in dead:
            retried = pathways(env, "messages", "retry", str(job_id))
            assert retried.code == 0, retried.out + retried.err
        poisoned += dead
        finished = pathways(env, "dispatch", "--json")
        assert finished.code == 0, finished.out + finished.err
        if not dead:
            break

    jobs = message_jobs(postgres_store)
    received = smtp.mailbox.by_recipient()
    with app.store.read() as conn:
        history = {j["payload"]["person"]: [a.outcome for a in attempts_of(conn, j["id"])] for j in jobs}
    address = {person: f"owner{i}@example.org" for i, person in enumerate(world.owners)}
    repeats = {address[p]: h.count("interrupted") for p, h in history.items()}
    duplicates = sum(n - 1 for n in received.values() if n > 1)
    # Each repeat is an attempt the record shows as interrupted (the kill came mid-send).
    unexplained = {to: n for to, n in received.items() if n - 1 > repeats.get(to, 0)}
    ready = status.messages_ready(status.queue_status(app, now=datetime.now(UTC) + timedelta(days=1)))
    record(
        "fault",
        "SIGKILL of the dispatcher (pathways dispatch) mid-batch, real SMTP on loopback",
        tried=kills,
        failures=len(unexplained) + max(duplicates - landed * WORKERS, 0) + (owners - len(received)) + ready,
        detail=(
            f"{landed} kills landed mid-send; {owners} messages, each delivered; {duplicates} repeat "
            f"deliveries, each of a message in flight at a kill (at most {WORKERS} at once), recorded "
            f"'interrupted'; {len(poisoned)} interrupted {MAX_ATTEMPTS} times, dead-lettered as poison by "
            "design and put back with `pathways messages retry`; "
            "backlog drained; audit verify passed"
        ),
    )
    assert {j["status"] for j in jobs} == {"done"}
    assert len(received) == owners  # nothing lost
    assert unexplained == {}, (received, history)
    assert duplicates <= landed * WORKERS  # at most the messages in flight at each kill
    assert all(h[-1] == "sent" and h.count("sent") == 1 for h in history.values()), history
    assert ready == 0
    audit_verify(env)
