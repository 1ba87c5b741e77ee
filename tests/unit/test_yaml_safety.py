"""Reading pathway files written by someone else: YAML 1.2, no Python objects, no alias bombs, lines right."""

from __future__ import annotations

import textwrap
import time
from pathlib import Path

import pytest

from pathways.domain.loader import load_pathway_text
from pathways.domain.yamlpos import MAX_VALUES, parse
from pathways.errors import DefinitionError

# 1 id, 4 reference, 5 ends, 7 stages, 8 intake, 9 its title, 11 outcomes, 12 done, 13 again
PATHWAY = textwrap.dedent("""\
    id: diagnosis
    version: 1
    title: &label {fr: Diagnostic, nl: Diagnose, en: Diagnosis}
    reference: DIAG
    ends:
      completed: {fr: Terminé, nl: Voltooid, en: Completed}
    stages:
      - id: intake
        title: *label
        owner: officer
        outcomes:
          done: {label: {fr: Fait, nl: Klaar, en: Done}, end: completed}
          again: {label: {fr: Encore, nl: Opnieuw, en: Again}, next: intake}
    """)


def refused(text: str) -> DefinitionError:
    with pytest.raises(DefinitionError) as caught:
        load_pathway_text(text, file="diagnosis.yaml")
    return caught.value


def edit(text: str, old: str, new: str) -> str:
    assert old in text, old
    return text.replace(old, new, 1)


def test_the_pathway_used_here_loads_with_its_alias_resolved() -> None:
    spec = load_pathway_text(PATHWAY, file="diagnosis.yaml")

    assert spec.stages[0].title == spec.title


# Keys written twice


def test_a_top_level_key_written_twice_is_refused_on_its_second_line() -> None:
    error = refused(edit(PATHWAY, "reference: DIAG\n", "reference: DIAG\nid: other\n"))

    assert error.line == 5
    assert error.message.startswith("diagnosis.yaml:5: id: key `id` is written twice (first on line 1)")


def test_a_key_written_twice_in_a_flow_mapping_is_refused_on_its_line() -> None:
    error = refused(edit(PATHWAY, "end: completed}", "end: completed, end: completed}"))

    assert error.line == 12
    assert "stages[0].outcomes.done.end: key `end` is written twice (first on line 12)" in error.message


def test_every_key_written_twice_is_listed_first_one_primary() -> None:
    text = edit(edit(PATHWAY, "version: 1\n", "version: 1\nversion: 2\n"), "owner: officer", "id: intake")

    lines = refused(text).message.splitlines()

    assert lines[0].startswith("diagnosis.yaml:3: version: key `version` is written twice (first on line 2)")
    assert lines[1].startswith("diagnosis.yaml:11: stages[0].id: key `id` is written twice (first on line 9)")


def test_two_keys_written_differently_with_the_same_value_are_refused_on_the_second() -> None:
    error = refused(edit(PATHWAY, "reference: DIAG\n", "reference: DIAG\n1: a\n0x1: b\n"))

    assert error.line == 6
    assert "two keys have the same value" in error.message


# What YAML 1.2 means


def test_yes_no_on_off_are_text_and_only_true_false_are_booleans() -> None:
    doc = parse("a: yes\nb: no\nc: on\nd: off\ne: y\nf: true\ng: False\n")

    assert doc.data == {"a": "yes", "b": "no", "c": "on", "d": "off", "e": "y", "f": True, "g": False}


def test_plain_keys_yaml_reads_as_other_things_are_text() -> None:
    doc = parse("1: a\nnull: c\n2026-01-02: d\n'quoted': e\nx: {true: b}\n")

    assert doc.data == {"1": "a", "null": "c", "2026-01-02": "d", "quoted": "e", "x": {"true": "b"}}


def test_keys_one_and_true_in_one_mapping_are_the_same_key() -> None:
    # YAML 1.2 reads them as 1 and True, which Python's dict holds as one key.
    error = refused(edit(PATHWAY, "reference: DIAG\n", "reference: DIAG\n1: a\ntrue: b\n"))

    assert error.line == 6
    assert "two keys have the same value" in error.message


# Nothing but plain data


