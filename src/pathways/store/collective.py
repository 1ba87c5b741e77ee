"""Collective missions and transfers (migration 0014): one organisation's collective action linking
several cases, each structure keeping its own (services.casework.collective)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Column
from sqlmodel import Field, SQLModel

from pathways.store.types import UTCDateTime


def _at(*, nullable: bool = False) -> Any:
    return Field(sa_column=Column(UTCDateTime(), nullable=nullable))


class Collective(SQLModel, table=True):
    """One organisation's collective mission or transfer linking several cases, each its own (0014)."""

    id: int | None = Field(default=None, primary_key=True)
    organisation_id: int = Field(foreign_key="organisation.id", index=True)
    kind: str = Field(max_length=24, description="collective_mission | collective_transfer")
    label: str = Field(max_length=200)
    created_by: int | None = Field(default=None, foreign_key="person.id")
    created_at: datetime = _at()


class CollectiveMember(SQLModel, table=True):
    """A case's stay in a collective action; taken out, it is left (``left_at``), not deleted."""

    __tablename__ = "collective_member"

    id: int | None = Field(default=None, primary_key=True)
    collective_id: int = Field(foreign_key="collective.id", index=True)
    case_id: int = Field(foreign_key="case.id", index=True)
    joined_at: datetime = _at()
    left_at: datetime | None = _at(nullable=True)
