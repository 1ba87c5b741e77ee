"""Cooperation cases' tables: member projects with their history, and shares between organisations.

Kept apart from ``tables.py`` (``pathways.store.db.table_metadata`` imports every module of the
store). Only the store package and the services import them.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Column
from sqlmodel import Field, SQLModel

from pathways.store.types import UTCDateTime


def _at(*, nullable: bool = False) -> Any:
    return Field(sa_column=Column(UTCDateTime(), nullable=nullable))


class CaseMember(SQLModel, table=True):
    """A project taking part in a cooperation case, with its role; kept when it leaves (migration 0015).

    A project joins and leaves with the day and the person each time: a row is never deleted,
    ``removed_at`` closes it, and a project may join again (a new row).
    """

    __tablename__ = "case_member"

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="case.id", index=True)
    project_id: int = Field(foreign_key="project.id", index=True)
    organisation_id: int = Field(foreign_key="organisation.id", description="the project's organisation")
    role: str = Field(max_length=16, description="lead | member")
    added_at: datetime = _at()
    added_by: int | None = Field(default=None, foreign_key="person.id")
    removed_at: datetime | None = _at(nullable=True)
    removed_by: int | None = Field(default=None, foreign_key="person.id")


class CaseShare(SQLModel, table=True):
    """A cooperation case offered to a partner organisation: each side's consent, and its withdrawal.

    The partner's officers and managers read the case only while both consents are recorded
    and the share is not withdrawn (migration 0015). A withdrawn share stays as history; a new
    offer is a new row.
    """

    __tablename__ = "case_share"

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="case.id", index=True)
    partner_id: int = Field(foreign_key="organisation.id", index=True)
    owner_consent_by: int | None = Field(default=None, foreign_key="person.id")
    owner_consent_at: datetime = _at()
    partner_consent_by: int | None = Field(default=None, foreign_key="person.id")
    partner_consent_at: datetime | None = _at(nullable=True)
    withdrawn_at: datetime | None = _at(nullable=True)
    withdrawn_by: int | None = Field(default=None, foreign_key="person.id")
