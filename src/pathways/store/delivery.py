"""The delivery record: one row per attempt to send a message job on one channel.

A row is written with outcome ``sending`` and committed *before* the send, then
set to ``sent`` or ``failed`` after it. A dispatcher killed in between leaves a
``sending`` row; the next dispatcher marks it ``interrupted`` and sends again, so
the one message that may have gone out twice is visible here.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, Index
from sqlmodel import Field, SQLModel

from pathways.store.types import UTCDateTime

OUTCOMES = ("sending", "sent", "failed", "interrupted")


class DeliveryAttempt(SQLModel, table=True):
    """One attempt to deliver an outbox message job on one of the recipient's channels."""

    __table_args__ = (Index("ix_deliveryattempt_job_channel", "job_id", "channel"),)

    id: int | None = Field(default=None, primary_key=True)
    job_id: int = Field(foreign_key="outboxjob.id")
    attempt: int = Field(description="the job's attempt number (from 1; restarts after a manual retry)")
    channel: str = Field(
        max_length=80, description="the channel's scheme and a digest of its URL: no address, no secret"
    )
    outcome: str = Field(
        default="sending", max_length=12, description="sending | sent | failed | interrupted"
    )
    reason: str | None = Field(default=None, description="why it failed, from Apprise's log")
    started_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    finished_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime(), nullable=True))
