"""pydantic's errors about a pathway file, in the words of the file's author.

Each error becomes a :class:`~pathways.domain.yamlpos.Problem` at the path pydantic
gives (its ``loc``), so :func:`~pathways.domain.yamlpos.refusal` can name its line.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from enum import Enum
from types import UnionType
from typing import Annotated, Any, Union, get_args, get_origin

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from pathways.domain.spec import LANGS, Label
from pathways.domain.yamlpos import Problem, suggest

__all__ = ["validation_problems"]

_IDENT_PATTERN = r"^[a-z][a-z0-9_]*$"
_PATTERNS = {r"^[A-Z]{2,6}$": "use 2 to 6 capital letters, e.g. DIAG"}
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
