"""The pathway-file reference, generated from the models: a JSON Schema for editors and a Markdown page.

Both start from :class:`~pathways.domain.spec.PathwaySpec`'s own JSON Schema (pydantic), so a key
added to a model reaches both. Added here: what the models' validators require and pydantic cannot
see (one unit per duration, exactly one of `next` and `end`, ...), the check and automatic step
names of a :class:`~pathways.domain.registry.Registry`, and the examples and meanings of
:mod:`pathways.domain.reference_text`. Pure: it returns text; ``pathways pathway schema --write``
writes ``config/pathway.schema.json`` and ``docs/PATHWAY-FORMAT.md``, and a test holds the
committed files equal to what this module produces.
"""

from __future__ import annotations

import inspect
import json
import re
from collections.abc import Mapping
from decimal import Decimal
from typing import Any, Final

from pathways.domain.reference_text import (
    EXAMPLES,
    EXPLANATIONS,
    INTRODUCTION,
    MEANINGS,
    MORE,
    SAMPLE,
)
from pathways.domain.registry import Registry, programme_registry
from pathways.domain.spec import FieldType, PathwaySpec

__all__ = ["COMMAND", "GENERATED", "REFERENCE_FILE", "SCHEMA_FILE", "json_schema", "markdown", "schema_text"]

COMMAND: Final = "pathways pathway schema --write"
SCHEMA_FILE: Final = "config/pathway.schema.json"
REFERENCE_FILE: Final = "docs/PATHWAY-FORMAT.md"
GENERATED: Final = f"Generated from the models (pathways.domain.spec) by `{COMMAND}`: do not edit by hand."

# Draft 7: what yaml-language-server (VS Code's YAML extension) implements; later drafts only in part.
_DRAFT = "http://json-schema.org/draft-07/schema#"
_IDENT = r"^[a-z][a-z0-9_]*$"
_UNITS = ("business_days", "days", "weeks", "months")
_REF = "#/definitions/"

# The page's sections, top-down: model -> heading (GitHub anchors a heading by its lower-case words).
_MODELS = {
    "PathwaySpec": "Pathway",
    "StageSpec": "Stage",
    "FieldSpec": "Field",
    "OutcomeSpec": "Outcome",
    "OwnerAsk": "Owner ask",
    "Deadline": "Deadline",
    "ReminderRule": "Reminder",
    "EscalationRule": "Escalation",
    "Duration": "Duration",
    "SpawnSpec": "Spawn",
    "LifecycleSpec": "Lifecycle",
    "Label": "Label",
}
# Lists of values: definition -> (heading, what the tables call a value of it).
_VALUES = {
    "Role": ("Roles", "role"),
    "FieldType": ("Field types", "field type"),
    "ItemType": ("Field types", "field type, not list or choice"),
    "Phase": ("Lifecycle phases", "phase"),
    "Check": ("Checks", "check"),
    "Option": ("Options", "option"),
    "Step": ("Automatic steps", "automatic step"),
}


def _type_is(kind: str) -> dict[str, Any]:
    return {"required": ["type"], "properties": {"type": {"const": kind}}}


# What the models' validators require, for the schema, and in words for the page.
_RULES: dict[str, tuple[dict[str, Any], str]] = {
    "Duration": ({"minProperties": 1, "maxProperties": 1}, "Exactly one key, e.g. `{business_days: 5}`."),
    "Deadline": (
        {
            "oneOf": [{"required": [key]} for key in (*_UNITS, "until")],
            "dependencies": {"default": ["until"]},
        },
        "Exactly one of `business_days`, `days`, `weeks`, `months` and `until`; `default` only with `until`.",
    ),
    "OutcomeSpec": (
        {"oneOf": [{"required": ["next"]}, {"required": ["end"]}]},
        "Exactly one of `next` and `end`.",
    ),
    "StageSpec": (
        {"dependencies": {"remind": ["deadline"], "escalate": ["deadline"]}},
        "At least one outcome; `remind` and `escalate` need a `deadline`.",
    ),
    "FieldSpec": (
        {
            "allOf": [
                {
                    "if": _type_is("choice"),
                    "then": {"required": ["choices"]},
                    "else": {"not": {"required": ["choices"]}},
                },
                {"if": _type_is("list"), "then": {"required": ["items"]}},
            ]
        },
        "`choices` goes with `type: choice` (and only there); `items` with `type: list`.",
    ),
}


