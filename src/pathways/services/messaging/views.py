"""What the messaging use cases return: typed, frozen records, never row dicts.

The CLI's ``--json`` and the API give their fields as they are named here
(:func:`dataclasses.asdict`), so a field renamed here is a change of those outputs.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

__all__ = ["Attempt", "FailedMessage", "OutboxMessage", "PendingJob", "Retried", "RetryResult"]


@dataclass(frozen=True, slots=True)
class PendingJob:
    """An outbox job not done yet (a message, a digest, a case step), with the types of
    :class:`pathways.store.tables.OutboxJob`. For a job a dispatcher has just claimed (status
    ``sending``), ``updated_at`` is the lease: the token each later write of this dispatcher
    checks, so a job taken over meanwhile is not written twice."""

    id: int
    key: str
    kind: str
    case_id: int | None
    pathway_id: str | None
    payload: dict[str, Any]
    status: str
    attempts: int
    next_attempt_at: datetime
    created_at: datetime
    updated_at: datetime
    last_error: str | None

    @classmethod
    def of(cls, row: Mapping[Any, Any]) -> PendingJob:
        """The view of a row holding every column of the outbox job table (and nothing else)."""
        return cls(**row)


@dataclass(frozen=True, slots=True)
class FailedMessage:
    """A message or digest that could not be delivered: failing (tried again later) or dead-lettered."""

    id: int
    organisation_id: int  # the case's; for a digest, the lowest of its cases'
    case: str | None  # the case reference; None for a digest
    items: int | None  # how many cases a digest lists; None for a message
    recipient: str | None  # the recipient's name
    recipient_handle: str | None
    kind: Literal["message", "digest"]
    template: str
    status: Literal["failed", "dead"]
    attempts: int
    last_error: str | None
    failed_at: datetime


@dataclass(frozen=True, slots=True)
class OutboxMessage:
    """A message or digest job in the outbox, as ``pathways messages`` lists it."""

    id: int
    kind: str
    case: str | None  # the case reference; "N items" for a digest
    template: str
    to: str | int | None  # the recipient's handle (their id when they have none)
    status: str
    attempts: int
    next_attempt_at: datetime | None  # only while pending or failing
    last_error: str | None
    key: str


@dataclass(frozen=True, slots=True)
class Attempt:
    """One attempt to deliver a message on one of its recipient's channels."""

    id: int
    job_id: int
    attempt: int  # from 1; restarts after a manual retry
    channel: str  # the channel's scheme and a digest of its URL
    outcome: str  # sending | sent | failed | interrupted
    reason: str | None
    started_at: datetime
    finished_at: datetime | None


@dataclass(frozen=True, slots=True)
class Retried:
    """A message put back in the queue: sent by the next dispatch."""

    id: int
    key: str
    status: str
    was: str  # its status before


@dataclass(frozen=True, slots=True)
class RetryResult:
    """A message a manager sent again, and the recipient's address when it was fixed first."""

    id: int
    key: str
    status: str
    was: str
    person_id: int | None = None  # whose address was fixed (None: retried as it was)
    address_changed: bool = False
    channel: str | None = None  # the new channel's kind (mailto, json...)
