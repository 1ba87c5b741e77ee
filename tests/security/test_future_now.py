"""A mistyped future `--now` is refused for writes: it would lock a case or queue real messages for good.

`case decide --now 2090-...` recorded a decision in 2090: the case's next decision (at
the real time, earlier) was refused for ever. `sweep --now 2150-...` queued every reminder
and escalation of a century. A write more than 24 h ahead of the clock now exits 2 saying
why, unless ``PATHWAYS_SIMULATION=true`` (itself refused in production); reads may look
ahead freely.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from builders import INTAKE_RELEVANT, make_org, make_person, make_project, open_diagnosis
from pathways.bootstrap import App
from pathways.errors import InvalidInput
from pathways.services.casework.sweep import sweep
from pathways.store.core import CASE, NOTICE
from pathways.store.db import table_metadata
from security.attack import attacked
from security.inprocess_cli import environment, run

FAR = "2090-01-01T10:00"
VERY_FAR = "2150-01-01T10:00"


def sets(values: dict[str, str]) -> list[str]:
    return [arg for name, value in values.items() for arg in ("--set", f"{name}={value}")]


def soon(hours: float) -> str:
    """A --now `hours` ahead of the real clock."""
    return (datetime.now(UTC) + timedelta(hours=hours)).isoformat(timespec="minutes")


def snapshot(app: App) -> dict[str, Any]:
    """Every table's row count, the notices' states and the cases' stages and versions."""
    with app.store.read() as conn:
        counts = {
            t.name: conn.execute(select(func.count()).select_from(t)).scalar_one()
            for t in table_metadata().sorted_tables
        }
        notices = sorted(conn.execute(select(NOTICE.c.id, NOTICE.c.status)).all())
        cases = sorted(conn.execute(select(CASE.c.id, CASE.c.stage, CASE.c.version)).all())
    return {"counts": counts, "notices": notices, "cases": cases}


@pytest.fixture
def case(app: App) -> str:
    """A diagnosis case at intake, opened 8 July 2026: its intake reminders are due by now."""
    org = make_org(app, name="DLA Futur")
    officer = make_person(app, org, email="officer@example.org")
    ref: str = open_diagnosis(app, make_project(app, org), officer).ref
    return ref


def test_writes_with_a_now_far_ahead_exit_2_and_write_nothing_reads_may_look_ahead(
    app: App, case: str, tmp_path: Path
) -> None:
    env = environment(app, tmp_path)
    before = snapshot(app)
    attempts = [
        ("--now", FAR, "case", "decide", case, "relevant", *sets(INTAKE_RELEVANT)),
        ("--now", VERY_FAR, "sweep"),
        ("--now", soon(25), "sweep"),
        ("--now", FAR, "project", "add", "Projet du futur", "--org", "dla-futur"),
        ("--now", FAR, "org", "add", "Réseau du futur", "--territory", "FR-75"),
    ]
    for args in attempts:
        ran = run(env, *args)
        assert (ran.code, ran.crash) == (2, None), f"{args}: {ran.output}"
        assert "more than 24 h ahead" in ran.output
        assert "PATHWAYS_SIMULATION=true" in ran.output
    assert snapshot(app) == before

    for args in (
        ("--now", VERY_FAR, "due", "--json"),
        ("--now", VERY_FAR, "case", "show", case, "--json"),
        ("--now", FAR, "report", "overdue", "--csv"),
    ):
        ran = run(env, *args)
        assert (ran.code, ran.crash) == (0, None), f"{args}: {ran.output}"
        assert case in ran.out
    assert snapshot(app) == before

    # Within 24 h (a meeting recorded from another time zone), or in the past, it still writes.
    decided = run(env, "--now", soon(23), "case", "decide", case, "relevant", *sets(INTAKE_RELEVANT))
    swept = run(env, "--now", "2026-07-20T10:00", "sweep", "--json")
    assert (decided.code, decided.crash) == (0, None), decided.output
    assert (swept.code, swept.crash) == (0, None), swept.output
    assert snapshot(app)["cases"][0][1:] == ("shared_diagnosis", 2)
    attacked(
        "write with a --now years ahead (decide, sweep, project add, org add)",
        tried=len(attempts),
        detail="exit 2 naming --now and PATHWAYS_SIMULATION; no row written, no notice swept; "
        "reads ahead and writes within 24 h still work",
    )


def test_a_sweep_with_a_future_now_from_a_flow_parameter_is_refused_too(app: App, case: str) -> None:
    before = snapshot(app)
    with pytest.raises(InvalidInput, match="more than 24 h ahead"):
        sweep(app, now=datetime.now(UTC) + timedelta(days=365 * 100))
    assert snapshot(app) == before
    attacked(
        "sweep run with a `now` parameter a century ahead (Prefect deployment parameter)",
        tried=1,
        detail="InvalidInput before any transaction; nothing swept",
    )


def test_a_simulation_may_write_in_the_future_but_is_refused_in_production_in_one_line(
    app: App, case: str, tmp_path: Path
) -> None:
    secret = "a-production-secret-nobody-may-read"
    env = environment(
        app,
        tmp_path,
        PATHWAYS_SIMULATION="true",
        PATHWAYS_ENVIRONMENT="production",
        PATHWAYS_SECRET_KEY=secret,
    )
    before = snapshot(app)
    attempts = [
        ("--now", FAR, "case", "decide", case, "relevant", *sets(INTAKE_RELEVANT)),
        ("--now", VERY_FAR, "sweep"),
        ("due",),
    ]
    for args in attempts:
        ran = run(env, *args)
        assert (ran.code, ran.crash) == (2, None), f"{args}: {ran.output}"
        message = " ".join(ran.output.split())  # rich wraps long lines at the terminal width
        refused = "PATHWAYS_SIMULATION=true is refused when PATHWAYS_ENVIRONMENT=production"
        assert message.startswith(f"error: invalid settings: {refused}"), message
        assert message.count("error:") == 1
        assert "[type=" not in message
        assert "errors.pydantic.dev" not in message
        assert secret not in message
    assert snapshot(app) == before

    simulation = environment(app, tmp_path, PATHWAYS_SIMULATION="true")
    decided = run(simulation, "--now", FAR, "case", "decide", case, "relevant", *sets(INTAKE_RELEVANT))
    assert (decided.code, decided.crash) == (0, None), decided.output
    assert snapshot(app)["cases"][0][1:] == ("shared_diagnosis", 2)
    attacked(
        "PATHWAYS_SIMULATION=true with PATHWAYS_ENVIRONMENT=production",
        tried=len(attempts),
        detail="exit 2, one line naming both settings, no values shown, nothing written",
    )