def json_schema(registry: Registry | None = None) -> dict[str, Any]:
    """The JSON Schema of a pathway file, with `registry`'s checks and steps (the programmes' by default)."""
    names = registry or programme_registry()
    raw = PathwaySpec.model_json_schema(ref_template=_REF + "{model}")
    found = raw.pop("$defs")
    definitions = {name: _model(name, node) for name, node in found.items() if "properties" in node}
    for name, node in found.items():
        if "enum" in node:
            definitions[name] = _values(name, node["description"], node["enum"], MEANINGS.get(name, {}))
    scalar = [kind.value for kind in FieldType if kind not in (FieldType.LIST, FieldType.CHOICE)]
    what = "The type of each item of a list field."
    definitions["ItemType"] = _values("ItemType", what, scalar, MEANINGS["FieldType"])
    checks = {name: _first_line(inspect.getdoc(check)) for name, check in names.checks.items()}
    what = "A programme rule, by the name pathways.domain.programme registers it under."
    definitions["Check"] = _values("Check", what, sorted(checks), checks)
    options = {name: f"{info.description}. Source: {info.source}" for name, info in names.options.items()}
    what = "A local rule a pathway file may switch on (off unless set to true), and whose rule it is."
    definitions["Option"] = _values("Option", what, sorted(options), options)
    steps = {name: info.description for name, info in names.steps.items()}
    what = "Automatic work run when a stage is entered."
    definitions["Step"] = _values("Step", what, sorted(steps), steps)
    return {
        "$schema": _DRAFT,
        "$comment": GENERATED,
        **_model("PathwaySpec", raw),
        "definitions": definitions,
    }


def schema_text(registry: Registry | None = None) -> str:
    """The JSON Schema as the text of config/pathway.schema.json."""
    return json.dumps(json_schema(registry), indent=2, ensure_ascii=False) + "\n"


def _model(name: str, node: Mapping[str, Any]) -> dict[str, Any]:
    if name not in _MODELS:
        raise LookupError(f"model {name} has no section in the reference: add it to reference._MODELS")
    examples = EXAMPLES.get(name, {})
    missing = sorted(set(node["properties"]) - set(examples))
    if missing:
        raise LookupError(f"no example for {name}.{', '.join(missing)}: add one to reference_text.EXAMPLES")
    properties = {key: _property(prop, examples[key]) for key, prop in node["properties"].items()}
    for key, target in (("checks", "Check"), ("steps", "Step")):
        if key in properties:
            properties[key]["items"] = {"$ref": _REF + target}
    if name == "FieldSpec":
        properties["items"]["$ref"] = _REF + "ItemType"
    if name == "PathwaySpec":
        properties["options"]["propertyNames"] = {"$ref": _REF + "Option"}
    out: dict[str, Any] = {"title": _MODELS[name], "description": node["description"], "type": "object"}
    out["properties"] = properties
    if node.get("required"):
        out["required"] = node["required"]
    out["additionalProperties"] = False
    out.update(_RULES.get(name, ({}, ""))[0])
    return out


def _property(raw: Mapping[str, Any], example: Any) -> dict[str, Any]:
    """One key's schema as an author meets it: a key left out takes its default, it is never null."""
    prop = {key: value for key, value in raw.items() if key != "title"}
    if "anyOf" in prop:
        branches = [branch for branch in prop.pop("anyOf") if branch != {"type": "null"}]
        if "default" in prop and prop["default"] is None:
            del prop["default"]
        if any(branch.get("type") == "number" for branch in branches):
            # A Decimal's text form: pathway files write numbers.
            branches = [branch for branch in branches if branch.get("type") != "string"]
        if len(branches) == 1:
            prop = {**branches[0], **prop}
        else:
            prop["anyOf"] = branches
    if "patternProperties" in prop:
        ((pattern, value),) = prop.pop("patternProperties").items()
        prop["propertyNames"] = {"pattern": pattern, **prop.pop("propertyNames", {})}
        prop["additionalProperties"] = value
    if not _elided(example):
        prop["examples"] = [example]
    first = ("$ref", "description", "type", "enum", "default", "examples")
    return dict(
        sorted(prop.items(), key=lambda item: first.index(item[0]) if item[0] in first else len(first))
    )


def _values(name: str, description: str, values: list[str], meanings: Mapping[str, str]) -> dict[str, Any]:
    missing = [value for value in values if value not in meanings]
    if missing:
        raise LookupError(f"no meaning for {name} {', '.join(missing)}: add one to reference_text.MEANINGS")
    return {
        "title": name,
        "description": description,
        "type": "string",
        "enum": values,
        # yaml-language-server shows these beside each value (VS Code's extension to JSON Schema).
        "enumDescriptions": [meanings[value] for value in values],
    }


def _first_line(doc: str | None) -> str:
    return (doc or "").strip().split("\n", 1)[0]


def _elided(value: Any) -> bool:
    if isinstance(value, dict):
        return MORE in value or any(_elided(v) for v in value.values())
    return isinstance(value, list) and any(_elided(v) for v in value)


# The Markdown page


