"""Verifying the audit chain of :mod:`pathways.store.audit`: every digest recomputed, first break named.

:func:`verify_chain` reports one of these problems:

edited
    an event's content (or digest) no longer matches its digest, its links are intact
deleted
    events are missing inside the chain: a gap in seq, or an event names a predecessor
    that no longer exists; or an organisation the database knows has no events at all
    (its creation is its first event, so every organisation's chain starts at seq 1)
reordered
    events are all there but out of order: the event that should come next is further on
inserted
    an event that no genuine event follows from: a forged event whose successor names
    its predecessor, a duplicated seq, or a forged event past the head
head_mismatch
    the last event is not the head: events cut off the end (or the head row edited)

The chain proves what the database holds against someone without the key; someone
who deletes the last events *and* rewinds the head is only caught against a copy of
the head kept elsewhere: :mod:`pathways.store.anchor` (``pathways audit head``).
"""

from __future__ import annotations

import hmac
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, Final, Literal

from sqlalchemy import Connection, Row, bindparam, select

from pathways.store.anchor import KNOWN_ORGANISATIONS
from pathways.store.audit import GENESIS, canonical_payload, chain_digest
from pathways.store.core import AUDIT as EVENT
from pathways.store.core import HEAD

_AnyRow = Row[*tuple[Any, ...]]

Problem = Literal["edited", "deleted", "reordered", "inserted", "head_mismatch"]
_Finding = tuple[Problem, int, str]

# How far verification looks ahead for the event that should have come next.
_LOOKAHEAD: Final = 256
_STREAM_BATCH: Final = 2000

_READ_HEAD = select(HEAD.c.seq, HEAD.c.digest).where(HEAD.c.organisation_id == bindparam("org"))
_SELECT_EVENTS = (
    select(
        EVENT.c.id,
        EVENT.c.organisation_id,
        EVENT.c.seq,
        EVENT.c.case_id,
        EVENT.c.actor_id,
        EVENT.c.kind,
        EVENT.c.effective_at,
        EVENT.c.recorded_at,
        EVENT.c.payload,
        EVENT.c.prev_digest,
        EVENT.c.digest,
    )
    .where(EVENT.c.organisation_id == bindparam("org"), EVENT.c.seq > bindparam("after"))
    .order_by(EVENT.c.seq, EVENT.c.id)
    .execution_options(yield_per=_STREAM_BATCH)
)


@dataclass(frozen=True)
class VerifyReport:
    """The result of verifying one organisation's chain."""

    ok: bool
    checked: int
    """Events verified before the first problem (all of them when ``ok``)."""
    organisation_id: int | None
    seq: int | None
    """Where the first problem is: the seq of the offending or first missing event."""
    problem: Problem | None
    detail: str


def verify_chain(conn: Connection, *, key: bytes, organisation_id: int | None = None) -> list[VerifyReport]:
    """Verify the chain of one organisation, or of every one the database knows (one report each).

    An organisation without any event fails (``deleted`` at seq 1): its creation is audited.

    Events are streamed in seq order, so memory stays constant however long the chain.
    Run it inside ``Store.read()``: one snapshot, so appends meanwhile are not mistaken
    for tampering.
    """
    if not key:
        raise ValueError("the audit key is empty")
    if organisation_id is not None:
        return [_verify_one(conn, key, organisation_id)]
    ids = conn.execute(KNOWN_ORGANISATIONS).scalars().all()
    return [_verify_one(conn, key, org) for org in ids]


def _verify_one(conn: Connection, key: bytes, organisation_id: int) -> VerifyReport:
    def read_head() -> _AnyRow | None:
        return conn.execute(_READ_HEAD, {"org": organisation_id}).first()

    walk = _Walk(key, read_head)
    finding: _Finding | None = None
    head = read_head()
    while finding is None:
        before = walk.seq
        with conn.execute(_SELECT_EVENTS, {"org": organisation_id, "after": before}) as rows:
            try:
                finding = walk.run(_Lookahead(iter(rows)))
            except (ValueError, TypeError) as error:  # a column edited into something unreadable
                finding = "edited", walk.seq + 1, f"the event after seq {walk.seq} cannot be read: {error}"
        if finding is not None:
            break
        if head is not None and head.seq >= walk.seq:
            # The events were read after the head: every event up to the head was there to see.
            finding = _check_head(head, walk)
            break
        # The chain goes past the head read before it. In a snapshot (Store.read) the head is
        # behind; under READ COMMITTED events may also have been appended meanwhile: follow them.
        newer = read_head()
        moved = newer is not None and (head is None or newer.seq != head.seq)
        if not moved or walk.seq == before:
            finding = _check_head(newer, walk)
            break
        head = newer
    if finding is None and walk.checked == 0:
        # Deleting a chain with its head row leaves nothing to contradict: the rule catches it.
        finding = "deleted", 1, "no audit events, though every organisation's chain starts at seq 1"
    if finding is None:
        return VerifyReport(
            True, walk.checked, organisation_id, None, None, f"{walk.checked} events verified"
        )
    problem, seq, detail = finding
    return VerifyReport(False, walk.checked, organisation_id, seq, problem, detail)


