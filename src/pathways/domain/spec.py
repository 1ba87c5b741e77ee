"""Pathway definitions: frozen, typed models parsed once from `config/pathways/*.yaml`.

A :class:`PathwaySpec` is a definition; a case refers to it by id and version and
never changes it. Cross-references (target stages, end results, field names,
programme checks, automatic steps) are checked by :mod:`pathways.domain.loader`,
which also knows the file and line of each value.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from enum import StrEnum
from functools import cached_property
from typing import Annotated, Any, Final, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

LANGS: tuple[str, ...] = ("fr", "nl", "en")
Lang = Literal["fr", "nl", "en"]

Ident = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]*$", max_length=64)]

# Every whole number a pathway file or a decision gives is bounded where it is read: a version
# or a count beyond a 32-bit INTEGER column (PostgreSQL's, and SQLite's driver refuses more than
# 64 bits) would pass validation and crash every case that uses it.
INT32_MAX: Final = 2**31 - 1
INT32_MIN: Final = -(2**31)
# A field's `min`/`max` (and a decimal value): 15 digits before the point, exact as a double in
# JSON readers, far beyond any count or amount of money a support programme records.
NUMBER_LIMIT: Final = Decimal(10**15)
Bound = Annotated[Decimal, Field(ge=-NUMBER_LIMIT, le=NUMBER_LIMIT)]


class Phase(StrEnum):
    """Lifecycle phase of a project, from idea to scaling."""

    IDEA = "idea"
    EMERGENCE = "emergence"
    FOUNDED = "founded"
    CONSOLIDATION = "consolidation"
    SCALING = "scaling"


class Role(StrEnum):
    """Who owns a stage or receives a message, relative to a case."""

    OFFICER = "officer"
    MANAGER = "manager"
    OWNER = "owner"
    RESOURCE = "resource"
    COMMITTEE = "committee"
    OPERATOR = "operator"
    CONSULTANT = "consultant"


class FieldType(StrEnum):
    """The value types a stage can collect."""

    TEXT = "text"
    INTEGER = "integer"
    DECIMAL = "decimal"
    DATE = "date"
    CHOICE = "choice"
    BOOLEAN = "boolean"
    MONEY = "money"
    SIREN = "siren"
    SIRET = "siret"
    BCE = "bce"
    PERSON = "person"
    LIST = "list"


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Label(_Frozen):
    """A text a person reads, in each supported language."""

    fr: Annotated[str, StringConstraints(min_length=1)] = Field(description="in French")
    nl: Annotated[str, StringConstraints(min_length=1)] = Field(description="in Dutch")
    en: Annotated[str, StringConstraints(min_length=1)] = Field(description="in English")

    def get(self, lang: str) -> str:
        """The text in `lang`, English when the language is not supported."""
        return str(getattr(self, lang, self.en)) if lang in LANGS else self.en


class Duration(_Frozen):
    """A span of time: business days (calendar of the territory) or calendar units."""

    business_days: Annotated[int, Field(ge=0, le=3650)] | None = Field(None, description="working days")
    days: Annotated[int, Field(ge=0, le=3650)] | None = Field(None, description="calendar days")
    weeks: Annotated[int, Field(ge=0, le=520)] | None = Field(None, description="weeks of 7 days")
    months: Annotated[int, Field(ge=0, le=120)] | None = Field(None, description="calendar months")

    @model_validator(mode="after")
    def _one_unit(self) -> Duration:
        units = [u for u in ("business_days", "days", "weeks", "months") if getattr(self, u) is not None]
        if len(units) != 1:
            raise ValueError(
                "a duration has exactly one of business_days, days, weeks, months "
                f"(got {', '.join(units) or 'none'}); e.g. {{business_days: 15}}"
            )
        return self

    @property
    def unit(self) -> str:
        """The single unit this duration is expressed in."""
        return next(u for u in ("business_days", "days", "weeks", "months") if getattr(self, u) is not None)

    @property
    def amount(self) -> int:
        """The number of units."""
        value = getattr(self, self.unit)
        assert isinstance(value, int)
        return value

    def __str__(self) -> str:
        return f"{self.amount} {self.unit.replace('_', ' ')}"


class Deadline(_Frozen):
    """When a stage is due: a duration from entry, or a date recorded in a field."""

    business_days: Annotated[int, Field(ge=1, le=3650)] | None = Field(None, description="working days")
    days: Annotated[int, Field(ge=1, le=3650)] | None = Field(None, description="calendar days")
    weeks: Annotated[int, Field(ge=1, le=520)] | None = Field(None, description="weeks of 7 days")
    months: Annotated[int, Field(ge=1, le=120)] | None = Field(None, description="calendar months")
    until: Ident | None = Field(
        default=None, description="due on the date an earlier stage recorded in this `date` field"
    )
    default: Duration | None = Field(default=None, description="with `until`: used while the date is unknown")

    @model_validator(mode="after")
    def _one_way(self) -> Deadline:
        units = [u for u in ("business_days", "days", "weeks", "months") if getattr(self, u) is not None]
        if self.until is not None and units:
            raise ValueError("a deadline is either a duration or `until: <date field>`, not both")
        if self.until is None and len(units) != 1:
            raise ValueError(
                "a deadline has exactly one of business_days, days, weeks, months, until "
                f"(got {', '.join(units) or 'none'}); e.g. {{business_days: 15}}"
            )
        if self.until is None and self.default is not None:
            raise ValueError("`default` only goes with `until`")
        return self

    @cached_property
    def duration(self) -> Duration | None:
        """The deadline as a duration from stage entry, if it is one (built once: every decision asks)."""
        if self.until is not None:
            return None
        unit = next(u for u in ("business_days", "days", "weeks", "months") if getattr(self, u) is not None)
        return Duration.model_validate({unit: getattr(self, unit)})


class ReminderRule(_Frozen):
    """A message sent some time before a stage's deadline."""

    before: Duration = Field(description="how long before the deadline it is sent")
    to: Role = Field(description="who receives it")
    template: Ident = Field("reminder", description="the message: `templates/<lang>/<template>.txt.j2`")


