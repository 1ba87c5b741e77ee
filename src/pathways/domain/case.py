"""The case state machine: a decision moves a case and says what must follow.

Pure: :func:`decide` takes the pathway, the case's state and the decision, and
returns the new state plus the events that happened. The service persists the
state, appends the events to the audit log and turns them into outbox jobs.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any, Literal

from pathways.domain import fields
from pathways.domain.programme import CHECKS
from pathways.domain.rules import DecisionContext, Facts, ProjectFacts
from pathways.domain.spec import FieldSpec, PathwaySpec, Phase, StageSpec
from pathways.errors import InvalidInput, TransitionNotAllowed

Status = Literal["open", "closed"]


@dataclass(frozen=True, slots=True)
class CaseState:
    """What the state machine needs to know of a case."""

    stage: str | None
    status: Status = "open"
    result: str | None = None
    data: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)  # stage -> stored values


@dataclass(frozen=True, slots=True)
class StageLeft:
    """The case left `stage` with `outcome`."""

    stage: str
    outcome: str


@dataclass(frozen=True, slots=True)
class StageEntered:
    """The case entered `stage` (possibly again: a loop)."""

    stage: str


@dataclass(frozen=True, slots=True)
class CaseClosed:
    """The case reached the end result `result`."""

    result: str


@dataclass(frozen=True, slots=True)
class HandOffRequested:
    """Another pathway must start for the same project."""

    pathway: str


@dataclass(frozen=True, slots=True)
class ChildrenRequested:
    """One child case per item must start in `pathway`."""

    pathway: str
    items: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class PhaseReached:
    """The project moves to lifecycle phase `phase`."""

    phase: Phase


Event = StageLeft | StageEntered | CaseClosed | HandOffRequested | ChildrenRequested | PhaseReached


@dataclass(frozen=True, slots=True)
class OutsideUsual:
    """A value recorded outside its field's usual range (``usual_min``/``usual_max``): a warning."""

    field: str
    value: Decimal
    usual_min: Decimal | None
    usual_max: Decimal | None


@dataclass(frozen=True, slots=True)
class Transition:
    """The result of a decision: the new state, the stored values and what happened."""

    state: CaseState
    values: Mapping[str, Any]  # stored (JSON-ready) values recorded at the stage left
    events: tuple[Event, ...]
    warnings: tuple[OutsideUsual, ...] = ()  # recorded anyway, shown to the person who decided

    @property
    def entered(self) -> str | None:
        """The stage entered, if the case did not end."""
        return next((e.stage for e in self.events if isinstance(e, StageEntered)), None)


def start(spec: PathwaySpec, opened_by: str | None = None) -> tuple[CaseState, tuple[Event, ...]]:
    """The state of a newly opened case: at the pathway's first stage, or at its entry for the
    pathway `opened_by` whose hand-off or spawn opened it (``entries``)."""
    first = spec.entry_stage(opened_by).id
    return CaseState(stage=first), (StageEntered(first),)


def typed_case_data(spec: PathwaySpec, data: Mapping[str, Mapping[str, Any]]) -> dict[str, dict[str, Any]]:
    """Stored case data in typed form, per stage, for checks and documents."""
    typed: dict[str, dict[str, Any]] = {}
    for stage_id, values in data.items():
        try:
            stage = spec.stage(stage_id)
        except KeyError:
            typed[stage_id] = dict(values)
            continue
        specs = {**stage.fields, **{k: v for o in stage.outcomes.values() for k, v in o.fields.items()}}
        typed[stage_id] = {k: fields.from_json(specs[k], v) if k in specs else v for k, v in values.items()}
    return typed


