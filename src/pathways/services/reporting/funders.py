"""Funders' reports: the figures a network re-types every year into its funders' forms.

``dla``
    the DLA's national indicators: structures supported (by legal form, by sector), jobs at
    intake, jobs kept and created, the consulting missions ended (consultant-days), by pathway
    and by theme, and the missions' budgets.
``tsf``
    the peer transfer (TSF) yearly summary: per resource person, the transfers closed, the
    days spent and the compensation claimed.
``incubator``
    the incubator's cohort outcomes, per cohort: incubatees who joined, activities founded,
    with a first revenue, jobs created, incubatees who stopped.
``aces``
    the Walloon approved agencies' (ACES) yearly report: projects per phase of support, hours
    spent, enterprises founded and jobs.

A recorded value counts in the (UTC) year its decision took effect: the ``left_at`` of the
stage entry that holds it. Counting and summing happen in the database, over the stage
entries' recorded values, limited to the organisations of the query. Where each figure comes
from is written down in docs/REPORTS.md.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, Final

from sqlalchemy import Connection, Numeric, Select, cast, func, literal, select, union_all

from pathways.errors import FieldError
from pathways.store.core import CASE, ENTRY, PERSON, PROJECT

__all__ = ["KINDS", "FunderLine", "FunderQuery", "FunderReport", "dec", "decisions", "funder_report", "total"]

KINDS: Final = ("dla", "tsf", "incubator", "aces")
DLA_PATHWAYS: Final = ("diagnosis", "ongoing_support", "consulting_mission")
FIRST_YEAR, LAST_YEAR = 2000, 2100
_CENT: Final = Decimal("0.01")


@dataclass(frozen=True, slots=True)
class FunderQuery:
    """Which report, for which year, over which organisations (ids, already checked by the caller)."""

    kind: str
    year: int
    orgs: frozenset[int]

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise FieldError(
                "kind", f"unknown funder report {self.kind!r}", hint=f"one of {', '.join(KINDS)}"
            )
        if not FIRST_YEAR <= self.year <= LAST_YEAR:
            raise FieldError("year", f"{self.year} is not a year between {FIRST_YEAR} and {LAST_YEAR}")


@dataclass(frozen=True, slots=True)
class FunderLine:
    """One line of a funder's report: an indicator, what it is about, and its figures."""

    indicator: str  # structures, structures_by_legal_form, jobs_created, missions, transfers...
    detail: str  # a legal form, a sector, a pathway, a mission theme, a person's name; "" when none
    count: int | None
    days: Decimal | None = None
    amount: Decimal | None = None
    hours: Decimal | None = None


@dataclass(frozen=True, slots=True)
class FunderReport:
    """A funder's report for one year."""

    kind: str
    year: int
    lines: tuple[FunderLine, ...]


def funder_report(conn: Connection, query: FunderQuery) -> FunderReport:
    """The report `query` asks for, counted over its organisations only."""
    from pathways.services.reporting.funders_more import aces, incubator

    build = {"dla": _dla, "tsf": _tsf, "incubator": incubator, "aces": aces}[query.kind]
    lines = build(conn, query)
    return FunderReport(kind=query.kind, year=query.year, lines=tuple(lines))


def decisions(query: FunderQuery, *columns: Any, pathways: Sequence[str]) -> Select[Any]:
    """Stage entries of the query's organisations and `pathways` whose decision took effect in its year."""
    start = datetime(query.year, 1, 1, tzinfo=UTC)
    end = datetime(query.year + 1, 1, 1, tzinfo=UTC)
    return (
        select(*columns)
        .select_from(ENTRY)
        .join(CASE, CASE.c.id == ENTRY.c.case_id)
        .where(
            CASE.c.organisation_id.in_(sorted(query.orgs)),
            CASE.c.pathway_id.in_(list(pathways)),
            ENTRY.c.left_at >= start,
            ENTRY.c.left_at < end,
            ENTRY.c.outcome.is_not(None),
        )
    )


def number(field: str) -> Any:
    """A recorded number (integer, decimal, money) as a NUMERIC, NULL when not recorded."""
    return cast(ENTRY.c["values"][field].as_string(), Numeric(18, 2))


def total(field: str) -> Any:
    return func.coalesce(func.sum(number(field)), 0)


def dec(value: Any) -> Decimal:
    return Decimal(str(value or 0)).quantize(_CENT)