def markdown(registry: Registry | None = None) -> str:
    """docs/PATHWAY-FORMAT.md: every key of every model, top-down, then the values it allows."""
    schema = json_schema(registry)
    definitions = {"PathwaySpec": schema, **schema["definitions"]}
    headings = [*_MODELS.values(), *dict.fromkeys(heading for heading, _ in _VALUES.values())]
    out = [f"<!-- {GENERATED} -->", "", "# The pathway file", "", INTRODUCTION.strip(), ""]
    out += ["Contents: " + ", ".join(_link(h) for h in ["A whole pathway", "How it works", *headings]), ""]
    out += ["## A whole pathway", "", "```yaml", SAMPLE.strip(), "```", ""]
    out += ["## How it works", ""]
    for title, text in EXPLANATIONS:
        out += [f"### {title}", "", text.strip(), ""]
    for name, heading in _MODELS.items():
        out += _model_section(name, heading, definitions[name])
    done: set[str] = set()
    for name, (heading, _) in _VALUES.items():
        if heading not in done:
            done.add(heading)
            out += _values_section(heading, definitions[name])
    return "\n".join(out).rstrip() + "\n"


def _model_section(name: str, heading: str, node: Mapping[str, Any]) -> list[str]:
    out = [f"## {heading}", "", node["description"], ""]
    rule = _RULES.get(name, ({}, ""))[1]
    if rule:
        out += [rule, ""]
    out += ["| Key | Type | Required or default | Meaning | Example |", "|---|---|---|---|---|"]
    for key, prop in node["properties"].items():
        if key in node.get("required", ()):
            need = "**required**"
        elif "default" in prop:
            need = f"`{_flow(prop['default'])}`"
        else:
            need = "optional"
        example = EXAMPLES[name][key]
        cells = [f"`{key}`", _type(prop), need, prop.get("description", ""), f"`{key}: {_flow(example)}`"]
        out.append("| " + " | ".join(map(_cell, cells)) + " |")
    return [*out, ""]


def _cell(text: str) -> str:
    """`text` in a table cell: `|` escaped, and `<` outside code spans, which would start an HTML tag."""
    parts = text.replace("|", "\\|").split("`")
    return "`".join(part if i % 2 else part.replace("<", "&lt;") for i, part in enumerate(parts))


def _values_section(heading: str, node: Mapping[str, Any]) -> list[str]:
    out = [f"## {heading}", "", node["description"], "", "| Value | Meaning |", "|---|---|"]
    out += [
        f"| `{v}` | {meaning} |" for v, meaning in zip(node["enum"], node["enumDescriptions"], strict=True)
    ]
    return [*out, ""]


def _type(node: Mapping[str, Any]) -> str:  # noqa: PLR0911  (one answer per kind of JSON Schema type)
    """How the page names the type of a key."""
    if "$ref" in node:
        target = node["$ref"].removeprefix(_REF)
        heading, called = _VALUES.get(target, (_MODELS.get(target, target), _MODELS.get(target, target)))
        return f"[{called}](#{_anchor(heading)})"
    if "enum" in node:
        return "one of " + ", ".join(f"`{value}`" for value in node["enum"])
    kind = node.get("type")
    if kind == "string":
        pattern = node.get("pattern")
        if pattern == _IDENT:
            return "name"
        return f"text matching `{pattern}`" if pattern else "text"
    if kind in ("integer", "number"):
        low, high = node.get("minimum"), node.get("maximum")
        what = "whole number" if kind == "integer" else "number"
        return f"{what}, {_number(low)} to {_number(high)}" if low is not None and high is not None else what
    if kind == "boolean":
        return "`true` or `false`"
    if kind == "array":
        at_least = f", at least {node['minItems']}" if node.get("minItems") else ""
        return f"list of {_type(node['items'])}{at_least}"
    if kind == "object":
        value = node.get("additionalProperties")
        keys = node.get("propertyNames", {})
        key = _type(keys) if "$ref" in keys else "name"
        return f"mapping of {key} to " + (_type(value) if value else "a value or a list of values")
    raise ValueError(f"the reference cannot name the type of {dict(node)}")


def _number(value: float) -> str:
    return f"{Decimal(str(value)).normalize():,f}"


def _link(heading: str) -> str:
    return f"[{heading}](#{_anchor(heading)})"


def _anchor(heading: str) -> str:
    return re.sub(r"[^a-z0-9 -]", "", heading.lower()).replace(" ", "-")


_PLAIN = re.compile(r"[A-Za-z_…][\w .'’·()/…-]*")
_WORDS = frozenset({"true", "false", "yes", "no", "on", "off", "y", "n", "null"})


def _flow(value: Any) -> str:
    """`value` as YAML in flow style, as a pathway file writes it on one line."""
    if isinstance(value, dict):
        return "{" + ", ".join(key if key == MORE else f"{key}: {_flow(v)}" for key, v in value.items()) + "}"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_flow(v) for v in value) + "]"
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None or isinstance(value, int | float | Decimal):
        return "null" if value is None else str(value)
    text = str(value)
    plain = _PLAIN.fullmatch(text) and text.lower() not in _WORDS and not text.endswith(" ")
    return text if plain else json.dumps(text, ensure_ascii=False)
