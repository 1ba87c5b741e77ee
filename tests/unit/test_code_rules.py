"""Rules of the code base that a reader relies on: one typed way to reach a table, few type ignores.

- A Core table is reached through :mod:`pathways.store.core` (``CASE``, ``core(Model)``), never by
  ``Model.__table__``, which SQLModel does not declare (hence the ``type: ignore`` it needed).
- At most :data:`MAX_IGNORES` ``type: ignore`` in ``src/``, each saying why after it.
- The web and the CLI never import a table module: they call services.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path
from typing import Final

import pytest

SRC: Final = Path(__file__).resolve().parents[2] / "src" / "pathways"
MAX_IGNORES: Final = 10
IGNORE: Final = re.compile(r"#\s*type:\s*ignore\b(\[[^\]]*\])?(?P<after>.*)$")
WHY: Final = re.compile(r"#\s*\w+")


def _sources() -> dict[str, str]:
    return {str(path.relative_to(SRC.parent)): path.read_text(encoding="utf-8") for path in SRC.rglob("*.py")}


def _table_modules() -> set[str]:
    """The store's modules that declare tables, and the module of their Core handles."""
    found = {"pathways.store.core"}
    for path in (SRC / "store").glob("*.py"):
        if "table=True" in path.read_text(encoding="utf-8"):
            found.add(f"pathways.store.{path.stem}")
    return found


def test_no_module_reaches_a_table_through_dunder_table() -> None:
    reached = [
        f"{name}:{number}"
        for name, text in _sources().items()
        for number, line in enumerate(text.splitlines(), start=1)
        if re.search(r"\.__table__\b", line)
    ]
    assert reached == [], "use pathways.store.core (CASE, core(Model)) instead of Model.__table__"


def test_type_ignores_are_few_and_each_says_why() -> None:
    ignores = [
        (f"{name}:{number}", match)
        for name, text in _sources().items()
        for number, line in enumerate(text.splitlines(), start=1)
        if (match := IGNORE.search(line))
    ]
    assert len(ignores) <= MAX_IGNORES, [where for where, _ in ignores]
    unexplained = [where for where, match in ignores if not WHY.search(match["after"])]
    assert unexplained == [], "write why after the ignore: `# type: ignore[code]  # why`"


def test_the_rule_sees_an_unexplained_ignore() -> None:
    bare = IGNORE.search("x = f()  # type: ignore[no-untyped-call]")
    explained = IGNORE.search("x = f()  # type: ignore[no-untyped-call]  # the library has no stubs")
    assert bare is not None
    assert not WHY.search(bare["after"])
    assert explained is not None
    assert WHY.search(explained["after"])


def test_web_and_cli_import_no_table_module() -> None:
    tables = _table_modules()
    assert {"pathways.store.tables", "pathways.store.core"} <= tables
    offending = []
    for package in ("web", "cli"):
        for path in (SRC / package).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.ImportFrom) and node.module:
                    named = {node.module} | {f"{node.module}.{alias.name}" for alias in node.names}
                elif isinstance(node, ast.Import):
                    named = {alias.name for alias in node.names}
                else:
                    continue
                if named & tables:
                    offending.append(f"{path.relative_to(SRC)}:{node.lineno}")
    assert offending == [], "the web and the CLI call services; only the store and services import tables"


def test_core_gives_the_table_a_class_maps_and_refuses_a_class_without_one() -> None:
    from sqlmodel import SQLModel

    from pathways.store import core
    from pathways.store.tables import Case, Person

    assert core.core(Case) is core.CASE
    assert core.CASE.name == "case"
    assert core.core(Person).c.handle is core.PERSON.c.handle

    class Draft(SQLModel):  # a pydantic model, no table
        name: str

    with pytest.raises(TypeError, match="Draft is not a table class"):
        core.core(Draft)