def outside_usual(specs: Mapping[str, FieldSpec], typed: Mapping[str, Any]) -> tuple[OutsideUsual, ...]:
    """The decision's numbers outside their field's usual range, in the form's order."""
    found = []
    for name, spec in specs.items():
        value = typed.get(name)
        if value is None or isinstance(value, bool) or not isinstance(value, int | Decimal):
            continue
        number = Decimal(value)
        low, high = spec.usual_min, spec.usual_max
        if (low is not None and number < low) or (high is not None and number > high):
            found.append(OutsideUsual(name, number, low, high))
    return tuple(found)


def run_checks(names: tuple[str, ...], ctx: DecisionContext) -> None:
    """Run programme rules in order; the first that refuses raises RuleViolation."""
    for name in names:
        CHECKS[name](ctx)


def decide(
    spec: PathwaySpec,
    state: CaseState,
    outcome: str,
    raw_values: Mapping[str, Any],
    *,
    project: ProjectFacts,
    facts: Facts,
    now: datetime,
    case_id: int | None = None,
    stage_entered_at: datetime | None = None,
    org_options: Mapping[str, bool] | None = None,
) -> Transition:
    """Apply a decision; raises FieldError, TransitionNotAllowed or RuleViolation and changes nothing.

    `org_options`: the local rules the case's organisation switched on or off, over the file's."""
    if state.status != "open" or state.stage is None:
        raise TransitionNotAllowed(
            f"the case is closed ({state.result}); no decision can be recorded",
            hint="open a new case to support the project again",
            code="case_closed",
            params={"result": state.result},
        )
    stage: StageSpec = spec.stage(state.stage)
    if outcome not in stage.outcomes:
        raise TransitionNotAllowed(
            f"'{outcome}' is not an outcome of stage '{stage.id}'",
            hint=f"choose one of: {', '.join(stage.outcomes)}",
            code="not_an_outcome",
            params={"outcome": outcome, "stage": stage.id, "outcomes": ", ".join(stage.outcomes)},
        )
    if stage_entered_at is not None and now < stage_entered_at:
        raise InvalidInput(
            f"the decision takes effect at {now.isoformat()}, before the case entered stage "
            f"'{stage.id}' ({stage_entered_at.isoformat()})",
            hint="check the --now value",
            code="decided_before_stage",
            params={"at": now.isoformat(), "stage": stage.id, "entered": stage_entered_at.isoformat()},
        )
    typed = fields.validate_values(stage, outcome, raw_values)
    ctx = DecisionContext(
        pathway=spec,
        project=project,
        facts=facts,
        now=now,
        stage=stage,
        outcome=outcome,
        values=typed,
        case_data=typed_case_data(spec, state.data),
        case_id=case_id,
        stage_entered_at=stage_entered_at,
        org_options=org_options or {},
    )
    out = stage.outcomes[outcome]
    run_checks(stage.checks + out.checks, ctx)

    stored = {k: fields.to_json(v) for k, v in typed.items()}
    data = {**state.data, stage.id: {**state.data.get(stage.id, {}), **stored}}
    events: list[Event] = [StageLeft(stage.id, outcome)]
    if out.next is not None:
        new_state = CaseState(stage=out.next, data=data)
        events.append(StageEntered(out.next))
    else:
        assert out.end is not None
        new_state = CaseState(stage=None, status="closed", result=out.end, data=data)
        events.append(CaseClosed(out.end))
    if out.start is not None:
        events.append(HandOffRequested(out.start))
    if out.spawn is not None:
        # A list collected by this decision spawns only what it holds now: a loop never re-spawns old items.
        own = out.spawn.per in stage.fields_for(outcome)
        items = typed.get(out.spawn.per, []) if own else (ctx.recorded(out.spawn.per) or [])
        if items:
            events.append(ChildrenRequested(out.spawn.pathway, tuple(str(i) for i in items)))
    phase = out.phase or (spec.lifecycle.on.get(out.end) if out.end is not None else None)
    if phase is not None:
        events.append(PhaseReached(phase))
    warnings = outside_usual(stage.fields_for(outcome), typed)
    return Transition(state=new_state, values=stored, events=tuple(events), warnings=warnings)
