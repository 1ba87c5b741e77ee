"""Server-side web sessions: opened at login, checked on every page, ended on the server.

The browser's cookie (signed, :mod:`pathways.web.session`) carries a random session id; the
database keeps only its SHA-256, in a ``websession`` row. A page is served only while that row
is live: not ended, not expired, its account active
(:func:`pathways.services.people.accounts.principal_for_session`: one indexed statement that also
loads the account and its roles). Logging out ends the row; a password reset, a role change or
a disabled account ends every row of the account (:func:`end_sessions`), so a copied cookie
stops working at once, not when it expires.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta
from typing import TYPE_CHECKING, Final, Literal

from sqlalchemy import delete, update

from pathways.services.tx import Tx, write
from pathways.store.core import SESSION

if TYPE_CHECKING:
    from pathways.bootstrap import App

LIFETIME: Final = timedelta(hours=12)  # from login, whatever the activity (the cookie's max age too)
Why = Literal["logout", "password", "role", "disabled"]


def session_hash(session_id: str) -> str:
    """What is stored of a session id (a long random string: a fast hash is enough)."""
    return hashlib.sha256(session_id.encode()).hexdigest()


def open_session(tx: Tx, account_id: int) -> str:
    """A new session for the account, live for :data:`LIFETIME`; its id, for the cookie only."""
    now = tx.recorded_at
    # The account's expired rows go as it logs in again: the table keeps live sessions, and
    # the account's index finds them.
    tx.conn.execute(delete(SESSION).where(SESSION.c.account_id == account_id, SESSION.c.expires_at <= now))
    session_id = secrets.token_urlsafe(32)
    tx.insert(
        SESSION,
        token_hash=session_hash(session_id),
        account_id=account_id,
        created_at=now,
        expires_at=now + LIFETIME,
    )
    return session_id


def end_session(app: App, session_id: str) -> bool:
    """End one session (logout); False when it had already ended or never existed."""
    with write(app) as tx:
        done = tx.conn.execute(
            update(SESSION)
            .where(SESSION.c.token_hash == session_hash(session_id), SESSION.c.ended_at.is_(None))
            .values(ended_at=tx.recorded_at, ended_why="logout")
        ).rowcount
    return bool(done)


def end_sessions(tx: Tx, account_id: int, *, why: Why) -> int:
    """End every live session of an account, in the caller's transaction; how many there were."""
    return int(
        tx.conn.execute(
            update(SESSION)
            .where(SESSION.c.account_id == account_id, SESSION.c.ended_at.is_(None))
            .values(ended_at=tx.recorded_at, ended_why=why)
        ).rowcount
    )