@pytest.mark.parametrize(
    "tagged",
    [
        "!!python/object/apply:os.system ['touch {marker}']",
        "!!python/object/new:os.system ['touch {marker}']",
        "!!python/name:os.system",
        "!!python/object:pathlib.Path {{}}",
        "!custom {marker}",
    ],
)
def test_tags_that_would_build_python_objects_are_refused_on_their_line(tagged: str, tmp_path: Path) -> None:
    marker = tmp_path / "ran"

    error = refused(edit(PATHWAY, "owner: officer", "owner: " + tagged.format(marker=marker)))

    assert error.line == 10
    assert "not valid YAML: could not determine a constructor for the tag" in error.message
    assert not marker.exists()


@pytest.mark.parametrize("key", ["? [a, b]\n: 1\n", "? [*label]\n: 1\n", "? [[lol, lol], [lol]]\n: 1\n"])
def test_a_list_as_a_key_is_refused_on_its_line(key: str) -> None:
    error = refused(edit(PATHWAY, "reference: DIAG\n", "reference: DIAG\n" + key))

    assert error.line == 5
    assert "a key must be a name or text, not a list or a mapping" in error.message


@pytest.mark.parametrize("value", ["2026-13-45", "!!int abc", "!!float abc", "!!bool maybe"])
def test_a_value_yaml_cannot_build_is_refused_on_its_line(value: str) -> None:
    error = refused(edit(PATHWAY, "owner: officer", f"owner: {value}"))

    assert error.line == 10
    assert "not valid YAML: cannot read this value" in error.message


# Aliases


def billion_laughs(levels: int = 9) -> str:
    lines = ["id: diagnosis", 'lol0: &lol0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for level in range(1, levels + 1):
        items = ", ".join([f"*lol{level - 1}"] * 9)
        lines.append(f"lol{level}: &lol{level} [{items}]")
    return "\n".join(lines) + "\n"


def test_an_alias_bomb_is_refused_quickly_with_a_line() -> None:
    started = time.perf_counter()

    error = refused(billion_laughs())

    assert time.perf_counter() - started < 2.0  # 9**10 strings if anything expanded them
    assert f"repeat its values more than {MAX_VALUES:,} times" in error.message
    assert error.line is not None
    assert 2 <= error.line <= 11


def test_an_alias_bomb_written_in_keys_is_refused_quickly() -> None:
    lines = ["? &k0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]", ": 0"]
    for level in range(1, 9):
        lines += [f"? &k{level} [" + ", ".join([f"*k{level - 1}"] * 9) + "]", f": {level}"]
    started = time.perf_counter()

    error = refused("\n".join(lines) + "\n")

    assert time.perf_counter() - started < 2.0
    assert error.line == 1  # the first list written as a key
    assert "a key must be a name or text" in error.message


def test_a_value_containing_itself_is_refused() -> None:
    error = refused(edit(PATHWAY, "owner: officer", "owner: &loop [a, *loop]"))

    assert error.line == 10
    assert "this value contains itself" in error.message


def test_a_reused_anchor_is_refused_on_its_second_line() -> None:
    error = refused(edit(PATHWAY, "owner: officer", "owner: &label officer"))

    assert error.line == 10
    assert "duplicate anchor" in error.message


# Positions


@pytest.mark.parametrize(
    ("old", "new", "line", "where"),
    [
        ("reference: DIAG", "reference: diag", 4, "reference:"),
        ("owner: officer", "owner: bogus", 10, "stages[0].owner:"),
        ("{fr: Terminé, nl: Voltooid, en: Completed}", "{fr: Terminé, en: Completed}", 6, "ends.completed:"),
        ("next: intake}", "next: intake, then: x}", 13, "stages[0].outcomes.again.then:"),
        (
            "  - id: intake\n",
            "  - id: intake\n    checks:\n      - [a]\n      - 3\n",
            11,
            "stages[0].checks[1]",
        ),
    ],
)
def test_errors_name_the_line_of_the_value(old: str, new: str, line: int, where: str) -> None:
    error = refused(edit(PATHWAY, old, new))

    assert f"diagnosis.yaml:{line}: {where}" in error.message


def test_an_error_inside_an_aliased_value_names_where_the_reference_is() -> None:
    error = refused(edit(PATHWAY, "en: Diagnosis}", "en: ''}"))

    assert error.line == 3  # title.en, where the anchor's text is written
    assert error.message.startswith("diagnosis.yaml:3: title.en: the en translation is empty")


def test_a_null_document_is_not_a_mapping_but_an_empty_one_is_empty() -> None:
    assert "a pathway file is a mapping" in refused("# nothing\n~\n").message
    assert refused("# nothing\n~\n").line == 2
    assert "the file is empty" in refused("# nothing\n").message
