"""Finding 6: the login throttle holds whatever name, address header or account list is tried.

It used to count failures per (login text, address): the e-mail and the handle of one account
were two counters, uvicorn believed any X-Forwarded-For from loopback (a local reverse proxy's
clients could give a new address each try), and one address could try one password on every
account. Now failures are counted per account, whatever login text names it, and per client
address (the peer, unless it is one of PATHWAYS_TRUSTED_PROXIES).
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import httpx
import httpx2
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select, update

from builders import make_org, make_person
from mailcatch import free_port
from pathways.bootstrap import App
from pathways.errors import FieldError
from pathways.services.people import accounts, signin
from pathways.services.tx import write
from pathways.store.core import FAILURE
from pathways.web import create_app
from security.attack import attacked
from security.webdesk import PASSWORD, Desk, csrf_of, officer_desk
from threads import on_threads

WRONG = "not the password!"
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def desk(app: App) -> Iterator[Desk]:
    with officer_desk(app, "DLA Gand") as opened:
        yield opened


def attempt(
    client: TestClient | httpx.Client, login: str, password: str, **headers: str
) -> httpx2.Response | httpx.Response:  # TestClient's (Starlette >= 1.0) or httpx's
    form = {"login": login, "password": password, "csrf_token": csrf_of(client.get("/login").text)}
    return client.post("/login", data=form, headers=headers)


def failures(app: App) -> list[tuple[str, str]]:
    with app.store.read() as conn:
        return [tuple(row) for row in conn.execute(select(FAILURE.c.subject, FAILURE.c.client))]


def test_failures_by_email_and_handle_add_up_and_lock_the_account_even_to_the_right_password(
    desk: Desk,
) -> None:
    names = [
        "camille@example.org",
        "camille-martin",
        "CAMILLE@Example.org",
        "Camille-Martin",
        " camille-martin ",
    ]
    assert [attempt(desk.client, name, WRONG).status_code for name in names] == [401] * 5

    locked = attempt(desk.client, "camille-martin", PASSWORD, **{"accept-language": "fr"})

    assert locked.status_code == 429
    assert 840 <= int(locked.headers["retry-after"]) <= 900
    assert "Trop de tentatives échouées pour ce compte : réessayez dans 15 min." in locked.text
    assert "/cases" not in locked.headers.get("location", "")
    assert attempt(desk.client, "camille@example.org", PASSWORD).status_code == 429
    # Once the oldest failure has left the 15-minute window, the right password opens again.
    with write(desk.app) as tx:
        for id_, at in tx.conn.execute(select(FAILURE.c.id, FAILURE.c.at)).all():
            tx.conn.execute(update(FAILURE).where(FAILURE.c.id == id_).values(at=at - timedelta(minutes=15)))
    assert attempt(desk.client, "camille@example.org", PASSWORD).status_code == 303
    assert failures(desk.app) == []  # a success clears the account's failures
    attacked(
        "password guessing alternating the account's e-mail (any case) and handle",
        tried=7,
        detail="5 failures lock it: 429 + Retry-After even to the right password until the window passes",
    )


def test_parallel_guesses_do_not_slip_under_the_limit(desk: Desk) -> None:
    statuses: list[int] = []
    form = {
        "login": "camille-martin",
        "password": WRONG,
        "csrf_token": csrf_of(desk.client.get("/login").text),
    }
    errors = on_threads(lambda: statuses.append(desk.client.post("/login", data=form).status_code), [()] * 12)
    assert errors == []
    assert sorted(statuses) == [401] * 5 + [429] * 7
    assert len(failures(desk.app)) == 5
    attacked(
        "12 password guesses on one account at once", tried=12, detail="5 counted (401), 7 refused (429)"
    )


def test_spraying_one_password_over_many_accounts_hits_the_address_cap(desk: Desk) -> None:
    known = [make_person(desk.app, desk.org, email=f"staff{i}@example.org") for i in range(5)]
    with write(desk.app) as tx:
        for person in known:
            accounts.add_user(tx, person=person, password=PASSWORD)
    names = [f"staff{i}@example.org" for i in range(5)] + [f"nobody{i}@example.org" for i in range(20)]

    statuses = [attempt(desk.client, name, WRONG).status_code for name in names]

    assert statuses == [401] * signin.MAX_FAILURES_PER_CLIENT + [429] * 5
    refused = attempt(desk.client, "camille@example.org", PASSWORD, **{"accept-language": "en"})
    assert refused.status_code == 429  # the address, not the account: even the right password waits
    assert "Too many failed logins from your network" in refused.text
    assert int(refused.headers["retry-after"]) > 0
    with TestClient(create_app(desk.app), follow_redirects=False, client=("198.51.100.20", 443)) as elsewhere:
        assert attempt(elsewhere, "camille@example.org", PASSWORD).status_code == 303
    assert len(failures(desk.app)) == signin.MAX_FAILURES_PER_CLIENT  # refused attempts are not counted
    attacked(
        "one password sprayed over 25 accounts (known and unknown) from one address",
        tried=25,
        detail="the address answers 429 after 20 failures in 15 minutes; other addresses are not held",
    )


def test_x_forwarded_for_is_believed_only_from_a_trusted_proxy(app: App) -> None:
    org = make_org(app, name="DLA Liège")
    person = make_person(app, org, email="lea@example.org")
    with write(app) as tx:
        accounts.add_user(tx, person=person, password=PASSWORD)
    behind = App(settings=app.settings.model_copy(update={"trusted_proxies": "10.0.0.0/24"}), store=app.store)
    with TestClient(create_app(behind), follow_redirects=False, client=("10.0.0.7", 5000)) as proxy:
        # The proxy appends the address it saw; what the client wrote to the left is not believed.
        for i in range(signin.MAX_FAILURES_PER_CLIENT):
            sent = attempt(
                proxy, f"nobody{i}@example.org", WRONG, **{"x-forwarded-for": f"6.6.6.{i}, 203.0.113.5"}
            )
            assert sent.status_code == 401
        blocked = attempt(proxy, "lea@example.org", PASSWORD, **{"x-forwarded-for": "203.0.113.5"})
        other = attempt(proxy, "lea@example.org", PASSWORD, **{"x-forwarded-for": "203.0.113.6"})
    assert (blocked.status_code, other.status_code) == (429, 303)
    assert {client for _subject, client in failures(app)} == {"203.0.113.5"}
    with TestClient(create_app(behind), follow_redirects=False, client=("198.51.100.9", 5000)) as direct:
        forged = attempt(direct, "nobody@example.org", WRONG, **{"x-forwarded-for": "203.0.113.77"})
    assert forged.status_code == 401
    with app.store.read() as conn:
        last = conn.execute(select(FAILURE.c.client).order_by(FAILURE.c.id.desc()).limit(1)).scalar_one()
    assert last == "198.51.100.9"  # not a trusted proxy: its header is ignored
    with pytest.raises(FieldError, match="trusted_proxies"):
        signin.trusted_networks("10.0.0.0/24, proxy.internal")
    attacked(
        "X-Forwarded-For forged by a client, directly and behind a trusted proxy",
        tried=22,
        detail="believed only from PATHWAYS_TRUSTED_PROXIES, and only the hop the proxy appended",
    )


@pytest.fixture
def server(app: App) -> Iterator[str]:
    """`pathways serve` on the test's database, as an operator starts it (no trusted proxy)."""
    port = free_port()
    env = {
        **os.environ,
        "PATHWAYS_DATABASE_URL": app.store.engine.url.render_as_string(hide_password=False),
        "PATHWAYS_ENVIRONMENT": "test",
        "PATHWAYS_CONFIG_DIR": str(ROOT / "config"),
        "PATHWAYS_TRUSTED_PROXIES": "",
    }
    env.pop("FORWARDED_ALLOW_IPS", None)
    command = [sys.executable, "-m", "pathways", "serve", "--host", "127.0.0.1", "--port", str(port)]
    quiet = subprocess.DEVNULL
    process = subprocess.Popen(command, env=env, cwd=ROOT, stdout=quiet, stderr=quiet)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{url}/login", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                if time.monotonic() > deadline or process.poll() is not None:
                    pytest.fail("`pathways serve` did not start")
                time.sleep(0.2)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=20)


def test_rotating_x_forwarded_for_through_the_real_server_does_not_reset_the_count(
    app: App, server: str
) -> None:
    org = make_org(app, name="DLA Namur")
    person = make_person(app, org, email="nora@example.org")
    with write(app) as tx:
        accounts.add_user(tx, person=person, password=PASSWORD)
    with httpx.Client(base_url=server, follow_redirects=False) as client:
        statuses = [
            attempt(client, "nora@example.org", WRONG, **{"x-forwarded-for": f"198.51.100.{i}"}).status_code
            for i in range(5)
        ]
        last = attempt(client, "nora@example.org", PASSWORD, **{"x-forwarded-for": "198.51.100.99"})
    assert statuses == [401] * 5
    assert last.status_code == 429
    with app.store.read() as conn:
        clients = set(conn.execute(select(FAILURE.c.client)).scalars())
        count = conn.execute(select(func.count()).select_from(FAILURE)).scalar_one()
    assert (clients, count) == ({"127.0.0.1"}, 5)  # the socket's peer, never the header
    attacked(
        "X-Forwarded-For rotated on every guess, through `pathways serve` from loopback",
        tried=6,
        detail="the header is ignored without PATHWAYS_TRUSTED_PROXIES: 5 failures, then 429",
    )
