"""Web accounts: who may log in, their API tokens and recent failed logins.

An account belongs to a :class:`~pathways.store.tables.Person`; what it may see and
change comes from that person's memberships (roles per organisation), never from
the account itself. Secrets are stored only as hashes: argon2 for passwords,
SHA-256 for API tokens (which are long random strings, so a fast hash is enough).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, Index
from sqlmodel import Field, SQLModel

from pathways.store.types import UTCDateTime


class Account(SQLModel, table=True):
    """A person's login: password hash, interface language, whether it may log in."""

    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(foreign_key="person.id", unique=True)
    password_hash: str = Field(max_length=200)
    language: str = Field(default="fr", max_length=2)
    active: bool = True
    session_key: str = Field(
        max_length=32, description="part of every session cookie: changing it logs every session out"
    )
    created_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    last_login_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime(), nullable=True))


class ApiToken(SQLModel, table=True):
    """A token for integrations; only its SHA-256 is stored, its prefix identifies it in lists."""

    id: int | None = Field(default=None, primary_key=True)
    account_id: int = Field(foreign_key="account.id", index=True)
    name: str = Field(max_length=80)
    prefix: str = Field(max_length=16)
    token_hash: str = Field(max_length=64, unique=True)
    created_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    last_used_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime(), nullable=True))
    revoked_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime(), nullable=True))


class LoginFailure(SQLModel, table=True):
    """One failed login for a (login, client address) pair: the rate limiter counts recent ones."""

    __table_args__ = (Index("ix_loginfailure_key_at", "key", "at"),)

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=200, description="lower-cased login and client address")
    at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
