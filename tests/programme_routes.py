"""Routes through the pathways of issue 24 (Fabrique à initiatives, incubation, VISES, ACES),
for the tests that walk a case to each stage of each shipped pathway
(tests/integration/test_exit_at_every_stage.py).

From the first stage, the decisions that reach each later stage, in order: (stage, outcome,
values); "{person}" stands for a person of the organisation. Detours reach the stages off the
main route; phases are the lifecycle phase each pathway's project starts at.
"""

from __future__ import annotations

PROGRAMME_ROUTES: dict[str, list[tuple[str, str, dict[str, str]]]] = {
    "fabrique": [
        ("need_detection", "confirmed", {"need": "Mobilité des aîné·es", "raised_by": "residents"}),
        (
            "opportunity_study",
            "opportunity_confirmed",
            {
                "solution": "Transport solidaire",
                "economic_model": "Cotisations",
                "study_completed_on": "2026-07-02",
            },
        ),
        (
            "lead_search",
            "lead_found",
            {"project_lead": "{person}", "lead_kind": "entrepreneur", "handed_over_on": "2026-07-03"},
        ),
        ("feasibility", "feasible", {"business_plan_validated_on": "2026-07-04"}),
        ("creation_support", "", {}),
    ],
    "incubation": [
        ("info_session", "applies", {"application_due": "2026-07-20"}),
        ("application", "submitted", {"application_received_on": "2026-07-02", "jury_date": "2026-07-15"}),
        (
            "jury",
            "accepted",
            {"cohort": "Promotion 2026", "cohort_start": "2026-09-01", "cohort_end": "2027-06-30"},
        ),
        ("incubation", "", {}),
    ],
    "impact_evaluation": [
        (
            "state_of_play",
            "question_chosen",
            {
                "stakeholders": "Salarié·es;Habitant·es",
                "evaluative_question": "L'activité crée-t-elle du lien social ?",
                "tool": "vises",
                "collection_ends_on": "2026-12-01",
            },
        ),
        ("data_collection", "collected", {"evidence": "Témoignages", "collected_on": "2026-07-03"}),
        ("analysis", "", {}),
    ],
    "cooperation": [
        (
            "emergence",
            "formalise",
            {"purpose": "joint_bid", "shared_need": "Marchés publics", "agreement_due": "2026-08-01"},
        ),
        (
            "formalisation",
            "agreed",
            {
                "agreement": "convention",
                "group_legal_form": "none",
                "signed_on": "2026-07-02",
                "first_action_due": "2026-09-01",
            },
        ),
        (
            "first_action",
            "held",
            {"action": "Offre commune", "held_on": "2026-07-03", "review_date": "2026-10-01"},
        ),
        ("review", "", {}),
    ],
    "aces_support": [
        (
            "orientation",
            "creation",
            {"request": "Créer", "hours_spent": "2", "creation_kind": "new_enterprise"},
        ),
        (
            "creation_support",
            "founded",
            {
                "hours_spent": "10",
                "bce": "0403170701",
                "legal_form": "sc_cv",
                "founded_on": "2026-07-02",
                "jobs_created": "1",
            },
        ),
        ("follow_up", "", {}),
    ],
}
PROGRAMME_DETOURS: dict[tuple[str, str], tuple[str, str, dict[str, str]]] = {
    ("incubation", "pre_incubation"): (
        "jury",
        "pre_incubation",
        {"pre_incubation_end": "2026-10-01", "to_work_on": "Le modèle économique"},
    ),
    ("aces_support", "consultancy"): (
        "orientation",
        "consultancy",
        {"request": "Conseil", "hours_spent": "1"},
    ),
}
PROGRAMME_PHASES = {"fabrique": "idea", "incubation": "idea", "aces_support": "idea"}
