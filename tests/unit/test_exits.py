"""Exits: every pathway closes at any open stage (withdrawn, abandoned or its own exits), with a reason."""

from __future__ import annotations

import textwrap
from datetime import UTC, datetime
from functools import cache
from pathlib import Path

import pytest

from pathways.domain import exits
from pathways.domain.case import CaseClosed, CaseState, PhaseReached, StageLeft
from pathways.domain.loader import PathwayCatalog, load_pathway_dir, load_pathway_text
from pathways.domain.spec import DEFAULT_EXITS, PathwaySpec, Phase
from pathways.errors import DefinitionError, FieldError, InvalidInput, TransitionNotAllowed

PATHWAYS_DIR = Path(__file__).resolve().parents[2] / "config" / "pathways"
NOW = datetime(2026, 7, 8, 8, 0, tzinfo=UTC)


@cache
def catalogue() -> PathwayCatalog:
    return load_pathway_dir(PATHWAYS_DIR)


def every_stage() -> list[tuple[str, str, str]]:
    """(pathway, stage, exit) for every stage and exit of every current shipped pathway."""
    return [
        (spec.id, stage.id, name)
        for spec in catalogue().latest()
        for stage in spec.stages
        for name in spec.all_exits
    ]


@pytest.mark.parametrize(("pathway", "stage", "result"), every_stage())
def test_a_case_closes_at_any_stage_through_any_exit_with_its_reason(
    pathway: str, stage: str, result: str
) -> None:
    spec = catalogue().get(pathway)
    state = CaseState(stage=stage, data={"intake": {"met_on": "2026-07-01"}})

    transition = exits.close(spec, state, result, "  La structure se retire du dispositif.  ", now=NOW)

    assert transition.state == CaseState(stage=None, status="closed", result=result, data=state.data)
    assert transition.events[:2] == (StageLeft(stage, result), CaseClosed(result))
    assert transition.values == {}


def test_every_shipped_pathway_has_the_default_exits_and_the_peer_transfer_its_own() -> None:
    for spec in catalogue():
        assert {"withdrawn", "abandoned"} <= set(spec.all_exits), spec.key
        assert not set(spec.ends) & set(spec.all_exits), spec.key  # an exit is never also an end
    assert "transfer_not_held" in catalogue().get("peer_transfer").all_exits
    assert "cancelled" in catalogue().get("consulting_mission").all_exits
    for label in DEFAULT_EXITS.values():
        assert all((label.fr, label.nl, label.en))


def test_an_unknown_exit_is_refused_naming_the_result_field_and_the_exits() -> None:
    spec = catalogue().get("diagnosis")

    with pytest.raises(FieldError) as refused:
        exits.close(spec, CaseState(stage="intake"), "transfer_not_held", "Pas de sens", now=NOW)

    assert refused.value.field == "result"
    assert refused.value.hint is not None
    assert "withdrawn" in refused.value.hint
    assert "abandoned" in refused.value.hint


def test_an_end_result_is_not_an_exit() -> None:
    spec = catalogue().get("diagnosis")

    with pytest.raises(FieldError) as refused:
        exits.close(spec, CaseState(stage="intake"), "redirected", "Réorientée", now=NOW)

    assert refused.value.field == "result"
    assert refused.value.hint is not None
    assert "case decide" in refused.value.hint


@pytest.mark.parametrize("reason", ["", "   ", "\n\t"])
def test_a_reason_is_required(reason: str) -> None:
    with pytest.raises(FieldError) as refused:
        exits.close(catalogue().get("diagnosis"), CaseState(stage="intake"), "withdrawn", reason, now=NOW)

    assert refused.value.field == "reason"


def test_a_reason_longer_than_a_note_is_refused() -> None:
    with pytest.raises(FieldError) as refused:
        exits.close(catalogue().get("diagnosis"), CaseState(stage="intake"), "withdrawn", "x" * 4001, now=NOW)

    assert refused.value.field == "reason"


def test_a_closed_case_cannot_be_closed_again() -> None:
    closed = CaseState(stage=None, status="closed", result="withdrawn")

    with pytest.raises(TransitionNotAllowed) as refused:
        exits.close(catalogue().get("diagnosis"), closed, "abandoned", "Encore", now=NOW)

    assert "already closed" in refused.value.message


def test_a_closing_before_the_stage_was_entered_is_refused() -> None:
    entered = datetime(2026, 7, 9, 8, 0, tzinfo=UTC)

    with pytest.raises(InvalidInput):
        exits.close(
            catalogue().get("diagnosis"),
            CaseState(stage="intake"),
            "withdrawn",
            "Retrait",
            now=NOW,
            stage_entered_at=entered,
        )


