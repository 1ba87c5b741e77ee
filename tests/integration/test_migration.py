"""Migrating open cases to a new pathway version, on SQLite and on PostgreSQL.

The fixture pathway `trial` has v1 (intake -> review -> committee) and v2
(welcome -> assessment -> committee), written in a temporary config folder; the
templates are the repository's. Expected deadlines are worked out by hand below.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import typer
from sqlalchemy import func, select

from builders import decide, make_org, make_person, make_project
from pathways.bootstrap import App, Clock
from pathways.cli import migrate as migrate_cli
from pathways.errors import InvalidInput, PathwaysError
from pathways.services.casework import opening, work
from pathways.services.casework.views import OpenedCase
from pathways.services.catalogue import migration
from pathways.services.tx import write
from pathways.settings import load_settings
from pathways.store.audit_verify import verify_chain
from pathways.store.core import AUDIT, CASE, ENTRY, JOB, NOTICE
from pathways.store.db import Store

REPO_CONFIG = Path(__file__).resolve().parents[2] / "config"

LABELS = "{fr: É, nl: N, en: E}"
V1 = f"""
id: trial
version: 1
reference: TRL
title: {LABELS}
ends:
  done: {LABELS}
  dropped: {LABELS}
stages:
  - id: intake
    title: {LABELS}
    deadline: {{days: 10}}
    remind: [{{before: {{days: 3}}, to: officer}}]
    escalate: [{{after: {{days: 2}}, to: manager}}]
    steps: [render_document]
    outcomes:
      ok: {{label: {LABELS}, next: review}}
      drop: {{label: {LABELS}, end: dropped}}
  - id: review
    title: {LABELS}
    deadline: {{days: 20}}
    outcomes:
      ok: {{label: {LABELS}, next: committee}}
      drop: {{label: {LABELS}, end: dropped}}
  - id: committee
    title: {LABELS}
    outcomes:
      approve: {{label: {LABELS}, end: done}}
      reject: {{label: {LABELS}, end: dropped}}
"""
V2 = f"""
id: trial
version: 2
reference: TRL
title: {LABELS}
ends:
  done: {LABELS}
  dropped: {LABELS}
stages:
  - id: welcome
    title: {LABELS}
    deadline: {{days: 30}}
    remind:
      - {{before: {{days: 25}}, to: owner}}
      - {{before: {{days: 5}}, to: officer}}
    escalate:
      - {{after: {{days: 1}}, to: manager}}
      - {{after: {{days: 7}}, to: manager}}
    steps: [render_document]
    outcomes:
      ok: {{label: {LABELS}, next: assessment}}
      drop: {{label: {LABELS}, end: dropped}}
  - id: assessment
    title: {LABELS}
    deadline: {{days: 20}}
    outcomes:
      ok: {{label: {LABELS}, next: committee}}
      drop: {{label: {LABELS}, end: dropped}}
  - id: committee
    title: {LABELS}
    outcomes:
      approve: {{label: {LABELS}, end: done}}
      reject: {{label: {LABELS}, end: dropped}}
