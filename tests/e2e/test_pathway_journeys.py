"""Each pathway walked through the `pathways` command, from its first stage to every one of its ends.

One installation per module (`pathways init`, then people and projects), copied for each
test; a journey forks its database where its branches part, and the branches run side by
side. Each end is checked in what `case decide --json` says, in `case history --json`
(decisions, loops, lifecycle phase changes) and in the database (`project list --json`, or
the SQLite file directly for the forks).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from cli_home import (
    CONSULTANT,
    OFFICER,
    OTHER_RESOURCE,
    PROJECTS,
    RESOURCE,
    Home,
    branches,
    decisions,
    fresh_copy,
    phases,
    seed,
    sets,
)

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Home:
    home = Home(tmp_path_factory.mktemp("journeys-template"))
    seed(home)
    return home


@pytest.fixture
def home(template: Home, tmp_path: Path) -> Home:
    return fresh_copy(template, tmp_path)


def phase_of(home: Home, project: str) -> str:
    ((phase,),) = home.query("SELECT phase FROM project WHERE name = ?", project)
    return str(phase)


def project_phases(home: Home) -> dict[str, str]:
    """Each project's lifecycle phase, as `project list --json` gives it."""
    return {p["name"]: p["phase"] for p in home.ok("project", "list", "--json").json()}


def ends_with(home: Home, ref: str, expected: list[tuple[str, str, str | None]]) -> list[dict[str, Any]]:
    """The case's history through the command, checked against the expected decisions."""
    history = home.history(ref)
    assert decisions(history) == expected
    return history


# Diagnosis ---------------------------------------------------------------------------------------

INTAKE = {
    "met_on": "2026-07-08",
    "legal_form": "association",
    "salaried_jobs": "4",
    "request": "Consolider le modèle",
}
ACCEPTED = {
    "interviews": "2026-07-10;2026-07-17",
    "validated_on": "2026-07-20",
    "priority_issues": "Gouvernance",
}


def plan(committee: str) -> dict[str, str]:
    return {"board_approval": "yes", "board_approval_on": "2026-07-22", "committee_date": committee}


