"""Where things are in a YAML text, and how to tell its author what is wrong there.

ruamel.yaml reads the text: its safe loader (libyaml's parser when
``ruamel.yaml.clib`` is installed) builds plain data with YAML 1.2's meanings,
so ``lifecycle: {on: ...}`` or ``{fr: Oui, nl: Ja, en: Yes}`` stay text, and it
refuses a key written twice and any tag it does not know (``!!python/...``
included). The positions an error message needs are read only when there is an
error: :meth:`YamlDocument.line` composes ruamel's node tree, which knows each
node's line. A plain mapping key that YAML reads as a number, a boolean or a
date is made text (``1:`` is the key ``"1"``), as a pathway author means it.

A :class:`Problem` is a message about the value at a path (mapping keys by name,
sequence items by index, like a pydantic error's ``loc``); :func:`refusal` turns
problems into one :class:`~pathways.errors.DefinitionError` with their lines,
and :mod:`pathways.domain.wording` words pydantic's errors for a pathway author.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date
from functools import cached_property
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.constructor import DuplicateKeyError
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode
from ruamel.yaml.reader import ReaderError

from pathways.errors import DefinitionError

__all__ = [
    "Problem",
    "YamlDocument",
    "YamlPath",
    "YamlSyntaxError",
    "dotted",
    "parse",
    "refusal",
    "suggest",
]

YamlPath = tuple[str | int, ...]

_STR = "tag:yaml.org,2002:str"
_MERGE = "tag:yaml.org,2002:merge"
_BREAK = re.compile("\r\n|[\n\r\x85\u2028\u2029]")  # what YAML counts as a new line
# The largest shipped file holds about 1,500 values; aliases (*name) that repeat a file's
# values past this are an alias bomb ("billion laughs"), refused before anything walks them.
MAX_VALUES = 100_000
_MAX_LISTED = 20
_COMPLEX_KEY = "a key must be a name or text, not a list or a mapping"
_WHAT = {"outcomes": "outcome", "fields": "field", "ends": "end result", "choices": "choice"}


class YamlSyntaxError(Exception):
    """The text is not YAML; `line` is 1-based when known."""

    def __init__(self, message: str, line: int | None) -> None:
        super().__init__(message)
        self.message = message
        self.line = line


@dataclass(frozen=True, slots=True)
class Problem:
    """What is wrong with the value at `path`, and what to change."""

    path: YamlPath
    message: str
    hint: str | None = None
    rank: int = 0  # lower ranks come first: a mistake before the problems it causes
    line: int | None = None  # when the path alone cannot tell (the second of two equal keys)
    follows: bool = False  # a consequence of another problem: folded under it, not listed on its own


@dataclass(frozen=True)
class YamlDocument:
    """A parsed text: its plain data, and what reading it found wrong (keys written twice, alias bombs)."""

    data: Any
    text: str
    last_line: int
    empty: bool = False
    problems: tuple[Problem, ...] = field(default=())

    @cached_property
    def root(self) -> Node | None:
        """ruamel's node tree of the text, composed on first use: only an error needs positions."""
        return _compose(self.text)

    def line(self, path: YamlPath) -> int | None:
        """The 1-based line of the value at `path`, or of its nearest existing parent.

        A value reached through a mapping key is placed on its key's line, where the
        author reads the name; pydantic's ``"[key]"`` step (a bad key) stops there.
        """
        node = self.root
        if node is None:
            return None
        line: int = node.start_mark.line + 1
        for part in path:
            if isinstance(node, MappingNode) and isinstance(part, str):
                pairs = [(k, v) for k, v in node.value if isinstance(k, ScalarNode) and k.value == part]
                if not pairs:
                    break
                key, node = pairs[-1]
                line = key.start_mark.line + 1
            elif isinstance(node, SequenceNode) and isinstance(part, int) and 0 <= part < len(node.value):
                node = node.value[part]
                line = node.start_mark.line + 1
            else:
                break
        return min(max(line, 1), self.last_line)


