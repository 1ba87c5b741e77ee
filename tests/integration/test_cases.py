"""Opening cases and recording decisions through the services, on SQLite and on PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from builders import (
    COMMITTEE_FAVOURABLE,
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
from pathways.errors import Conflict, FieldError, TransitionNotAllowed
from pathways.services.casework import cases, queries, recording, work
from pathways.services.casework.recording import values_digest
from pathways.services.casework.views import OpenedCase
from pathways.store.audit_verify import verify_chain
from pathways.store.core import AUDIT, CASE, ENTRY, JOB, NOTICE, PROJECT

PARIS = ZoneInfo("Europe/Paris")


def paris(year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=PARIS).astimezone(UTC)


def rows(app: App, query: Any) -> list[dict[str, Any]]:
    with app.store.read() as conn:
        return [dict(r) for r in conn.execute(query).mappings()]


def count(app: App, table: Any, *where: Any) -> int:
    with app.store.read() as conn:
        return int(conn.execute(select(func.count()).select_from(table).where(*where)).scalar_one())


def case_row(app: App, case_id: int) -> dict[str, Any]:
    return rows(app, select(CASE).where(CASE.c.id == case_id))[0]


def entries(app: App, case_id: int) -> list[dict[str, Any]]:
    return rows(app, select(ENTRY).where(ENTRY.c.case_id == case_id).order_by(ENTRY.c.seq))


def notices(app: App, entry_id: int) -> list[dict[str, Any]]:
    return rows(app, select(NOTICE).where(NOTICE.c.entry_id == entry_id).order_by(NOTICE.c.rule))


def audit_events(app: App, case_id: int, kind: str | None = None) -> list[dict[str, Any]]:
    query = select(AUDIT).where(AUDIT.c.case_id == case_id).order_by(AUDIT.c.seq)
    if kind is not None:
        query = query.where(AUDIT.c.kind == kind)
    return rows(app, query)


def snapshot(app: App, case_id: int) -> dict[str, Any]:
    """Everything a refused decision must leave as it was."""
    return {
        "case": case_row(app, case_id),
        "entries": entries(app, case_id),
        "notices": rows(app, select(NOTICE).order_by(NOTICE.c.id)),
        "audit": count(app, AUDIT),
        "outbox": count(app, JOB),
    }


@pytest.fixture
def officer_case(app: App) -> tuple[int, OpenedCase]:
    """An officer and a diagnosis case of theirs, just opened (8 July 2026, Paris)."""
    org = make_org(app)
    officer = make_person(app, org, name="Camille Martin")
    project = make_project(app, org)
    return officer, open_diagnosis(app, project, officer)


def walk_to_committee(app: App, case: OpenedCase, officer: int) -> None:
    decide(app, case.ref, "relevant", INTAKE_RELEVANT, by=officer)
    decide(app, case.ref, "accepted", DIAGNOSIS_ACCEPTED, by=officer)
    decide(app, case.ref, "validated", PLAN_VALIDATED, by=officer)


# Opening


def test_opening_a_diagnosis_starts_at_intake_with_a_reference_a_due_date_and_scheduled_notices(
    app: App, officer_case: tuple[int, OpenedCase]
) -> None:
    officer, opened = officer_case

    row = case_row(app, opened.id)
    (entry,) = entries(app, opened.id)
    planned = notices(app, entry["id"])

    assert opened.ref == row["ref"] == "DIAG-2026-0001"
    assert (row["stage"], row["status"], row["version"], row["officer_id"]) == ("intake", "open", 1, officer)
    assert row["due_at"] == opened.due_at == paris(2026, 7, 30, 23, 59, 59)
    assert (entry["seq"], entry["stage"], entry["left_at"]) == (1, "intake", None)
    assert row["current_entry_id"] == entry["id"]
    assert entry["due_at"] == row["due_at"]
    assert [(n["rule"], n["kind"], n["to_role"], n["status"]) for n in planned] == [
        ("escalate:0", "escalation", "officer", "pending"),
        ("escalate:1", "escalation", "manager", "pending"),
        ("remind:0", "reminder", "owner", "pending"),
        ("remind:1", "reminder", "officer", "pending"),
    ]
    assert planned[2]["due_at"] == paris(2026, 7, 16, 9)
    (opened_event,) = audit_events(app, opened.id)
    assert opened_event["kind"] == "case_opened"
    assert opened_event["actor_id"] == officer
    assert opened_event["effective_at"] == app.clock.now()
    steps = rows(app, select(JOB).where(JOB.c.case_id == opened.id))
    assert [(j["kind"], j["payload"]["step"]) for j in steps] == [("step", "render_document")]


def test_a_pathway_for_other_phases_refuses_to_open_and_consumes_no_reference(app: App) -> None:
    org = make_org(app)
    officer = make_person(app, org)
    idea = make_project(app, org, phase="idea")
    founded = make_project(app, org)

    with pytest.raises(TransitionNotAllowed, match="diagnosis is for projects at founded or consolidation"):
        open_diagnosis(app, idea, officer)

    assert count(app, CASE) == 0
    assert open_diagnosis(app, founded, officer).ref == "DIAG-2026-0001"


def test_references_are_gapless_per_prefix_and_per_year(app: App) -> None:
    org = make_org(app)
    officer = make_person(app, org)
    projects = [make_project(app, org) for _ in range(3)]

    refs = [open_diagnosis(app, p, officer).ref for p in projects]
    support = open_case(app, projects[0], officer, "ongoing_support").ref
    # A case opened next year: a write in the future, which only a simulation may make.
    simulation = App(
        settings=app.settings.model_copy(update={"simulation": True}), store=app.store, clock=app.clock
    )
    next_year = open_diagnosis(simulation, projects[1], officer, at=paris(2027, 1, 4, 10)).ref
    after = open_diagnosis(app, projects[2], officer).ref

    assert refs == ["DIAG-2026-0001", "DIAG-2026-0002", "DIAG-2026-0003"]
    assert support == "SUPP-2026-0001"
    assert next_year == "DIAG-2027-0001"
    assert after == "DIAG-2026-0004"


# Deciding


def test_a_valid_decision_moves_the_case_records_the_entry_and_audit_and_schedules_the_new_stage(
    app: App, officer_case: tuple[int, OpenedCase]
) -> None:
    officer, opened = officer_case
    first_entry = entries(app, opened.id)[0]
    left_notices = notices(app, first_entry["id"])
    decided_at = paris(2026, 7, 9, 14)

    decided = decide(app, opened.ref, "relevant", INTAKE_RELEVANT, by=officer, at=decided_at)

    assert (decided.left, decided.outcome, decided.entered, decided.result) == (
        "intake",
        "relevant",
        "shared_diagnosis",
        None,
    )
    row = case_row(app, opened.id)
    assert (row["stage"], row["status"], row["version"]) == ("shared_diagnosis", "open", 2)
    assert row["data"]["intake"]["salaried_jobs"] == 4
    left, entered = entries(app, opened.id)
    assert (left["left_at"], left["outcome"], left["decided_by"]) == (decided_at, "relevant", officer)
    assert left["values"] == {
        "met_on": "2026-07-08",
        "legal_form": "association",
        "salaried_jobs": 4,
        "request": "Consolider le modèle économique",
    }
    assert (entered["seq"], entered["stage"], entered["entered_at"], entered["left_at"]) == (
        2,
        "shared_diagnosis",
        decided_at,
        None,
    )
    assert row["current_entry_id"] == entered["id"]
    assert row["due_at"] == entered["due_at"] == decided.due_at
    # The stage left keeps its notices as they were: the sweep cancels them when they fall due.
    assert notices(app, first_entry["id"]) == left_notices
    assert {n["status"] for n in notices(app, entered["id"])} == {"pending"}
    assert len(notices(app, entered["id"])) == 4
    (decision,) = audit_events(app, opened.id, "decision")
    assert decision["actor_id"] == officer
    assert decision["effective_at"] == decided_at
    assert decision["recorded_at"] > decided_at
    assert decision["payload"]["stage"] == "intake"
    assert decision["payload"]["outcome"] == "relevant"
    assert decision["payload"]["entered"] == "shared_diagnosis"
    assert decision["payload"]["entry"] == first_entry["id"]
    assert "salaried_jobs" in decision["payload"]["fields"]
    assert "values" not in decision["payload"]  # typed data stays erasable, outside the chain
    assert decision["payload"]["values_digest"] == values_digest(
        app.audit_key, first_entry_values(app, first_entry["id"]), None
    )


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({k: v for k, v in INTAKE_RELEVANT.items() if k != "met_on"}, "met_on"),
        (INTAKE_RELEVANT | {"salaried_jobs": "quatre"}, "salaried_jobs"),
        (INTAKE_RELEVANT | {"met_on": "2026-02-30"}, "met_on"),
        (INTAKE_RELEVANT | {"legal_form": "sarl"}, "legal_form"),
    ],
    ids=["missing", "not-an-integer", "not-a-date", "not-a-choice"],
)
def test_a_missing_or_invalid_field_is_refused_naming_it_and_changes_nothing(
    app: App, officer_case: tuple[int, OpenedCase], values: dict[str, str], field: str
) -> None:
    officer, opened = officer_case
    before = snapshot(app, opened.id)

    with pytest.raises(FieldError) as refused:
        decide(app, opened.ref, "relevant", values, by=officer)

    assert refused.value.field == field
    assert f"field '{field}'" in str(refused.value)
    assert snapshot(app, opened.id) == before


def test_a_decision_with_a_stale_expected_version_is_a_conflict_and_changes_nothing(
    app: App, officer_case: tuple[int, OpenedCase]
) -> None:
    officer, opened = officer_case
    decide(app, opened.ref, "relevant", INTAKE_RELEVANT, by=officer, expected_version=1)
    before = snapshot(app, opened.id)

    with pytest.raises(Conflict, match="version 1, now 2"):
        decide(app, opened.ref, "declined", {"interviews": "2026-07-10", "reason": "x"}, expected_version=1)

    assert snapshot(app, opened.id) == before
    assert before["case"]["version"] == 2


# Decisions worked out before their write transaction (as the web records them)


def prepare(
    app: App, case: str, outcome: str, values: dict[str, Any], **kw: Any
) -> recording.PreparedDecision:
    with app.store.read() as conn:
        return cases.prepare_decision(
            conn, app.catalog, case=case, outcome=outcome, values=values, at=app.clock.now(), **kw
        )


def test_a_prepared_decision_writes_nothing_until_recorded_then_what_decide_would(
    app: App, officer_case: tuple[int, OpenedCase]
) -> None:
    officer, opened = officer_case
    before = snapshot(app, opened.id)

    prepared = prepare(app, opened.ref, "relevant", INTAKE_RELEVANT, expected_version=1)
    unchanged = snapshot(app, opened.id)
    decided = cases.record_decision(app, prepared, actor_id=officer)

    assert unchanged == before
    assert prepared.self_contained  # nothing but the case was read: written as prepared
    assert (decided.entered, decided.version) == ("shared_diagnosis", 2)
    row = case_row(app, opened.id)
    assert (row["stage"], row["version"], row["due_at"]) == ("shared_diagnosis", 2, decided.due_at)
    left, entered = entries(app, opened.id)
    assert (left["outcome"], left["decided_by"], left["left_at"]) == ("relevant", officer, prepared.at)
    assert entered["entered_at"] == prepared.at
    assert len(notices(app, entered["id"])) == 4
    (decision,) = audit_events(app, opened.id, "decision")
    assert (decision["actor_id"], decision["effective_at"]) == (officer, prepared.at)


REDIRECT = INTAKE_RELEVANT | {"redirected_to": "BGE", "redirect_reason": "other"}


@pytest.mark.parametrize(
    ("outcome", "values", "expected_version", "refusal", "match"),
    [
        # Written as prepared it would have left intake a second time; decided again, refused.
        ("relevant", INTAKE_RELEVANT, None, TransitionNotAllowed,
         "'relevant' is not an outcome of stage 'shared_diagnosis'"),
        ("not_relevant", REDIRECT, 1, Conflict, "version 1, now 2"),
    ],
    ids=["decided-again", "expected-version"],
)  # fmt: skip
def test_a_prepared_decision_is_decided_again_on_the_case_as_it_is_when_someone_decided_meanwhile(
    app: App,
    officer_case: tuple[int, OpenedCase],
    outcome: str,
    values: dict[str, Any],
    expected_version: int | None,
    refusal: type[Exception],
    match: str,
) -> None:
    officer, opened = officer_case
    prepared = prepare(app, opened.ref, outcome, values, expected_version=expected_version)
    decide(app, opened.ref, "relevant", INTAKE_RELEVANT, by=officer)  # the case moves on
    before = snapshot(app, opened.id)

    with pytest.raises(refusal, match=match):
        cases.record_decision(app, prepared, actor_id=officer)

    assert snapshot(app, opened.id) == before


def test_deciding_writes_when_its_block_ends_and_lets_other_writers_through_meanwhile(
    app: App, officer_case: tuple[int, OpenedCase]
) -> None:
    officer, opened = officer_case
    org = case_row(app, opened.id)["organisation_id"]
    other = open_diagnosis(app, make_project(app, org, name="Autre"), officer)

    with cases.deciding(app) as decision:
        decision.prepare(actor_id=officer, case=opened.ref, outcome="relevant", values=INTAKE_RELEVANT)
        pending = case_row(app, opened.id)
        # Another decision is written meanwhile: on SQLite the block holds no write lock.
        decide(app, other.ref, "relevant", INTAKE_RELEVANT, by=officer)

    assert (pending["stage"], pending["version"]) == ("intake", 1)  # nothing written in the block
    assert (decision.decided.entered, decision.decided.version) == ("shared_diagnosis", 2)
    assert case_row(app, opened.id)["stage"] == case_row(app, other.id)["stage"] == "shared_diagnosis"
    assert [e["actor_id"] for e in audit_events(app, opened.id, "decision")] == [officer]
    with app.store.read() as conn:  # both decisions chained, in the order they were written
        assert [r.ok for r in verify_chain(conn, key=app.audit_key)] == [True]


def test_deciding_never_loses_a_decision_written_on_the_same_case_meanwhile(
    app: App, officer_case: tuple[int, OpenedCase]
) -> None:
    officer, opened = officer_case

    def decide_while_the_same_decision_is_written() -> cases.Deciding:
        with cases.deciding(app) as decision:
            decision.prepare(actor_id=officer, case=opened.ref, outcome="relevant", values=INTAKE_RELEVANT)
            decide(app, opened.ref, "relevant", INTAKE_RELEVANT, by=officer)
        return decision

    # Without an expected version both databases decide again on the case as it is now (on
    # PostgreSQL, whose block is the write transaction, after it found the version moved and
    # rolled back): intake is left, so it is refused (services.conflict).
    with pytest.raises(TransitionNotAllowed, match="not an outcome of stage 'shared_diagnosis'"):
        decide_while_the_same_decision_is_written()

    assert len(entries(app, opened.id)) == 2  # intake left once
    assert case_row(app, opened.id)["version"] == 2
    assert len(audit_events(app, opened.id, "decision")) == 1
    with cases.deciding(app) as unfinished, pytest.raises(RuntimeError, match="when the `with deciding"):
        _ = unfinished.decided


def test_an_outcome_not_offered_changes_nothing(app: App, officer_case: tuple[int, OpenedCase]) -> None:
    officer, opened = officer_case
    before = snapshot(app, opened.id)

    with pytest.raises(TransitionNotAllowed, match="'accepted' is not an outcome of stage 'intake'"):
        decide(app, opened.ref, "accepted", DIAGNOSIS_ACCEPTED, by=officer)

    assert snapshot(app, opened.id) == before


def test_a_favourable_committee_hands_off_to_ongoing_support_exactly_once(
    app: App, officer_case: tuple[int, OpenedCase]
) -> None:
    officer, opened = officer_case
    walk_to_committee(app, opened, officer)

    decided = decide(app, opened.ref, "favourable", COMMITTEE_FAVOURABLE, by=officer)
    queued = rows(app, select(JOB).where(JOB.c.kind == "handoff"))
    first = work.run_pending(app)
    second = work.run_pending(app)

    assert (decided.result, decided.entered) == ("completed", None)
    assert len(queued) == 1
    assert decided.queued_work  # the web runs the work at once only when there is some
    assert queued[0]["payload"]["pathway"] == "ongoing_support"
    assert [r.status for r in first if r.key.startswith("handoff:")] == ["done"]
    assert not [r for r in second if r.key.startswith("handoff:")]
    children = rows(app, select(CASE).where(CASE.c.parent_id == opened.id))
    assert len(children) == 1
    child = children[0]
    parent = case_row(app, opened.id)
    assert (child["pathway_id"], child["stage"], child["status"]) == ("ongoing_support", "brief", "open")
    assert (child["project_id"], child["officer_id"]) == (parent["project_id"], officer)
    assert child["ref"] == "SUPP-2026-0001"
    assert (parent["status"], parent["result"], parent["stage"]) == ("closed", "completed", None)
    assert rows(app, select(JOB.c.status).where(JOB.c.kind == "handoff")) == [{"status": "done"}]
    assert count(app, CASE, CASE.c.pathway_id == "ongoing_support") == 1
    with app.store.read() as conn:
        shown = queries.show_case(conn, app.catalog, child["ref"])
    assert shown.parent == opened.ref
    assert shown.children == ()


def test_a_closed_case_refuses_further_decisions(app: App, officer_case: tuple[int, OpenedCase]) -> None:
    officer, opened = officer_case
    decide(
        app,
        opened.ref,
        "not_relevant",
        INTAKE_RELEVANT | {"redirected_to": "BGE", "redirect_reason": "other"},
    )
    before = snapshot(app, opened.id)

    with pytest.raises(TransitionNotAllowed, match="closed"):
        decide(app, opened.ref, "relevant", INTAKE_RELEVANT, by=officer)

    assert snapshot(app, opened.id) == before
    assert before["case"]["due_at"] is None
    assert {n["status"] for n in before["notices"]} == {"pending"}  # never sent: see test_sweep


# Lifecycle


BRIEF = {"brief_sent_on": "2026-07-08", "consultant": "Conseil Coop", "consultant_answer_on": "2026-07-13"}
MISSION = {"missions": "Étude de faisabilité", "consultant_days": "6", "reports": "Rapport final"}


def test_the_project_phase_follows_lifecycle_effects_with_an_audit_event(app: App) -> None:
    org = make_org(app)
    officer = make_person(app, org)
    make_person(app, org, name="Conseil Coop", role="resource")
    project = make_project(app, org, phase="idea", siret=None, legal_form=None)
    opened = open_case(app, project, officer, "ongoing_support")

    decide(app, opened.ref, "consultant_chosen", BRIEF, by=officer)
    decide(app, opened.ref, "done_to_founding", MISSION, by=officer)

    assert rows(app, select(PROJECT.c.phase).where(PROJECT.c.id == project)) == [{"phase": "emergence"}]
    (changed,) = audit_events(app, opened.id, "phase_changed")
    assert changed["payload"] == {"project": project, "from": "idea", "to": "emergence"}
    assert changed["actor_id"] == officer


def test_a_project_never_moves_back_in_its_lifecycle(app: App) -> None:
    org = make_org(app)
    officer = make_person(app, org)
    make_person(app, org, name="Conseil Coop", role="resource")
    project = make_project(app, org, phase="consolidation")
    opened = open_case(app, project, officer, "ongoing_support")

    decide(app, opened.ref, "consultant_chosen", BRIEF, by=officer)
    decide(app, opened.ref, "done_to_founding", MISSION, by=officer)

    assert rows(app, select(PROJECT.c.phase).where(PROJECT.c.id == project)) == [{"phase": "consolidation"}]
    assert audit_events(app, opened.id, "phase_changed") == []


# What is due


def test_due_lists_overdue_cases_first_and_filters_by_officer_and_organisation(app: App) -> None:
    paris_org = make_org(app, name="DLA de Paris")
    metz_org = make_org(app, name="DLA de Moselle", territory="FR-57")
    camille = make_person(app, paris_org, name="Camille Martin")
    hugo = make_person(app, paris_org, name="Hugo Bernard")
    lea = make_person(app, metz_org, name="Léa Dubois")
    old = open_diagnosis(app, make_project(app, paris_org), camille, at=paris(2026, 5, 4, 10))
    recent = open_diagnosis(app, make_project(app, paris_org), hugo, at=paris(2026, 6, 8, 10))
    metz = open_diagnosis(app, make_project(app, metz_org), lea, at=paris(2026, 6, 10, 10))
    fresh = open_diagnosis(app, make_project(app, paris_org), camille)  # due 30 July
    now = paris(2026, 6, 24, 12)

    with app.store.read() as conn:
        listed = queries.due(conn, now=now, within_days=7)
        later = queries.due(conn, now=now, within_days=60)
        by_camille = queries.due(conn, now=now, within_days=60, officer="Camille Martin")
        in_metz = queries.due(conn, now=now, within_days=60, org="DLA de Moselle")

    assert [(r.ref, r.overdue) for r in listed] == [(old.ref, True), (recent.ref, False)]
    assert listed[0].due_at < now < listed[1].due_at
    assert listed[0].officer == "Camille Martin"
    assert [r.ref for r in later] == [old.ref, recent.ref, metz.ref, fresh.ref]
    assert [r.ref for r in by_camille] == [old.ref, fresh.ref]
    assert [r.ref for r in in_metz] == [metz.ref]


def test_a_decided_case_leaves_the_due_list_of_its_old_stage(
    app: App, officer_case: tuple[int, OpenedCase]
) -> None:
    officer, opened = officer_case
    decide(app, opened.ref, "relevant", INTAKE_RELEVANT, by=officer)

    with app.store.read() as conn:
        soon = queries.due(conn, now=app.clock.now() + timedelta(days=30), within_days=0)
        much_later = queries.due(conn, now=app.clock.now() + timedelta(days=90), within_days=0)

    assert soon == []  # intake was due 30 July; shared diagnosis (40 business days) is not due yet
    assert [(r.ref, r.stage, r.overdue) for r in much_later] == [(opened.ref, "shared_diagnosis", True)]


def first_entry_values(app: App, entry_id: int) -> dict[str, Any]:
    """The values recorded on a stage entry, as stored."""
    with app.store.read() as conn:
        return dict(conn.execute(select(ENTRY.c["values"]).where(ENTRY.c.id == entry_id)).scalar_one())


def test_a_decision_says_whether_it_left_work_waiting(app: App, officer_case: tuple[int, OpenedCase]) -> None:
    officer, opened = officer_case
    waiting = JOB.c.kind.in_(("step", "handoff", "spawn")) & (JOB.c.status == "pending")
    said = []
    for outcome, values in (
        ("relevant", INTAKE_RELEVANT),
        ("accepted", DIAGNOSIS_ACCEPTED),
        ("validated", PLAN_VALIDATED),
    ):
        work.run_pending(app)  # nothing waits before the decision
        decided = decide(app, opened.ref, outcome, values, by=officer)
        said.append(decided.queued_work)
        assert decided.queued_work == (count(app, JOB, waiting) > 0), outcome
    assert set(said) == {True, False}  # both answers were checked
