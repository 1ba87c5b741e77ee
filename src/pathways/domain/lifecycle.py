"""The project lifecycle: idea → emergence → founded → consolidation → scaling."""

from __future__ import annotations

from pathways.domain.spec import PathwaySpec, Phase
from pathways.errors import TransitionNotAllowed

ORDER: tuple[Phase, ...] = tuple(Phase)


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
        )
