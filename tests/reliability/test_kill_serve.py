"""SIGKILL of the web process (`pathways serve`) at random points while officers decide through the API.

After every kill the server is started again on the same PostgreSQL database. At the end:
every decision a client saw acknowledged (HTTP 201) is in the audit log, no case moved
twice from one version, the audit chains verify, no 5xx was answered, and the queued
work left by a request killed between its commit and its follow-up drains.
"""

from __future__ import annotations

import random
import threading
import time
from collections import Counter
from pathlib import Path

import pytest

from pathways.services.casework import work
from pathways.services.messaging import status
from pathways.store.db import Store
from reliability.ledger import record
from reliability.relsupport import (
    Server,
    Tally,
    audit_verify,
    decisions_in_db,
    environment,
    make_app,
    run_officers,
    scaled,
    seed,
)

pytestmark = [pytest.mark.e2e, pytest.mark.postgres, pytest.mark.slow]


def test_killing_the_web_process_under_load_loses_no_acknowledged_decision(
    postgres_store: Store, tmp_path: Path
) -> None:
    kills = scaled(2, 10)
    app = make_app(postgres_store, tmp_path)
    world = seed(app, officers=8, cases_count=scaled(80, 400))
    env = environment(app.settings.effective_database_url, tmp_path)
    rng = random.Random(20260708)
    tally = Tally()
    server = Server(env, world.tokens[0], tmp_path / "serve.log")
    acked_before_kill: list[int] = []
    try:
        for _ in range(kills):
            server.start()
            stop = threading.Event()
            threads = run_officers(server.url, world.tokens, world.refs, tally, stop, hot=10)
            time.sleep(rng.uniform(1.0, 4.0))
            server.kill()  # SIGKILL while requests are in flight
            acked_before_kill.append(len(tally.acked))
            stop.set()
            for thread in threads:
                thread.join(timeout=60)
            assert not any(t.is_alive() for t in threads)
        # Restarted once more: it serves again, and decisions still succeed.
        server.start()
        before = len(tally.acked)
        stop = threading.Event()
        threads = run_officers(server.url, world.tokens, world.refs, tally, stop, hot=10)
        deadline = time.monotonic() + 60  # a cold server under load may take a while to answer
        time.sleep(2)
        while len(tally.acked) == before and time.monotonic() < deadline:
            time.sleep(0.2)
        stop.set()
        for thread in threads:
            thread.join(timeout=60)
        after_restart = len(tally.acked) - before
    finally:
        server.kill()

    stored = decisions_in_db(app)
    acked = {(ref, left, outcome) for ref, left, outcome, _ in tally.acked}
    lost = acked - stored
    twice = [key for key, n in Counter((r, v) for r, _, _, v in tally.acked).items() if n > 1]
    drained = work.run_pending(app)  # what a killed request committed but did not carry out
    ready = status.ready_by_kind(status.queue_status(app))
    left_over = {kind: n for kind, n in ready.items() if kind in work.WORK_KINDS and n}
    record(
        "fault",
        "SIGKILL of the web process (pathways serve) under API load, PostgreSQL",
        tried=kills,
        failures=len(lost) + len(twice) + len(tally.server_errors) + len(left_over) + (after_restart == 0),
        detail=(
            f"{len(tally.acked)} decisions acknowledged, {len(lost)} lost; {tally.transport_errors} requests "
            f"cut by the kills; {len(tally.server_errors)} server errors; {len(drained)} queued jobs drained "
            "after restart; audit verify passed"
        ),
    )
    assert tally.server_errors == [], tally.server_errors[:5]
    assert server.server_errors() == [], server.server_errors()[:2]
    assert lost == set(), sorted(lost)[:10]
    assert twice == []
    assert after_restart > 0, "no decision succeeded after the last restart"
    assert left_over == {}, left_over
    assert all(r.status in ("done", "skipped") for r in drained), drained[:5]
    audit_verify(env)
