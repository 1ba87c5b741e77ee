"""Audit heads kept outside the database, and which organisations must have a chain.

The HMAC chain (:mod:`pathways.store.audit`) proves what the database holds, but someone
with write access can still delete an organisation's last events and move its head back,
or delete a whole chain with its head row: what is left verifies. Two controls close that:

- every organisation the database knows (:data:`KNOWN_ORGANISATIONS`: an organisation row,
  or any membership, project, case, audit event or head naming it) must have a chain
  starting at seq 1, because an organisation's creation is its first audit event;
- a head saved elsewhere (``pathways audit head --json``: a file, a ticket, a digest mail)
  is checked by :func:`check_heads`: the event at the saved seq must still exist with the
  saved digest, so a chain cut before it, or rewritten up to it (even with the key), fails.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final, Literal

from sqlalchemy import Connection, Table, func, select, tuple_, union

from pathways.store.core import AUDIT as _EVENT
from pathways.store.core import CASE, MEMBER, PROJECT
from pathways.store.core import HEAD as _HEAD
from pathways.store.core import ORG as _ORGANISATION

_OWNED: Final[tuple[Table, ...]] = (
    MEMBER,
    PROJECT,
    CASE,
    _HEAD,
    _EVENT,
)
# Every id is named even without its organisation row: SQLite's own shell does not enforce
# foreign keys, so the row can be deleted with its chain while its cases stay.
_KNOWN = union(
    select(_ORGANISATION.c.id.label("id")), *(select(t.c.organisation_id) for t in _OWNED)
).subquery()
KNOWN_ORGANISATIONS: Final = select(_KNOWN.c.id).order_by(_KNOWN.c.id)
"""The ids of every organisation the database holds anything of, in id order."""

# Saved heads are checked this many at a time (SQLite allows 32766 parameters a statement).
_BATCH: Final = 500

AnchorProblem = Literal["gone", "no_chain", "cut_off", "rewritten"]


@dataclass(frozen=True, slots=True)
class Head:
    """An organisation's chain head: its last event's seq and digest."""

    organisation_id: int
    organisation: str | None  # slug; None when the organisation row is gone
    seq: int
    digest: str


@dataclass(frozen=True, slots=True)
class AnchorCheck:
    """One saved head checked against the database."""

    organisation_id: int
    organisation: str | None  # the slug saved with the head, else the current one
    seq: int  # the saved head's seq
    ok: bool
    problem: AnchorProblem | None
    detail: str


def read_heads(conn: Connection) -> list[Head]:
    """The head of every chain, in organisation id order."""
    rows = conn.execute(
        select(_HEAD.c.organisation_id, _ORGANISATION.c.slug, _HEAD.c.seq, _HEAD.c.digest)
        .select_from(_HEAD)
        .outerjoin(_ORGANISATION, _ORGANISATION.c.id == _HEAD.c.organisation_id)
        .order_by(_HEAD.c.organisation_id)
    )
    return [Head(r.organisation_id, r.slug, r.seq, r.digest) for r in rows]


def check_heads(conn: Connection, saved: Sequence[Head]) -> list[AnchorCheck]:
    """Check each saved head: its organisation and chain still exist, its event is unchanged.

    Organisations without a saved head (added since) are not checked here. Run it inside
    ``Store.read()`` so that every statement sees one snapshot.
    """
    ids = sorted({h.organisation_id for h in saved})
    slugs: dict[int, str] = {}
    ends: dict[int, int] = {}
    digests: dict[tuple[int, int], str] = {}
    for start in range(0, len(ids), _BATCH):
        batch = ids[start : start + _BATCH]
        slugs |= {
            r.id: r.slug
            for r in conn.execute(
                select(_ORGANISATION.c.id, _ORGANISATION.c.slug).where(_ORGANISATION.c.id.in_(batch))
            )
        }
        last = select(_EVENT.c.organisation_id, func.max(_EVENT.c.seq).label("seq"))
        ends |= {
            r.organisation_id: r.seq
            for r in conn.execute(
                last.where(_EVENT.c.organisation_id.in_(batch)).group_by(_EVENT.c.organisation_id)
            )
        }
    pairs = sorted({(h.organisation_id, h.seq) for h in saved})
    for start in range(0, len(pairs), _BATCH):
        where = tuple_(_EVENT.c.organisation_id, _EVENT.c.seq).in_(pairs[start : start + _BATCH])
        query = select(_EVENT.c.organisation_id, _EVENT.c.seq, _EVENT.c.digest).where(where)
        digests |= {(r.organisation_id, r.seq): r.digest for r in conn.execute(query)}
    return [_check(h, slugs.get(h.organisation_id), ends.get(h.organisation_id), digests) for h in saved]


def _check(head: Head, slug: str | None, end: int | None, digests: dict[tuple[int, int], str]) -> AnchorCheck:
    def found(problem: AnchorProblem | None, detail: str) -> AnchorCheck:
        name = head.organisation or slug
        return AnchorCheck(head.organisation_id, name, head.seq, problem is None, problem, detail)

    saved = f"the head saved at seq {head.seq}"
    if slug is None:
        return found("gone", f"the organisation (id {head.organisation_id}) is gone, with {saved}")
    if end is None:
        return found("no_chain", f"the organisation has no audit events any more ({saved})")
    digest = digests.get((head.organisation_id, head.seq))
    if digest is None:
        if end < head.seq:
            return found("cut_off", f"the chain now ends at seq {end}, before {saved}")
        return found("cut_off", f"the event at seq {head.seq} is gone ({saved}; the chain ends at seq {end})")
    if digest != head.digest:
        return found("rewritten", f"the event at seq {head.seq} no longer has the saved digest")
    return found(None, f"seq {head.seq} unchanged (the chain is now at seq {end})")
