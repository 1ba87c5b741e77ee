"""FastAPI dependencies: the application, who is asking (token or session), CSRF.

API routes declare ``caller: Caller`` (the bearer token, looked up in the route's own
transaction: ``with caller.read() as (user, conn)``) or, when they open none themselves,
``user: ApiUser``; pages declare ``user: PageUser`` (session cookie). What that user may see is
then decided in one place, :class:`pathways.web.scope.Scope`.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import Connection

from pathways.bootstrap import App
from pathways.errors import Unauthenticated
from pathways.services.people import accounts
from pathways.services.people.accounts import Principal
from pathways.web.session import CSRF_FIELD, Session, read_session


class LoginRequired(Exception):
    """A page needs a logged-in account: answered with a redirect to the login page."""


class CsrfRefused(Exception):
    """A form came without this session's CSRF token: answered with 403."""


async def get_app(request: Request) -> App:
    """The application the web app was created for.

    ``async`` because it does no I/O: FastAPI then calls it in the event loop, where a plain
    function would cost a round trip through the thread pool on every request.
    """
    app: App = request.app.state.pathways
    return app


AppDep = Annotated[App, Depends(get_app)]

_bearer = HTTPBearer(
    auto_error=False,
    scheme_name="token",
    description="An API token from `pathways token create PERSON`: `Authorization: Bearer pw_...`",
)


@dataclass(frozen=True, slots=True)
class ApiCaller:
    """An API request's bearer token, checked where the route opens its transaction.

    :data:`ApiUser` looks the token up in a transaction of its own, on a thread of its own,
    before the route runs. A read route opens ``caller.read()`` instead and gets the account
    with its transaction: a read request runs one transaction, not two, and no request takes an
    extra trip through the thread pool (bench/RESULTS.md). A change calls a use case with
    ``by=caller.account()``: the token is looked up first, in a read transaction, so the write
    lock (on SQLite one for the whole database) is then held for the change alone. A decision
    looks it up with :meth:`principal` on the connection of ``cases.deciding``. An unknown token
    is refused there, with the same 401, before anything is read or written.
    """

    app: App
    token: str

    def principal(self, conn: Connection) -> Principal:
        """The token's account, looked up on `conn`; 401 for an unknown or revoked token."""
        principal = accounts.principal_for_token(conn, self.token)
        if principal is None:
            raise Unauthenticated(
                "unknown or revoked API token", hint="create one with `pathways token create`"
            )
        return principal

    def account(self) -> Principal:
        """The token's account, looked up in a read transaction of its own."""
        with self.app.store.read() as conn:
            return self.principal(conn)

    @contextmanager
    def read(self) -> Iterator[tuple[Principal, Connection]]:
        """The caller's account and a read transaction (see :meth:`Store.read`)."""
        with self.app.store.read() as conn:
            yield self.principal(conn), conn


async def api_caller(
    app: AppDep, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]
) -> ApiCaller:
    """The request's bearer token, not yet looked up (no I/O, hence ``async``); 401 without one."""
    if credentials is None:
        raise Unauthenticated("an API token is needed", hint="send `Authorization: Bearer <token>`")
    return ApiCaller(app, credentials.credentials)


Caller = Annotated[ApiCaller, Depends(api_caller)]


def api_principal(caller: Caller) -> Principal:
    """The account of the request's bearer token, in a transaction of its own; 401 without one."""
    return caller.account()


ApiUser = Annotated[Principal, Depends(api_principal)]


async def get_session(request: Request, app: AppDep) -> Session:
    """The request's session (a new anonymous one when there is none); no I/O, hence ``async``."""
    return read_session(request, app.settings.secret_key)


SessionDep = Annotated[Session, Depends(get_session)]


def page_principal(request: Request, app: AppDep, session: SessionDep) -> Principal:
    """The account of the request's live server-side session; a redirect to the login page otherwise.

    A logged-out, expired or ended session (password reset, role change, disabled account)
    is refused here, for reads and writes alike: one indexed statement that loads the account.
    """
    if session.session_id is None:
        raise LoginRequired
    with app.store.read() as conn:
        principal = accounts.principal_for_session(conn, session.session_id, now=app.clock.real())
    if principal is None:
        raise LoginRequired
    request.state.principal = principal
    return principal


PageUser = Annotated[Principal, Depends(page_principal)]


async def csrf_protect(request: Request, session: SessionDep) -> None:
    """Refuse a form post that does not carry this session's CSRF token."""
    form = await request.form()
    request.state.form = form
    if not session.csrf_ok(form.get(CSRF_FIELD)):
        raise CsrfRefused


Csrf = Depends(csrf_protect)
