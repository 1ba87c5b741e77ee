"""Around a case: the next reminder and escalation already scheduled, and the cases linked to it.

Reminders and escalations are the ``notice`` rows planned when the case entered its current
stage (:func:`pathways.domain.deadline.plan_notices`), which the deadline sweep sends when
they fall due: the next pending one of each kind is what will happen next if nobody decides.

Links come from ``case.parent_id``: a case opened by a hand-off (an outcome's ``start``)
points to the case it came from, a case spawned by an outcome (``spawn``, one per item) too,
and carries its item under ``_spawn``. So a closed case lists the cases it handed off to and
the child cases it spawned, and each of those links back: both ways, in the case's
organisation only.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, select

from pathways.domain.loader import PathwayCatalog
from pathways.errors import NotFound
from pathways.services.casework.views import CaseView
from pathways.store.core import CASE, NOTICE

__all__ = ["Around", "LinkedCase", "Upcoming", "around"]


@dataclass(frozen=True, slots=True)
class Upcoming:
    """A scheduled reminder or escalation: when, to whom (a role), with which message."""

    kind: str  # reminder | escalation
    due_at: datetime
    to_role: str
    template: str


@dataclass(frozen=True, slots=True)
class LinkedCase:
    """A case linked to another one, as a page names it (titles in the reader's language)."""

    ref: str
    relation: str  # handed_off_from | handed_off_to | parent | child
    pathway: str
    status: str
    where: str  # the stage's title (open) or the result's label (closed)
    subject: str | None = None  # a spawned child's item (a mission, a local project lead)


@dataclass(frozen=True, slots=True)
class Around:
    """What a case page shows around the case."""

    next_reminder: Upcoming | None
    next_escalation: Upcoming | None
    links: tuple[LinkedCase, ...]

    @property
    def parent(self) -> LinkedCase | None:
        """The case this one came from (hand-off or spawn)."""
        return next((c for c in self.links if c.relation in ("handed_off_from", "parent")), None)


def around(conn: Connection, catalog: PathwayCatalog, case: CaseView, *, lang: str) -> Around:
    """The next notices of `case` and its linked cases, titles in `lang`."""
    reminder = escalation = None
    if case.status == "open" and case.current_entry_id is not None:
        pending = conn.execute(
            select(NOTICE.c.kind, NOTICE.c.due_at, NOTICE.c.to_role, NOTICE.c.template)
            .where(NOTICE.c.entry_id == case.current_entry_id, NOTICE.c.status == "pending")
            .order_by(NOTICE.c.due_at, NOTICE.c.id)
        ).all()
        reminder = next((Upcoming(*n) for n in pending if n.kind == "reminder"), None)
        escalation = next((Upcoming(*n) for n in pending if n.kind == "escalation"), None)
    columns = [CASE.c[name] for name in ("id", "ref", "pathway_id", "pathway_version", "stage")]
    columns += [CASE.c[name] for name in ("status", "result", "data", "parent_id")]
    same_org = CASE.c.organisation_id == case.organisation_id
    links: list[LinkedCase] = []
    spawned = bool((case.data or {}).get("_spawn"))
    if case.parent_id is not None:
        row = conn.execute(select(*columns).where(CASE.c.id == case.parent_id, same_org)).first()
        if row is not None:
            links.append(_linked(catalog, row, "parent" if spawned else "handed_off_from", lang))
    for row in conn.execute(
        select(*columns).where(CASE.c.parent_id == case.id, same_org).order_by(CASE.c.id)
    ):
        child = bool((row.data or {}).get("_spawn"))
        links.append(_linked(catalog, row, "child" if child else "handed_off_to", lang))
    return Around(reminder, escalation, tuple(links))


def _linked(catalog: PathwayCatalog, row: Any, relation: str, lang: str) -> LinkedCase:
    try:
        spec = catalog.get(row.pathway_id, row.pathway_version)
    except NotFound:  # a version since removed from config: ids alone
        return LinkedCase(row.ref, relation, row.pathway_id, row.status, row.stage or row.result or "")
    if row.status == "open" and row.stage:
        where = spec.stage(row.stage).title.get(lang)
    else:
        label = spec.result_label(row.result) if row.result else None  # an end or an exit
        where = label.get(lang) if label is not None else (row.result or "")
    subject = (row.data or {}).get("_spawn", {}).get("item")
    return LinkedCase(row.ref, relation, spec.title.get(lang), row.status, where, subject)
