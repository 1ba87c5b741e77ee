"""The relay: which queued work waits, and asking the orchestrator for runs that carry it out.

A decision commits its outbox rows and returns; nobody waits for Prefect. The relay polls
the database and asks the orchestrator for a run of the flow that does the work — its
*target*: the pathway's flow for hand-offs, spawns and automatic steps (named after the
pathway), ``dispatch`` for messages and digests. It never changes a job: a job stays
pending until a flow run claims it (:func:`pathways.services.casework.work.run_job`,
:func:`pathways.services.messaging.dispatch.dispatch`), so a relay that stops, an orchestrator that
is down or a run that crashes loses nothing — the next tick, or the flows' catch-up
schedule, asks again.

Runs are coarse (a run costs a process; it handles every pending case-step of its
pathway), so the relay coalesces. Per target it remembers the last run it asked for:

- while that run has not started, new jobs simply join it (but a run a worker claimed and
  did not start within ``stale_after`` — the worker died — gets a follow-up);
- once it runs, newer jobs get one follow-up run, which waits its turn the same way;
- once it has finished with work still ready, a follow-up run — at once when the work is
  newer than the run, after ``stale_after`` when the run left it behind (a crash, a job
  that kills its process), so a poison job costs a run per window, not a run per tick;
- a run still "running" while the work has not moved for ``stale_after`` (its process died
  without telling the orchestrator) gets a follow-up too.

Idempotency keys come from the database (target, oldest waiting job and when it was queued,
then the run being followed), so the relays of several workers — even a relay that has seen
more jobs than another — ask for the same run, and the orchestrator makes one. Should two runs
of a pathway still meet, each job's claim lets one of them do it; the other's task run ends
in a state named Skipped.

The orchestrator is a protocol (:class:`Orchestrator`): Prefect in production
(``pathways.orchestration``), a fake in tests. This module imports no Prefect.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import TYPE_CHECKING, Any, Protocol

from sqlalchemy import ColumnElement, Connection, func, select

from pathways.services.casework.work import WORK_KINDS
from pathways.services.messaging.lease import KINDS as MESSAGE_KINDS
from pathways.services.messaging.lease import LEASE
from pathways.store.core import CASE, ENTRY, JOB

if TYPE_CHECKING:
    from pathways.bootstrap import App

log = logging.getLogger(__name__)
DISPATCH = "dispatch"  # the target of message and digest jobs
STALE_AFTER = timedelta(seconds=60)
RETRIES_EVERY = timedelta(seconds=30)


# --- what waits ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CaseStep:
    """One pending piece of a case's automatic work: a hand-off, a spawn or a stage step."""

    job_id: int
    pathway: str
    ref: str
    stage: str
    step: str  # the step's name (render_document...), or "handoff" / "spawn"

    @property
    def name(self) -> str:
        """``<case ref>:<stage>:<step>``: how operators find it in Prefect's UI."""
        return f"{self.ref}:{self.stage}:{self.step}"


def pending_case_steps(
    app: App, *, pathway: str, after: int = 0, limit: int = 100, now: datetime | None = None
) -> list[CaseStep]:
    """The pathway's hand-offs, spawns and steps ready to run, oldest first, with ids above `after`."""
    at = now or app.clock.real()
    query = (
        select(JOB.c.id, JOB.c.kind, JOB.c.key, JOB.c.payload, CASE.c.ref)
        .select_from(JOB)
        .outerjoin(CASE, CASE.c.id == JOB.c.case_id)
        .where(
            JOB.c.kind.in_(WORK_KINDS),
            JOB.c.pathway_id == pathway,
            JOB.c.status.in_(("pending", "failed")),
            JOB.c.next_attempt_at <= at,
            JOB.c.id > after,
        )
        .order_by(JOB.c.id)
        .limit(limit)
    )
    with app.store.read() as conn:
        rows = [dict(r) for r in conn.execute(query).mappings()]
        stages = _stages(conn, {e for r in rows if (e := _left_entry(r)) is not None})
    return [
        CaseStep(
            job_id=r["id"],
            pathway=pathway,
            ref=r["ref"] or r["payload"].get("ref") or f"job-{r['id']}",
            stage=r["payload"].get("stage") or stages.get(_left_entry(r) or 0, "?"),
            step=r["payload"]["step"] if r["kind"] == "step" else r["kind"],
        )
        for r in rows
    ]


