"""The `pathways` command, run as real processes on a SQLite file initialised with the demo data.

One database per module (``init --demo`` costs seconds); each test works on its own
project and case, so no test sees another's changes. Setup that is not under test
(a project, a case at intake) goes through the services in this process; everything
asserted goes through the command.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from itertools import count
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from builders import INTAKE_RELEVANT, make_org, make_person, make_project, open_diagnosis
from pathways.bootstrap import App, Clock
from pathways.services.casework.views import OpenedCase
from pathways.settings import load_settings
from pathways.store.core import AUDIT, ENTRY
from pathways.store.db import Store

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
PARIS = ZoneInfo("Europe/Paris")
OPENED_AT = datetime(2026, 7, 8, 10, 0, tzinfo=PARIS)
_names = count(1)


@dataclass(frozen=True)
class Result:
    args: tuple[str, ...]
    code: int
    out: str
    err: str

    def json(self) -> Any:
        return json.loads(self.out)


@dataclass(frozen=True)
class Home:
    """A pathways installation in a temporary folder: its environment and an in-process App for setup."""

    env: dict[str, str]
    app: App
    org: int
    officer: int
    officer_name: str


def environment(home: Path, database_url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PATHWAYS_")}
    env |= {
        "PATHWAYS_DATABASE_URL": database_url,
        "PATHWAYS_HOME": str(home),
        "PATHWAYS_ENVIRONMENT": "test",
        "PATHWAYS_EXECUTOR": "inline",
        "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT / "src"), os.environ.get("PYTHONPATH")])),
        "COLUMNS": "250",  # rich wraps at the terminal width: keep a file:line on one line
        "NO_COLOR": "1",
    }
    return env


def command(*args: str, now: str | None = None) -> list[str]:
    return [sys.executable, "-m", "pathways", *(["--now", now] if now else []), *args]


def finish(args: Sequence[str], proc: subprocess.Popen[str]) -> Result:
    out, err = proc.communicate(timeout=120)
    result = Result(tuple(args), proc.returncode, out, err)
    assert "Traceback" not in out + err, f"{' '.join(args)} printed a traceback:\n{out}\n{err}"
    return result


def run(env: dict[str, str], *args: str, now: str | None = None) -> Result:
    """Run one command to its end."""
    argv = command(*args, now=now)
    proc = subprocess.Popen(
        argv, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    return finish(argv[3:], proc)


def run_all(env: dict[str, str], *commands: Sequence[str]) -> list[Result]:
    """Run independent commands side by side (each process costs about a second)."""
    procs = [
        (
            c,
            subprocess.Popen(
                command(*c), cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
            ),
        )
        for c in commands
    ]
    return [finish(c, p) for c, p in procs]


def ok(result: Result) -> Result:
    assert result.code == 0, f"{' '.join(result.args)} exited {result.code}:\n{result.out}\n{result.err}"
    return result


def sets(values: dict[str, str]) -> list[str]:
    """`--set NAME=VALUE` for each value."""
    return [arg for name, value in values.items() for arg in ("--set", f"{name}={value}")]


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Home]:
    """`pathways init --demo` in a fresh folder, then one organisation and officer of the tests' own."""
    folder = tmp_path_factory.mktemp("pathways-home")
    url = f"sqlite:///{folder / 'p.db'}"
    env = environment(folder, url)
    init = ok(run(env, "init", "--demo", "--json")).json()
    assert init["demo"]["created"] is True
    assert init["demo"]["cases"] > 0
    store = Store.from_url(url)
    settings = load_settings(database_url=url, config_dir=ROOT / "config", environment="test", home=folder)
    app = App(settings=settings, store=store, clock=Clock(OPENED_AT.astimezone(UTC)))
    org = make_org(app, name="Maison de l'ESS e2e")
    officer_name = "Noémie Carpentier"
    officer = make_person(app, org, name=officer_name)
    yield Home(env=env, app=app, org=org, officer=officer, officer_name=officer_name)
    store.dispose()


def fresh_case(home: Home) -> OpenedCase:
    """A new project and its diagnosis case at intake, opened on 8 July 2026."""
    project = make_project(home.app, home.org, name=f"Projet e2e {next(_names)}")
    return open_diagnosis(home.app, project, home.officer)


# The whole journey