# In a pathway file

FILE = textwrap.dedent("""\
    id: trial
    version: 1
    title: {fr: Essai, nl: Proef, en: Trial}
    reference: TRY
    lifecycle: {on: {abandoned: idea}}
    exits:
      abandoned: {fr: Arrêt du projet, nl: Stopzetting, en: Project stopped}
      not_held: {fr: Non tenu, nl: Niet gehouden, en: Not held}
    ends:
      completed: {fr: Terminé, nl: Voltooid, en: Completed}
    stages:
      - id: intake
        title: {fr: Accueil, nl: Onthaal, en: Intake}
        outcomes:
          done: {label: {fr: Fait, nl: Klaar, en: Done}, end: completed}
          stop: {label: {fr: Arrêt, nl: Stop, en: Stop}, end: abandoned}
    """)


def test_a_file_adds_exits_relabels_a_default_one_and_an_outcome_may_end_at_an_exit() -> None:
    spec = load_pathway_text(FILE, file="trial.yaml")

    assert list(spec.all_exits) == ["withdrawn", "abandoned", "not_held"]
    assert spec.all_exits["abandoned"].en == "Project stopped"
    assert spec.all_exits["withdrawn"] == DEFAULT_EXITS["withdrawn"]
    result = spec.result_label("not_held")
    assert result is not None
    assert result.en == "Not held"
    assert spec.stage("intake").outcomes["stop"].end == "abandoned"


def test_an_exit_the_lifecycle_names_moves_the_project() -> None:
    spec = load_pathway_text(FILE, file="trial.yaml")

    transition = exits.close(spec, CaseState(stage="intake"), "abandoned", "Plus de porteur", now=NOW)

    assert PhaseReached(Phase.IDEA) in transition.events


def test_an_exit_declared_both_as_an_exit_and_as_an_end_is_refused_with_its_line() -> None:
    text = FILE.replace(
        "  completed: {fr: Terminé, nl: Voltooid, en: Completed}\n",
        "  completed: {fr: Terminé, nl: Voltooid, en: Completed}\n"
        "  not_held: {fr: Non tenu, nl: Niet gehouden, en: Not held}\n",
    )

    with pytest.raises(DefinitionError) as refused:
        load_pathway_text(text, file="trial.yaml")

    assert refused.value.line == 11
    assert "`not_held` is declared under `exits:` and under `ends:`" in refused.value.message
    assert refused.value.hint is not None


def test_a_default_exit_listed_as_an_end_relabels_it_as_version_1_files_wrote_it() -> None:
    text = FILE.replace(
        "  completed: {fr: Terminé, nl: Voltooid, en: Completed}\n",
        "  completed: {fr: Terminé, nl: Voltooid, en: Completed}\n"
        "  withdrawn: {fr: Retrait, nl: Terugtrekking, en: Withdrawal}\n",
    )

    spec = load_pathway_text(text, file="trial.yaml")  # never used by an outcome: an exit still

    assert spec.all_exits["withdrawn"].en == "Withdrawal"
    result = spec.result_label("withdrawn")
    assert result is not None
    assert result.en == "Withdrawal"


def test_an_outcome_may_not_end_at_a_name_that_is_neither_an_end_nor_an_exit() -> None:
    with pytest.raises(DefinitionError) as refused:
        load_pathway_text(FILE.replace("end: abandoned", "end: stopped"), file="trial.yaml")

    assert "unknown end result `stopped`" in refused.value.message


def test_a_spec_without_exits_still_has_the_defaults() -> None:
    spec = PathwaySpec.model_validate(
        {
            "id": "bare",
            "version": 1,
            "title": {"fr": "Nu", "nl": "Kaal", "en": "Bare"},
            "reference": "BARE",
            "ends": {"done": {"fr": "Fait", "nl": "Klaar", "en": "Done"}},
            "stages": [
                {
                    "id": "only",
                    "title": {"fr": "Seule", "nl": "Enige", "en": "Only"},
                    "outcomes": {
                        "done": {"label": {"fr": "Fait", "nl": "Klaar", "en": "Done"}, "end": "done"}
                    },
                }
            ],
        }
    )

    assert set(spec.all_exits) == {"withdrawn", "abandoned"}
    assert spec.options == {}
    assert spec.option("consultant_bid_within_week") is False
