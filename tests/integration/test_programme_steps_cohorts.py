"""The engine's part in the programmes of issue 24, on both databases: the lead a Fabrique à
initiatives finds becomes the project's owner, VISES starts the case's impact evaluation and its
result counts as a proven model's evidence, and incubation cohorts are read per organisation."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest
from sqlalchemy import select

from builders import decide, make_org, make_person, make_project, open_case
from pathways.bootstrap import App
from pathways.errors import NotFound, PathwaysError, RuleViolation
from pathways.services.casework import work
from pathways.services.casework.facts import DbFacts
from pathways.services.reporting import cohorts, impact
from pathways.services.tx import write
from pathways.store.core import AUDIT, JOB, PROJECT

NEED = {"need": "Mobilité des aîné·es", "raised_by": "residents"}
STUDY = {
    "solution": "Transport solidaire",
    "economic_model": "Cotisations",
    "study_completed_on": "2026-07-02",
}


def owner_of(app: App, project: int) -> int | None:
    with app.store.read() as conn:
        found: int | None = conn.execute(select(PROJECT.c.owner_id).where(PROJECT.c.id == project)).scalar()
        return found


def _to_lead_search(app: App) -> tuple[int, int, int, str]:
    """(organisation, officer, project, case ref) of a Fabrique at its lead search."""
    org = make_org(app)
    officer = make_person(app, org)
    project = make_project(app, org, phase="idea", siret=None, legal_form=None, permanent_jobs=0)
    ref = open_case(app, project, officer, "fabrique").ref
    decide(app, ref, "confirmed", NEED, by=officer)
    decide(app, ref, "opportunity_confirmed", STUDY, by=officer)
    work.run_pending(app)  # the project sheet for candidate leads
    return org, officer, project, ref


def test_the_lead_a_fabrique_finds_becomes_the_project_owner_through_an_audited_change(app: App) -> None:
    org, officer, project, ref = _to_lead_search(app)
    lead = make_person(app, org, role="owner", name="Lucas Moreau")
    assert owner_of(app, project) is None

    found = {"project_lead": "lucas-moreau", "lead_kind": "entrepreneur", "handed_over_on": "2026-07-08"}
    decided = decide(app, ref, "lead_found", found, by=officer)
    assert decided.entered == "feasibility"
    assert owner_of(app, project) is None  # the step runs after the decision commits
    results = work.run_pending(app)

    assert [(r.status, r.detail) for r in results if r.key.endswith(":lead_becomes_owner")] == [
        ("done", f"person {lead} now carries project {project}")
    ]
    assert owner_of(app, project) == lead
    with app.store.read() as conn:
        event = conn.execute(
            select(AUDIT.c.payload).where(AUDIT.c.kind == "project_updated", AUDIT.c.organisation_id == org)
        ).scalar_one()
    assert event["changes"] == {"owner_id": [None, lead]}


def test_a_file_that_names_the_step_without_recording_a_lead_sees_the_job_fail_with_why(app: App) -> None:
    from pathways.services.casework.programme_steps import lead_becomes_owner

    _org, _officer, project, _ref = _to_lead_search(app)
    with app.store.read() as conn:
        case_id, payload = conn.execute(
            select(JOB.c.case_id, JOB.c.payload).where(JOB.c.kind == "step")
        ).one()
    job: dict[str, Any] = {"case_id": case_id, "payload": payload}
    assert payload["stage"] == "lead_search"
    with (
        pytest.raises(PathwaysError, match="no project_lead recorded before stage lead_search"),
        write(app) as tx,
    ):
        lead_becomes_owner(app, tx, job)  # the lead search itself records no lead before it
    assert owner_of(app, project) is None


QUESTION = {
    "stakeholders": "Salarié·es;Habitant·es",
    "evaluative_question": "La régie crée-t-elle du lien social ?",
    "tool": "valoress",
    "collection_ends_on": "2026-12-01",
}
READY = {
    "pilot_since": "2024-09-01",
    "kit": "Guide",
    "economically_viable": "yes",
    "viability_evidence": "Comptes à l'équilibre",
}


@pytest.mark.parametrize(("result", "proven"), [("impact_shown", True), ("impact_not_shown", False)])
def test_an_evaluation_case_that_showed_the_impact_is_a_proven_models_evidence(
    app: App, result: str, proven: bool
) -> None:
    org = make_org(app)
    officer = make_person(app, org)
    project = make_project(app, org, phase="consolidation")
    swarm = open_case(app, project, officer, "swarming").ref
    ref = open_case(app, project, officer, "impact_evaluation").ref
    decide(app, ref, "question_chosen", QUESTION, by=officer)
    work.run_pending(app)
    with app.store.read() as conn:
        shown = impact.show(conn, ref)
    ((question, tool),) = [(e.question, e.tool) for e in shown.evaluations]
    assert (question, tool) == (QUESTION["evaluative_question"], "Valor'ESS")
    decide(app, ref, "collected", {"evidence": "Témoignages", "collected_on": "2026-07-08"}, by=officer)
    with write(app) as tx:
        assert DbFacts(tx.conn).has_impact_evaluation(project) is False  # still being evaluated
    with pytest.raises(RuleViolation, match="replication_readiness"):
        decide(app, swarm, "ready", READY, by=officer)

    values = {"findings": "Des liens durables", "report": "Rapport"}
    if proven:
        values["communication_plan"] = "Assemblée générale, site web"
    decide(app, ref, result, values, by=officer)

    with write(app) as tx:
        assert DbFacts(tx.conn).has_impact_evaluation(project) is proven
    if proven:
        assert decide(app, swarm, "ready", READY, by=officer).entered == "model_choice"
    else:
        with pytest.raises(RuleViolation, match="replication_readiness"):
            decide(app, swarm, "ready", READY, by=officer)


def test_another_projects_evaluation_proves_nothing_for_this_one(app: App) -> None:
    org = make_org(app)
    officer = make_person(app, org)
    evaluated, other = (make_project(app, org, phase="consolidation") for _ in range(2))
    ref = open_case(app, evaluated, officer, "impact_evaluation").ref
    decide(app, ref, "question_chosen", QUESTION, by=officer)
    decide(app, ref, "collected", {"evidence": "Témoignages", "collected_on": "2026-07-08"}, by=officer)
    values = {"findings": "Des liens", "report": "Rapport", "communication_plan": "AG"}
    decide(app, ref, "impact_shown", values, by=officer)
    with write(app) as tx:
        assert (
            DbFacts(tx.conn).has_impact_evaluation(evaluated),
            DbFacts(tx.conn).has_impact_evaluation(other),
        ) == (
            True,
            False,
        )


# Cohorts ---------------------------------------------------------------------------------------


def _incubatee(app: App, org: int, officer: int, name: str, cohort: dict[str, str] | None) -> str:
    project = make_project(app, org, name=name, phase="idea", siret=None, legal_form=None, permanent_jobs=0)
    ref = str(open_case(app, project, officer, "incubation").ref)
    decide(app, ref, "applies", {"application_due": "2026-07-20"}, by=officer)
    decide(
        app,
        ref,
        "submitted",
        {"application_received_on": "2026-07-08", "jury_date": "2026-07-15"},
        by=officer,
    )
    if cohort is not None:
        decide(app, ref, "accepted", cohort, by=officer)
    return ref


SPRING = {"cohort": "Promotion Printemps", "cohort_start": "2026-09-01", "cohort_end": "2027-05-28"}


def test_cohorts_group_their_members_per_organisation_whatever_the_spelling(app: App) -> None:
    ours, theirs = make_org(app, name="Incubateur A"), make_org(app, name="Incubateur B")
    officer, other_officer = make_person(app, ours), make_person(app, theirs)
    a = _incubatee(app, ours, officer, "Projet A", SPRING)
    b = _incubatee(app, ours, officer, "Projet B", SPRING | {"cohort": "  promotion   printemps "})
    late = _incubatee(
        app, ours, officer, "Projet C", SPRING | {"cohort": "Promotion-Printemps", "cohort_end": "2027-06-30"}
    )
    waiting = _incubatee(app, ours, officer, "Projet D", None)  # at the jury: in no cohort yet
    _incubatee(app, theirs, other_officer, "Projet E", SPRING)  # the same name elsewhere: another cohort
    now = datetime(2026, 7, 8, 8, tzinfo=UTC)

    with app.store.read() as conn:
        mine = cohorts.list_cohorts(conn, app.catalog, orgs={ours}, lang="fr", now=now)
        both = cohorts.list_cohorts(conn, app.catalog, orgs={ours, theirs}, lang="fr", now=now)
        found = cohorts.find_cohort(conn, app.catalog, "promotion-printemps", orgs={ours}, lang="nl", now=now)
        with pytest.raises(NotFound, match="no cohort"):
            cohorts.find_cohort(
                conn, app.catalog, "Promotion Printemps", orgs={ours}, org=theirs, lang="fr", now=now
            )

    (cohort,) = mine
    assert (cohort.key, cohort.name, cohort.organisation_id) == (
        "promotion-printemps",
        "Promotion Printemps",
        ours,
    )
    assert [m.ref for m in cohort.members] == [a, b, late]
    assert waiting not in {m.ref for m in cohort.members}
    assert (cohort.start, cohort.end, cohort.dates_differ) == (date(2026, 9, 1), date(2027, 6, 30), True)
    assert [(c.organisation_id, len(c.members)) for c in both] == [(ours, 3), (theirs, 1)]
    assert {m.stage_title for m in found.members} == {"Incubatie in een lichting"}
    assert (found.in_progress, found.launched, found.stopped) == (3, 0, 0)
