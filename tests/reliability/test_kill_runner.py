"""SIGKILL of `pathways case decide` processes, which carry out the queued work (the inline runner).

`pathways worker` needs a Prefect server, which these tests do not start; the work
runner is the same code (`work.run_pending`) that every case command runs after its
decision, so it is killed there instead. Opening the cases queued one intake sheet
(a `render_document` step) each and nothing ran them yet: each `case decide` process
first records its decision, then renders the sheets of every case, and is killed at
a random point in either. Afterwards: every decision whose command exited 0 is stored,
each step produced exactly one document (a job and its effect commit together), what
the killed runners left drains, and the audit chains verify.
"""

from __future__ import annotations

import random
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import select

from pathways.bootstrap import App
from pathways.services.casework import work
from pathways.services.messaging import status
from pathways.store.core import CASE, JOB
from pathways.store.core import DOC as DOCUMENT
from pathways.store.db import Store
from reliability.ledger import record
from reliability.relsupport import (
    INTAKE_RELEVANT,
    ROOT,
    audit_verify,
    decisions_in_db,
    environment,
    full_only,
    kill,
    make_app,
    scaled,
    seed,
)

pytestmark = [pytest.mark.e2e, pytest.mark.postgres, pytest.mark.slow, full_only]

AT_ONCE = 3


def decided(app: App, refs: list[str]) -> bool:
    with app.store.read() as conn:
        stages = set(conn.scalars(select(CASE.c.stage).where(CASE.c.ref.in_(refs))))
    return "intake" not in stages


def test_killing_the_work_runner_at_random_points_runs_each_step_once_and_loses_no_decision(
    postgres_store: Store, tmp_path: Path
) -> None:
    processes = scaled(9, 30)
    app = make_app(postgres_store, tmp_path)
    world = seed(app, officers=2, cases_count=scaled(60, 240), tokens=False, drain=False)
    env = environment(app.settings.effective_database_url, tmp_path)
    sets = [arg for name, value in INTAKE_RELEVANT.items() for arg in ("--set", f"{name}={value}")]
    rng = random.Random(2026)
    acked: list[str] = []
    landed = 0
    crashed: list[str] = []
    for first in range(0, processes, AT_ONCE):
        refs = world.refs[first : first + AT_ONCE]
        running = [
            (
                ref,
                subprocess.Popen(
                    [sys.executable, "-m", "pathways", "case", "decide", ref, "relevant", *sets],
                    cwd=ROOT,
                    env=env,
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.PIPE,
                ),
            )
            for ref in refs
        ]
        last = first + AT_ONCE >= processes  # the last round runs to its end: its decisions are acknowledged
        deadline = time.monotonic() + 300
        # Kill once the round's decisions are committed, a random moment into the work runner.
        while time.monotonic() < deadline and any(p.poll() is None for _, p in running):
            if not last and decided(app, refs):
                time.sleep(rng.uniform(0.0, 1.5))
                break
            time.sleep(0.1)
        for ref, proc in running:
            if proc.poll() is None:
                landed += 1
                kill(proc)
            elif proc.returncode == 0:
                acked.append(ref)
            assert proc.stderr is not None
            err = proc.stderr.read().decode(errors="replace")
            if "Traceback" in err:
                crashed.append(err[-2000:])

    stored = {
        ref for ref, stage, outcome in decisions_in_db(app) if (stage, outcome) == ("intake", "relevant")
    }
    drained = work.run_pending(app, limit=100_000)
    with app.store.read() as conn:
        documents = Counter(
            (row.case_id, row.entry_id)
            for row in conn.execute(select(DOCUMENT.c.case_id, DOCUMENT.c.entry_id)).all()
        )
        statuses = Counter(conn.scalars(select(JOB.c.status).where(JOB.c.kind.in_(work.WORK_KINDS))))
    ready = {
        k: n for k, n in status.ready_by_kind(status.queue_status(app)).items() if k in work.WORK_KINDS and n
    }
    repeated = {key: n for key, n in documents.items() if n > 1}
    lost = set(acked) - stored
    record(
        "fault",
        "SIGKILL of the work runner (pathways case decide running queued steps) at random points",
        tried=processes,
        failures=len(lost) + len(repeated) + len(crashed) + len(ready) + statuses.get("dead", 0),
        detail=(
            f"{landed} kills landed while running ({len(stored) - len(acked)} after their decision "
            f"committed); {len(acked)} decisions acknowledged (exit 0), {len(lost)} lost; "
            f"{sum(documents.values())} documents, none twice; {len(drained)} jobs left by the kills "
            "drained; audit verify passed"
        ),
    )
    assert crashed == [], crashed[:1]
    assert lost == set(), lost
    assert len(acked) >= min(AT_ONCE, processes)
    assert repeated == {}, repeated
    assert set(statuses) == {"done"}, statuses
    assert ready == {}
    assert sum(documents.values()) == statuses["done"]  # every step made its document, once
    audit_verify(env)
