"""The rules issue 22 set right: local rules as options, the plan without a mission, the TSF's topics
and editions, the proven model of replication, local-law associations; each with its refusal."""

from __future__ import annotations

import textwrap
from datetime import date
from typing import Any

import pytest
from test_programme import FakeFacts, a_decision, a_project, refused, spec, with_options

from pathways.domain import programme
from pathways.domain.loader import load_pathway_text
from pathways.domain.registry import programme_registry
from pathways.errors import DefinitionError

CHECKS = programme.CHECKS


# Options: declared by the registry, off by default, each tied to the checks that apply it


def test_every_option_names_its_source_and_its_checks() -> None:
    options = programme_registry().options
    assert set(options) == {
        "consultant_bid_within_week",
        "board_approval_before_action",
        "geiq_transfer_days",
        "ptce_edition",
    }
    for option in options.values():
        assert "docs/PROGRAMMES.md, S" in option.source
        assert set(option.checks) <= set(CHECKS)


def test_the_shipped_files_switch_no_local_rule_on() -> None:
    for pathway in ("diagnosis", "ongoing_support", "peer_transfer", "swarming"):
        assert not any(spec(pathway).options.values()), pathway


TRIAL = textwrap.dedent("""\
    id: trial
    version: 1
    title: {fr: Essai, nl: Proef, en: Trial}
    reference: TRY
    options: {consultant_bid_within_week: true}
    ends:
      completed: {fr: Terminé, nl: Voltooid, en: Completed}
    stages:
      - id: brief
        title: {fr: Cahier des charges, nl: Bestek, en: Brief}
        outcomes:
          chosen:
            label: {fr: Choisi, nl: Gekozen, en: Chosen}
            end: completed
            checks: [consultant_answer_within_week]
    """)


def test_a_file_switches_an_option_on_where_its_check_runs() -> None:
    assert load_pathway_text(TRIAL, file="trial.yaml").option("consultant_bid_within_week")


def test_an_option_switched_on_without_its_check_is_refused() -> None:
    with pytest.raises(DefinitionError) as refused_file:
        load_pathway_text(
            "".join(line for line in TRIAL.splitlines(True) if "checks:" not in line), file="trial.yaml"
        )

    assert refused_file.value.line == 5
    assert "no stage or outcome runs its check `consultant_answer_within_week`" in refused_file.value.message


def test_an_unknown_option_is_refused_with_a_suggestion() -> None:
    with pytest.raises(DefinitionError) as refused_file:
        load_pathway_text(
            TRIAL.replace("consultant_bid_within_week: true", "consultant_bid_in_week: true"), file="t.yaml"
        )

    assert "unknown option `consultant_bid_in_week`" in refused_file.value.message
    assert refused_file.value.hint is not None
    assert "did you mean `consultant_bid_within_week`?" in refused_file.value.hint


# consultant_answer_within_week: the charter's week concerns saying whether one bids; the brief's deadline


def bids(values: dict[str, Any]) -> Any:
    definition = with_options("ongoing_support", consultant_bid_within_week=True)
    base = {"brief_sent_on": date(2026, 3, 2), "consultant": "31", "consultant_answer_on": date(2026, 3, 6)}
    return a_decision(definition, "brief", "consultant_chosen", base | values)


def test_a_proposal_after_the_briefs_deadline_is_refused_when_the_charter_applies() -> None:
    late = {"proposal_deadline": date(2026, 3, 20), "proposal_received_on": date(2026, 3, 23)}
    error = refused("consultant_answer_within_week", bids(late))
    assert "after the brief's deadline" in error.message
    CHECKS["consultant_answer_within_week"](bids(late | {"proposal_received_on": date(2026, 3, 20)}))


def test_without_an_answer_date_the_charter_rule_asks_for_it() -> None:
    error = refused("consultant_answer_within_week", bids({"consultant_answer_on": None}))
    assert "would bid" in error.message


# plan_without_mission


def plan(values: dict[str, Any]) -> Any:
    return a_decision(
        "diagnosis", "support_plan", "internal_only", {"plan_validated_on": date(2026, 3, 9)} | values
    )


def test_a_plan_of_internal_actions_only_ends_without_a_mission() -> None:
    CHECKS["plan_without_mission"](plan({"internal_actions": "Tableau de bord financier mensuel"}))
    CHECKS["plan_without_mission"](plan({"referrals": "France Active pour le financement"}))


def test_a_plan_without_mission_records_what_the_structure_does() -> None:
    error = refused("plan_without_mission", plan({"internal_actions": "  "}))
    assert "neither internal actions nor referrals" in error.message


def test_a_plan_listing_consulting_missions_goes_to_the_committee() -> None:
    values = {"internal_actions": "Tableau de bord", "consulting_missions": ["Modèle économique"]}
    error = refused("plan_without_mission", plan(values))
    assert error.hint is not None
    assert "validated" in error.hint


