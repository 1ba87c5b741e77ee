"""Incubation cohorts: who is in which cohort, and where each one stands.

A case joins a cohort when a decision records its ``cohort`` (with ``cohort_start`` and
``cohort_end``; :mod:`pathways.domain.incubation`): the latest such decision says which one.
Cohorts are an organisation's own: two organisations' "Promotion 2026" are two cohorts, and one
organisation's names that differ only in case, accents or punctuation are one
(:func:`~pathways.domain.incubation.cohort_key`). A cohort's dates are the earliest start and
the latest end its members recorded; ``dates_differ`` says when they did not all agree.

Every read is limited to the organisations the caller passes (the web passes the reader's,
the command line those it was asked for).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, select

from pathways.domain.incubation import COHORT_FIELDS, INCUBATION, cohort_key
from pathways.domain.loader import PathwayCatalog
from pathways.domain.recorded import day_of
from pathways.errors import NotFound
from pathways.store.core import CASE, ENTRY, ORG, PERSON, PROJECT

__all__ = ["Cohort", "CohortMember", "find_cohort", "list_cohorts"]

MENTOR = "mentor"
LAUNCHED = "launched"  # the incubation's end result when the activity is founded with first revenue


@dataclass(frozen=True, slots=True)
class CohortMember:
    """One incubatee of a cohort: its case, and where it stands (stage, or the result it ended with)."""

    ref: str
    project: str
    status: str  # open | closed
    stage: str | None
    stage_title: str | None
    result: str | None
    result_label: str | None
    due_at: datetime | None
    overdue: bool
    officer: str | None
    mentor: str | None
    cohort_start: date | None
    cohort_end: date | None


@dataclass(frozen=True, slots=True)
class Cohort:
    """A cohort of an organisation: its name, its dates, its members."""

    key: str
    name: str
    organisation_id: int
    organisation: str
    start: date | None
    end: date | None
    dates_differ: bool
    members: tuple[CohortMember, ...]

    @property
    def in_progress(self) -> int:
        """Members whose case is still open."""
        return sum(1 for m in self.members if m.status == "open")

    @property
    def launched(self) -> int:
        """Members whose activity was founded and earned its first revenue."""
        return sum(1 for m in self.members if m.result == LAUNCHED)

    @property
    def stopped(self) -> int:
        """Members whose case ended any other way (abandoned, withdrawn...)."""
        return sum(1 for m in self.members if m.status != "open" and m.result != LAUNCHED)

    @property
    def overdue(self) -> int:
        """Open members past their stage's deadline."""
        return sum(1 for m in self.members if m.overdue)


def _joined(conn: Connection, case_ids: list[int]) -> dict[int, dict[str, Any]]:
    """Per case, the cohort fields (and mentor) of the latest decision that recorded a cohort."""
    joined: dict[int, dict[str, Any]] = {}
    if not case_ids:
        return joined
    rows = conn.execute(
        select(ENTRY.c.case_id, ENTRY.c["values"])
        .where(ENTRY.c.case_id.in_(case_ids))
        .order_by(ENTRY.c.case_id, ENTRY.c.seq)
    )
    for case_id, values in rows:
        name = (values or {}).get("cohort")
        if isinstance(name, str) and name.strip():
            joined[case_id] = {k: values.get(k) for k in (*COHORT_FIELDS, MENTOR)}
    return joined


