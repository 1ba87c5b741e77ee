"""The deadline sweep on SQLite and PostgreSQL: each reminder and escalation queued exactly once."""

from __future__ import annotations

import json
import shutil
import threading
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import typer
from sqlalchemy import event, select, update
from typer.testing import CliRunner

from pathways.bootstrap import App, Clock
from pathways.domain.loader import PathwayCatalog, load_pathway_dir
from pathways.services.casework import cases, opening, recording
from pathways.services.casework.sweep import SweepResult, sweep
from pathways.services.casework.views import OpenedCase
from pathways.services.people import directory
from pathways.services.tx import write
from pathways.settings import load_settings
from pathways.store.core import CASE, JOB, NOTICE, PERSON
from pathways.store.db import Store
from threads import on_threads

CONFIG = Path(__file__).resolve().parents[2] / "config"
PARIS = ZoneInfo("Europe/Paris")

# A two-stage pathway with a loop (review -> draft), small enough to follow by hand.
DRILL = """
id: drill
version: 1
reference: DRILL
title: {fr: Exercice, nl: Oefening, en: Drill}
calendar: business_days
ends: {done: {fr: Terminé, nl: Klaar, en: Done}}
stages:
  - id: draft
    title: {fr: Brouillon, nl: Ontwerp, en: Draft}
    deadline: {business_days: 10}
    remind:
      - {before: {business_days: 5}, to: owner}
      - {before: {business_days: 2}, to: officer}
    escalate:
      - {after: {business_days: 1}, to: officer}
      - {after: {business_days: 3}, to: manager}
    outcomes:
      ready: {label: {fr: Prêt, nl: Klaar, en: Ready}, next: review}
  - id: review
    title: {fr: Relecture, nl: Nalezing, en: Review}
    deadline: {business_days: 5}
    remind: [{before: {business_days: 2}, to: resource}]
    escalate: [{after: {business_days: 1}, to: manager}]
    outcomes:
      revise: {label: {fr: À revoir, nl: Herwerken, en: Revise}, next: draft}
      accept: {label: {fr: Accepté, nl: Aanvaard, en: Accepted}, end: done}
"""


def paris(day: date, hour: int = 9, minute: int = 30) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=PARIS).astimezone(UTC)


T0 = paris(date(2026, 7, 8), 10, 0)  # a Wednesday; 14 July (Tuesday) is a public holiday


