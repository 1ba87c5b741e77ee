"""Every kind of audit event the code records reads as a sentence on the audit page, in fr, nl and en.

The kinds are read from the source itself (every ``kind=`` given to ``Tx.audit`` or
``append_event``, following a kind passed down through a function's parameter), so a kind
added tomorrow without its sentence in web/manager/auditview.py, or without its French and Dutch
translations, fails here rather than reading "Camille Martin: case frozen" on the page.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from pathways.domain.loader import load_pathway_dir
from pathways.services.audit.journal import AuditEntry, AuditPage
from pathways.web.i18n import texts
from pathways.web.manager import auditview

SRC = Path(__file__).resolve().parents[2] / "src" / "pathways"
CONFIG = Path(__file__).resolve().parents[2] / "config"
AUDIT_CALLS = frozenset({"audit", "append_event"})
# Kinds built from a value the source does not spell out: the kinds each expression makes.
BUILT = {"f'{what}_imported'": frozenset({"people_imported", "projects_imported"})}
AT = datetime(2026, 12, 14, 9, 30, tzinfo=UTC)
PAYLOAD = {"person": 9, "officer": 9, "project": 4}  # who and what an event may name


def _called(node: ast.Call) -> str | None:
    func = node.func
    return func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else None


def _kind_of(call: ast.Call, name: str = "kind", position: int | None = None) -> ast.expr | None:
    """The argument `name` of a call: by keyword, or at `position` among the positional ones."""
    given = next((k.value for k in call.keywords if k.arg == name), None)
    if given is None and position is not None and position < len(call.args):
        given = call.args[position]
    return given


class Source:
    """Every module of src/pathways, parsed once."""

    def __init__(self) -> None:
        self.trees = {path: ast.parse(path.read_text(encoding="utf-8")) for path in sorted(SRC.rglob("*.py"))}

    def constants(self, tree: ast.Module) -> dict[str, str]:
        """The module's names bound to a string (``RENEWED: Final = "owner_link_renewed"``)."""
        found: dict[str, str] = {}
        for node in tree.body:
            target: ast.expr | None = node.target if isinstance(node, ast.AnnAssign) else None
            if isinstance(node, ast.Assign) and len(node.targets) == 1:
                target = node.targets[0]
            value = node.value if isinstance(node, ast.Assign | ast.AnnAssign) else None
            if (
                isinstance(target, ast.Name)
                and isinstance(value, ast.Constant)
                and isinstance(value.value, str)
            ):
                found[target.id] = value.value
        return found

    def callers_kinds(
        self, function: str, name: str, position: int | None
    ) -> Iterator[tuple[Path, ast.expr, dict[str, str], list[str], str]]:
        """What every call of `function` gives its parameter `name`, with what resolves it where it is."""
        for path, tree in self.trees.items():
            for func, params in _functions(tree):
                for call in ast.walk(func):
                    if (
                        isinstance(call, ast.Call)
                        and _called(call) == function
                        and (given := _kind_of(call, name, position)) is not None
                    ):
                        yield path, given, self.constants(tree), params, func.name

    def emitted(self) -> tuple[set[str], set[str], list[str]]:
        """(kinds, prefixes of kinds built from a name, expressions this test cannot read)."""
        kinds: set[str] = set()
        prefixes: set[str] = set()
        unread: list[str] = []
        for path, tree in self.trees.items():
            names = self.constants(tree)
            for func, params in _functions(tree):
                for call in ast.walk(func):
                    if isinstance(call, ast.Call) and _called(call) in AUDIT_CALLS and (k := _kind_of(call)):
                        self._resolve(path, k, names, params, func.name, kinds, prefixes, unread, depth=0)
        return kinds, prefixes, unread

    def _resolve(
        self,
        path: Path,
        expr: ast.expr,
        names: dict[str, str],
        params: list[str],
        function: str,
        kinds: set[str],
        prefixes: set[str],
        unread: list[str],
        depth: int,
    ) -> None:
        where = f"{path.relative_to(SRC)}:{expr.lineno}"
        if isinstance(expr, ast.Constant) and isinstance(expr.value, str):
            kinds.add(expr.value)
        elif isinstance(expr, ast.IfExp):
            for branch in (expr.body, expr.orelse):
                self._resolve(path, branch, names, params, function, kinds, prefixes, unread, depth)
        elif isinstance(expr, ast.Name) and expr.id in names:
            kinds.add(names[expr.id])
        elif isinstance(expr, ast.Name) and expr.id in params and depth < 3:  # given by the callers
            positional = [p for p in params if p not in {"self", "cls"}]
            position = positional.index(expr.id)
            callers = list(self.callers_kinds(function, expr.id, position))
            if not callers:
                unread.append(f"{where}: kind={expr.id}, a parameter of {function} that no call gives")
            for at, given, their_names, their_params, caller in callers:
                self._resolve(
                    at, given, their_names, their_params, caller, kinds, prefixes, unread, depth + 1
                )
        elif ast.unparse(expr) in BUILT:
            kinds.update(BUILT[ast.unparse(expr)])
        elif (
            isinstance(expr, ast.JoinedStr)
            and isinstance(expr.values[0], ast.Constant)
            and isinstance(expr.values[0].value, str)
        ):
            prefixes.add(expr.values[0].value)
        else:
            unread.append(f"{where}: kind={ast.unparse(expr)}")