def test_diagnosis_reaches_each_end_and_a_favourable_committee_hands_off_to_ongoing_support(
    home: Home, tmp_path: Path
) -> None:
    project = PROJECTS["diagnosis"]
    ref = home.open(home.project("diagnosis"), "diagnosis", OFFICER, now="2026-07-08T10:00")

    def redirected(fork: Home) -> None:
        values = INTAKE | {
            "legal_form": "other",
            "redirected_to": "France Active",
            "redirect_reason": "other",
        }
        assert fork.decide(ref, "not_relevant", values, now="2026-07-09T10:00")["result"] == "redirected"
        ends_with(fork, ref, [("intake", "not_relevant", "redirected")])
        assert phase_of(fork, project) == "founded"

    def declined(fork: Home) -> None:
        values = {"interviews": "2026-07-10", "reason": "Pas le moment"}
        assert fork.decide(ref, "declined", values, now="2026-07-20T10:00")["result"] == "declined"
        ends_with(
            fork,
            ref,
            [("intake", "relevant", "shared_diagnosis"), ("shared_diagnosis", "declined", "declined")],
        )

    def unfavourable(fork: Home, then: str, values: dict[str, str], result: str) -> None:
        # The committee is consultative (S4, S5): its opinion is recorded, the officer decides.
        opinion = {"opinion_on": "2026-09-15", "reasons": "Projet non prioritaire"}
        assert fork.decide(ref, "unfavourable", opinion, now="2026-09-15T18:00")["entered"] == "after_opinion"
        decided = fork.decide(ref, then, values, now="2026-09-17T10:00")
        assert decided["result"] == result
        assert decisions(fork.history(ref))[-2:] == [
            ("committee", "unfavourable", "after_opinion"),
            ("after_opinion", then, result),
        ]
        children = fork.show(ref)["children"]
        assert [c["pathway"] for c in children] == (["ongoing_support"] if then == "go_ahead" else [])

    def internal_only(fork: Home) -> None:
        # A plan of internal actions and referrals only ends without committee or consultant (S25).
        values = {"internal_actions": "Tableau de bord mensuel", "plan_validated_on": "2026-07-21"}
        assert fork.decide(ref, "internal_only", values, now="2026-07-21T10:00")["result"] == "plan_delivered"
        assert fork.show(ref)["children"] == []

    def withdrawn(fork: Home) -> None:
        reason = "La structure suspend la démarche"
        closed = fork.ok(
            "case", "close", ref, "withdrawn", "--reason", reason, "--json", now="2026-07-21T10:00"
        )
        assert (closed.json()["left"], closed.json()["result"]) == ("support_plan", "withdrawn")
        assert decisions(fork.history(ref))[-1] == ("support_plan", "withdrawn", "withdrawn")
        assert fork.show(ref)["entries"][-1]["note"] == reason

    with branches() as forks:
        forks.start(redirected, home.fork(tmp_path / "redirected"))
        home.decide(ref, "relevant", INTAKE, now="2026-07-09T14:30")
        forks.start(declined, home.fork(tmp_path / "declined"))
        home.decide(ref, "accepted", ACCEPTED, now="2026-07-20T11:00")
        forks.start(internal_only, home.fork(tmp_path / "internal_only"))
        forks.start(withdrawn, home.fork(tmp_path / "withdrawn"))
        revised = home.decide(
            ref, "revise", {"revision_reason": "Chiffrer les actions"}, now="2026-07-21T09:00"
        )
        assert revised["entered"] == "support_plan"
        home.decide(ref, "validated", plan("2026-09-15"), now="2026-07-22T17:00")
        go = {"decision_reason": "Le comité ignorait le nouveau financement"}
        stop = {"reason": "Priorité donnée à un autre dispositif"}
        forks.start(unfavourable, home.fork(tmp_path / "go_ahead"), "go_ahead", go, "completed")
        forks.start(unfavourable, home.fork(tmp_path / "not_pursued"), "not_pursued", stop, "not_pursued")
        looped = home.decide(
            ref,
            "with_reservations",
            {"opinion_on": "2026-09-15", "reservations": "Budget"},
            now="2026-09-15T18:00",
        )
        assert looped["entered"] == "support_plan"
        home.decide(ref, "validated", plan("2026-10-13"), now="2026-09-20T10:00")
        favourable = home.decide(ref, "favourable", {"opinion_on": "2026-10-13"}, now="2026-10-13T18:00")

    assert favourable["result"] == "completed"
    assert any(w["key"].startswith("handoff:") and w["status"] == "done" for w in favourable["work"])
    (child,) = home.show(ref)["children"]
    assert (child["pathway"], child["stage"], child["status"]) == ("ongoing_support", "brief", "open")
    handed = home.show(child["ref"])
    assert handed["parent"] == ref
    assert handed["project"]["name"] == project
    history = ends_with(
        home,
        ref,
        [
            ("intake", "relevant", "shared_diagnosis"),
            ("shared_diagnosis", "accepted", "support_plan"),
            ("support_plan", "revise", "support_plan"),
            ("support_plan", "validated", "committee"),
            ("committee", "with_reservations", "support_plan"),
            ("support_plan", "validated", "committee"),
            ("committee", "favourable", "completed"),
        ],
    )
    assert phases(history) == []  # a diagnosis does not move the project along its lifecycle
    rendered = [e["details"]["stage"] for e in history if e["kind"] == "document_rendered"]
    assert rendered == [
        "intake",
        "support_plan",
        "committee",
        "committee",
    ]  # the loops re-render only what changed
    assert project_phases(home)[project] == "founded"


# Ongoing support ----------------------------------------------------------------------------------

BRIEF = {"brief_sent_on": "2026-07-16", "consultant": CONSULTANT, "consultant_answer_on": "2026-07-21"}
MISSIONS = {"missions": "Étude de marché;Montage juridique", "consultant_days": "4", "reports": "Rapport"}
FOUNDED_SIRET = "44306184100047"
FOLLOW_UP = {"jobs_created": "2", "jobs_kept": "1", "financial_health": "stable"}


