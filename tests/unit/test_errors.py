"""The whole error tree lives in pathways.errors, and its docstring draws all of it."""

from __future__ import annotations

import ast
import inspect
from pathlib import Path

import pytest

from pathways import errors

SRC = Path(__file__).resolve().parents[2] / "src" / "pathways"
ERRORS = SRC / "errors.py"


def base_names(node: ast.ClassDef) -> set[str]:
    """The names a class statement derives from (`Refused`, `errors.Refused` -> `Refused`)."""
    names = set()
    for base in node.bases:
        if isinstance(base, ast.Name):
            names.add(base.id)
        elif isinstance(base, ast.Attribute):
            names.add(base.attr)
    return names


def classes(path: Path) -> list[ast.ClassDef]:
    return [node for node in ast.walk(ast.parse(path.read_text("utf-8"))) if isinstance(node, ast.ClassDef)]


def tree() -> list[type[errors.PathwaysError]]:
    """PathwaysError and every subclass of it, as imported."""
    found: list[type[errors.PathwaysError]] = [errors.PathwaysError]
    for cls in found:
        found.extend(cls.__subclasses__())
    return found


def test_every_pathways_error_subclass_in_src_is_defined_in_errors() -> None:
    # Class names are resolved within the source, transitively: a subclass of a subclass counts.
    error_names = {"PathwaysError"}
    defined = {path: classes(path) for path in SRC.rglob("*.py")}
    grew = True
    while grew:
        found = {c.name for nodes in defined.values() for c in nodes if base_names(c) & error_names}
        grew = not found <= error_names
        error_names |= found
    elsewhere = sorted(
        f"{path.relative_to(SRC.parent)}:{c.lineno} {c.name}"
        for path, nodes in defined.items()
        if path != ERRORS
        for c in nodes
        if base_names(c) & error_names
    )

    assert elsewhere == [], "define these errors in src/pathways/errors.py"


def test_every_imported_error_class_comes_from_errors() -> None:
    # Importing the application's modules must not add errors defined elsewhere either.
    pytest.importorskip("pathways.web.app")
    pytest.importorskip("pathways.services.exchange.importing")

    assert {cls.__module__ for cls in tree()} == {"pathways.errors"}


def test_the_module_docstring_draws_every_error() -> None:
    documented = errors.__doc__ or ""
    defined = [
        name
        for name, cls in inspect.getmembers(errors, inspect.isclass)
        if issubclass(cls, errors.PathwaysError) and cls.__module__ == "pathways.errors"
    ]

    assert set(defined) == {cls.__name__ for cls in tree()}
    missing = [name for name in defined if f" {name} " not in documented.replace("\n", " \n")]
    assert missing == []


@pytest.mark.parametrize(
    ("error", "branch", "exit_code"),
    [
        (errors.Forbidden("no"), errors.Refused, 4),
        (errors.TooManyAttempts("wait", retry_after=60), errors.Refused, 4),
        (errors.LinkExpired("old"), errors.Refused, 4),
        (errors.Unauthenticated("who?"), errors.PathwaysError, 5),
        (errors.RenderError("broken"), errors.PathwaysError, 1),
        (
            errors.ImportRefused("people", [errors.RowProblem(2, "email", "bad")], rows=3),
            errors.InvalidInput,
            2,
        ),
        (errors.DecidedMeanwhile("DIAG-2026-0001", expected=1, now=2, meanwhile=()), errors.Conflict, 4),
    ],
)
def test_moved_errors_keep_their_branch_and_exit_code(
    error: errors.PathwaysError, branch: type[errors.PathwaysError], exit_code: int
) -> None:
    assert isinstance(error, branch)
    assert error.exit_code == exit_code
