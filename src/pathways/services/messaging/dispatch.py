"""The dispatcher: drain ready message and digest jobs from the outbox through Apprise.

A job is claimed (status ``sending``, its ``updated_at`` is the lease) before any
send and set ``done`` after, each step committed. Every send on every channel is
recorded in :class:`~pathways.store.delivery.DeliveryAttempt` *before* it starts
(outcome ``sending``) and completed after (``sent`` / ``failed``). A dispatcher
killed mid-send leaves its job ``sending``: once the lease has expired another
dispatcher reclaims it, marks the open attempt ``interrupted`` and sends again the
channels not recorded as sent, so at most the messages in flight go out twice
and the attempts show it. Failures retry with exponential backoff; after
:data:`MAX_ATTEMPTS` the job is ``dead`` (dead-lettered) until :func:`retry_message`.

The jobs of a claimed batch are sent by a small pool of threads (:data:`WORKERS`), so one
message's SMTP round trips and database commits overlap another's. A pool of our own rather
than Apprise's concurrent ``notify()`` (one ``Apprise`` holding many targets): that sends one
body to every target and answers one True/False for all, where each message here is its own
text and each channel needs its own recorded outcome. At most ``workers`` messages are in
flight, and a killed dispatcher may repeat each of them once; ``workers=1`` sends one at a time.
What bounds the rate of e-mail is the SSL context Apprise builds for each one: see
:mod:`pathways.notify.deliver`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, select, update

from pathways.errors import NotFound, PathwaysError, Refused
from pathways.notify.allowlist import AllowList, parse_allow
from pathways.notify.deliver import channel_id, deliver
from pathways.notify.render import Rendered, Renderer, choose_language
from pathways.services.casework.lookup import CASE, ENTRY, ORG, PROJECT, find_case
from pathways.services.people.accounts import owner_link
from pathways.services.tx import write
from pathways.store.delivery import DeliveryAttempt
from pathways.store.tables import OutboxJob, Person

if TYPE_CHECKING:
    from pathways.bootstrap import App

log = logging.getLogger(__name__)
JOB = OutboxJob.__table__  # type: ignore[attr-defined]
ATTEMPT = DeliveryAttempt.__table__  # type: ignore[attr-defined]
PERSON = Person.__table__  # type: ignore[attr-defined]

KINDS = ("message", "digest")
MAX_ATTEMPTS = 6
BASE_DELAY = timedelta(minutes=1)
MAX_DELAY = timedelta(hours=6)
LEASE = timedelta(minutes=5)
WORKERS = 4  # messages sent at once (threads); each may be repeated once if the dispatcher is killed
INTERRUPTED = "the dispatcher stopped during this send: the message may or may not have gone out"


@dataclass(frozen=True, slots=True)
class JobOutcome:
    """What dispatching one job did."""

    job_id: int
    key: str
    status: str  # done | failed | dead | cancelled | lost (reclaimed by another dispatcher)
    detail: str = ""


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


def backoff(attempts: int) -> timedelta:
    """Delay before the next try after `attempts` failed ones: 1, 2, 4... minutes, at most 6 hours."""
    return min(BASE_DELAY * (1 << max(attempts - 1, 0)), MAX_DELAY)


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
        raise Refused(f"workers must be at least 1, got {workers}")
    tick: Callable[[], datetime] = (lambda: now) if now is not None else app.clock.real
    renderer = renderer or Renderer(app.settings.templates_dir)
    allow = parse_allow(app.settings.channel_allow)
    outcomes: list[JobOutcome] = []
    claimed = reclaimed = 0

    def send(job: dict[str, Any]) -> JobOutcome:
        return _send(app, renderer, job, tick, allow)

    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="dispatch") as pool:
        while max_jobs is None or claimed < max_jobs:
            size = batch if max_jobs is None else min(batch, max_jobs - claimed)
            jobs, stale = _claim(app, at=tick(), size=size, lease=lease)
            if not jobs:
                break
            claimed += len(jobs)
            reclaimed += stale
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


def _claim(app: App, *, at: datetime, size: int, lease: timedelta) -> tuple[list[dict[str, Any]], int]:
    """Mark up to `size` ready jobs `sending` (lease = now); stale `sending` jobs are taken over."""
    with write(app) as tx:
        pg = tx.conn.dialect.name == "postgresql"
        picks = (  # stale first: they have waited longest
            (JOB.c.status == "sending", JOB.c.updated_at <= at - lease),
            (JOB.c.status == "pending", JOB.c.next_attempt_at <= at),  # the partial index ix_outbox_ready
            (JOB.c.status == "failed", JOB.c.next_attempt_at <= at),
        )
        ids: list[int] = []
        stale: list[int] = []
        for i, where in enumerate(picks):
            if len(ids) >= size:
                break
            query = (
                select(JOB.c.id)
                .where(JOB.c.kind.in_(KINDS), *where)
                .order_by(JOB.c.next_attempt_at, JOB.c.id)
                .limit(size - len(ids))
            )
            found = list(tx.conn.scalars(query.with_for_update(skip_locked=True) if pg else query))
            ids += found
            stale += found if i == 0 else []
        if stale:
            tx.conn.execute(
                update(ATTEMPT)
                .where(ATTEMPT.c.job_id.in_(stale), ATTEMPT.c.outcome == "sending")
                .values(outcome="interrupted", reason=INTERRUPTED, finished_at=at)
            )
            # A job whose every attempt stopped the dispatcher (a poison message) is dead-lettered.
            poisoned = (
                tx.conn.execute(
                    update(JOB)
                    .where(JOB.c.id.in_(stale), JOB.c.attempts >= MAX_ATTEMPTS)
                    .values(status="dead", updated_at=at, last_error=f"{INTERRUPTED} ({MAX_ATTEMPTS} times)")
                    .returning(JOB.c.id)
                )
                .scalars()
                .all()
            )
            ids = [i for i in ids if i not in poisoned]
            stale = [i for i in stale if i not in poisoned]
            log.warning("took over %s message jobs left sending by a stopped dispatcher", len(stale))
        if not ids:
            return [], 0
        tx.conn.execute(
            update(JOB)
            .where(JOB.c.id.in_(ids))
            .values(status="sending", attempts=JOB.c.attempts + 1, updated_at=at)
        )
        rows = tx.conn.execute(select(JOB).where(JOB.c.id.in_(ids)).order_by(JOB.c.id)).mappings()
        return [dict(r) for r in rows], len(stale)


def _prepare(
    app: App, renderer: Renderer, job: Mapping[str, Any], token: datetime, tick: Callable[[], datetime]
) -> tuple[Message, Rendered, set[str]] | JobOutcome:
    """The message, rendered, and the channels it already went out on; or why it cannot be sent."""
    try:
        with app.store.read() as conn:
            built = build_message(conn, app, job["kind"], job["payload"])
            sent_before = _sent_channels(conn, job["id"])
        if built is None:
            return _finish(app, job, token, tick(), "cancelled", "the case left the stage before sending")
        rendered = renderer.render(built.template, built.lang, built.context, zone=built.zone)
    except NotFound as exc:  # the recipient is gone: retrying changes nothing
        return _fail_without_send(app, job, token, tick, str(exc), channel="none", permanent=True)
    except PathwaysError as exc:
        return _fail_without_send(app, job, token, tick, f"cannot render: {exc}", channel="render")
    except Exception as exc:
        log.exception("message %s could not be prepared", job["key"])  # a bug: recorded, the others go on
        reason = f"cannot render: {type(exc).__name__}: {exc}"
        return _fail_without_send(app, job, token, tick, reason, channel="render")
    if not built.channels:
        reason = f"{built.recipient} has no channel (add an Apprise URL)"
        return _fail_without_send(app, job, token, tick, reason, channel="none", permanent=True)
    return built, rendered, sent_before


def _send(
    app: App, renderer: Renderer, job: Mapping[str, Any], tick: Callable[[], datetime], allow: AllowList
) -> JobOutcome:
    token: datetime = job["updated_at"]
    prepared = _prepare(app, renderer, job, token, tick)
    if isinstance(prepared, JobOutcome):
        return prepared
    built, rendered, sent_before = prepared
    reasons: list[str] = []
    refused = False  # a channel's destination is not allowed: dead-lettered now, a manager must fix it
    # The outcome of the last send is written with the job's own closing update (one commit less).
    ended: Ended | None = None
    for url in built.channels:
        channel = channel_id(url)
        if channel in sent_before:
            continue
        if ended is not None:
            _end_attempt(app, ended)
        started = _begin_attempt(app, job, token, channel, tick())
        if started is None:
            return JobOutcome(job["id"], job["key"], "lost", "another dispatcher took this job over")
        attempt_id, token = started
        delivery = deliver(url, rendered, allow=allow)
        ended = Ended(attempt_id, delivery.ok, delivery.reason, tick())
        refused |= delivery.refused
        if not delivery.ok:
            reasons.append(f"{channel}: {delivery.reason}")
    if reasons:
        status = "dead" if refused else "failed"
        return _finish(app, job, token, tick(), status, "; ".join(reasons), ended=ended)
    return _finish(app, job, token, tick(), "done", _summary(rendered), ended=ended)


@dataclass(frozen=True, slots=True)
class Ended:
    """How one send went, to record on its attempt."""

    attempt_id: int
    ok: bool
    reason: str | None
    at: datetime


def _summary(rendered: Rendered) -> str:
    return f"[{rendered.lang}] {rendered.subject}"


def _sent_channels(conn: Connection, job_id: int) -> set[str]:
    query = select(ATTEMPT.c.channel).where(ATTEMPT.c.job_id == job_id, ATTEMPT.c.outcome == "sent")
    return set(conn.scalars(query))


def _begin_attempt(
    app: App, job: Mapping[str, Any], token: datetime, channel: str, at: datetime
) -> tuple[int, datetime] | None:
    """Renew the lease and record the attempt before sending; None if the job was taken over."""
    with write(app) as tx:
        renewed = tx.conn.execute(
            update(JOB)
            .where(JOB.c.id == job["id"], JOB.c.status == "sending", JOB.c.updated_at == token)
            .values(updated_at=at)
        ).rowcount
        if not renewed:
            return None
        attempt_id = tx.insert(
            ATTEMPT,
            job_id=job["id"],
            attempt=job["attempts"],
            channel=channel,
            outcome="sending",
            started_at=at,
        )
    return attempt_id, at


def _end_attempt(app: App, ended: Ended) -> None:
    with write(app) as tx:
        _record_end(tx.conn, ended)


def _record_end(conn: Connection, ended: Ended) -> None:
    conn.execute(
        update(ATTEMPT)
        .where(ATTEMPT.c.id == ended.attempt_id)
        .values(outcome="sent" if ended.ok else "failed", reason=ended.reason, finished_at=ended.at)
    )


def _fail_without_send(
    app: App,
    job: Mapping[str, Any],
    token: datetime,
    tick: Callable[[], datetime],
    reason: str,
    *,
    channel: str,
    permanent: bool = False,
) -> JobOutcome:
    """A failure before any channel was tried (render error, no channel): recorded as an attempt too."""
    at = tick()
    with write(app) as tx:
        tx.insert(
            ATTEMPT,
            job_id=job["id"],
            attempt=job["attempts"],
            channel=channel,
            outcome="failed",
            reason=reason[:2000],
            started_at=at,
            finished_at=at,
        )
    return _finish(app, job, token, at, "dead" if permanent else "failed", reason)


def _finish(
    app: App,
    job: Mapping[str, Any],
    token: datetime,
    at: datetime,
    status: str,
    detail: str,
    *,
    ended: Ended | None = None,
) -> JobOutcome:
    """Close the claim: done, cancelled, failed with its retry time, or dead after the last try."""
    if status == "failed" and job["attempts"] >= MAX_ATTEMPTS:
        status = "dead"
    values: dict[str, Any] = {"status": status, "updated_at": at}
    if status in ("failed", "dead"):
        values |= {"last_error": detail[:2000], "next_attempt_at": at + backoff(job["attempts"])}
    else:
        values |= {"last_error": None if status == "done" else detail}
    with write(app) as tx:
        if ended is not None:
            _record_end(tx.conn, ended)
        changed = tx.conn.execute(
            update(JOB)
            .where(JOB.c.id == job["id"], JOB.c.status == "sending", JOB.c.updated_at == token)
            .values(**values)
        ).rowcount
    if not changed:
        return JobOutcome(job["id"], job["key"], "lost", "another dispatcher took this job over")
    if status in ("failed", "dead"):
        log.warning("message %s %s (attempt %s): %s", job["key"], status, job["attempts"], detail)
    return JobOutcome(job["id"], job["key"], status, detail)


def retry_message(app: App, job_id: int, *, actor_id: int | None = None) -> dict[str, Any]:
    """Put a dead (or failed) message back in the queue, ready now, with a fresh set of attempts.

    Audited, with who asked, in every organisation the message is about (a digest's cases
    may belong to several).
    """
    from pathways.services.casework.queries import message_orgs

    with write(app, actor_id=actor_id) as tx:
        job = tx.conn.execute(select(JOB).where(JOB.c.id == job_id, JOB.c.kind.in_(KINDS))).mappings().first()
        if job is None:
            raise NotFound(f"no message {job_id}", hint="see `pathways messages --failed`")
        if job["status"] not in ("dead", "failed"):
            raise Refused(
                f"message {job_id} is {job['status']}: only failed or dead messages are retried by hand"
            )
        tx.conn.execute(
            update(JOB)
            .where(JOB.c.id == job_id)
            .values(status="pending", attempts=0, next_attempt_at=tx.recorded_at, updated_at=tx.recorded_at)
        )
        for org in sorted(message_orgs(tx.conn, job_id) or ()):
            tx.audit(
                organisation_id=org,
                case_id=job["case_id"],
                kind="message_retried",
                payload={"job": job_id, "key": job["key"], "was": job["status"]},
            )
    return {"id": job_id, "key": job["key"], "status": "pending", "was": job["status"]}


# --- what a message says -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Message:
    """A message job resolved against the database: template, language and variables, channels."""

    template: str
    lang: str
    zone: str
    context: dict[str, Any]
    channels: tuple[str, ...]
    recipient: str


def case_url(app: App, ref: str) -> str:
    """The link to a case's page."""
    return f"{app.settings.base_url.rstrip('/')}/cases/{ref}"


