"""The pathway loader on hostile text: a mutated file loads or is refused with the file and line named.

The documents are derived from the shipped pathway files two ways: by editing the
text (lines dropped, doubled, swapped, re-indented, cut short, hostile YAML spliced
in) and by editing the parsed tree (keys dropped, values replaced by values of
another type, nested deeply) then writing it back as YAML. Either way
``load_pathway_text`` returns a pathway or raises ``DefinitionError`` naming the
file and a line of it; any other exception is a failure.
"""

from __future__ import annotations

import copy
import traceback
from pathlib import Path
from typing import Any

import yaml
from fuzzing import fuzz_settings, record
from hypothesis import given
from hypothesis import strategies as st

from pathways.domain.loader import load_pathway_text
from pathways.errors import DefinitionError

CONFIG = Path(__file__).resolve().parents[2] / "config"
TEMPLATES = CONFIG / "templates"
SHIPPED = {p.name: p.read_text(encoding="utf-8") for p in sorted((CONFIG / "pathways").glob("*.yaml"))}
FILE = "hostile/pathway.yaml"
TEXT_EDITS = ["drop", "double", "swap", "indent", "dedent", "splice", "cut", "random"]

HOSTILE_SNIPPETS = [
    ":",
    ": :",
    "- ",
    "-",
    "{",
    "}",
    "[",
    "]",
    "&anchor ",
    "*anchor",
    "*undefined_alias",
    "<<: *anchor",
    "!!python/object/apply:os.system ['true']",
    "!!binary xyz",
    "!!int abc",
    "!!timestamp 2026-13-45",
    "!custom",
    "\t",
    "'",
    '"',
    "\\",
    "#",
    " #",
    "%YAML 1.1\n",
    "---\n",
    "...\n",
    "? ",
    "|",
    ">",
    "@",
    "`",
    "\x00",
    "\x07",
    "\ufeff",
    "\u2028",
    "\x85",
    "\ud7ff",
    "\U0001f600",
    "{{ ''.__class__ }}",
    "9" * 400,
    "1e999",
    "-0",
    ".nan",
    "2026-02-30",
    "null",
    "~",
    "yes",
    "on",
    "[" * 200,
    "{a: " * 120,
]

# A value of any shape, to put where the schema expects something else.
JSONISH = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=30)
    | st.dates().map(str),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4),
    max_leaves=12,
)


@st.composite
def text_mutation(draw: st.DrawFn) -> str:
    """A shipped file with one to four edits of its text."""
    name = draw(st.sampled_from(sorted(SHIPPED)))
    lines = SHIPPED[name].splitlines(keepends=True)
    for _ in range(draw(st.integers(1, 4))):
        if not lines:
            break
        at = draw(st.integers(0, len(lines) - 1))
        edit = draw(st.sampled_from(TEXT_EDITS))
        if edit == "drop":
            del lines[at]
        elif edit == "double":
            lines.insert(at, lines[at])
        elif edit == "swap":
            other = draw(st.integers(0, len(lines) - 1))
            lines[at], lines[other] = lines[other], lines[at]
        elif edit == "indent":
            lines[at] = " " * draw(st.integers(1, 5)) + lines[at]
        elif edit == "dedent":
            lines[at] = lines[at].lstrip(" ")
        elif edit == "splice":
            line = lines[at]
            cut = draw(st.integers(0, len(line)))
            lines[at] = line[:cut] + draw(st.sampled_from(HOSTILE_SNIPPETS)) + line[cut:]
        elif edit == "cut":
            text = "".join(lines)
            lines = [text[: draw(st.integers(0, len(text)))]]
        else:
            line = lines[at]
            cut = draw(st.integers(0, len(line)))
            lines[at] = line[:cut] + draw(st.text(max_size=20)) + line[cut:]
    return "".join(lines)


def _paths(tree: Any, at: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every path to a value in a parsed document."""
    found = [at]
    if isinstance(tree, dict):
        for key, value in tree.items():
            found += _paths(value, (*at, key))
    elif isinstance(tree, list):
        for index, value in enumerate(tree):
            found += _paths(value, (*at, index))
    return found


@st.composite
def tree_mutation(draw: st.DrawFn) -> str:
    """A shipped file parsed, one to three of its values dropped or replaced, written back as YAML."""
    name = draw(st.sampled_from(sorted(SHIPPED)))
    tree = copy.deepcopy(yaml.safe_load(SHIPPED[name]))
    for _ in range(draw(st.integers(1, 3))):
        paths = [p for p in _paths(tree) if p]
        path = draw(st.sampled_from(paths))
        parent = tree
        for part in path[:-1]:
            parent = parent[part]
        if draw(st.booleans()) and isinstance(parent, dict | list):
            del parent[path[-1]]
        elif draw(st.integers(0, 9)) == 0:
            deep: Any = "x"
            for _ in range(draw(st.integers(50, 150))):
                deep = [deep]
            parent[path[-1]] = deep
        else:
            parent[path[-1]] = draw(JSONISH)
    return yaml.safe_dump(tree, allow_unicode=draw(st.booleans()), sort_keys=False)


def _check(text: str, failures: list[str]) -> str:
    """Load `text`: 'loaded', 'refused', or a failure appended."""
    try:
        load_pathway_text(text, file=FILE, templates=TEMPLATES)
    except DefinitionError as exc:
        last = max(1, len(text.splitlines()) + 1)
        # A file of nothing but comments and blank lines has no line to name.
        blank = exc.message == f"{FILE}: the file is empty"
        if exc.file != FILE or not exc.message.startswith(FILE):
            failures.append(f"the file is not named: {exc.message[:200]!r}")
        elif exc.line is None and not blank:
            failures.append(f"no line named: {exc.message[:300]!r} for {text[:300]!r}")
        elif exc.line is not None and not 1 <= exc.line <= last:
            failures.append(f"line {exc.line} outside 1..{last}: {exc.message[:200]!r}")
        return "refused"
    except Exception as exc:  # noqa: BLE001  any other exception is what this test looks for
        failures.append(f"{type(exc).__name__}: {exc!s:.200} for {text[:300]!r}\n{traceback.format_exc()}")
        return "crashed"
    return "loaded"


def test_the_shipped_files_load_as_they_are() -> None:
    failures: list[str] = []
    outcomes = [_check(text, failures) for text in SHIPPED.values()]
    assert failures == []
    assert outcomes == ["loaded"] * len(SHIPPED)


def _run(strategy: st.SearchStrategy[str], what: str, quick: int, full: int) -> None:
    failures: list[str] = []
    outcomes: dict[str, int] = {}

    @fuzz_settings(quick, full)
    @given(text=strategy)
    def run(text: str) -> None:
        outcome = _check(text, failures)
        outcomes[outcome] = outcomes.get(outcome, 0) + 1

    run()
    tried = sum(outcomes.values())
    detail = ", ".join(f"{k} {v}" for k, v in sorted(outcomes.items()))
    record("fuzz", what, tried, len(failures), detail + (f"; first: {failures[0][:300]}" if failures else ""))
    assert failures == [], "\n\n".join(failures[:3])
    assert outcomes.get("refused", 0) > 0  # the mutations do reach the checks


def test_text_mutations_load_or_are_refused_with_file_and_line() -> None:
    _run(text_mutation(), "pathway loader: mutated YAML text", 150, 600)


def test_tree_mutations_load_or_are_refused_with_file_and_line() -> None:
    _run(tree_mutation(), "pathway loader: mutated pathway tree", 60, 300)


def test_random_text_is_refused_with_file_and_line() -> None:
    _run(st.text(max_size=300), "pathway loader: random text", 100, 400)
