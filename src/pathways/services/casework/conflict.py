"""What a decision (or any form on a case) did not see: the changes recorded on its case since it was read.

The rule (:mod:`pathways.services.casework.cases` applies it, the same on SQLite and PostgreSQL): a
decision is written on the version of the case it was worked out on. If the case moved before
the write,

- a decision made on an expected version (the web form and the API always send the version they
  showed; the CLI with ``--expected-version``) is refused: :class:`DecidedMeanwhile` names who
  recorded what, and when (:func:`changes_since`: decisions, reassignments, migrations). The
  case page's other forms (reassign, close, note) carry the version they showed too, and are
  refused the same way;
- a decision without one (the CLI only) is worked out again on the case as it now is: refused
  if no longer allowed, else written, its audit event naming in ``decided_over`` the decision
  events its officer had not seen, which the timeline shows on it ("recorded right after ...").

A looping outcome (support_plan ``revise`` leads back to support_plan) is why the stage alone
cannot tell: both decisions are allowed on either state, and only the version says one was
made on a state that no longer is.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, Final

from sqlalchemy import Connection, select

from pathways.errors import DecidedMeanwhile, Meanwhile
from pathways.services.casework.views import UnseenDecision
from pathways.store.core import AUDIT, CASE, PERSON

# The timeline's sentence on a decision recorded over others, in the reader's language.
_UNSEEN = {
    "fr": "enregistrée juste après la décision « {outcome} » de {by}, que son auteur·e n'avait pas vue",
    "nl": "vastgelegd vlak na de beslissing '{outcome}' van {by}, die de beslisser niet had gezien",
    "en": "recorded right after {by}'s decision '{outcome}', which was not seen when deciding",
}
_SOMEONE = {"fr": "quelqu'un", "nl": "iemand", "en": "someone"}
# The audit events that move a case's version on (their payload says to which version).
VERSION_EVENTS: Final = ("decision", "case_assigned", "case_migrated")


def decisions_since(
    conn: Connection, case_id: int, *, version: int | None = None, after_seq: int | None = None
) -> tuple[Meanwhile, ...]:
    """The case's decisions that made a version above `version`, or whose event came after `after_seq`."""
    query = (
        select(AUDIT.c.seq, AUDIT.c.effective_at, AUDIT.c.payload, PERSON.c.name)
        .outerjoin(PERSON, PERSON.c.id == AUDIT.c.actor_id)
        .where(AUDIT.c.case_id == case_id, AUDIT.c.kind == "decision")
        .order_by(AUDIT.c.seq)
    )
    if after_seq is not None:
        query = query.where(AUDIT.c.seq > after_seq)
    found = (
        Meanwhile(
            seq=row.seq,
            by=row.name,
            stage=str(row.payload.get("stage")),
            outcome=str(row.payload.get("outcome")),
            at=row.effective_at,
            version=int(row.payload.get("version") or 0),
        )
        for row in conn.execute(query)
    )
    return tuple(m for m in found if version is None or m.version > version)


def changes_since(conn: Connection, case_id: int, *, version: int) -> tuple[Meanwhile, ...]:
    """Every change that moved the case past `version`, oldest first: decisions (closings
    included), reassignments and migrations, each with who made it and, for a reassignment,
    who was given the case. Notes and files leave the version as it is: they are no change."""
    query = (
        select(AUDIT.c.seq, AUDIT.c.kind, AUDIT.c.effective_at, AUDIT.c.payload, PERSON.c.name)
        .outerjoin(PERSON, PERSON.c.id == AUDIT.c.actor_id)
        .where(AUDIT.c.case_id == case_id, AUDIT.c.kind.in_(VERSION_EVENTS))
        .order_by(AUDIT.c.seq)
    )
    rows = [row for row in conn.execute(query) if int(row.payload.get("version") or 0) > version]
    given = {row.payload.get("officer") for row in rows if row.kind == "case_assigned"}
    ids = [i for i in given if isinstance(i, int)]
    names = dict(conn.execute(select(PERSON.c.id, PERSON.c.name).where(PERSON.c.id.in_(ids))).tuples().all())
    return tuple(
        Meanwhile(
            seq=row.seq,
            by=row.name,
            stage=str(row.payload.get("stage") or row.payload.get("stage_from") or ""),
            outcome=str(row.payload.get("outcome") or ""),
            at=row.effective_at,
            version=int(row.payload["version"]),
            kind=row.kind,
            officer=names.get(row.payload.get("officer")) if row.kind == "case_assigned" else None,
        )
        for row in rows
    )


def stale(conn: Connection, *, case_id: int, ref: str, expected: int) -> DecidedMeanwhile:
    """The conflict of a form or command made on version `expected` of a case that has moved on:
    each change since, who made it and when (:func:`changes_since`)."""
    now = conn.execute(select(CASE.c.version).where(CASE.c.id == case_id)).scalar_one()
    return DecidedMeanwhile(
        ref, expected=expected, now=int(now), meanwhile=changes_since(conn, case_id, version=expected)
    )


def unseen_by_entry(
    events: Iterable[Mapping[str, Any]], names: Mapping[int, str]
) -> dict[int, tuple[UnseenDecision, ...]]:
    """For each stage entry left by a decision recorded over others, those others (audit events
    given as rows of the audit table), oldest first."""
    decisions = {e["seq"]: e for e in events if e["kind"] == "decision"}
    found: dict[int, tuple[UnseenDecision, ...]] = {}
    for event in decisions.values():
        over = [decisions[seq] for seq in event["payload"].get("decided_over") or () if seq in decisions]
        if over:
            found[event["payload"]["entry"]] = tuple(
                UnseenDecision(
                    by=names.get(other["actor_id"]) if other["actor_id"] is not None else None,
                    stage=other["payload"].get("stage"),
                    outcome=other["payload"].get("outcome"),
                    at=other["effective_at"],
                )
                for other in over
            )
    return found


def unseen_sentence(over: Iterable[UnseenDecision], lang: str) -> str:
    """'recorded right after X's decision Y, ...' for each decision in `over`, in `lang` (fr, nl, en)."""
    text = _UNSEEN.get(lang, _UNSEEN["en"])
    someone = _SOMEONE.get(lang, _SOMEONE["en"])
    return "; ".join(text.format(by=o.by or someone, outcome=o.outcome) for o in over)
