"""What the queued work looks like: outbox depths, the sweep's and the dispatcher's lag.

Read from the application's database only, so it answers whether or not Prefect is up
(``pathways status`` adds what Prefect says). Lags are the numbers to watch: a sweep that
stopped leaves notices due and pending, a dispatcher that stopped leaves messages ready.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import func, select

from pathways.services.messaging.lease import KINDS as MESSAGE_KINDS
from pathways.store.core import ATTEMPT, JOB, NOTICE

if TYPE_CHECKING:
    from pathways.bootstrap import App

READY = ("pending", "failed")


@dataclass(frozen=True, slots=True)
class Depth:
    """How many jobs of a kind are in a status, and the oldest of them still to run."""

    kind: str
    status: str
    jobs: int
    ready: int  # pending or failed, and due now
    oldest_ready_at: datetime | None


@dataclass(frozen=True, slots=True)
class QueueStatus:
    """The outbox and the evidence of the last sweep and dispatch, from the database."""

    depths: tuple[Depth, ...]
    notices_due: int  # reminders and escalations due and not yet swept
    oldest_notice_due_at: datetime | None
    last_notice_swept_at: datetime | None  # effective time of the last notice a sweep handled
    last_delivery_at: datetime | None
    last_delivery_outcome: str | None


def queue_status(app: App, *, now: datetime | None = None) -> QueueStatus:
    """Outbox depths by kind and status, notices due at `now` (default: effective time), last delivery.

    Jobs are ready by the clock they were recorded with (the real one); notices fall due on
    the effective time, as the sweep sees it.
    """
    ready = JOB.c.status.in_(READY) & (JOB.c.next_attempt_at <= app.clock.real())
    at = now or app.clock.now()
    with app.store.read() as conn:
        rows = conn.execute(
            select(
                JOB.c.kind,
                JOB.c.status,
                func.count(),
                func.count().filter(ready),
                func.min(JOB.c.next_attempt_at).filter(ready),
            )
            .group_by(JOB.c.kind, JOB.c.status)
            .order_by(JOB.c.kind, JOB.c.status)
        ).all()
        due_count, oldest_due = conn.execute(
            select(func.count(), func.min(NOTICE.c.due_at)).where(
                NOTICE.c.status == "pending", NOTICE.c.due_at <= at
            )
        ).one()
        last_swept = conn.execute(select(func.max(NOTICE.c.done_at))).scalar()
        delivery = conn.execute(
            select(ATTEMPT.c.finished_at, ATTEMPT.c.outcome)
            .where(ATTEMPT.c.finished_at.is_not(None))
            .order_by(ATTEMPT.c.finished_at.desc())
            .limit(1)
        ).first()
    return QueueStatus(
        depths=tuple(
            Depth(kind, status, jobs, ready_jobs, oldest) for kind, status, jobs, ready_jobs, oldest in rows
        ),
        notices_due=due_count,
        oldest_notice_due_at=oldest_due,
        last_notice_swept_at=last_swept,
        last_delivery_at=delivery[0] if delivery else None,
        last_delivery_outcome=delivery[1] if delivery else None,
    )


def ready_by_kind(status: QueueStatus) -> dict[str, int]:
    """Jobs ready to run now, per kind (messages and digests included)."""
    counts: dict[str, int] = {}
    for depth in status.depths:
        if depth.ready:
            counts[depth.kind] = counts.get(depth.kind, 0) + depth.ready
    return counts


def messages_ready(status: QueueStatus) -> int:
    """Messages and digests waiting for the dispatcher."""
    return sum(d.ready for d in status.depths if d.kind in MESSAGE_KINDS)
