"""A case's recorded values as people read them: fields by their labels, choices by theirs, people by name.

The pathway file knows what each recorded value is (its field's type, label and choices); the
directory knows people's names. Pages and documents show these, never ``legal_form: association``
or the raw person id ``3``. Dates, numbers and booleans stay typed: the page formats them in its
locale (and says yes/no in its language).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Final

from sqlalchemy import Connection

from pathways.domain.loader import PathwayCatalog
from pathways.domain.spec import FieldSpec, FieldType, PathwaySpec, StageSpec
from pathways.errors import NotFound
from pathways.services.casework.queries import names_of


@dataclass(frozen=True, slots=True)
class RecordedValue:
    """One recorded value: `shown` is its words (choice labels, names) when it has some, else None."""

    field: str
    label: str
    type: str  # a FieldType value: how the page formats `value` when `shown` is None
    value: Any
    shown: str | None = None


@dataclass(frozen=True, slots=True)
class RecordedStage:
    """The values recorded at one stage, in the order of its form."""

    stage: str
    title: str
    values: tuple[RecordedValue, ...]


def stage_fields(stage: StageSpec) -> dict[str, FieldSpec]:
    """Every field a stage may record: its own, then each outcome's."""
    found = dict(stage.fields)
    for outcome in stage.outcomes.values():
        for name, field in outcome.fields.items():
            found.setdefault(name, field)
    return found


def _people(fields: Mapping[str, FieldSpec], values: Mapping[str, Any]) -> set[int]:
    wanted: set[int] = set()
    for name, value in values.items():
        field = fields.get(name)
        if field is None or FieldType.PERSON not in (field.type, field.items):
            continue
        for item in value if isinstance(value, list) else [value]:
            if isinstance(item, int) or (isinstance(item, str) and item.isdigit()):
                wanted.add(int(item))
    return wanted


def _shown(field: FieldSpec | None, value: Any, names: Mapping[int, str], lang: str) -> str | None:
    if field is None or value is None:
        return None
    kind = field.items if field.type is FieldType.LIST and field.items else field.type
    items = value if isinstance(value, list) else [value]
    if kind is FieldType.CHOICE and field.choices:
        return ", ".join(field.choices[v].get(lang) if v in field.choices else str(v) for v in items)
    if kind is FieldType.PERSON:
        return ", ".join(
            names.get(int(v), "—") if isinstance(v, int) or str(v).isdigit() else str(v) for v in items
        )
    return None


def recorded_values(
    fields: Mapping[str, FieldSpec], values: Mapping[str, Any], names: Mapping[int, str], lang: str
) -> tuple[RecordedValue, ...]:
    """Values of one decision or stage, each with its field's label (names of people already looked up)."""
    order = {name: i for i, name in enumerate(fields)}
    shown = []
    for name, value in sorted(values.items(), key=lambda kv: order.get(kv[0], len(order))):
        if name.startswith("_"):  # bookkeeping (the item a spawned case was opened for)
            continue
        field = fields.get(name)
        shown.append(
            RecordedValue(
                field=name,
                label=field.label.get(lang) if field else name.replace("_", " "),
                type=(field.items if field.type is FieldType.LIST and field.items else field.type).value
                if field
                else "text",
                value=value,
                shown=_shown(field, value, names, lang),
            )
        )
    return tuple(shown)


def names_for(
    conn: Connection, spec: PathwaySpec | None, data: Iterable[tuple[str, Mapping[str, Any]]]
) -> dict[int, str]:
    """The names of every person recorded in (stage, values) pairs."""
    wanted: set[int] = set()
    for stage_id, values in data:
        if spec is not None and stage_id in spec.stage_ids():
            wanted |= _people(stage_fields(spec.stage(stage_id)), values)
    return names_of(conn, wanted)


