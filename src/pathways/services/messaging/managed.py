"""Managers' use cases on failed messages: list them, send one again (its address fixed first).

A message is about the organisations of its cases (a digest's cases may belong to several). It
is the business of those who manage all of them: for an account with no role in one of them it
does not exist (not found, as a wrong id), for one whose role does not manage them all it is
refused. The page and the API (``pathways.web.manager.failed``, ``pathways.web.api.manager``) only
parse what is asked and show what these return.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from pathways.errors import Forbidden, NotFound
from pathways.services.messaging import failures, readdress
from pathways.services.messaging.outbox import retry_message
from pathways.services.messaging.views import FailedMessage, RetryResult
from pathways.services.people.accounts import Permission, Principal
from pathways.services.people.permits import orgs_allowing, require

if TYPE_CHECKING:
    from pathways.bootstrap import App


def failed_messages(
    app: App, principal: Principal, *, org: int | None = None, limit: int = 200
) -> list[FailedMessage]:
    """Failing and dead-lettered messages of the organisations `principal` manages (or of one of them)."""
    if org is not None:
        require(principal, org, Permission.MANAGE, f"organisation {org}")
        orgs = frozenset({org})
    else:
        orgs = orgs_allowing(principal, Permission.MANAGE)
    with app.store.read() as conn:
        return failures.failed_messages(conn, orgs=orgs, limit=limit)


def managed_orgs(app: App, principal: Principal, job_id: int) -> frozenset[int]:
    """The organisations message `job_id` is about: NotFound unless all visible, Forbidden unless managed."""
    with app.store.read() as conn:
        held = failures.message_orgs(conn, job_id)
    if not held or not held <= principal.orgs(Permission.READ):
        raise NotFound(f"no message {job_id}", code="message_not_found", params={"job": job_id})
    if not held <= principal.orgs(Permission.MANAGE):
        raise Forbidden(
            f"your role does not allow retrying message {job_id} ({Permission.MANAGE.value})",
            code="message_retry_forbidden",
            params={"job": job_id},
        )
    return held


@dataclass(frozen=True, slots=True)
class RetryMessage:
    """Send message `job_id` again; with `address`, to that address from now on (replacing the
    recipient's channel `replaces`, a channel id; None: their only one)."""

    job_id: int
    address: str | None = None
    replaces: str | None = None


def retry(app: App, principal: Principal, command: RetryMessage) -> RetryResult:
    """Queue a failed message again, with the recipient's address fixed first when the command gives one."""
    held = managed_orgs(app, principal, command.job_id)
    if command.address is None:
        done = retry_message(app, command.job_id, actor_id=principal.person_id)
        return RetryResult(id=done.id, key=done.key, status=done.status, was=done.was)
    fix = readdress.FixAddress(command.job_id, command.address, command.replaces)
    fixed = readdress.fix_address(app, fix, actor_id=principal.person_id, orgs=held)
    return RetryResult(
        id=fixed.id,
        key=fixed.key,
        status=fixed.status,
        was=fixed.was,
        person_id=fixed.person_id,
        address_changed=fixed.changed,
        channel=fixed.channel,
    )
