"""A failed message's address fixed and the message sent again, in one transaction.

A message goes to each channel of its recipient (``person.channels``, Apprise URLs). When
one fails for good (a mistyped address, a host the dispatcher refuses), a manager types
the right address beside the message: it replaces the channel that failed in the person's
channels, checked exactly as when a person is added ("Safe to share": an Apprise URL whose
hosts are not internal unless ``PATHWAYS_CHANNEL_ALLOW`` names them), and the message is
queued again with a fresh set of attempts. Both are audited; the chain keeps who changed
whose address for which message and the channel's kind, never the address itself (the
chain cannot be erased, personal data must be).
"""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final
from urllib.parse import urlsplit

from sqlalchemy import Connection, select, update

from pathways.errors import FieldError, NotFound
from pathways.notify.allowlist import parse_allow
from pathways.notify.deliver import channel_id
from pathways.notify.destination import check_channels, instantiate
from pathways.services.messaging.lease import KINDS
from pathways.services.messaging.outbox import requeue
from pathways.services.tx import write
from pathways.store.core import ATTEMPT, JOB, MEMBER, PERSON

if TYPE_CHECKING:
    from pathways.bootstrap import App

ADDRESS_MAX: Final = 500
_EMAIL: Final = re.compile(r"[^@\s/:]+@[^@\s/:]+\.[^@\s/:]+")


@dataclass(frozen=True, slots=True)
class FixAddress:
    """Replace the recipient's channel `replaces` (a channel id; None: the only one) by `address`
    (an e-mail address or an Apprise URL), then queue message `job_id` again."""

    job_id: int
    address: str
    replaces: str | None = None


@dataclass(frozen=True, slots=True)
class AddressFixed:
    """The message queued again, and whether the recipient's channels changed."""

    id: int
    key: str
    status: str
    was: str
    person_id: int
    changed: bool
    channel: str  # the new channel's kind (its URL scheme): mailto, json...


@dataclass(frozen=True, slots=True)
class Recipient:
    """Whom a failed message is for, and the channel to fix (the one that failed last)."""

    person_id: int
    name: str
    channel: str | None  # the channel's URL; None when the person has none
    channel_id: str | None


def channel_url(address: str) -> str:
    """The Apprise URL of an address as typed: an e-mail address becomes ``mailto://``."""
    text = address.strip()
    if not text:
        raise FieldError("address", "is empty", hint="an e-mail address or an Apprise URL", code="empty")
    if len(text) > ADDRESS_MAX:
        raise FieldError("address", f"{len(text)} characters, at most {ADDRESS_MAX}", code="too_long")
    if "://" in text:
        return text
    if _EMAIL.fullmatch(text):
        return f"mailto://{text}"
    raise FieldError(
        "address",
        f"{text!r} is neither an e-mail address nor an Apprise URL",
        hint="e.g. name@example.org or mailto://name@example.org",
        code="not_address",
    )


def shown(url: str | None) -> str:
    """A channel as a manager types it: the e-mail address of a ``mailto://`` URL, else the URL."""
    if url is None:
        return ""
    parts = urlsplit(url)
    if parts.scheme.lower() == "mailto" and not parts.query and _EMAIL.fullmatch(parts.netloc + parts.path):
        return parts.netloc + parts.path
    return url


def recipients(conn: Connection, job_ids: Collection[int]) -> dict[int, Recipient]:
    """The recipient of each message and the channel that failed last (else their first one)."""
    if not job_ids:
        return {}
    jobs = conn.execute(select(JOB.c.id, JOB.c.payload).where(JOB.c.id.in_(sorted(job_ids)))).all()
    people_ids = {int(p["person"]) for _, p in jobs if isinstance((p or {}).get("person"), int)}
    people = {
        row.id: row
        for row in conn.execute(
            select(PERSON.c.id, PERSON.c.name, PERSON.c.channels).where(
                PERSON.c.id.in_(people_ids), PERSON.c.erased_at.is_(None)
            )
        )
    }
    failed = conn.execute(
        select(ATTEMPT.c.job_id, ATTEMPT.c.channel)
        .where(ATTEMPT.c.job_id.in_(sorted(job_ids)), ATTEMPT.c.outcome == "failed")
        .order_by(ATTEMPT.c.id)
    ).tuples()
    last_failed: dict[int, str] = dict(failed.all())  # the latest wins
    found: dict[int, Recipient] = {}
    for job_id, payload in jobs:
        person = people.get((payload or {}).get("person"))
        if person is None:
            continue
        url = _failing(list(person.channels or ()), last_failed.get(job_id))
        found[job_id] = Recipient(person.id, person.name, url, channel_id(url) if url else None)
    return found


