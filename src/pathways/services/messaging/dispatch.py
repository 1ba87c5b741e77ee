"""The dispatcher: drain ready message and digest jobs from the outbox through the App's notifier.

Each job is claimed under a lease (:mod:`~pathways.services.messaging.lease`), resolved and
rendered (:mod:`~pathways.services.messaging.message`), then sent on each of its channels,
every send recorded as an attempt before it starts and after it ends
(:mod:`~pathways.services.messaging.attempt`). A dispatcher killed mid-send leaves its job
``sending``: once the lease has expired another dispatcher reclaims it and sends again the
channels not recorded as sent, so at most the messages in flight go out twice and the attempts
show it. After :data:`~pathways.services.messaging.lease.MAX_ATTEMPTS` failures the job is
``dead`` (dead-lettered) until :func:`~pathways.services.messaging.outbox.retry_message`.
Sending is the App's port (:attr:`pathways.bootstrap.App.notifier`, :mod:`pathways.notify.port`):
Apprise in production, a fake in unit tests.

The jobs of a claimed batch are sent by a small pool of threads (:data:`WORKERS`), so one
message's SMTP round trips and database commits overlap another's. A pool of our own rather
than Apprise's concurrent ``notify()`` (one ``Apprise`` holding many targets): that sends one
body to every target and answers one True/False for all, where each message here is its own
text and each channel needs its own recorded outcome. At most ``workers`` messages are in
flight, and a killed dispatcher may repeat each of them once; ``workers=1`` sends one at a time.
What bounds the rate of e-mail is the SSL context Apprise builds for each one: see
:mod:`pathways.notify.deliver`. The channels a claimed batch already went out on (sent by an
earlier claim) are read in one query for the batch, not one per message.

Why not fewer Apprise calls: one plugin object holding many ``to=`` addresses sends them one
body over one connection (one SSL context), but messages here differ (the case, the owner's
link), and a plugin object reused for a second message waits out Apprise's throttle (5.5 s by
default per object). So each message is one fresh plugin and one ``notify()``: measured in
``bench/sweep.py`` (CPU per message) and explained in bench/RESULTS.md.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from pathways.errors import NotFound, PathwaysError, Refused
from pathways.notify.deliver import channel_id
from pathways.notify.render import Rendered, Renderer
from pathways.services.messaging.attempt import (
    Ended,
    JobOutcome,
    begin_attempt,
    end_attempt,
    fail_without_send,
    finish,
    sent_channels_of,
)
from pathways.services.messaging.lease import LEASE, claim
from pathways.services.messaging.message import Message, build_message
from pathways.services.messaging.views import PendingJob

if TYPE_CHECKING:
    from pathways.bootstrap import App

log = logging.getLogger(__name__)
WORKERS = 4  # messages sent at once (threads); each may be repeated once if the dispatcher is killed


@dataclass(frozen=True, slots=True)
class DispatchResult:
    """What a dispatcher run did."""

    claimed: int = 0
    reclaimed: int = 0  # stale `sending` jobs taken over after a crash
    sent: int = 0
    failed: int = 0
    dead: int = 0
    cancelled: int = 0
    jobs: tuple[JobOutcome, ...] = field(default=())


def dispatch(
    app: App,
    *,
    batch: int = 100,
    now: datetime | None = None,
    lease: timedelta = LEASE,
    renderer: Renderer | None = None,
    max_jobs: int | None = None,
    workers: int = WORKERS,
) -> DispatchResult:
    """Send every ready message and digest, a batch of claimed jobs at a time, `workers` at once."""
    if workers < 1:
        raise Refused(
            f"workers must be at least 1, got {workers}", code="workers_too_few", params={"workers": workers}
        )
    tick: Callable[[], datetime] = (lambda: now) if now is not None else app.clock.real
    renderer = renderer or Renderer(app.settings.templates_dir)
    outcomes: list[JobOutcome] = []
    claimed = reclaimed = 0

    sent: dict[int, set[str]] = {}  # the claimed batch's channels already sent (by an earlier claim)

    def send(job: PendingJob) -> JobOutcome:
        return _send(app, renderer, job, tick, sent.get(job.id, set()))

    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="dispatch") as pool:
        while max_jobs is None or claimed < max_jobs:
            size = batch if max_jobs is None else min(batch, max_jobs - claimed)
            jobs, stale = claim(app, at=tick(), size=size, lease=lease)
            if not jobs:
                break
            claimed += len(jobs)
            reclaimed += stale
            # Read once for the batch: the lease keeps other dispatchers from sending these jobs
            # until each send renews it (a lost lease is noticed by begin_attempt).
            with app.store.read() as conn:
                sent = sent_channels_of(conn, [job.id for job in jobs])
            # The whole batch is sent before the next claim: its leases are renewed as each send starts.
            outcomes.extend(pool.map(send, jobs) if workers > 1 else map(send, jobs))
    counts = {s: sum(1 for o in outcomes if o.status == s) for s in ("done", "failed", "dead", "cancelled")}
    return DispatchResult(
        claimed=claimed,
        reclaimed=reclaimed,
        sent=counts["done"],
        failed=counts["failed"],
        dead=counts["dead"],
        cancelled=counts["cancelled"],
        jobs=tuple(outcomes),
    )


def _prepare(
    app: App, renderer: Renderer, job: PendingJob, token: datetime, tick: Callable[[], datetime]
) -> tuple[Message, Rendered] | JobOutcome:
    """The message and its rendering; or why it cannot be sent."""
    try:
        with app.store.read() as conn:
            built = build_message(conn, app, job.kind, job.payload)
        if built is None:
            return finish(app, job, token, tick(), "cancelled", "the case left the stage before sending")
        rendered = renderer.render(built.template, built.lang, built.context, zone=built.zone)
    except NotFound as exc:  # the recipient is gone: retrying changes nothing
        return fail_without_send(app, job, token, tick, str(exc), channel="none", permanent=True)
    except PathwaysError as exc:
        return fail_without_send(app, job, token, tick, f"cannot render: {exc}", channel="render")
    except Exception as exc:
        log.exception("message %s could not be prepared", job.key)  # a bug: recorded, the others go on
        reason = f"cannot render: {type(exc).__name__}: {exc}"
        return fail_without_send(app, job, token, tick, reason, channel="render")
    if not built.channels:
        reason = f"{built.recipient} has no channel (add an Apprise URL)"
        return fail_without_send(app, job, token, tick, reason, channel="none", permanent=True)
    return built, rendered


def _send(
    app: App,
    renderer: Renderer,
    job: PendingJob,
    tick: Callable[[], datetime],
    sent_before: set[str],
) -> JobOutcome:
    """Send `job` on each of its channels not in `sent_before` (those an earlier claim sent)."""
    token: datetime = job.updated_at
    prepared = _prepare(app, renderer, job, token, tick)
    if isinstance(prepared, JobOutcome):
        return prepared
    built, rendered = prepared
    reasons: list[str] = []
    refused = False  # a channel's destination is not allowed: dead-lettered now, a manager must fix it
    # The outcome of the last send is written with the job's own closing update (one commit less).
    ended: Ended | None = None
    for url in built.channels:
        channel = channel_id(url)
        if channel in sent_before:
            continue
        if ended is not None:
            end_attempt(app, ended)
        started = begin_attempt(app, job, token, channel, tick())
        if started is None:
            return JobOutcome(job.id, job.key, "lost", "another dispatcher took this job over")
        attempt_id, token = started
        delivery = app.notifier.send(url, rendered)  # Apprise, unless the App was given another notifier
        ended = Ended(attempt_id, delivery.ok, delivery.reason, tick())
        refused |= delivery.refused
        if not delivery.ok:
            reasons.append(f"{channel}: {delivery.reason}")
    if reasons:
        status = "dead" if refused else "failed"
        return finish(app, job, token, tick(), status, "; ".join(reasons), ended=ended)
    return finish(app, job, token, tick(), "done", _summary(rendered), ended=ended)


def _summary(rendered: Rendered) -> str:
    return f"[{rendered.lang}] {rendered.subject}"