def _names(conn: Connection, table: Any, ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    return {
        row[0]: row[1] for row in conn.execute(select(table.c.id, table.c.name).where(table.c.id.in_(ids)))
    }


def list_cohorts(
    conn: Connection,
    catalog: PathwayCatalog,
    *,
    orgs: Collection[int] | None,
    lang: str,
    now: datetime,
) -> list[Cohort]:
    """Every cohort of the organisations `orgs` (None: all), latest start first, with their members."""
    query = (
        select(
            CASE.c.id,
            CASE.c.ref,
            CASE.c.organisation_id,
            CASE.c.pathway_version,
            CASE.c.status,
            CASE.c.stage,
            CASE.c.result,
            CASE.c.due_at,
            CASE.c.officer_id,
            PROJECT.c.name.label("project"),
        )
        .join(PROJECT, PROJECT.c.id == CASE.c.project_id)
        .where(CASE.c.pathway_id == INCUBATION)
        .order_by(CASE.c.id)
    )
    if orgs is not None:
        query = query.where(CASE.c.organisation_id.in_(sorted(orgs)))
    cases = [dict(r) for r in conn.execute(query).mappings()]
    joined = _joined(conn, [c["id"] for c in cases])
    cases = [c for c in cases if c["id"] in joined]
    people = _names(
        conn,
        PERSON,
        {c["officer_id"] for c in cases if c["officer_id"] is not None}
        | {int(j[MENTOR]) for j in joined.values() if str(j.get(MENTOR) or "").isdigit()},
    )
    organisations = _names(conn, ORG, {c["organisation_id"] for c in cases})
    groups: dict[tuple[int, str], list[tuple[str, CohortMember]]] = {}
    for case in cases:
        fields = joined[case["id"]]
        name = " ".join(str(fields["cohort"]).split())
        member = _member(catalog, case, fields, people, lang=lang, now=now)
        groups.setdefault((case["organisation_id"], cohort_key(name)), []).append((name, member))
    found = [_cohort(org, key, members, organisations) for (org, key), members in groups.items()]
    return sorted(
        found, key=lambda c: (-(c.start or date.min).toordinal(), c.name.casefold(), c.organisation)
    )


def find_cohort(
    conn: Connection,
    catalog: PathwayCatalog,
    key: str,
    *,
    orgs: Collection[int] | None,
    org: int | None = None,
    lang: str,
    now: datetime,
) -> Cohort:
    """The cohort named (or keyed) `key` among `orgs`, in organisation `org` when given.

    NotFound when there is none; when several organisations have a cohort of that name and
    `org` does not say which, the first of them (by organisation id).
    """
    wanted = cohort_key(key)
    within = orgs if org is None else ({org} & set(orgs) if orgs is not None else {org})
    matches = [c for c in list_cohorts(conn, catalog, orgs=within, lang=lang, now=now) if c.key == wanted]
    if not matches:
        shown = key.strip()[:80]
        raise NotFound(
            f"no cohort '{shown}'",
            hint="see `pathways cohort list` for the cohorts",
            code="cohort_not_found",
            params={"ref": shown},
        )
    return min(matches, key=lambda c: c.organisation_id)


def _member(
    catalog: PathwayCatalog,
    case: Mapping[str, Any],
    fields: Mapping[str, Any],
    people: Mapping[int, str],
    *,
    lang: str,
    now: datetime,
) -> CohortMember:
    spec = catalog.get(INCUBATION, case["pathway_version"])
    stage_title = result_label = None
    if case["stage"] is not None and case["stage"] in spec.stage_ids():
        stage_title = spec.stage(case["stage"]).title.get(lang)
    if case["result"] is not None:
        label = spec.result_label(case["result"])
        result_label = label.get(lang) if label is not None else case["result"]
    mentor = str(fields.get(MENTOR) or "")
    due = case["due_at"]
    return CohortMember(
        ref=case["ref"],
        project=case["project"],
        status=case["status"],
        stage=case["stage"],
        stage_title=stage_title,
        result=case["result"],
        result_label=result_label,
        due_at=due,
        overdue=case["status"] == "open" and due is not None and due < now,
        officer=people.get(case["officer_id"]) if case["officer_id"] is not None else None,
        mentor=people.get(int(mentor)) if mentor.isdigit() else None,
        cohort_start=day_of(fields.get("cohort_start")),
        cohort_end=day_of(fields.get("cohort_end")),
    )


def _cohort(
    org: int, key: str, members: list[tuple[str, CohortMember]], organisations: Mapping[int, str]
) -> Cohort:
    spellings = Counter(name for name, _ in members)
    name = max(spellings, key=lambda n: (spellings[n], -[m for m, _ in members].index(n)))
    starts = {m.cohort_start for _, m in members if m.cohort_start is not None}
    ends = {m.cohort_end for _, m in members if m.cohort_end is not None}
    return Cohort(
        key=key,
        name=name,
        organisation_id=org,
        organisation=organisations.get(org, str(org)),
        start=min(starts, default=None),
        end=max(ends, default=None),
        dates_differ=len(starts) > 1 or len(ends) > 1,
        members=tuple(sorted((m for _, m in members), key=lambda m: (m.project.casefold(), m.ref))),
    )
