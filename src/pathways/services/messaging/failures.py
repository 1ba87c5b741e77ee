"""Failed and dead-lettered messages as managers see them, and the organisations a message is about."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from sqlalchemy import Connection, select

from pathways.services.messaging.lease import KINDS as MESSAGE_KINDS
from pathways.services.messaging.views import FailedMessage
from pathways.store.core import CASE, JOB, PERSON

FAILED = ("failed", "dead")


def _digest_cases(payload: dict[str, Any]) -> set[int]:
    return {int(item["case"]) for item in payload.get("items", ()) if item.get("case") is not None}


def message_orgs(conn: Connection, job_id: int) -> frozenset[int] | None:
    """The organisations a message or digest job is about (None: no such message).

    A message belongs to its case's organisation; a digest to those of every case it lists.
    """
    job = (
        conn.execute(
            select(JOB.c.kind, JOB.c.case_id, JOB.c.payload).where(
                JOB.c.id == job_id, JOB.c.kind.in_(MESSAGE_KINDS)
            )
        )
        .mappings()
        .first()
    )
    if job is None:
        return None
    case_ids = {job["case_id"]} if job["case_id"] is not None else _digest_cases(job["payload"] or {})
    if not case_ids:
        return frozenset()
    return frozenset(conn.execute(select(CASE.c.organisation_id).where(CASE.c.id.in_(case_ids))).scalars())


def failed_messages(conn: Connection, *, orgs: Collection[int], limit: int = 200) -> list[FailedMessage]:
    """Failing and dead-lettered messages and digests of `orgs`, most recently failed first.

    A digest is listed only when every case it lists is in `orgs`: its recipient, case
    count and error say nothing of another organisation's cases.
    """
    wanted = set(orgs)
    columns = (JOB, CASE.c.ref, CASE.c.organisation_id)
    order = (JOB.c.updated_at.desc(), JOB.c.id.desc())
    messages = conn.execute(
        select(*columns)
        .join(CASE, CASE.c.id == JOB.c.case_id)
        .where(JOB.c.kind == "message", JOB.c.status.in_(FAILED), CASE.c.organisation_id.in_(wanted))
        .order_by(*order)
        .limit(limit)
    ).mappings()
    rows = [dict(r) for r in messages]
    digests = conn.execute(
        select(JOB).where(JOB.c.kind == "digest", JOB.c.status.in_(FAILED)).order_by(*order)
    ).mappings()
    digest_rows = [dict(r) for r in digests]
    listed = {c for d in digest_rows for c in _digest_cases(d["payload"] or {})}
    case_org: dict[int, int] = (
        dict(
            conn.execute(select(CASE.c.id, CASE.c.organisation_id).where(CASE.c.id.in_(listed)))
            .tuples()
            .all()
        )
        if listed
        else {}
    )
    for digest in digest_rows:
        held = {case_org.get(c) for c in _digest_cases(digest["payload"] or {})}
        if held and None not in held and held <= wanted:
            rows.append(digest | {"ref": None, "organisation_id": min(o for o in held if o is not None)})
    rows.sort(key=lambda r: (r["updated_at"], r["id"]), reverse=True)
    rows = rows[:limit]
    people = {int(p) for r in rows if (p := (r["payload"] or {}).get("person")) is not None}
    found = conn.execute(select(PERSON.c.id, PERSON.c.name, PERSON.c.handle).where(PERSON.c.id.in_(people)))
    recipients = {p.id: (p.name, p.handle) for p in found} if people else {}
    out = []
    for r in rows:
        payload = r["payload"] or {}
        name, handle = recipients.get(payload.get("person"), (None, None))
        digest = r["kind"] == "digest"
        out.append(
            FailedMessage(
                id=r["id"],
                organisation_id=r["organisation_id"],
                case=r["ref"],
                items=len(payload.get("items", ())) if digest else None,
                recipient=name,
                recipient_handle=handle,
                kind="digest" if digest else "message",
                template=payload.get("template", "digest"),
                status="dead" if r["status"] == "dead" else "failed",  # FAILED only
                attempts=r["attempts"],
                last_error=r["last_error"],
                failed_at=r["updated_at"],
            )
        )
    return out
