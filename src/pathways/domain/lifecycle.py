"""The project lifecycle: idea → emergence → founded → consolidation → scaling."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from pathways.domain.spec import PathwaySpec, Phase
from pathways.errors import TransitionNotAllowed

ORDER: tuple[Phase, ...] = tuple(Phase)

# Where a new project's phase came from, as its `project_added` event records it.
PhaseFrom = Literal["default", "identifier", "given", "given_despite_identifier"]


@dataclass(frozen=True, slots=True)
class InitialPhase:
    """The phase a new project starts at, and where it came from."""

    phase: Phase
    source: PhaseFrom


def initial_phase(given: Phase | None, *, identified: bool) -> InitialPhase:
    """A new project's phase: the one given, else `founded` with a legal identifier, else `idea`.

    A SIREN/SIRET or BCE/KBO number means a legal entity exists. An officer may still give
    an earlier phase with one (a new activity of an existing structure): that choice is
    kept and marked `given_despite_identifier`, so the history shows it was deliberate.
    """
    if given is None and identified:
        return InitialPhase(Phase.FOUNDED, "identifier")
    if given is None:
        return InitialPhase(Phase.IDEA, "default")
    if identified and ORDER.index(given) < ORDER.index(Phase.FOUNDED):
        return InitialPhase(given, "given_despite_identifier")
    return InitialPhase(given, "given")


def advance(current: Phase, reached: Phase) -> Phase | None:
    """The project's new phase when a case reaches `reached`; None when it is not a step forward.

    A project never moves back: a diagnosis completed by a founded structure does
    not make it an idea again.
    """
    return reached if ORDER.index(reached) > ORDER.index(current) else None


def require_phase(spec: PathwaySpec, project_name: str, phase: Phase) -> None:
    """Refuse to open a case when the pathway requires another lifecycle phase."""
    allowed = spec.lifecycle.requires
    if allowed and phase not in allowed:
        raise TransitionNotAllowed(
            f"project '{project_name}' is at phase '{phase}', but {spec.id} is for projects at "
            f"{' or '.join(p.value for p in allowed)}",
            hint="update the project's phase if it is out of date, or choose another pathway",
            code="pathway_wrong_phase",
            params={
                "project": project_name,
                "phase": phase,
                "pathway": spec.id,
                "phases": ", ".join(p.value for p in allowed),
            },
        )
