"""The pathway-file reference and JSON Schema: generated from the models, committed current, and
every shipped file valid against the schema, checked as an editor checks it."""

from __future__ import annotations

import copy
import json
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft7Validator
from ruamel.yaml import YAML
from typer.testing import CliRunner

from pathways.cli.pathway import app as pathway_cli
from pathways.domain import reference
from pathways.domain.loader import load_pathway_text
from pathways.domain.reference_text import SAMPLE
from pathways.domain.registry import programme_registry
from pathways.errors import DefinitionError

ROOT = Path(__file__).resolve().parents[2]
PATHWAYS = ROOT / "config" / "pathways"
SHIPPED = sorted([*PATHWAYS.glob("*.yaml"), *PATHWAYS.glob("*/v*.yaml")])
OUT_OF_DATE = (
    f"is out of date with the models: run `{reference.COMMAND}` at the repository's root, and commit it"
)
MODELINE = re.compile(r"# yaml-language-server: \$schema=(\S+)\n")


def read_yaml(text: str) -> Any:
    """The data an editor sees: YAML 1.2, as yaml-language-server and check-jsonschema read it."""
    return YAML(typ="safe", pure=True).load(text)


@pytest.fixture(scope="module")
def validator() -> Draft7Validator:
    schema = json.loads((ROOT / reference.SCHEMA_FILE).read_text(encoding="utf-8"))
    return Draft7Validator(schema)


# Generated, and current


def test_committed_schema_is_what_the_models_generate() -> None:
    committed = (ROOT / reference.SCHEMA_FILE).read_text(encoding="utf-8")
    assert committed == reference.schema_text(), f"{reference.SCHEMA_FILE} {OUT_OF_DATE}"


def test_committed_reference_is_what_the_models_generate() -> None:
    committed = (ROOT / reference.REFERENCE_FILE).read_text(encoding="utf-8")
    assert committed == reference.markdown(), f"{reference.REFERENCE_FILE} {OUT_OF_DATE}"


def test_generated_files_say_so_and_name_the_command_on_their_first_lines() -> None:
    markdown_first = reference.markdown().splitlines()[0]
    schema_second = reference.schema_text().splitlines()[2]
    assert reference.COMMAND in markdown_first
    assert reference.COMMAND in schema_second


def test_the_schema_is_a_valid_draft_7_schema() -> None:
    Draft7Validator.check_schema(reference.json_schema())


def test_the_reference_documents_every_key_of_every_model_with_an_example() -> None:
    schema = reference.json_schema()
    page = reference.markdown()
    for name, node in {"PathwaySpec": schema, **schema["definitions"]}.items():
        for key in node.get("properties", {}):
            assert re.search(rf"^\| `{key}` \|.*\| `{key}: [^`]+` \|$", page, re.MULTILINE), (name, key)


def test_the_schema_names_exactly_the_registered_checks_and_steps() -> None:
    definitions = reference.json_schema()["definitions"]
    registry = programme_registry()
    assert set(definitions["Check"]["enum"]) == registry.check_names
    assert set(definitions["Step"]["enum"]) == registry.step_names


def test_the_command_prints_the_schema_and_writes_both_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    runner = CliRunner()
    printed = runner.invoke(pathway_cli, ["schema"])
    assert printed.exit_code == 0
    assert printed.stdout == reference.schema_text()
    assert runner.invoke(pathway_cli, ["schema", "--markdown"]).stdout == reference.markdown()

    monkeypatch.chdir(tmp_path)
    assert runner.invoke(pathway_cli, ["schema", "--write"]).exit_code == 0
    assert (tmp_path / reference.SCHEMA_FILE).read_text(encoding="utf-8") == reference.schema_text()
    assert (tmp_path / reference.REFERENCE_FILE).read_text(encoding="utf-8") == reference.markdown()


# Every shipped file, checked as an editor checks it


def test_every_shipped_file_names_the_schema_on_its_first_line() -> None:
    assert SHIPPED
    for path in SHIPPED:
        found = MODELINE.match(path.read_text(encoding="utf-8"))
        assert found, f"{path.name}: first line is not `# yaml-language-server: $schema=...`"
        assert (path.parent / found[1]).resolve() == (ROOT / reference.SCHEMA_FILE).resolve(), path


