"""`pathways audit verify` finds raw-SQL tampering with a real history and says where; `audit search`.

The history is made by the services (organisations, people, a project, a diagnosis
case and its decisions); the tampering is plain SQL, as someone with write access to
the database but without the audit key would do it. Runs on SQLite and PostgreSQL.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
import typer
from sqlalchemy import text
from typer.testing import CliRunner

from builders import (
    DIAGNOSIS_ACCEPTED,
    INTAKE_RELEVANT,
    PLAN_VALIDATED,
    decide,
    make_org,
    make_person,
    make_project,
    open_diagnosis,
)
from pathways.bootstrap import App
from pathways.cli import audit as audit_cli
from pathways.errors import Refused
from pathways.services.audit import auditing

# Alpha's chain, as the history below writes it:
# 1 organisation_added, 2 person_added (officer), 3 person_added (manager), 4 project_added,
# 5 case_opened, 6 decision (intake), 7 decision (shared diagnosis), 8 decision (support plan)
DECISION_SEQS = (6, 7, 8)


def history(app: App) -> dict[str, Any]:
    """Beta (untouched, first in id order) and Alpha (the chain the tests tamper with)."""
    beta = make_org(app, name="Réseau Beta", territory="BE-BRU")
    make_person(app, beta, name="Lieve Peeters")
    alpha = make_org(app, name="DLA Alpha")
    officer = make_person(app, alpha, name="Camille Martin", email="camille.martin@example.org")
    manager = make_person(app, alpha, name="Hugo Bernard", role="manager")
    case = open_diagnosis(app, make_project(app, alpha), officer)
    now = app.clock.now()
    decide(app, case.ref, "relevant", INTAKE_RELEVANT, by=officer, at=now + timedelta(days=1))
    decide(app, case.ref, "accepted", DIAGNOSIS_ACCEPTED, by=officer, at=now + timedelta(days=20))
    decide(app, case.ref, "validated", PLAN_VALIDATED, by=manager, at=now + timedelta(days=30))
    return {"alpha": alpha, "beta": beta, "officer": officer, "manager": manager, "case": case.ref}


def raw(app: App, *statements: str, **params: Any) -> None:
    with app.store.write() as conn:
        for statement in statements:
            conn.execute(text(statement), params)


WHERE = "WHERE organisation_id = :o AND seq = :s"


def edit_actor(app: App, org: int, seq: int) -> None:
    """Someone re-attributes a decision to another person."""
    raw(app, f"UPDATE auditevent SET actor_id = actor_id + 1 {WHERE}", o=org, s=seq)


def edit_outcome(app: App, org: int, seq: int) -> None:
    """Someone rewrites what was decided, inside the JSON payload."""
    postgres = app.store.dialect == "postgresql"
    setter = (
        "jsonb_set(payload, '{outcome}', '\"declined\"')"
        if postgres
        else "json_set(payload, '$.outcome', 'declined')"
    )
    raw(app, f"UPDATE auditevent SET payload = {setter} {WHERE}", o=org, s=seq)


def backdate(app: App, org: int, seq: int) -> None:
    """Someone moves a decision's effective time a week back."""
    postgres = app.store.dialect == "postgresql"
    earlier = "effective_at - interval '7 days'" if postgres else "datetime(effective_at, '-7 days')"
    raw(app, f"UPDATE auditevent SET effective_at = {earlier} {WHERE}", o=org, s=seq)


def delete(app: App, org: int, seq: int) -> None:
    raw(app, "DELETE FROM auditevent WHERE organisation_id = :o AND seq = :s", o=org, s=seq)


def swap(app: App, org: int, seq: int) -> None:
    """Events `seq` and `seq + 1` exchange places."""
    raw(
        app,
        "UPDATE auditevent SET seq = -1 WHERE organisation_id = :o AND seq = :s",
        "UPDATE auditevent SET seq = :s WHERE organisation_id = :o AND seq = :s + 1",
        "UPDATE auditevent SET seq = :s + 1 WHERE organisation_id = :o AND seq = -1",
        o=org,
        s=seq,
    )


def insert(app: App, org: int, seq: int) -> None:
    """The decision before `seq` replayed at `seq` and linked in; later seqs and the head moved on."""
    raw(
        app,
        "UPDATE auditevent SET seq = -(seq + 1) WHERE organisation_id = :o AND seq >= :s",
        "UPDATE auditevent SET seq = -seq WHERE organisation_id = :o AND seq < 0",
        """INSERT INTO auditevent (organisation_id, seq, case_id, actor_id, kind, effective_at, recorded_at,
                                   payload, prev_digest, digest)
           SELECT organisation_id, :s, case_id, actor_id, kind, effective_at, recorded_at, payload,
                  (SELECT digest FROM auditevent WHERE organisation_id = :o AND seq = :s - 1),
                  digest
           FROM auditevent WHERE organisation_id = :o AND seq = :s - 1""",
        "UPDATE audithead SET seq = seq + 1 WHERE organisation_id = :o",
        o=org,
        s=seq,
    )


