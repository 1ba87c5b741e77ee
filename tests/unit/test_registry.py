"""Names resolved at load: one registry of checks and automatic steps, every step implemented."""

from __future__ import annotations

import ast
import subprocess
import sys
import textwrap
from collections.abc import Iterator, Mapping
from pathlib import Path
from types import MappingProxyType
from typing import Any

import pytest

from pathways.bootstrap import App, Clock
from pathways.domain import programme
from pathways.domain.loader import load_pathway_dir, load_pathway_text
from pathways.domain.registry import Registry, StepInfo, programme_registry
from pathways.domain.spec import PathwaySpec
from pathways.errors import DefinitionError
from pathways.services.casework.work import STEP_RUNNERS
from pathways.settings import load_settings
from pathways.store.db import Store

ROOT = Path(__file__).resolve().parents[2]
CONFIG = ROOT / "config"
DOMAIN = ROOT / "src" / "pathways" / "domain"

# Line 12 names the automatic step, line 17 the check (asserted below).
WITH_NAMES = textwrap.dedent("""\
    id: diagnosis
    version: 1
    title: {fr: Diagnostic, nl: Diagnose, en: Diagnosis}
    reference: DIAG
    ends:
      completed: {fr: Terminé, nl: Voltooid, en: Completed}
    stages:
      - id: intake
        title: {fr: Accueil, nl: Onthaal, en: Intake}
        deadline: {business_days: 15}
        steps:
          - render_document
        outcomes:
          relevant:
            label: {fr: Pertinent, nl: Relevant, en: Relevant}
            end: completed
            checks: [diagnosis_eligibility]
    """)


def names_used(spec: PathwaySpec) -> Iterator[tuple[str, str]]:
    """("check" | "step", name) for every check and automatic step a pathway names."""
    yield from (("check", name) for name in spec.checks)
    for stage in spec.stages:
        yield from (("check", name) for name in stage.checks)
        yield from (("step", name) for name in stage.steps)
        for outcome in stage.outcomes.values():
            yield from (("check", name) for name in outcome.checks)


def shipped_names() -> set[tuple[str, str]]:
    """Every check and step named by every shipped pathway file, old versions included."""
    catalog = load_pathway_dir(CONFIG / "pathways")
    return {used for spec in catalog for used in names_used(spec)}


def an_app(steps: Mapping[str, Any] | None = None) -> App:
    """An App on an unconnected SQLite store: enough to build its registry and catalogue."""
    settings = load_settings(config_dir=CONFIG, environment="test")
    return App(settings=settings, store=Store.from_url("sqlite://"), clock=Clock(), steps=steps)


# Everything named is registered and implemented


def test_every_check_a_shipped_file_names_is_a_registered_callable() -> None:
    registry = programme_registry()
    checks = {name for kind, name in shipped_names() if kind == "check"}

    assert checks, "the shipped files name no check: the test would prove nothing"
    assert checks <= registry.check_names
    assert all(callable(registry.checks[name]) for name in checks)


def test_every_step_a_shipped_file_names_is_declared_and_implemented() -> None:
    steps = {name for kind, name in shipped_names() if kind == "step"}

    assert steps, "the shipped files name no automatic step: the test would prove nothing"
    assert steps <= programme_registry().step_names
    assert steps <= set(STEP_RUNNERS)


def test_every_declared_step_is_implemented_and_every_implementation_declared() -> None:
    declared = {info.name for info in programme.STEPS}

    assert declared == set(STEP_RUNNERS)
    assert all(callable(run) for run in STEP_RUNNERS.values())
    assert all(info.description for info in programme.STEPS)


def test_the_registry_holds_exactly_the_domain_tables() -> None:
    registry = programme_registry()

    assert dict(registry.checks) == dict(programme.CHECKS)
    assert set(registry.steps) == {info.name for info in programme.STEPS}


def test_the_app_loads_the_shipped_files_against_its_registry() -> None:
    app = an_app()

    assert app.step_runners is STEP_RUNNERS
    assert app.registry.step_names == frozenset(STEP_RUNNERS)
    assert set(app.catalog.ids()) >= {"diagnosis", "ongoing_support", "peer_transfer", "swarming"}


# What is refused, and where


