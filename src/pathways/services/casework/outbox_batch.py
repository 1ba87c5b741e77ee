"""A sweep's messages and digests written to the outbox in bulk, each under its natural key.

Message jobs are inserted a batch at a time in one statement, skipping keys that exist, so
a sweep that runs twice queues nothing twice. Officers who chose the digest get their items
merged into one job a day, ``digest:{person}:{local date}``; items found after that day's
digest has gone out join the next day's.
"""

from __future__ import annotations

import json
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, bindparam, select, text, update

from pathways.services.tx import Tx
from pathways.store.core import JOB
from pathways.store.types import UTCDateTime

DIGEST_TIME = time(9, 0)  # when a digest rolled over to a later day becomes ready (local)
DIGEST_OPEN = ("pending", "failed")  # a digest in these states has not gone out: items may join it


def job_row(
    tx: Tx,
    *,
    key: str,
    kind: str,
    payload: dict[str, Any],
    case_id: int | None,
    pathway_id: str | None,
    ready: datetime,
) -> dict[str, Any]:
    """A pending job's row, ready at `ready`, for :func:`insert_jobs`."""
    return {
        "key": key,
        "kind": kind,
        "case_id": case_id,
        "pathway_id": pathway_id,
        "payload": payload,
        "status": "pending",
        "attempts": 0,
        "next_attempt_at": ready,
        "created_at": tx.recorded_at,
        "updated_at": tx.recorded_at,
    }


# PostgreSQL: every row of a batch in one statement of one fixed text, the rows as one JSON
# document: psycopg parses the statement once, the server runs one INSERT, not one per row.
_PG_INSERT_JOBS = text(
    """
    INSERT INTO outboxjob
        (key, kind, case_id, pathway_id, payload, status, attempts, next_attempt_at, created_at, updated_at)
    SELECT r.key, r.kind, r.case_id, r.pathway_id, r.payload, 'pending', 0, r.ready, :now, :now
    FROM jsonb_to_recordset(CAST(:rows AS jsonb))
         AS r(key varchar, kind varchar, case_id integer, pathway_id varchar, payload jsonb,
              ready timestamptz)
    ON CONFLICT (key) DO NOTHING
    RETURNING id
    """
)


# SQLite: the same, the rows as one JSON array read by json_each (the jobs of one call share
# their ready time): no bound parameters per row to convert, one statement text.
_SQLITE_INSERT_JOBS = text(
    """
    INSERT INTO outboxjob
        (key, kind, case_id, pathway_id, payload, status, attempts, next_attempt_at, created_at, updated_at)
    SELECT r.value ->> '$.key', r.value ->> '$.kind', r.value ->> '$.case_id', r.value ->> '$.pathway_id',
           r.value -> '$.payload', 'pending', 0, :ready, :now, :now
    FROM json_each(:rows) AS r
    WHERE true
    ON CONFLICT (key) DO NOTHING
    RETURNING id
    """
).bindparams(bindparam("ready", type_=UTCDateTime()), bindparam("now", type_=UTCDateTime()))


def insert_jobs(conn: Connection, rows: list[dict[str, Any]]) -> int:
    """Insert jobs, skipping keys that exist (idempotent); the number created."""
    if not rows:
        return 0
    if conn.dialect.name == "sqlite":
        ready = rows[0]["next_attempt_at"]
        if any(r["next_attempt_at"] != ready for r in rows):
            raise ValueError("jobs inserted together share their ready time")
        document = [
            {"key": r["key"], "kind": r["kind"], "case_id": r["case_id"], "pathway_id": r["pathway_id"],
             "payload": r["payload"]}
            for r in rows
        ]  # fmt: skip
        params = {
            "rows": json.dumps(document, separators=(",", ":")),
            "ready": ready,
            "now": rows[0]["created_at"],
        }
        return len(conn.execute(_SQLITE_INSERT_JOBS, params).all())
    document = [
        {
            "key": r["key"],
            "kind": r["kind"],
            "case_id": r["case_id"],
            "pathway_id": r["pathway_id"],
            "payload": r["payload"],
            "ready": r["next_attempt_at"].isoformat(),
        }
        for r in rows
    ]
    params = {"rows": json.dumps(document, separators=(",", ":")), "now": rows[0]["created_at"]}
    return len(conn.execute(_PG_INSERT_JOBS, params).all())


def digest_key(person: int, day: date) -> str:
    """The natural key of a person's digest of a day."""
    return f"digest:{person}:{day.isoformat()}"


def add_to_digest(tx: Tx, *, person: int, day: date, zone: ZoneInfo, items: list[dict[str, Any]]) -> None:
    """Add items to the person's digest of `day`, or of the next day whose digest has not gone out."""
    for offset in range(31):
        when = day + timedelta(days=offset)
        # A later day's digest is ready on that morning, by the sweep's clock (which --now may shift).
        morning = datetime.combine(when, DIGEST_TIME, tzinfo=zone)
        ready = tx.recorded_at if offset == 0 else max(tx.recorded_at, tx.recorded_at + (morning - tx.at))
        key = digest_key(person, when)
        payload = {"person": person, "date": when.isoformat(), "items": []}
        insert_jobs(
            tx.conn,
            [
                job_row(
                    tx, key=key, kind="digest", payload=payload, case_id=None, pathway_id=None, ready=ready
                )
            ],
        )
        query = select(JOB.c.id, JOB.c.status, JOB.c.payload).where(JOB.c.key == key)
        if tx.conn.dialect.name == "postgresql":
            query = query.with_for_update()
        row = tx.conn.execute(query).mappings().one()
        if row["status"] not in DIGEST_OPEN:
            continue
        known = {i["notice"] for i in row["payload"]["items"]}
        merged = [*row["payload"]["items"], *(i for i in items if i["notice"] not in known)]
        tx.conn.execute(
            update(JOB)
            .where(JOB.c.id == row["id"])
            .values(payload={**row["payload"], "items": merged}, updated_at=tx.recorded_at)
        )
        return
    raise AssertionError(f"no open digest for person {person} within 31 days of {day}")  # pragma: no cover
