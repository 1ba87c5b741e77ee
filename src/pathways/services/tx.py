"""One unit of work: a database transaction with its clock, actor and audit key."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Final

from sqlalchemy import Connection, Insert, insert

from pathways.errors import InvalidInput
from pathways.store import audit

if TYPE_CHECKING:
    from pathways.bootstrap import App

# One INSERT statement per table, built once: SQLAlchemy caches the compiled form per set of
# columns given, but building the statement again on every call costs more than running it.
_INSERTS: dict[Any, Insert] = {}

# How far ahead of the real clock a write may take effect (a meeting recorded in another time
# zone, a sweep run just before midnight): beyond it, a mistyped --now would lock cases or queue
# real messages for good.
AHEAD: Final = timedelta(hours=24)


@dataclass(frozen=True, slots=True)
class Tx:
    """A write transaction: every change in it is committed together, or not at all."""

    conn: Connection
    key: bytes
    at: datetime  # when the change takes effect (may be set with --now)
    recorded_at: datetime  # when it was recorded
    actor_id: int | None = None

    def insert(self, table: Any, **values: Any) -> int:
        """Insert one row and return its new id."""
        stmt = _INSERTS.get(table)
        if stmt is None:
            stmt = _INSERTS[table] = insert(table)
        key = self.conn.execute(stmt, values).inserted_primary_key
        assert key is not None
        return int(key[0])

    def audit(
        self,
        *,
        organisation_id: int,
        kind: str,
        payload: Mapping[str, Any],
        case_id: int | None = None,
        head: tuple[int, str] | None = None,
    ) -> int:
        """Append an event to the organisation's audit chain, in this transaction.

        ``head``: the chain's (seq, digest) read earlier in this transaction, if the caller has it
        (see :func:`pathways.store.audit.append_event`).
        """
        return audit.append_event(
            self.conn,
            key=self.key,
            organisation_id=organisation_id,
            kind=kind,
            effective_at=self.at,
            recorded_at=self.recorded_at,
            payload=payload,
            case_id=case_id,
            actor_id=self.actor_id,
            head=head,
        )


@contextmanager
def write(app: App, *, actor_id: int | None = None, at: datetime | None = None) -> Iterator[Tx]:
    """A write transaction on the application's database, refused if it takes effect in the future."""
    at = at or app.clock.now()
    real = app.clock.real()
    if at - real > AHEAD and not app.settings.simulation:
        raise InvalidInput(
            f"--now {at:%Y-%m-%dT%H:%M}Z is more than 24 h ahead of the clock ({real:%Y-%m-%dT%H:%M}Z): "
            "a change recorded then would lock cases or send real messages; nothing was written",
            hint="give a time at most 24 h ahead, or simulate on a copy of the database with "
            "PATHWAYS_SIMULATION=true (refused when PATHWAYS_ENVIRONMENT=production)",
            code="now_ahead",
            params={"now": f"{at:%Y-%m-%dT%H:%M}Z", "clock": f"{real:%Y-%m-%dT%H:%M}Z"},
        )
    with app.store.write() as conn:
        yield Tx(conn=conn, key=app.audit_key, at=at, recorded_at=app.clock.real(), actor_id=actor_id)