def _dla(conn: Connection, query: FunderQuery) -> list[FunderLine]:
    lines: list[FunderLine] = []
    supported = decisions(query, CASE.c.project_id, pathways=DLA_PATHWAYS).distinct().scalar_subquery()
    structures = conn.execute(select(func.count()).where(PROJECT.c.id.in_(supported))).scalar_one()
    lines.append(FunderLine("structures", "", int(structures)))
    for indicator, column in (
        ("structures_by_legal_form", func.coalesce(_at_intake(query, "legal_form"), PROJECT.c.legal_form)),
        ("structures_by_sector", func.coalesce(_at_intake(query, "activity_sector"), PROJECT.c.sector)),
    ):
        key = func.coalesce(column, "")
        grouped = select(key.label("detail"), func.count().label("n")).where(PROJECT.c.id.in_(supported))
        rows = conn.execute(grouped.group_by(key).order_by(func.count().desc(), key))
        lines.extend(FunderLine(indicator, row.detail, int(row.n)) for row in rows)
    intake = decisions(query, func.count(), total("salaried_jobs"), pathways=["diagnosis"]).where(
        ENTRY.c.stage == "intake", ENTRY.c.outcome == "relevant"
    )
    _, jobs = conn.execute(intake).one()
    lines.append(FunderLine("jobs_at_intake", "", int(dec(jobs))))
    follow = decisions(
        query, func.count(), total("jobs_kept"), total("jobs_created"), pathways=["ongoing_support"]
    ).where(ENTRY.c.stage == "follow_up")
    _, kept, created = conn.execute(follow).one()
    lines.append(FunderLine("jobs_kept", "", int(dec(kept))))
    lines.append(FunderLine("jobs_created", "", int(dec(created))))
    for pathway, stage, outcomes, days in (
        ("ongoing_support", "mission", ("done", "done_to_founding"), "consultant_days"),
        ("consulting_mission", "delivery", ("done",), "days_delivered"),
    ):
        ended = decisions(query, func.count(), total(days), pathways=[pathway]).where(
            ENTRY.c.stage == stage, ENTRY.c.outcome.in_(outcomes)
        )
        n, spent = conn.execute(ended).one()
        lines.append(FunderLine("missions", pathway, int(n), days=dec(spent)))
    lines.extend(_missions_by_theme(conn, query))
    budgets = decisions(query, func.count(), total("mission_budget"), pathways=["ongoing_support"]).where(
        ENTRY.c.stage == "brief",
        ENTRY.c.outcome == "consultant_chosen",
        ENTRY.c["values"]["mission_budget"].as_string().is_not(None),
    )
    n, amount = conn.execute(budgets).one()
    lines.append(FunderLine("mission_budgets", "", int(n), amount=dec(amount)))
    return lines


def _missions_by_theme(conn: Connection, query: FunderQuery) -> list[FunderLine]:
    """The missions ended in the year (both pathways of the `missions` lines), by their theme: an
    ongoing support's own `mission.mission_theme`, a consulting mission's theme recorded at its
    latest planning."""
    planning = ENTRY.alias("planning")
    planned = planning.c["values"]["mission_theme"].as_string()
    theme_planned = (
        select(planned)
        .where(
            planning.c.case_id == ENTRY.c.case_id,
            planning.c.stage == "planning",
            planning.c.outcome == "planned",
            planned.is_not(None),
        )
        .order_by(planning.c.left_at.desc(), planning.c.id.desc())
        .limit(1)
        .correlate(ENTRY)
        .scalar_subquery()
    )
    own = decisions(
        query,
        ENTRY.c["values"]["mission_theme"].as_string().label("theme"),
        number("consultant_days").label("days"),
        pathways=["ongoing_support"],
    ).where(ENTRY.c.stage == "mission", ENTRY.c.outcome.in_(("done", "done_to_founding")))
    delivered = decisions(
        query,
        theme_planned.label("theme"),
        number("days_delivered").label("days"),
        pathways=["consulting_mission"],
    ).where(ENTRY.c.stage == "delivery", ENTRY.c.outcome == "done")
    ended = union_all(own, delivered).subquery()
    key = func.coalesce(ended.c.theme, "")
    grouped = (
        select(
            key.label("detail"),
            func.count().label("n"),
            func.coalesce(func.sum(ended.c.days), 0).label("days"),
        )
        .group_by(key)
        .order_by(func.count().desc(), key)
    )
    return [
        FunderLine("missions_by_theme", row.detail, int(row.n), days=dec(row.days))
        for row in conn.execute(grouped)
    ]


def _at_intake(query: FunderQuery, field: str) -> Any:
    """The `field` the project's latest diagnosis intake recorded by the end of the year."""
    form = ENTRY.c["values"][field].as_string()
    end = datetime(query.year + 1, 1, 1, tzinfo=UTC)
    return (
        select(form)
        .select_from(ENTRY)
        .join(CASE, CASE.c.id == ENTRY.c.case_id)
        .where(
            CASE.c.project_id == PROJECT.c.id,
            CASE.c.pathway_id == "diagnosis",
            ENTRY.c.stage == "intake",
            ENTRY.c.left_at < end,
            form.is_not(None),
        )
        .order_by(ENTRY.c.left_at.desc(), ENTRY.c.id.desc())
        .limit(1)
        .correlate(PROJECT)
        .scalar_subquery()
    )


def _tsf(conn: Connection, query: FunderQuery) -> list[FunderLine]:
    name = func.coalesce(PERSON.c.name, literal(""))
    closed = (
        decisions(
            query,
            name.label("person"),
            func.count().label("n"),
            total("days_spent").label("days"),
            total("payment_claim").label("amount"),
            pathways=["peer_transfer"],
        )
        .outerjoin(PERSON, PERSON.c.id == CASE.c.resource_id)
        .where(ENTRY.c.stage == "review", ENTRY.c.outcome == "closed")
        .group_by(CASE.c.resource_id, name)
        .order_by(name)
    )
    lines = [
        FunderLine("transfers", row.person, int(row.n), days=dec(row.days), amount=dec(row.amount))
        for row in conn.execute(closed)
    ]
    overall = FunderLine(
        "transfers_total",
        "",
        sum(line.count or 0 for line in lines),
        days=sum((line.days or Decimal(0) for line in lines), Decimal(0)).quantize(_CENT),
        amount=sum((line.amount or Decimal(0) for line in lines), Decimal(0)).quantize(_CENT),
    )
    return [*lines, overall]