def _failing(channels: Sequence[str], failed: str | None) -> str | None:
    for url in channels:
        if channel_id(url) == failed:
            return url
    return channels[0] if channels else None


def fix_address(
    app: App, command: FixAddress, *, actor_id: int | None, orgs: Collection[int]
) -> AddressFixed:
    """Fix the recipient's address and queue the message again (one transaction, audited).

    `orgs`: the organisations the message is about (the caller manages them all); the
    recipient must be a member of one of them, else the message does not exist for the caller.
    """
    url = channel_url(command.address)
    check_channels([url], parse_allow(app.settings.channel_allow))
    if instantiate(url) is None:
        raise FieldError(
            "address",
            f"no Apprise service reads {urlsplit(url).scheme}:// URLs",
            hint="an e-mail address, or an Apprise URL (mailto://, json://, ntfy://...)",
            code="not_address",
        )
    with write(app, actor_id=actor_id) as tx:
        job = (
            tx.conn.execute(select(JOB).where(JOB.c.id == command.job_id, JOB.c.kind.in_(KINDS)))
            .mappings()
            .first()
        )
        person_id = (job["payload"] or {}).get("person") if job is not None else None
        member = tx.conn.execute(
            select(MEMBER.c.organisation_id).where(
                MEMBER.c.person_id == person_id, MEMBER.c.organisation_id.in_(sorted(orgs))
            )
        ).first()
        person = (
            tx.conn.execute(select(PERSON).where(PERSON.c.id == person_id).with_for_update())
            .mappings()
            .first()
            if member is not None
            else None
        )
        if job is None or member is None or person is None or person["erased_at"] is not None:
            raise NotFound(
                f"no message {command.job_id}",
                hint="see the failed messages",
                code="message_not_found",
                params={"job": command.job_id},
            )
        channels = list(person["channels"] or ())
        position = _position(channels, command.replaces)
        changed = position is None or channels[position] != url
        if changed:
            if position is None:
                channels.append(url)
            else:
                channels[position] = url
            tx.conn.execute(update(PERSON).where(PERSON.c.id == person["id"]).values(channels=channels))
        retried = requeue(tx, job)
        if changed:
            for org in retried.orgs or (int(member[0]),):
                tx.audit(
                    organisation_id=org,
                    case_id=job["case_id"],
                    kind="message_readdressed",
                    payload={
                        "job": job["id"],
                        "person": person["id"],
                        "channel": urlsplit(url).scheme.lower(),
                    },
                )
    return AddressFixed(
        id=job["id"],
        key=job["key"],
        status="pending",
        was=job["status"],
        person_id=int(person["id"]),
        changed=changed,
        channel=urlsplit(url).scheme.lower(),
    )


def _position(channels: list[str], replaces: str | None) -> int | None:
    """Where the channel to replace is: the one named, else the only one; None: add a channel."""
    if replaces:
        for i, url in enumerate(channels):
            if channel_id(url) == replaces:
                return i
        raise FieldError(
            "replaces",
            f"the recipient has no channel {replaces} (any more)",
            hint="reload the failed messages: the recipient's channels changed meanwhile",
            code="gone",
        )
    if len(channels) > 1:
        raise FieldError(
            "replaces",
            "the recipient has several channels: say which one the address replaces",
            hint="one of " + ", ".join(channel_id(u) for u in channels),
            code="which",
        )
    return 0 if channels else None
