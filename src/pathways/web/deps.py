"""FastAPI dependencies: the application, who is asking (token or session), CSRF.

Routes declare ``user: ApiUser`` (bearer token, for /api/v1) or ``user: PageUser``
(session cookie, for pages); what that user may see is then decided in one place,
:class:`pathways.web.scope.Scope`.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from pathways.bootstrap import App
from pathways.services import accounts
from pathways.services.accounts import Principal, Unauthenticated
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


def api_principal(
    app: AppDep, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]
) -> Principal:
    """The account of the request's bearer token; 401 without a valid one."""
    if credentials is None:
        raise Unauthenticated("an API token is needed", hint="send `Authorization: Bearer <token>`")
    with app.store.read() as conn:
        principal = accounts.principal_for_token(conn, credentials.credentials)
    if principal is None:
        raise Unauthenticated("unknown or revoked API token", hint="create one with `pathways token create`")
    return principal


ApiUser = Annotated[Principal, Depends(api_principal)]


async def get_session(request: Request, app: AppDep) -> Session:
    """The request's session (a new anonymous one when there is none); no I/O, hence ``async``."""
    return read_session(request, app.settings.secret_key)


SessionDep = Annotated[Session, Depends(get_session)]


def page_principal(request: Request, app: AppDep, session: SessionDep) -> Principal:
    """The logged-in account of a page request; a redirect to the login page otherwise."""
    if session.account_id is None:
        raise LoginRequired
    with app.store.read() as conn:
        principal = accounts.load_principal(conn, session.account_id, session_key=session.key)
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
