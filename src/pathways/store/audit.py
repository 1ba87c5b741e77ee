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

:func:`pathways.store.audit_verify.verify_chain` recomputes every digest and names the
first broken link.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import math
from collections.abc import Mapping
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, Final, cast

from sqlalchemy import Connection, bindparam, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite

from pathways.store.core import AUDIT as EVENT
from pathways.store.core import HEAD

GENESIS: Final = "0" * 64
"""The ``prev_digest`` of an organisation's first event."""

_KIND_MAX: Final = 40

# Statements built once: the append is on the decision hot path.
_SELECT_HEAD = (
    select(HEAD.c.seq, HEAD.c.digest).where(HEAD.c.organisation_id == bindparam("org")).with_for_update()
)
_CREATE_HEAD = {
    "postgresql": postgresql.insert(HEAD).on_conflict_do_nothing(index_elements=["organisation_id"]),
    "sqlite": sqlite.insert(HEAD).on_conflict_do_nothing(index_elements=["organisation_id"]),
}
_INSERT_EVENT = insert(EVENT).returning(EVENT.c.id)
_UPDATE_HEAD = (
    update(HEAD)
    .where(HEAD.c.organisation_id == bindparam("org"))
    .values(seq=bindparam("new_seq"), digest=bindparam("new_digest"))
)
# An append whose caller read the head earlier in its transaction (unlocked, e.g. in a joined
# read): moving the head on only if it is still the one read takes the row lock and checks it
# in one statement.
_ADVANCE_HEAD = (
    update(HEAD)
    .where(HEAD.c.organisation_id == bindparam("org"), HEAD.c.seq == bindparam("old_seq"))
    .values(seq=bindparam("new_seq"), digest=bindparam("new_digest"))
)
# PostgreSQL: the same and the event's insert in one statement, one round trip (nothing inserted
# if the head moved). The event's values are named e_<column>: a parameter named after a column
# of audithead would be added to the SET clause of the head's update.
_EVENT_COLUMNS: Final = [c for c in EVENT.c if c.key != "id"]
_ADVANCE_AND_INSERT = (
    insert(EVENT)
    .from_select(
        [c.key for c in _EVENT_COLUMNS],
        select(*[bindparam(f"e_{c.key}", type_=c.type) for c in _EVENT_COLUMNS]).select_from(
            _ADVANCE_HEAD.returning(HEAD.c.seq).cte("advanced")
        ),
    )
    .returning(EVENT.c.id)
)


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
    document = canonical_payload(payload)
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
        digest = chain_digest(key, head[1], seq=seq, **event)
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
    digest = chain_digest(key, head.digest, seq=seq, **event)
    event_id = _insert_event(conn, event | {"seq": seq, "prev_digest": head.digest, "digest": digest})
    conn.execute(_UPDATE_HEAD, {"org": organisation_id, "new_seq": seq, "new_digest": digest})
    return event_id


def _insert_event(conn: Connection, row: dict[str, Any]) -> int:
    return int(conn.execute(_INSERT_EVENT, row).scalar_one())


def chain_digest(
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
    """The digest of an event: HMAC-SHA256 of its predecessor's digest and its canonical content."""
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


def canonical_payload(payload: Mapping[str, Any]) -> dict[str, Any]:
    """The payload as it is hashed and stored: JSON values as every backend gives them back."""
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
