"""A withdrawal at each stage of each shipped pathway closes the case with its reason (both databases).

Each case is walked to its stage through real decisions, then closed through an exit; the
history, the audit and the stage entry say which stage it left, through which exit and why.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select

from builders import decide, make_org, make_person, make_project, open_case
from pathways.bootstrap import App
from pathways.services.casework import closing, queries
from pathways.services.tx import write
from pathways.store.audit_verify import verify_chain
from pathways.store.core import AUDIT, ENTRY
from programme_routes import PROGRAMME_DETOURS, PROGRAMME_PHASES, PROGRAMME_ROUTES

# From the first stage, the decisions that reach each later stage, in order: (stage, outcome, values).
# "{person}" stands for a person of the organisation (consultant, resource person).
ROUTES: dict[str, list[tuple[str, str, dict[str, str]]]] = {
    "diagnosis": [
        (
            "intake",
            "relevant",
            {
                "met_on": "2026-07-01",
                "legal_form": "association",
                "salaried_jobs": "3",
                "request": "Modèle économique",
            },
        ),
        (
            "shared_diagnosis",
            "accepted",
            {"interviews": "2026-07-02", "validated_on": "2026-07-03", "priority_issues": "Gouvernance"},
        ),
        ("support_plan", "validated", {"committee_date": "2026-09-15"}),
        ("committee", "unfavourable", {"opinion_on": "2026-07-07", "reasons": "Budget à préciser"}),
        ("after_opinion", "", {}),
    ],
    "ongoing_support": [
        ("brief", "consultant_chosen", {"brief_sent_on": "2026-07-01", "consultant": "{person}"}),
        (
            "mission",
            "done_to_founding",
            {"missions": "Étude de faisabilité", "consultant_days": "4", "reports": "Rapport"},
        ),
        ("founding", "founded", {"country": "fr", "siret": "40000001400011", "founded_on": "2026-07-06"}),
        (
            "follow_up",
            "new_needs",
            {"jobs_created": "1", "jobs_kept": "2", "financial_health": "stable", "new_needs": "RH"},
        ),
        ("plan_update", "", {}),
    ],
    "consulting_mission": [
        (
            "planning",
            "planned",
            {
                "consultant": "{person}",
                "planned_days": "4",
                "window_start": "2026-07-09",
                "window_end": "2026-08-31",
            },
        ),
        ("delivery", "", {}),
    ],
    "peer_transfer": [
        (
            "request",
            "eligible",
            {
                "beneficiary_role": "salaried_director",
                "network": "PTCE Lyon",
                "requested_resource_person": "{person}",
                "topics": "governance",
                "reason": "Gouvernance partagée",
            },
        ),
        (
            "matching",
            "accepted",
            {
                "resource_person": "{person}",
                "resource_employer": "Régie",
                "framed_questions": "A;B;C",
                "accepted_on": "2026-07-02",
            },
        ),
        ("validation", "validated", {"validated_on": "2026-07-03", "outside_usual_business": "yes"}),
        ("transfer", "done", {"transfer_days": "2026-07-06", "half_days": "2", "agenda": "Gouvernance"}),
        ("review", "", {}),
    ],
    "swarming": [
        (
            "codify",
            "ready",
            {
                "pilot_since": "2024-01-01",
                "kit": "Guide",
                "economically_viable": "yes",
                "viability_evidence": "Comptes à l'équilibre",
                "impact_evidence": "Témoignages, rapport",
            },
        ),
        (
            "model_choice",
            "chosen",
            {"trigger": "project_driven", "variant": "soft_swarming", "charter": "Charte du réseau"},
        ),
        ("territory_scan", "go", {"territories_scanned": "Nord", "territories_go": "Nord"}),
        ("carrier_selection", "selected", {"carriers": "Régie Nord"}),
        ("founding", "created", {"carriers_created": "Régie Nord"}),
        ("labelling", "granted", {"label_name": "Régies de quartier", "decided_on": "2026-07-07"}),
        ("network_follow_up", "", {}),
    ],
}
# Stages off the main route: where the decision at `via` leads instead.
DETOURS = {
    ("swarming", "dissemination"): ("model_choice", "dissemination", {"trigger": "need_driven"}),
    ("swarming", "external_growth"): ("model_choice", "external_growth", {"trigger": "project_driven"}),
}
PHASES = {"ongoing_support": "idea", "swarming": "consolidation", "consulting_mission": "founded"}
# The programmes of issue 24 (Fabrique à initiatives, incubation, VISES, ACES).
ROUTES |= PROGRAMME_ROUTES
DETOURS |= PROGRAMME_DETOURS
PHASES |= PROGRAMME_PHASES


def every_stage() -> list[tuple[str, str]]:
    found = [(pathway, stage) for pathway, route in ROUTES.items() for stage, _, _ in route]
    return found + list(DETOURS)


def test_the_routes_cover_every_stage_of_every_pathway(app: App) -> None:
    covered = set(every_stage())
    assert covered == {(spec.id, stage.id) for spec in app.catalog.latest() for stage in spec.stages}


def walk(app: App, pathway: str, stage: str, person: int, ref: str) -> None:
    detour = DETOURS.get((pathway, stage))
    for at, outcome, values in ROUTES[pathway]:
        if detour is not None and at == detour[0]:
            decide(app, ref, detour[1], detour[2])
            return
        if at == stage:
            return
        decide(app, ref, outcome, {k: v.replace("{person}", str(person)) for k, v in values.items()})


@pytest.mark.parametrize(("pathway", "stage"), every_stage())
def test_a_withdrawal_at_each_stage_closes_the_case_with_its_reason(
    app: App, pathway: str, stage: str
) -> None:
    org = make_org(app)
    officer = make_person(app, org)
    person = make_person(app, org, role="resource")
    project = make_project(app, org, phase=PHASES.get(pathway, "founded"), siret=None)
    ref = open_case(app, project, officer, pathway).ref
    walk(app, pathway, stage, person, ref)
    reason = f"La structure se retire à l'étape {stage}."

    with write(app, actor_id=officer) as tx:
        closed = closing.close_case(tx, app.catalog, case=ref, result="withdrawn", reason=reason)

    assert (closed.left, closed.result) == (stage, "withdrawn")
    with app.store.read() as conn:
        shown = queries.show_case(conn, app.catalog, ref)
        last = (
            conn.execute(
                select(ENTRY).where(ENTRY.c.case_id == closed.case_id).order_by(ENTRY.c.seq.desc()).limit(1)
            )
            .mappings()
            .one()
        )
        event = conn.execute(
            select(AUDIT.c.payload)
            .where(AUDIT.c.case_id == closed.case_id)
            .order_by(AUDIT.c.seq.desc())
            .limit(1)
        ).scalar_one()
        assert all(report.ok for report in verify_chain(conn, key=app.audit_key))
    assert (shown.status, shown.result, shown.result_label) == (
        "closed", "withdrawn", "Withdrawn by the structure"
    )  # fmt: skip
    assert (last["stage"], last["outcome"], last["note"]) == (stage, "withdrawn", reason)
    assert (event["stage"], event["result"], event["exit"]) == (stage, "withdrawn", True)


def test_a_transfer_that_never_takes_place_closes_through_its_own_exit(app: App) -> None:
    org = make_org(app)
    officer = make_person(app, org)
    person = make_person(app, org, role="resource")
    ref = open_case(app, make_project(app, org, siret=None), officer, "peer_transfer").ref
    walk(app, "peer_transfer", "transfer", person, ref)

    with write(app, actor_id=officer) as tx:
        closed = closing.close_case(
            tx,
            app.catalog,
            case=ref,
            result="transfer_not_held",
            reason="La personne ressource a quitté son poste",
        )

    with app.store.read() as conn:
        shown = queries.show_case(conn, app.catalog, ref, lang="fr")
    assert (closed.left, shown.result_label) == ("transfer", "Transfert non réalisé")
