"""`dispatch --dry-run`: what the next dispatch would send, to whom, in which language; nothing is sent.

The ready jobs are read with the conditions :func:`~pathways.services.messaging.lease.claim`
picks them by (:func:`~pathways.services.messaging.lease.ready`),
resolved and rendered as the dispatcher would, and each channel is judged against
``PATHWAYS_CHANNEL_ALLOW`` as before a real send. Nothing is claimed, written or sent.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from sqlalchemy import Connection, and_, or_, select

from pathways.errors import NotFound, PathwaysError
from pathways.notify.allowlist import AllowList, parse_allow
from pathways.notify.destination import instantiate, judge
from pathways.notify.render import Renderer
from pathways.services.messaging.lease import KINDS, LEASE, ready
from pathways.services.messaging.message import Message, build_message
from pathways.store.core import JOB

if TYPE_CHECKING:
    from pathways.bootstrap import App


@dataclass(frozen=True, slots=True)
class PlannedChannel:
    """One channel a message would go out on: where (secrets masked), and whether it may."""

    destination: str
    refused: str | None  # why the dispatcher would refuse to send there, else None


@dataclass(frozen=True, slots=True)
class PlannedMessage:
    """A ready message as the next dispatch would handle it."""

    job_id: int
    key: str
    kind: str  # message or digest
    template: str | None
    recipient: str | None
    lang: str | None
    subject: str | None
    channels: tuple[PlannedChannel, ...]
    problem: str | None  # why it would not be sent (cancelled, no channel, cannot render), else None


def plan_dispatch(
    app: App, *, now: datetime | None = None, limit: int = 100, lease: timedelta = LEASE
) -> tuple[PlannedMessage, ...]:
    """The messages a dispatch at `now` would send first (at most `limit`), rendered, unsent."""
    at = now or app.clock.now()
    renderer = Renderer(app.settings.templates_dir)
    allow = parse_allow(app.settings.channel_allow)
    taken = or_(*(and_(*conditions) for conditions in ready(at, lease)))
    planned: list[PlannedMessage] = []
    with app.store.read() as conn:
        jobs = conn.execute(
            select(JOB.c.id, JOB.c.key, JOB.c.kind, JOB.c.payload)
            .where(JOB.c.kind.in_(KINDS), taken)
            .order_by(JOB.c.next_attempt_at, JOB.c.id)
            .limit(limit)
        ).all()
        for job_id, key, kind, payload in jobs:
            planned.append(_plan_one(app, conn, renderer, allow, job_id, key, kind, payload))
    return tuple(planned)


def _plan_one(
    app: App,
    conn: Connection,
    renderer: Renderer,
    allow: AllowList,
    job_id: int,
    key: str,
    kind: str,
    payload: Mapping[str, Any],
) -> PlannedMessage:
    def planned(problem: str, built: Message | None = None) -> PlannedMessage:
        if built is None:
            return PlannedMessage(job_id, key, kind, None, None, None, None, (), problem)
        return PlannedMessage(
            job_id, key, kind, built.template, built.recipient, built.lang, None, (), problem
        )

    try:
        built = build_message(conn, app, kind, payload)
    except NotFound as exc:
        return planned(str(exc))
    if built is None:
        return planned("no longer current: the case left the stage")
    try:
        rendered = renderer.render(built.template, built.lang, built.context, zone=built.zone)
    except PathwaysError as exc:
        return planned(f"cannot render: {exc}", built)
    channels = tuple(_channel(url, allow) for url in built.channels)
    return PlannedMessage(
        job_id,
        key,
        kind,
        built.template,
        built.recipient,
        built.lang,
        rendered.subject,
        channels,
        None if channels else f"{built.recipient} has no channel (add an Apprise URL)",
    )


def _channel(url: str, allow: AllowList) -> PlannedChannel:
    plugin = instantiate(url)
    if plugin is None:
        scheme = url.partition("://")[0] or "(none)"
        return PlannedChannel(f"{scheme}://…", f"Apprise does not accept this {scheme}:// URL")
    verdict = judge(url, allow, plugin=plugin)
    return PlannedChannel(_where(url), verdict.reason)


def _where(url: str) -> str:
    """Where a channel URL sends: scheme, host and port only (no account, password, token or path)."""
    parts = urlsplit(url.strip())
    host = parts.hostname or ""
    shown = f"[{host}]" if ":" in host else host
    try:
        port = f":{parts.port}" if parts.port else ""
    except ValueError:
        port = ""
    return f"{parts.scheme.lower()}://{shown}{port}"
