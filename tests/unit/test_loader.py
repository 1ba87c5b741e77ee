"""Loading pathway files (pathways.domain.loader): each refusal names the line and what to change."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pathways.domain import programme
from pathways.domain.loader import (
    PathwayCatalog,
    load_pathway_dir,
    load_pathway_file,
    load_pathway_text,
)
from pathways.domain.registry import Registry
from pathways.domain.spec import Deadline, Duration, FieldType, PathwaySpec, Phase
from pathways.domain.validation import validate_files
from pathways.errors import DefinitionError, NotFound

# Line numbers of MINIMAL are asserted below: 1 id, 8 lifecycle, 10 intake, 12 its deadline,
# 14 headcount, 16 relevant, 17 not_relevant, 18 committee, 21 favourable.
MINIMAL = textwrap.dedent("""\
    id: diagnosis
    version: 1
    title: {fr: Diagnostic, nl: Diagnose, en: Diagnosis}
    reference: DIAG
    ends:
      completed: {fr: Terminé, nl: Voltooid, en: Completed}
      redirected: {fr: Réorienté, nl: Doorverwezen, en: Redirected}
    lifecycle: {on: {completed: consolidation}}
    stages:
      - id: intake
        title: {fr: Accueil, nl: Onthaal, en: Intake}
        deadline: {business_days: 15}
        fields:
          headcount: {type: integer, label: {fr: Effectif, nl: Personeel, en: Headcount}, min: 1}
        outcomes:
          relevant: {label: {fr: Pertinent, nl: Relevant, en: Relevant}, next: committee}
          not_relevant: {label: {fr: Non pertinent, nl: Niet relevant, en: Not relevant}, end: redirected}
      - id: committee
        title: {fr: Comité, nl: Comité, en: Committee}
        outcomes:
          favourable: {label: {fr: Favorable, nl: Gunstig, en: Favourable}, end: completed}
    """)

# Most features at once, for the mutation test.
FULL = textwrap.dedent("""\
    id: diagnosis
    version: 3
    title: {fr: Diagnostic partagé, nl: Gedeelde diagnose, en: Shared diagnosis}
    description:
      fr: Un diagnostic
      nl: Een diagnose
      en: A diagnosis
    reference: DIAG
    calendar: business_days
    lifecycle: {requires: [idea, emergence], on: {completed: consolidation, redirected: idea}}
    ends:
      completed: {fr: Terminé, nl: Voltooid, en: Completed}
      redirected: {fr: Réorienté, nl: Doorverwezen, en: Redirected}
    stages:
      - id: intake
        title: {fr: Accueil, nl: Onthaal, en: Intake}
        owner: officer
        deadline: {business_days: 15}
        remind:
          - {before: {business_days: 5}, to: officer}
          - {before: {days: 2}, to: owner, template: intake_documents}
        escalate: [{after: {business_days: 1}, to: manager}]
        fields:
          headcount: {type: integer, label: {fr: Effectif, nl: Personeel, en: Headcount}, min: 1}
          has_premises:
            type: choice
            label: {fr: Locaux, nl: Lokalen, en: Premises}
            choices:
              yes: {fr: Oui, nl: Ja, en: Yes}
              no: {fr: Non, nl: Nee, en: No}
          address:
            type: text
            label: {fr: Adresse, nl: Adres, en: Address}
            required_if: {has_premises: 'yes'}
            max_length: 200
          committee_date: {type: date, label: {fr: Comité, nl: Comité, en: Committee}}
        steps: [render_document]
        outcomes:
          relevant: {label: {fr: Pertinent, nl: Relevant, en: Relevant}, next: committee, phase: emergence}
          not_relevant:
            label: {fr: Non pertinent, nl: Niet relevant, en: Not relevant}
            end: redirected
            fields:
              redirected_to: {type: text, label: {fr: Vers, nl: Naar, en: To}, required: true}
      - id: committee
        title: {fr: Comité, nl: Comité, en: Committee}
        owner: committee
        deadline: {until: committee_date, default: {weeks: 6}}
        outcomes:
          favourable:
            label: {fr: Favorable, nl: Gunstig, en: Favourable}
            end: completed
            fields:
              sites: {type: list, items: text, label: {fr: Sites, nl: Sites, en: Sites}}
            spawn: {pathway: swarming, per: sites}
          postponed: {label: {fr: Reporté, nl: Uitgesteld, en: Postponed}, next: committee}
          rework: {label: {fr: À revoir, nl: Herwerken, en: Rework}, next: intake}
    """)


def refused(text: str) -> DefinitionError:
    with pytest.raises(DefinitionError) as caught:
        load_pathway_text(text, file="diagnosis.yaml")
    return caught.value


def edit(text: str, old: str, new: str) -> str:
    assert old in text, old
    return text.replace(old, new, 1)


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def other_pathway(pathway_id: str, reference: str, version: int = 1) -> str:
    text = edit(MINIMAL, "id: diagnosis", f"id: {pathway_id}")
    return edit(edit(text, "reference: DIAG", f"reference: {reference}"), "version: 1", f"version: {version}")


# Files that load


def test_minimal_file_loads_with_its_stage_graph_as_written() -> None:
    spec = load_pathway_text(MINIMAL, file="diagnosis.yaml")

    assert spec.key == ("diagnosis", 1)
    assert spec.stage_ids() == ("intake", "committee")
    assert spec.first_stage.id == "intake"
    intake, committee = spec.stages
    assert {name: (o.next, o.end) for name, o in intake.outcomes.items()} == {
        "relevant": ("committee", None),
        "not_relevant": (None, "redirected"),
    }
    assert {name: (o.next, o.end) for name, o in committee.outcomes.items()} == {
        "favourable": (None, "completed")
    }
    assert intake.fields["headcount"].type is FieldType.INTEGER
    assert intake.deadline is not None
    assert str(intake.deadline.duration) == "15 business days"


def test_yes_no_on_off_stay_text_rather_than_yaml_1_1_booleans() -> None:
    spec = load_pathway_text(
        edit(FULL, "required_if: {has_premises: 'yes'}", "required_if: {has_premises: yes}"),
        file="diagnosis.yaml",
    )

    assert spec.lifecycle.on == {"completed": Phase.CONSOLIDATION, "redirected": Phase.IDEA}
    premises = spec.stage("intake").fields["has_premises"]
    assert set(premises.choices or {}) == {"yes", "no"}
    assert (premises.choices or {})["yes"].en == "Yes"
    assert spec.stage("intake").fields["address"].required_if == {"has_premises": "yes"}
    assert spec.stage("committee").deadline == Deadline(until="committee_date", default=Duration(weeks=6))


def test_load_pathway_file_checks_the_stem_and_returns_the_spec(tmp_path: Path) -> None:
    spec = load_pathway_file(write(tmp_path / "diagnosis.yaml", MINIMAL))

    assert spec.id == "diagnosis"


# The stage graph


def test_refuses_next_naming_an_unknown_stage_and_lists_the_stages() -> None:
    error = refused(edit(MINIMAL, "next: committee", "next: comittee"))

    assert error.line == 16
    assert error.message.startswith(
        "diagnosis.yaml:16: stages[0].outcomes.relevant.next: unknown stage `comittee`"
    )
    assert "did you mean `committee`?" in error.message
    assert "intake, committee" in error.message


def test_refuses_an_unreachable_stage() -> None:
    error = refused(edit(MINIMAL, "next: committee", "end: completed"))

    assert error.line == 18
    assert "stages[1].id: stage `committee` is unreachable" in str(error)
    assert error.hint is not None
    assert "next: committee" in error.hint


def test_refuses_a_dead_end_loop_with_no_exit() -> None:
    text = MINIMAL.split("  - id: intake")[0] + textwrap.dedent("""\
          - id: intake
            title: {fr: Accueil, nl: Onthaal, en: Intake}
            outcomes:
              relevant: {label: {fr: Oui, nl: Ja, en: Yes}, next: review}
              not_relevant: {label: {fr: Non, nl: Nee, en: No}, end: redirected}
              fast_track: {label: {fr: Vite, nl: Snel, en: Fast}, end: completed}
          - id: review
            title: {fr: Revue, nl: Review, en: Review}
            outcomes:
              accepted: {label: {fr: Oui, nl: Ja, en: Yes}, next: rework}
          - id: rework
            title: {fr: Reprise, nl: Herwerking, en: Rework}
            outcomes:
              done: {label: {fr: Fait, nl: Klaar, en: Done}, next: review}
        """)

    error = refused(text)

    assert error.line == 16
    first, second = error.message.splitlines()
    assert "stages[1].id: dead end: no end can be reached from stage `review`" in first
    assert second.startswith("diagnosis.yaml:20: stages[2].id: dead end")
    assert "`rework`" in second


def test_refuses_a_stage_id_used_twice() -> None:
    text = edit(edit(MINIMAL, "next: committee", "next: intake"), "- id: committee", "- id: intake")

    error = refused(text)

    assert error.line == 18
    assert "stage id `intake` is used twice (first by stages[0])" in str(error)


# Keys written twice: YAML would silently keep the last one


def test_refuses_an_outcome_key_written_twice_at_its_second_occurrence() -> None:
    error = refused(edit(MINIMAL, "      not_relevant:", "      relevant:"))

    assert error.line == 17
    assert "stages[0].outcomes.relevant: outcome `relevant` is written twice (first on line 16)" in str(error)


def test_refuses_a_field_key_written_twice() -> None:
    text = edit(
        MINIMAL,
        "    outcomes:\n",
        "      headcount: {type: text, label: {fr: a, nl: b, en: c}}\n    outcomes:\n",
    )

    error = refused(text)

    assert error.line == 15
    assert "field `headcount` is written twice (first on line 14)" in str(error)


# Translations and field types


def test_refuses_a_title_missing_a_translation_and_says_which_language() -> None:
    error = refused(edit(MINIMAL, "{fr: Accueil, nl: Onthaal, en: Intake}", "{fr: Accueil, en: Intake}"))

    assert error.line == 11
    assert error.message == "diagnosis.yaml:11: stages[0].title: missing the nl translation"


def test_refuses_an_empty_translation() -> None:
    error = refused(edit(MINIMAL, "en: Headcount", "en: ''"))

    assert error.line == 14
    assert "stages[0].fields.headcount.label.en: the en translation is empty" in str(error)


def test_refuses_an_unknown_field_type_with_did_you_mean() -> None:
    error = refused(edit(MINIMAL, "type: integer", "type: integr"))

    assert error.line == 14
    assert "stages[0].fields.headcount.type: unknown field type `integr`" in str(error)
    assert error.hint == "did you mean `integer`?"


def test_refuses_an_unknown_key_with_did_you_mean() -> None:
    error = refused(edit(MINIMAL, "deadline:", "dealine:"))

    assert error.line == 12
    assert "stages[0].dealine: unknown key `dealine`" in str(error)
    assert error.hint is not None
    assert error.hint.startswith("did you mean `deadline`?")


def test_refuses_a_name_that_is_not_an_identifier() -> None:
    error = refused(edit(MINIMAL, "not_relevant:", "Not-Relevant:"))

    assert error.line == 17
    assert "`Not-Relevant` is not a valid name" in str(error)


def test_a_bare_true_is_refused_where_text_is_expected_with_a_hint_to_quote_it() -> None:
    error = refused(edit(MINIMAL, "end: redirected", "end: true"))

    assert error.line == 17
    assert "stages[0].outcomes.not_relevant.end: expected text, not the boolean `true`" in str(error)
    assert error.hint is not None
    assert "quote" in error.hint


# Names resolved in registries


def test_refuses_an_unknown_check_with_did_you_mean() -> None:
    only = Registry(checks={"diagnosis_eligibility": programme.CHECKS["diagnosis_eligibility"]}, steps={})
    text = edit(
        MINIMAL,
        "    deadline: {business_days: 15}\n",
        "    deadline: {business_days: 15}\n    checks: [diagnosis_eligibilty]\n",
    )

    with pytest.raises(DefinitionError) as caught:
        load_pathway_text(text, file="diagnosis.yaml", registry=only)
    error = caught.value

    assert error.line == 13
    assert "stages[0].checks[0]: unknown check `diagnosis_eligibilty`" in str(error)
    assert error.hint is not None
    assert "did you mean `diagnosis_eligibility`?" in error.hint


def test_refuses_an_unknown_check_on_an_outcome() -> None:
    error = refused(edit(MINIMAL, "end: completed}", "end: completed, checks: [no_such_rule]}"))

    assert error.line == 21
    assert "stages[1].outcomes.favourable.checks[0]: unknown check `no_such_rule`" in str(error)


def test_refuses_an_unknown_step_with_did_you_mean() -> None:
    text = edit(
        MINIMAL,
        "    deadline: {business_days: 15}\n",
        "    deadline: {business_days: 15}\n    steps: [render_documnt]\n",
    )

    error = refused(text)

    assert error.line == 13
    assert "stages[0].steps[0]: unknown automatic step `render_documnt`" in str(error)
    assert error.hint is not None
    assert "did you mean `render_document`?" in error.hint


# Durations and deadlines


@pytest.mark.parametrize(
    ("old", "new", "line", "words"),
    [
        (
            "deadline: {business_days: 15}",
            "deadline: {business_days: -3}",
            12,
            "stages[0].deadline.business_days: must be at least 1, not -3",
        ),
        (
            "deadline: {business_days: 15}",
            "deadline: {business_days: 3, days: 2}",
            12,
            "stages[0].deadline: a deadline has exactly one of business_days, days, weeks, months, until",
        ),
        (
            "deadline: {business_days: 15}",
            "deadline: {weeks: 0}",
            12,
            "stages[0].deadline.weeks: must be at least 1",
        ),
        (
            "deadline: {business_days: 15}\n",
            "deadline: {business_days: 15}\n    remind: [{before: {weeks: 1, days: 2}, to: officer}]\n",
            13,
            "stages[0].remind[0].before: a duration has exactly one of business_days, days, weeks, months",
        ),
        (
            "deadline: {business_days: 15}\n",
            "deadline: {business_days: 15}\n    escalate:\n      - after: {days: -3}\n        to: manager\n",
            14,
            "stages[0].escalate[0].after.days: must be at least 0, not -3",
        ),
    ],
)
def test_refuses_an_invalid_duration(old: str, new: str, line: int, words: str) -> None:
    error = refused(edit(MINIMAL, old, new))

    assert error.line == line
    assert words in str(error)


def test_refuses_until_naming_a_field_that_is_not_a_date() -> None:
    text = edit(
        MINIMAL,
        "title: {fr: Comité, nl: Comité, en: Committee}\n",
        "title: {fr: Comité, nl: Comité, en: Committee}\n    deadline: {until: headcount}\n",
    )

    error = refused(text)

    assert error.line == 20
    assert "stages[1].deadline.until: `until` names `headcount`, a field of type integer, not a date" in str(
        error
    )
    assert error.hint == "declare `headcount` with `type: date`"


def test_refuses_until_naming_an_undeclared_field() -> None:
    text = edit(
        MINIMAL,
        "title: {fr: Comité, nl: Comité, en: Committee}\n",
        "title: {fr: Comité, nl: Comité, en: Committee}\n    deadline: {until: committee_date}\n",
    )

    error = refused(text)

    assert error.line == 20
    assert "`until` names `committee_date`, a field no stage or outcome declares" in str(error)


# Ends, lifecycle, spawns, conditional fields


def test_refuses_an_unknown_end_result_and_reports_the_unused_one_after_it() -> None:
    error = refused(edit(MINIMAL, "end: redirected", "end: redirect"))

    assert error.line == 17
    first, second = error.message.splitlines()
    assert "stages[0].outcomes.not_relevant.end: unknown end result `redirect`" in first
    assert "did you mean `redirected`?" in first
    assert second.startswith("diagnosis.yaml:7: ends.redirected: end result `redirected` is never used")


def test_refuses_an_end_result_no_outcome_uses() -> None:
    postponed = "  postponed: {fr: Reporté, nl: Uitgesteld, en: Postponed}\n"
    text = edit(MINIMAL, "lifecycle:", postponed + "lifecycle:")

    error = refused(text)

    assert error.line == 8
    assert "ends.postponed: end result `postponed` is never used" in str(error)


def test_refuses_a_lifecycle_phase_for_an_unknown_end() -> None:
    error = refused(edit(MINIMAL, "on: {completed:", "on: {complete:"))

    assert error.line == 8
    assert "lifecycle.on.complete: `complete` is not an end result" in str(error)


def test_refuses_spawn_per_a_field_that_is_not_a_list() -> None:
    text = edit(MINIMAL, "next: committee}", "next: committee, spawn: {pathway: swarming, per: headcount}}")

    error = refused(text)

    assert error.line == 16
    assert "stages[0].outcomes.relevant.spawn.per: `per` names `headcount`, a field of type integer" in str(
        error
    )


def test_refuses_required_if_naming_an_unknown_field() -> None:
    error = refused(edit(MINIMAL, "min: 1}", "min: 1, required_if: {has_premises: 'yes'}}"))

    assert error.line == 14
    assert "required_if.has_premises: `required_if` names `has_premises`, a field no stage or outcome" in str(
        error
    )


def test_refuses_required_if_expecting_a_value_that_is_not_a_choice() -> None:
    error = refused(edit(FULL, "required_if: {has_premises: 'yes'}", "required_if: {has_premises: maybe}"))

    assert error.line == 34
    assert "stages[0].fields.address.required_if.has_premises: `has_premises` has no choice `maybe`" in str(
        error
    )
    assert error.hint == "its choices: no, yes"


# Templates


def test_refuses_a_reminder_template_missing_a_translation(tmp_path: Path) -> None:
    templates = tmp_path / "templates"
    for lang in ("fr", "en"):
        write(templates / lang / "intake_documents.txt.j2", "{{ case.reference }}")
    for lang in ("fr", "nl"):
        write(templates / lang / "escalation.txt.j2", "{{ case.reference }}")
    text = edit(
        MINIMAL,
        "deadline: {business_days: 15}\n",
        "deadline: {business_days: 15}\n"
        "    remind: [{before: {business_days: 5}, to: officer, template: intake_documents}]\n"
        "    escalate: [{after: {business_days: 1}, to: manager}]\n",
    )
    path = write(tmp_path / "pathways" / "diagnosis.yaml", text)

    with pytest.raises(DefinitionError) as caught:
        load_pathway_file(path, templates=templates)

    error = caught.value
    assert error.line == 13
    first, second = error.message.splitlines()
    assert "stages[0].remind[0].template: template `intake_documents` has no nl translation" in first
    assert str(templates / "nl" / "intake_documents.txt.j2") in first
    assert second.startswith(
        f"{path}:14: stages[0].escalate[0].template: template `escalation` has no en translation"
    )
    assert load_pathway_file(path).id == "diagnosis"  # without a templates folder, not checked


# Unreadable files


def test_refuses_a_yaml_syntax_error_with_its_line() -> None:
    error = refused(edit(MINIMAL, "reference: DIAG", "reference: DIAG: X"))

    assert error.line == 4
    assert "not valid YAML: mapping values are not allowed" in str(error)


def test_an_unclosed_bracket_names_the_line_where_it_opened() -> None:
    error = refused(
        edit(MINIMAL, "title: {fr: Comité, nl: Comité, en: Committee}", "title: {fr: Comité, nl: Comité")
    )

    assert error.line is not None
    assert error.line >= 19
    assert "starts on line 19" in str(error)


@pytest.mark.parametrize("text", ["", "\n", "# nothing yet\n"])
def test_refuses_an_empty_file(text: str) -> None:
    error = refused(text)

    assert error.line is None
    assert "the file is empty" in str(error)


def test_refuses_a_file_that_is_not_a_mapping() -> None:
    error = refused("- id: diagnosis\n- version: 1\n")

    assert error.line == 1
    assert "a pathway file is a mapping" in str(error)


def test_refuses_a_missing_required_key_on_the_line_of_its_parent() -> None:
    error = refused(edit(MINIMAL, "reference: DIAG\n", ""))

    assert error.line == 1
    assert error.message == "diagnosis.yaml:1: `reference` is missing"


def test_several_problems_are_listed_one_a_line_the_first_in_the_file_primary() -> None:
    text = edit(
        edit(MINIMAL, "type: integer", "type: integr"),
        "{fr: Accueil, nl: Onthaal, en: Intake}",
        "{fr: Accueil, en: Intake}",
    )

    error = refused(text)

    assert error.line == 11
    lines = error.message.splitlines()
    assert len(lines) == 2
    assert lines[0].startswith("diagnosis.yaml:11: stages[0].title: missing the nl translation")
    assert lines[1].startswith(
        "diagnosis.yaml:14: stages[0].fields.headcount.type: unknown field type `integr`"
    )


# Files, folders and versions


def test_refuses_a_file_whose_stem_differs_from_its_id(tmp_path: Path) -> None:
    path = write(tmp_path / "diagnostic.yaml", MINIMAL)

    with pytest.raises(DefinitionError) as caught:
        load_pathway_file(path)

    assert caught.value.file == str(path)
    assert caught.value.line == 1
    assert "the id `diagnosis` differs from the file name diagnostic.yaml" in str(caught.value)
    assert caught.value.hint == "rename the file to diagnosis.yaml, or write `id: diagnostic`"


def test_refuses_an_old_version_filed_under_another_number(tmp_path: Path) -> None:
    path = write(tmp_path / "diagnosis" / "v2.yaml", MINIMAL)

    with pytest.raises(DefinitionError) as caught:
        load_pathway_file(path)

    assert caught.value.line == 2
    assert "version 1 is filed as v2.yaml" in str(caught.value)


def test_refuses_a_file_that_is_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "diagnosis.yaml"
    path.write_bytes(MINIMAL.encode("latin-1"))

    with pytest.raises(DefinitionError, match="not UTF-8 text") as caught:
        load_pathway_file(path)

    assert caught.value.hint == "save it as UTF-8"


def test_folder_refuses_a_yml_file_rather_than_ignoring_it(tmp_path: Path) -> None:
    write(tmp_path / "diagnosis.yml", MINIMAL)

    with pytest.raises(DefinitionError, match=r"diagnosis\.yml: a pathway file ends in \.yaml"):
        load_pathway_dir(tmp_path)


def test_folder_catalog_holds_every_version_and_serves_the_latest(tmp_path: Path) -> None:
    write(tmp_path / "diagnosis.yaml", edit(MINIMAL, "version: 1", "version: 2"))
    write(tmp_path / "diagnosis" / "v1.yaml", MINIMAL)
    write(tmp_path / "swarming.yaml", other_pathway("swarming", "SWARM"))
    write(tmp_path / "README.md", "not a pathway")

    catalog = load_pathway_dir(tmp_path)

    assert len(catalog) == 3
    assert [spec.key for spec in catalog] == [("diagnosis", 1), ("diagnosis", 2), ("swarming", 1)]
    assert catalog.versions("diagnosis") == [1, 2]
    assert catalog.get("diagnosis").version == 2
    assert catalog.get("diagnosis", 1).version == 1
    assert [spec.key for spec in catalog.latest()] == [("diagnosis", 2), ("swarming", 1)]
    assert "swarming" in catalog
    assert "ongoing_support" not in catalog


def test_catalog_lookup_of_an_unknown_pathway_names_the_known_ones(tmp_path: Path) -> None:
    catalog = PathwayCatalog.of([load_pathway_text(MINIMAL, file="diagnosis.yaml")])

    with pytest.raises(NotFound) as caught:
        catalog.get("swarming")
    assert "swarming" in str(caught.value)
    assert caught.value.hint == "known pathways: diagnosis"
    with pytest.raises(NotFound) as caught:
        catalog.get("diagnosis", 7)
    assert caught.value.hint == "its versions: 1"
    with pytest.raises(ValueError, match="given twice"):
        PathwayCatalog.of([catalog.get("diagnosis"), catalog.get("diagnosis")])


def test_folder_refuses_the_same_version_twice_naming_both_files(tmp_path: Path) -> None:
    current = write(tmp_path / "diagnosis.yaml", MINIMAL)
    old = write(tmp_path / "diagnosis" / "v1.yaml", MINIMAL)

    with pytest.raises(DefinitionError) as caught:
        load_pathway_dir(tmp_path)

    assert caught.value.file == str(old)
    assert caught.value.line == 2
    assert f"pathway `diagnosis` version 1 is also defined by {current}" in str(caught.value)


def test_folder_refuses_an_old_version_newer_than_the_current_file(tmp_path: Path) -> None:
    write(tmp_path / "diagnosis.yaml", MINIMAL)
    write(tmp_path / "diagnosis" / "v2.yaml", edit(MINIMAL, "version: 1", "version: 2"))

    with pytest.raises(DefinitionError) as caught:
        load_pathway_dir(tmp_path)

    assert "old version 2 is newer than the current file" in str(caught.value)


def test_folder_refuses_old_versions_without_a_current_file(tmp_path: Path) -> None:
    write(tmp_path / "diagnosis" / "v1.yaml", MINIMAL)

    with pytest.raises(DefinitionError, match=r"no current file diagnosis\.yaml"):
        load_pathway_dir(tmp_path)


SPAWN_ELSEWHERE = (
    "end: completed, spawn: {pathway: ongoing_support, per: sites},"
    " fields: {sites: {type: list, items: text, label: {fr: a, nl: b, en: c}}}}"
)


@pytest.mark.parametrize(
    ("outcome", "path"),
    [
        ("end: completed, start: ongoing_support}", "stages[1].outcomes.favourable.start"),
        (SPAWN_ELSEWHERE, "stages[1].outcomes.favourable.spawn.pathway"),
    ],
)
def test_folder_refuses_a_hand_off_or_spawn_to_a_pathway_it_does_not_hold(
    tmp_path: Path, outcome: str, path: str
) -> None:
    write(tmp_path / "diagnosis.yaml", edit(MINIMAL, "end: completed}", outcome))

    with pytest.raises(DefinitionError) as caught:
        load_pathway_dir(tmp_path)

    assert caught.value.line == 21
    assert f"{path}: unknown pathway `ongoing_support`" in str(caught.value)
    write(tmp_path / "ongoing_support.yaml", other_pathway("ongoing_support", "SUIV"))
    assert load_pathway_dir(tmp_path).ids() == ["diagnosis", "ongoing_support"]


def test_folder_refuses_two_pathways_sharing_a_reference_prefix(tmp_path: Path) -> None:
    write(tmp_path / "diagnosis.yaml", MINIMAL)
    write(tmp_path / "swarming.yaml", other_pathway("swarming", "DIAG"))

    with pytest.raises(DefinitionError) as caught:
        load_pathway_dir(tmp_path)

    assert caught.value.line == 4
    assert "case reference prefix `DIAG` is already used by pathway `diagnosis`" in str(caught.value)


def test_validate_files_reports_each_file_and_resolves_targets_beside_it(tmp_path: Path) -> None:
    good = write(
        tmp_path / "diagnosis.yaml",
        edit(MINIMAL, "end: completed}", "end: completed, start: ongoing_support}"),
    )
    bad = write(tmp_path / "broken.yaml", "id: broken\nversion: [\n")
    lost = write(
        tmp_path / "lost" / "lost.yaml",
        other_pathway("lost", "LOST").replace("end: completed}", "end: completed, start: nowhere}"),
    )
    write(tmp_path / "ongoing_support.yaml", other_pathway("ongoing_support", "SUIV"))

    results = validate_files([good, bad, lost], templates=None)

    assert [path for path, _ in results] == [good, bad, lost]
    assert isinstance(results[0][1], PathwaySpec)
    assert isinstance(results[1][1], DefinitionError)
    assert results[1][1].line == 2
    assert isinstance(results[2][1], DefinitionError)
    assert "unknown pathway `nowhere`" in str(results[2][1])


# Any damage to a valid file is refused with a DefinitionError, on a line of the file


def _scalar_spans(text: str) -> list[tuple[int, int]]:
    spans = []
    todo = [yaml.compose(text, Loader=yaml.SafeLoader)]
    while todo:
        node = todo.pop()
        if isinstance(node, yaml.ScalarNode):
            spans.append((node.start_mark.index, node.end_mark.index))
        elif isinstance(node, yaml.SequenceNode):
            todo.extend(node.value)
        elif isinstance(node, yaml.MappingNode):
            todo.extend(item for pair in node.value for item in pair)
    return sorted(spans)


SPANS = _scalar_spans(FULL)
GARBAGE = st.one_of(
    st.text(max_size=12),
    st.sampled_from(
        [
            "",
            "-1",
            "0",
            "[",
            "{",
            "}",
            "x: y",
            "yes",
            "~",
            "'",
            '"',
            "*a",
            "&a b",
            "\t",
            ": ",
            "#",
            "2026-13-45",
            "!!python/object/apply:os.system ['true']",
            "[1, 2]",
            "{a: 1}",
            "\n- ",
            "|",
        ]
    ),
)


@st.composite
def damaged(draw: st.DrawFn) -> str:
    if draw(st.booleans()):
        lines = FULL.splitlines(keepends=True)
        del lines[draw(st.integers(0, len(lines) - 1))]
        return "".join(lines)
    start, end = draw(st.sampled_from(SPANS))
    return FULL[:start] + draw(GARBAGE) + FULL[end:]


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(damaged())
def test_a_damaged_file_loads_or_is_refused_on_one_of_its_lines(text: str) -> None:
    error = refusal_or_none(text)

    if error is not None:
        assert error.file == "diagnosis.yaml"
        assert error.line is None or 1 <= error.line <= max(1, len(text.splitlines()))


def refusal_or_none(text: str) -> DefinitionError | None:
    """The DefinitionError loading `text` raises, None when it loads; any other exception fails."""
    try:
        load_pathway_text(text, file="diagnosis.yaml")
    except DefinitionError as error:
        return error
    return None
