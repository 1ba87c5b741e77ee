"""Web accounts: who may log in, their API tokens, browser sessions and recent failed logins.

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
        max_length=32, description="changed with the password; sessions themselves are rows of websession"
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


class WebSession(SQLModel, table=True):
    """A logged-in browser: the cookie carries a random id, only its SHA-256 is stored.

    A page request is served only while its row is live (not ended, not expired, the account
    active); logging out ends the row, a password reset, role change or disabled account ends
    every row of the account.
    """

    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(max_length=64, unique=True)
    account_id: int = Field(foreign_key="account.id", index=True)
    created_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    expires_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    ended_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime(), nullable=True))
    ended_why: str | None = Field(default=None, max_length=20, description="logout, password, role, disabled")


class LoginFailure(SQLModel, table=True):
    """One failed login: the rate limiter counts recent ones per account and per client address.

    `subject` is ``account:<id>`` for a known account, whatever login text named it (handle
    or email); for an unknown login it is a keyed digest of that text, so no typed address
    is kept and an unknown login locks like a known one (no hint that an account exists).
    """

    __table_args__ = (
        Index("ix_loginfailure_subject_at", "subject", "at"),
        Index("ix_loginfailure_client_at", "client", "at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    subject: str = Field(max_length=80)
    client: str = Field(max_length=64, description="the client's address (see PATHWAYS_TRUSTED_PROXIES)")
    at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