def test_a_whole_diagnosis_journey_ends_with_the_hand_off_and_a_history_of_who_did_what_when(
    home: Home,
) -> None:
    env = home.env
    started = datetime.now(UTC)
    org = ok(run(env, "org", "add", "DLA Journey", "--territory", "FR-75", "--json")).json()["handle"]
    people = [
        ("Ysaline Morel", "officer", "--email", "ysaline@example.org"),
        ("Gaspard Roy", "manager", "--lang", "fr"),
        ("Awa Diallo", "owner", "--lang", "fr"),
    ]
    added = run_all(
        env, *(["person", "add", name, "--org", org, "--role", *rest, "--json"] for name, *rest in people)
    )
    officer, manager, owner = (ok(r).json()["handle"] for r in added)
    project_args = ["project", "add", "Ressourcerie du Port", "--org", org, "--owner", owner]
    project_args += ["--siret", "732 829 320 00074", "--phase", "founded", "--legal-form", "association"]
    project = ok(run(env, *project_args, "--jobs", "4", "--json")).json()["id"]

    opened = ok(
        run(env, "case", "open", str(project), "diagnosis", "--officer", officer, now="2026-07-08T10:00")
    )
    ref = re.search(r"opened (DIAG-2026-\d{4}) at stage intake", opened.out)
    assert ref is not None, opened.out
    ref_ = ref.group(1)
    steps = [
        ("2026-07-09T14:30", "relevant", INTAKE_RELEVANT, None),
        (
            "2026-07-20T11:00",
            "accepted",
            {
                "interviews": "2026-07-10;2026-07-17",
                "validated_on": "2026-07-20",
                "priority_issues": "Gouvernance",
            },
            None,
        ),
        (
            "2026-07-22T17:00",
            "validated",
            {"board_approval": "yes", "board_approval_on": "2026-07-22", "committee_date": "2026-09-15"},
            None,
        ),
        ("2026-09-15T18:00", "favourable", {"opinion_on": "2026-09-15"}, manager),
    ]
    outputs = []
    for when, outcome, values, by in steps:
        by_ = ["--by", by] if by else []
        outputs.append(ok(run(env, "case", "decide", ref_, outcome, *sets(values), *by_, now=when)).out)
    child = re.search(r"opened (SUPP-2026-\d{4})", outputs[-1])
    assert child is not None, outputs[-1]
    parent_shown, history, child_shown = (
        ok(r).json()
        for r in run_all(
            env,
            ["case", "show", ref_, "--json"],
            ["case", "history", ref_, "--audit", "--json"],
            ["case", "show", child.group(1), "--json"],
        )
    )

    assert (parent_shown["status"], parent_shown["result"], parent_shown["stage"]) == (
        "closed",
        "completed",
        None,
    )
    assert [
        {k: c[k] for k in ("ref", "pathway", "stage", "status", "result", "subject")}
        for c in parent_shown["children"]
    ] == [
        {
            "ref": child.group(1),
            "pathway": "ongoing_support",
            "stage": "brief",
            "status": "open",
            "result": None,
            "subject": None,
        }
    ]
    assert [(e["stage"], e["outcome"]) for e in parent_shown["entries"]] == [
        ("intake", "relevant"),
        ("shared_diagnosis", "accepted"),
        ("support_plan", "validated"),
        ("committee", "favourable"),
    ]
    assert (child_shown["parent"], child_shown["pathway"], child_shown["stage"]) == (
        ref_,
        "ongoing_support",
        "brief",
    )
    assert child_shown["officer"] == "Ysaline Morel"
    assert child_shown["project"]["name"] == "Ressourcerie du Port"

    (opened_event,) = [e for e in history if e["kind"] == "case_opened"]
    assert (opened_event["actor"], utc(opened_event["at"])) == (
        "Ysaline Morel",
        utc("2026-07-08T08:00:00+00:00"),
    )
    decisions = [e for e in history if e["kind"] == "decision"]
    assert [
        (d["details"]["stage"], d["details"]["outcome"], d["actor"], utc(d["at"])) for d in decisions
    ] == [
        ("intake", "relevant", "Ysaline Morel", datetime(2026, 7, 9, 14, 30, tzinfo=PARIS)),
        ("shared_diagnosis", "accepted", "Ysaline Morel", datetime(2026, 7, 20, 11, tzinfo=PARIS)),
        ("support_plan", "validated", "Ysaline Morel", datetime(2026, 7, 22, 17, tzinfo=PARIS)),
        ("committee", "favourable", "Gaspard Roy", datetime(2026, 9, 15, 18, tzinfo=PARIS)),
    ]
    assert decisions[0]["details"]["values"]["salaried_jobs"] == 4
    assert decisions[-1]["details"]["result"] == "completed"
    for event in history:  # recorded now, whatever the effective time
        assert started - timedelta(seconds=5) <= utc(event["recorded_at"]) <= datetime.now(UTC)
    assert [e["seq"] for e in history] == sorted(e["seq"] for e in history)


