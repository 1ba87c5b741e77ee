"""Closing a case through one of its pathway's exits: at any open stage, with a reason.

Every pathway has exits (DOMAIN, "Every pathway has exits"): a structure withdraws, a project is
abandoned, a peer transfer does not take place. :func:`close` is the state machine's answer to
such a closing, as :func:`pathways.domain.case.decide` is to a stage's decision: pure, it returns
the closed state and the events; the service cancels what waited and records the rest. Child
cases are not the state machine's to touch: they stay as they are.
"""

from __future__ import annotations

from datetime import datetime
from typing import Final

from pathways.domain.case import CaseClosed, CaseState, Event, PhaseReached, StageLeft, Transition
from pathways.domain.spec import PathwaySpec
from pathways.errors import FieldError, InvalidInput, TransitionNotAllowed

__all__ = ["MAX_REASON", "close"]

MAX_REASON: Final = 4000  # characters, as a decision's note


def close(
    spec: PathwaySpec,
    state: CaseState,
    result: str,
    reason: str,
    *,
    now: datetime,
    stage_entered_at: datetime | None = None,
) -> Transition:
    """Close the case with the exit `result`; FieldError (`result`, `reason`) or TransitionNotAllowed.

    The reason is required: what the structure said, why the project stopped. It is kept as the
    closing's note (the stage entry), outside the audit chain, so it can be erased on request.
    """
    if state.status != "open" or state.stage is None:
        raise TransitionNotAllowed(
            f"the case is already closed ({state.result}); it cannot be closed again",
            hint="open a new case to support the project again",
            code="already_closed",
            params={"result": state.result},
        )
    exits = spec.all_exits
    if result not in exits:
        known = ", ".join(exits)
        hint = f"the exits of {spec.id}: {known}"
        if result in spec.ends:
            hint = f"'{result}' ends the case through a stage's outcome (`case decide`); {hint}"
        raise FieldError("result", f"'{result}' is not an exit of pathway {spec.id}", hint=hint)
    text = reason.strip()
    if not text:
        raise FieldError("reason", "a reason is required to close a case", hint="say why, e.g. --reason TEXT")
    if len(text) > MAX_REASON:
        raise FieldError("reason", f"at most {MAX_REASON} characters", hint="shorten the reason")
    if stage_entered_at is not None and now < stage_entered_at:
        raise InvalidInput(
            f"the closing takes effect at {now.isoformat()}, before the case entered stage "
            f"'{state.stage}' ({stage_entered_at.isoformat()})",
            hint="check the --now value",
            code="closed_before_stage",
            params={"at": now.isoformat(), "stage": state.stage, "entered": stage_entered_at.isoformat()},
        )
    events: list[Event] = [StageLeft(state.stage, result), CaseClosed(result)]
    phase = spec.lifecycle.on.get(result)
    if phase is not None:
        events.append(PhaseReached(phase))
    closed = CaseState(stage=None, status="closed", result=result, data=state.data)
    return Transition(state=closed, values={}, events=tuple(events))
