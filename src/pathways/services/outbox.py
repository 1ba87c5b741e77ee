"""The outbox: work that follows a committed decision, each job with a natural key."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import bindparam
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from pathways.services.tx import Tx
from pathways.store.prepared import Prepared, Sent
from pathways.store.tables import OutboxJob

JOB = OutboxJob.__table__  # type: ignore[attr-defined]

_COLUMNS = [c for c in JOB.c if c.key not in {"id", "last_error"}]
# Built once per dialect: enqueue runs in every decision entering a stage with steps, on the
# driver's cursor so that it can join the decision's pipeline (store.prepared).
_ENQUEUE = {
    dialect: Prepared(
        dialect_insert(JOB)
        .values({c: bindparam(c.key, type_=c.type) for c in _COLUMNS})
        .on_conflict_do_nothing(index_elements=["key"])
    )
    for dialect, dialect_insert in (("postgresql", pg_insert), ("sqlite", sqlite_insert))
}


def enqueue(
    tx: Tx,
    *,
    kind: str,
    key: str,
    payload: Mapping[str, Any],
    case_id: int | None = None,
    pathway_id: str | None = None,
) -> bool:
    """Queue a job in the caller's transaction; False when a job with this key exists (idempotent)."""
    return send(tx, kind=kind, key=key, payload=payload, case_id=case_id, pathway_id=pathway_id).rowcount > 0


def send(
    tx: Tx,
    *,
    kind: str,
    key: str,
    payload: Mapping[str, Any],
    case_id: int | None = None,
    pathway_id: str | None = None,
) -> Sent:
    """:func:`enqueue` without waiting for the result (inside a pipeline: after the block)."""
    row = {
        "key": key,
        "kind": kind,
        "case_id": case_id,
        "pathway_id": pathway_id,
        "payload": dict(payload),
        "status": "pending",
        "attempts": 0,
        "next_attempt_at": tx.recorded_at,
        "created_at": tx.recorded_at,
        "updated_at": tx.recorded_at,
    }
    return _ENQUEUE[tx.conn.dialect.name].send(tx.conn, row)
