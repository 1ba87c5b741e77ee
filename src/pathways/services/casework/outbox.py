"""The outbox: work that follows a committed decision, each job with a natural key."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from pathways.services.tx import Tx
from pathways.store.core import JOB

# Built once per dialect: enqueue runs in every decision entering a stage with steps.
_ENQUEUE = {
    dialect: dialect_insert(JOB).on_conflict_do_nothing(index_elements=["key"])
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
    return tx.conn.execute(_ENQUEUE[tx.conn.dialect.name], row).rowcount > 0
