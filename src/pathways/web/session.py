"""The session cookie and its CSRF token.

The cookie is signed and timestamped (itsdangerous, keyed with the settings'
secret key). It holds the account id, the account's session key (changing it on
the account ends every session) and a random CSRF token that every form posts
back (session-bound tokens). Anonymous visitors get one too, so the login form
and the project owners' buttons are protected the same way.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from typing import Final

from itsdangerous import BadSignature, URLSafeTimedSerializer
from starlette.requests import Request
from starlette.responses import Response

COOKIE: Final = "pathways_session"
MAX_AGE: Final = 12 * 3600
CSRF_FIELD: Final = "csrf_token"
_SALT: Final = "pathways.session"


@dataclass
class Session:
    """What the cookie says; `dirty` when the response must (re)set it."""

    account_id: int | None
    key: str
    csrf: str
    dirty: bool = field(default=False, compare=False)

    @classmethod
    def anonymous(cls) -> Session:
        """A new session for a visitor who has not logged in."""
        return cls(None, "", secrets.token_urlsafe(24), dirty=True)

    @classmethod
    def for_account(cls, account_id: int, key: str) -> Session:
        """A new session after a login: a fresh CSRF token too."""
        return cls(account_id, key, secrets.token_urlsafe(24), dirty=True)

    def csrf_ok(self, sent: object) -> bool:
        """Whether a form's token is this session's."""
        return isinstance(sent, str) and bool(sent) and secrets.compare_digest(sent, self.csrf)


def _serializer(secret: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret, salt=_SALT)


def read_session(request: Request, secret: str) -> Session:
    """The request's session; a new anonymous one when the cookie is missing, forged or too old."""
    cached = getattr(request.state, "session", None)
    if isinstance(cached, Session):
        return cached
    session = Session.anonymous()
    raw = request.cookies.get(COOKIE)
    if raw:
        try:
            data = _serializer(secret).loads(raw, max_age=MAX_AGE)
            account = data.get("a")
            session = Session(
                account if isinstance(account, int) else None, str(data.get("k", "")), str(data["c"])
            )
        except (BadSignature, KeyError, TypeError, AttributeError):
            pass
    request.state.session = session
    return session


def write_session(response: Response, session: Session, *, secret: str, secure: bool) -> None:
    """Set the cookie: HttpOnly, SameSite=Lax, Secure behind HTTPS."""
    value = _serializer(secret).dumps({"a": session.account_id, "k": session.key, "c": session.csrf})
    response.set_cookie(
        COOKIE, value, max_age=MAX_AGE, httponly=True, samesite="lax", secure=secure, path="/"
    )


def clear_session(response: Response, *, secure: bool) -> None:
    """Remove the cookie (logout)."""
    response.delete_cookie(COOKIE, path="/", httponly=True, samesite="lax", secure=secure)