@pytest.fixture(scope="module")
def config_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The shipped pathways and templates, plus the drill pathway."""
    root = tmp_path_factory.mktemp("sweep") / "config"
    shutil.copytree(CONFIG / "pathways", root / "pathways")
    (root / "templates").symlink_to(CONFIG / "templates")
    (root / "pathways" / "drill.yaml").write_text(DRILL, encoding="utf-8")
    return root


@pytest.fixture(scope="module")
def catalog(config_dir: Path) -> PathwayCatalog:
    """Loaded once for the module: every app of these tests shares it."""
    return load_pathway_dir(config_dir / "pathways", templates=config_dir / "templates")


def make_app(store: Store, config_dir: Path, catalog: PathwayCatalog) -> App:
    app = App(settings=load_settings(config_dir=config_dir, environment="test"), store=store, clock=Clock(T0))
    app.__dict__["catalog"] = catalog  # App.catalog is a cached_property: this is its cache
    return app


@pytest.fixture
def app(store: Store, config_dir: Path, catalog: PathwayCatalog) -> App:
    return make_app(store, config_dir, catalog)


def people(app: App, *, territory: str = "FR-75", managers: int = 1, digest: bool = False) -> dict[str, Any]:
    """An organisation with an officer, managers, a project owner (Dutch) and a resource person."""
    with write(app, at=T0) as tx:
        org = directory.add_org(tx, name="DLA de Paris", territory=territory, language="fr")

        def person(name: str, role: str, lang: str | None) -> int:
            handle = directory.slugify(name)
            return directory.add_person(
                tx, name=name, org=org.id, role=role, email=f"{handle}@example.org", language=lang,
                channels=[f"mailto://{handle}@example.org"],
            ).id  # fmt: skip

        world = {
            "org": org.id,
            "officer": person("Camille Martin", "officer", "fr"),
            "managers": [person(f"Manager {i}", "manager", None) for i in range(managers)],
            "owner": person("Fien Peeters", "owner", "nl"),
            "resource": person("Hugo Dubois", "resource", "en"),
        }
        tx.conn.execute(update(PERSON).values(digest=digest))
    return world


def open_case(app: App, world: dict[str, Any], *, pathway: str = "drill", at: datetime = T0) -> OpenedCase:
    with write(app, at=at) as tx:
        project = directory.add_project(
            tx, name=f"Projet {at.isoformat()}", org=world["org"], owner=world["owner"], siret=None,
            bce=None, territory=None, phase="founded", legal_form="association", permanent_jobs=3,
        )  # fmt: skip
        opened = opening.open_case(
            tx, app.catalog, project=project.id, pathway=pathway, officer=world["officer"]
        )
        tx.conn.execute(update(CASE).where(CASE.c.id == opened.id).values(resource_id=world["resource"]))
    return opened


def decide(app: App, ref: str, outcome: str, at: datetime, **values: Any) -> recording.Decided:
    with write(app, at=at) as tx:
        return cases.decide(tx, app.catalog, case=ref, outcome=outcome, values=values)


def jobs(app: App, kind: str | None = None) -> list[dict[str, Any]]:
    query = select(JOB).order_by(JOB.c.id)
    if kind is not None:
        query = query.where(JOB.c.kind == kind)
    with app.store.read() as conn:
        return [dict(r) for r in conn.execute(query).mappings()]


def notices(app: App) -> list[dict[str, Any]]:
    with app.store.read() as conn:
        return [dict(r) for r in conn.execute(select(NOTICE).order_by(NOTICE.c.id)).mappings()]


def messages(app: App) -> set[tuple[str, int]]:
    """(rule, person) of every queued message."""
    return {(j["payload"]["rule"], j["payload"]["person"]) for j in jobs(app, "message")}


# --- exactly once ---------------------------------------------------------------------------------


def test_sweep_twice_queues_each_reminder_once(app: App) -> None:
    world = people(app)
    opened = open_case(app, world)
    # Draft due 10 business days after 8 July, 14 July skipped: Thursday 23 July.
    # Owner reminder 5 business days before: Thursday 16 July, 09:00 Paris.
    assert opened.due_at == datetime(2026, 7, 23, 23, 59, 59, tzinfo=PARIS)
    at = paris(date(2026, 7, 16))

    first = sweep(app, now=at)
    second = sweep(app, now=at)

    assert first == SweepResult(notices=1, messages=1, batches=1)
    assert second == SweepResult()
    assert messages(app) == {("remind:0", world["owner"])}
    [job] = jobs(app, "message")
    assert job["key"] == f"msg:{opened.id}:{job['payload']['entry']}:remind:0:{world['owner']}"
    assert job["status"] == "pending"
    assert [n["status"] for n in notices(app)] == ["done", "pending", "pending", "pending"]


def test_sweep_before_the_notice_is_due_queues_nothing(app: App) -> None:
    world = people(app)
    open_case(app, world)
    assert sweep(app, now=paris(date(2026, 7, 16), 8, 59)) == SweepResult()
    assert jobs(app) == []


def test_late_sweep_catches_up_on_everything_still_due(app: App) -> None:
    world = people(app, managers=2)
    open_case(app, world)

    result = sweep(app, now=paris(date(2026, 8, 31)))

    assert result.notices == 4
    assert messages(app) == {
        ("remind:0", world["owner"]),
        ("remind:1", world["officer"]),
        ("escalate:0", world["officer"]),
        ("escalate:1", world["managers"][0]),
        ("escalate:1", world["managers"][1]),
    }
    assert {n["status"] for n in notices(app)} == {"done"}
    assert sweep(app, now=paris(date(2026, 9, 1))) == SweepResult()


def test_limit_and_small_batches_take_everything_in_turn(app: App) -> None:
    world = people(app)
    for _ in range(3):
        open_case(app, world)
    at = paris(date(2026, 8, 31))
    assert sweep(app, now=at, limit=5, batch=2) == SweepResult(notices=5, messages=5, batches=3)
    assert sweep(app, now=at, batch=2) == SweepResult(notices=7, messages=7, batches=4)
    assert len(jobs(app, "message")) == 12


# --- stages left, stages entered again --------------------------------------------------------------


def test_the_notices_of_a_stage_left_are_cancelled_when_they_fall_due_and_never_sent(app: App) -> None:
    """The decision leaves them as they were (fewer index pages per decision); the sweep decides."""
    world = people(app)
    opened = open_case(app, world)
    decide(app, opened.ref, "ready", paris(date(2026, 7, 9)))
    assert [n["status"] for n in notices(app)] == ["pending"] * 6  # draft's 4, then review's 2

    early = sweep(app, now=paris(date(2026, 7, 13)))  # none of them due yet (review reminds on 15 July)
    late = sweep(app, now=paris(date(2026, 8, 31)))

    assert early == SweepResult()
    assert late.cancelled == 4
    assert [n["status"] for n in notices(app)] == ["cancelled"] * 4 + ["done"] * 2
    assert messages(app) == {("remind:0", world["resource"]), ("escalate:0", world["managers"][0])}


def test_the_notices_of_a_closed_case_are_never_sent(app: App) -> None:
    world = people(app)
    opened = open_case(app, world)
    with write(app, at=paris(date(2026, 7, 9))) as tx:
        tx.conn.execute(update(CASE).where(CASE.c.id == opened.id).values(status="closed"))

    result = sweep(app, now=paris(date(2026, 8, 31)))

    assert (result.notices, result.cancelled, result.messages) == (4, 4, 0)
    assert jobs(app) == []


def test_re_entering_a_stage_schedules_fresh_reminders(app: App) -> None:
    world = people(app)
    opened = open_case(app, world)
    sweep(app, now=paris(date(2026, 7, 16)))  # the owner's reminder of the first draft
    decide(app, opened.ref, "ready", paris(date(2026, 7, 16)))
    decide(app, opened.ref, "revise", paris(date(2026, 7, 17)))  # back to draft: a new stage entry

    sweep(app, now=paris(date(2026, 8, 31)))

    owner_reminders = [j for j in jobs(app, "message") if j["payload"]["rule"] == "remind:0"]
    assert len(owner_reminders) == 2
    assert len({j["payload"]["entry"] for j in owner_reminders}) == 2
    assert len({j["key"] for j in owner_reminders}) == 2
    # The second draft (entered 17 July, due 31 July) got its whole ladder.
    second = owner_reminders[1]["payload"]["entry"]
    assert {j["payload"]["rule"] for j in jobs(app, "message") if j["payload"]["entry"] == second} == {
        "remind:0", "remind:1", "escalate:0", "escalate:1",
    }  # fmt: skip


# --- recipients ---------------------------------------------------------------------------------------


def test_review_reminds_the_resource_person_and_escalates_to_every_manager(app: App) -> None:
    world = people(app, managers=2)
    opened = open_case(app, world)
    decide(app, opened.ref, "ready", paris(date(2026, 7, 9)))
    sweep(app, now=paris(date(2026, 8, 31)))
    assert messages(app) == {
        ("remind:0", world["resource"]),
        ("escalate:0", world["managers"][0]),
        ("escalate:0", world["managers"][1]),
    }


def test_nobody_to_tell_is_counted_and_logged(app: App, caplog: pytest.LogCaptureFixture) -> None:
    world = people(app, managers=0)
    open_case(app, world)
    result = sweep(app, now=paris(date(2026, 8, 31)))
    assert result.unaddressed == 1
    assert "nobody is manager" in caplog.text
    assert {n["status"] for n in notices(app)} == {"done"}


def test_erased_people_are_not_written_to(app: App) -> None:
    world = people(app)
    open_case(app, world)
    with app.store.write() as conn:
        conn.execute(update(PERSON).where(PERSON.c.id == world["owner"]).values(erased_at=T0))
    result = sweep(app, now=paris(date(2026, 7, 16)))
    assert result == SweepResult(notices=1, unaddressed=1, batches=1)


# --- the officer's digest ----------------------------------------------------------------------------


def test_officer_items_roll_into_one_daily_digest(app: App) -> None:
    world = people(app, digest=True)
    first, second = open_case(app, world), open_case(app, world)
    at = paris(date(2026, 7, 24))  # both: officer reminder (21 July) and escalation (24 July) due

    result = sweep(app, now=at)

    assert result.digest_items == 4
    [digest] = jobs(app, "digest")
    assert digest["key"] == f"digest:{world['officer']}:2026-07-24"
    assert digest["payload"]["person"] == world["officer"]
    items = {(i["case"], i["rule"]) for i in digest["payload"]["items"]}
    assert items == {(c.id, r) for c in (first, second) for r in ("remind:1", "escalate:0")}
    # The owner is not an officer: still one message per item.
    assert messages(app) == {("remind:0", world["owner"])}


def test_items_found_after_the_digest_went_out_wait_for_the_next_day(app: App) -> None:
    world = people(app, digest=True)
    open_case(app, world)
    sweep(app, now=paris(date(2026, 7, 21)))  # the officer's reminder, due 21 July
    with app.store.write() as conn:
        conn.execute(update(JOB).where(JOB.c.kind == "digest").values(status="done"))  # it went out
    open_case(app, world)  # recorded late: its officer reminder is due 21 July too

    sweep(app, now=paris(date(2026, 7, 21), 10, 0))

    digests = jobs(app, "digest")
    keys = [(j["key"], j["status"], len(j["payload"]["items"])) for j in digests]
    assert keys == [
        (f"digest:{world['officer']}:2026-07-21", "done", 1),
        (f"digest:{world['officer']}:2026-07-22", "pending", 1),
    ]
    # Ready the next morning at 09:00, by the sweep's clock: 23 hours after this sweep.
    assert digests[1]["next_attempt_at"] - digests[1]["created_at"] == timedelta(hours=23)
    assert sweep(app, now=paris(date(2026, 7, 21), 11, 0)) == SweepResult()


# --- simulated time -------------------------------------------------------------------------------------


def test_simulated_time_diagnosis_opened_8_july_in_paris(app: App) -> None:
    """Intake: 15 business days; reminders 10 and 3 before, escalations 1 and 5 after (diagnosis.yaml).

    From Wednesday 8 July 2026, skipping weekends and Tuesday 14 July, the intake is due
    Thursday 30 July. Reminders: Thursday 16 July (owner), Monday 27 July (officer);
    escalations: Friday 31 July (officer), Thursday 6 August (manager) — all at 09:00 Paris.
    """
    world = people(app)
    opened = open_case(app, world, pathway="diagnosis")
    assert opened.due_at == datetime(2026, 7, 30, 23, 59, 59, tzinfo=PARIS)

    queued_on: dict[str, date] = {}
    day = date(2026, 7, 8)
    while day <= date(2026, 8, 14):
        assert sweep(app, now=paris(day, 8, 59)).messages == 0  # nothing before 09:00
        sweep(app, now=paris(day, 9, 0))
        for job in jobs(app, "message"):
            queued_on.setdefault(job["payload"]["rule"], day)
        day += timedelta(days=1)

    assert queued_on == {
        "remind:0": date(2026, 7, 16),
        "remind:1": date(2026, 7, 27),
        "escalate:0": date(2026, 7, 31),
        "escalate:1": date(2026, 8, 6),
    }
    assert messages(app) == {
        ("remind:0", world["owner"]),
        ("remind:1", world["officer"]),
        ("escalate:0", world["officer"]),
        ("escalate:1", world["managers"][0]),
    }
    templates = {j["payload"]["rule"]: j["payload"]["template"] for j in jobs(app, "message")}
    assert templates["remind:0"] == "intake_documents"


def test_sweep_command_with_now(app: App, monkeypatch: pytest.MonkeyPatch) -> None:
    """`pathways --now 2026-07-16T09:30 sweep --json` queues the owner's reminder due that morning."""
    from pathways import cli
    from pathways.cli import messages as messages_cli

    world = people(app)
    open_case(app, world, pathway="diagnosis")
    monkeypatch.setenv("PATHWAYS_DATABASE_URL", app.store.engine.url.render_as_string(hide_password=False))
    monkeypatch.setenv("PATHWAYS_CONFIG_DIR", str(app.settings.config_dir))
    root = typer.Typer()
    root.callback()(cli.main_options)
    root.command("sweep")(messages_cli.sweep)
    runner = CliRunner()

    early = runner.invoke(root, ["--now", "2026-07-15T09:30", "sweep", "--json"])
    due = runner.invoke(root, ["--now", "2026-07-16T09:30", "sweep", "--json"])

    assert early.exit_code == 0, early.output
    assert json.loads(early.output)["messages"] == 0
    assert due.exit_code == 0, due.output
    assert json.loads(due.output) | {"now": None} == {
        "now": None, "notices": 1, "messages": 1, "digest_items": 0, "unaddressed": 0, "cancelled": 0,
        "batches": 1,
    }  # fmt: skip
    assert messages(app) == {("remind:0", world["owner"])}


