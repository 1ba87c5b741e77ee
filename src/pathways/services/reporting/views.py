"""What the reporting use cases return beside the reports' own rows: typed, frozen records.

The reports' rows (:mod:`pathways.services.reporting.reports`, ``funnel``, ``cohorts``,
``funders``) are frozen dataclasses of their own; here are the impact sheet and the
dashboard's open work. The CLI's ``--json`` gives their fields as they are named here
(:func:`dataclasses.asdict`), so a field renamed here is a change of that output.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

__all__ = [
    "ImpactEvaluation",
    "ImpactIndicator",
    "ImpactProject",
    "ImpactSheet",
    "ImpactValue",
    "OfficerLoad",
    "OpenWork",
    "OrgLoad",
    "ResultCount",
    "StageCount",
]


@dataclass(frozen=True, slots=True)
class ImpactValue:
    """A dated measurement of an indicator."""

    value: Decimal
    on: date


@dataclass(frozen=True, slots=True)
class ImpactIndicator:
    """What an evaluation measures, its values, and how far it went."""

    id: int
    name: str
    unit: str
    baseline: Decimal | None
    target: Decimal | None
    values: tuple[ImpactValue, ...]  # oldest first
    latest: ImpactValue | None
    change: Decimal | None  # the latest value less the baseline
    progress_percent: Decimal | None  # of the way from the baseline to the target


@dataclass(frozen=True, slots=True)
class ImpactEvaluation:
    """An impact evaluation: its question, the tool it follows, its indicators."""

    id: int
    case: str | None  # the case reference; None for a project-wide evaluation
    question: str
    tool: str | None
    created_at: datetime
    indicators: tuple[ImpactIndicator, ...]


@dataclass(frozen=True, slots=True)
class ImpactProject:
    """The project an impact sheet is about."""

    id: int
    name: str
    phase: str | None


@dataclass(frozen=True, slots=True)
class ImpactSheet:
    """A case's impact evaluations, or all of a project's."""

    project: ImpactProject
    case: str | None  # the case reference asked for; None for a whole project
    proven_model_evidence: bool  # what replication's rules accept
    evaluations: tuple[ImpactEvaluation, ...]


@dataclass(frozen=True, slots=True)
class OrgLoad:
    """An organisation's open cases, and how many of them are overdue."""

    id: int
    name: str
    open: int
    overdue: int


@dataclass(frozen=True, slots=True)
class OfficerLoad:
    """An officer's open cases, and how many of them are overdue."""

    officer: str  # their name; "—" for cases without an officer
    officer_id: int | None
    open: int
    overdue: int


@dataclass(frozen=True, slots=True)
class StageCount:
    """Open cases at one stage of a pathway."""

    pathway: str
    stage: str | None
    open: int


@dataclass(frozen=True, slots=True)
class ResultCount:
    """Closed cases of a pathway with one result."""

    pathway: str
    result: str | None
    closed: int


@dataclass(frozen=True, slots=True)
class OpenWork:
    """The dashboard's open work: per organisation, per officer, per stage; closed cases per result."""

    orgs: tuple[OrgLoad, ...]
    workload: tuple[OfficerLoad, ...]
    stages: tuple[StageCount, ...]
    results: tuple[ResultCount, ...]
