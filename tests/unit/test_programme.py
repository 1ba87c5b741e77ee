"""The programmes' rules (pathways.domain.programme) and the four pathway files that use them."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml

from pathways.domain import programme
from pathways.domain.rules import DecisionContext, ProjectFacts
from pathways.domain.spec import FieldType, PathwaySpec, Phase
from pathways.errors import RuleViolation

PATHWAYS = Path(__file__).resolve().parents[2] / "config" / "pathways"
FILES = ("diagnosis", "ongoing_support", "peer_transfer", "swarming")
# The programmes of issue 24: their rules are tested in tests/unit/test_new_programmes.py.
NEW_FILES = ("fabrique", "incubation", "impact_evaluation", "aces_support")
NOW = datetime(2026, 3, 10, 9, 0, tzinfo=UTC)


# Builders and fakes


@dataclass
class FakeFacts:
    """In-memory Facts: validated transfers as (case, resource person, year), evaluated projects."""

    transfers: list[tuple[int, int, int]] = field(default_factory=list)
    evaluated: set[int] = field(default_factory=set)

    def transfers_this_year(self, resource_person: int, year: int, *, exclude_case: int | None) -> int:
        return sum(
            1
            for case, person, when in self.transfers
            if person == resource_person and when == year and case != exclude_case
        )

    def has_impact_evaluation(self, project: int) -> bool:
        return project in self.evaluated


def a_project(**changes: Any) -> ProjectFacts:
    base: dict[str, Any] = {
        "id": 7,
        "name": "Régie de quartier Nord",
        "legal_form": "association",
        "phase": Phase.CONSOLIDATION,
        "territory": "FR-59",
        "salaried_jobs": 4,
        "organisation": 1,
    }
    return ProjectFacts(**{**base, **changes})


@cache
def spec(pathway: str) -> PathwaySpec:
    return PathwaySpec.model_validate(yaml.safe_load((PATHWAYS / f"{pathway}.yaml").read_text("utf-8")))


def with_options(pathway: str, **options: bool) -> PathwaySpec:
    """The shipped file with some of its local rules (options) switched on or off."""
    return spec(pathway).model_copy(update={"options": {**spec(pathway).options, **options}})


def a_decision(
    pathway: str | PathwaySpec,
    stage: str | None,
    outcome: str | None = None,
    values: Mapping[str, Any] | None = None,
    *,
    case_data: Mapping[str, Mapping[str, Any]] | None = None,
    project: ProjectFacts | None = None,
    facts: FakeFacts | None = None,
    case_id: int | None = 100,
    stage_entered_at: datetime | None = None,
) -> DecisionContext:
    definition = spec(pathway) if isinstance(pathway, str) else pathway
    return DecisionContext(
        pathway=definition,
        project=project or a_project(),
        facts=facts or FakeFacts(),
        now=NOW,
        stage=definition.stage(stage) if stage is not None else None,
        outcome=outcome,
        values=dict(values or {}),
        case_data=dict(case_data or {}),
        case_id=case_id,
        stage_entered_at=stage_entered_at,
    )


def refused(rule: str, ctx: DecisionContext) -> RuleViolation:
    with pytest.raises(RuleViolation) as caught:
        programme.CHECKS[rule](ctx)
    assert caught.value.rule == rule
    assert f"rule '{rule}'" in caught.value.message
    assert caught.value.hint, "a refusal says what to do"
    return caught.value


# diagnosis_eligibility


def intake(values: Mapping[str, Any], project: ProjectFacts | None = None) -> DecisionContext:
    return a_decision("diagnosis", "intake", "relevant", values, project=project)


def test_eligibility_refuses_a_legal_form_outside_the_social_economy() -> None:
    error = refused("diagnosis_eligibility", intake({"legal_form": "other", "salaried_jobs": 3}))
    assert "not eligible" in error.message
    assert error.hint is not None
    assert "not_relevant" in error.hint
    assert "redirected_to" in error.hint


def test_eligibility_refuses_a_structure_without_salaried_job() -> None:
    error = refused("diagnosis_eligibility", intake({"legal_form": "scic", "salaried_jobs": 0}))
    assert "at least one" in error.message


def test_eligibility_allows_an_employing_association() -> None:
    programme.CHECKS["diagnosis_eligibility"](intake({"legal_form": "association", "salaried_jobs": 1}))


def test_eligibility_falls_back_on_the_project_record() -> None:
    programme.CHECKS["diagnosis_eligibility"](intake({}, a_project(legal_form="SCOP SA", salaried_jobs=12)))
    refused("diagnosis_eligibility", intake({}, a_project(legal_form="SARL", salaried_jobs=12)))
    refused("diagnosis_eligibility", intake({}, a_project(legal_form="ASBL", salaried_jobs=0)))


def test_eligibility_reads_a_headcount_field_when_there_is_no_salaried_jobs_field() -> None:
    refused("diagnosis_eligibility", intake({"legal_form": "asbl", "headcount": 0}))
    programme.CHECKS["diagnosis_eligibility"](
        intake({"legal_form": "asbl", "headcount": 2}, a_project(salaried_jobs=0))
    )


@pytest.mark.parametrize(
    "legal_form",
    ["ASBL", "vzw", "SC/CV", "Société coopérative (SCIC)", "Entreprise adaptée", "SAS agréée ESUS"],
)
def test_eligibility_knows_the_usual_spellings(legal_form: str) -> None:
    programme.CHECKS["diagnosis_eligibility"](
        intake({}, a_project(legal_form=legal_form, territory="BE-BRU"))
    )


def test_sc_is_a_belgian_cooperative_but_a_french_societe_civile() -> None:
    programme.CHECKS["diagnosis_eligibility"](intake({}, a_project(legal_form="SC", territory="BE-WAL")))
    refused("diagnosis_eligibility", intake({}, a_project(legal_form="SC", territory="FR-75")))


def test_eligibility_refuses_an_unknown_legal_form() -> None:
    refused("diagnosis_eligibility", intake({}, a_project(legal_form=None)))


# board_approval_recorded: a charter's rule (option board_approval_before_action), before the action


def chosen(
    values: Mapping[str, Any], *, on: bool = True, project: ProjectFacts | None = None
) -> DecisionContext:
    definition = with_options("ongoing_support", board_approval_before_action=on)
    return a_decision(definition, "brief", "consultant_chosen", values, project=project)


def test_the_consultant_is_not_engaged_before_the_governing_body_approved_when_the_charter_says_so() -> None:
    error = refused("board_approval_recorded", chosen({"board_approval": False}))
    assert "governing body" in error.message


def test_board_approval_is_not_asked_unless_the_option_is_on() -> None:
    programme.CHECKS["board_approval_recorded"](chosen({}, on=False))
    assert not spec("ongoing_support").option("board_approval_before_action")


def test_the_consultant_is_engaged_once_the_governing_body_approved() -> None:
    values = {"board_approval": True, "board_approval_on": date(2026, 3, 2), "governing_body": "board"}
    programme.CHECKS["board_approval_recorded"](chosen(values))


def test_a_belgian_asbl_approves_through_its_administrative_body() -> None:
    asbl = a_project(legal_form="ASBL", territory="BE-WAL")
    values = {"board_approval": True, "board_approval_on": date(2026, 3, 2), "governing_body": "board"}
    error = refused("board_approval_recorded", chosen(values, project=asbl))
    assert error.hint is not None
    assert "organe d'administration" in error.hint
    programme.CHECKS["board_approval_recorded"](
        chosen(values | {"governing_body": "administrative_body"}, project=asbl)
    )


# consultant_answer_within_week


def brief(sent: date, answered: date, *, on: bool = True) -> DecisionContext:
    values = {"brief_sent_on": sent, "consultant_answer_on": answered, "consultant": "31"}
    definition = with_options("ongoing_support", consultant_bid_within_week=on)
    return a_decision(definition, "brief", "consultant_chosen", values)


def test_the_one_week_rule_is_one_charters_and_off_by_default() -> None:
    assert not spec("ongoing_support").option("consultant_bid_within_week")
    programme.CHECKS["consultant_answer_within_week"](brief(date(2026, 3, 2), date(2026, 3, 30), on=False))


def test_consultant_answer_after_a_week_is_refused() -> None:
    error = refused("consultant_answer_within_week", brief(date(2026, 3, 2), date(2026, 3, 10)))
    assert "8 days" in error.message
    assert error.hint is not None
    assert "reissue" in error.hint


def test_consultant_answer_on_the_seventh_day_is_accepted() -> None:
    programme.CHECKS["consultant_answer_within_week"](brief(date(2026, 3, 2), date(2026, 3, 9)))


def test_consultant_answer_dated_before_the_brief_is_refused() -> None:
    refused("consultant_answer_within_week", brief(date(2026, 3, 2), date(2026, 3, 1)))


# resource_person_yearly_cap


def validation(facts: FakeFacts, *, person: Any = "12", case_id: int = 100) -> DecisionContext:
    return a_decision(
        "peer_transfer",
        "validation",
        "validated",
        {"validated_on": date(2026, 3, 10)},
        case_data={"matching": {"resource_person": person, "accepted_on": date(2026, 3, 3)}},
        facts=facts,
        case_id=case_id,
    )


def test_third_transfer_of_the_year_is_refused() -> None:
    facts = FakeFacts(transfers=[(1, 12, 2026), (2, 12, 2026)])
    error = refused("resource_person_yearly_cap", validation(facts))
    assert "at most 2 a year" in error.message
    assert error.hint is not None
    assert "rematch" in error.hint


def test_second_transfer_of_the_year_is_allowed() -> None:
    facts = FakeFacts(transfers=[(1, 12, 2026), (2, 12, 2025), (3, 13, 2026), (4, 13, 2026)])
    programme.CHECKS["resource_person_yearly_cap"](validation(facts))


def test_revalidating_the_same_case_does_not_count_it_twice() -> None:
    facts = FakeFacts(transfers=[(1, 12, 2026), (100, 12, 2026)])
    programme.CHECKS["resource_person_yearly_cap"](validation(facts, case_id=100))


def test_a_resource_person_that_is_not_a_registered_person_is_refused() -> None:
    refused("resource_person_yearly_cap", validation(FakeFacts(), person="Jeanne Dupont"))


# transfer_within_three_months


GEIQ_EDITION = with_options("peer_transfer", geiq_transfer_days=True)


def transfer(days: list[date], validated_on: date = date(2026, 3, 10)) -> DecisionContext:
    values = {"transfer_days": days, "half_days": 2 * len(days), "agenda": "..."}
    return a_decision(
        GEIQ_EDITION, "transfer", "done", values, case_data={"validation": {"validated_on": validated_on}}
    )


def test_the_three_month_window_is_the_geiq_editions_and_off_in_the_shipped_file() -> None:
    assert not spec("peer_transfer").option("geiq_transfer_days")
    values = {"transfer_days": [date(2026, 1, 5), date(2027, 1, 5)], "half_days": 8, "agenda": "..."}
    programme.CHECKS["transfer_within_three_months"](a_decision("peer_transfer", "transfer", "done", values))


def test_transfer_day_after_three_months_is_refused() -> None:
    error = refused("transfer_within_three_months", transfer([date(2026, 4, 2), date(2026, 6, 11)]))
    assert "2026-06-11" in error.message


def test_more_than_three_transfer_days_are_refused() -> None:
    days = [date(2026, 4, d) for d in (1, 2, 3, 7)]
    error = refused("transfer_within_three_months", transfer(days))
    assert "1 to 3 days" in error.message


def test_transfer_day_before_validation_is_refused() -> None:
    refused("transfer_within_three_months", transfer([date(2026, 3, 9)]))


def test_three_days_within_three_months_are_accepted() -> None:
    days = [date(2026, 3, 10), date(2026, 4, 21), date(2026, 6, 10)]
    programme.CHECKS["transfer_within_three_months"](transfer(days))


def test_three_months_end_on_the_last_day_of_a_shorter_month() -> None:
    programme.CHECKS["transfer_within_three_months"](transfer([date(2027, 2, 28)], date(2026, 11, 30)))
    refused("transfer_within_three_months", transfer([date(2027, 3, 1)], date(2026, 11, 30)))


def test_transfer_window_starts_at_stage_entry_when_no_validation_date_is_recorded() -> None:
    ctx = a_decision(
        GEIQ_EDITION,
        "transfer",
        "done",
        {"transfer_days": [date(2026, 7, 1)]},
        stage_entered_at=datetime(2026, 3, 10, 15, 0, tzinfo=UTC),
    )
    refused("transfer_within_three_months", ctx)


# proven_model


def test_swarming_refuses_a_model_without_impact_evaluation() -> None:
    error = refused("proven_model", a_decision("swarming", None, facts=FakeFacts(evaluated={8})))
    assert "impact evaluation" in error.message


def test_swarming_opens_for_an_evaluated_model() -> None:
    programme.CHECKS["proven_model"](a_decision("swarming", None, facts=FakeFacts(evaluated={7})))


# The pathway files


def names_used(definition: PathwaySpec) -> Iterator[tuple[str, str]]:
    """("check" | "step" | "template", name) for every name a pathway file uses."""
    yield from (("check", name) for name in definition.checks)
    for stage in definition.stages:
        yield from (("check", name) for name in stage.checks)
        yield from (("step", name) for name in stage.steps)
        yield from (("template", rule.template) for rule in stage.remind)
        yield from (("template", rule.template) for rule in stage.escalate)
        for outcome in stage.outcomes.values():
            yield from (("check", name) for name in outcome.checks)


@pytest.mark.parametrize("pathway", FILES)
def test_pathway_file_validates_against_the_spec(pathway: str) -> None:
    definition = spec(pathway)
    assert definition.id == pathway
    # Version 3: ongoing_support's local project leads enter at the founding and new needs go
    # back to the support plan; diagnosis records the sector (each v2 is kept in <id>/v2.yaml).
    assert definition.version == {"ongoing_support": 3, "diagnosis": 3}.get(pathway, 2)


@pytest.mark.parametrize("pathway", FILES)
def test_every_check_and_step_a_file_names_is_registered(pathway: str) -> None:
    used = set(names_used(spec(pathway)))
    assert {name for kind, name in used if kind == "check"} <= set(programme.CHECKS)
    assert {name for kind, name in used if kind == "step"} <= {step.name for step in programme.STEPS}


def test_the_files_share_a_small_set_of_templates() -> None:
    templates = {name for p in FILES for kind, name in names_used(spec(p)) if kind == "template"}
    assert templates == {
        "reminder",
        "escalation",
        "intake_documents",
        "diagnosis_validation",
        "committee_agenda",
        "transfer_review",
    }


def test_every_programme_rule_is_used_by_a_file() -> None:
    archived = [PATHWAYS / p / "v1.yaml" for p in FILES]  # proven_model: version 1's gate
    definitions = [spec(p) for p in (*FILES, *NEW_FILES)] + [
        PathwaySpec.model_validate(yaml.safe_load(path.read_text("utf-8"))) for path in archived
    ]
    used = {name for d in definitions for kind, name in names_used(d) if kind == "check"}
    assert used == set(programme.CHECKS)


def test_case_reference_prefixes() -> None:
    assert [spec(p).reference for p in FILES] == ["DIAG", "SUPP", "TSF", "SWRM"]


def test_favourable_committee_hands_off_to_ongoing_support() -> None:
    favourable = spec("diagnosis").stage("committee").outcomes["favourable"]
    assert (favourable.end, favourable.start) == ("completed", "ongoing_support")


def test_committee_waits_for_the_meeting_date_recorded_with_the_plan() -> None:
    deadline = spec("diagnosis").stage("committee").deadline
    assert deadline is not None
    assert deadline.until == "committee_date"
    assert deadline.default is not None
    assert (deadline.default.unit, deadline.default.amount) == ("business_days", 20)
    validated = spec("diagnosis").stage("support_plan").outcomes["validated"]
    assert validated.fields["committee_date"].type is FieldType.DATE


def test_each_selected_carrier_spawns_an_ongoing_support_case() -> None:
    selected = spec("swarming").stage("carrier_selection").outcomes["selected"]
    assert selected.spawn is not None
    assert selected.spawn.pathway == "ongoing_support"
    assert selected.fields[selected.spawn.per].type is FieldType.LIST


def test_founding_an_emergence_project_makes_it_founded() -> None:
    assert spec("ongoing_support").stage("founding").outcomes["founded"].phase is Phase.FOUNDED


@pytest.mark.parametrize(
    ("pathway", "stage", "outcome"),
    [
        ("diagnosis", "support_plan", "revise"),
        ("ongoing_support", "mission", "replan"),
        ("peer_transfer", "matching", "declined"),
        ("swarming", "network_follow_up", "renewed"),
    ],
)
def test_loops_stay_on_their_stage(pathway: str, stage: str, outcome: str) -> None:
    assert spec(pathway).stage(stage).outcomes[outcome].next == stage


def test_the_loader_accepts_the_pathway_folder() -> None:
    loader = pytest.importorskip("pathways.domain.loader")
    catalog = loader.load_pathway_dir(PATHWAYS)
    assert set(FILES) <= set(catalog.ids())
