"""Find a case, its project and its organisation's zone: the reads every use case on a case starts with.

The table handles here are the ones the other services read cases, stage entries, notices,
projects and organisations through.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, bindparam, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from pathways.domain.rules import ProjectFacts
from pathways.domain.spec import Phase
from pathways.errors import NotFound
from pathways.services.casework.views import CaseView
from pathways.services.people.views import ProjectView
from pathways.store.core import CASE, ORG, PROJECT, REF

if TYPE_CHECKING:
    pass


# each of them, and building a statement costs more than running it (bench/RESULTS.md);
# SQLAlchemy caches each one's compiled form, and on PostgreSQL psycopg prepares it on the
# server (store.db).
# A case by id or reference: every request about a case starts with it.
_CASE_BY = {
    "id": select(CASE).where(CASE.c.id == bindparam("b_id")),
    "ref": select(CASE).where(CASE.c.ref == bindparam("b_ref")),
}
_PROJECT_BY_ID = select(PROJECT).where(PROJECT.c.id == bindparam("b_id"))
_ORG_ZONE = select(ORG.c.timezone).where(ORG.c.id == bindparam("b_id"))

# Everything a decision reads, in one statement: the case, its project's facts, the


def case_key(ref: str | int) -> tuple[str, dict[str, Any]]:
    """('id' or 'ref', parameters) for a case reference (DIAG-2026-0001) or id."""
    text = str(ref).strip()
    if text.isascii() and text.isdigit() and len(text) <= 18:
        return text, {"b_id": int(text)}
    return text, {"b_ref": text.upper()}


def no_case(text: str) -> NotFound:
    return NotFound(
        f"no case '{text}'",
        hint="case references look like DIAG-2026-0001; see `pathways due`",
        code="case_not_found",
        params={"ref": text},
    )


def find_case(conn: Connection, ref: str | int) -> CaseView:
    """A case by reference (DIAG-2026-0001) or id."""
    text, params = case_key(ref)
    row = conn.execute(_CASE_BY["id" if "b_id" in params else "ref"], params).mappings().first()
    if row is None:
        raise no_case(text)
    return CaseView.of(row)


def next_ref(conn: Connection, prefix: str, year: int) -> str:
    """The next readable case reference, e.g. DIAG-2026-0042 (gapless per prefix and year)."""
    dialect_insert = pg_insert if conn.dialect.name == "postgresql" else sqlite_insert
    conn.execute(dialect_insert(REF).values(prefix=prefix, year=year, last=0).on_conflict_do_nothing())
    number = conn.execute(
        update(REF)
        .where(REF.c.prefix == prefix, REF.c.year == year)
        .values(last=REF.c.last + 1)
        .returning(REF.c.last)
    ).scalar_one()
    return f"{prefix}-{year}-{number:04d}"


def project_facts(conn: Connection, project_id: int) -> tuple[ProjectFacts, ProjectView]:
    """The facts the programme rules see of a project, and the project itself."""
    row = conn.execute(_PROJECT_BY_ID, {"b_id": project_id}).mappings().one()
    return project_facts_of_row(row, project_id=row["id"]), ProjectView.of(row)


def project_facts_of_row(row: Mapping[Any, Any], *, project_id: int, prefix: str = "") -> ProjectFacts:
    """The project facts the programme rules see, from a row of project columns (named `prefix` + column)."""
    return ProjectFacts(
        id=project_id,
        name=row[f"{prefix}name"],
        legal_form=row[f"{prefix}legal_form"],
        phase=Phase(row[f"{prefix}phase"]),
        territory=row[f"{prefix}territory"],
        salaried_jobs=row[f"{prefix}permanent_jobs"] + row[f"{prefix}fixed_term_jobs"],
        organisation=row[f"{prefix}organisation_id"],
    )


def org_zone(conn: Connection, org_id: int) -> ZoneInfo:
    return ZoneInfo(conn.execute(_ORG_ZONE, {"b_id": org_id}).scalar_one())
