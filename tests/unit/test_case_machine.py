"""The pure case state machine (pathways.domain.case) on the real catalogue and on small inline specs."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pathways.domain import case as machine
from pathways.domain.case import (
    CaseClosed,
    CaseState,
    ChildrenRequested,
    HandOffRequested,
    PhaseReached,
    StageEntered,
    StageLeft,
)
from pathways.domain.loader import PathwayCatalog, load_pathway_dir
from pathways.domain.rules import ProjectFacts
from pathways.domain.spec import FieldSpec, FieldType, PathwaySpec, Phase
from pathways.errors import FieldError, RuleViolation, TransitionNotAllowed

PATHWAYS_DIR = Path(__file__).resolve().parents[2] / "config" / "pathways"
NOW = datetime(2026, 7, 8, 8, 0, tzinfo=UTC)
MEETING = date(2026, 7, 8)


class AllowingFacts:
    """Facts that never stand in the way: no transfers yet, every project evaluated."""

    def transfers_this_year(self, resource_person: int, year: int, *, exclude_case: int | None) -> int:
        return 0

    def has_impact_evaluation(self, project: int) -> bool:
        return True


FACTS = AllowingFacts()


def project_facts(**overrides: Any) -> ProjectFacts:
    values: dict[str, Any] = {
        "id": 1,
        "name": "Recyclerie du Canal",
        "legal_form": "association",
        "phase": Phase.FOUNDED,
        "territory": "FR-75",
        "salaried_jobs": 4,
        "organisation": 1,
    }
    return ProjectFacts(**(values | overrides))


@cache
def catalogue() -> PathwayCatalog:
    return load_pathway_dir(PATHWAYS_DIR)


def diagnosis() -> PathwaySpec:
    return catalogue().get("diagnosis")


def decide(
    spec: PathwaySpec, state: CaseState, outcome: str, values: Mapping[str, Any] | None = None, **kw: Any
) -> machine.Transition:
    return machine.decide(
        spec, state, outcome, values or {}, project=kw.pop("project", project_facts()), facts=FACTS, now=NOW
    )


INTAKE = {"met_on": "2026-07-08", "legal_form": "association", "salaried_jobs": "4", "request": "Structurer"}
ACCEPTED = {"interviews": "2026-07-10;2026-07-15", "validated_on": "2026-07-20", "priority_issues": "RH"}
VALIDATED = {"board_approval": "yes", "board_approval_on": "2026-07-21", "committee_date": "2026-09-15"}


def at(spec: PathwaySpec, stage: str, data: Mapping[str, Mapping[str, Any]] | None = None) -> CaseState:
    assert stage in spec.stage_ids()
    return CaseState(stage=stage, data=data or {})


# Inline specs


def label(text: str) -> dict[str, str]:
    return {"fr": text, "nl": text, "en": text}


def inline_spec(stages: list[dict[str, Any]], **top: Any) -> PathwaySpec:
    """A small pathway, validated by the same models as the files (no loader: no cross-checks)."""
    document: dict[str, Any] = {
        "id": "tiny",
        "version": 1,
        "reference": "TINY",
        "title": label("Tiny"),
        "ends": {"done": label("Done"), "dropped": label("Dropped")},
        "stages": stages,
    }
    return PathwaySpec.model_validate(document | top)


def stage(stage_id: str, outcomes: dict[str, dict[str, Any]], **extra: Any) -> dict[str, Any]:
    return {
        "id": stage_id,
        "title": label(stage_id),
        "outcomes": {k: {"label": label(k)} | v for k, v in outcomes.items()},
    } | extra


def field(kind: str, **extra: Any) -> dict[str, Any]:
    return {"type": kind, "label": label(kind)} | extra


# Starting


def test_a_new_case_starts_open_at_the_first_stage_of_its_pathway() -> None:
    state, events = machine.start(diagnosis())

    assert state == CaseState(stage="intake", status="open", result=None, data={})
    assert events == (StageEntered("intake"),)


@pytest.mark.parametrize("pathway", sorted(catalogue().ids()))
def test_every_pathway_of_the_catalogue_starts_at_its_first_listed_stage(pathway: str) -> None:
    spec = catalogue().get(pathway)

    state, _ = machine.start(spec)

    assert state.stage == spec.stages[0].id


# Moving forward, looping, ending


def test_a_relevant_intake_moves_to_the_shared_diagnosis_and_stores_json_ready_values() -> None:
    spec = diagnosis()

    transition = decide(spec, at(spec, "intake"), "relevant", INTAKE)

    assert transition.state.stage == "shared_diagnosis"
    assert transition.state.status == "open"
    assert transition.entered == "shared_diagnosis"
    assert transition.events == (StageLeft("intake", "relevant"), StageEntered("shared_diagnosis"))
    stored = {
        "met_on": "2026-07-08",
        "legal_form": "association",
        "salaried_jobs": 4,
        "request": "Structurer",
    }
    assert transition.values == stored
    assert transition.state.data == {"intake": stored}


def test_list_fields_are_split_on_semicolons_and_stored_as_lists() -> None:
    spec = diagnosis()

    transition = decide(spec, at(spec, "shared_diagnosis"), "accepted", ACCEPTED)

    assert transition.values["interviews"] == ["2026-07-10", "2026-07-15"]
    assert transition.state.stage == "support_plan"


def test_revising_the_support_plan_loops_back_to_the_same_stage_and_keeps_the_latest_values() -> None:
    spec = diagnosis()
    state = at(spec, "support_plan", {"intake": {"met_on": "2026-07-08"}})

    first = decide(spec, state, "revise", {"revision_reason": "budget", "referrals": "URSSAF"})
    second = decide(spec, first.state, "revise", {"revision_reason": "calendar"})

    assert first.state.stage == second.state.stage == "support_plan"
    assert second.events == (StageLeft("support_plan", "revise"), StageEntered("support_plan"))
    assert second.state.data["support_plan"] == {"revision_reason": "calendar", "referrals": "URSSAF"}
    assert second.state.data["intake"] == {"met_on": "2026-07-08"}


def test_committee_reservations_loop_back_to_an_earlier_stage() -> None:
    spec = diagnosis()

    transition = decide(
        spec, at(spec, "committee"), "with_reservations", {"opinion_on": "2026-09-15", "reservations": "x"}
    )

    assert transition.state.stage == "support_plan"
    assert spec.stage_ids().index("support_plan") < spec.stage_ids().index("committee")
    assert transition.events[-1] == StageEntered("support_plan")


def test_a_favourable_committee_closes_the_case_completed_and_requests_the_ongoing_support_hand_off() -> None:
    spec = diagnosis()

    transition = decide(spec, at(spec, "committee"), "favourable", {"opinion_on": "2026-09-15"})

    assert transition.state == CaseState(
        stage=None, status="closed", result="completed", data={"committee": {"opinion_on": "2026-09-15"}}
    )
    assert transition.entered is None
    assert transition.events == (
        StageLeft("committee", "favourable"),
        CaseClosed("completed"),
        HandOffRequested("ongoing_support"),
    )


def test_an_unfavourable_committee_opinion_is_recorded_and_the_officer_decides_next() -> None:
    spec = diagnosis()

    transition = decide(
        spec, at(spec, "committee"), "unfavourable", {"opinion_on": "2026-09-15", "reasons": "budget"}
    )

    assert (transition.state.status, transition.state.stage) == ("open", "after_opinion")
    assert not any(isinstance(e, HandOffRequested) for e in transition.events)
    assert spec.stage("after_opinion").owner.value == "officer"


def test_selecting_carriers_spawns_one_ongoing_support_case_per_carrier() -> None:
    spec = catalogue().get("swarming")

    transition = decide(
        spec, at(spec, "carrier_selection"), "selected", {"carriers": "Régie Nord; Régie Sud;Régie Est"}
    )

    assert transition.state.stage == "founding"
    spawned = [e for e in transition.events if isinstance(e, ChildrenRequested)]
    assert spawned == [ChildrenRequested("ongoing_support", ("Régie Nord", "Régie Sud", "Régie Est"))]


def test_an_outcome_phase_moves_the_project_to_emergence() -> None:
    spec = catalogue().get("ongoing_support")
    values = {"missions": "Étude de faisabilité", "consultant_days": "4,5", "reports": "rapport"}

    transition = decide(spec, at(spec, "mission"), "done_to_founding", values)

    assert transition.state.stage == "founding"
    assert PhaseReached(Phase.EMERGENCE) in transition.events
    assert transition.values["consultant_days"] == "4.5"


def test_an_end_result_reaches_the_phase_the_pathway_lifecycle_names_for_it() -> None:
    spec = catalogue().get("ongoing_support")
    values = {"jobs_created": "2", "jobs_kept": "5", "financial_health": "stable"}

    transition = decide(spec, at(spec, "follow_up"), "closed", values)

    assert transition.state.result == "completed"
    assert transition.events[-1] == PhaseReached(Phase.CONSOLIDATION)


def test_an_end_without_lifecycle_effect_reaches_no_phase() -> None:
    spec = catalogue().get("ongoing_support")

    transition = decide(spec, at(spec, "founding"), "abandoned", {"reason": "no funding"})

    assert transition.state.result == "abandoned"
    assert not any(isinstance(e, PhaseReached) for e in transition.events)


# Refusals


def test_a_closed_case_refuses_any_decision() -> None:
    spec = diagnosis()
    closed = decide(spec, at(spec, "committee"), "favourable", {"opinion_on": "2026-09-15"}).state

    with pytest.raises(TransitionNotAllowed, match=r"closed \(completed\)"):
        decide(spec, closed, "favourable", {"opinion_on": "2026-09-15"})


def test_an_outcome_not_offered_at_the_stage_is_refused_with_the_offered_ones_as_hint() -> None:
    spec = diagnosis()

    with pytest.raises(TransitionNotAllowed) as refused:
        decide(spec, at(spec, "intake"), "favourable", INTAKE)

    assert "'favourable' is not an outcome of stage 'intake'" in refused.value.message
    assert refused.value.hint == "choose one of: relevant, not_relevant"


def test_a_programme_rule_refuses_an_ineligible_legal_form() -> None:
    spec = diagnosis()

    with pytest.raises(RuleViolation) as refused:
        decide(spec, at(spec, "intake"), "relevant", INTAKE | {"legal_form": "other"})

    assert refused.value.rule == "diagnosis_eligibility"


def test_validating_the_plan_without_board_approval_goes_to_the_committee() -> None:
    spec = diagnosis()  # board approval is a charter's rule, checked before the action if at all

    transition = decide(spec, at(spec, "support_plan"), "validated", VALIDATED | {"board_approval": "no"})

    assert transition.state.stage == "committee"


# Field validation


def field_error(spec: PathwaySpec, stage_id: str, outcome: str, values: Mapping[str, Any]) -> FieldError:
    with pytest.raises(FieldError) as refused:
        decide(spec, at(spec, stage_id), outcome, values)
    return refused.value


@pytest.mark.parametrize("missing", ["met_on", "legal_form", "salaried_jobs", "request"])
def test_a_missing_required_stage_field_is_refused_naming_it(missing: str) -> None:
    values = {k: v for k, v in INTAKE.items() if k != missing}

    error = field_error(diagnosis(), "intake", "relevant", values)

    assert error.field == missing
    assert f"field '{missing}': is required" in error.message


def test_a_blank_value_counts_as_missing() -> None:
    error = field_error(diagnosis(), "intake", "relevant", INTAKE | {"request": "   "})

    assert error.field == "request"


def test_a_missing_required_outcome_field_is_refused_naming_it() -> None:
    error = field_error(diagnosis(), "intake", "not_relevant", INTAKE | {"redirect_reason": "other"})

    assert error.field == "redirected_to"


@pytest.mark.parametrize(
    ("name", "raw", "says"),
    [
        ("salaried_jobs", "three", "expected a whole number"),
        ("salaried_jobs", "2.5", "expected a whole number"),
        ("salaried_jobs", "-1", "below the minimum 0"),
        ("met_on", "2026-13-01", "expected a date as YYYY-MM-DD"),
        ("met_on", "08/07/2026", "expected a date as YYYY-MM-DD"),
        ("legal_form", "sarl", "'sarl' is not one of: association, association_loi_1908, asbl"),
        ("request", "x" * 2001, "at most 2000 allowed"),
    ],
)
def test_an_invalid_value_is_refused_naming_the_field_and_what_is_expected(
    name: str, raw: str, says: str
) -> None:
    error = field_error(diagnosis(), "intake", "relevant", INTAKE | {name: raw})

    assert error.field == name
    assert says in error.message


def test_a_field_the_stage_does_not_collect_is_refused_naming_it() -> None:
    error = field_error(diagnosis(), "intake", "relevant", INTAKE | {"budget": "10"})

    assert error.field == "budget"
    assert "not a field of stage 'intake'" in error.message


def test_an_outcome_field_is_not_accepted_with_another_outcome() -> None:
    error = field_error(diagnosis(), "intake", "relevant", INTAKE | {"redirected_to": "BGE"})

    assert error.field == "redirected_to"


def test_an_invalid_list_item_is_refused_naming_the_item() -> None:
    error = field_error(
        diagnosis(), "shared_diagnosis", "accepted", ACCEPTED | {"interviews": "2026-07-10;soon"}
    )

    assert error.field == "interviews[1]"


FOUNDED = {"country": "fr", "siret": "73282932000074", "founded_on": "2026-07-01"}


def test_a_siret_with_a_wrong_check_digit_is_refused_naming_the_field() -> None:
    error = field_error(
        catalogue().get("ongoing_support"), "founding", "founded", FOUNDED | {"siret": "73282932000075"}
    )

    assert error.field == "siret"
    assert "check digit" in error.message


def test_a_valid_siret_is_stored_normalised() -> None:
    spec = catalogue().get("ongoing_support")

    transition = decide(spec, at(spec, "founding"), "founded", FOUNDED | {"siret": "732 829 320 00074"})

    assert transition.values["siret"] == "73282932000074"
    assert PhaseReached(Phase.FOUNDED) in transition.events


def test_required_if_makes_the_siret_required_for_a_french_foundation_only() -> None:
    spec = catalogue().get("ongoing_support")
    without_ids = {"country": "fr", "founded_on": "2026-07-01"}

    assert field_error(spec, "founding", "founded", without_ids).field == "siret"
    assert field_error(spec, "founding", "founded", without_ids | {"country": "be"}).field == "bce"
    transition = decide(
        spec, at(spec, "founding"), "founded", without_ids | {"country": "be", "bce": "0403170701"}
    )
    assert transition.values["bce"] == "0403170701"


def test_required_if_on_a_boolean_asks_for_the_board_approval_date_only_when_approved() -> None:
    spec = diagnosis()
    approved = {k: v for k, v in VALIDATED.items() if k != "board_approval_on"}

    assert field_error(spec, "support_plan", "validated", approved).field == "board_approval_on"
    # Not approved: the date may be left out (approval is checked before the action, if at all).
    not_yet = decide(spec, at(spec, "support_plan"), "validated", approved | {"board_approval": "no"})
    assert not_yet.state.stage == "committee"


def test_required_if_with_a_list_of_values_holds_for_each_of_them() -> None:
    spec = catalogue().get("swarming")
    base = {"variant": "social_franchise", "trigger": "need_driven"}
    franchise = {"franchise_contract": "Contrat", "brand": "Marque", "training": "5 jours", "fees": "2 %"}

    assert decide(spec, at(spec, "model_choice"), "chosen", base | franchise).state.stage == "territory_scan"
    for variant in ("soft_swarming", "centralised_duplication"):
        assert field_error(spec, "model_choice", "chosen", base | {"variant": variant}).field == "charter"


def test_a_refused_decision_leaves_the_state_it_was_given_untouched() -> None:
    spec = diagnosis()
    state = at(spec, "intake", {"intake": {"met_on": "2026-07-01"}})

    with pytest.raises(FieldError):
        decide(spec, state, "relevant", INTAKE | {"salaried_jobs": "many"})

    assert state == CaseState(stage="intake", data={"intake": {"met_on": "2026-07-01"}})


# Small inline specs


def test_inline_spec_loop_end_hand_off_spawn_and_phase() -> None:
    spec = inline_spec(
        [
            stage(
                "collect",
                {
                    "again": {"next": "collect", "fields": {"why": field("text", required=True)}},
                    "go": {
                        "next": "close",
                        "spawn": {"pathway": "child", "per": "names"},
                        "phase": "emergence",
                    },
                },
                fields={"names": field("list", items="text")},
            ),
            stage(
                "close",
                {"finish": {"end": "done", "start": "next_one"}, "drop": {"end": "dropped"}},
            ),
        ],
        lifecycle={"on": {"done": "founded"}},
    )
    state, _ = machine.start(spec)

    looped = decide(spec, state, "again", {"why": "incomplete", "names": "a"})
    went = decide(spec, looped.state, "go", {"names": ["Nord", "Sud"]})
    finished = decide(spec, went.state, "finish", {})
    dropped = decide(spec, went.state, "drop", {})

    assert looped.state.stage == "collect"
    assert went.events == (
        StageLeft("collect", "go"),
        StageEntered("close"),
        ChildrenRequested("child", ("Nord", "Sud")),
        PhaseReached(Phase.EMERGENCE),
    )
    assert finished.events == (
        StageLeft("close", "finish"),
        CaseClosed("done"),
        HandOffRequested("next_one"),
        PhaseReached(Phase.FOUNDED),
    )
    assert dropped.events == (StageLeft("close", "drop"), CaseClosed("dropped"))


def test_a_spawn_uses_the_list_recorded_at_an_earlier_stage_when_the_decision_has_none() -> None:
    spec = inline_spec(
        [
            stage("plan", {"ok": {"next": "launch"}}, fields={"names": field("list", items="text")}),
            stage("launch", {"go": {"end": "done", "spawn": {"pathway": "child", "per": "names"}}}),
        ]
    )
    planned = decide(spec, machine.start(spec)[0], "ok", {"names": "Nord;Sud"})

    launched = decide(spec, planned.state, "go", {})

    assert ChildrenRequested("child", ("Nord", "Sud")) in launched.events


def test_an_explicit_outcome_phase_wins_over_the_lifecycle_phase_of_its_end() -> None:
    spec = inline_spec(
        [stage("only", {"finish": {"end": "done", "phase": "scaling"}})],
        lifecycle={"on": {"done": "founded"}},
    )

    transition = decide(spec, machine.start(spec)[0], "finish", {})

    assert [e for e in transition.events if isinstance(e, PhaseReached)] == [PhaseReached(Phase.SCALING)]


@pytest.mark.parametrize(
    ("spec_field", "raw", "expected"),
    [
        (field("integer", min=1, max=6), "6", 6),
        (field("decimal"), "1 234,50", "1234.50"),
        (field("money"), "12.5", "12.50"),
        (field("boolean"), "oui", True),
        (field("boolean"), "nee", False),
        (field("siren"), "732829320", "732829320"),
        (field("bce"), "0403.170.701", "0403170701"),
        (field("choice", choices={"a": label("A"), "b": label("B")}, multiple=True), "a;b", ["a", "b"]),
        (field("list", items="integer"), "[1, 2]", [1, 2]),
    ],
)
def test_field_types_parse_text_into_their_stored_form(
    spec_field: dict[str, Any], raw: str, expected: Any
) -> None:
    spec = inline_spec([stage("only", {"finish": {"end": "done"}}, fields={"value": spec_field})])

    transition = decide(spec, machine.start(spec)[0], "finish", {"value": raw})

    assert transition.values == {"value": expected}


@pytest.mark.parametrize(
    ("spec_field", "raw"),
    [
        (field("integer", min=1, max=6), "7"),
        (field("decimal"), "NaN"),
        (field("decimal", min=0), "-0.01"),
        (field("boolean"), "maybe"),
        (field("siren"), "123456789"),
        (field("bce"), "0403170702"),
        (field("choice", choices={"a": label("A")}, multiple=True), "a;z"),
    ],
)
def test_field_types_refuse_invalid_text_naming_the_field(spec_field: dict[str, Any], raw: str) -> None:
    spec = inline_spec([stage("only", {"finish": {"end": "done"}}, fields={"value": spec_field})])

    with pytest.raises(FieldError) as refused:
        decide(spec, machine.start(spec)[0], "finish", {"value": raw})

    assert refused.value.field == "value"


# Property: any sequence of valid decisions keeps the case coherent


VALID_SIRETS = ("73282932000074", "44306184100047", "35600000000048")
VALID_BCES = ("0403170701", "0403.170.701")


def value_for(spec: FieldSpec, draw: st.DrawFn, on: date) -> Any:
    """A valid value for `spec`, drawn from its type and bounds (dates all on `on`: date rules hold)."""
    if spec.type is FieldType.LIST:
        single = FieldSpec(type=spec.items or FieldType.TEXT, label=spec.label)
        return [value_for(single, draw, on) for _ in range(draw(st.integers(min_value=1, max_value=3)))]
    match spec.type:
        case FieldType.INTEGER:  # at least 1: a structure with no salaried job is not eligible
            low = max(int(spec.min) if spec.min is not None else 0, 1)
            high = int(spec.max) if spec.max is not None else low + 40
            return str(draw(st.integers(min_value=low, max_value=max(high, low))))
        case FieldType.DECIMAL | FieldType.MONEY:
            low_d = spec.min if spec.min is not None else Decimal(0)
            high_d = spec.max if spec.max is not None else low_d + 5000
            return str(draw(st.decimals(min_value=low_d, max_value=high_d, places=2)))
        case FieldType.CHOICE:
            assert spec.choices is not None
            return draw(st.sampled_from(sorted(spec.choices)))
        case FieldType.BOOLEAN:
            return draw(st.sampled_from(["yes", "no", True, False]))
        case FieldType.TEXT:
            most = min(spec.max_length or 30, 30)
            return draw(st.text(st.characters(categories=("L", "N")), min_size=1, max_size=most))
        case FieldType.DATE:
            return on.isoformat()
        case FieldType.SIRET:
            return draw(st.sampled_from(VALID_SIRETS))
        case FieldType.SIREN:
            return draw(st.sampled_from(VALID_SIRETS))[:9]
        case FieldType.BCE:
            return draw(st.sampled_from(VALID_BCES))
        case FieldType.PERSON:  # the pure machine stores person references as given (ids in the store)
            return draw(st.sampled_from(["7", "12"]))
    raise AssertionError(f"no strategy for {spec.type}")


@st.composite
def decision(draw: st.DrawFn, spec: PathwaySpec, stage_id: str, on: date) -> tuple[str, dict[str, Any]]:
    """A random outcome of `stage_id` with valid values: required ones always, optional ones sometimes."""
    stage_spec = spec.stage(stage_id)
    outcome = draw(st.sampled_from(list(stage_spec.outcomes)))
    values = {
        name: value_for(f, draw, on)
        for name, f in stage_spec.fields_for(outcome).items()
        if f.required or f.required_if is not None or draw(st.booleans())
    }
    return outcome, values


def check_transition(
    spec: PathwaySpec, before: CaseState, outcome: str, transition: machine.Transition
) -> None:
    assert before.stage is not None
    out = spec.stage(before.stage).outcomes[outcome]
    after = transition.state
    assert transition.events[0] == StageLeft(before.stage, outcome)
    if out.next is not None:
        assert (after.stage, after.status, after.result) == (out.next, "open", None)
        assert transition.events[1] == StageEntered(out.next)
    else:
        assert (after.stage, after.status, after.result) == (None, "closed", out.end)
        assert transition.events[1] == CaseClosed(str(out.end))
    if out.start is not None:
        assert HandOffRequested(out.start) in transition.events
        assert out.start in catalogue()
    for key, value in transition.values.items():
        assert after.data[before.stage][key] == value


def test_any_sequence_of_valid_decisions_leaves_the_case_at_a_stage_or_closed_with_a_declared_end() -> None:
    tally = {"accepted": 0, "refused_by_rule": 0, "closed": 0, "looped": 0}

    @settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(
        pathway=st.sampled_from(sorted(catalogue().ids())),
        steps=st.integers(min_value=1, max_value=12),
        on=st.dates(min_value=date(2024, 1, 1), max_value=date(2030, 12, 31)),
        data=st.data(),
    )
    def walk(pathway: str, steps: int, on: date, data: st.DataObject) -> None:
        spec = catalogue().get(pathway)
        state, _ = machine.start(spec)
        visited = [state.stage]
        for _ in range(steps):
            if state.status == "closed":
                with pytest.raises(TransitionNotAllowed):
                    decide(spec, state, next(iter(spec.stages[0].outcomes)), {})
                break
            assert state.stage is not None
            outcome, values = data.draw(decision(spec, state.stage, on))
            try:
                transition = decide(spec, state, outcome, values)
            except RuleViolation as exc:
                refused_by: str | None = exc.rule
            else:
                refused_by = None
            if refused_by is not None:  # valid fields, but a programme rule of this decision says no
                checks = spec.stage(state.stage).checks + spec.stage(state.stage).outcomes[outcome].checks
                assert refused_by in checks
                tally["refused_by_rule"] += 1
                continue
            check_transition(spec, state, outcome, transition)
            tally["accepted"] += 1
            state = transition.state
            tally["looped"] += state.stage in visited
            visited.append(state.stage)
        if state.status == "open":
            assert state.stage in spec.stage_ids()
        else:
            assert state.stage is None
            assert state.result in spec.ends or state.result in spec.all_exits  # `end:` may name an exit
            tally["closed"] += 1

    walk()

    # The property held on real journeys, not only on refusals.
    assert tally["accepted"] > 100
    assert tally["closed"] > 10
    assert tally["looped"] > 0
