"""Rules of the code base that a reader relies on: one typed way to reach a table, few type ignores.

- A Core table is reached through :mod:`pathways.store.core` (``CASE``, ``core(Model)``), never by
  ``Model.__table__``, which SQLModel does not declare (hence the ``type: ignore`` it needed).
- At most :data:`MAX_IGNORES` ``type: ignore`` in ``src/``, each saying why after it.
- The web and the CLI never import a table module: they call services.
- The web and the CLI open no write transaction: the service a command goes to opens it; the
  work after a commit runs through ``App.after_commit`` only.
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


# Typed rows at the services' boundary (issue 20, item 2): a public function or method of
# services/ returns frozen dataclasses or pydantic models (each package's ``views`` module: CaseView,
# PersonView, FailedMessage, ImpactSheet...), never row dicts. What is left, keyed "module:function",
# each with why; the list only shrinks (an entry converted or gone fails the test).
ROW_DICT: Final = re.compile(r"\b(dict|Mapping|MutableMapping)\[str, Any\]|\bRowMapping\b")
ROW_DICTS_ALLOWED: Final = frozenset(
    {
        # JSON documents, not rows: written or sent as they are, their keys set by their format
        # or by the event's kind.
        "services/audit/anchoring.py:dump",  # the chain heads an operator anchors elsewhere
        "services/casework/attachments.py:audit_payload",  # an audit event's payload
        "services/casework/queries.py:with_decision_details",  # decisions' payloads, completed
        "services/casework/casefile_privacy.py:export_about",  # GDPR export of a case file
        "services/people/privacy.py:export_person",  # GDPR export of a person
        "services/people/resources.py:suggest",  # `resource suggest --json`
        "services/exchange/opendata.py:feature",  # a GeoJSON feature
        "services/exchange/opendata.py:jsonld",  # a JSON-LD document
        # Report rows for the JSON, CSV and chart exports: their columns are the declared fields
        # of the report's row dataclass, chosen at run time by the report asked for.
        "services/reporting/reports.py:as_dicts",
        # Not rows: statement parameters ({"b_id": ...}) and the values of outbox jobs to insert.
        "services/casework/lookup.py:case_key",
        "services/casework/outbox_batch.py:job_row",
        # The lookup of a row of any directory table by id or name (the typed finders wrap it).
        "services/people/directory.py:find_row",
    }
)


def _row_dict_returns(sources: dict[str, str]) -> set[str]:
    """The public functions (and public methods) of services/ annotated to return row dicts."""
    found = set()
    for name, text in sources.items():
        module = name.removeprefix("pathways/")
        if not module.startswith("services/"):
            continue
        for node in ast.walk(ast.parse(text)):
            if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) or node.name.startswith("_"):
                continue
            if node.returns is not None and ROW_DICT.search(ast.unparse(node.returns)):
                found.add(f"{module}:{node.name}")
    return found


def test_the_services_return_views_not_row_dicts() -> None:
    found = _row_dict_returns(_sources())
    assert sorted(found - ROW_DICTS_ALLOWED) == [], "return a frozen dataclass of the package's views module"
    assert sorted(ROW_DICTS_ALLOWED - found) == [], "converted or gone: take them out of ROW_DICTS_ALLOWED"


def test_the_typed_rows_rule_sees_a_function_returning_row_dicts() -> None:
    sources = {
        "pathways/services/casework/x.py": "def find(conn, ref) -> dict[str, Any]: ...\n"
        "def rows(conn) -> list[dict[str, Any]]: ...\n"
        "def one(conn) -> Mapping[str, Any] | None: ...\n"
        "def raw(conn) -> RowMapping: ...\n"
        "def _private(conn) -> dict[str, Any]: ...\n"
        "def fine(conn, ref) -> CaseView: ...\n"
        "def ids(conn) -> dict[int, str]: ...\n",
        "pathways/services/people/y.py": "class Finder:\n"
        "    def org(self) -> MutableMapping[str, Any]: ...\n",
        "pathways/web/z.py": "def page(conn) -> dict[str, Any]: ...\n",
    }
    assert sorted(_row_dict_returns(sources)) == [
        "services/casework/x.py:find",
        "services/casework/x.py:one",
        "services/casework/x.py:raw",
        "services/casework/x.py:rows",
        "services/people/y.py:org",
    ]


# One shape for use cases (issue 20, item 3): a web route or a CLI command builds a command and
# calls a service ``(app, command, *, by)``, which opens its write transaction itself; an entry
# point opens none (no ``write(app, ...)`` from pathways.services.tx, no ``caller.write()``,
# ``store.write()``). Keyed "module:function" (a method as Class.method).
WRITES_LEFT: Final[frozenset[str]] = frozenset()  # every entry point converted


def _opens_write(call: ast.Call, tx_write: bool) -> bool:
    func = call.func
    if isinstance(func, ast.Name):
        return tx_write and func.id == "write"
    return isinstance(func, ast.Attribute) and func.attr == "write" and not call.args and not call.keywords


def _writes_under(node: ast.AST, scope: tuple[str, ...], tx_write: bool) -> set[str]:
    """The functions (dotted, within `node`) whose body opens a write transaction."""
    found: set[str] = set()
    for child in ast.iter_child_nodes(node):
        if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            found |= _writes_under(child, (*scope, child.name), tx_write)
            continue
        if isinstance(child, ast.Call) and _opens_write(child, tx_write):
            found.add(".".join(scope) or "<module>")
        found |= _writes_under(child, scope, tx_write)
    return found


def _write_transactions(sources: dict[str, str]) -> set[str]:
    """Where a module of web/ or cli/ opens a write transaction: ``write(...)`` imported from
    pathways.services.tx, or a ``.write()`` without arguments (``caller.write()``, ``store.write()``)."""
    found: set[str] = set()
    for name, text in sources.items():
        module = name.removeprefix("pathways/")
        if not module.startswith(("web/", "cli/")):
            continue
        tree = ast.parse(text)
        tx_write = any(
            isinstance(node, ast.ImportFrom)
            and node.module == "pathways.services.tx"
            and any(alias.name == "write" for alias in node.names)
            for node in ast.walk(tree)
        )
        found |= {f"{module}:{where}" for where in _writes_under(tree, (), tx_write)}
    return found


def test_web_and_cli_open_no_write_transaction() -> None:
    found = _write_transactions(_sources())
    opened = sorted(found - WRITES_LEFT)
    assert opened == [], "call a service (app, command, *, by): it opens its transaction itself"
    assert sorted(WRITES_LEFT - found) == [], "converted: take these out of WRITES_LEFT"


def test_the_write_rule_sees_an_entry_point_opening_a_transaction() -> None:
    sources = {
        "pathways/cli/x.py": "from pathways.services.tx import write\n"
        "def cmd(ctx):\n    with write(app_of(ctx)) as tx:\n        f(tx)\n",
        "pathways/web/y.py": "class R:\n    def route(self, caller):\n"
        "        with caller.write() as (user, tx):\n            f(tx)\n"
        "        sys.stdout.write('ok')\n",
        "pathways/cli/z.py": "def export(out):\n    def write(o): ...\n    write(out)\n",
        "pathways/services/w.py": "from pathways.services.tx import write\n"
        "def case(app):\n    with write(app) as tx: ...\n",
    }
    assert _write_transactions(sources) == {"cli/x.py:cmd", "web/y.py:R.route"}


def _follow_up_callers(sources: dict[str, str]) -> set[str]:
    """The modules that call ``follow_up(...)`` or ``work.follow_up(...)`` (the run of a case's work)."""
    found = set()
    for name, text in sources.items():
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, ast.Call):
                func = node.func
                called = func.id if isinstance(func, ast.Name) else getattr(func, "attr", None)
                if called == "follow_up":
                    found.add(name.removeprefix("pathways/"))
    return found


def test_the_work_after_a_commit_runs_through_app_after_commit_only() -> None:
    # Entry points, the demo included, call App.after_commit, which runs the work inline or leaves
    # it to Prefect as PATHWAYS_EXECUTOR says (the demo's App is an inline one: demo/seed.py).
    assert _follow_up_callers(_sources()) == {"bootstrap.py"}
    assert _follow_up_callers({"pathways/demo/x.py": "work.follow_up(app, 3)\n"}) == {"demo/x.py"}


MAX_MODULE_LINES: Final = 400  # a module past this is asking to be split along its seams


def test_no_module_passes_400_lines() -> None:
    """Small rooms: each module of the package reads in one sitting (split it, don't squeeze it)."""
    long = {
        str(path.relative_to(SRC)): n
        for path in SRC.rglob("*.py")
        if (n := len(path.read_text(encoding="utf-8").splitlines())) > MAX_MODULE_LINES
    }
    assert long == {}, f"over {MAX_MODULE_LINES} lines: split these along their seams"
