"""Finding 4: channels could make the dispatcher send requests anywhere (SSRF).

A channel is an Apprise URL an officer types; only ``://`` was checked. So
``json://169.254.169.254/…`` made the dispatcher POST every message to that person (an
owner's signed link included) to a cloud metadata service, and ``mailto://…?smtp=127.0.0.1``
talked to whatever listened on the server. Now a channel whose host is, or resolves to, a
loopback, private, link-local, multicast, unspecified or otherwise non-public address is
refused when it is entered (CLI exit 2, API 422) and again before each send, resolved afresh
(nothing is sent, the attempt says why, the message is dead-lettered for a manager), unless
``PATHWAYS_CHANNEL_ALLOW`` names the host, host:port or network.
"""

from __future__ import annotations

import http.server
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import ClassVar

import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError
from sqlalchemy import func, select, update

import pathways
from builders import make_org, make_person, make_project, open_diagnosis
from mailcatch import smtp_server
from pathways.bootstrap import App
from pathways.services.casework.sweep import sweep
from pathways.services.messaging.dispatch import dispatch
from pathways.services.messaging.outbox import attempts_of, retry_message
from pathways.services.people import accounts
from pathways.services.tx import write
from pathways.settings import load_settings
from pathways.store.core import JOB, ORG, PERSON
from pathways.web import create_app
from security.attack import attacked

ROOT = Path(__file__).resolve().parents[2]
OWNER_REMINDER = datetime(2026, 7, 16, 7, 30, tzinfo=UTC)  # intake opened 8 July: owner reminded 16 July

# Each channel, and what the refusal names (the host as written, never a user or password).
INTERNAL = {
    "json://169.254.169.254/latest/meta-data": "169.254.169.254",  # a cloud's metadata service
    "json://127.0.0.1:8080/hook": "127.0.0.1",
    "json://localhost/hook": "localhost (127.0.0.1)",
    "json://[::1]/hook": "::1",
    "jsons://user:secret@10.0.0.7/hook": "10.0.0.7",
    "json://192.168.1.10/hook": "192.168.1.10",
    "json://0.0.0.0:9/": "0.0.0.0",
    "json://2130706433/": "2130706433 (127.0.0.1)",  # decimal
    "json://0x7f.1/": "0x7f.1 (127.0.0.1)",  # hex, short form
    "json://017700000001/": "017700000001 (127.0.0.1)",  # octal
    "json://[::ffff:127.0.0.1]/": "::ffff:127.0.0.1",  # IPv4-mapped IPv6
    "json://224.0.0.1/": "224.0.0.1",  # multicast
    "ntfy://100.100.100.200/topic": "100.100.100.200",  # shared address space (a cloud's metadata)
    "mailto://lea@example.org?smtp=127.0.0.1": "127.0.0.1",  # the SMTP server Apprise talks to
    "mailto://127.0.0.1:1025?from=a@example.org&to=lea@example.org&mode=insecure": "127.0.0.1",
    "json://example.org/hook?redirect=yes": "redirect=yes",  # a public host could redirect inward
    "syslog://": "notifies the server itself",
    "windows://": "notifies the server itself",
}
PUBLIC = ("mailto://lea@example.org", "json://8.8.8.8/hook", "slack://T1/B2/C3", "ntfy://ntfy.sh/lea")


@dataclass(frozen=True)
class Desk:
    app: App
    client: TestClient
    token: str
    org: int


@pytest.fixture
def desk(app: App) -> Iterator[Desk]:
    org = make_org(app)
    officer = make_person(app, org, name="Camille Martin", email="camille@example.org")
    with write(app) as tx:
        accounts.add_user(tx, person=officer, password="correct horse battery staple", language="en")
        token = accounts.create_token(tx, person=officer, name="tests").token
    with TestClient(create_app(app)) as client:
        yield Desk(app, client, token, org)


def add_owner(desk: Desk, channel: str) -> tuple[int, str]:
    """POST /api/v1/people: a project owner with this one channel."""
    body = {"name": "Léa Bernard", "org": desk.org, "role": "owner", "channels": [channel]}
    answer = desk.client.post("/api/v1/people", json=body, headers={"Authorization": f"Bearer {desk.token}"})
    return answer.status_code, answer.text


def people(app: App) -> int:
    with app.store.read() as conn:
        return int(conn.scalar(select(func.count()).select_from(PERSON)) or 0)


def test_the_api_refuses_a_channel_to_an_internal_host_in_every_form(desk: Desk) -> None:
    before = people(desk.app)
    for channel, named in INTERNAL.items():
        code, text = add_owner(desk, channel)
        assert code == 422, (channel, text)
        assert "refused" in text, (channel, text)
        assert named in text, (channel, text)
        assert "secret" not in text  # the refusal names the host, not the URL's password
    assert people(desk.app) == before  # nobody added
    for channel in PUBLIC:
        assert add_owner(desk, channel)[0] == 201, channel
    attacked("channel to an internal host entered through the API", tried=len(INTERNAL), detail="HTTP 422")


