"""Two processes record the same decision on the same case at the same moment: exactly one wins.

Each racer is its own OS process running the `pathways` command's entry point with
its own database connection. A parent process pays the imports once, then for each
round forks two racers that block on one pipe; a single write releases both, so
their transactions overlap. On PostgreSQL the loser either finds the case already
moved or loses the optimistic lock (version check); on SQLite writers queue behind
each other and the loser finds the outcome no longer offered. Either way it exits 4
and the case holds exactly one new stage entry and one decision.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select

from builders import INTAKE_RELEVANT, make_org, make_person, make_project, open_diagnosis
from pathways.bootstrap import App, Clock
from pathways.settings import load_settings
from pathways.store.core import AUDIT, CASE, ENTRY
from pathways.store.db import Store

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
ROUNDS = 5
RACERS = 2
OPENED_AT = datetime(2026, 7, 8, 8, 0, tzinfo=UTC)

# argv: JSON list of rounds (each the arguments of one `pathways` command), racers, output folder.
# Prints the racers' exit codes, one list per round; each racer's stdout and stderr go to
# <folder>/<round>-<racer>.out and .err.
STARTER = """
import json, os, sys
rounds, racers, folder = json.loads(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
from pathways.cli import main

def racer(release, number, index, args):
    for fd, suffix in ((1, "out"), (2, "err")):
        target = os.open(f"{folder}/{number}-{index}.{suffix}", os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
        os.dup2(target, fd)
    os.read(release, 1)  # every racer of the round wakes on the same write
    sys.argv = ["pathways", *args]
    code = 0
    try:
        main()
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    except BaseException:
        import traceback
        traceback.print_exc()
        code = 70
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)

codes = []
for number, args in enumerate(rounds):
    release, go = os.pipe()
    pids = []
    for index in range(racers):
        pid = os.fork()
        if pid == 0:
            os.close(go)
            racer(release, number, index, args)
        pids.append(pid)
    os.close(release)
    os.write(go, b"x" * racers)
    os.close(go)
    codes.append([os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]) for pid in pids])
print(json.dumps(codes))
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


def race(env: dict[str, str], folder: Path, rounds: list[list[str]]) -> list[list[Outcome]]:
    """For each round, RACERS processes run `pathways ARGS` released at the same instant."""
    done = subprocess.run(
        [sys.executable, "-c", STARTER, json.dumps(rounds), str(RACERS), str(folder)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    codes = json.loads(done.stdout)
    return [
        [
            Outcome(
                code,
                (folder / f"{number}-{index}.out").read_text(encoding="utf-8"),
                (folder / f"{number}-{index}.err").read_text(encoding="utf-8"),
            )
            for index, code in enumerate(round_codes)
        ]
        for number, round_codes in enumerate(codes)
    ]


def build_app(store: Store, home: Path) -> App:
    url = store.engine.url.render_as_string(hide_password=False)
    settings = load_settings(database_url=url, config_dir=ROOT / "config", environment="test", home=home)
    return App(settings=settings, store=store, clock=Clock(OPENED_AT))


def counts(app: App, case_id: int) -> tuple[int, int, int, str]:
    """(stage entries, decision events, version, stage) of a case."""
    with app.store.read() as conn:
        entries = conn.execute(
            select(func.count()).select_from(ENTRY).where(ENTRY.c.case_id == case_id)
        ).scalar_one()
        decisions = conn.execute(
            select(func.count())
            .select_from(AUDIT)
            .where(AUDIT.c.case_id == case_id, AUDIT.c.kind == "decision")
        ).scalar_one()
        version, stage = conn.execute(select(CASE.c.version, CASE.c.stage).where(CASE.c.id == case_id)).one()
    return int(entries), int(decisions), int(version), str(stage)


def check_rounds(app: App, env: dict[str, str], tmp_path: Path) -> list[str]:
    """ROUNDS races, each on a case of its own at intake; returns the losers' error messages."""
    org = make_org(app)
    officer = make_person(app, org, name="Camille Martin")
    cases = [open_diagnosis(app, make_project(app, org), officer) for _ in range(ROUNDS)]
    sets = [arg for name, value in INTAKE_RELEVANT.items() for arg in ("--set", f"{name}={value}")]

    rounds = race(env, tmp_path, [["case", "decide", case.ref, "relevant", *sets] for case in cases])

    losers: list[str] = []
    for case, results in zip(cases, rounds, strict=True):
        assert sorted(r.code for r in results) == [0, 4], [(r.code, r.err) for r in results]
        assert "Traceback" not in "".join(r.out + r.err for r in results)
        (winner,) = [r for r in results if r.code == 0]
        assert f"{case.ref}: intake → relevant; now at shared_diagnosis" in winner.out
        # Exactly one move: two entries (intake left, shared_diagnosis entered), one decision, version 2.
        assert counts(app, case.id) == (2, 1, 2, "shared_diagnosis")
        losers.extend(r.err for r in results if r.code == 4)
    return losers


@pytest.fixture
def postgres_app(postgres_store: Store, tmp_path: Path) -> App:
    return build_app(postgres_store, tmp_path)


@pytest.fixture
def sqlite_app(sqlite_store: Store, tmp_path: Path) -> App:
    return build_app(sqlite_store, tmp_path)


@pytest.mark.postgres
def test_two_processes_deciding_the_same_case_on_postgresql_one_wins_the_other_exits_4(
    postgres_app: App, tmp_path: Path
) -> None:
    env = environment(postgres_app.settings.effective_database_url, tmp_path)

    losers = check_rounds(postgres_app, env, tmp_path)

    for message in losers:  # lost the race either way: case already moved, or the version changed
        assert "is not an outcome of stage 'shared_diagnosis'" in message or "changed" in message


def test_two_processes_deciding_the_same_case_on_sqlite_one_wins_the_other_exits_4(
    sqlite_app: App, tmp_path: Path
) -> None:
    env = environment(sqlite_app.settings.effective_database_url, tmp_path)

    losers = check_rounds(sqlite_app, env, tmp_path)

    for message in losers:  # writers queue: the loser reads the case after the winner committed
        assert "'relevant' is not an outcome of stage 'shared_diagnosis'" in message
