"""Finding 5: a session ends on the server, not only in the browser.

A copy of the session cookie (a shared computer, a proxy log, a stolen laptop) used to work for
12 h whatever happened: logging out only deleted the browser's copy. Now the cookie names a
server-side session, and logging out, a password reset, a role change or a disabled account
(the last three through the operator's `pathways user ...` commands) ends it: the copied cookie
gets the login page on a GET and changes nothing on a POST.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from typer.testing import CliRunner

from pathways.bootstrap import App
from pathways.cli import app as cli
from pathways.services.people import accounts
from pathways.store.core import ACCOUNT, SESSION
from pathways.web import create_app
from pathways.web.session import COOKIE
from security.attack import attacked
from security.webdesk import PASSWORD, Desk, csrf_of, officer_desk


@pytest.fixture
def desk(app: App) -> Iterator[Desk]:
    with officer_desk(app, "DLA Lyon") as opened:
        yield opened


def log_in(client: TestClient) -> tuple[str, str]:
    """Log in; the session cookie and the CSRF token of the pages, as a thief would copy them."""
    form = {
        "login": "camille@example.org",
        "password": PASSWORD,
        "csrf_token": csrf_of(client.get("/login").text),
    }
    assert client.post("/login", data=form).status_code == 303
    page = client.get("/cases")
    assert page.status_code == 200
    return client.cookies[COOKIE], csrf_of(page.text)


def replay(app: App, cookie: str, csrf: str) -> tuple[int, str, int, str]:
    """A GET and a POST (switch the account to English) with a copied cookie, from another client."""
    with TestClient(create_app(app), follow_redirects=False) as thief:
        thief.cookies.set(COOKIE, cookie)
        got = thief.get("/cases")
        posted = thief.post("/language", data={"csrf_token": csrf, "lang": "en", "next": "/cases"})
    where = got.headers.get("location", ""), posted.headers.get("location", "")
    return got.status_code, where[0], posted.status_code, where[1]


def works(app: App, cookie: str) -> bool:
    """Whether a copied cookie still opens the case list."""
    with TestClient(create_app(app), follow_redirects=False) as thief:
        thief.cookies.set(COOKIE, cookie)
        return thief.get("/cases").status_code == 200


def language_of(app: App, person: int) -> str:
    with app.store.read() as conn:
        return str(conn.execute(select(ACCOUNT.c.language).where(ACCOUNT.c.person_id == person)).scalar_one())


def ended_sessions(app: App) -> list[str]:
    """Why each ended session ended."""
    with app.store.read() as conn:
        query = select(SESSION.c.ended_why).where(SESSION.c.ended_at.is_not(None))
        return [str(why) for why in conn.execute(query).scalars()]


def pathways(app: App, *args: str, stdin: str | None = None) -> None:
    """Run a `pathways` command on the test's database, as the operator would."""
    url = app.store.engine.url.render_as_string(hide_password=False)
    env = {"PATHWAYS_DATABASE_URL": url, "PATHWAYS_ENVIRONMENT": "test", "PATHWAYS_CONFIG_DIR": "config"}
    result = CliRunner().invoke(cli, list(args), input=stdin, env=env)
    assert result.exit_code == 0, (result.output, result.exception)


def test_after_logout_the_copied_cookie_is_refused_on_get_and_post(desk: Desk) -> None:
    cookie, csrf = log_in(desk.client)
    assert works(desk.app, cookie)  # the copy works while the session lives
    with TestClient(create_app(desk.app), follow_redirects=False) as other_browser:
        other_cookie, _csrf = log_in(other_browser)

    logout = desk.client.post("/logout", data={"csrf_token": csrf})
    assert (logout.status_code, logout.headers["location"]) == (303, "/login")

    assert replay(desk.app, cookie, csrf) == (303, "/login?next=/cases", 303, "/login?next=/language")
    assert language_of(desk.app, desk.officer) == "fr"  # the POST changed nothing
    ended = ended_sessions(desk.app)
    assert ended == ["logout"]
    # Logging out ends this browser's session only: the person's other browser still works.
    assert works(desk.app, other_cookie)
    attacked(
        "a session cookie copied before logout, replayed after it",
        tried=2,
        detail="GET and POST: 303 to /login, account unchanged; the person's other browser still works",
    )


@pytest.mark.parametrize(
    ("change", "command"),
    [
        ("password reset", ("user", "add", "camille@example.org", "--password-stdin")),
        ("role change", ("user", "role", "camille@example.org", "auditor", "--org", "DLA Lyon")),
        ("account disabled", ("user", "disable", "camille@example.org")),
    ],
)
def test_a_password_reset_role_change_or_disabled_account_ends_every_session(
    desk: Desk, change: str, command: tuple[str, ...]
) -> None:
    sessions = [log_in(desk.client)]
    with TestClient(create_app(desk.app), follow_redirects=False) as other_browser:
        sessions.append(log_in(other_browser))
    assert all(works(desk.app, cookie) for cookie, _csrf in sessions)

    pathways(desk.app, *command, stdin=f"{PASSWORD}!\n")

    for cookie, csrf in sessions:
        assert replay(desk.app, cookie, csrf) == (303, "/login?next=/cases", 303, "/login?next=/language")
    assert language_of(desk.app, desk.officer) == "fr"
    ended = ended_sessions(desk.app)
    why = {"password reset": "password", "role change": "role", "account disabled": "disabled"}[change]
    assert ended == [why, why]
    with desk.app.store.read() as conn:  # and the change itself was made
        principal = accounts.load_principal(conn, conn.execute(select(ACCOUNT.c.id)).scalar_one())
    roles = {"role change": {desk.org: frozenset({"auditor"})}, "account disabled": None}
    assert (principal.roles if principal else None) == roles.get(change, {desk.org: frozenset({"officer"})})
    attacked(
        f"session cookies replayed after a {change} (`pathways {' '.join(command[:2])}`)",
        tried=2 * len(sessions),
        detail="both browsers' sessions ended: GET 303 to /login, POST 303 to /login, account unchanged",
    )
