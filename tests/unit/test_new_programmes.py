"""The programmes of issue 24 on plain objects: incubation's cohort rule and key, and what each
pathway file must hold for the engine's named conventions (the lead, the evaluative question,
the cohort fields, the end that proves a model) to work."""

from __future__ import annotations

from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml

from pathways.domain import programme
from pathways.domain.incubation import COHORT_FIELDS, INCUBATION, cohort_dates, cohort_key
from pathways.domain.rules import DecisionContext, ProjectFacts
from pathways.domain.spec import FieldType, PathwaySpec, Phase
from pathways.errors import RuleViolation
from pathways.services.casework.facts import IMPACT_SHOWN
from pathways.services.casework.programme_steps import LEAD_FIELD, QUESTION_FIELD

PATHWAYS = Path(__file__).resolve().parents[2] / "config" / "pathways"
FILES = ("fabrique", "incubation", "impact_evaluation", "aces_support")


@cache
def spec(pathway: str) -> PathwaySpec:
    return PathwaySpec.model_validate(yaml.safe_load((PATHWAYS / f"{pathway}.yaml").read_text("utf-8")))


class NoFacts:
    def transfers_this_year(self, resource_person: int, year: int, *, exclude_case: int | None) -> int:
        return 0

    def has_impact_evaluation(self, project: int) -> bool:
        return False


def joining(values: dict[str, Any], *, case_data: dict[str, dict[str, Any]] | None = None) -> DecisionContext:
    project = ProjectFacts(
        id=1,
        name="Fromagerie",
        legal_form=None,
        phase=Phase.IDEA,
        territory="FR-68",
        salaried_jobs=0,
        organisation=1,
    )
    incubation = spec("incubation")
    return DecisionContext(
        pathway=incubation,
        project=project,
        facts=NoFacts(),
        now=datetime(2026, 7, 8, 8, tzinfo=UTC),
        stage=incubation.stage("jury"),
        outcome="accepted",
        values=values,
        case_data=case_data or {},
    )


def test_a_cohort_that_ends_after_it_starts_is_accepted() -> None:
    cohort_dates(joining({"cohort_start": "2026-09-01", "cohort_end": "2027-05-28"}))


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"cohort_start": "2026-09-01", "cohort_end": "2026-09-01"}, "not after it starts"),
        ({"cohort_start": "2026-09-01", "cohort_end": "2026-03-01"}, "ends on 2026-03-01"),
        ({"cohort_end": "2027-05-28"}, "no 'cohort_start' recorded"),
        ({"cohort_start": "2026-09-01", "cohort_end": "soon"}, "not a date"),
    ],
)
def test_a_cohort_without_dates_in_order_is_refused_with_the_rules_name(
    values: dict[str, str], message: str
) -> None:
    with pytest.raises(RuleViolation, match=message) as refused:
        cohort_dates(joining(values))
    assert refused.value.rule == "cohort_dates"


def test_a_cohort_keeps_the_dates_an_earlier_stage_recorded() -> None:
    earlier = {"pre_incubation": {"cohort_start": "2026-09-01"}}
    cohort_dates(joining({"cohort_end": "2027-05-28"}, case_data=earlier))


@pytest.mark.parametrize(
    ("typed", "key"),
    [
        ("Promotion 2026", "promotion-2026"),
        ("  promotion   2026 ", "promotion-2026"),
        ("Promotion 2026 – A", "promotion-2026-a"),
        ("Promotion Été", "promotion-ete"),
        ("Lichting #7", "lichting-7"),
    ],
)
def test_the_same_cohort_typed_differently_has_one_key(typed: str, key: str) -> None:
    assert cohort_key(typed) == key


def test_a_name_without_latin_letters_still_has_a_key_of_its_own() -> None:
    first, again, other = cohort_key("Промо"), cohort_key(" промо "), cohort_key("Когорта")
    assert first == again
    assert first != other
    assert first.startswith("cohort-")


def test_every_check_of_the_new_files_is_registered_and_used() -> None:
    used = {c for p in FILES for stage in spec(p).stages for o in stage.outcomes.values() for c in o.checks}
    assert used == {"cohort_dates"}
    assert "cohort_dates" in programme.CHECKS


def _entering(pathway: PathwaySpec, stage: str) -> list[tuple[str, str, dict[str, Any]]]:
    """(stage, outcome, fields) of every outcome that enters `stage`."""
    return [
        (s.id, name, dict(s.fields_for(name)))
        for s in pathway.stages
        for name, outcome in s.outcomes.items()
        if outcome.next == stage
    ]


def test_the_fabrique_records_its_lead_as_a_person_before_making_them_owner() -> None:
    fabrique = spec("fabrique")
    (with_step,) = [s.id for s in fabrique.stages if "lead_becomes_owner" in s.steps]
    entering = [e for e in _entering(fabrique, with_step) if e[0] != with_step]
    assert entering
    for _stage, _outcome, fields in entering:
        assert fields[LEAD_FIELD].type is FieldType.PERSON
        assert fields[LEAD_FIELD].required
    assert fabrique.lifecycle.requires == (Phase.IDEA,)
    handed = {o.start for s in fabrique.stages for o in s.outcomes.values() if o.start}
    assert handed == {"incubation", "ongoing_support"}


def test_vises_records_its_question_before_starting_the_impact_evaluation() -> None:
    evaluation = spec("impact_evaluation")
    (with_step,) = [s.id for s in evaluation.stages if "open_impact_evaluation" in s.steps]
    for _stage, _outcome, fields in _entering(evaluation, with_step):
        assert fields[QUESTION_FIELD].required
    assert (evaluation.id, "impact_shown") == IMPACT_SHOWN
    assert IMPACT_SHOWN[1] in evaluation.ends


def test_every_way_into_a_cohort_records_its_name_and_dates_and_checks_them() -> None:
    incubation = spec(INCUBATION)
    entering = [e for e in _entering(incubation, "incubation") if e[0] != "incubation"]
    assert {(stage, outcome) for stage, outcome, _ in entering} == {
        ("jury", "accepted"),
        ("pre_incubation", "joins_cohort"),
    }
    for stage, outcome, fields in entering:
        assert all(fields[name].required for name in COHORT_FIELDS)
        assert "cohort_dates" in incubation.stage(stage).outcomes[outcome].checks
    deadline = incubation.stage("incubation").deadline
    assert deadline is not None
    assert deadline.until == "cohort_end"


@pytest.mark.parametrize("pathway", FILES)
def test_every_stage_with_a_deadline_reminds_before_it_and_reaches_a_manager_after_it(pathway: str) -> None:
    loaded = spec(pathway)
    for stage in loaded.stages:
        if stage.deadline is None:
            continue
        assert stage.remind, f"{pathway}:{stage.id} reminds no one"
        assert "manager" in {e.to.value for e in stage.escalate}, (
            f"{pathway}:{stage.id} never reaches a manager"
        )
    references = {
        "fabrique": "FAI",
        "incubation": "INCUB",
        "impact_evaluation": "IMPACT",
        "aces_support": "ACES",
    }
    assert loaded.reference == references[pathway]