def _facts(conn: Connection, item: Mapping[str, Any]) -> dict[str, Any] | None:
    """The case, stage entry, project and organisation of an item; None once the case left that stage."""
    row = (
        conn.execute(
            select(
                CASE.c.ref,
                CASE.c.status,
                CASE.c.current_entry_id,
                CASE.c.pathway_id,
                CASE.c.pathway_version,
                ENTRY.c.stage,
                ENTRY.c.due_at,
                PROJECT.c.name.label("project"),
                PROJECT.c.owner_id,
                ORG.c.name.label("organisation"),
                ORG.c.timezone,
                ORG.c.language,
            )
            .select_from(CASE)
            .join(ENTRY, (ENTRY.c.case_id == CASE.c.id) & (ENTRY.c.id == item["entry"]))
            .join(PROJECT, PROJECT.c.id == CASE.c.project_id)
            .join(ORG, ORG.c.id == CASE.c.organisation_id)
            .where(CASE.c.id == item["case"])
        )
        .mappings()
        .first()
    )
    if row is None or row["status"] != "open" or row["current_entry_id"] != item["entry"]:
        return None
    return dict(row)


def _item_context(app: App, facts: Mapping[str, Any], item: Mapping[str, Any], lang: str) -> dict[str, Any]:
    spec = app.catalog.get(facts["pathway_id"], facts["pathway_version"])
    zone = ZoneInfo(facts["timezone"])
    at = datetime.fromisoformat(item["at"])
    due: datetime = facts["due_at"]
    return {
        "kind": item["kind"],
        "days": (due.astimezone(zone).date() - at.astimezone(zone).date()).days,
        "case": {
            "ref": facts["ref"],
            "pathway_title": spec.title.get(lang),
            "stage_title": spec.stage(facts["stage"]).title.get(lang),
            "due_at": due,
            "url": case_url(app, facts["ref"]),
        },
        "project": {"name": facts["project"]},
    }


