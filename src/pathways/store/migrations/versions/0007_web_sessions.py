"""Server-side web sessions, and failed logins counted per account and per client address.

``websession``: one row per logged-in browser (the cookie holds a random id, the row its
SHA-256), so logging out, a password reset, a role change or a disabled account ends a
session on the server, not only in the browser. ``loginfailure`` is rebuilt: its rows said
"login text|address" (a typed email in clear, and a limit that a second spelling of the
same account escaped); they now name the account (or a digest of an unknown login) and the
address apart. Its rows live 15 minutes: nothing worth keeping is dropped.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-23
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from pathways.store.types import UTCDateTime

revision: str = "0007"
down_revision: str | Sequence[str] | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "websession",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("expires_at", UTCDateTime(), nullable=False),
        sa.Column("ended_at", UTCDateTime(), nullable=True),
        sa.Column("ended_why", sa.String(length=20), nullable=True),
        sa.ForeignKeyConstraint(["account_id"], ["account.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("token_hash"),
    )
    op.create_index("ix_websession_account_id", "websession", ["account_id"])
    op.drop_table("loginfailure")
    op.create_table(
        "loginfailure",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("subject", sa.String(length=80), nullable=False),
        sa.Column("client", sa.String(length=64), nullable=False),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_loginfailure_subject_at", "loginfailure", ["subject", "at"])
    op.create_index("ix_loginfailure_client_at", "loginfailure", ["client", "at"])


def downgrade() -> None:
    op.drop_table("loginfailure")
    op.create_table(
        "loginfailure",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_loginfailure_key_at", "loginfailure", ["key", "at"])
    op.drop_table("websession")