def test_hosts_allowed_by_the_operator_are_accepted_and_only_those(
    desk: Desk, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATHWAYS_CHANNEL_ALLOW", "127.0.0.1:1025, 10.0.0.0/8, mailpit")
    allowed = (
        "mailto://127.0.0.1:1025?from=a@example.org&to=lea@example.org&mode=insecure",
        "json://10.1.2.3/hook",
        "mailto://mailpit:1025?from=a@example.org&to=lea@example.org&mode=insecure",
    )
    for channel in allowed:
        assert add_owner(desk, channel)[0] == 201, channel
    refused = ("json://127.0.0.1:1026/hook", "json://169.254.169.254/", "json://192.168.1.10/")
    for channel in refused:
        assert add_owner(desk, channel)[0] == 422, channel
    attacked(
        "channel to an internal host the allow-list does not name", tried=len(refused), detail="HTTP 422"
    )


def cli(app: App, *args: str, **env: str) -> subprocess.Popen[str]:
    environment = {
        "PATH": "/usr/bin:/bin",
        "PYTHONPATH": str(Path(pathways.__file__).parents[1]),  # the code this test imported
        "PATHWAYS_DATABASE_URL": app.store.engine.url.render_as_string(hide_password=False),
        "PATHWAYS_AUDIT_KEY": app.audit_key.decode(),
        "PATHWAYS_CONFIG_DIR": str(ROOT / "config"),
        "PATHWAYS_ENVIRONMENT": "test",
        "COLUMNS": "250",
        "NO_COLOR": "1",
        **env,
    }
    argv = [sys.executable, "-m", "pathways", *args]
    return subprocess.Popen(
        argv, cwd=ROOT, env=environment, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def test_the_command_line_refuses_an_internal_channel_with_exit_2_naming_it(app: App) -> None:
    org = make_org(app)
    with app.store.read() as conn:
        slug = conn.scalar(select(ORG.c.slug).where(ORG.c.id == org))
    add = ("person", "add", "Eve Martin", "--org", str(slug), "--role", "owner", "--channel")
    runs = {
        "json://169.254.169.254": cli(app, *add, "json://169.254.169.254/latest/meta-data"),
        "mailto://127.0.0.1:25": cli(app, *add, "mailto://eve@example.org?smtp=127.0.0.1"),
        "PATHWAYS_CHANNEL_ALLOW": cli(
            app, *add, "mailto://eve@example.org", PATHWAYS_CHANNEL_ALLOW="mailpit:smtp"
        ),
    }
    for named, proc in runs.items():
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 2, (named, out, err)
        assert named in " ".join(err.split()), (named, err)
        assert "Traceback" not in err
    with app.store.read() as conn:
        assert conn.scalar(select(func.count()).where(PERSON.c.name == "Eve Martin")) == 0
    with pytest.raises(ValidationError, match="mailpit:smtp"):
        load_settings(channel_allow="mailpit:smtp")
    attacked("channel to an internal host entered on the command line", tried=2, detail="exit 2")


class Hook(http.server.BaseHTTPRequestHandler):
    """A JSON webhook on loopback: counts what it is sent."""

    received: ClassVar[list[bytes]] = []

    def do_POST(self) -> None:
        self.received.append(self.rfile.read(int(self.headers.get("Content-Length") or 0)))
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def hook() -> Iterator[tuple[str, list[bytes]]]:
    received: list[bytes] = []
    handler = type("CountingHook", (Hook,), {"received": received})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield f"json://127.0.0.1:{server.server_address[1]}/hook", received
    server.shutdown()
    server.server_close()
    thread.join(timeout=10)


def test_a_channel_changed_in_the_database_to_loopback_is_not_sent_to_until_allowed(
    app: App, hook: tuple[str, list[bytes]]
) -> None:
    hook_url, posted = hook
    org = make_org(app)
    officer = make_person(app, org, name="Camille Martin")
    owner = make_person(app, org, role="owner", name="Léa Bernard", channels=("mailto://lea@example.org",))
    open_diagnosis(app, make_project(app, org, owner=owner), officer)
    with smtp_server() as mailbox:
        channels = [mailbox.url("lea@example.org"), hook_url]
        with app.store.write() as conn:  # past every entry check: straight into the row
            conn.execute(update(PERSON).where(PERSON.c.id == owner).values(channels=channels))
        assert sweep(app, now=OWNER_REMINDER).messages == 1
        result = dispatch(app, now=datetime.now(UTC))
        assert (result.sent, result.dead) == (0, 1)
        assert mailbox.messages == []
        assert posted == []
        with app.store.read() as conn:
            job = conn.execute(select(JOB).where(JOB.c.kind == "message")).mappings().one()
            attempts = attempts_of(conn, job["id"])
        assert job["status"] == "dead"  # at once: retrying cannot help, a manager must fix the address
        assert [a.outcome for a in attempts] == ["failed", "failed"]
        for attempt in attempts:
            assert (attempt.reason or "").startswith("refused: ")
            assert "127.0.0.1" in (attempt.reason or "")
            assert "loopback" in (attempt.reason or "")
        assert "refused" in job["last_error"]

        # The operator allows the local catcher; the manager retries the message: it goes out.
        allowing = App(
            settings=load_settings(config_dir=ROOT / "config", environment="test", channel_allow="127.0.0.1"),
            store=app.store,
            clock=app.clock,
        )
        retry_message(allowing, int(job["id"]))
        assert dispatch(allowing, now=datetime.now(UTC)).sent == 1
        mailbox.wait_for(1)
    assert len(posted) == 1
    attacked(
        "channel to a loopback server stored in the database, sent by the dispatcher",
        tried=2,
        detail="nothing sent, attempts refused with the reason, message dead-lettered",
    )
