"""The session cookie and its CSRF token.

The cookie is signed and timestamped (itsdangerous, keyed with the settings'
secret key). After a login it holds the id of a server-side session
(:mod:`pathways.services.people.websessions`: the database keeps its hash, and a page is served
only while that row is live, so logging out ends it on the server, not only in the
browser), and always a random CSRF token that every form posts back (session-bound
tokens). Anonymous visitors get one too, so the login form and the project owners'
buttons are protected the same way.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from typing import Final

from itsdangerous import BadSignature, URLSafeTimedSerializer
from starlette.requests import Request
from starlette.responses import Response

from pathways.services.people.websessions import LIFETIME

COOKIE: Final = "pathways_session"
MAX_AGE: Final = int(LIFETIME.total_seconds())
CSRF_FIELD: Final = "csrf_token"
_SALT: Final = "pathways.session"


@dataclass
class Session:
    """What the cookie says; `dirty` when the response must (re)set it."""

    session_id: str | None  # the server-side session's id; None before a login
    csrf: str
    dirty: bool = field(default=False, compare=False)

    @classmethod
    def anonymous(cls) -> Session:
        """A new session for a visitor who has not logged in."""
        return cls(None, secrets.token_urlsafe(24), dirty=True)

    @classmethod
    def logged_in(cls, session_id: str) -> Session:
        """The cookie of a new server-side session after a login: a fresh CSRF token too."""
        return cls(session_id, secrets.token_urlsafe(24), dirty=True)

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
            session_id = data.get("s")
            session = Session(session_id if isinstance(session_id, str) else None, str(data["c"]))
        except (BadSignature, KeyError, TypeError, AttributeError):
            pass
    request.state.session = session
    return session


def write_session(response: Response, session: Session, *, secret: str, secure: bool) -> None:
    """Set the cookie: HttpOnly, SameSite=Lax, Secure behind HTTPS."""
    value = _serializer(secret).dumps({"s": session.session_id, "c": session.csrf})
    response.set_cookie(
        COOKIE, value, max_age=MAX_AGE, httponly=True, samesite="lax", secure=secure, path="/"
    )


def clear_session(response: Response, *, secure: bool) -> None:
    """Remove the cookie (logout)."""
    response.delete_cookie(COOKIE, path="/", httponly=True, samesite="lax", secure=secure)