# diagnosis_eligibility: local-law associations (Alsace-Moselle), Belgian forms as this project's extension


@pytest.mark.parametrize("territory", ["FR-67", "FR-68", "FR-57", "FR-GES"])
def test_a_local_law_association_is_eligible_where_such_associations_have_their_seat(territory: str) -> None:
    values = {"legal_form": "association_loi_1908", "salaried_jobs": 2}
    CHECKS["diagnosis_eligibility"](
        a_decision("diagnosis", "intake", "relevant", values, project=a_project(territory=territory))
    )


def test_a_local_law_association_outside_alsace_moselle_is_refused() -> None:
    values = {"legal_form": "association_loi_1908", "salaried_jobs": 2}
    ctx = a_decision("diagnosis", "intake", "relevant", values, project=a_project(territory="FR-59"))
    error = refused("diagnosis_eligibility", ctx)
    assert "Moselle, Bas-Rhin or Haut-Rhin" in error.message


def test_the_refusal_says_the_belgian_forms_are_this_projects_extension() -> None:
    ctx = a_decision("diagnosis", "intake", "relevant", {"legal_form": "other", "salaried_jobs": 2})
    error = refused("diagnosis_eligibility", ctx)
    assert "this project's extension" in error.message
    assert "agences-conseil" in error.message


# Peer transfer: excluded topics (S7), the usual business (S6), the PTCE edition (S9)


def request(topics: list[str], *, ptce: bool = False, status: str | None = None) -> Any:
    definition = with_options("peer_transfer", ptce_edition=ptce)
    values: dict[str, Any] = {"topics": topics} | ({"ptce_status": status} if status else {})
    return a_decision(definition, "request", "eligible", values)


@pytest.mark.parametrize("topic", ["legal", "network_animation"])
def test_a_topic_the_tsf_excludes_is_refused_with_the_reason(topic: str) -> None:
    error = refused("transfer_topics_allowed", request(["governance", topic]))
    assert topic in error.message
    assert ("lawyer" in error.message) or ("training" in error.message)


def test_allowed_topics_pass() -> None:
    CHECKS["transfer_topics_allowed"](request(["governance", "finance"]))


def test_the_topic_must_be_outside_the_resource_persons_usual_business() -> None:
    ctx = a_decision("peer_transfer", "validation", "validated", {"outside_usual_business": False})
    refused("topic_outside_usual_business", ctx)
    yes = a_decision("peer_transfer", "validation", "validated", {"outside_usual_business": True})
    CHECKS["topic_outside_usual_business"](yes)


def test_the_ptce_edition_takes_laureates_and_charter_signatories_only() -> None:
    CHECKS["ptce_eligibility"](request(["governance"]))  # the option is off in the shipped file
    refused("ptce_eligibility", request(["governance"], ptce=True, status="none"))
    refused("ptce_eligibility", request(["governance"], ptce=True))
    for status in ("laureate_2021", "charter_signatory"):
        CHECKS["ptce_eligibility"](request(["governance"], ptce=True, status=status))


# replication_readiness: a pilot of a year, economic viability, an impact evaluation (measured or not)

READY = {
    "pilot_since": date(2024, 9, 1),
    "economically_viable": True,
    "viability_evidence": "Comptes 2024 et 2025 à l'équilibre",
    "impact_evidence": "Témoignages de 12 bénéficiaires, rapport VISES",
    "kit": ["Guide"],
}


def ready(values: dict[str, Any], facts: FakeFacts | None = None) -> Any:
    return a_decision("swarming", "codify", "ready", values, facts=facts)


def test_a_proven_model_is_ready_to_replicate() -> None:
    CHECKS["replication_readiness"](ready(READY))


def test_a_measured_evaluation_stands_for_the_qualitative_evidence() -> None:
    values = {k: v for k, v in READY.items() if k != "impact_evidence"}
    CHECKS["replication_readiness"](ready(values, FakeFacts(evaluated={7})))
    error = refused("replication_readiness", ready(values))
    assert "impact evaluation" in error.message


def test_a_pilot_of_less_than_a_year_is_not_proven() -> None:
    error = refused("replication_readiness", ready(READY | {"pilot_since": date(2025, 6, 1)}))
    assert "at least a year" in error.message
    assert "2026-06-01" in error.message


def test_every_missing_proof_is_named_at_once() -> None:
    error = refused("replication_readiness", ready({"kit": ["Guide"]}))
    for missing in ("pilot_since", "economically_viable", "impact evaluation"):
        assert missing in error.message
    assert error.hint is not None
    assert "not_ready" in error.hint


def test_viability_needs_its_evidence() -> None:
    error = refused("replication_readiness", ready(READY | {"viability_evidence": ""}))
    assert "viability_evidence" in error.message