def build_message(conn: Connection, app: App, kind: str, payload: Mapping[str, Any]) -> Message | None:
    """Resolve a message or digest job; None when nothing in it is still current."""
    person = conn.execute(select(PERSON).where(PERSON.c.id == payload["person"])).mappings().first()
    if person is None or person["erased_at"] is not None:
        raise NotFound(f"person {payload['person']} no longer exists or was erased")
    items = payload["items"] if kind == "digest" else [payload]
    found = [(item, facts) for item in items if (facts := _facts(conn, item)) is not None]
    if not found:
        return None
    first = found[0][1]
    lang = choose_language(person["language"], first["language"], who=f"person {person['id']}")
    context: dict[str, Any] = {"person": person["name"], "organisation": {"name": first["organisation"]}}
    if kind == "digest":
        # One line per stage entry: its escalation, if one is due, says more than its reminder.
        latest: dict[int, tuple[Mapping[str, Any], dict[str, Any]]] = {}
        for item, facts in found:
            if item["entry"] not in latest or item["kind"] == "escalation":
                latest[item["entry"]] = (item, facts)
        rows = [_item_context(app, facts, item, lang) for item, facts in latest.values()]
        context |= {
            "date": date.fromisoformat(payload["date"]),
            "items": sorted(rows, key=lambda r: (r["case"]["due_at"], r["case"]["ref"])),
        }
        template = "digest"
    else:
        context |= _item_context(app, first, payload, lang)
        # The project's owner has no account: their own signed, expiring link opens their case.
        owner = first["owner_id"] is not None and first["owner_id"] == person["id"]
        context["owner_url"] = owner_link(app, payload["case"], person["id"]) if owner else None
        template = payload["template"]
    return Message(
        template=template,
        lang=lang,
        zone=first["timezone"],
        context=context,
        channels=tuple(person["channels"] or ()),
        recipient=f"person {person['id']} ({person['handle']})",
    )


