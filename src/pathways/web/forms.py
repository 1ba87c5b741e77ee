"""Decision forms generated from a stage's fields, and the posted form turned back into values.

The form only collects text; parsing and validation stay in
:mod:`pathways.domain.fields` (called by the decide service), so the web, the
CLI and the API accept exactly the same values. What the service refuses comes
back as :class:`~pathways.errors.FieldProblem` s, every field at once, each said
here in the page's language beside its field and in the summary above the form.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from starlette.datastructures import FormData

from pathways.domain.spec import FieldSpec, FieldType, StageSpec
from pathways.errors import FieldError, FieldProblem
from pathways.web.i18n import texts

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


@dataclass(frozen=True, slots=True)
class FieldMessage:
    """A refused field, said in the page's language: the summary links to its input."""

    field: str
    label: str
    text: str


@dataclass(frozen=True, slots=True)
class DecisionForm:
    """The decision form of one outcome: its inputs, the values typed for other outcomes, its errors."""

    outcome: str | None
    widgets: tuple[Widget, ...] = ()
    kept: tuple[tuple[str, str], ...] = ()  # (name, value) of other outcomes' fields, carried hidden
    errors: tuple[FieldMessage, ...] = ()  # in the form's order


def _kind(spec: FieldSpec) -> str:
    kind = _KIND[spec.type]
    if kind == "text" and (spec.max_length is None or spec.max_length > LONG_TEXT):
        return "textarea"
    return kind


def stage_fields(stage: StageSpec) -> dict[str, FieldSpec]:
    """Every field a decision at `stage` may collect, whatever its outcome, in the form's order."""
    every = dict(stage.fields)
    for outcome in stage.outcomes.values():
        for name, spec in outcome.fields.items():
            every.setdefault(name, spec)
    return every


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


def decision_form(
    stage: StageSpec,
    outcome: str,
    lang: str,
    *,
    entered: Mapping[str, Any] | None = None,
    problems: Iterable[FieldProblem] = (),
) -> DecisionForm:
    """The form of `outcome`, filled with `entered`; each problem beside its field and in the summary.

    Values typed for fields of other outcomes ride along as hidden inputs, so changing the
    outcome and back loses nothing (and the decide service never sees them).
    """
    entered = entered or {}
    shown = stage.fields_for(outcome)
    messages = tuple(m for m in field_messages(stage, problems, lang) if m.field in shown)  # others: above
    beside = {m.field: m.text for m in messages}
    kept = tuple(
        (name, value)
        for name in stage_fields(stage)
        if name not in shown
        for value in _as_list(entered.get(name))
    )
    return DecisionForm(
        outcome=outcome,
        widgets=tuple(widgets(stage, outcome, lang, form=entered, errors=beside)),
        kept=kept,
        errors=messages,
    )


def _as_list(value: Any) -> list[str]:
    if isinstance(value, list | tuple):
        return [str(v) for v in value if str(v)]
    return [value] if isinstance(value, str) and value.strip() else []


def field_messages(stage: StageSpec, problems: Iterable[FieldProblem], lang: str) -> tuple[FieldMessage, ...]:
    """Each refused field said in `lang`: one message a field, in the form's order."""
    every = stage_fields(stage)
    order = {name: i for i, name in enumerate(every)}
    said: dict[str, FieldMessage] = {}
    for problem in problems:
        if problem.field in said:
            continue
        spec = every.get(problem.field)
        label = spec.label.get(lang) if spec else problem.field
        said[problem.field] = FieldMessage(problem.field, label, problem_text(problem, lang))
    return tuple(sorted(said.values(), key=lambda m: order.get(m.field, -1)))


def problem_text(problem: FieldProblem, lang: str) -> str:
    """Why a field is refused, in `lang` (the English message when the catalogue has no words for it)."""
    t = texts(lang)
    code = problem.code
    if code == "identifier":
        code = f"identifier_{str(problem.params.get('kind', '')).lower()}"
    params = {k: v for k, v in problem.params.items() if k != "item"}
    try:
        text = t.label("field_error", code, **params) or problem.message
    except (KeyError, ValueError, TypeError):  # a catalogue entry naming a value this problem lacks
        text = problem.message
    item = problem.params.get("item")
    return t("Line %(item)s: %(text)s", item=item, text=text) if item else text


def posted_fields(stage: StageSpec, form: FormData) -> dict[str, Any]:
    """What the form sent for every field of the stage, as entered: text, or a list of choices.

    Every outcome's fields, not only the chosen one's: what was typed for another outcome is
    kept for when the officer comes back to it.
    """
    entered: dict[str, Any] = {}
    for name, spec in stage_fields(stage).items():
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
    """The values to decide with: the outcome's fields only, empty inputs left out, a list's lines
    sent as a JSON array."""
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