class EscalationRule(_Frozen):
    """A message sent some time after a missed deadline."""

    after: Duration = Field(description="how long after the deadline it is sent")
    to: Role = Field(description="who receives it")
    template: Ident = Field("escalation", description="the message: `templates/<lang>/<template>.txt.j2`")


class FieldSpec(_Frozen):
    """A value a stage (or an outcome) collects, with its validation rules."""

    type: FieldType = Field(description="the kind of value")
    label: Label = Field(description="the question the form asks")
    help: Label | None = Field(None, description="a hint shown with the question")
    required: bool = Field(False, description="every decision gives a value")
    required_if: Mapping[Ident, Any] | None = Field(
        default=None,
        description="required when every named field has the given value (or one of a list of values)",
    )
    min: Bound | None = Field(None, description="smallest value of a number (integer, decimal, money)")
    max: Bound | None = Field(None, description="largest value of a number (integer, decimal, money)")
    usual_min: Bound | None = Field(
        None, description="numbers: below this the value is recorded with a warning, not refused"
    )
    usual_max: Bound | None = Field(
        None, description="numbers: above this the value is recorded with a warning, not refused"
    )
    max_length: Annotated[int, Field(ge=1, le=INT32_MAX)] | None = Field(
        None, description="longest text, in characters"
    )
    choices: Mapping[Ident, Label] | None = Field(None, description="choice fields: each value and its label")
    items: FieldType | None = Field(default=None, description="element type of a list field")
    multiple: bool = Field(default=False, description="choice fields: several values allowed")

    @model_validator(mode="after")
    def _consistent(self) -> FieldSpec:
        if self.type is FieldType.CHOICE and not self.choices:
            raise ValueError("a choice field lists its `choices`")
        if self.type is not FieldType.CHOICE and self.choices:
            raise ValueError("`choices` only goes with type: choice")
        if self.type is FieldType.LIST and self.items is None:
            raise ValueError("a list field names the type of its `items` (e.g. items: text)")
        if self.items in (FieldType.LIST, FieldType.CHOICE):
            raise ValueError("list items are scalar: text, integer, decimal, date, person, siret, ...")
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError(f"min ({self.min}) is greater than max ({self.max})")
        if self.usual_min is not None and self.usual_max is not None and self.usual_min > self.usual_max:
            raise ValueError(f"usual_min ({self.usual_min}) is greater than usual_max ({self.usual_max})")
        return self