def preview(
    app: App, template: str, lang: str, *, case: str | int | None = None, now: datetime | None = None
) -> Rendered:
    """Render a message in `lang`, for a case's current stage or for sample data."""
    at = now or app.clock.now()
    kind = "escalation" if template == "escalation" else "reminder"
    with app.store.read() as conn:
        if case is None:
            item = _sample(app, lang, kind, at)
            context: dict[str, Any] = {"person": "Camille Martin", "organisation": {"name": "DLA de Paris"}}
            zone = app.settings.default_timezone
        else:
            row = find_case(conn, case)
            payload = {
                "case": row["id"],
                "entry": row["current_entry_id"],
                "kind": kind,
                "at": at.isoformat(),
            }
            facts = _facts(conn, payload)
            if facts is None:
                raise Refused(f"case {row['ref']} is closed: no stage to write about")
            officer = conn.execute(select(PERSON.c.name).where(PERSON.c.id == row["officer_id"])).scalar()
            item = _item_context(app, facts, payload, lang)
            context = {"person": officer or "Camille Martin", "organisation": {"name": facts["organisation"]}}
            zone = facts["timezone"]
    if template == "digest":
        context |= {"date": at.astimezone(ZoneInfo(zone)).date(), "items": [item]}
    else:
        context |= item | {"owner_url": None}
    return Renderer(app.settings.templates_dir).render(template, lang, context, zone=zone)