# --- two sweeps at once ---------------------------------------------------------------------------------


def test_two_concurrent_sweeps_on_postgres_create_nothing_twice(
    postgres_store: Store, config_dir: Path, catalog: PathwayCatalog
) -> None:
    app = make_app(postgres_store, config_dir, catalog)
    world = people(app, managers=2, digest=True)
    for _ in range(40):
        open_case(app, world)
    at = paris(date(2026, 8, 31))
    start = threading.Barrier(2)
    # Each sweep, once it holds its first batch of notices (locked, transaction open), waits for
    # the other to have picked one too: the other's pick must skip the locked rows, not wait for
    # them (FOR UPDATE SKIP LOCKED). Without this the two sweeps need not overlap at all.
    both_picked = threading.Barrier(2, timeout=20)
    picked: set[int] = set()
    results: list[SweepResult] = []

    def after_pick(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        me = threading.get_ident()
        if "FOR UPDATE" in statement and me not in picked:
            picked.add(me)
            both_picked.wait()

    def run() -> None:
        start.wait()
        results.append(sweep(app, now=at, batch=7))

    event.listen(postgres_store.engine, "after_cursor_execute", after_pick)
    try:
        errors = on_threads(run, [(), ()])
    finally:
        event.remove(postgres_store.engine, "after_cursor_execute", after_pick)

    assert errors == []
    assert len(results) == 2
    assert sum(r.notices for r in results) == 160  # each notice handled by exactly one sweep
    assert all(r.notices > 0 for r in results)  # and they shared the work, neither waiting for the other
    assert sum(r.messages for r in results) == len(jobs(app, "message")) == 40 * 3  # owner + 2 managers
    [digest] = jobs(app, "digest")
    notices_in_digest = [i["notice"] for i in digest["payload"]["items"]]
    assert len(notices_in_digest) == len(set(notices_in_digest)) == 80  # officer: remind:1 + escalate:0
    assert {n["status"] for n in notices(app)} == {"done"}