def _left_entry(row: Mapping[str, Any]) -> int | None:
    """The stage entry a hand-off or spawn left: the last part of its key (`handoff:<case>:<entry>`)."""
    if row["kind"] == "step":
        return None
    last = str(row["key"]).rsplit(":", 1)[-1]
    return int(last) if last.isdigit() else None


def _stages(conn: Connection, entry_ids: set[int]) -> dict[int, str]:
    if not entry_ids:
        return {}
    rows = conn.execute(select(ENTRY.c.id, ENTRY.c.stage).where(ENTRY.c.id.in_(entry_ids))).tuples()
    return dict(rows.all())


@dataclass(frozen=True, slots=True)
class Backlog:
    """The ready work of one target."""

    target: str
    jobs: int
    oldest: int  # the lowest job id
    oldest_at: datetime  # when it was queued (job ids start again in another database)
    newest: int  # the highest job id
    oldest_ready: datetime  # since when the longest-waiting job has been ready


def backlog(app: App, *, now: datetime | None = None, retries: bool = True) -> list[Backlog]:
    """Ready work per target: pending jobs, and with `retries` failed jobs due again and messages
    left ``sending`` past their lease (those need a scan of the outbox, so callers look less often)."""
    at = now or app.clock.real()
    kind_target = func.coalesce(JOB.c.pathway_id, "")
    columns = (
        JOB.c.kind,
        kind_target.label("pathway"),
        func.count().label("jobs"),
        func.min(JOB.c.id).label("oldest"),
        func.min(JOB.c.created_at).label("oldest_at"),
        func.max(JOB.c.id).label("newest"),
        func.min(JOB.c.next_attempt_at).label("oldest_ready"),
    )
    picks: list[tuple[ColumnElement[bool], ...]] = [
        (JOB.c.status == "pending", JOB.c.next_attempt_at <= at)
    ]  # the partial index ix_outbox_ready
    if retries:
        picks += [
            (JOB.c.status == "failed", JOB.c.next_attempt_at <= at),
            (JOB.c.status == "sending", JOB.c.kind.in_(MESSAGE_KINDS), JOB.c.updated_at <= at - LEASE),
        ]
    merged: dict[str, Backlog] = {}
    with app.store.read() as conn:
        for where in picks:
            rows = conn.execute(
                select(*columns)
                .where(JOB.c.kind.in_((*WORK_KINDS, *MESSAGE_KINDS)), *where)
                .group_by(JOB.c.kind, kind_target)
            )
            for kind, pathway, jobs, oldest, oldest_at, newest, oldest_ready in rows:
                target = DISPATCH if kind in MESSAGE_KINDS else pathway
                if not target:
                    log.warning("%s %s jobs name no pathway: no flow can run them", jobs, kind)
                    continue
                found = Backlog(target, jobs, oldest, oldest_at, newest, oldest_ready)
                merged[target] = _merge(merged.get(target), found)
    return sorted(merged.values(), key=lambda b: b.target)


def _merge(current: Backlog | None, more: Backlog) -> Backlog:
    if current is None:
        return more
    first = current if current.oldest <= more.oldest else more
    return Backlog(
        current.target,
        current.jobs + more.jobs,
        first.oldest,
        first.oldest_at,
        max(current.newest, more.newest),
        min(current.oldest_ready, more.oldest_ready),
    )


# --- asking for runs -------------------------------------------------------------------------


class RunPhase(StrEnum):
    """Where a run is, as far as the relay cares."""

    WAITING = "waiting"  # scheduled, no worker took it yet: it will see every job committed before it starts
    CLAIMED = "claimed"  # a worker took it and is starting its process
    RUNNING = "running"
    FINISHED = "finished"  # completed, failed, crashed or cancelled


@dataclass(frozen=True, slots=True)
class RunRef:
    """A run the orchestrator made for a target."""

    id: str
    phase: RunPhase
    started_at: datetime | None = None
    ended_at: datetime | None = None
    since: datetime | None = None  # when it entered its current phase


class Orchestrator(Protocol):
    """What the relay needs from Prefect (or a fake)."""

    def start(self, target: str, *, key: str) -> RunRef:
        """A run of the target's deployment; the same key gives the same run (idempotent)."""
        ...

    def look(self, run_id: str) -> RunRef:
        """The run as it is now."""
        ...


