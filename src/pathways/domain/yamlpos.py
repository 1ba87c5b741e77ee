"""Where things are in a YAML text, and how to tell its author what is wrong there.

PyYAML's ``safe_load`` forgets positions and silently keeps the last of two
equal keys. :func:`parse` composes the node tree first (it knows each node's
line), records repeated keys, then constructs the plain data with ``safe_load``
semantics, with two exceptions for YAML 1.1's booleans, which would turn
``lifecycle: {on: ...}`` or ``{fr: Oui, nl: Ja, en: Yes}`` into ``True``:
only true/false are booleans (as in YAML 1.2; pydantic still accepts yes/no
where a boolean is expected), and a plain mapping key is always text.

A :class:`Problem` is a message about the value at a path (mapping keys by name,
sequence items by index, like a pydantic error's ``loc``); :func:`refusal` turns
problems into one :class:`~pathways.errors.DefinitionError` with their lines,
and :func:`validation_problems` words pydantic's errors for a pathway author.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import Enum
from types import UnionType
from typing import Annotated, Any, Union, get_args, get_origin

import yaml
from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails
from yaml.constructor import ConstructorError
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from pathways.domain.spec import LANGS, Label
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
    "validation_problems",
]

YamlPath = tuple[str | int, ...]

_STR = "tag:yaml.org,2002:str"
_MERGE = "tag:yaml.org,2002:merge"
_BOOL = "tag:yaml.org,2002:bool"
_KEY_RETAG = frozenset(f"tag:yaml.org,2002:{t}" for t in ("bool", "int", "float", "null", "timestamp"))
_BREAK = re.compile("\r\n|[\n\r\x85\u2028\u2029]")  # what PyYAML counts as a new line
_MAX_LISTED = 20
_IDENT_PATTERN = r"^[a-z][a-z0-9_]*$"
_PATTERNS = {r"^[A-Z]{2,6}$": "use 2 to 6 capital letters, e.g. DIAG"}
_WHAT = {"outcomes": "outcome", "fields": "field", "ends": "end result", "choices": "choice"}
_BOUNDS = {
    "greater_than_equal": ("ge", "at least"),
    "less_than_equal": ("le", "at most"),
    "greater_than": ("gt", "more than"),
    "less_than": ("lt", "less than"),
}
_EXPECTED = {
    "int": "a whole number",
    "bool": "true or false",
    "decimal": "a number",
    "float": "a number",
    "dict": "a mapping (key: value)",
    "model": "a mapping (key: value)",
    "mapping": "a mapping (key: value)",
    "tuple": "a list",
    "list": "a list",
    "string": "text",
}


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


# libyaml's parser when present (about ten times faster, same node marks); PyYAML's own otherwise.
_Base: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _Loader(_Base):  # type: ignore[valid-type,misc]
    yaml_implicit_resolvers = {  # noqa: RUF012  (PyYAML reads its resolvers from the class)
        first: [(tag, regexp) for tag, regexp in resolvers if tag != _BOOL]
        for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
    }

    def construct_object(self, node: Node, deep: bool = False) -> Any:
        # A well-formed but impossible value (2026-13-45) raises ValueError without a line.
        try:
            return super().construct_object(node, deep=deep)
        except (ValueError, OverflowError) as exc:
            raise ConstructorError(None, None, f"cannot read this value: {exc}", node.start_mark) from exc


_Loader.add_implicit_resolver(_BOOL, re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF"))


@dataclass(frozen=True, slots=True)
class YamlDocument:
    """A parsed text: its plain data, its node tree, and the keys written twice."""

    data: Any
    root: Node | None
    duplicates: tuple[Problem, ...]
    last_line: int

    def line(self, path: YamlPath) -> int | None:
        """The 1-based line of the value at `path`, or of its nearest existing parent.

        A value reached through a mapping key is placed on its key's line, where the
        author reads the name; pydantic's ``"[key]"`` step (a bad key) stops there.
        """
        node = self.root
        if node is None:
            return None
        line = node.start_mark.line + 1
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
        root, data, duplicates = _compose_and_construct(text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = None if mark is None else min(mark.line + 1, last_line)
        context = f" ({exc.context})" if exc.context and exc.problem else ""
        if context and exc.context_mark is not None and exc.context_mark.line != getattr(mark, "line", None):
            context = f" ({exc.context} that starts on line {exc.context_mark.line + 1})"
        problem = str(exc.problem or exc.context).replace("'<stream end>'", "the end of the file")
        raise YamlSyntaxError(f"{problem}{context}", line) from exc
    except yaml.reader.ReaderError as exc:
        line = min(len(_BREAK.findall(text[: exc.position])) + 1, last_line)
        code = exc.character if isinstance(exc.character, int) else ord(exc.character[:1] or "\0")
        raise YamlSyntaxError(f"the invisible character U+{code:04X} is not allowed in YAML", line) from exc
    except yaml.YAMLError as exc:
        raise YamlSyntaxError(str(exc), None) from exc
    except RecursionError as exc:
        raise YamlSyntaxError("the text is nested too deeply", None) from exc
    return YamlDocument(data=data, root=root, duplicates=tuple(duplicates), last_line=last_line)


def _compose_and_construct(text: str) -> tuple[Node | None, Any, list[Problem]]:
    loader = _Loader(text)
    try:
        root = loader.get_single_node()
        duplicates: list[Problem] = []
        if root is None:
            return None, None, duplicates
        _walk(root, (), set(), duplicates)  # before construction, which merges `<<` keys into the tree
        return root, loader.construct_document(root), duplicates
    finally:
        loader.dispose()


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

    ordered = sorted(problems, key=lambda p: (p.rank, line(p) or doc.last_line + 1))
    first = ordered[0]
    if len(ordered) == 1:
        return DefinitionError(text(first, hint=False), file=file, line=line(first), hint=first.hint)
    # DefinitionError prints its hint after the whole message, so each line carries its own.
    lines = [text(first, hint=True)]
    for problem in ordered[1:_MAX_LISTED]:
        where = file if line(problem) is None else f"{file}:{line(problem)}"
        lines.append(f"{where}: {text(problem, hint=True)}")
    if len(ordered) > _MAX_LISTED:
        lines.append(f"{file}: ... and {len(ordered) - _MAX_LISTED} more problems")
    return DefinitionError("\n".join(lines), file=file, line=line(first))


def suggest(name: str, options: Iterable[str], label: str) -> str:
    """'did you mean `x`?' when a close match exists, then `label`: the options (sets sorted)."""
    known = list(options) if isinstance(options, list | tuple) else sorted(options)
    close = difflib.get_close_matches(name, known, n=1)
    listed = f"{label}: {', '.join(known)}" if label and known else ""
    if close:
        return f"did you mean `{close[0]}`?" + (f" {listed}" if listed else "")
    return listed or f"there are no {label or 'options'}"


def validation_problems(exc: ValidationError, model: type[BaseModel]) -> list[Problem]:
    """Each of pydantic's errors about `model`, in the words of the file's author."""
    return [_translate(error, model) for error in exc.errors(include_url=False)]


def _translate(error: ErrorDetails, model: type[BaseModel]) -> Problem:  # noqa: PLR0911  (a return per kind)
    loc, kind, value = tuple(error["loc"]), error["type"], error["input"]
    ctx: dict[str, Any] = dict(error.get("ctx") or {})
    name = str(loc[-1]) if loc else ""
    if kind == "missing":
        if name in LANGS and _type_at(model, loc[:-1]) is Label:
            return Problem(
                loc[:-1], f"missing the {name} translation", f"write every text in {', '.join(LANGS)}"
            )
        return Problem(loc[:-1], f"`{name}` is missing", f"add `{name}:`")
    if kind == "extra_forbidden":
        return Problem(loc, f"unknown key `{name}`", suggest(name, _keys_at(model, loc[:-1]), "allowed here"))
    path = tuple(part for part in loc if part != "[key]")
    if kind == "string_pattern_mismatch" and ctx.get("pattern") == _IDENT_PATTERN:
        hint = "a name is lower-case letters, digits and _, starting with a letter, e.g. not_relevant"
        return Problem(loc, f"`{value}` is not a valid name", hint)
    if kind == "string_too_short" and name in LANGS:
        return Problem(path, f"the {name} translation is empty")
    if kind in ("enum", "literal_error"):
        options = re.findall(r"'([^']*)'", str(ctx.get("expected", "")))
        target = _type_at(model, path)
        what = _enum_name(target) if isinstance(target, type) and issubclass(target, Enum) else "value"
        message = f"unknown {what} `{value}`; expected one of: {', '.join(options)}"
        return Problem(path, message, suggest(str(value), options, ""))
    expected = _EXPECTED.get(kind.split("_", maxsplit=1)[0])
    if expected is not None and kind.endswith(("_type", "_parsing", "_from_float")):
        if _type_at(model, path) is Label:
            expected = "the text in each language, e.g. {fr: ..., nl: ..., en: ...}"
        advice = None
        if isinstance(value, bool):
            advice = "YAML reads a bare true or false as a boolean: quote the word"
        elif value is None:
            advice = "write the value after the colon"
        return Problem(path, f"expected {expected}, not {_kind(value)}", advice)
    bound = _BOUNDS.get(kind)
    if bound is not None and bound[0] in ctx:
        return Problem(path, f"must be {bound[1]} {ctx[bound[0]]}, not {value}")
    if kind == "string_pattern_mismatch":
        pattern = str(ctx.get("pattern"))
        return Problem(path, f"`{value}` does not have the expected form", _PATTERNS.get(pattern, pattern))
    return Problem(path, error["msg"].removeprefix("Value error, ").removeprefix("Assertion failed, "))


def _kind(value: object) -> str:
    if value is None:
        return "an empty value"
    if isinstance(value, bool):
        return f"the boolean `{str(value).lower()}`"
    if isinstance(value, list | dict):
        return "a list" if isinstance(value, list) else "a mapping"
    return f"`{value}`"


def _enum_name(enum: type[Enum]) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", " ", enum.__name__).lower()  # FieldType -> field type


def _unwrap(tp: Any) -> Any:
    while True:
        origin = get_origin(tp)
        if origin is Annotated:
            tp = get_args(tp)[0]
        elif origin in (Union, UnionType):
            options = [arg for arg in get_args(tp) if arg is not type(None)]
            tp = options[0] if len(options) == 1 else None
        else:
            return tp


def _type_at(model: type[BaseModel], loc: Sequence[int | str]) -> Any:
    """The type `model` expects at `loc`, through models, mappings and tuples (None when lost)."""
    tp: Any = model
    for part in loc:
        tp = _unwrap(tp)
        if isinstance(tp, type) and issubclass(tp, BaseModel) and isinstance(part, str):
            found = tp.model_fields.get(part)
            tp = found.annotation if found else None
        elif get_origin(tp) is Mapping and isinstance(part, str):
            tp = get_args(tp)[1]
        elif get_origin(tp) is tuple and isinstance(part, int):
            tp = get_args(tp)[0]
        else:
            return None
    return _unwrap(tp)


def _keys_at(model: type[BaseModel], loc: Sequence[int | str]) -> list[str]:
    found = _type_at(model, loc)
    return list(found.model_fields) if isinstance(found, type) and issubclass(found, BaseModel) else []


def _line_count(text: str) -> int:
    breaks = len(_BREAK.findall(text))
    ends_with_break = text[-1:] in ("\n", "\r", "\x85", "\u2028", "\u2029")
    return max(1, breaks if ends_with_break else breaks + 1)


def _walk(node: Node, path: YamlPath, seen: set[int], duplicates: list[Problem]) -> None:
    """Record keys written twice and make plain scalar keys text, before construction."""
    if id(node) in seen:  # an alias: walked where its anchor is
        return
    seen.add(id(node))
    if isinstance(node, MappingNode):
        first: dict[str, int] = {}
        for key, value in node.value:
            if not isinstance(key, ScalarNode) or key.tag == _MERGE:
                _walk(key, path, seen, duplicates)
                _walk(value, path, seen, duplicates)
                continue
            if key.style is None and key.tag in _KEY_RETAG:
                key.tag = _STR
            if key.value in first:
                what = _WHAT.get(str(path[-1]), "key") if path else "key"
                message = f"{what} `{key.value}` is written twice (first on line {first[key.value]})"
                hint = "rename or remove one of them: YAML would silently keep only the last"
                duplicates.append(Problem((*path, key.value), message, hint, line=key.start_mark.line + 1))
            else:
                first[key.value] = key.start_mark.line + 1
            _walk(value, (*path, key.value), seen, duplicates)
    elif isinstance(node, SequenceNode):
        for index, item in enumerate(node.value):
            _walk(item, (*path, index), seen, duplicates)
