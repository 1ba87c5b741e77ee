"""The tamper-evident audit log: one HMAC chain per organisation (DESIGN, "Audit").

Event *n* of an organisation stores ``prev_digest`` (event *n-1*'s digest, or 64
zeros for the first) and ``digest = HMAC-SHA256(key, prev_digest + canonical)``
where ``canonical`` is the JSON of the event's content::

    {"actor_id", "case_id", "effective_at", "kind", "organisation_id", "payload", "recorded_at", "seq"}

sorted keys, separators ``(",", ":")``, UTF-8 (``ensure_ascii=False``), instants
as ``YYYY-MM-DDTHH:MM:SS.ffffffZ`` (UTC, always six fractional digits) and
integral floats written as integers (PostgreSQL's JSONB gives ``1e20`` back as an
integer). The ``audithead`` row holds each chain's last seq and digest; locking it
serialises appends, so seqs have no gaps.

:func:`verify_chain` recomputes every digest and names the first broken link:

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

import hashlib
import hmac
import json
import math
from collections import deque
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, Final, Literal, cast

from sqlalchemy import Connection, Row, Table, bindparam, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite

from pathways.store.anchor import KNOWN_ORGANISATIONS
from pathways.store.tables import AuditEvent, AuditHead

GENESIS: Final = "0" * 64
"""The ``prev_digest`` of an organisation's first event."""

_AnyRow = Row[*tuple[Any, ...]]

Problem = Literal["edited", "deleted", "reordered", "inserted", "head_mismatch"]
_Finding = tuple[Problem, int, str]

# SQLModel does not declare ``__table__`` on its classes.
_EVENT: Final[Table] = AuditEvent.__table__  # type: ignore[attr-defined]
_HEAD: Final[Table] = AuditHead.__table__  # type: ignore[attr-defined]
_KIND_MAX: Final = 40
# How far verification looks ahead for the event that should have come next.
_LOOKAHEAD: Final = 256
_STREAM_BATCH: Final = 2000

