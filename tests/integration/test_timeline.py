"""A case's timeline: time in each stage (loops summed), decisions, documents and messages, in order."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from builders import make_org, make_person, make_project, open_diagnosis
from ladder import NOW, D, build, ladder_app
from pathways.bootstrap import App
from pathways.cli import timeline as timeline_cli
from pathways.services.casework import timeline, work
from pathways.services.casework.sweep import sweep
from pathways.store.db import Store

DAY = 86400


@pytest.fixture
def ladder(store: Store, tmp_path: Path) -> App:
    return ladder_app(store, tmp_path)


def test_time_in_stage_sums_the_stays_of_a_loop(ladder: App) -> None:
    made = build(ladder)
    with ladder.store.read() as conn:
        closed = timeline.timeline(conn, made.cases["L1"], now=NOW, catalog=ladder.catalog, lang="fr")
        still_open = timeline.timeline(conn, made.cases["L2"], now=NOW)

    # L1: feasibility D0-D10; founding D10-D20 then (rework) D20-D30; growth D30-D60; scale D60-D75
    assert [(s.stage, s.title, s.stays, s.seconds / DAY, s.current) for s in closed.stages] == [
        ("feasibility", "Faisabilité", 1, 10.0, False),
        ("founding", "Création", 2, 20.0, False),
        ("growth", "Consolidation", 1, 30.0, False),
        ("scale", "Changement d'échelle", 1, 15.0, False),
    ]
    # L2: feasibility D5-D9, founding D9-D29, growth since D29: 49 days at D78
    assert [(s.stage, s.stays, s.days, s.current) for s in still_open.stages] == [
        ("feasibility", 1, 4.0, False),
        ("founding", 1, 20.0, False),
        ("growth", 1, 49.0, True),
    ]
    assert (closed.status, closed.result, closed.closed_at) == ("closed", "scaled", D(75))


def test_timeline_items_follow_time_with_who_decided(ladder: App) -> None:
    made = build(ladder)
    with ladder.store.read() as conn:
        found = timeline.timeline(conn, made.cases["L1"], now=NOW)
    shown = [(i.at, i.kind, i.stage, i.actor) for i in found.items]
    alice = "Alice Lambertini"
    assert shown == [
        (D(0), "opened", None, alice),
        (D(0), "entered", "feasibility", None),
        (D(10), "decision", "feasibility", alice),
        (D(10), "entered", "founding", None),
        (D(10), "event", None, alice),  # the project's phase: idea -> emergence
        (D(20), "decision", "founding", alice),
        (D(20), "entered", "founding", None),
        (D(30), "decision", "founding", alice),
        (D(30), "entered", "growth", None),
        (D(30), "event", None, alice),
        (D(60), "decision", "growth", alice),
        (D(60), "entered", "scale", None),
        (D(60), "event", None, alice),
        (D(75), "closed", "scale", alice),
        (D(75), "event", None, alice),
    ]
    assert found.items[4].summary == "project phase idea → emergence"
    assert found.items[5].summary == "founding: rework after 10.0 days"
    assert found.items[13].summary == "scale: scaled after 15.0 days; closed: scaled"


def test_documents_and_messages_appear_with_links(app: App) -> None:
    org = make_org(app)
    officer = make_person(app, org, name="Camille Martin")  # officers get a daily digest by default
    make_person(app, org, name="Hugo Bernard", role="manager")
    owner = make_person(app, org, name="Inès Lefèvre", role="owner", email="ines@example.org")
    case = open_diagnosis(app, make_project(app, org, owner=owner), officer)
    work.run_pending(app)  # renders the intake sheet
    later = app.clock.now() + timedelta(days=40)
    sweep(app, now=later)  # every reminder and escalation of intake is due by then

    with app.store.read() as conn:
        found = timeline.timeline(conn, case.ref, now=later)

    documents = [i for i in found.items if i.kind == "document"]
    assert [(d.stage, d.link) for d in documents] == [("intake", "document:1")]
    messages = sorted(
        (i.details["notice_kind"], i.details["template"], i.summary.split(" to ")[1])
        for i in found.items
        if i.kind == "message"
    )
    assert messages == [
        ("escalation", "escalation", "Camille Martin (daily digest): pending"),
        ("escalation", "escalation", "Hugo Bernard: pending"),
        ("reminder", "intake_documents", "Inès Lefèvre: pending"),
        ("reminder", "reminder", "Camille Martin (daily digest): pending"),
    ]
    digests = {i.link for i in found.items if i.kind == "message" and "digest" in i.summary}
    assert len(digests) == 1  # both items travel in the officer's one digest of the day
    assert all(i.at == later for i in found.items if i.kind == "message")
    assert [(s.stage, s.days, s.current) for s in found.stages] == [("intake", 40.0, True)]


def test_timeline_command_prints_json(ladder: App) -> None:
    made = build(ladder)
    root = typer.Typer()

    @root.callback()
    def main(ctx: typer.Context) -> None:
        ctx.obj = {"now": NOW}

    root.command("timeline")(timeline_cli.timeline)
    env = {
        "PATHWAYS_DATABASE_URL": ladder.store.engine.url.render_as_string(hide_password=False),
        "PATHWAYS_CONFIG_DIR": str(ladder.settings.config_dir),
        "PATHWAYS_ENVIRONMENT": "test",
    }
    result = CliRunner().invoke(root, ["timeline", made.cases["L1"], "--json"], env=env)
    assert result.exit_code == 0, result.output
    shown = json.loads(result.stdout)
    assert [(s["stage"], s["stays"], s["days"]) for s in shown["stages"]] == [
        ("feasibility", 1, 10.0),
        ("founding", 2, 20.0),
        ("growth", 1, 30.0),
        ("scale", 1, 15.0),
    ]
    assert shown["items"][-2]["kind"] == "closed"

    table = CliRunner().invoke(root, ["timeline", made.cases["L2"]], env=env | {"COLUMNS": "200"})
    assert table.exit_code == 0, table.output
    assert "◀ here" in table.stdout