def test_ongoing_support_runs_parallel_missions_loops_back_on_new_needs_and_founds_the_project(
    home: Home, tmp_path: Path
) -> None:
    project = PROJECTS["ongoing_support"]
    ref = home.open(home.project("ongoing_support"), "ongoing_support", OFFICER, now="2026-07-08T10:00")

    def missions(children: list[dict[str, Any]]) -> None:
        first, second = (c["ref"] for c in children)
        window = {"consultant": CONSULTANT, "planned_days": "4", "window_start": "2026-07-27"}
        home.decide(first, "planned", window | {"window_end": "2026-08-28"}, now="2026-07-23T10:00")
        home.decide(first, "replan", {"replan_reason": "Consultant indisponible"}, now="2026-08-20T10:00")
        home.decide(first, "planned", window | {"window_end": "2026-09-30"}, now="2026-08-21T10:00")
        done = home.decide(
            first, "done", {"days_delivered": "4", "report": "Étude livrée"}, now="2026-09-25T10:00"
        )
        assert done["result"] == "done"
        assert (
            home.decide(second, "cancelled", {"reason": "Inutile"}, now="2026-07-24T10:00")["result"]
            == "cancelled"
        )
        assert decisions(home.history(first)) == [
            ("planning", "planned", "delivery"),
            ("delivery", "replan", "planning"),
            ("planning", "planned", "delivery"),
            ("delivery", "done", "done"),
        ]

    def abandoned(fork: Home) -> None:
        result = fork.decide(ref, "abandoned", {"reason": "Pas de local"}, now="2026-10-01T10:00")
        assert result["result"] == "abandoned"
        assert phases(fork.history(ref)) == [("idea", "emergence")]
        assert phase_of(fork, project) == "emergence"

    def founding_support(fork: Home) -> None:
        # An incubatee needs no consulting brief: its support is the founding itself.
        entered = fork.decide(
            ref, "founding_support", {"brief_sent_on": "2026-07-08"}, now="2026-07-09T10:00"
        )
        assert entered["entered"] == "founding"
        assert phase_of(fork, project) == "emergence"

    def withdrawn_during_the_mission(fork: Home) -> None:
        reason = "La structure met fin à l'accompagnement"
        closed = fork.ok(
            "case", "close", ref, "withdrawn", "--reason", reason, "--json", now="2026-08-01T10:00"
        )
        assert closed.json()["left"] == "mission"
        assert sorted(closed.json()["children_open"]) == sorted(c["ref"] for c in fork.show(ref)["children"])
        assert [c["status"] for c in fork.show(ref)["children"]] == ["open", "open"]  # left as they are

    reissue = {"brief_sent_on": "2026-07-08", "reissue_reason": "Aucune réponse"}
    with branches() as forks:
        forks.start(founding_support, home.fork(tmp_path / "founding_support"))
    reissued = home.decide(ref, "reissue", reissue, now="2026-07-16T10:00")
    assert reissued["entered"] == "brief"
    chosen = home.decide(
        ref, "consultant_chosen", BRIEF | {"parallel_missions": "Étude de marché;Montage juridique"},
        now="2026-07-22T10:00",
    )  # fmt: skip
    assert any(w["key"].startswith("spawn:") and w["detail"].count("MISS-") == 2 for w in chosen["work"])
    children = home.show(ref)["children"]
    assert [(c["pathway"], c["stage"]) for c in children] == [("consulting_mission", "planning")] * 2
    with branches() as forks:
        forks.start(withdrawn_during_the_mission, home.fork(tmp_path / "withdrawn"))
    parent_project = home.query('SELECT project_id FROM "case" WHERE ref = ?', ref)
    assert home.query('SELECT DISTINCT project_id FROM "case" WHERE parent_id IS NOT NULL') == parent_project
    missions(children)  # the missions run their own course, each with its own deadline
    assert [c["status"] for c in home.show(ref)["children"]] == ["closed", "closed"]

    replan = {"missions": MISSIONS["missions"], "replan_reason": "Étude prolongée"}
    assert home.decide(ref, "replan", replan, now="2026-09-26T10:00")["entered"] == "mission"
    home.decide(ref, "done_to_founding", MISSIONS, now="2026-09-28T10:00")
    with branches() as forks:
        forks.start(abandoned, home.fork(tmp_path / "abandoned"))
        # The emergence project gets its own SIRET: the diagnosis project of the seed holds SIRET.
        founded = {"country": "fr", "siret": FOUNDED_SIRET, "founded_on": "2026-10-05"}
        assert home.decide(ref, "founded", founded, now="2026-10-06T10:00")["entered"] == "follow_up"
        again = home.decide(ref, "new_needs", FOLLOW_UP | {"new_needs": "Recruter"}, now="2026-10-20T10:00")
        assert again["entered"] == "plan_update"  # back to the support plan, then a new brief
        updated = home.decide(ref, "new_brief", {"plan_updated_on": "2026-10-20"}, now="2026-10-20T11:00")
        assert updated["entered"] == "brief"
        brief = BRIEF | {"brief_sent_on": "2026-10-21", "consultant_answer_on": "2026-10-23"}
        home.decide(ref, "consultant_chosen", brief, now="2026-10-24T10:00")
        home.decide(ref, "done", MISSIONS, now="2026-11-10T10:00")
        closed = home.decide(ref, "closed", FOLLOW_UP, now="2026-11-20T10:00")

    assert closed["result"] == "completed"
    history = ends_with(
        home,
        ref,
        [
            ("brief", "reissue", "brief"),
            ("brief", "consultant_chosen", "mission"),
            ("mission", "replan", "mission"),
            ("mission", "done_to_founding", "founding"),
            ("founding", "founded", "follow_up"),
            ("follow_up", "new_needs", "plan_update"),
            ("plan_update", "new_brief", "brief"),
            ("brief", "consultant_chosen", "mission"),
            ("mission", "done", "follow_up"),
            ("follow_up", "closed", "completed"),
        ],
    )
    assert phases(history) == [("idea", "emergence"), ("emergence", "founded"), ("founded", "consolidation")]
    assert project_phases(home)[project] == "consolidation"
    assert home.show(ref)["data"]["founding"]["siret"] == FOUNDED_SIRET
    assert len(home.show(ref)["children"]) == 2  # the second brief listed no parallel mission