def parse(text: str) -> YamlDocument:
    """Parse one YAML document; YamlSyntaxError when the text is not YAML."""
    last_line = _line_count(text)
    try:
        data = YAML(typ="safe").load(text)
    except DuplicateKeyError as exc:
        duplicates = _duplicates(_compose(text)) or [_duplicate_at(exc)]
        return YamlDocument(data=None, text=text, last_line=last_line, problems=tuple(duplicates))
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = None if mark is None else min(mark.line + 1, last_line)
        context = f" ({exc.context})" if exc.context and exc.problem else ""
        if context and exc.context_mark is not None and exc.context_mark.line != getattr(mark, "line", None):
            context = f" ({exc.context} that starts on line {exc.context_mark.line + 1})"
        problem = str(exc.problem or exc.context).replace("'<stream end>'", "the end of the file")
        raise YamlSyntaxError(f"{problem}{context}", line) from exc
    except ReaderError as exc:
        line = min(len(_BREAK.findall(text[: exc.position])) + 1, last_line)
        code = exc.character if isinstance(exc.character, int) else ord(exc.character[:1] or "\0")
        raise YamlSyntaxError(f"the invisible character U+{code:04X} is not allowed in YAML", line) from exc
    except YAMLError as exc:
        raise YamlSyntaxError(str(exc), None) from exc
    except (ValueError, KeyError, OverflowError) as exc:
        # A well-formed but impossible value (2026-13-45, !!int abc) is refused without a mark.
        raise YamlSyntaxError(f"cannot read this value: {exc}", _unreadable_line(text)) from exc
    except TypeError as exc:  # a list or mapping as a key, holding another one (unhashable)
        raise YamlSyntaxError(_COMPLEX_KEY, _complex_key_line(text)) from exc
    except RecursionError as exc:
        raise YamlSyntaxError("the text is nested too deeply", None) from exc
    if data is None:
        return YamlDocument(data=None, text=text, last_line=last_line, empty=_compose(text) is None)
    try:
        plain = _Plain()
        data = plain.value(data, ())
    except TypeError as exc:
        raise YamlSyntaxError(_COMPLEX_KEY, _complex_key_line(text)) from exc
    except RecursionError as exc:
        raise YamlSyntaxError("the text is nested too deeply", None) from exc
    return YamlDocument(data=data, text=text, last_line=last_line, problems=tuple(plain.problems))


class _Plain:
    """A copy of loaded data with text keys, counting values as aliases repeat them."""

    def __init__(self) -> None:
        self.left = MAX_VALUES
        self.problems: list[Problem] = []
        self._open: set[int] = set()  # the containers around the value being copied

    def value(self, value: Any, path: YamlPath) -> Any:
        """`value` with text keys; None once a problem is found."""
        self.left -= 1
        if self.left < 0 and not self.problems:
            message = f"the aliases (*name) in this file repeat its values more than {MAX_VALUES:,} times"
            hint = "write the repeated values out, or repeat fewer of them"
            self.problems.append(Problem(path, message, hint))
        if self.problems or not isinstance(value, dict | list):
            return None if self.problems else value
        if id(value) in self._open:
            hint = "an alias (*name) cannot stand inside the value its anchor (&name) names"
            self.problems.append(Problem(path, "this value contains itself", hint))
            return None
        self._open.add(id(value))
        try:
            if isinstance(value, list):
                return [self.value(item, (*path, index)) for index, item in enumerate(value)]
            copied = {}
            for key, item in value.items():
                if not isinstance(key, str | int | float | date | None):  # a list as a key: a tuple here
                    raise TypeError(_COMPLEX_KEY)
                text = _key_text(key)
                copied[text] = self.value(item, (*path, text))
            return copied
        finally:
            self._open.discard(id(value))


def _key_text(key: object) -> str:
    """A mapping key as its author wrote it, when YAML read it as something else than text."""
    if isinstance(key, str):
        return key
    if key is None:
        return "null"
    if isinstance(key, bool):
        return "true" if key else "false"
    return key.isoformat() if isinstance(key, date) else str(key)


def _compose(text: str) -> Node | None:
    """The node tree of a text the safe loader already read, or None (empty, or unreadable)."""
    try:
        node: Node | None = YAML(typ="safe").compose(text)
    except (YAMLError, RecursionError, ValueError):
        return None
    return node


def _nodes(node: Node | None) -> Iterator[Node]:
    """Every node under `node`, in the order of the text (aliased nodes once)."""
    seen: set[int] = set()
    todo = [] if node is None else [node]
    while todo:
        node = todo.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        yield node
        if isinstance(node, SequenceNode):
            todo.extend(reversed(node.value))
        elif isinstance(node, MappingNode):
            todo.extend(reversed([item for pair in node.value for item in pair]))


def _unreadable_line(text: str) -> int | None:
    """The line of the first scalar the safe constructor cannot turn into a value."""
    reader = YAML(typ="safe")
    for node in _nodes(_compose(text)):
        if not isinstance(node, ScalarNode) or node.tag in (_STR, _MERGE):
            continue
        try:
            reader.constructor.construct_object(node, deep=True)
        except Exception:  # noqa: BLE001  (whatever it raises, this is the value the loader could not read)
            return int(node.start_mark.line) + 1
    return None