class _Walk:
    """Follows one chain in seq order; stops at the first broken link and says what broke it."""

    def __init__(self, key: bytes, read_head: Callable[[], _AnyRow | None]) -> None:
        self.key = key
        self.read_head = read_head
        self.checked = 0
        self.seq = 0
        self.digest = GENESIS

    def run(self, events: _Lookahead) -> _Finding | None:
        for event in events:
            expected = self.seq + 1
            if event.seq <= self.seq:
                return "inserted", event.seq, f"seq {event.seq} appears after seq {self.seq}"
            signed = hmac.compare_digest(event.digest, _event_digest(self.key, event, event.prev_digest))
            if event.prev_digest != self.digest:
                return self._broken_link(event, events, signed=signed)
            if not signed:
                return self._unsigned(event, events)
            if event.seq != expected:
                return "deleted", expected, f"seq jumps from {self.seq} to {event.seq}"
            self.checked, self.seq, self.digest = self.checked + 1, event.seq, event.digest
        return None

    def _unsigned(self, event: _AnyRow, events: _Lookahead) -> _Finding:
        """The event follows the previous one but its digest does not match its content."""
        following = events.peek(1)
        if following and following[0].prev_digest == event.prev_digest:
            return (
                "inserted",
                event.seq,
                (
                    f"event {event.id} is not signed with the key and event {following[0].id} "
                    f"follows seq {self.seq} directly"
                ),
            )
        if not following:
            head = self.read_head()
            if head is None or head.seq < event.seq:
                return "inserted", event.seq, f"event {event.id} is past the head and not signed with the key"
        return "edited", event.seq, f"event {event.id} does not match its digest"

    def _broken_link(self, event: _AnyRow, events: _Lookahead, *, signed: bool) -> _Finding:
        """The event does not name the previous event as its predecessor."""
        expected = self.seq + 1
        if signed and event.seq > expected:
            return "deleted", expected, f"seq {expected}..{event.seq - 1} missing"
        window = events.peek(_LOOKAHEAD)
        successor = next((e for e in window if e.prev_digest == self.digest), None)
        if successor is not None:
            if any(e.digest == event.prev_digest for e in window):
                return (
                    "reordered",
                    event.seq,
                    (
                        f"event {event.id} is out of place: seq {self.seq} is followed by "
                        f"event {successor.id} (now at seq {successor.seq})"
                    ),
                )
            return "inserted", event.seq, f"event {event.id} does not belong to the chain"
        if hmac.compare_digest(event.digest, _event_digest(self.key, event, self.digest)):
            return "edited", event.seq, f"event {event.id}'s prev_digest was changed"
        return "deleted", expected, f"event {event.id} (seq {event.seq}) follows an event that is gone"


def _check_head(head: _AnyRow | None, walk: _Walk) -> _Finding | None:
    if head is None:
        return None if walk.checked == 0 else ("head_mismatch", walk.seq, "events but no head row")
    if head.seq > walk.seq:
        return "head_mismatch", walk.seq + 1, f"seq {walk.seq + 1}..{head.seq} cut off the end"
    if head.seq < walk.seq or head.digest != walk.digest:
        return "head_mismatch", head.seq, f"the head (seq {head.seq}) is not the last event (seq {walk.seq})"
    return None


class _Lookahead:
    """An iterator over rows that can peek a bounded number of rows ahead."""

    def __init__(self, rows: Iterator[_AnyRow]) -> None:
        self._rows = rows
        self._buffer: deque[_AnyRow] = deque()

    def __iter__(self) -> Iterator[_AnyRow]:
        return self

    def __next__(self) -> _AnyRow:
        return self._buffer.popleft() if self._buffer else next(self._rows)

    def peek(self, count: int) -> list[_AnyRow]:
        while len(self._buffer) < count:
            row = next(self._rows, None)
            if row is None:
                break
            self._buffer.append(row)
        return list(self._buffer)[:count]


def _event_digest(key: bytes, event: _AnyRow, prev_digest: str) -> str:
    """The digest the event should carry; empty when its stored content is not even valid."""
    try:
        payload = canonical_payload(event.payload)
    except (TypeError, ValueError):
        return ""
    return chain_digest(
        key,
        prev_digest,
        organisation_id=event.organisation_id,
        seq=event.seq,
        case_id=event.case_id,
        actor_id=event.actor_id,
        kind=event.kind,
        effective_at=event.effective_at,
        recorded_at=event.recorded_at,
        payload=payload,
    )