def _functions(tree: ast.Module) -> Iterator[tuple[ast.FunctionDef | ast.AsyncFunctionDef, list[str]]]:
    """Every function of a module with its parameters, the positional ones first, in order."""
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            args = node.args
            yield node, [a.arg for a in [*args.posonlyargs, *args.args, *args.kwonlyargs]]


@pytest.fixture(scope="module")
def emitted() -> tuple[set[str], set[str], list[str]]:
    return Source().emitted()


def test_the_scan_reads_every_kind(emitted: tuple[set[str], set[str], list[str]]) -> None:
    kinds, prefixes, unread = emitted
    assert not unread, (
        "a kind of audit event this test cannot read: spell it out, or add what it makes to BUILT: "
        + "; ".join(unread)
    )
    # What the scan must find, whatever else it finds: a literal, a constant, a parameter, a prefix.
    assert {"decision", "case_assigned", "owner_link_renewed", "person_updated", "project_updated"} <= kinds
    assert {"password_reset", "account_added", "projects_imported", "case_share_accepted"} <= kinds
    assert "owner_" in prefixes


def _entry(kind: str, payload: dict[str, object]) -> AuditEntry:
    return AuditEntry(
        organisation_id=1,
        seq=7,
        kind=kind,
        effective_at=AT,
        recorded_at=AT,
        case_id=3,
        case="DIAG-2026-0001",
        pathway="diagnosis",
        pathway_version=None,
        actor_id=5,
        actor="Camille Martin",
        payload=payload,
    )


@pytest.mark.parametrize("lang", ["fr", "nl", "en"])
def test_every_emitted_kind_has_its_sentence(
    emitted: tuple[set[str], set[str], list[str]], lang: str
) -> None:
    kinds, prefixes, _ = emitted
    catalog = load_pathway_dir(CONFIG / "pathways")
    t = texts(lang)
    answers = [f"{prefix}meeting_confirmed" for prefix in prefixes]  # a prefix's kinds, by an example
    page = AuditPage(
        organisation_id=1,
        entries=tuple(
            _entry(k, {**PAYLOAD, "stage": "intake", "action": "meeting_confirmed"})
            for k in sorted(kinds) + answers
        ),
        next_before=None,
        people={9: "Camille Morel"},
    )
    said = auditview.sentences(t, {})
    missing = sorted(k for k in [*kinds, *answers] if auditview.sentence_of(k, said) is None)
    assert not missing, f"audit event kinds without a sentence in web/manager/auditview.py: {missing}"
    labels = auditview.kind_labels(t)
    unlabelled = sorted(k for k in kinds if k not in labels)
    assert not unlabelled, f"audit event kinds without a label in web/manager/auditview.py: {unlabelled}"
    english = {v.kind: v.sentence for v in auditview.views(page, catalog, texts("en"), str)}
    for view in auditview.views(page, catalog, t, str):
        assert "%(" not in view.sentence, view
        assert "someone" not in view.sentence.lower(), view
        if lang != "en":  # each sentence has its French and Dutch translation
            assert view.sentence != english[view.kind], f"{view.kind}: not translated into {lang}"