def recorded_data(
    conn: Connection, spec: PathwaySpec | None, data: Mapping[str, Any] | None, lang: str
) -> tuple[RecordedStage, ...]:
    """A case's recorded data (stage -> field -> value), stage by stage in the pathway's order."""
    stages = [(k, v) for k, v in (data or {}).items() if isinstance(v, Mapping) and not k.startswith("_")]
    names = names_for(conn, spec, stages)
    order = {s: i for i, s in enumerate(spec.stage_ids())} if spec else {}
    found = []
    for stage_id, values in sorted(stages, key=lambda kv: order.get(kv[0], len(order))):
        stage = spec.stage(stage_id) if spec and stage_id in spec.stage_ids() else None
        fields = stage_fields(stage) if stage else {}
        title = stage.title.get(lang) if stage else stage_id.replace("_", " ")
        found.append(RecordedStage(stage_id, title, recorded_values(fields, values, names, lang)))
    return tuple(s for s in found if s.values)


@dataclass(frozen=True, slots=True)
class ItemWords:
    """What a timeline item is about, in words: titles and labels in the page's language, people by name."""

    pathway_title: str | None = None
    stage_title: str | None = None
    outcome_label: str | None = None
    result_label: str | None = None
    spent_seconds: float | None = None  # the stay a decision ended
    person: str | None = None  # who a message went to
    values: tuple[RecordedValue, ...] = ()


NO_WORDS: Final = ItemWords()


def spec_of(catalog: PathwayCatalog | None, pathway: str, version: int) -> PathwaySpec | None:
    """The pathway version a case follows; None without a catalogue or when the version is gone."""
    if catalog is None:
        return None
    try:
        return catalog.get(pathway, version)
    except NotFound:
        return None


def item_words(
    kind: str,
    stage_id: str | None,
    details: Mapping[str, Any],
    spec: PathwaySpec | None,
    names: Mapping[int, str],
    *,
    result: str | None,
    lang: str,
) -> ItemWords:
    """The words of one timeline item (see `pathways.services.casework.timeline.TimelineItem`)."""
    stage = spec.stage(stage_id) if spec and stage_id and stage_id in spec.stage_ids() else None
    title = stage.title.get(lang) if stage else None
    if kind == "opened":
        return ItemWords(pathway_title=spec.title.get(lang) if spec else None)
    if kind == "entered":
        return ItemWords(stage_title=title)
    if kind in {"decision", "closed"}:
        outcome = stage.outcomes.get(str(details.get("outcome"))) if stage else None
        # A case closed through an exit left its stage with the exit as its outcome (casework.closing).
        exited = spec.all_exits.get(str(details.get("outcome"))) if spec and outcome is None else None
        ended = spec.result_label(result) if spec and result and kind == "closed" else None
        values = details.get("values") or {}
        spent = details.get("spent_seconds")
        return ItemWords(
            stage_title=title,
            outcome_label=outcome.label.get(lang) if outcome else exited.get(lang) if exited else None,
            result_label=ended.get(lang) if ended else None,
            spent_seconds=float(spent) if isinstance(spent, int | float) else None,
            values=recorded_values(stage_fields(stage) if stage else {}, values, names, lang),
        )
    if kind == "message":
        person = details.get("person")
        return ItemWords(stage_title=title, person=names.get(person) if isinstance(person, int) else None)
    return ItemWords(stage_title=title)


def field_labels(spec: PathwaySpec, lang: str) -> dict[str, str]:
    """The label of every field a pathway records, by field name (the first stage asking it wins)."""
    labels: dict[str, str] = {}
    for stage in spec.stages:
        for name, field in stage_fields(stage).items():
            labels.setdefault(name, field.label.get(lang))
    return labels


_DOCUMENT_NAME: Final = re.compile(
    r"^[A-Z]+-\d{4}-\d+-(?P<pathway>[a-z][a-z0-9_]*)\.(?P<stage>[a-z][a-z0-9_]*)\.html$"
)


def document_title(catalog: PathwayCatalog, name: str, lang: str) -> str:
    """A generated document as people name it: its stage's title (the file name when unknown).

    Documents are named ``<ref>-<pathway>.<stage>.html`` (casework.documents): the stage says what it is.
    """
    found = _DOCUMENT_NAME.match(name)
    if found is None:
        return name
    latest = {spec.id: spec for spec in catalog.latest()}
    spec = latest.get(found["pathway"])
    if spec is None or found["stage"] not in spec.stage_ids():
        return name
    return spec.stage(found["stage"]).title.get(lang)
