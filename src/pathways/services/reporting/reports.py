"""Managers' reports: the lifecycle funnel, time in stage, overdue work, workload and outcomes.

Every report takes ``conn, *, now, org=None, pathway=None, start=None, end=None``
and returns plain rows (frozen dataclasses). Counting, grouping and ranking happen
in the database; only what SQLite cannot compute the same way as PostgreSQL
(medians, interpolated percentiles) is finished in Python, from a handful of rows
per group. Periods are half-open: ``start <= t < end``.

What the period selects, per report:

funnel (:mod:`pathways.services.reporting.funnel`)
    the cohort of projects that entered the funnel (were added) in the period; their
    progress is followed until ``now``
stages
    stays in a stage that ended in the period
overdue
    items that fell due in the period
outcomes, workload
    cases opened in the period
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, fields, is_dataclass
from datetime import datetime, timedelta
from typing import Any, Final

from sqlalchemy import (
    ColumnElement,
    Connection,
    Integer,
    Select,
    and_,
    cast,
    func,
    or_,
    select,
)
from sqlalchemy import case as when_then

from pathways.services.people import directory
from pathways.services.reporting.funnel import FunnelRow, funnel
from pathways.store.core import CASE, ENTRY, MEMBER, NOTICE, PERSON, PROJECT

__all__ = [
    "REPORTS", "FunnelRow", "OutcomeRow", "OverdueRow", "StageRow", "WorkloadRow",
    "as_dicts", "funnel", "outcomes", "overdue", "stages", "workload",
]  # fmt: skip

DAY: Final = 86400.0
SOON: Final = timedelta(days=7)  # "due soon" in the workload report


@dataclass(frozen=True, slots=True)
class StageRow:
    """How long stays in a stage lasted (each stay counted, a loop's re-entries separately)."""

    pathway: str
    stage: str
    stays: int
    mean_days: float
    p50_days: float
    p90_days: float


@dataclass(frozen=True, slots=True)
class OverdueRow:
    """An open case past its stage's deadline, or a reminder or escalation not yet sent."""

    item: str  # case | reminder | escalation
    ref: str
    pathway: str
    stage: str | None
    project: str
    officer: str | None
    due_at: datetime
    days_overdue: float
    escalations: int  # escalations already sent for the current stay
    rule: str | None  # notices: remind:0, escalate:1...
    to_role: str | None


@dataclass(frozen=True, slots=True)
class WorkloadRow:
    """An officer's open cases, how many are overdue and how many fall due within a week."""

    officer_id: int | None
    officer: str
    open_cases: int
    overdue: int
    due_within_7_days: int


@dataclass(frozen=True, slots=True)
class OutcomeRow:
    """How the cases of one pathway, territory and cohort (year opened) ended (or 'open')."""

    pathway: str
    territory: str
    cohort: int
    result: str
    cases: int
    share: float  # of the cases of this pathway, territory and cohort


def stages(
    conn: Connection,
    *,
    now: datetime,
    org: str | int | None = None,
    pathway: str | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
) -> list[StageRow]:
    """Time in stage per pathway and stage: mean, median (p50) and p90 of the stays that ended.

    Percentiles interpolate linearly between ranks (as PostgreSQL's percentile_cont):
    the database ranks the stays and returns the two ranks around each percentile.
    """
    seconds = _seconds_between(conn, ENTRY.c.left_at, ENTRY.c.entered_at)
    group = (CASE.c.pathway_id, ENTRY.c.stage)
    ranked = select(
        CASE.c.pathway_id.label("pathway"),
        ENTRY.c.stage,
        seconds.label("seconds"),
        func.row_number().over(partition_by=group, order_by=seconds).label("rank"),
        func.count().over(partition_by=group).label("n"),
        func.avg(seconds).over(partition_by=group).label("mean"),
        func.min(ENTRY.c.seq).over(partition_by=group).label("first_seq"),
    ).join(CASE, CASE.c.id == ENTRY.c.case_id)
    ranked = _scope(conn, ranked, org=org, pathway=pathway).where(
        ENTRY.c.left_at.is_not(None), ENTRY.c.left_at <= now
    )
    if start is not None:
        ranked = ranked.where(ENTRY.c.left_at >= start)
    if end is not None:
        ranked = ranked.where(ENTRY.c.left_at < end)
    r = ranked.subquery()
    index, last = r.c.rank - 1, r.c.n - 1
    wanted = or_(*(index == last * q // 10 for q in (5, 9)), *(index == (last * q + 9) // 10 for q in (5, 9)))
    groups: dict[tuple[str, str], dict[str, Any]] = {}
    for row in conn.execute(select(r).where(wanted)).mappings():
        group_row = groups.setdefault(
            (row["pathway"], row["stage"]),
            {"n": row["n"], "mean": float(row["mean"]), "first": row["first_seq"], "at": {}},
        )
        group_row["at"][row["rank"] - 1] = float(row["seconds"])
    ordered = sorted(groups.items(), key=lambda kv: (kv[0][0], kv[1]["first"], kv[0][1]))
    return [
        StageRow(
            pathway=pathway_id,
            stage=stage,
            stays=g["n"],
            mean_days=g["mean"] / DAY,
            p50_days=_percentile(g["at"], g["n"], 5) / DAY,
            p90_days=_percentile(g["at"], g["n"], 9) / DAY,
        )
        for (pathway_id, stage), g in ordered
    ]


def overdue(
    conn: Connection,
    *,
    now: datetime,
    org: str | int | None = None,
    pathway: str | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
) -> list[OverdueRow]:
    """Open cases past their deadline, and reminders or escalations due but not yet sent, oldest first."""
    fired = NOTICE.alias("fired")
    escalated = (
        select(func.count())
        .where(
            fired.c.entry_id == CASE.c.current_entry_id,
            fired.c.kind == "escalation",
            fired.c.status == "done",
        )
        .correlate(CASE)
        .scalar_subquery()
    )
    base = (
        select(
            CASE.c.ref,
            CASE.c.pathway_id,
            CASE.c.stage,
            CASE.c.officer_id,
            PROJECT.c.name.label("project"),
            escalated.label("escalations"),
        )
        .join(PROJECT, PROJECT.c.id == CASE.c.project_id)
        .where(CASE.c.status == "open")
    )
    base = _scope(conn, base, org=org, pathway=pathway)
    late_cases = _period(
        base.add_columns(CASE.c.due_at).where(CASE.c.due_at < now), CASE.c.due_at, start, end
    )
    late_notices = _period(
        base.add_columns(NOTICE.c.due_at, NOTICE.c.kind.label("item"), NOTICE.c.rule, NOTICE.c.to_role)
        .join(NOTICE, and_(NOTICE.c.case_id == CASE.c.id, NOTICE.c.entry_id == CASE.c.current_entry_id))
        .where(NOTICE.c.status == "pending", NOTICE.c.due_at < now),
        NOTICE.c.due_at,
        start,
        end,
    )
    rows = [{**r, "item": "case", "rule": None, "to_role": None} for r in conn.execute(late_cases).mappings()]
    rows += [dict(r) for r in conn.execute(late_notices).mappings()]
    names = _names(conn, {r["officer_id"] for r in rows})
    rows.sort(key=lambda r: (r["due_at"], r["ref"], r["rule"] or ""))
    return [
        OverdueRow(
            item=r["item"],
            ref=r["ref"],
            pathway=r["pathway_id"],
            stage=r["stage"],
            project=r["project"],
            officer=names.get(r["officer_id"]) if r["officer_id"] is not None else None,
            due_at=r["due_at"],
            days_overdue=(now - r["due_at"]).total_seconds() / DAY,
            escalations=int(r["escalations"]),
            rule=r["rule"],
            to_role=r["to_role"],
        )
        for r in rows
    ]


def workload(
    conn: Connection,
    *,
    now: datetime,
    org: str | int | None = None,
    pathway: str | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
) -> list[WorkloadRow]:
    """Per officer: open cases, how many are overdue, how many fall due within 7 days (idle officers too)."""
    is_overdue = CASE.c.due_at < now
    soon = and_(CASE.c.due_at >= now, CASE.c.due_at < now + SOON)
    query = select(
        CASE.c.officer_id,
        func.count().label("open_cases"),
        func.coalesce(func.sum(when_then((is_overdue, 1), else_=0)), 0).label("overdue"),
        func.coalesce(func.sum(when_then((soon, 1), else_=0)), 0).label("soon"),
    ).where(CASE.c.status == "open")
    query = _period(_scope(conn, query, org=org, pathway=pathway), CASE.c.opened_at, start, end)
    loads = {r.officer_id: r for r in conn.execute(query.group_by(CASE.c.officer_id))}
    officers = select(MEMBER.c.person_id).where(MEMBER.c.role == "officer")
    if org is not None:
        officers = officers.where(MEMBER.c.organisation_id == _org_id(conn, org))
    people = set(conn.execute(officers).scalars()) | {i for i in loads if i is not None}
    names = _names(conn, set(people), living_only=True)
    rows = [
        WorkloadRow(
            officer_id=person,
            officer=names.get(person, f"person #{person}") if person is not None else "(nobody)",
            open_cases=int(loads[person].open_cases) if person in loads else 0,
            overdue=int(loads[person].overdue) if person in loads else 0,
            due_within_7_days=int(loads[person].soon) if person in loads else 0,
        )
        for person in [*people, *([None] if None in loads else [])]
        if person in loads or person in names
    ]
    return sorted(rows, key=lambda r: (-r.open_cases, -r.overdue, r.officer))


def outcomes(
    conn: Connection,
    *,
    now: datetime,
    org: str | int | None = None,
    pathway: str | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
) -> list[OutcomeRow]:
    """Cases per pathway, project territory and cohort (UTC year opened), by end result ('open' if open)."""
    inner = select(
        CASE.c.pathway_id.label("pathway"),
        PROJECT.c.territory,
        _utc_year(conn, CASE.c.opened_at).label("cohort"),
        func.coalesce(CASE.c.result, "open").label("result"),
    ).join(PROJECT, PROJECT.c.id == CASE.c.project_id)
    inner = _period(_scope(conn, inner, org=org, pathway=pathway), CASE.c.opened_at, start, end)
    i = inner.where(CASE.c.opened_at <= now).subquery()
    keys = (i.c.pathway, i.c.territory, i.c.cohort, i.c.result)
    counted = [
        dict(r) for r in conn.execute(select(*keys, func.count().label("cases")).group_by(*keys)).mappings()
    ]
    totals: dict[tuple[str, str, int], int] = defaultdict(int)
    for r in counted:
        totals[(r["pathway"], r["territory"], int(r["cohort"]))] += r["cases"]
    rows = [
        OutcomeRow(
            pathway=r["pathway"],
            territory=r["territory"],
            cohort=int(r["cohort"]),
            result=r["result"],
            cases=r["cases"],
            share=r["cases"] / totals[(r["pathway"], r["territory"], int(r["cohort"]))],
        )
        for r in counted
    ]
    return sorted(rows, key=lambda r: (r.pathway, r.territory, r.cohort, -r.cases, r.result))


Report = Callable[..., Sequence[Any]]
REPORTS: Final[dict[str, Report]] = {
    "funnel": funnel,
    "stages": stages,
    "overdue": overdue,
    "workload": workload,
    "outcomes": outcomes,
}


def as_dicts(rows: Sequence[Any]) -> list[dict[str, Any]]:
    """Report rows as plain dicts (for JSON, CSV and charts).

    The rows' fields are plain values, so each is read as it is: ``dataclasses.asdict`` copies
    every value recursively, 0.1 s for the dashboard's 2,000 overdue cases at 100,000 cases.
    """
    return [
        {f.name: getattr(r, f.name) for f in fields(r)}
        if is_dataclass(r) and not isinstance(r, type)
        else dict(r)
        for r in rows
    ]


def _org_id(conn: Connection, org: str | int) -> int:
    return int(directory.find_org(conn, org).id)


def _scope(
    conn: Connection, query: Select[Any], *, org: str | int | None, pathway: str | None
) -> Select[Any]:
    if org is not None:
        query = query.where(CASE.c.organisation_id == _org_id(conn, org))
    if pathway is not None:
        query = query.where(CASE.c.pathway_id == pathway)
    return query


def _period(query: Select[Any], column: Any, start: datetime | None, end: datetime | None) -> Select[Any]:
    if start is not None:
        query = query.where(column >= start)
    if end is not None:
        query = query.where(column < end)
    return query


def _names(conn: Connection, ids: set[int | None], *, living_only: bool = False) -> dict[int, str]:
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    query = select(PERSON.c.id, PERSON.c.name).where(PERSON.c.id.in_(wanted))
    if living_only:
        query = query.where(PERSON.c.erased_at.is_(None))
    return {r.id: r.name for r in conn.execute(query)}


def _seconds_between(conn: Connection, later: Any, earlier: Any) -> ColumnElement[Any]:
    if conn.dialect.name == "postgresql":
        return func.extract("epoch", later - earlier)
    # SQLite stores UTC instants as text; julianday() reads them to the millisecond.
    return (func.julianday(later) - func.julianday(earlier)) * DAY


def _utc_year(conn: Connection, column: Any) -> ColumnElement[int]:
    if conn.dialect.name == "postgresql":
        # EXTRACT on a timestamptz follows the session's time zone: pin it to UTC.
        return cast(func.extract("year", func.timezone("UTC", column)), Integer)
    return cast(func.extract("year", column), Integer)


def _percentile(values: dict[int, float], n: int, tenths: int) -> float:
    """The percentile `tenths`/10 of n sorted values, of which `values` holds the ranks around it."""
    lo, rest = divmod((n - 1) * tenths, 10)
    hi = lo + (1 if rest else 0)
    return values[lo] + (values[hi] - values[lo]) * rest / 10
