"""Exports of cases, projects and the audit log as CSV or JSON, and the writers they share.

Rows are streamed from the database (server-side cursor on PostgreSQL) and written
as they come, so memory stays constant however many rows there are.

No export carries personal data: people appear as ids only (``officer_id``,
``owner_id``, ``actor_id``); their names and contacts stay in the person table,
which only ``pathways person export`` reads. Open data on initiatives is
:mod:`pathways.services.exchange.opendata`.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Final, TextIO

from sqlalchemy import Connection, Select, select

from pathways.errors import InvalidInput
from pathways.services.people import directory
from pathways.store.core import AUDIT, CASE, ORG, PROJECT

TABLES: Final = ("cases", "projects", "audit")
TABLE_FORMATS: Final = ("csv", "json")
BATCH: Final = 1000  # rows fetched at a time
# A spreadsheet reads a cell starting with one of these as a formula (OWASP "CSV injection"):
# `=HYPERLINK(...)` in a project's name would run in the manager's spreadsheet.
FORMULA_STARTS: Final = ("=", "+", "-", "@", "\t", "\r")
PROJECT_COLUMNS: Final = (
    "name", "legal_form", "siren", "siret", "bce", "rna", "ess_status", "sector", "territory", "phase",
    "permanent_jobs", "fixed_term_jobs", "owner_id", "created_at",
)  # fmt: skip


def export_table(
    conn: Connection,
    what: str,
    out: TextIO,
    *,
    fmt: str,
    org: str | int | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
) -> int:
    """Write cases, projects or audit events as CSV or JSON; returns the number of rows.

    The period selects cases opened, projects added, events taking effect in ``[start, end)``.
    """
    if what not in TABLES:
        raise InvalidInput(
            f"cannot export '{what}'",
            hint=f"one of {', '.join(TABLES)}, initiatives",
            code="export_unknown",
            params={"what": what, "tables": f"{', '.join(TABLES)}, initiatives"},
        )
    if fmt not in TABLE_FORMATS:
        raise InvalidInput(
            f"{what} export as csv or json, not {fmt!r}",
            code="export_format",
            params={"what": what, "formats": ", ".join(TABLE_FORMATS), "format": fmt},
        )
    org_id = directory.find_org(conn, org).id if org is not None else None
    query = {"cases": _cases, "projects": _projects, "audit": _audit}[what](org_id, start, end)
    rows = (dict(r) for r in conn.execute(query.execution_options(yield_per=BATCH)).mappings())
    columns = [c.name for c in query.selected_columns]
    if fmt == "csv":
        return write_csv(out, columns, rows)
    return write_json_sequence(out, "[\n", rows, "\n]\n")


def write_csv(out: TextIO, columns: Sequence[str], rows: Iterable[Mapping[str, Any]]) -> int:
    """Rows as CSV with a header; JSON for nested values, ISO 8601 for instants, no formulas.

    Every CSV pathways writes goes through here, so that no text cell can start a formula.
    """
    writer = csv.writer(out)
    writer.writerow([_text(c) for c in columns])
    count = 0
    for row in rows:
        writer.writerow([_cell(row.get(c)) for c in columns])
        count += 1
    return count


def spreadsheet_cell(value: Any) -> Any:
    """One value as :func:`write_csv` writes it (the XLSX exports of the web's lists too): numbers as
    numbers, instants in ISO 8601, nested values as JSON, text never starting a formula."""
    return _cell(value)


def write_json_sequence(out: TextIO, opening: str, items: Iterable[Any], closing: str) -> int:
    """JSON values between `opening` and `closing`, comma-separated, written one at a time."""
    out.write(opening)
    count = 0
    for item in items:
        out.write(("" if count == 0 else ",\n") + to_json(item))
        count += 1
    out.write(closing)
    return count


def to_json(value: Any) -> str:
    """One JSON value: instants in ISO 8601, decimals as strings, UTF-8 text kept readable."""
    return json.dumps(value, default=json_default, ensure_ascii=False)


def json_default(value: Any) -> Any:
    """JSON for instants (ISO 8601), decimals (text) and sets or tuples (arrays)."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, set | frozenset | tuple):
        return list(value)
    raise TypeError(f"cannot write {type(value).__name__} as JSON")


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, dict | list):
        return to_json(value)
    if isinstance(value, int | float | Decimal):
        return value  # numbers stay numbers: -3 is data, not a formula
    return _text(str(value))


def _text(value: str) -> str:
    """A text cell a spreadsheet shows as text: OWASP's rule, a `'` before a formula's first character."""
    return "'" + value if value.startswith(FORMULA_STARTS) else value


def period(query: Select[Any], column: Any, start: datetime | None, end: datetime | None) -> Select[Any]:
    if start is not None:
        query = query.where(column >= start)
    if end is not None:
        query = query.where(column < end)
    return query


def _cases(org_id: int | None, start: datetime | None, end: datetime | None) -> Select[Any]:
    parent = CASE.alias("parent")
    query = (
        select(
            CASE.c.id,
            CASE.c.ref,
            ORG.c.slug.label("organisation"),
            CASE.c.project_id,
            PROJECT.c.name.label("project"),
            CASE.c.pathway_id.label("pathway"),
            CASE.c.pathway_version,
            CASE.c.stage,
            CASE.c.status,
            CASE.c.result,
            CASE.c.officer_id,
            CASE.c.resource_id,
            parent.c.ref.label("parent"),
            CASE.c.opened_at,
            CASE.c.due_at,
            CASE.c.closed_at,
            CASE.c.version,
            CASE.c.data,
        )
        .join(ORG, ORG.c.id == CASE.c.organisation_id)
        .join(PROJECT, PROJECT.c.id == CASE.c.project_id)
        .outerjoin(parent, parent.c.id == CASE.c.parent_id)
        .order_by(CASE.c.id)
    )
    if org_id is not None:
        query = query.where(CASE.c.organisation_id == org_id)
    return period(query, CASE.c.opened_at, start, end)


def _projects(org_id: int | None, start: datetime | None, end: datetime | None) -> Select[Any]:
    query = (
        select(PROJECT.c.id, ORG.c.slug.label("organisation"), *(PROJECT.c[name] for name in PROJECT_COLUMNS))
        .join(ORG, ORG.c.id == PROJECT.c.organisation_id)
        .order_by(PROJECT.c.id)
    )
    if org_id is not None:
        query = query.where(PROJECT.c.organisation_id == org_id)
    return period(query, PROJECT.c.created_at, start, end)


def _audit(org_id: int | None, start: datetime | None, end: datetime | None) -> Select[Any]:
    query = (
        select(
            AUDIT.c.organisation_id,
            ORG.c.slug.label("organisation"),
            AUDIT.c.seq,
            AUDIT.c.case_id,
            AUDIT.c.actor_id,
            AUDIT.c.kind,
            AUDIT.c.effective_at,
            AUDIT.c.recorded_at,
            AUDIT.c.payload,
            AUDIT.c.prev_digest,
            AUDIT.c.digest,
        )
        .outerjoin(ORG, ORG.c.id == AUDIT.c.organisation_id)
        .order_by(AUDIT.c.organisation_id, AUDIT.c.seq)
    )
    if org_id is not None:
        query = query.where(AUDIT.c.organisation_id == org_id)
    return period(query, AUDIT.c.effective_at, start, end)