def test_every_shipped_file_passes_check_jsonschema_with_the_schema_its_first_line_names() -> None:
    by_schema: dict[Path, list[str]] = {}
    for path in SHIPPED:
        found = MODELINE.match(path.read_text(encoding="utf-8"))
        assert found, path
        by_schema.setdefault((path.parent / found[1]).resolve(), []).append(str(path))
    for schema, files in by_schema.items():
        checked = subprocess.run(
            [sys.executable, "-m", "check_jsonschema", "--schemafile", str(schema), *files],
            capture_output=True,
            text=True,
            check=False,
        )
        assert checked.returncode == 0, checked.stdout + checked.stderr


def test_check_jsonschema_refuses_a_file_with_a_mistake(tmp_path: Path) -> None:
    bad = tmp_path / "diagnosis.yaml"
    bad.write_text(
        (PATHWAYS / "diagnosis.yaml").read_text(encoding="utf-8").replace("deadline:", "dealine:", 1)
    )
    checked = subprocess.run(
        [
            sys.executable,
            "-m",
            "check_jsonschema",
            "--schemafile",
            str(ROOT / reference.SCHEMA_FILE),
            str(bad),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert checked.returncode == 1
    assert "dealine" in checked.stdout


@pytest.mark.parametrize("path", SHIPPED, ids=lambda path: path.name)
def test_every_shipped_file_is_valid_against_the_schema(validator: Draft7Validator, path: Path) -> None:
    errors = [error.message for error in validator.iter_errors(read_yaml(path.read_text(encoding="utf-8")))]
    assert errors == []


def test_the_reference_sample_validates_and_loads(validator: Draft7Validator) -> None:
    assert [error.message for error in validator.iter_errors(read_yaml(SAMPLE))] == []
    spec = load_pathway_text(SAMPLE, file="first_steps.yaml")
    assert spec.stage_ids() == ("intake", "launch")


# Mistakes the schema catches as they are typed; the loader refuses each one too


def _first_stage(data: dict[str, Any]) -> dict[str, Any]:
    stage: dict[str, Any] = data["stages"][0]
    return stage


def _set(path: tuple[str | int, ...], value: Any) -> Callable[[dict[str, Any]], None]:
    def edit(data: dict[str, Any]) -> None:
        *parents, last = path
        node: Any = data
        for key in parents:
            node = node[key]
        node[last] = value

    return edit


def _rename_deadline(data: dict[str, Any]) -> None:
    stage = _first_stage(data)
    stage["dealine"] = stage.pop("deadline")


MISTAKES: dict[str, tuple[Callable[[dict[str, Any]], None], tuple[str | int, ...]]] = {
    "unknown key": (_rename_deadline, ("stages", 0)),
    "wrong type": (_set(("version",), "one"), ("version",)),
    "unknown field type": (
        _set(("stages", 0, "fields", "met_on", "type"), "currency"),
        ("stages", 0, "fields"),
    ),
    "unknown role": (_set(("stages", 0, "owner"), "director"), ("stages", 0, "owner")),
    "unknown check": (_set(("stages", 0, "checks"), ["diagnosis_eligibilty"]), ("stages", 0, "checks", 0)),
    "unknown step": (_set(("stages", 0, "steps"), ["render_documnt"]), ("stages", 0, "steps", 0)),
    "two deadline units": (
        _set(("stages", 0, "deadline"), {"business_days": 15, "weeks": 3}),
        ("stages", 0, "deadline"),
    ),
    "next and end": (
        _set(("stages", 0, "outcomes", "relevant", "end"), "completed"),
        ("stages", 0, "outcomes", "relevant"),
    ),
    "a missing translation": (_set(("title",), {"fr": "Diagnostic", "en": "Diagnosis"}), ("title",)),
    "a choice without choices": (
        _set(("stages", 0, "fields", "met_on", "type"), "choice"),
        ("stages", 0, "fields", "met_on"),
    ),
    "a list without items": (
        _set(("stages", 0, "fields", "met_on", "type"), "list"),
        ("stages", 0, "fields", "met_on"),
    ),
    "an upper-case name": (_set(("stages", 0, "id"), "Intake"), ("stages", 0, "id")),
}


@pytest.mark.parametrize("mistake", sorted(MISTAKES))
def test_the_schema_and_the_loader_both_refuse(validator: Draft7Validator, mistake: str) -> None:
    edit, where = MISTAKES[mistake]
    data = copy.deepcopy(read_yaml((PATHWAYS / "diagnosis.yaml").read_text(encoding="utf-8")))
    edit(data)

    paths = [tuple(error.absolute_path) for error in validator.iter_errors(data)]
    assert paths, f"the schema accepts {mistake}"
    assert any(path[: len(where)] == where for path in paths), paths
    with pytest.raises(DefinitionError):
        load_pathway_text(json.dumps(data, ensure_ascii=False), file="diagnosis.yaml")
