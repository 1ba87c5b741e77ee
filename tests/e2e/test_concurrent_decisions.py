"""Two processes record the same decision on the same case at the same moment: exactly one wins.

Each racer is a real OS process running the `pathways` command. It pays its imports
first, says it is ready, then waits for a shared start file; both are released
together, so their transactions overlap. On PostgreSQL the loser either finds the
case already moved or loses the optimistic lock (version check); on SQLite writers
queue behind each other and the loser finds the outcome no longer offered. Either
way it exits 4 and the case holds exactly one new stage entry and one decision.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
from builders import INTAKE_RELEVANT, make_org, make_person, make_project, open_diagnosis
from sqlalchemy import func, select

from pathways.bootstrap import App, Clock
from pathways.settings import load_settings
from pathways.store.db import Store
from pathways.store.tables import AuditEvent, Case, StageEntry

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
ROUNDS = 5
OPENED_AT = datetime(2026, 7, 8, 8, 0, tzinfo=UTC)

# A racer: import everything, announce readiness, wait for the start file, run the command.
RACER = """
import sys, time
from pathlib import Path
start, ready = Path(sys.argv[1]), Path(sys.argv[2])
from pathways.cli import main
ready.touch()
while not start.exists():
    time.sleep(0.0005)
sys.argv = ["pathways", *sys.argv[3:]]
main()
"""


@dataclass(frozen=True)
class Outcome:
    code: int
    out: str
    err: str


def environment(database_url: str, home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PATHWAYS_")}
    return env | {
        "PATHWAYS_DATABASE_URL": database_url,
        "PATHWAYS_HOME": str(home),
        "PATHWAYS_ENVIRONMENT": "test",
        "PATHWAYS_EXECUTOR": "inline",
        "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT / "src"), os.environ.get("PYTHONPATH")])),
        "COLUMNS": "250",
    }


def race(env: dict[str, str], folder: Path, args: list[str], racers: int = 2) -> list[Outcome]:
    """Start `racers` processes running `pathways ARGS` at the same instant; their results."""
    start = folder / "start"
    ready = [folder / f"ready-{i}" for i in range(racers)]
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", RACER, str(start), str(flag), *args],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for flag in ready
    ]
    deadline = time.monotonic() + 60
    while not all(flag.exists() for flag in ready):
        assert time.monotonic() < deadline, "a racer never got ready"
        assert all(p.poll() is None for p in procs), [p.communicate() for p in procs]
        time.sleep(0.005)
    start.touch()
    results = []
    for proc in procs:
        out, err = proc.communicate(timeout=60)
        results.append(Outcome(proc.returncode, out, err))
    return results


def build_app(store: Store, home: Path) -> App:
    url = store.engine.url.render_as_string(hide_password=False)
    settings = load_settings(database_url=url, config_dir=ROOT / "config", environment="test", home=home)
    return App(settings=settings, store=store, clock=Clock(OPENED_AT))


def counts(app: App, case_id: int) -> tuple[int, int, int, str]:
    """(stage entries, decision events, version, stage) of a case."""
    with app.store.read() as conn:
        entries = conn.execute(
            select(func.count()).select_from(StageEntry).where(StageEntry.case_id == case_id)
        ).scalar_one()
        decisions = conn.execute(
            select(func.count())
            .select_from(AuditEvent)
            .where(AuditEvent.case_id == case_id, AuditEvent.kind == "decision")
        ).scalar_one()
        version, stage = conn.execute(select(Case.version, Case.stage).where(Case.id == case_id)).one()
    return entries, decisions, version, stage


def check_rounds(app: App, env: dict[str, str], tmp_path: Path, rounds: int) -> list[str]:
    org = make_org(app)
    officer = make_person(app, org, name="Camille Martin")
    cases = [open_diagnosis(app, make_project(app, org), officer) for _ in range(rounds)]
    decision = ["case", "decide"]
    sets = [arg for name, value in INTAKE_RELEVANT.items() for arg in ("--set", f"{name}={value}")]
    losers = []
    for number, case in enumerate(cases):
        folder = tmp_path / f"round-{number}"
        folder.mkdir()

        results = race(env, folder, [*decision, case["ref"], "relevant", *sets])

        codes = sorted(r.code for r in results)
        assert codes == [0, 4], [(r.code, r.err) for r in results]
        (loser,) = [r for r in results if r.code == 4]
        assert "Traceback" not in "".join(r.out + r.err for r in results)
        assert counts(app, case["id"]) == (2, 1, 2, "shared_diagnosis")
        losers.append(loser.err)
    return losers


@pytest.fixture
def postgres_app(postgres_store: Store, tmp_path: Path) -> Iterator[App]:
    yield build_app(postgres_store, tmp_path)


@pytest.fixture
def sqlite_app(sqlite_store: Store, tmp_path: Path) -> Iterator[App]:
    yield build_app(sqlite_store, tmp_path)


@pytest.mark.postgres
def test_two_processes_deciding_the_same_case_on_postgresql_one_wins_the_other_exits_4(
    postgres_app: App, tmp_path: Path
) -> None:
    env = environment(postgres_app.settings.effective_database_url, tmp_path)

    losers = check_rounds(postgres_app, env, tmp_path, ROUNDS)

    for message in losers:  # lost the race either way: case already moved, or the version changed
        assert "is not an outcome of stage 'shared_diagnosis'" in message or "changed" in message


def test_two_processes_deciding_the_same_case_on_sqlite_one_wins_the_other_exits_4(
    sqlite_app: App, tmp_path: Path
) -> None:
    env = environment(sqlite_app.settings.effective_database_url, tmp_path)

    losers = check_rounds(sqlite_app, env, tmp_path, ROUNDS)

    for message in losers:  # writers queue: the loser reads the case after the winner committed
        assert "'relevant' is not an outcome of stage 'shared_diagnosis'" in message
