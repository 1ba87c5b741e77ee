"""A pathways installation in a folder, driven through real `pathways` processes, and forked by copying.

A journey forks where its branches part (copying the SQLite file is much cheaper than
replaying the common prefix through the command, about a second a process), and the
branches run side by side, each on its own file.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import closing, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class Result:
    """What one `pathways` process did."""

    args: tuple[str, ...]
    code: int
    out: str
    err: str

    def json(self) -> Any:
        return json.loads(self.out)


def sets(values: dict[str, str]) -> list[str]:
    """`--set NAME=VALUE` for each value."""
    return [arg for name, value in values.items() for arg in ("--set", f"{name}={value}")]


@dataclass(frozen=True)
class Home:
    """A folder holding a pathways database (`p.db`), and the environment that points at it."""

    folder: Path

    @property
    def db(self) -> Path:
        return self.folder / "p.db"

    @property
    def url(self) -> str:
        return f"sqlite:///{self.db}"

    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("PATHWAYS_")}
        env |= {
            "PATHWAYS_DATABASE_URL": self.url,
            "PATHWAYS_HOME": str(self.folder),
            "PATHWAYS_ENVIRONMENT": "test",
            "PATHWAYS_EXECUTOR": "inline",
            "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT / "src"), os.environ.get("PYTHONPATH")])),
            "COLUMNS": "250",
            "NO_COLOR": "1",
        }
        return env

    def run(self, *args: str, now: str | None = None) -> Result:
        """Run `pathways [--now NOW] ARGS...` to its end."""
        argv = [sys.executable, "-m", "pathways", *(["--now", now] if now else []), *args]
        proc = subprocess.run(
            argv, cwd=ROOT, env=self.env(), capture_output=True, text=True, timeout=180, check=False
        )
        result = Result(tuple(args), proc.returncode, proc.stdout, proc.stderr)
        assert "Traceback" not in result.out + result.err, f"{' '.join(args)} crashed:\n{result.err}"
        return result

    def ok(self, *args: str, now: str | None = None) -> Result:
        """Run a command that must succeed."""
        result = self.run(*args, now=now)
        assert result.code == 0, f"{' '.join(args)} exited {result.code}:\n{result.out}\n{result.err}"
        return result

    def decide(
        self, ref: str, outcome: str, values: dict[str, str] | None = None, *, now: str
    ) -> dict[str, Any]:
        """Record a decision (must succeed); what `case decide --json` says (entered, result, work...)."""
        args = ("case", "decide", ref, outcome, *sets(values or {}), "--json")
        decided: dict[str, Any] = self.ok(*args, now=now).json()
        return decided

    def open(self, project: str | int, pathway: str, officer: str, *, now: str) -> str:
        """Open a case; its reference."""
        opened = self.ok("case", "open", str(project), pathway, "--officer", officer, "--json", now=now)
        ref: str = opened.json()["ref"]
        return ref

    def history(self, ref: str) -> list[dict[str, Any]]:
        events: list[dict[str, Any]] = self.ok("case", "history", ref, "--audit", "--json").json()
        return events

    def show(self, ref: str) -> dict[str, Any]:
        shown: dict[str, Any] = self.ok("case", "show", ref, "--json").json()
        return shown

    def fork(self, folder: Path) -> Home:
        """A copy of this installation in `folder` (no process may be writing meanwhile)."""
        folder.mkdir(parents=True, exist_ok=True)
        for suffix in ("", "-wal"):  # the -shm index is rebuilt from the WAL by whoever opens the copy
            source = Path(f"{self.db}{suffix}")
            if source.exists():
                shutil.copyfile(source, f"{folder / 'p.db'}{suffix}")
        return Home(folder)

    def project(self, key: str) -> str:
        """The id of one of the seeded projects (names with accents are not found by name on SQLite)."""
        ((project_id,),) = self.query("SELECT id FROM project WHERE name = ?", PROJECTS[key])
        return str(project_id)

    def query(self, sql: str, *params: Any) -> list[tuple[Any, ...]]:
        """Read the database directly (to check what the commands stored)."""
        with closing(sqlite3.connect(f"file:{self.db}?mode=ro", uri=True)) as conn:
            return conn.execute(sql, params).fetchall()


class Branches:
    """Branches of a journey that run side by side; `wait` re-raises the first failure."""

    def __init__(self, pool: ThreadPoolExecutor) -> None:
        self.pool = pool
        self.futures: list[Future[None]] = []

    def start(self, branch: Callable[..., None], *args: Any) -> None:
        """Run `branch(*args)` in the background; fork its home in the call, so on the main line, now."""
        self.futures.append(self.pool.submit(branch, *args))

    def wait(self) -> None:
        for future in self.futures:
            future.result()


@contextmanager
def branches() -> Iterator[Branches]:
    """Run forked branches in the background while the main line goes on; wait for all at the end."""
    with ThreadPoolExecutor(max_workers=3) as pool:
        running = Branches(pool)
        yield running
        running.wait()


def decisions(history: list[dict[str, Any]]) -> list[tuple[str, str, str | None]]:
    """(stage, outcome, stage entered or end reached) of each decision, in order."""
    return [
        (e["details"]["stage"], e["details"]["outcome"], e["details"]["entered"] or e["details"]["result"])
        for e in history
        if e["kind"] == "decision"
    ]


def phases(history: list[dict[str, Any]]) -> list[tuple[str, str]]:
    """(from, to) of each lifecycle phase change in a history."""
    return [(e["details"]["from"], e["details"]["to"]) for e in history if e["kind"] == "phase_changed"]


# The installation every journey starts from: `pathways init`, then people and projects.

OFFICER = "noemie-carpentier"
MANAGER = "gaspard-roy"
CONSULTANT = "julie-marchand"
RESOURCE = "claire-fontaine"  # topics: governance, hr
OTHER_RESOURCE = "mathieu-roux"  # topics: governance, finance
SIRET = "73282932000074"
PROJECTS = {
    "diagnosis": "Ressourcerie du Port",
    "ongoing_support": "Épicerie coopérative du Marais",
    "peer_transfer": "Régie de territoire Lyon 8e",
    "swarming": "Régie de quartier Belleville",
    "not_eligible": "Librairie du Centre",
    "no_job": "Association Les Amis du Canal",
    "unproven": "Conciergerie solidaire Nord",
}


def seed(home: Home) -> None:
    """`pathways init` through the command, then people and projects through the services (not under test)."""
    from datetime import UTC, date, datetime

    from import_data import siret as numbered_siret
    from pathways.bootstrap import App, Clock
    from pathways.services.people import directory
    from pathways.services.reporting import impact
    from pathways.services.tx import write
    from pathways.settings import load_settings
    from pathways.store.db import Store

    home.ok("init")
    store = Store.from_url(home.url)
    settings = load_settings(
        database_url=home.url, config_dir=ROOT / "config", environment="test", home=home.folder
    )
    app = App(settings=settings, store=store, clock=Clock(datetime(2026, 6, 1, 8, tzinfo=UTC)))
    with write(app) as tx:
        org = directory.add_org(tx, name="DLA de Paris e2e", territory="FR-75").id
        people = [
            ("Noémie Carpentier", "officer", ()),
            ("Gaspard Roy", "manager", ()),
            ("Julie Marchand", "resource", ()),
            ("Claire Fontaine", "resource", ("governance", "hr")),
            ("Mathieu Roux", "resource", ("governance", "finance")),
        ]
        for name, role, topics in people:
            directory.add_person(
                tx, name=name, org=org, role=role, email=None, language="fr", channels=[], topics=topics
            )
        owner = directory.add_person(
            tx, name="Awa Diallo", org=org, role="owner", email=None, language="fr", channels=[]
        )
        for n, (key, phase, form, jobs) in enumerate(
            (
                ("diagnosis", "founded", "association", 4),
                ("ongoing_support", "idea", None, 0),
                ("peer_transfer", "founded", "association", 12),
                ("swarming", "consolidation", "association", 28),
                ("not_eligible", "founded", "sas", 3),
                ("no_job", "founded", "association", 0),
                ("unproven", "consolidation", "association", 6),
            )
        ):
            project = directory.add_project(
                tx,
                name=PROJECTS[key],
                org=org,
                owner=owner.id if key == "diagnosis" else None,
                # One SIRET per project: an organisation refuses a second project with the same one.
                siret=(SIRET if key == "diagnosis" else numbered_siret(n)) if phase != "idea" else None,
                bce=None,
                territory=None,
                phase=phase,
                legal_form=form,
                permanent_jobs=jobs,
            )
            if key == "swarming":
                evaluation = impact.add_evaluation(
                    tx,
                    target=project.id,
                    question="La régie crée-t-elle des emplois durables ?",
                    tool="ValorESS",
                )
                indicator = impact.add_indicator(
                    tx,
                    evaluation=evaluation,
                    name="Salarié·es en insertion",
                    unit="ETP",
                    baseline="12",
                    target="25",
                )
                impact.add_value(tx, indicator=indicator, value="21", on=date(2026, 5, 31))
    store.dispose()  # the last connection checkpoints the WAL: the file is whole for copying


def fresh_copy(template: Home, tmp_path: Path) -> Home:
    """A home whose database is a copy of `template`'s: each test starts from the same seeded state."""
    folder = tmp_path / "main"
    folder.mkdir()
    shutil.copyfile(template.db, folder / "p.db")
    return Home(folder)
