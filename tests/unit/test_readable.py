"""Recorded values, timeline items and documents as people read them (services.casework.readable)."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from pathways.domain.loader import PathwayCatalog, load_pathway_dir
from pathways.services.casework.readable import (
    document_title,
    field_labels,
    item_words,
    recorded_values,
    stage_fields,
)

PATHWAYS_DIR = Path(__file__).resolve().parents[2] / "config" / "pathways"


@cache
def catalog() -> PathwayCatalog:
    return load_pathway_dir(PATHWAYS_DIR)


def test_choices_by_their_label_people_by_name_and_typed_values_kept() -> None:
    intake = catalog().get("diagnosis").stage("intake")
    values = {"legal_form": "association", "documents_received": True, "salaried_jobs": 4, "_spawn": {}}
    shown = {v.field: v for v in recorded_values(stage_fields(intake), values, {}, "fr")}
    assert set(shown) == {"legal_form", "documents_received", "salaried_jobs"}  # bookkeeping left out
    assert shown["legal_form"].shown == (intake.fields["legal_form"].choices or {})["association"].fr
    assert shown["legal_form"].label == intake.fields["legal_form"].label.fr
    assert shown["documents_received"].value is True
    assert shown["documents_received"].shown is None  # yes/no: the page says it in its language
    assert shown["documents_received"].type == "boolean"
    brief = catalog().get("ongoing_support").stage("brief")
    [consultant] = recorded_values(stage_fields(brief), {"consultant": 3}, {3: "Léa Bernard"}, "nl")
    assert consultant.shown == "Léa Bernard"
    [gone] = recorded_values(stage_fields(brief), {"consultant": 9}, {}, "nl")
    assert gone.shown == "—"  # never the raw id


def test_a_decision_item_has_the_outcome_label_the_stage_title_and_the_time_spent() -> None:
    spec = catalog().get("diagnosis")
    intake = spec.stage("intake")
    outcome = next(iter(intake.outcomes))
    details = {"outcome": outcome, "values": {"legal_form": "scop"}, "spent_seconds": 7200.0}
    words = item_words("decision", "intake", details, spec, {}, result=None, lang="nl")
    assert words.stage_title == intake.title.nl
    assert words.outcome_label == intake.outcomes[outcome].label.nl
    assert words.spent_seconds == 7200.0
    assert [v.field for v in words.values] == ["legal_form"]
    assert item_words("entered", "nowhere", {}, spec, {}, result=None, lang="fr").stage_title is None
    message = item_words("message", None, {"person": 5}, spec, {5: "Camille Martin"}, result=None, lang="fr")
    assert message.person == "Camille Martin"


def test_documents_are_named_by_their_stage_and_fields_by_their_labels() -> None:
    spec = catalog().get("diagnosis")
    title = spec.stage("support_plan").title.fr
    assert document_title(catalog(), "DIAG-2026-0005-diagnosis.support_plan.html", "fr") == title
    assert document_title(catalog(), "notes.txt", "fr") == "notes.txt"
    assert document_title(catalog(), "DIAG-2026-0005-unknown.stage.html", "fr").endswith(".html")
    labels = field_labels(spec, "nl")
    assert labels["legal_form"] == spec.stage("intake").fields["legal_form"].label.nl
