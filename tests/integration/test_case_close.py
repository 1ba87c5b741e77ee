"""Closing a case through an exit (services.casework.closing), on SQLite and on PostgreSQL.

One transaction: the stage left with the exit and its reason, the case closed, its pending
reminders, messages and the stage's automatic steps cancelled once, an audit event that the
chain verifies; child cases untouched; refusals change nothing.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from builders import (
    DIAGNOSIS_ACCEPTED,
    INTAKE_RELEVANT,
    PLAN_VALIDATED,
    decide,
    make_org,
    make_person,
    make_project,
    open_case,
    open_diagnosis,
)
from pathways.bootstrap import App
from pathways.errors import DecidedMeanwhile, FieldError, TransitionNotAllowed
from pathways.services.casework import closing, queries, timeline, work
from pathways.services.casework.closing import Closed
from pathways.services.casework.recording import values_digest
from pathways.services.casework.sweep import sweep
from pathways.services.reporting import reports
from pathways.services.tx import write
from pathways.store.audit_verify import verify_chain
from pathways.store.core import AUDIT, CASE, ENTRY, JOB, NOTICE

REASON = "La structure se retire : changement de direction."


def rows(app: App, query: Any) -> list[dict[str, Any]]:
    with app.store.read() as conn:
        return [dict(r) for r in conn.execute(query).mappings()]


def case_row(app: App, case_id: int) -> dict[str, Any]:
    return rows(app, select(CASE).where(CASE.c.id == case_id))[0]


def snapshot(app: App) -> dict[str, Any]:
    """Everything a refused closing must leave as it was."""
    return {
        "cases": rows(app, select(CASE).order_by(CASE.c.id)),
        "entries": rows(app, select(ENTRY).order_by(ENTRY.c.id)),
        "notices": rows(app, select(NOTICE).order_by(NOTICE.c.id)),
        "jobs": rows(app, select(JOB).order_by(JOB.c.id)),
        "audit": rows(app, select(AUDIT.c.id).order_by(AUDIT.c.id)),
    }


def close(app: App, case: str | int, result: str = "withdrawn", reason: str = REASON, **kw: Any) -> Closed:
    by = kw.pop("by", None)
    with write(app, actor_id=by) as tx:
        return closing.close_case(tx, app.catalog, case=case, result=result, reason=reason, **kw)


@pytest.fixture
def desk(app: App) -> dict[str, Any]:
    org = make_org(app)
    officer = make_person(app, org, name="Camille Martin")
    owner = make_person(app, org, role="owner", name="Inès Dubois", channels=("mailto://ines@example.org",))
    case = open_diagnosis(app, make_project(app, org, owner=owner), officer)
    return {"org": org, "officer": officer, "owner": owner, "case": case}


def test_closing_leaves_the_stage_with_the_exit_and_its_reason_and_closes_the_case(
    app: App, desk: dict[str, Any]
) -> None:
    ref = desk["case"].ref
    decide(app, ref, "relevant", INTAKE_RELEVANT, by=desk["officer"])

    closed = close(app, ref, by=desk["officer"])

    row = case_row(app, closed.case_id)
    assert (row["status"], row["result"], row["stage"], row["due_at"]) == ("closed", "withdrawn", None, None)
    assert (row["closed_at"], row["version"], row["current_entry_id"]) == (app.clock.now(), 3, None)
    assert (closed.left, closed.result, closed.version, closed.children_open) == (
        "shared_diagnosis", "withdrawn", 3, ()
    )  # fmt: skip
    last = rows(app, select(ENTRY).where(ENTRY.c.case_id == closed.case_id).order_by(ENTRY.c.seq))[-1]
    assert (last["stage"], last["outcome"], last["note"], last["values"]) == (
        "shared_diagnosis", "withdrawn", REASON, {}
    )  # fmt: skip
    assert (last["left_at"], last["decided_by"]) == (app.clock.now(), desk["officer"])
    with app.store.read() as conn:
        shown = queries.show_case(conn, app.catalog, ref, lang="fr")
    assert (shown.status, shown.result_label, shown.exits) == (
        "closed",
        "Retrait de la structure",
        {},
    )


def test_the_closing_is_in_the_audit_chain_which_still_verifies_and_in_the_timeline(
    app: App, desk: dict[str, Any]
) -> None:
    closed = close(app, desk["case"].ref, "abandoned", by=desk["officer"])

    (event,) = rows(app, select(AUDIT).where(AUDIT.c.case_id == closed.case_id, AUDIT.c.kind == "decision"))
    payload = event["payload"]
    assert (payload["stage"], payload["outcome"], payload["result"], payload["exit"]) == (
        "intake", "abandoned", "abandoned", True
    )  # fmt: skip
    assert payload["values_digest"] == values_digest(app.audit_key, {}, REASON)
    assert REASON not in str(payload)  # the reason lives in the stage entry, erasable
    assert (event["actor_id"], payload["version"]) == (desk["officer"], 2)
    with app.store.read() as conn:
        assert all(report.ok for report in verify_chain(conn, key=app.audit_key))
        items = timeline.timeline(conn, closed.case_id, now=app.clock.now(), catalog=app.catalog).items
    (ending,) = [item for item in items if item.kind == "closed"]
    assert "closed: abandoned" in ending.summary
    assert REASON in ending.summary


def test_pending_reminders_and_messages_are_cancelled_once_and_never_sent(
    app: App, desk: dict[str, Any]
) -> None:
    ref, case_id = desk["case"].ref, desk["case"].id
    sweep(app, now=app.clock.now() + timedelta(days=9))  # the owner's first reminder is queued
    queued = rows(app, select(JOB).where(JOB.c.case_id == case_id, JOB.c.kind == "message"))
    assert [j["status"] for j in queued] == ["pending"]
    pending = rows(app, select(NOTICE).where(NOTICE.c.case_id == case_id, NOTICE.c.status == "pending"))

    closed = close(app, ref)

    assert closed.notices_cancelled == len(pending) > 0
    assert closed.work_cancelled == 2  # the queued reminder and the intake sheet not yet rendered
    after = rows(app, select(NOTICE).where(NOTICE.c.case_id == case_id).order_by(NOTICE.c.id))
    assert {n["status"] for n in after if n["id"] in {p["id"] for p in pending}} == {"cancelled"}
    assert {j["status"] for j in rows(app, select(JOB).where(JOB.c.case_id == case_id))} == {"cancelled"}
    later = sweep(app, now=app.clock.now() + timedelta(days=120))  # past every deadline of the case
    assert (later.messages, later.digest_items, later.cancelled) == (0, 0, 0)  # nothing left to cancel
    assert rows(app, select(NOTICE).where(NOTICE.c.case_id == case_id).order_by(NOTICE.c.id)) == after
    assert work.run_pending(app, case_id=case_id) == []


def test_the_automatic_steps_of_the_stage_left_are_cancelled_and_earlier_ones_still_run(
    app: App, desk: dict[str, Any]
) -> None:
    ref, case_id = desk["case"].ref, desk["case"].id
    decide(app, ref, "relevant", INTAKE_RELEVANT)
    decide(app, ref, "accepted", DIAGNOSIS_ACCEPTED)
    decide(app, ref, "validated", PLAN_VALIDATED)  # at committee: its agenda entry waits
    waiting = rows(app, select(JOB).where(JOB.c.case_id == case_id, JOB.c.kind == "step"))
    assert [j["payload"]["stage"] for j in waiting] == ["intake", "support_plan", "committee"]

    close(app, ref, reason="Le comité ne se tiendra pas : la structure se retire")

    statuses = {
        j["payload"]["stage"]: j["status"] for j in rows(app, select(JOB).where(JOB.c.case_id == case_id))
    }
    assert statuses == {"intake": "pending", "support_plan": "pending", "committee": "cancelled"}
    ran = work.run_pending(app, case_id=case_id)
    assert sorted(r.status for r in ran) == ["done", "done"]  # the documents of earlier stages
    agenda = rows(app, select(AUDIT).where(AUDIT.c.case_id == case_id, AUDIT.c.kind == "committee_agenda"))
    assert agenda == []


def test_child_cases_stay_as_they_are(app: App, desk: dict[str, Any]) -> None:
    project = make_project(app, desk["org"])
    parent = open_case(app, project, desk["officer"], "ongoing_support")
    chosen = {
        "brief_sent_on": "2026-07-01",
        "consultant": str(desk["officer"]),
        "parallel_missions": "Gouvernance;RH",
    }
    decide(app, parent.ref, "consultant_chosen", chosen)
    work.run_pending(app, case_id=parent.id)
    children = rows(app, select(CASE).where(CASE.c.parent_id == parent.id).order_by(CASE.c.id))
    assert len(children) == 2

    closed = close(app, parent.ref, "abandoned", reason="Projet arrêté par le conseil d'administration")

    assert closed.children_open == tuple(c["ref"] for c in children)
    assert rows(app, select(CASE).where(CASE.c.parent_id == parent.id).order_by(CASE.c.id)) == children
    child_notices = rows(app, select(NOTICE).where(NOTICE.c.case_id == children[0]["id"]))
    assert child_notices
    assert {n["status"] for n in child_notices} == {"pending"}
    assert rows(app, select(AUDIT.c.payload).where(AUDIT.c.case_id == parent.id, AUDIT.c.kind == "decision"))[
        -1
    ]["payload"]["children_open"] == [c["ref"] for c in children]


@pytest.mark.parametrize(
    ("result", "reason", "field"),
    [
        ("withdrawn", "", "reason"),
        ("withdrawn", "   \n ", "reason"),
        ("withdrawn", "x" * 4001, "reason"),
        ("transfer_not_held", REASON, "result"),  # another pathway's exit
        ("redirected", REASON, "result"),  # an end result, reached through a stage's outcome
        ("", REASON, "result"),
    ],
)
def test_a_closing_without_reason_or_through_an_unknown_exit_is_refused_and_changes_nothing(
    app: App, desk: dict[str, Any], result: str, reason: str, field: str
) -> None:
    sweep(app, now=app.clock.now() + timedelta(days=9))
    before = snapshot(app)

    with pytest.raises(FieldError) as refused:
        close(app, desk["case"].ref, result, reason)

    assert refused.value.field == field
    assert snapshot(app) == before


def test_a_closed_case_cannot_be_closed_again_nor_decided(app: App, desk: dict[str, Any]) -> None:
    ref = desk["case"].ref
    close(app, ref)
    before = snapshot(app)

    with pytest.raises(TransitionNotAllowed, match="already closed"):
        close(app, ref, "abandoned")
    with pytest.raises(TransitionNotAllowed):
        decide(app, ref, "relevant", INTAKE_RELEVANT)

    assert snapshot(app) == before


def test_a_case_ended_by_its_stage_cannot_be_closed_through_an_exit(app: App, desk: dict[str, Any]) -> None:
    ref = desk["case"].ref
    values = INTAKE_RELEVANT | {
        "legal_form": "other",
        "redirected_to": "France Active",
        "redirect_reason": "other",
    }
    decide(app, ref, "not_relevant", values)

    with pytest.raises(TransitionNotAllowed):
        close(app, ref)


def test_a_closing_made_on_a_version_the_case_has_left_is_refused_naming_the_decision(
    app: App, desk: dict[str, Any]
) -> None:
    ref = desk["case"].ref
    decide(app, ref, "relevant", INTAKE_RELEVANT, by=desk["officer"])
    before = snapshot(app)

    with pytest.raises(DecidedMeanwhile) as refused:
        close(app, ref, expected_version=1)

    assert [(m.stage, m.outcome) for m in refused.value.meanwhile] == [("intake", "relevant")]
    assert snapshot(app) == before
    assert close(app, ref, expected_version=2).version == 3


def test_a_decision_shown_before_the_closing_is_refused_naming_it(app: App, desk: dict[str, Any]) -> None:
    ref = desk["case"].ref
    close(app, ref, by=desk["officer"])

    with pytest.raises(DecidedMeanwhile) as refused:
        decide(app, ref, "relevant", INTAKE_RELEVANT, expected_version=1)

    assert [(m.stage, m.outcome) for m in refused.value.meanwhile] == [("intake", "withdrawn")]


def test_the_outcomes_report_counts_an_exit_as_its_own_result(app: App, desk: dict[str, Any]) -> None:
    other = open_diagnosis(app, make_project(app, desk["org"]), desk["officer"])
    close(app, desk["case"].ref, "withdrawn")
    close(app, other.ref, "abandoned", reason="Cessation d'activité")

    with app.store.read() as conn:
        found = {r.result: r.cases for r in reports.outcomes(conn, now=app.clock.now())}

    assert found == {"withdrawn": 1, "abandoned": 1}


def test_a_closing_dated_before_the_stage_was_entered_is_refused(app: App, desk: dict[str, Any]) -> None:
    earlier = app.clock.now() - timedelta(days=1)
    with pytest.raises(Exception, match="before the case entered stage"), write(app, at=earlier) as tx:
        closing.close_case(tx, app.catalog, case=desk["case"].id, result="withdrawn", reason=REASON)
    assert case_row(app, desk["case"].id)["status"] == "open"


def test_the_funnel_counts_the_projects_that_stopped_through_an_exit_at_their_phase(
    app: App, desk: dict[str, Any]
) -> None:
    close(app, desk["case"].ref, "abandoned", reason="Cessation d'activité")
    open_diagnosis(app, make_project(app, desk["org"]), desk["officer"])  # still open: not counted

    with app.store.read() as conn:
        rows_ = {r.phase: r for r in reports.funnel(conn, now=app.clock.now())}

    assert (rows_["founded"].reached, rows_["founded"].exited) == (2, 1)
    assert sum(r.exited for r in rows_.values()) == 1