def test_an_app_with_a_declared_step_left_unimplemented_refuses_to_start() -> None:
    app = an_app({name: run for name, run in STEP_RUNNERS.items() if name != "add_to_committee_agenda"})

    with pytest.raises(LookupError, match="declared but not implemented \\['add_to_committee_agenda'\\]"):
        _ = app.catalog  # before any file is read, and long before a case reaches the step


def test_an_app_with_an_undeclared_implementation_refuses_to_start() -> None:
    app = an_app({**STEP_RUNNERS, "send_fax": STEP_RUNNERS["render_document"]})

    with pytest.raises(LookupError, match="implemented but not declared \\['send_fax'\\]"):
        _ = app.registry


def test_the_loader_accepts_the_names_its_registry_holds() -> None:
    spec = load_pathway_text(WITH_NAMES, file="diagnosis.yaml", registry=programme_registry())

    assert set(names_used(spec)) == {("step", "render_document"), ("check", "diagnosis_eligibility")}


def test_the_loader_refuses_a_step_its_registry_does_not_hold_with_file_and_line() -> None:
    without_steps = Registry(checks=programme.CHECKS, steps={})

    with pytest.raises(DefinitionError) as caught:
        load_pathway_text(WITH_NAMES, file="diagnosis.yaml", registry=without_steps)

    assert (caught.value.file, caught.value.line) == ("diagnosis.yaml", 12)
    assert "stages[0].steps[0]: unknown automatic step `render_document`" in str(caught.value)


def test_the_loader_refuses_a_check_its_registry_does_not_hold_with_file_and_line() -> None:
    without_checks = Registry(checks={}, steps={info.name: info for info in programme.STEPS})

    with pytest.raises(DefinitionError) as caught:
        load_pathway_text(WITH_NAMES, file="diagnosis.yaml", registry=without_checks)

    assert (caught.value.file, caught.value.line) == ("diagnosis.yaml", 17)
    assert "unknown check `diagnosis_eligibility`" in str(caught.value)


def test_the_loader_refuses_an_unknown_step_by_default_and_suggests_the_registered_one() -> None:
    text = WITH_NAMES.replace("- render_document", "- render_documents")

    with pytest.raises(DefinitionError) as caught:
        load_pathway_text(text, file="diagnosis.yaml")

    assert caught.value.line == 12
    assert caught.value.hint is not None
    assert "render_document" in caught.value.hint


# The registry itself


def test_a_registry_is_a_copy_that_cannot_change() -> None:
    checks = dict(programme.CHECKS)
    registry = Registry(checks=checks, steps={})
    checks["extra"] = programme.CHECKS["proven_model"]

    assert "extra" not in registry.check_names
    assert isinstance(registry.checks, MappingProxyType)  # read-only view
    assert isinstance(registry.steps, MappingProxyType)


def test_a_step_listed_under_another_name_is_refused() -> None:
    with pytest.raises(ValueError, match="listed under the name 'render'"):
        Registry(checks={}, steps={"render": StepInfo("render_document", "renders")})


# No import cycle, no registration by import


def domain_imports(module: Path) -> set[str]:
    """The pathways.domain modules `module` imports, at any level (functions included)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(module.read_text("utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module:
            if node.module == "pathways.domain":
                found |= {alias.name for alias in node.names}
            elif node.module.startswith("pathways.domain."):
                found.add(node.module.split(".")[2])
        elif isinstance(node, ast.Import):
            found |= {a.name.split(".")[2] for a in node.names if a.name.startswith("pathways.domain.")}
    return found


def test_rules_imports_neither_programme_nor_registry() -> None:
    assert domain_imports(DOMAIN / "rules.py").isdisjoint({"programme", "registry", "loader"})


def test_importing_rules_loads_no_programme_rule() -> None:
    script = (
        "import sys, pathways.domain.rules; print(sorted(m for m in sys.modules if m.startswith('pathways')))"
    )
    loaded = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True).stdout

    assert "pathways.domain.programme" not in loaded
    assert "pathways.domain.registry" not in loaded


def test_the_domain_modules_import_each_other_without_a_cycle() -> None:
    graph = {path.stem: domain_imports(path) for path in DOMAIN.glob("*.py") if path.stem != "__init__"}
    done: set[str] = set()

    def visit(module: str, path: tuple[str, ...]) -> None:
        assert module not in path, f"import cycle: {' -> '.join((*path, module))}"
        if module in done:
            return
        for imported in graph.get(module, set()):
            visit(imported, (*path, module))
        done.add(module)

    for module in graph:
        visit(module, ())
