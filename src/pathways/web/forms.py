"""Decision forms generated from a stage's fields, and the posted form turned back into values.

The form only collects text; parsing and validation stay in
:mod:`pathways.domain.fields` (called by the decide service), so the web, the
CLI and the API accept exactly the same values.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from starlette.datastructures import FormData

from pathways.domain.spec import FieldSpec, FieldType, StageSpec
from pathways.errors import FieldError

# Inputs per field type: the HTML control and its attributes.
_KIND: Mapping[FieldType, str] = {
    FieldType.TEXT: "text",
    FieldType.INTEGER: "integer",
    FieldType.DECIMAL: "decimal",
    FieldType.MONEY: "money",
    FieldType.DATE: "date",
    FieldType.CHOICE: "choice",
    FieldType.BOOLEAN: "boolean",
    FieldType.SIREN: "identifier",
    FieldType.SIRET: "identifier",
    FieldType.BCE: "identifier",
    FieldType.PERSON: "person",
    FieldType.LIST: "list",
}
_IDENTIFIER_PATTERN: Mapping[FieldType, str] = {
    FieldType.SIREN: r"[0-9 ]{9,11}",
    FieldType.SIRET: r"[0-9 ]{14,17}",
    FieldType.BCE: r"[0-9 .]{10,13}",
}
LONG_TEXT = 200


@dataclass(frozen=True, slots=True)
class Widget:
    """One input of a generated form."""

    name: str
    # text, textarea, integer, decimal, money, date, choice, boolean, identifier, person, list
    kind: str
    label: str
    help: str | None
    required: bool
    value: str = ""
    values: tuple[str, ...] = ()  # several choices (choice with multiple)
    error: str | None = None
    choices: tuple[tuple[str, str], ...] = ()
    multiple: bool = False
    min: str | None = None
    max: str | None = None
    max_length: int | None = None
    pattern: str | None = None
    items: str | None = None  # list fields: the type of each item
    attrs: Mapping[str, str] = field(default_factory=dict)


def _kind(spec: FieldSpec) -> str:
    kind = _KIND[spec.type]
    if kind == "text" and (spec.max_length is None or spec.max_length > LONG_TEXT):
        return "textarea"
    return kind


def widgets(
    stage: StageSpec,
    outcome: str,
    lang: str,
    *,
    form: Mapping[str, Any] | None = None,
    errors: Mapping[str, str] | None = None,
) -> list[Widget]:
    """The inputs of a decision with `outcome` at `stage`, filled with what was posted."""
    posted = form or {}
    errors = errors or {}
    found = []
    for name, spec in stage.fields_for(outcome).items():
        raw = posted.get(name, "")
        several = tuple(raw) if isinstance(raw, list | tuple) else ((raw,) if raw else ())
        found.append(
            Widget(
                name=name,
                kind=_kind(spec),
                label=spec.label.get(lang),
                help=spec.help.get(lang) if spec.help else None,
                required=spec.required,
                value=raw if isinstance(raw, str) else "",
                values=several,
                error=errors.get(name),
                choices=tuple((k, label.get(lang)) for k, label in (spec.choices or {}).items()),
                multiple=spec.multiple,
                min=str(spec.min) if spec.min is not None else None,
                max=str(spec.max) if spec.max is not None else None,
                max_length=spec.max_length,
                pattern=_IDENTIFIER_PATTERN.get(spec.type),
                items=spec.items.value if spec.items else None,
            )
        )
    return found


def posted_fields(stage: StageSpec, outcome: str, form: FormData) -> dict[str, Any]:
    """What the form sent for each field, as entered (to show it again): text, or a list of choices."""
    entered: dict[str, Any] = {}
    for name, spec in stage.fields_for(outcome).items():
        if spec.type is FieldType.CHOICE and spec.multiple:
            entered[name] = [str(v) for v in form.getlist(name)]
        else:
            value = form.get(name)
            entered[name] = value if isinstance(value, str) else ""
    return entered


def version_shown(form: FormData) -> int:
    """The case's version the form was made from (its hidden ``version``): a decision is made on it."""
    version = str(form.get("version") or "").strip()
    if not (version.isascii() and version.isdigit() and 0 < len(version) < 10 and int(version) > 0):
        raise FieldError(
            "version",
            "the form does not say which version of the case it showed",
            hint="reload the case page and record the decision again",
        )
    return int(version)


def decision_values(stage: StageSpec, outcome: str, entered: Mapping[str, Any]) -> dict[str, Any]:
    """The values to decide with: empty inputs left out, a list's lines sent as a JSON array."""
    values: dict[str, Any] = {}
    for name, spec in stage.fields_for(outcome).items():
        raw = entered.get(name)
        if isinstance(raw, list):
            if raw:
                values[name] = raw
            continue
        if raw is None or not str(raw).strip():
            continue
        if spec.type is FieldType.LIST:
            # One item a line: sent as JSON so an item may contain ';' or ','.
            values[name] = json.dumps([line.strip() for line in str(raw).splitlines() if line.strip()])
        else:
            values[name] = raw
    return values
