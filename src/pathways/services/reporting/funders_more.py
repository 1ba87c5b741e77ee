"""Funders' reports of the incubation and ACES pathways (see :mod:`pathways.services.reporting.funders`).

``incubator``: per cohort (the latest ``cohort`` its case recorded; names differing only in case,
accents or punctuation are one, :func:`~pathways.domain.incubation.cohort_key`), the incubatees who joined
in the year, the activities founded (``launched``), those with a first revenue, the jobs
created, and the incubatees whose case ended any other way.
``aces``: per stage of ``aces_support``, the projects supported in the year (a stay in the stage
overlapping it) and the hours recorded on leaving the stage; the enterprises founded and their
jobs, and the jobs recorded at the follow-up.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Final

from sqlalchemy import Connection, and_, func, or_, select

from pathways.domain.incubation import cohort_key
from pathways.services.reporting.funders import FunderLine, dec, decisions, total
from pathways.store.core import CASE, ENTRY

if TYPE_CHECKING:
    from pathways.services.reporting.funders import FunderQuery

INCUBATION: Final = "incubation"
ACES: Final = "aces_support"
ACES_STAGES: Final = ("orientation", "creation_support", "consultancy", "follow_up")
COHORT_LINES: Final = ("cohort_joined", "founded", "first_revenue", "jobs_created", "stopped")


def _cohort_of_case() -> Any:
    """The cohort the case recorded last (its own stage entries, latest decision first)."""
    entry = ENTRY.alias("cohort_entry")
    name = entry.c["values"]["cohort"].as_string()
    return (
        select(name)
        .where(entry.c.case_id == CASE.c.id, name.is_not(None), entry.c.left_at.is_not(None))
        .order_by(entry.c.left_at.desc(), entry.c.id.desc())
        .limit(1)
        .correlate(CASE)
        .scalar_subquery()
    )


def incubator(conn: Connection, query: FunderQuery) -> list[FunderLine]:
    """Cohort outcomes of the year, cohort by cohort (alphabetical)."""
    figures: dict[str, dict[str, int]] = defaultdict(lambda: dict.fromkeys(COHORT_LINES, 0))
    recorded = ENTRY.c["values"]["cohort"].as_string()
    joined = decisions(query, recorded.label("cohort"), func.count().label("n"), pathways=[INCUBATION])
    for row in conn.execute(joined.where(recorded.is_not(None)).group_by(recorded)):
        figures[row.cohort]["cohort_joined"] = int(row.n)
    cohort = func.coalesce(_cohort_of_case(), "")
    revenue = ENTRY.c["values"]["first_revenue_on"].as_string()
    launched = decisions(
        query,
        cohort.label("cohort"),
        func.count().label("n"),
        func.count(revenue).label("revenue"),
        total("jobs_created").label("jobs"),
        pathways=[INCUBATION],
    ).where(ENTRY.c.outcome == "launched")
    for row in conn.execute(launched.group_by(cohort)):
        figures[row.cohort].update(
            founded=int(row.n), first_revenue=int(row.revenue), jobs_created=int(dec(row.jobs))
        )
    start, end = _bounds(query)
    stopped = (
        select(cohort.label("cohort"), func.count().label("n"))
        .where(
            CASE.c.organisation_id.in_(sorted(query.orgs)),
            CASE.c.pathway_id == INCUBATION,
            CASE.c.result.is_not(None),
            CASE.c.result != "launched",
            CASE.c.closed_at >= start,
            CASE.c.closed_at < end,
            _cohort_of_case().is_not(None),
        )
        .group_by(cohort)
    )
    for row in conn.execute(stopped):
        figures[row.cohort]["stopped"] = int(row.n)
    # One organisation's names that differ only in case, accents or punctuation are one cohort.
    merged: dict[str, dict[str, int]] = defaultdict(lambda: dict.fromkeys(COHORT_LINES, 0))
    names: dict[str, str] = {}
    for name, counts in figures.items():
        key = cohort_key(name) if name else ""
        names[key] = min(names.get(key, name), name)
        for indicator, n in counts.items():
            merged[key][indicator] += n
    return [
        FunderLine(indicator, names[key], merged[key][indicator])
        for key in sorted(merged, key=lambda k: (names[k] == "", names[k]))
        for indicator in COHORT_LINES
    ]


def aces(conn: Connection, query: FunderQuery) -> list[FunderLine]:
    """Projects and hours per stage, enterprises founded, jobs: the ACES yearly activity report."""
    start, end = _bounds(query)
    stayed = and_(ENTRY.c.entered_at < end, or_(ENTRY.c.left_at.is_(None), ENTRY.c.left_at >= start))
    base = (
        select(ENTRY.c.stage, func.count(CASE.c.project_id.distinct()).label("n"))
        .select_from(ENTRY)
        .join(CASE, CASE.c.id == ENTRY.c.case_id)
        .where(CASE.c.organisation_id.in_(sorted(query.orgs)), CASE.c.pathway_id == ACES, stayed)
    )
    projects = {row.stage: int(row.n) for row in conn.execute(base.group_by(ENTRY.c.stage))}
    overall = conn.execute(
        select(func.count(CASE.c.project_id.distinct()))
        .select_from(ENTRY)
        .join(CASE, CASE.c.id == ENTRY.c.case_id)
        .where(CASE.c.organisation_id.in_(sorted(query.orgs)), CASE.c.pathway_id == ACES, stayed)
    ).scalar_one()
    spent = decisions(query, ENTRY.c.stage, total("hours_spent").label("hours"), pathways=[ACES])
    hours = {row.stage: dec(row.hours) for row in conn.execute(spent.group_by(ENTRY.c.stage))}
    lines = [
        FunderLine("aces_projects", stage, projects.get(stage, 0), hours=hours.get(stage, dec(0)))
        for stage in ACES_STAGES
    ]
    lines.append(FunderLine("aces_projects_total", "", int(overall), hours=sum(hours.values(), dec(0))))
    founded = decisions(query, func.count(), total("jobs_created"), pathways=[ACES]).where(
        ENTRY.c.stage == "creation_support", ENTRY.c.outcome == "founded"
    )
    n, created = conn.execute(founded).one()
    lines.append(FunderLine("aces_founded", "", int(n)))
    lines.append(FunderLine("jobs_created", "", int(dec(created))))
    follow = decisions(query, total("jobs"), pathways=[ACES]).where(ENTRY.c.stage == "follow_up")
    lines.append(FunderLine("jobs_at_follow_up", "", int(dec(conn.execute(follow).scalar_one()))))
    return lines


def _bounds(query: FunderQuery) -> tuple[datetime, datetime]:
    return datetime(query.year, 1, 1, tzinfo=UTC), datetime(query.year + 1, 1, 1, tzinfo=UTC)