def _sample(app: App, lang: str, kind: str, at: datetime) -> dict[str, Any]:
    ids = app.catalog.ids()
    spec = app.catalog.get("diagnosis" if "diagnosis" in ids else ids[0])
    days = -3 if kind == "escalation" else 5
    return {
        "kind": kind,
        "days": days,
        "case": {
            "ref": f"{spec.reference}-{at.year}-0001",
            "pathway_title": spec.title.get(lang),
            "stage_title": spec.first_stage.title.get(lang),
            "due_at": at + timedelta(days=days),
            "url": case_url(app, f"{spec.reference}-{at.year}-0001"),
        },
        "project": {"name": "La Fabrique solidaire"},
    }


def list_messages(
    conn: Connection, *, case: str | int | None = None, failed: bool = False, limit: int = 200
) -> list[dict[str, Any]]:
    """Message and digest jobs, newest first; `failed`: only those failing or dead-lettered."""
    query = (
        select(JOB, CASE.c.ref)
        .outerjoin(CASE, CASE.c.id == JOB.c.case_id)
        .where(JOB.c.kind.in_(KINDS))
        .order_by(JOB.c.id.desc())
        .limit(limit)
    )
    if case is not None:
        query = query.where(JOB.c.case_id == find_case(conn, case)["id"])
    if failed:
        query = query.where(JOB.c.status.in_(("failed", "dead")))
    rows = [dict(r) for r in conn.execute(query).mappings()]
    people = {p for r in rows if (p := r["payload"].get("person")) is not None}
    names = select(PERSON.c.id, PERSON.c.handle).where(PERSON.c.id.in_(people))
    handles: dict[int, str] = {row.id: row.handle for row in conn.execute(names)}
    return [
        {
            "id": r["id"],
            "kind": r["kind"],
            "case": r["ref"] or (f"{len(r['payload']['items'])} items" if r["kind"] == "digest" else None),
            "template": r["payload"].get("template", "digest"),
            "to": handles.get(r["payload"].get("person"), r["payload"].get("person")),
            "status": r["status"],
            "attempts": r["attempts"],
            "next_attempt_at": r["next_attempt_at"] if r["status"] in ("pending", "failed") else None,
            "last_error": r["last_error"],
            "key": r["key"],
        }
        for r in rows
    ]


def attempts_of(conn: Connection, job_id: int) -> list[dict[str, Any]]:
    """The delivery record of a message job, oldest first."""
    query = select(ATTEMPT).where(ATTEMPT.c.job_id == job_id).order_by(ATTEMPT.c.id)
    return [dict(r) for r in conn.execute(query).mappings()]
