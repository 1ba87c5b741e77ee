"""The audit log read a page at a time: one organisation's chain, newest first, filtered.

Pages are cut on the chain's own order (``seq``, indexed with the organisation by the
chain's unique constraint): a page is "the 100 events before seq N", so the thousandth
page of a chain of millions costs what the first does, where ``OFFSET`` would read and
skip every event before it. Filters (case, person, kind, dates) narrow the same walk.

Names are read from the directory at the time of reading, never from the chain (which
holds ids only): the people and projects an event names are looked up among the
organisation's own, so an id of anything else stays an id.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Final

from sqlalchemy import ColumnElement, Connection, or_, select

from pathways.services.casework.queries import with_decision_details
from pathways.services.people.directory import members_of
from pathways.store.core import AUDIT, CASE, PERSON, PROJECT

PAGE_MAX: Final = 100
# Payload keys that hold a person's id, a project's id.
PERSON_KEYS: Final = ("person", "officer")
PROJECT_KEYS: Final = ("project",)


@dataclass(frozen=True, slots=True)
class AuditQuery:
    """Which events of one organisation's chain: every filter given must match."""

    organisation_id: int
    case_id: int | None = None
    person_id: int | None = None  # who acted, or whom the event is about
    kind: str | None = None
    start: datetime | None = None  # effective at or after
    end: datetime | None = None  # effective before
    before: int | None = None  # only events before this seq (the next page)
    limit: int = PAGE_MAX


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """One event, with its case reference and its actor's name."""

    organisation_id: int
    seq: int
    kind: str
    effective_at: datetime
    recorded_at: datetime
    case_id: int | None
    case: str | None  # the case reference
    pathway: str | None  # the case's pathway and its version (stage and outcome titles)
    pathway_version: int | None
    actor_id: int | None
    actor: str | None  # the person's current name; None: recorded by the system
    payload: Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class AuditPage:
    """A page of events, newest first, and where the next one starts."""

    organisation_id: int
    entries: tuple[AuditEntry, ...]
    next_before: int | None  # the `before` of the next (older) page; None on the last one
    people: Mapping[int, str] = field(default_factory=dict)  # names of the people the events name
    projects: Mapping[int, str] = field(default_factory=dict)  # names of the projects they name


def read_page(conn: Connection, query: AuditQuery) -> AuditPage:
    """One page of `query`'s events, newest first (at most :data:`PAGE_MAX`)."""
    limit = max(1, min(query.limit, PAGE_MAX))
    statement = (
        select(
            AUDIT.c.seq,
            AUDIT.c.kind,
            AUDIT.c.effective_at,
            AUDIT.c.recorded_at,
            AUDIT.c.case_id,
            CASE.c.ref,
            CASE.c.pathway_id,
            CASE.c.pathway_version,
            AUDIT.c.actor_id,
            PERSON.c.name,
            AUDIT.c.payload,
        )
        .select_from(AUDIT)
        .outerjoin(CASE, CASE.c.id == AUDIT.c.case_id)
        .outerjoin(PERSON, PERSON.c.id == AUDIT.c.actor_id)
        .where(AUDIT.c.organisation_id == query.organisation_id)
        .order_by(AUDIT.c.seq.desc())
        .limit(limit + 1)  # one more: is there a next page?
    )
    if query.before is not None:
        statement = statement.where(AUDIT.c.seq < query.before)
    if query.case_id is not None:
        statement = statement.where(AUDIT.c.case_id == query.case_id)
    if query.person_id is not None:
        statement = statement.where(_about(conn, query.person_id))
    if query.kind is not None:
        statement = statement.where(AUDIT.c.kind == query.kind)
    if query.start is not None:
        statement = statement.where(AUDIT.c.effective_at >= query.start)
    if query.end is not None:
        statement = statement.where(AUDIT.c.effective_at < query.end)
    rows = list(conn.execute(statement))
    more = len(rows) > limit
    rows = rows[:limit]
    payloads = with_decision_details(conn, [dict(row.payload) for row in rows])
    entries = tuple(
        AuditEntry(
            organisation_id=query.organisation_id,
            seq=row.seq,
            kind=row.kind,
            effective_at=row.effective_at,
            recorded_at=row.recorded_at,
            case_id=row.case_id,
            case=row.ref,
            pathway=row.pathway_id,
            pathway_version=row.pathway_version,
            actor_id=row.actor_id,
            actor=(row.name or f"#{row.actor_id}") if row.actor_id is not None else None,
            payload=payload,
        )
        for row, payload in zip(rows, payloads, strict=True)
    )
    return AuditPage(
        organisation_id=query.organisation_id,
        entries=entries,
        next_before=entries[-1].seq if more and entries else None,
        people=_names(conn, entries, query.organisation_id),
        projects=_projects(conn, entries, query.organisation_id),
    )


def _about(conn: Connection, person_id: int) -> ColumnElement[bool]:
    """Events the person recorded, or whose payload names them (``person``, ``officer``).

    PostgreSQL compares the payload's text (a cast of a value that is not a number would
    fail the whole query); SQLite's json_extract gives the number itself.
    """
    if conn.dialect.name == "postgresql":
        named = [AUDIT.c.payload[key].as_string() == str(person_id) for key in PERSON_KEYS]
    else:
        named = [AUDIT.c.payload[key].as_integer() == person_id for key in PERSON_KEYS]
    return or_(AUDIT.c.actor_id == person_id, *named)


def _ids(entries: tuple[AuditEntry, ...], keys: tuple[str, ...], *, values: bool = False) -> set[int]:
    """Ids under `keys` in the payloads; `values`: also every whole number a decision recorded
    (its person fields: looked up among the organisation's people, used only for those fields)."""
    found: set[int] = set()
    for entry in entries:
        candidates = [entry.payload.get(key) for key in keys]
        recorded = entry.payload.get("values")
        if values and isinstance(recorded, Mapping):
            for value in recorded.values():
                candidates.extend(value if isinstance(value, list) else [value])
        found |= {v for v in candidates if isinstance(v, int) and not isinstance(v, bool)}
        found |= {int(v) for v in candidates if isinstance(v, str) and v.isdigit() and len(v) < 10}
    return found


def _names(conn: Connection, entries: tuple[AuditEntry, ...], org_id: int) -> dict[int, str]:
    ids = _ids(entries, PERSON_KEYS, values=True)
    if not ids:
        return {}
    rows = conn.execute(select(PERSON.c.id, PERSON.c.name).where(PERSON.c.id.in_(ids), members_of(org_id)))
    return {row.id: row.name for row in rows}


def _projects(conn: Connection, entries: tuple[AuditEntry, ...], org_id: int) -> dict[int, str]:
    ids = _ids(entries, PROJECT_KEYS)
    if not ids:
        return {}
    rows = conn.execute(
        select(PROJECT.c.id, PROJECT.c.name).where(PROJECT.c.id.in_(ids), PROJECT.c.organisation_id == org_id)
    )
    return {row.id: row.name for row in rows}