TAMPERING: dict[str, tuple[Callable[[App, int, int], None], int, str, int]] = {
    # name: (tampering, seq tampered with, kind reported, seq reported)
    "actor re-attributed": (edit_actor, 7, "edited", 7),
    "outcome rewritten": (edit_outcome, 6, "edited", 6),
    "decision back-dated": (backdate, 8, "edited", 8),
    "decision deleted": (delete, 7, "deleted", 7),
    "decisions swapped": (swap, 6, "reordered", 6),
    "decision replayed": (insert, 7, "inserted", 7),
}


def root_cli() -> typer.Typer:
    """The `pathways` root with the audit commands (as src/pathways/cli/__init__.py registers them)."""
    root = typer.Typer()

    @root.callback()
    def main(ctx: typer.Context) -> None:
        ctx.obj = {"now": None}

    root.add_typer(audit_cli.app, name="audit")
    return root


def run_cli(app: App, *args: str) -> Any:
    env = {
        "PATHWAYS_DATABASE_URL": app.store.engine.url.render_as_string(hide_password=False),
        "PATHWAYS_AUDIT_KEY": app.audit_key.decode(),
        "PATHWAYS_ENVIRONMENT": "test",
        "COLUMNS": "200",
    }
    return CliRunner().invoke(root_cli(), list(args), env=env)


def test_an_untouched_history_verifies(app: App) -> None:
    history(app)
    checks = auditing.verify(app)
    assert [(c.organisation, c.ok, c.checked) for c in checks] == [
        ("reseau-beta", True, 2),
        ("dla-alpha", True, 8),
    ]
    assert auditing.first_broken(checks) is None

    result = run_cli(app, "audit", "verify")
    assert result.exit_code == 0, result.output
    assert "2 chains verified, 10 events" in result.output


@pytest.mark.parametrize("name", TAMPERING)
def test_tampering_through_raw_sql_is_found_and_located(app: App, name: str) -> None:
    made = history(app)
    tamper, seq, kind, reported = TAMPERING[name]
    assert seq in DECISION_SEQS
    tamper(app, made["alpha"], seq)

    checks = auditing.verify(app)
    broken = auditing.first_broken(checks)
    assert broken is not None
    assert (broken.organisation, broken.problem, broken.seq) == ("dla-alpha", kind, reported)
    assert broken.checked == reported - 1
    assert [c.ok for c in checks] == [True, False]  # beta's chain is independent
    assert auditing.verify(app, organisation="reseau-beta")[0].ok

    result = run_cli(app, "audit", "verify", "--json")
    assert isinstance(result.exception, Refused)
    assert result.exception.exit_code == 4
    assert f"dla-alpha is broken at seq {reported}: {kind}" in result.exception.message
    shown = json.loads(result.stdout)
    assert [(c["organisation"], c["ok"], c["problem"], c["seq"]) for c in shown] == [
        ("reseau-beta", True, None, None),
        ("dla-alpha", False, kind, reported),
    ]


def test_search_names_actors_from_the_person_table(app: App) -> None:
    made = history(app)
    with app.store.read() as conn:
        decisions = auditing.search(conn, case=made["case"], kind="decision")
        by_manager = auditing.search(conn, actor="Hugo Bernard")
        everything = auditing.search(conn, limit=3)
        in_beta = auditing.search(conn, org="reseau-beta")
    assert [(r.seq, r.actor, r.payload["outcome"]) for r in decisions] == [
        (8, "Hugo Bernard", "validated"),
        (7, "Camille Martin", "accepted"),
        (6, "Camille Martin", "relevant"),
    ]
    assert [(r.seq, r.kind, r.case) for r in by_manager] == [(8, "decision", made["case"])]
    assert len(everything) == 3
    assert {(r.organisation, r.actor) for r in in_beta} == {("reseau-beta", "system")}

    # A person's name lives outside the chain: pseudonymising it changes the search, not the chain.
    raw(app, "UPDATE person SET name = 'Personne effacée 1' WHERE id = :p", p=made["officer"])
    with app.store.read() as conn:
        renamed = auditing.search(conn, case=made["case"], kind="decision", limit=1, start=None)
        officer_events = auditing.search(conn, actor=made["officer"])
    assert renamed[0].actor == "Hugo Bernard"
    assert {r.actor for r in officer_events} == {"Personne effacée 1"}
    assert all(c.ok for c in auditing.verify(app))


def test_search_by_period_and_as_csv(app: App, capsys: pytest.CaptureFixture[str]) -> None:
    made = history(app)
    now = app.clock.now()
    with app.store.read() as conn:
        window = auditing.search(conn, start=now + timedelta(days=10), end=now + timedelta(days=25))
    assert [(r.seq, r.payload["stage"]) for r in window] == [(7, "shared_diagnosis")]

    result = run_cli(app, "audit", "search", "--case", made["case"], "--csv")
    assert result.exit_code == 0, result.output
    lines = result.stdout.strip().splitlines()
    assert lines[0] == "organisation,seq,effective_at,recorded_at,actor_id,actor,kind,case,payload"
    assert len(lines) == 1 + 4  # case_opened and three decisions
    assert "camille.martin@example.org" not in result.stdout  # names, never contacts