@dataclass(frozen=True, slots=True)
class Asked:
    """A run the relay asked for."""

    target: str
    key: str
    run_id: str
    jobs: int


@dataclass(frozen=True, slots=True)
class Tick:
    """What one relay tick saw and did."""

    waiting: dict[str, int]  # ready jobs per target
    asked: tuple[Asked, ...] = ()
    error: str | None = None  # the orchestrator could not be reached: the work waits in the database


@dataclass(slots=True)
class _Followed:
    run: RunRef
    newest: int  # the newest job id when the run was asked for
    oldest: int  # the oldest waiting job last seen: when it changes, the work is moving
    moved_at: datetime


@dataclass
class Relay:
    """Turns ready outbox work into runs; call :meth:`tick` every second or so."""

    app: App
    orchestrator: Orchestrator
    targets: frozenset[str] | None = None  # targets with a deployment (others are logged, not asked)
    stale_after: timedelta = STALE_AFTER
    retries_every: timedelta = RETRIES_EVERY
    _followed: dict[str, _Followed] = field(default_factory=dict, init=False, repr=False)
    _retries_seen_at: datetime | None = field(default=None, init=False, repr=False)
    _unknown: set[str] = field(default_factory=set, init=False, repr=False)

    def tick(self, now: datetime | None = None) -> Tick:
        """Look at the backlog once and ask for the runs it needs; never raises for the orchestrator."""
        at = now or self.app.clock.real()
        retries = self._retries_seen_at is None or at - self._retries_seen_at >= self.retries_every
        work = backlog(self.app, now=at, retries=retries)
        if retries:
            self._retries_seen_at = at
        waiting = {b.target: b.jobs for b in work}
        asked: list[Asked] = []
        try:
            for item in self._routable(work):
                made = self._relay(item, at)
                if made is not None:
                    asked.append(made)
        except Exception as exc:  # noqa: BLE001  any orchestrator failure: the jobs wait in the database
            return Tick(waiting, tuple(asked), error=f"{type(exc).__name__}: {exc}")
        return Tick(waiting, tuple(asked))

    def _routable(self, work: Iterable[Backlog]) -> Iterable[Backlog]:
        for item in work:
            if self.targets is None or item.target in self.targets:
                yield item
            elif item.target not in self._unknown:
                self._unknown.add(item.target)
                log.error(
                    "%s jobs of %r wait, but no flow is deployed for it (add flows/%s.py)",
                    item.jobs,
                    item.target,
                    item.target,
                )

    def _relay(self, item: Backlog, at: datetime) -> Asked | None:
        followed = self._followed.get(item.target)
        if followed is None:
            key = f"{item.target}:{item.oldest}:{item.oldest_at:%Y%m%dT%H%M%S%f}"
        else:
            if item.oldest != followed.oldest:
                followed.oldest, followed.moved_at = item.oldest, at
            followed.run = self.orchestrator.look(followed.run.id)
            if not self._needs_follow_up(followed, item, at):
                return None
            key = f"{item.target}:after:{followed.run.id}"
        run = self.orchestrator.start(item.target, key=key)
        self._followed[item.target] = _Followed(run, item.newest, item.oldest, at)
        log.debug("asked %s for %s jobs of %s (key %s)", run.id, item.jobs, item.target, key)
        return Asked(item.target, key, run.id, item.jobs)

    def _needs_follow_up(self, followed: _Followed, item: Backlog, at: datetime) -> bool:
        run = followed.run
        if run.phase is RunPhase.WAITING:
            return False  # it will see this work when a worker takes it; more runs would not help
        if run.phase is RunPhase.CLAIMED:
            return run.since is not None and at - run.since > self.stale_after  # its worker died
        if run.phase is RunPhase.RUNNING:
            # Stuck: the work has not moved for a while (its process died without telling).
            since = max(followed.moved_at, run.started_at or followed.moved_at)
            return item.newest > followed.newest or at - since > self.stale_after
        left_behind = run.started_at is not None and item.oldest_ready < run.started_at
        if not left_behind:
            return True  # work that came after the run started
        return run.ended_at is None or at - run.ended_at >= self.stale_after