# Refusals


def test_a_decision_with_a_missing_or_invalid_field_exits_2_naming_it_and_leaves_the_case_unchanged(
    home: Home,
) -> None:
    case = fresh_case(home)
    before = ok(run(home.env, "case", "show", case.ref, "--json")).json()
    missing = sets({k: v for k, v in INTAKE_RELEVANT.items() if k != "salaried_jobs"})

    missing_run, invalid_run = run_all(
        home.env,
        ["case", "decide", case.ref, "relevant", *missing],
        ["case", "decide", case.ref, "relevant", *sets(INTAKE_RELEVANT | {"met_on": "le 8 juillet"})],
    )
    after = ok(run(home.env, "case", "show", case.ref, "--json")).json()

    assert missing_run.code == 2
    assert "field 'salaried_jobs': is required" in missing_run.err
    assert "--set salaried_jobs=" in missing_run.err  # the hint says what to add
    assert invalid_run.code == 2
    assert "field 'met_on': expected a date as YYYY-MM-DD" in invalid_run.err
    assert after == before
    assert (after["stage"], after["version"], len(after["entries"])) == ("intake", 1, 1)


def test_an_unknown_case_exits_3(home: Home) -> None:
    shown, decided, history = run_all(
        home.env,
        ["case", "show", "DIAG-2026-9999"],
        ["case", "decide", "DIAG-2026-9999", "relevant", "--set", "met_on=2026-07-08"],
        ["case", "history", "999999", "--json"],
    )

    assert (shown.code, decided.code, history.code) == (3, 3, 3)
    assert "no case 'DIAG-2026-9999'" in shown.err
    assert "no case 'DIAG-2026-9999'" in decided.err
    assert history.out == ""


def test_an_outcome_not_offered_at_the_stage_exits_4_and_records_nothing(home: Home) -> None:
    case = fresh_case(home)
    result = run(home.env, "case", "decide", case.ref, "favourable", "--set", "opinion_on=2026-07-09")

    assert result.code == 4
    assert "'favourable' is not an outcome of stage 'intake'" in result.err
    assert "relevant, not_relevant" in result.err
    with home.app.store.read() as conn:
        entries = conn.execute(
            select(func.count()).select_from(ENTRY).where(ENTRY.c.case_id == case.id)
        ).scalar_one()
        decisions = conn.execute(
            select(func.count())
            .select_from(AUDIT)
            .where(AUDIT.c.case_id == case.id, AUDIT.c.kind == "decision")
        ).scalar_one()
    assert (entries, decisions) == (1, 0)


def test_case_open_and_decide_print_json_with_the_reference_and_the_transition(home: Home) -> None:
    case = fresh_case(home)
    project = make_project(home.app, home.org, name=f"Projet e2e {next(_names)}")
    opened, decided = run_all(
        home.env,
        ["case", "open", str(project), "diagnosis", "--officer", str(home.officer), "--json"],
        ["case", "decide", case.ref, "relevant", *sets(INTAKE_RELEVANT), "--json"],
    )

    assert ok(opened).json()["ref"].startswith("DIAG-2026-")
    assert ok(opened).json()["stage"] == "intake"
    body = ok(decided).json()
    assert (body["ref"], body["left"], body["entered"], body["version"]) == (
        case.ref,
        "intake",
        "shared_diagnosis",
        2,
    )


# Pathway files


BROKEN = """\
id: broken
version: 1
reference: BRK
title: {fr: Cassé, nl: Kapot, en: Broken}
ends:
  done: {fr: Fait, nl: Klaar, en: Done}
stages:
  - id: start
    title: {fr: Début, nl: Begin, en: Start}
    outcomes:
      go:
        label: {fr: Aller, nl: Gaan, en: Go}
        next: nowhere
"""


def test_pathway_validate_names_the_file_and_line_of_a_broken_file_and_exits_2(
    home: Home, tmp_path: Path
) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text(BROKEN, encoding="utf-8")
    good = sorted(str(p) for p in (ROOT / "config" / "pathways").glob("*.yaml"))

    refused, accepted = run_all(
        home.env, ["pathway", "validate", str(broken)], ["pathway", "validate", *good]
    )

    assert refused.code == 2
    assert f"{broken}:13" in refused.err
    assert "nowhere" in refused.err
    assert accepted.code == 0, accepted.err
    assert accepted.out.count("✓") == len(good)
