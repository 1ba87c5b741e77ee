"""The database's answers to the questions programme rules ask (the `Facts` protocol)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Final

from sqlalchemy import Connection, bindparam, func, select

from pathways.store.core import CASE, ENTRY, PERSON, VALUE

# (pathway, end result) of an impact evaluation that showed the project's impact (config/pathways/
# impact_evaluation.yaml): the evidence of a proven model that replication asks for.
IMPACT_SHOWN: Final = ("impact_evaluation", "impact_shown")
# FOR NO KEY UPDATE: rows that only refer to the person (foreign keys) are not held up.
_LOCK_PERSON = select(PERSON.c.id).where(PERSON.c.id == bindparam("person")).with_for_update(key_share=True)


class DbFacts:
    """Facts read in the decision's own transaction.

    ``consulted`` tells whether a rule asked anything: a decision that looked only at its own
    case may be worked out before its write transaction (services.casework.cases.prepare_decision).
    """

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self.consulted = False

    def transfers_this_year(self, resource_person: int, year: int, *, exclude_case: int | None) -> int:
        """Peer-transfer cases of this resource person validated in `year` (other than `exclude_case`).

        The person's row is locked first, until the decision commits: on PostgreSQL two
        validations for the same person at once then count one after the other, each seeing the
        other's, instead of both passing the yearly cap. (SQLite has no row locks, and needs
        none: it runs writers one at a time.)
        """
        self.consulted = True
        self.conn.execute(_LOCK_PERSON, {"person": resource_person})
        start, end = datetime(year, 1, 1, tzinfo=UTC), datetime(year + 1, 1, 1, tzinfo=UTC)
        query = (
            select(func.count(func.distinct(CASE.c.id)))
            .select_from(CASE.join(ENTRY, ENTRY.c.case_id == CASE.c.id))
            .where(
                CASE.c.pathway_id == "peer_transfer",
                CASE.c.resource_id == resource_person,
                ENTRY.c.stage == "validation",
                ENTRY.c.outcome == "validated",
                ENTRY.c.left_at >= start,
                ENTRY.c.left_at < end,
            )
        )
        if exclude_case is not None:
            query = query.where(CASE.c.id != exclude_case)
        return int(self.conn.execute(query).scalar_one())

    def has_impact_evaluation(self, project: int) -> bool:
        """Whether the project's impact is evaluated: a measured value, or an evaluation case that showed it.

        Either a dated value of an indicator (``pathways impact``), or an impact evaluation case
        (VISES) closed with a result that shows the impact (:data:`IMPACT_SHOWN`): a qualitative
        evaluation counts as much as numbers (S22).
        """
        self.consulted = True
        found = self.conn.execute(select(VALUE.c.id).where(VALUE.c.project_id == project).limit(1)).first()
        if found is not None:
            return True
        shown = self.conn.execute(
            select(CASE.c.id)
            .where(
                CASE.c.project_id == project,
                CASE.c.pathway_id == IMPACT_SHOWN[0],
                CASE.c.status == "closed",
                CASE.c.result == IMPACT_SHOWN[1],
            )
            .limit(1)
        ).first()
        return shown is not None
