"""A PostgreSQL restart while officers decide through the API.

Never the shared server: the test starts a private cluster (initdb into a temporary
folder, its own port, its own socket folder) and restarts that one. It needs the
PostgreSQL server binaries and root (to run them as the `postgres` user): skipped
with the reason otherwise, failed instead under CI=true.

Every acknowledged decision is stored; once it is back, decisions succeed again without
restarting the web process; audit verify passes. While the database is down, requests
fail with a clear 503 (Retry-After) naming the database, and no traceback in the log.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.pool import NullPool

from pathways.store.db import Store, init_database
from reliability.ledger import record
from reliability.relsupport import (
    Tally,
    audit_verify,
    decisions_in_db,
    environment,
    free_port,
    full_only,
    make_app,
    run_officers,
    scaled,
    seed,
    serving,
)

pytestmark = [pytest.mark.e2e, pytest.mark.slow, full_only]


def _unavailable(reason: str) -> None:
    if os.environ.get("CI") == "true":
        pytest.fail(f"{reason}; CI=true requires the PostgreSQL restart test", pytrace=False)
    pytest.skip(reason)


class Cluster:
    """A private PostgreSQL cluster owned by the `postgres` user, on 127.0.0.1:`port`."""

    def __init__(self, bindir: Path, folder: Path) -> None:
        self.bindir = bindir
        self.folder = folder
        self.data = folder / "data"
        self.port = free_port()

    def ctl(self, *args: str, timeout: float = 120) -> None:
        options = f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1 -c fsync=off"
        subprocess.run(
            ["runuser", "-u", "postgres", "--", str(self.bindir / "pg_ctl"), "-D", str(self.data),
             "-o", options, "-l", str(self.folder / "server.log"), "-w", "-t", "60", *args],
            check=True, capture_output=True, timeout=timeout,
        )  # fmt: skip

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/pathways"


@pytest.fixture(scope="module")
def cluster() -> Iterator[Cluster]:
    binaries = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"))
    if not binaries:
        _unavailable("no PostgreSQL server binaries (/usr/lib/postgresql/*/bin/initdb)")
    if os.geteuid() != 0 or shutil.which("runuser") is None:
        _unavailable("a private PostgreSQL cluster needs root (to run initdb and pg_ctl as postgres)")
    bindir = binaries[-1].parent
    folder = Path(tempfile.mkdtemp(prefix="pathways-pg-"))
    shutil.chown(folder, "postgres", "postgres")
    server = Cluster(bindir, folder)
    subprocess.run(
        ["runuser", "-u", "postgres", "--", str(bindir / "initdb"), "-D", str(server.data),
         "--auth=trust", "-U", "postgres", "--no-sync"],
        check=True, capture_output=True, timeout=180,
    )  # fmt: skip
    server.ctl("start")
    try:
        engine = create_engine(
            f"postgresql+psycopg://postgres@127.0.0.1:{server.port}/postgres",
            isolation_level="AUTOCOMMIT",
            poolclass=NullPool,
        )
        with engine.connect() as conn:
            conn.execute(text('CREATE DATABASE "pathways"'))
        engine.dispose()
        yield server
    finally:
        subprocess.run(
            ["runuser", "-u", "postgres", "--", str(bindir / "pg_ctl"), "-D", str(server.data),
             "-m", "immediate", "stop"],
            check=False, capture_output=True, timeout=120,
        )  # fmt: skip
        shutil.rmtree(folder, ignore_errors=True)


@dataclass
class Outcome:
    restarts: int
    tally: Tally
    lost: set[tuple[str, str, str]]
    twice: list[tuple[str, int]]
    errors_after_recovery: int
    acked_after_recovery: int
    tracebacks: list[str]
    env: dict[str, str]


@pytest.fixture(scope="module")
def restarted(cluster: Cluster, tmp_path_factory: pytest.TempPathFactory) -> Outcome:
    """Officers decide through `pathways serve` while the cluster restarts (once, or 4 times in full mode)."""
    tmp_path = tmp_path_factory.mktemp("pg-restart")
    restarts = scaled(1, 4)
    store = Store.from_url(cluster.url)
    init_database(store)
    app = make_app(store, tmp_path)
    world = seed(app, officers=10, cases_count=scaled(60, 300))
    env = environment(cluster.url, tmp_path)
    tally = Tally()
    stop = threading.Event()
    errors_after_recovery = 0
    acked_after_recovery = 0
    with serving(env, world.tokens[0], tmp_path / "serve.log") as server:
        threads = run_officers(server.url, world.tokens, world.refs, tally, stop, hot=10)
        try:
            for _ in range(restarts):
                time.sleep(2)
                cluster.ctl("restart", "-m", "fast")  # every connection is cut; the server comes back
                time.sleep(2)  # grace: each pooled connection fails once, then the pool is renewed
                errors, acked = len(tally.server_errors), len(tally.acked)
                time.sleep(3)
                errors_after_recovery += len(tally.server_errors) - errors
                acked_after_recovery += len(tally.acked) - acked
        finally:
            stop.set()
            for thread in threads:
                thread.join(timeout=60)
        tracebacks = server.server_errors()
    store.engine.dispose()  # this process's pooled connections died with the restart
    stored = decisions_in_db(app)
    store.dispose()
    acked_set = {(ref, left, outcome) for ref, left, outcome, _ in tally.acked}
    twice = [key for key, n in Counter((r, v) for r, _, _, v in tally.acked).items() if n > 1]
    return Outcome(
        restarts,
        tally,
        acked_set - stored,
        twice,
        errors_after_recovery,
        acked_after_recovery,
        tracebacks,
        env,
    )


def test_a_postgresql_restart_under_load_loses_no_decision_and_service_resumes_by_itself(
    restarted: Outcome,
) -> None:
    tally = restarted.tally
    statuses = Counter(code for _, code, _ in tally.server_errors)
    record(
        "fault",
        "PostgreSQL restart (private cluster, pg_ctl restart -m fast) under API load",
        tried=restarted.restarts,
        failures=len(restarted.lost) + len(restarted.twice) + restarted.errors_after_recovery,
        detail=(
            f"{len(tally.acked)} decisions acknowledged, {len(restarted.lost)} lost; "
            f"{restarted.acked_after_recovery} decisions once it was back, with no error then; "
            f"while it restarted {sum(statuses.values())} requests were answered {dict(statuses)} "
            "(503 expected); audit verify passed"
        ),
    )
    assert restarted.lost == set(), sorted(restarted.lost)[:10]
    assert restarted.twice == []
    assert restarted.acked_after_recovery > 0, "no decision succeeded once PostgreSQL was back"
    assert restarted.errors_after_recovery == 0, tally.server_errors[-5:]
    audit_verify(restarted.env)


def test_while_postgresql_restarts_the_api_answers_a_clear_503_without_traceback(restarted: Outcome) -> None:
    unclear = [e for e in restarted.tally.server_errors if e[1] != 503 or "database" not in e[2]]
    record(
        "fault",
        "API answers while PostgreSQL restarts: a clear 503, no traceback",
        tried=len(restarted.tally.server_errors),
        failures=len(unclear),
        detail=f"{len(unclear)} unclear answers, {len(restarted.tracebacks)} tracebacks in the server log",
    )
    assert unclear == [], unclear[:5]
    assert restarted.tracebacks == [], restarted.tracebacks[:2]
