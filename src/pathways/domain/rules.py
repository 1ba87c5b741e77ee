"""What a programme rule sees, and what an automatic step is: types only.

Pathway files name checks (``checks: [diagnosis_eligibility]``) and automatic
steps (``steps: [render_document]``). The checks themselves and the declared
steps are listed in :mod:`pathways.domain.programme`; :mod:`pathways.domain.registry`
builds the registry the loader resolves every name against, so a typo fails when
the file loads, never in production. This module imports neither.

A check is a pure function of a :class:`DecisionContext`: it raises
:class:`~pathways.errors.RuleViolation` to refuse. Facts that live in the
database (how many transfers a resource person did this year) reach it
through the :class:`Facts` protocol, which the service layer implements.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from pathways.domain.spec import PathwaySpec, Phase, StageSpec


class Facts(Protocol):
    """Read-only questions a check may ask about the rest of the database."""

    def transfers_this_year(self, resource_person: int, year: int, *, exclude_case: int | None) -> int:
        """Peer transfers validated for this resource person in this calendar year."""
        ...

    def has_impact_evaluation(self, project: int) -> bool:
        """Whether the project has a recorded impact evaluation with at least one value."""
        ...


@dataclass(frozen=True, slots=True)
class ProjectFacts:
    """What checks may know of the project a case is about."""

    id: int
    name: str
    legal_form: str | None
    phase: Phase
    territory: str
    salaried_jobs: int
    organisation: int


@dataclass(frozen=True, slots=True)
class DecisionContext:
    """Everything a check sees: the decision (or the opening), the case so far, the project."""

    pathway: PathwaySpec
    project: ProjectFacts
    facts: Facts
    now: datetime
    stage: StageSpec | None = None  # None when the case is being opened
    outcome: str | None = None
    values: Mapping[str, Any] = field(default_factory=dict)  # typed values of this decision
    case_data: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)  # stage id -> latest values
    case_id: int | None = None
    stage_entered_at: datetime | None = None
    # The local rules the case's organisation switched on or off: they override the file's.
    org_options: Mapping[str, bool] = field(default_factory=dict)

    def option(self, name: str) -> bool:
        """Whether the local rule `name` is switched on for this case: its organisation's setting when
        it has one (``pathways org update --option``), else its pathway file's ``options``."""
        if name in self.org_options:
            return bool(self.org_options[name])
        return self.pathway.option(name)

    def recorded(self, name: str) -> Any:
        """The latest value of field `name`: this decision's, else the most recent stage's."""
        if name in self.values:
            return self.values[name]
        for values in reversed(list(self.case_data.values())):
            if name in values:
                return values[name]
        return None


Check = Callable[[DecisionContext], None]


@dataclass(frozen=True, slots=True)
class StepInfo:
    """An automatic step the domain declares: the name pathway files use and what it does."""

    name: str
    description: str


@dataclass(frozen=True, slots=True)
class OptionInfo:
    """A local rule a pathway file may switch on (``options: {name: true}``), off by default.

    `checks` are the checks that apply it: each does nothing while the option is off, and a file
    that switches the option on must list one of them. `source` says whose rule it is.
    """

    name: str
    description: str
    source: str
    checks: tuple[str, ...]