class SpawnSpec(_Frozen):
    """Child cases started by an outcome: one per value of a list field."""

    pathway: Ident = Field(description="the pathway each child case follows")
    per: Ident = Field(description="a list field of the outcome or stage; one child case per item")
    project: Literal["new", "same"] = Field(
        default="new",
        description="new: each item names a new project (at `idea`); same: each item is a piece of work "
        "(e.g. a consulting mission) of the parent's own project",
    )


class OutcomeSpec(_Frozen):
    """One possible decision at a stage and where it leads."""

    label: Label = Field(description="the decision as people read it")
    next: Ident | None = Field(default=None, description="the stage entered next (may be earlier: a loop)")
    end: Ident | None = Field(default=None, description="the case ends with this result (one of `ends`)")
    start: Ident | None = Field(default=None, description="hand-off: open this pathway for the same project")
    spawn: SpawnSpec | None = Field(None, description="start child cases, one per item of a list field")
    phase: Phase | None = Field(default=None, description="the project's lifecycle phase after this outcome")
    fields: Mapping[Ident, FieldSpec] = Field(
        default_factory=dict, description="collected besides the stage's"
    )
    checks: tuple[Ident, ...] = Field((), description="programme rules this decision must pass")

    @model_validator(mode="after")
    def _leads_somewhere(self) -> OutcomeSpec:
        if (self.next is None) == (self.end is None):
            raise ValueError("an outcome has exactly one of `next: <stage>` or `end: <result>`")
        return self


# An owner's answer is recorded as `owner_<name>` in the case's history (kind: at most 40 characters).
OwnerAction = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]*$", max_length=34)]


class OwnerAsk(_Frozen):
    """Something a stage asks of the project owner, answered on their page (the link in their messages)."""

    label: Label = Field(description="the owner's answer, as its button says it (I confirm the meeting)")
    help: Label | None = Field(None, description="what is asked, in a sentence shown above the button")
    upload: bool = Field(False, description="the owner may attach documents with the answer")


class StageSpec(_Frozen):
    """A stage of a pathway: who owns it, when it is due, what it collects, how it ends."""

    id: Ident = Field(description="the stage's name, unique in the pathway")
    title: Label = Field(description="the stage's name as people read it")
    description: Label | None = Field(None, description="what happens in this stage")
    owner: Role = Field(Role.OFFICER, description="who is responsible for it (shown with the stage)")
    deadline: Deadline | None = Field(None, description="when the stage is due; without one, it waits")
    remind: tuple[ReminderRule, ...] = Field((), description="messages before the deadline")
    escalate: tuple[EscalationRule, ...] = Field((), description="messages after a missed deadline")
    fields: Mapping[Ident, FieldSpec] = Field(
        default_factory=dict, description="what every decision collects"
    )
    outcomes: Mapping[Ident, OutcomeSpec] = Field(description="the possible decisions, at least one")
    steps: tuple[Ident, ...] = Field(default=(), description="automatic steps run when the stage is entered")
    checks: tuple[Ident, ...] = Field(default=(), description="programme rules checked on every decision")
    ask_owner: Mapping[OwnerAction, OwnerAsk] = Field(
        default_factory=dict,
        description="what the project owner is asked at this stage: each a button (and perhaps an upload) on "
        "their page, recorded in the case's history as `owner_<name>` (a name of at most 34 characters)",
    )

    @model_validator(mode="after")
    def _has_outcomes(self) -> StageSpec:
        if not self.outcomes:
            raise ValueError(f"stage '{self.id}' lists no outcomes: a stage needs at least one way out")
        if (self.remind or self.escalate) and self.deadline is None:
            raise ValueError(f"stage '{self.id}' has reminders or escalations but no deadline")
        return self

    def fields_for(self, outcome: str) -> Mapping[str, FieldSpec]:
        """The fields a decision with `outcome` collects: the stage's, then the outcome's."""
        extra = self.outcomes[outcome].fields
        return {**self.fields, **extra} if extra else self.fields


