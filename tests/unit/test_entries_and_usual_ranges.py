"""Two pathway-file features of issue 22: `entries` (where a case opened by another pathway starts)
and a number field's usual range (`usual_min`/`usual_max`: a warning, never a refusal)."""

from __future__ import annotations

import textwrap
from datetime import datetime
from decimal import Decimal

import pytest

from pathways.domain import case as machine
from pathways.domain.loader import load_pathway_text
from pathways.domain.rules import ProjectFacts
from pathways.domain.spec import Phase
from pathways.errors import DefinitionError

TEXT = textwrap.dedent("""\
    id: support
    version: 1
    title: {fr: Accompagnement, nl: Begeleiding, en: Support}
    reference: SUPP
    ends:
      completed: {fr: Terminé, nl: Voltooid, en: Completed}
    entries: {swarming: founding}
    stages:
      - id: brief
        title: {fr: Cahier des charges, nl: Bestek, en: Brief}
        outcomes:
          chosen:
            label: {fr: Retenu, nl: Gekozen, en: Chosen}
            next: founding
            fields:
              days:
                {type: decimal, min: 0.5, usual_min: 2, usual_max: 5, label: {fr: Jours, nl: Dagen, en: Days}}
      - id: founding
        title: {fr: Création, nl: Oprichting, en: Founding}
        outcomes:
          founded: {label: {fr: Créée, nl: Opgericht, en: Founded}, end: completed}
    """)


PROJECT = ProjectFacts(
    id=1, name="Recyclerie", legal_form="association", phase=Phase.FOUNDED, territory="FR-75",
    salaried_jobs=3, organisation=1,
)  # fmt: skip


class NoFacts:
    """No rule of this pathway asks the database."""

    def transfers_this_year(self, resource_person: int, year: int, *, exclude_case: int | None) -> int:
        raise AssertionError("not asked")

    def has_impact_evaluation(self, project: int) -> bool:
        raise AssertionError("not asked")


def test_a_case_opened_by_the_named_pathway_starts_at_its_entry_any_other_at_the_first_stage() -> None:
    spec = load_pathway_text(TEXT, file="support.yaml")
    assert machine.start(spec, "swarming")[0].stage == "founding"
    assert machine.start(spec, "diagnosis")[0].stage == "brief"
    assert machine.start(spec)[0].stage == "brief"


@pytest.mark.parametrize(
    ("old", "new", "says"),
    [
        ("entries: {swarming: founding}", "entries: {swarming: fonding}", "unknown stage `fonding`"),
        (
            "usual_min: 2, usual_max: 5",
            "usual_min: 6, usual_max: 5",
            "usual_min (6) is greater than usual_max (5)",
        ),
    ],
)
def test_a_wrong_entry_or_range_is_refused_naming_it(old: str, new: str, says: str) -> None:
    with pytest.raises(DefinitionError) as refused:
        load_pathway_text(TEXT.replace(old, new), file="support.yaml")
    assert says in str(refused.value)


@pytest.mark.parametrize(
    ("days", "warned"), [("1", True), ("2", False), ("5", False), ("5.5", True), (None, False)]
)
def test_a_value_outside_the_usual_range_is_recorded_with_a_warning(days: str | None, warned: bool) -> None:
    spec = load_pathway_text(TEXT, file="support.yaml")
    transition = machine.decide(
        spec,
        machine.CaseState(stage="brief"),
        "chosen",
        {"days": days} if days else {},
        project=PROJECT,
        facts=NoFacts(),
        now=datetime(2026, 7, 8),
    )
    assert transition.entered == "founding"
    expected = (
        (machine.OutsideUsual("days", Decimal(days), Decimal(2), Decimal(5)),) if warned and days else ()
    )
    assert transition.warnings == expected