def _complex_key_line(text: str) -> int | None:
    """The line of the first key that is a list or a mapping."""
    for node in _nodes(_compose(text)):
        if isinstance(node, MappingNode):
            for key, _ in node.value:
                if not isinstance(key, ScalarNode):
                    return int(key.start_mark.line) + 1
    return None


def _duplicates(root: Node | None) -> list[Problem]:
    """Each plain key written twice in a mapping, on the line of its second occurrence."""
    problems: list[Problem] = []
    seen: set[int] = set()
    todo: list[tuple[Node, YamlPath]] = [] if root is None else [(root, ())]
    while todo:
        node, path = todo.pop()
        if id(node) in seen:  # an alias: walked where its anchor is
            continue
        seen.add(id(node))
        if isinstance(node, SequenceNode):
            todo.extend((item, (*path, index)) for index, item in enumerate(node.value))
        if not isinstance(node, MappingNode):
            continue
        first: dict[str, int] = {}
        for key, value in node.value:
            if not isinstance(key, ScalarNode) or key.tag == _MERGE:
                continue
            line = int(key.start_mark.line) + 1
            if key.value in first:
                what = _WHAT.get(str(path[-1]), "key") if path else "key"
                message = f"{what} `{key.value}` is written twice (first on line {first[key.value]})"
                hint = "rename or remove one of them: YAML would silently keep only the last"
                problems.append(Problem((*path, key.value), message, hint, line=line))
            else:
                first[key.value] = line
            todo.append((value, (*path, key.value)))
    return problems


def _duplicate_at(exc: DuplicateKeyError) -> Problem:
    """Two keys written differently that YAML reads as one (`1` and `0x1`, `true` and `True`)."""
    line = None if exc.problem_mark is None else int(exc.problem_mark.line) + 1
    return Problem(
        (), f"two keys have the same value: {exc.problem}", "rename or remove one of them", line=line
    )


def dotted(path: YamlPath) -> str:
    """``("stages", 2, "deadline")`` as ``stages[2].deadline``."""
    out = ""
    for part in path:
        if part != "[key]":  # pydantic's marker for a bad mapping key: the path already ends with it
            out += f"[{part}]" if isinstance(part, int) else f".{part}" if out else part
    return out


def refusal(problems: Sequence[Problem], doc: YamlDocument, file: str) -> DefinitionError:
    """One error for all `problems`: the first (by rank, then line) is primary, the others follow."""

    def line(problem: Problem) -> int | None:
        return problem.line or doc.line(problem.path)

    def text(problem: Problem, *, hint: bool) -> str:
        where = f"{dotted(problem.path)}: " if problem.path else ""
        return f"{where}{problem.message}" + (f" ({problem.hint})" if hint and problem.hint else "")

    ordered = sorted(
        (p for p in problems if not p.follows), key=lambda p: (p.rank, line(p) or doc.last_line + 1)
    )
    following = [p for p in problems if p.follows]
    if not ordered:  # nothing but consequences: they are the problems
        ordered, following = sorted(following, key=lambda p: (p.rank, line(p) or 0)), []
    first = ordered[0]
    if len(ordered) == 1 and not following:
        return DefinitionError(text(first, hint=False), file=file, line=line(first), hint=first.hint)
    # DefinitionError prints its hint after the whole message, so each line carries its own.
    lines = [text(first, hint=True)]
    for problem in ordered[1:_MAX_LISTED]:
        where = file if line(problem) is None else f"{file}:{line(problem)}"
        lines.append(f"{where}: {text(problem, hint=True)}")
    if len(ordered) > _MAX_LISTED:
        lines.append(f"{file}: ... and {len(ordered) - _MAX_LISTED} more problems")
    if following:
        said = "; ".join(p.message for p in following[:_MAX_LISTED])
        more = f" and {len(following) - _MAX_LISTED} more" if len(following) > _MAX_LISTED else ""
        lines.append(f"{file}: then, because of the above: {said}{more} (these go once it is fixed)")
    return DefinitionError("\n".join(lines), file=file, line=line(first))


def suggest(name: str, options: Iterable[str], label: str) -> str:
    """'did you mean `x`?' when a close match exists, then `label`: the options (sets sorted)."""
    known = list(options) if isinstance(options, list | tuple) else sorted(options)
    close = difflib.get_close_matches(name, known, n=1)
    listed = f"{label}: {', '.join(known)}" if label and known else ""
    if close:
        return f"did you mean `{close[0]}`?" + (f" {listed}" if listed else "")
    return listed or f"there are no {label or 'options'}"


def _line_count(text: str) -> int:
    breaks = len(_BREAK.findall(text))
    ends_with_break = text[-1:] in ("\n", "\r", "\x85", "\u2028", "\u2029")
    return max(1, breaks if ends_with_break else breaks + 1)
