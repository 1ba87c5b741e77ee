"""What a partner organisation reads of a case shared with it: where it stands, and who takes part.

Names and roles only ("Safe to share"): the case's pathway, stage, deadline and result, the
stages it went through with their outcomes, its officer's name, its member projects and shares.
Never a contact, a note, a file, a document or a recorded value: those may hold the personal
data of people the partner has no role with.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, select

from pathways.domain.loader import PathwayCatalog
from pathways.services.casework.queries import names_of
from pathways.services.casework.views import CaseView
from pathways.services.collaboration import cooperation, sharing
from pathways.store.core import ENTRY, ORG, PROJECT

__all__ = ["SharedCase", "Step", "shared_case"]


@dataclass(frozen=True, slots=True)
class Step:
    """One stay in a stage: its title, when it began and ended, and the outcome that ended it."""

    stage: str
    entered_at: datetime
    left_at: datetime | None
    outcome: str | None


@dataclass(frozen=True, slots=True)
class SharedCase:
    """A case as a partner organisation reads it."""

    ref: str
    pathway: str
    organisation: str
    timezone: str
    project: str
    officer: str | None
    status: str
    stage: str | None
    due_at: datetime | None
    result: str | None
    opened_at: datetime
    closed_at: datetime | None
    steps: tuple[Step, ...]
    members: tuple[cooperation.Member, ...]
    shares: tuple[sharing.Share, ...]


def shared_case(conn: Connection, catalog: PathwayCatalog, case: CaseView, *, lang: str) -> SharedCase:
    """The partner's view of `case` (a row already found readable by :func:`sharing.readable_case`)."""
    spec = catalog.get(case.pathway_id, case.pathway_version)
    titles = {s.id: s.title.get(lang) for s in spec.stages}

    def outcome(stage: str, key: str | None) -> str | None:
        if key is None:
            return None
        found = spec.stage(stage).outcomes.get(key) if stage in titles else None
        if found is not None:
            return found.label.get(lang)
        exit_label = spec.all_exits.get(key)
        return exit_label.get(lang) if exit_label is not None else key

    entries = conn.execute(
        select(ENTRY.c.stage, ENTRY.c.entered_at, ENTRY.c.left_at, ENTRY.c.outcome)
        .where(ENTRY.c.case_id == case.id)
        .order_by(ENTRY.c.seq)
    ).all()
    steps = tuple(Step(titles.get(e[0]) or e[0], e[1], e[2], outcome(e[0], e[3])) for e in entries)
    project = conn.execute(select(PROJECT.c.name).where(PROJECT.c.id == case.project_id)).scalar_one()
    org = conn.execute(select(ORG.c.name, ORG.c.timezone).where(ORG.c.id == case.organisation_id)).one()
    ended = spec.result_label(case.result) if case.result else None
    return SharedCase(
        ref=case.ref,
        pathway=spec.title.get(lang),
        organisation=org[0],
        timezone=org[1],
        project=project,
        officer=names_of(conn, {case.officer_id}).get(case.officer_id) if case.officer_id else None,
        status=case.status,
        stage=titles.get(case.stage, case.stage) if case.stage else None,
        due_at=case.due_at,
        result=ended.get(lang) if ended is not None else case.result,
        opened_at=case.opened_at,
        closed_at=case.closed_at,
        steps=steps,
        members=tuple(cooperation.members_of(conn, case)),
        shares=tuple(sharing.shares_of(conn, case.id)),
    )