# Peer transfer ------------------------------------------------------------------------------------

REQUEST = {
    "beneficiary_role": "salaried_director",
    "network": "PTCE Lyon Sud",
    "requested_resource_person": RESOURCE,
    "topics": "governance;hr",
    "reason": "Refonder la gouvernance",
}


def accepted(resource: str) -> dict[str, str]:
    return {
        "resource_person": resource,
        "resource_employer": "Régie de quartier Lyon 8e",
        "framed_questions": "Quel bureau ?;Quelle délégation ?;Quels outils ?",
        "accepted_on": "2026-07-09",
    }


def test_peer_transfer_rematches_until_a_resource_person_accepts_then_completes(
    home: Home, tmp_path: Path
) -> None:
    project = PROJECTS["peer_transfer"]
    ref = home.open(home.project("peer_transfer"), "peer_transfer", OFFICER, now="2026-07-01T10:00")

    def not_eligible(fork: Home) -> None:
        values = REQUEST | {"reason_not_eligible": "Structure sans salarié de direction"}
        assert fork.decide(ref, "not_eligible", values, now="2026-07-02T10:00")["result"] == "not_eligible"
        ends_with(fork, ref, [("request", "not_eligible", "not_eligible")])

    def refused(fork: Home) -> None:
        result = fork.decide(ref, "refused", {"refusal_reason": "Budget épuisé"}, now="2026-07-15T10:00")
        assert result["result"] == "refused"
        assert decisions(fork.history(ref))[-1] == ("validation", "refused", "refused")

    def not_held(fork: Home) -> None:
        reason = "La personne ressource a quitté sa structure"
        fork.ok("case", "close", ref, "transfer_not_held", "--reason", reason, now="2026-09-01T10:00")
        assert fork.show(ref)["result_label"] == "Transfer did not take place"
        assert decisions(fork.history(ref))[-1] == ("transfer", "transfer_not_held", "transfer_not_held")

    with branches() as forks:
        forks.start(not_eligible, home.fork(tmp_path / "not_eligible"))
        legal = home.run("case", "decide", ref, "eligible", *sets(REQUEST | {"topics": "governance;legal"}))
        assert legal.code == 4  # legal questions are not a TSF topic (S7): refused with the reason
        assert "rule 'transfer_topics_allowed'" in legal.err
        assert "lawyer" in legal.err
        home.decide(ref, "eligible", REQUEST, now="2026-07-02T10:00")
        declined = home.decide(ref, "declined", {"declined_by": RESOURCE, "declined_reason": "Agenda"},
                               now="2026-07-06T10:00")  # fmt: skip
        assert declined["entered"] == "matching"
        home.decide(ref, "accepted", accepted(OTHER_RESOURCE), now="2026-07-10T10:00")
        rematch = home.decide(ref, "rematch", {"rematch_reason": "Sujet mal cerné"}, now="2026-07-11T10:00")
        assert rematch["entered"] == "matching"
        home.decide(ref, "accepted", accepted(RESOURCE), now="2026-07-14T10:00")
        forks.start(refused, home.fork(tmp_path / "refused"))
        usual = {"validated_on": "2026-07-15", "outside_usual_business": "no"}
        same_business = home.run("case", "decide", ref, "validated", *sets(usual))
        assert same_business.code == 4  # the topic is the resource person's usual business (S6)
        assert "rule 'topic_outside_usual_business'" in same_business.err
        validated = {"validated_on": "2026-07-15", "outside_usual_business": "yes"}
        home.decide(ref, "validated", validated, now="2026-07-15T10:00")
        forks.start(not_held, home.fork(tmp_path / "not_held"))
        transfer = {
            "transfer_days": "2026-08-03;2026-09-14",
            "half_days": "4",
            "agenda": "Gouvernance puis RH",
        }
        home.decide(ref, "done", transfer, now="2026-09-15T10:00")
        review = {
            "beneficiary_review": "Très utile",
            "resource_review": "Questions traitées",
            "days_spent": "2",
            "payment_claim": "900",
        }
        closed = home.decide(ref, "closed", review, now="2026-10-01T10:00")

    assert closed["result"] == "completed"
    history = ends_with(
        home,
        ref,
        [
            ("request", "eligible", "matching"),
            ("matching", "declined", "matching"),
            ("matching", "accepted", "validation"),
            ("validation", "rematch", "matching"),
            ("matching", "accepted", "validation"),
            ("validation", "validated", "transfer"),
            ("transfer", "done", "review"),
            ("review", "closed", "completed"),
        ],
    )
    assert phases(history) == []
    assert project_phases(home)[project] == "founded"
    ((resource,),) = home.query(
        'SELECT p.handle FROM "case" c JOIN person p ON p.id = c.resource_id WHERE ref = ?', ref
    )
    assert resource == RESOURCE
    assert [
        s for (s,) in home.query("SELECT e.stage FROM document d JOIN stageentry e ON e.id = d.entry_id")
    ] == [
        "transfer",  # the transfer agreement
        "review",  # the payment claim
    ]