"""
MAPPING = {"intake": "welcome", "review": "assessment", "committee": "committee"}


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=UTC)


@pytest.fixture
def config_dir(tmp_path: Path) -> Path:
    config = tmp_path / "config"
    (config / "pathways" / "trial").mkdir(parents=True)
    (config / "pathways" / "trial" / "v1.yaml").write_text(V1, encoding="utf-8")
    (config / "pathways" / "trial.yaml").write_text(V2, encoding="utf-8")
    shutil.copytree(REPO_CONFIG / "templates", config / "templates")
    return config


@pytest.fixture
def app(store: Store, config_dir: Path, fixed_now: datetime) -> App:
    return App(
        settings=load_settings(config_dir=config_dir, environment="test"), store=store, clock=Clock(fixed_now)
    )


@pytest.fixture
def later(app: App, fixed_now: datetime) -> App:
    """The same application five days on (Monday 13 July 2026, 10:00 in Paris): when migrations run."""
    return replace(app, clock=Clock(fixed_now + timedelta(days=5)))


@pytest.fixture
def world(app: App) -> dict[str, Any]:
    """Open cases of v1 at every stage, one with its step still queued, and one closed case."""
    org = make_org(app)
    officer = make_person(app, org)
    make_person(app, org, role="manager")

    def opened(name: str) -> OpenedCase:
        project = make_project(app, org, name=name)
        with write(app, actor_id=officer) as tx:
            return opening.open_case(
                tx, app.catalog, project=project, pathway="trial", officer=officer, version=1
            )

    at_intake = opened("At intake")
    at_review = opened("At review")
    at_committee = opened("At committee")
    closed = opened("Closed")
    assert {r.status for r in work.run_pending(app)} == {"done"}
    decide(app, at_review.id, "ok", by=officer)
    decide(app, at_committee.id, "ok", by=officer)
    decide(app, at_committee.id, "ok", by=officer)
    decide(app, closed.id, "drop", by=officer)
    busy = opened("Step still queued")  # its render_document job has not run
    return {
        "officer": officer,
        "intake": at_intake.id,
        "review": at_review.id,
        "committee": at_committee.id,
        "closed": closed.id,
        "busy": busy.id,
    }


def rows(app: App, query: Any) -> list[dict[str, Any]]:
    with app.store.read() as conn:
        return [dict(r) for r in conn.execute(query).mappings()]


def case_row(app: App, case_id: int) -> dict[str, Any]:
    return rows(app, select(CASE).where(CASE.c.id == case_id))[0]


def entries(app: App, case_id: int) -> list[dict[str, Any]]:
    return rows(app, select(ENTRY).where(ENTRY.c.case_id == case_id).order_by(ENTRY.c.seq))


def everything(app: App) -> dict[str, Any]:
    return {
        "cases": rows(app, select(CASE).order_by(CASE.c.id)),
        "entries": rows(app, select(ENTRY).order_by(ENTRY.c.id)),
        "notices": rows(app, select(NOTICE).order_by(NOTICE.c.id)),
        "jobs": rows(app, select(JOB).order_by(JOB.c.id)),
        "audit": rows(app, select(AUDIT).order_by(AUDIT.c.id)),
    }


def run(app: App, mapping: dict[str, str] | None = None, **options: Any) -> migration.MigrationReport:
    options = {"dry_run": False, "recompute_deadlines": False, **options}
    return migration.migrate(
        app, pathway="trial", from_version=1, to_version=2, mapping=mapping or MAPPING, **options
    )


def test_both_versions_stay_loadable_and_new_cases_start_on_the_latest(
    app: App, world: dict[str, Any]
) -> None:
    assert app.catalog.versions("trial") == [1, 2]
    assert {case_row(app, world[k])["pathway_version"] for k in ("intake", "review", "committee")} == {1}


def test_dry_run_reports_every_move_and_changes_nothing(later: App, world: dict[str, Any]) -> None:
    before = everything(later)

    report = run(later, dry_run=True, recompute_deadlines=True)

    assert everything(later) == before
    moves = {m.case_id: (m.stage_from, m.stage_to) for m in report.moved}
    assert moves == {
        world["intake"]: ("intake", "welcome"),
        world["review"]: ("review", "assessment"),
        world["committee"]: ("committee", "committee"),
    }
    assert [(s.case_id, s.stage) for s in report.skipped] == [(world["busy"], "intake")]
    assert "1 step" in report.skipped[0].reason
    assert report.dry_run


def test_migration_moves_waiting_cases_keeping_every_timestamp(later: App, world: dict[str, Any]) -> None:
    moved_ids = [world["intake"], world["review"], world["committee"]]
    before = {case_id: (case_row(later, case_id), entries(later, case_id)) for case_id in moved_ids}
    untouched = {k: case_row(later, world[k]) for k in ("busy", "closed")}
    notices_before = rows(later, select(NOTICE).order_by(NOTICE.c.id))

    report = run(later)

    assert sorted(m.case_id for m in report.moved) == sorted(moved_ids)
    for case_id in moved_ids:
        old_case, old_entries = before[case_id]
        new_case, new_entries = case_row(later, case_id), entries(later, case_id)
        assert new_case["pathway_version"] == 2
        assert new_case["stage"] == MAPPING[old_case["stage"]]
        assert new_case["version"] == old_case["version"] + 1
        assert new_case["current_entry_id"] == old_case["current_entry_id"]
        for key in ("opened_at", "due_at", "data", "officer_id", "status"):
            assert new_case[key] == old_case[key], key
        # Same entries, same times; only the current entry's stage id follows the mapping.
        assert len(new_entries) == len(old_entries)
        for old, new in zip(old_entries, new_entries, strict=True):
            expected_stage = (
                MAPPING[old["stage"]] if old["id"] == old_case["current_entry_id"] else old["stage"]
            )
            assert new == {**old, "stage": expected_stage}
    assert rows(later, select(NOTICE).order_by(NOTICE.c.id)) == notices_before  # not recomputed
    assert {k: case_row(later, world[k]) for k in ("busy", "closed")} == untouched

    events = rows(later, select(AUDIT).where(AUDIT.c.kind == "case_migrated").order_by(AUDIT.c.seq))
    assert [(e["case_id"], e["payload"]["stage_from"], e["payload"]["stage_to"]) for e in events] == [
        (world["intake"], "intake", "welcome"),
        (world["review"], "review", "assessment"),
        (world["committee"], "committee", "committee"),
    ]
    for event in events:
        assert event["payload"]["from"] == 1
        assert event["payload"]["to"] == 2
        assert event["payload"]["mapping"] == MAPPING
        assert event["effective_at"] == utc(2026, 7, 13, 8)
    with later.store.read() as conn:
        assert all(r.ok for r in verify_chain(conn, key=later.audit_key))


def test_a_migrated_case_is_decided_under_the_new_version(later: App, world: dict[str, Any]) -> None:
    run(later)
    decided = decide(later, world["intake"], "ok", by=world["officer"])
    assert (decided.left, decided.entered) == ("welcome", "assessment")


def test_a_case_with_queued_work_moves_once_the_work_has_run(later: App, world: dict[str, Any]) -> None:
    first = run(later)
    assert [s.case_id for s in first.skipped] == [world["busy"]]
    assert case_row(later, world["busy"])["pathway_version"] == 1

    work.run_pending(later)
    second = run(later)

    assert [m.case_id for m in second.moved] == [world["busy"]]
    assert second.skipped == ()
    assert case_row(later, world["busy"])["stage"] == "welcome"


def test_recomputed_deadline_counts_from_the_original_entry(later: App, world: dict[str, Any]) -> None:
    case_id = world["intake"]
    entry_id = case_row(later, case_id)["current_entry_id"]
    # v1 intake: entered Wed 8 July 2026 10:00 Paris, due 10 days later at the end of the day.
    assert case_row(later, case_id)["due_at"] == utc(2026, 7, 18, 21, 59, 59)

    report = run(later, recompute_deadlines=True)

    # v2 welcome: 30 days from the same entry -> Fri 7 August 2026, 23:59:59 Paris.
    due = utc(2026, 8, 7, 21, 59, 59)
    assert case_row(later, case_id)["due_at"] == due
    assert entries(later, case_id)[-1]["due_at"] == due
    assert entries(later, case_id)[-1]["entered_at"] == utc(2026, 7, 8, 8)
    moved = next(m for m in report.moved if m.case_id == case_id)
    assert (moved.due_before, moved.due_after) == (utc(2026, 7, 18, 21, 59, 59), due)
    notices = {
        n["rule"]: (n["status"], n["due_at"], n["to_role"])
        for n in rows(later, select(NOTICE).where(NOTICE.c.entry_id == entry_id))
    }
    assert notices == {
        # 25 days before the due day is 13 July 09:00, already past at the migration: dropped.
        "remind:0": ("cancelled", utc(2026, 7, 15, 7), "officer"),
        "remind:1": ("pending", utc(2026, 8, 2, 7), "officer"),  # 5 days before, 09:00 Paris
        "escalate:0": ("pending", utc(2026, 8, 8, 7), "manager"),  # 1 day after
        "escalate:1": ("pending", utc(2026, 8, 14, 7), "manager"),  # 7 days after
    }
    event = rows(later, select(AUDIT).where(AUDIT.c.case_id == case_id, AUDIT.c.kind == "case_migrated"))[0]
    assert event["payload"]["due_after"] == due.isoformat()
    # A stage without deadline in v2 clears the due date of a case mapped onto it.
    assert case_row(later, world["committee"])["due_at"] is None


def test_an_incomplete_mapping_is_refused_naming_the_unmapped_stage(
    later: App, world: dict[str, Any]
) -> None:
    before = everything(later)
    with pytest.raises(InvalidInput) as refused:
        run(later, {"intake": "welcome", "committee": "committee"})
    assert "review (1 open)" in refused.value.message
    assert refused.value.hint is not None
    assert "assessment" not in refused.value.message
    assert everything(later) == before


def test_unknown_stage_names_are_refused_with_each_name(later: App, world: dict[str, Any]) -> None:
    with pytest.raises(InvalidInput) as refused:
        run(later, {**MAPPING, "intak": "welcome", "review": "asessment"})
    assert "'intak'" in refused.value.message
    assert "'asessment'" in refused.value.message
    assert refused.value.hint is not None
    assert "welcome, assessment, committee" in refused.value.hint


def test_same_version_twice_is_refused(later: App, world: dict[str, Any]) -> None:
    with pytest.raises(InvalidInput):
        migration.migrate(
            later, pathway="trial", from_version=2, to_version=2, mapping={}, dry_run=True,
            recompute_deadlines=False,
        )  # fmt: skip


def test_cli_dry_run_prints_json_and_refuses_a_bad_map(
    later: App, world: dict[str, Any], config_dir: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    monkeypatch.setenv("PATHWAYS_DATABASE_URL", later.store.engine.url.render_as_string(hide_password=False))
    monkeypatch.setenv("PATHWAYS_CONFIG_DIR", str(config_dir))
    cli = typer.Typer()
    cli.command("migrate")(migrate_cli.migrate)
    cli.command("noop")(lambda: None)  # a group, as under `pathways pathway`
    command = typer.main.get_command(cli)
    args = ["migrate", "trial", "--from", "1", "--to", "2", "--dry-run", "--json"]
    maps = [f"--map={old}={new}" for old, new in MAPPING.items()]

    command.main([*args, *maps], standalone_mode=False)

    printed = json.loads(capsys.readouterr().out)
    assert printed["dry_run"] is True
    assert len(printed["moved"]) == 3
    with later.store.read() as conn:
        assert conn.execute(select(func.count()).where(CASE.c.pathway_version == 2)).scalar_one() == 0
    with pytest.raises(PathwaysError) as refused:
        command.main([*args, "--map", "intake"], standalone_mode=False)
    assert refused.value.exit_code == 2


def test_a_case_changed_during_its_move_is_skipped_and_left_whole(
    later: App, world: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    original = migration._Step.plan

    def stale(self: Any, conn: Any, case_id: int, *, at: datetime) -> Any:
        plan = original(self, conn, case_id, at=at)
        if case_id != world["review"] or isinstance(plan, migration.SkippedCase):
            return plan
        return replace(
            plan, case={**plan.case, "version": plan.case["version"] - 1}
        )  # read before a decision

    monkeypatch.setattr(migration._Step, "plan", stale)
    before = (case_row(later, world["review"]), entries(later, world["review"]))

    report = run(later, recompute_deadlines=True)

    assert world["review"] not in {m.case_id for m in report.moved}
    skipped = {s.case_id: s.reason for s in report.skipped}
    assert "changed while it was being migrated" in skipped[world["review"]]
    assert (case_row(later, world["review"]), entries(later, world["review"])) == before
    events = rows(later, select(AUDIT.c.case_id).where(AUDIT.c.kind == "case_migrated"))
    assert {e["case_id"] for e in events} == {world["intake"], world["committee"]}
