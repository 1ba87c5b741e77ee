"""A full disk on the SQLite path, simulated with RLIMIT_FSIZE in the `pathways` process.

The limit lets the database and its write-ahead log grow only a little, so SQLite gets
SQLITE_FULL in the middle of a large import. The command must say so in one clear
message (no traceback), exit non-zero and leave nothing partial; once space returns
(no limit), the same command imports everything.
"""

from __future__ import annotations

import resource
import shutil
import signal
import sqlite3
import subprocess
import sys
from contextlib import closing
from pathlib import Path

import pytest

from import_data import project_rows, write_csv
from pathways.services.people import directory
from pathways.services.tx import write
from pathways.store.db import Store, init_database
from reliability.ledger import record
from reliability.relsupport import ROOT, environment, make_app, scaled

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


def run_limited(env: dict[str, str], limit: int | None, *args: str) -> subprocess.CompletedProcess[str]:
    """`pathways ARGS` with files limited to `limit` bytes (SIGXFSZ ignored: writes fail with EFBIG)."""

    def limit_files() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        if limit is not None:
            resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    return subprocess.run(
        [sys.executable, "-m", "pathways", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        preexec_fn=limit_files,
    )


def projects(db: Path) -> int:
    with closing(sqlite3.connect(f"file:{db}?mode=ro", uri=True)) as conn:
        (count,) = conn.execute("SELECT count(*) FROM project").fetchone()
    return int(count)


def test_a_full_disk_during_an_import_fails_cleanly_and_the_import_succeeds_once_space_returns(
    tmp_path: Path,
) -> None:
    rounds = scaled(1, 4)
    rows_count = 3000  # a write-ahead log well past the limit below, whatever the schema adds to the file
    db = tmp_path / "pathways.db"
    store = Store.from_url(f"sqlite:///{db}")
    init_database(store)
    app = make_app(store, tmp_path)
    with write(app) as tx:
        directory.add_org(tx, name="DLA de Paris", territory="FR-75")
        directory.add_org(tx, name="Hub Brussels", territory="BE-BRU")
    store.dispose()  # the WAL is checkpointed into the file
    template = tmp_path / "template.db"
    shutil.copyfile(db, template)
    env = environment(f"sqlite:///{db}", tmp_path)
    failures = 0
    messages: list[str] = []
    for n in range(rounds):
        csv_file = write_csv(
            tmp_path / f"projects{n}.csv",
            [
                row | {"name": f"{row['name']} lot {n}"}
                for row in project_rows(rows_count, fr_org="DLA de Paris", be_org="Hub Brussels")
            ],
        )
        for leftover in (tmp_path / "pathways.db-wal", tmp_path / "pathways.db-shm"):
            leftover.unlink(missing_ok=True)
        shutil.copyfile(template, db)  # every round starts from the same small database
        before = projects(db)
        limit = db.stat().st_size + 48 * 1024 + 1234  # a few pages of log, not 1,500 projects

        full = run_limited(env, limit, "import", "projects", str(csv_file))
        messages.append(" ".join(full.stderr.split()))
        after_failure = projects(db)
        resumed = run_limited(env, None, "import", "projects", str(csv_file))
        clean = (
            full.returncode != 0
            and "Traceback" not in full.stdout + full.stderr
            and "disk" in full.stderr.lower()
            and after_failure == before
        )
        if not clean or resumed.returncode != 0 or projects(db) != before + rows_count:
            failures += 1
        assert full.returncode != 0, full.stdout
        assert "Traceback" not in full.stdout + full.stderr, full.stderr[-3000:]
        assert "disk" in full.stderr.lower(), full.stderr  # says what happened: the disk is full
        assert "free space" in full.stderr, full.stderr  # and what to do (not `pathways init`)
        assert after_failure == before  # nothing partial
        assert resumed.returncode == 0, resumed.stdout + resumed.stderr
        assert projects(db) == before + rows_count
    record(
        "fault",
        "Full disk on the SQLite path (RLIMIT_FSIZE) during a CSV import",
        tried=rounds,
        failures=failures,
        detail=(
            f"exit non-zero with {messages[0]!r}, nothing imported; "
            f"the rerun imported all {rows_count} rows; integrity_check ok"
        ),
    )
    with closing(sqlite3.connect(db)) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
