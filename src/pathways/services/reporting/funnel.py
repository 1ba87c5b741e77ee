"""The lifecycle funnel: how many projects reach each phase, how many move on and how fast.

Read from the audit log, the only place the dates of phase changes live: the phase
a project was added at (``project_added``) and each ``phase_changed``. A project
that jumps a phase (idea straight to founded) counts as having reached it; the time
spent at a phase only counts projects that were actually at it.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from datetime import datetime
from typing import Final

from sqlalchemy import Connection, and_, func, select
from sqlalchemy import case as when_then

from pathways.domain.spec import Phase
from pathways.services.people import directory
from pathways.store.core import AUDIT, CASE

PHASES: Final = tuple(p.value for p in Phase)
DAY: Final = 86400.0


@dataclass(frozen=True, slots=True)
class FunnelRow:
    """How many projects reached a lifecycle phase, and how many went on to the next one."""

    phase: str
    next_phase: str | None
    reached: int  # at this phase at some point (or jumped past it) since entering the funnel
    started_here: int  # entered the funnel at this phase (added at it)
    moved_on: int  # reached a later phase
    conversion: float | None  # moved_on / reached
    median_days_to_next: float | None  # time spent at this phase by those that were at it and moved on
    # Went no further and had a case closed through an exit (withdrawn, abandoned...: casework.closing).
    exited: int = 0


def funnel(
    conn: Connection,
    *,
    now: datetime,
    org: str | int | None = None,
    pathway: str | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
) -> list[FunnelRow]:
    """Projects per lifecycle phase reached, conversion to the next phase and median time at each phase.

    Read from the audit: the phase a project was added at (``project_added``) and each
    ``phase_changed``. A project that jumps a phase counts as having reached it.
    """
    project = AUDIT.c.payload["project"].as_integer()
    events = select(
        project.label("project"),
        AUDIT.c.kind,
        AUDIT.c.effective_at.label("at"),
        AUDIT.c.payload["phase"].as_string().label("initial"),
        AUDIT.c.payload["to"].as_string().label("reached"),
    ).where(AUDIT.c.kind.in_(("project_added", "phase_changed")), AUDIT.c.effective_at <= now)
    if org is not None:
        events = events.where(AUDIT.c.organisation_id == directory.find_org(conn, org).id)
    if pathway is not None:
        events = events.where(project.in_(select(CASE.c.project_id).where(CASE.c.pathway_id == pathway)))
    ev = events.subquery()
    added = func.min(when_then((ev.c.kind == "project_added", ev.c.at)))
    query = (
        select(
            ev.c.project,
            added.label("added_at"),
            func.max(when_then((ev.c.kind == "project_added", ev.c.initial))).label("initial"),
            *(
                func.min(when_then((and_(ev.c.kind == "phase_changed", ev.c.reached == p), ev.c.at))).label(p)
                for p in PHASES
            ),
        )
        .group_by(ev.c.project)
        .having(added.is_not(None))
    )
    if start is not None:
        query = query.having(added >= start)
    if end is not None:
        query = query.having(added < end)

    exits = _exited_projects(conn, now)
    reached, started, moved = [0] * len(PHASES), [0] * len(PHASES), [0] * len(PHASES)
    exited = [0] * len(PHASES)
    spent: list[list[float]] = [[] for _ in PHASES]
    for row in conn.execute(query.execution_options(yield_per=1000)).mappings():
        first = PHASES.index(row["initial"]) if row["initial"] in PHASES else 0
        arrived = {first: row["added_at"]}
        arrived |= {i: row[p] for i, p in enumerate(PHASES) if i > first and row[p] is not None}
        last = max(arrived)
        started[first] += 1
        exited[last] += row["project"] in exits
        for i in range(first, last + 1):
            reached[i] += 1
            moved[i] += i < last
        for i, at in arrived.items():
            later = [t for j, t in arrived.items() if j > i]
            if later:
                spent[i].append((min(later) - at).total_seconds() / DAY)
    return [
        FunnelRow(
            phase=phase,
            next_phase=PHASES[i + 1] if i + 1 < len(PHASES) else None,
            reached=reached[i],
            started_here=started[i],
            moved_on=moved[i],
            conversion=moved[i] / reached[i] if reached[i] and i + 1 < len(PHASES) else None,
            median_days_to_next=statistics.median(spent[i]) if spent[i] else None,
            exited=exited[i],
        )
        for i, phase in enumerate(PHASES)
    ]


def _exited_projects(conn: Connection, now: datetime) -> set[int]:
    """Projects with a case closed through an exit by `now` (its audit event says ``exit: true``)."""
    closing = (
        select(CASE.c.project_id)
        .join(AUDIT, AUDIT.c.case_id == CASE.c.id)
        .where(AUDIT.c.kind == "decision", AUDIT.c.payload["exit"].as_boolean(), AUDIT.c.effective_at <= now)
    )
    return set(conn.scalars(closing))