# Statements built once: the append is on the decision hot path.
_SELECT_HEAD = (
    select(_HEAD.c.seq, _HEAD.c.digest).where(_HEAD.c.organisation_id == bindparam("org")).with_for_update()
)
_CREATE_HEAD = {
    "postgresql": postgresql.insert(_HEAD).on_conflict_do_nothing(index_elements=["organisation_id"]),
    "sqlite": sqlite.insert(_HEAD).on_conflict_do_nothing(index_elements=["organisation_id"]),
}
_INSERT_EVENT = insert(_EVENT).returning(_EVENT.c.id)
_UPDATE_HEAD = (
    update(_HEAD)
    .where(_HEAD.c.organisation_id == bindparam("org"))
    .values(seq=bindparam("new_seq"), digest=bindparam("new_digest"))
)
# An append whose caller read the head earlier in its transaction (unlocked, e.g. in a joined
# read): moving the head on only if it is still the one read takes the row lock and checks it
# in one statement.
_ADVANCE_HEAD = (
    update(_HEAD)
    .where(_HEAD.c.organisation_id == bindparam("org"), _HEAD.c.seq == bindparam("old_seq"))
    .values(seq=bindparam("new_seq"), digest=bindparam("new_digest"))
)
# PostgreSQL: the same and the event's insert in one statement, one round trip (nothing inserted
# if the head moved). The event's values are named e_<column>: a parameter named after a column
# of audithead would be added to the SET clause of the head's update.
_EVENT_COLUMNS: Final = [c for c in _EVENT.c if c.key != "id"]
_ADVANCE_AND_INSERT = (
    insert(_EVENT)
    .from_select(
        [c.key for c in _EVENT_COLUMNS],
        select(*[bindparam(f"e_{c.key}", type_=c.type) for c in _EVENT_COLUMNS]).select_from(
            _ADVANCE_HEAD.returning(_HEAD.c.seq).cte("advanced")
        ),
    )
    .returning(_EVENT.c.id)
)
_READ_HEAD = select(_HEAD.c.seq, _HEAD.c.digest).where(_HEAD.c.organisation_id == bindparam("org"))
_SELECT_EVENTS = (
    select(
        _EVENT.c.id,
        _EVENT.c.organisation_id,
        _EVENT.c.seq,
        _EVENT.c.case_id,
        _EVENT.c.actor_id,
        _EVENT.c.kind,
        _EVENT.c.effective_at,
        _EVENT.c.recorded_at,
        _EVENT.c.payload,
        _EVENT.c.prev_digest,
        _EVENT.c.digest,
    )
    .where(_EVENT.c.organisation_id == bindparam("org"), _EVENT.c.seq > bindparam("after"))
    .order_by(_EVENT.c.seq, _EVENT.c.id)
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


def append_event(
    conn: Connection,
    *,
    key: bytes,
    organisation_id: int,
    kind: str,
    effective_at: datetime,
    recorded_at: datetime,
    payload: Mapping[str, Any],
    case_id: int | None = None,
    actor_id: int | None = None,
    head: tuple[int, str] | None = None,
) -> int:
    """Append an event to the organisation's chain in the caller's transaction; return its id.

    Call it inside ``Store.write()`` (on SQLite the transaction must hold the write
    lock up front). ``payload`` holds JSON values only; it is stored as hashed.

    ``head`` is the chain's (seq, digest) as the caller read it earlier in this transaction
    without a lock: the head is then moved on only if it is still that one (which takes its
    row lock), in the same statement as the event's insert on PostgreSQL; if another append
    moved it meanwhile, the head is read again under the lock, as without ``head``.
    """
    if not key:
        raise ValueError("the audit key is empty")
    if len(kind) > _KIND_MAX:
        raise ValueError(f"audit event kind {kind!r} is longer than {_KIND_MAX} characters")
    document = _canonical_payload(payload)
    event: dict[str, Any] = {
        "organisation_id": organisation_id,
        "case_id": case_id,
        "actor_id": actor_id,
        "kind": kind,
        "effective_at": effective_at,
        "recorded_at": recorded_at,
        "payload": document,
    }
    if head is not None:
        seq = head[0] + 1
        digest = _digest(key, head[1], seq=seq, **event)
        row = event | {"seq": seq, "prev_digest": head[1], "digest": digest}
        moves = {"org": organisation_id, "old_seq": head[0], "new_seq": seq, "new_digest": digest}
        if conn.dialect.name == "postgresql":
            values = moves | {f"e_{name}": value for name, value in row.items()}
            inserted = conn.execute(_ADVANCE_AND_INSERT, values).scalar()
            if inserted is not None:
                return int(inserted)
        elif conn.execute(_ADVANCE_HEAD, moves).rowcount == 1:
            return _insert_event(conn, row)
    # No head read beforehand, or it moved meanwhile: read it again under its row lock.
    return _append_locked(conn, key, event)


def _append_locked(conn: Connection, key: bytes, event: dict[str, Any]) -> int:
    """Append `event` after the head read under its row lock (created for a first event)."""
    organisation_id = event["organisation_id"]
    head = conn.execute(_SELECT_HEAD, {"org": organisation_id}).first()
    if head is None:
        # First event of this organisation, or a concurrent first append: whoever loses the
        # insert waits on the winner's row lock below, then reads its committed head.
        create = _CREATE_HEAD[conn.dialect.name]
        conn.execute(create, {"organisation_id": organisation_id, "seq": 0, "digest": GENESIS})
        head = conn.execute(_SELECT_HEAD, {"org": organisation_id}).first()
        assert head is not None
    seq = head.seq + 1
    digest = _digest(key, head.digest, seq=seq, **event)
    event_id = _insert_event(conn, event | {"seq": seq, "prev_digest": head.digest, "digest": digest})
    conn.execute(_UPDATE_HEAD, {"org": organisation_id, "new_seq": seq, "new_digest": digest})
    return event_id


def _insert_event(conn: Connection, row: dict[str, Any]) -> int:
    return int(conn.execute(_INSERT_EVENT, row).scalar_one())


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
        payload = _canonical_payload(event.payload)
    except (TypeError, ValueError):
        return ""
    return _digest(
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


def _digest(
    key: bytes,
    prev_digest: str,
    *,
    organisation_id: int,
    seq: int,
    case_id: int | None,
    actor_id: int | None,
    kind: str,
    effective_at: datetime,
    recorded_at: datetime,
    payload: dict[str, Any],
) -> str:
    content = {
        "organisation_id": organisation_id,
        "seq": seq,
        "case_id": case_id,
        "actor_id": actor_id,
        "kind": kind,
        "effective_at": _instant(effective_at),
        "recorded_at": _instant(recorded_at),
        "payload": payload,
    }
    canonical = json.dumps(
        content, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    )
    return hmac.new(key, (prev_digest + canonical).encode(), hashlib.sha256).hexdigest()


def _instant(value: datetime) -> str:
    if value.tzinfo is None:
        raise ValueError(f"naive datetime {value!r}: audit instants must be timezone-aware")
    instant = value.astimezone(UTC)
    if instant.year < 1000:  # strftime's %Y does not pad the year
        return instant.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    return instant.replace(tzinfo=None).isoformat("T", "microseconds") + "Z"  # the same text, faster


def _canonical_payload(payload: Mapping[str, Any]) -> dict[str, Any]:
    if not isinstance(payload, Mapping):
        raise TypeError(f"audit payload must be a mapping, not {type(payload).__name__}")
    return cast(dict[str, Any], _canonical(payload, "payload"))


_PLAIN: Final = frozenset({str, int, bool})


def _canonical(value: Any, path: str) -> Any:
    """The JSON value as every backend gives it back (so digests survive the round trip)."""
    if value is None or isinstance(value, str | bool | int):
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"{path}: {value} is not a JSON number")
        # JSONB returns an integral number as an int: hash it as one on every backend.
        return int(Decimal(repr(value))) if value.is_integer() else value
    if isinstance(value, Mapping):
        result = {}
        for name, item in value.items():
            if not isinstance(name, str):
                raise TypeError(f"{path}: key {name!r} is not a string")
            # Most values are plain scalars: kept as they are, without building their path.
            plain = item is None or type(item) in _PLAIN
            result[name] = item if plain else _canonical(item, f"{path}.{name}")
        return result
    if isinstance(value, list | tuple):
        return [_canonical(item, f"{path}[{index}]") for index, item in enumerate(value)]
    raise TypeError(f"{path}: {type(value).__name__} is not a JSON value (convert it before auditing)")