# Swarming ------------------------------------------------------------------------------------------

CARRIERS = ("Régie de quartier Franc-Moisin", "Régie de quartier Bel-Air")
# The seeded project has a measured impact evaluation; the pilot runs since September 2023.
READY = {
    "pilot_since": "2023-09-01",
    "kit": "Guide;Statuts types;Charte",
    "economically_viable": "yes",
    "viability_evidence": "Comptes à l'équilibre depuis 2024",
}


def test_swarming_spawns_one_new_project_per_carrier_and_reaches_each_end(home: Home, tmp_path: Path) -> None:
    project = PROJECTS["swarming"]
    ref = home.open(home.project("swarming"), "swarming", OFFICER, now="2026-01-05T10:00")
    label = {"label_name": "Marque collective Régie de quartier", "decided_on": "2026-10-01"}

    def end(fork: Home, outcome: str, values: dict[str, str], result: str, when: str) -> None:
        assert fork.decide(ref, outcome, values, now=when)["result"] == result
        assert decisions(fork.history(ref))[-1][1:] == (outcome, result)

    def disseminated(fork: Home) -> None:
        # Dissemination has no local founding: no territories, no local project leads (MES, DOMAIN).
        entered = fork.decide(ref, "dissemination", {"trigger": "need_driven"}, now="2026-02-20T10:00")
        assert entered["entered"] == "dissemination"
        shared = {"shared_with": "Réseau Île-de-France;Régie de Lille", "means": "Guide en accès libre"}
        assert fork.decide(ref, "shared", shared, now="2026-06-01T10:00")["result"] == "disseminated"
        assert fork.show(ref)["children"] == []
        assert phase_of(fork, project) == "scaling"

    def external_growth(fork: Home) -> None:
        fork.decide(ref, "external_growth", {"trigger": "project_driven"}, now="2026-02-20T10:00")
        agreed = {
            "growth_form": "merger",
            "partner": "Régie de quartier Saint-Ouen",
            "agreed_on": "2026-06-30",
        }
        assert fork.decide(ref, "agreed", agreed, now="2026-07-01T10:00")["result"] == "completed"

    def franchise(fork: Home) -> None:
        chosen = {"variant": "social_franchise", "trigger": "project_driven"}
        without_terms = fork.run("case", "decide", ref, "chosen", *sets(chosen))
        assert without_terms.code == 2  # a social franchise needs its contract, brand, training, fees
        for field in ("franchise_contract", "brand", "training", "fees"):
            assert field in without_terms.err
        terms = {"franchise_contract": "Contrat type", "brand": "Régie", "training": "5 jours", "fees": "2 %"}
        assert (
            fork.decide(ref, "chosen", chosen | terms, now="2026-02-20T10:00")["entered"] == "territory_scan"
        )

    with branches() as forks:
        missing = {"missing": "Modèle économique"}
        forks.start(
            end, home.fork(tmp_path / "not_ready"), "not_ready", missing, "model_not_ready", "2026-02-01"
        )
        young = home.run(
            "case",
            "decide",
            ref,
            "ready",
            *sets(READY | {"pilot_since": "2025-06-01"}),
            now="2026-02-02T09:00",
        )
        assert young.code == 4  # a pilot of less than a year proves nothing yet
        assert "rule 'replication_readiness'" in young.err
        home.decide(ref, "ready", READY, now="2026-02-02T10:00")
        forks.start(disseminated, home.fork(tmp_path / "disseminated"))
        forks.start(external_growth, home.fork(tmp_path / "external_growth"))
        forks.start(franchise, home.fork(tmp_path / "franchise"))
        chosen = {
            "variant": "centralised_duplication",
            "trigger": "project_driven",
            "charter": "Charte de 1991",
        }
        home.decide(ref, "chosen", chosen, now="2026-02-20T10:00")
        scanned = {"territories_scanned": "Seine-Saint-Denis;Val-de-Marne"}
        no_go = scanned | {"reason": "Pas de besoin"}
        forks.start(end, home.fork(tmp_path / "no_territory"), "no_go", no_go, "no_territory", "2026-04-01")
        home.decide(ref, "go", scanned | {"territories_go": "Seine-Saint-Denis"}, now="2026-04-01T10:00")
        looped = home.decide(ref, "none_found", {"reason": "Aucun porteur"}, now="2026-04-20T10:00")
        assert looped["entered"] == "territory_scan"
        home.decide(ref, "go", scanned | {"territories_go": "Val-de-Marne"}, now="2026-05-04T10:00")
        selected = home.decide(ref, "selected", {"carriers": ";".join(CARRIERS)}, now="2026-05-18T10:00")
        none = {"reason": "Aucune création"}
        forks.start(
            end, home.fork(tmp_path / "none_founded"), "abandoned", none, "none_founded", "2026-09-01"
        )
        created = home.decide(ref, "created", {"carriers_created": CARRIERS[0]}, now="2026-09-01T10:00")
        assert created["entered"] == "labelling"
        refusal = label | {"reason": "Charte non respectée"}
        forks.start(
            end, home.fork(tmp_path / "label_refused"), "refused", refusal, "label_refused", "2026-10-01"
        )
        forks.start(end, home.fork(tmp_path / "completed"), "no_label", label, "completed", "2026-10-01")
        home.decide(ref, "granted", label, now="2026-10-01T10:00")
        renewed = home.decide(ref, "renewed", {"report_received_on": "2026-10-15"}, now="2026-10-16T10:00")
        assert renewed["entered"] == "network_follow_up"
        withdrawn = home.decide(ref, "withdrawn", {"reason": "Bilan non remis"}, now="2026-11-02T10:00")

    assert withdrawn["result"] == "label_withdrawn"
    assert any(w["key"].startswith("spawn:") and w["status"] == "done" for w in selected["work"])
    children = home.show(ref)["children"]
    assert [(c["pathway"], c["stage"], c["status"]) for c in children] == [
        ("ongoing_support", "founding", "open")  # a local project lead's support is its founding
    ] * 2
    shown = [home.show(c["ref"]) for c in children]
    assert [(s["parent"], s["project"]["name"], s["project"]["phase"]) for s in shown] == [
        (ref, carrier, "idea") for carrier in CARRIERS
    ]
    history = ends_with(
        home,
        ref,
        [
            ("codify", "ready", "model_choice"),
            ("model_choice", "chosen", "territory_scan"),
            ("territory_scan", "go", "carrier_selection"),
            ("carrier_selection", "none_found", "territory_scan"),
            ("territory_scan", "go", "carrier_selection"),
            ("carrier_selection", "selected", "founding"),
            ("founding", "created", "labelling"),
            ("labelling", "granted", "network_follow_up"),
            ("network_follow_up", "renewed", "network_follow_up"),
            ("network_follow_up", "withdrawn", "label_withdrawn"),
        ],
    )
    assert phases(history) == [("consolidation", "scaling")]
    listed = project_phases(home)
    assert listed[project] == "scaling"
    assert [listed[carrier] for carrier in CARRIERS] == ["idea", "idea"]