# The exits of every pathway: usable at any open stage, with a reason (DOMAIN, "Every pathway has
# exits"). A pathway file may relabel them, and add its own, under `exits`.
DEFAULT_EXITS: Final[Mapping[str, Label]] = {
    "withdrawn": Label(
        fr="Retrait de la structure", nl="Organisatie trekt zich terug", en="Withdrawn by the structure"
    ),
    "abandoned": Label(fr="Projet abandonné", nl="Project stopgezet", en="Project abandoned"),
}


class LifecycleSpec(_Frozen):
    """How a pathway relates to the project's lifecycle phase."""

    requires: tuple[Phase, ...] = Field(default=(), description="phases a project must be in to open a case")
    on: Mapping[Ident, Phase] = Field(default_factory=dict, description="end result -> phase reached")


class PathwaySpec(_Frozen):
    """A whole pathway: ordered stages, the first one is where every case starts."""

    id: Ident = Field(description="the pathway's name; the file is named `<id>.yaml`")
    version: Annotated[int, Field(ge=1, le=INT32_MAX)] = Field(
        description="the lowest number it is published as; `pathway publish` numbers changes itself"
    )
    title: Label = Field(description="the pathway's name as people read it")
    description: Label | None = Field(None, description="what the pathway is for")
    reference: Annotated[str, StringConstraints(pattern=r"^[A-Z]{2,6}$")] = Field(
        description="prefix of case references, e.g. DIAG gives DIAG-2026-0001"
    )
    calendar: Literal["business_days", "calendar_days"] = Field(
        "business_days", description="the day count its authors had in mind; each duration's unit decides"
    )
    lifecycle: LifecycleSpec = Field(
        default_factory=LifecycleSpec, description="projects it is for, phases it leads to"
    )
    ends: Mapping[Ident, Label] = Field(description="the named end results and their labels")
    exits: Mapping[Ident, Label] = Field(
        default_factory=dict,
        description="end results usable at any open stage, with a reason (`pathways case close`); "
        "`withdrawn` and `abandoned` are always there: list them to relabel them, add your own",
    )
    options: Mapping[Ident, bool] = Field(
        default_factory=dict,
        description="local rules (a charter's, an edition's) switched on; each is off unless set true here",
    )
    checks: tuple[Ident, ...] = Field(default=(), description="programme rules checked when a case opens")
    entries: Mapping[Ident, Ident] = Field(
        default_factory=dict,
        description="where a case opened by another pathway (a hand-off or a spawn) starts: "
        "{that pathway's id: stage id}; every other case starts at the first stage",
    )
    stages: Annotated[tuple[StageSpec, ...], Field(min_length=1)] = Field(
        description="in order; a case starts at the first, or where `entries` says"
    )

    @property
    def key(self) -> tuple[str, int]:
        """(id, version): what a case records."""
        return (self.id, self.version)

    @property
    def all_exits(self) -> Mapping[str, Label]:
        """Every exit: the defaults (``withdrawn``, ``abandoned``; an end result of that name relabels
        one, as version 1 files wrote it), then the file's own."""
        relabelled = {name: label for name, label in self.ends.items() if name in DEFAULT_EXITS}
        return {**DEFAULT_EXITS, **relabelled, **self.exits}

    def result_label(self, result: str) -> Label | None:
        """The label of an end result or an exit; None for a name the pathway does not know."""
        return self.ends.get(result) or self.all_exits.get(result)

    def option(self, name: str) -> bool:
        """Whether the local rule `name` is switched on in this file (off unless set)."""
        return self.options.get(name, False)

    @property
    def first_stage(self) -> StageSpec:
        """Where a case of this pathway starts, unless `entries` says otherwise for its opener."""
        return self.stages[0]

    def entry_stage(self, opened_by: str | None) -> StageSpec:
        """Where a case opened by pathway `opened_by` (None: opened by someone) starts."""
        entry = self.entries.get(opened_by) if opened_by is not None else None
        return self.stage(entry) if entry is not None else self.first_stage

    def stage(self, stage_id: str) -> StageSpec:
        """The stage with this id; KeyError if the pathway has none."""
        for stage in self.stages:
            if stage.id == stage_id:
                return stage
        raise KeyError(stage_id)

    def stage_ids(self) -> tuple[str, ...]:
        """Stage ids in file order."""
        return tuple(s.id for s in self.stages)
