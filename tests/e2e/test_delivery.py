"""Messages delivered for real: an SMTP server (aiosmtpd) and a JSON webhook receiver on loopback.

The dispatcher renders each message in its recipient's language and sends it through
Apprise; these tests read what the servers actually received.
"""

from __future__ import annotations

import asyncio
import email
import email.policy
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import pytest
import typer
from aiosmtpd.controller import Controller
from sqlalchemy import insert, select, update
from typer.testing import CliRunner

from loopback import loopback_channels
from pathways.bootstrap import App, Clock
from pathways.domain.loader import PathwayCatalog, load_pathway_dir
from pathways.errors import Refused
from pathways.services.casework import cases, opening
from pathways.services.casework.sweep import sweep
from pathways.services.casework.views import OpenedCase
from pathways.services.messaging.dispatch import dispatch
from pathways.services.messaging.lease import LEASE, MAX_ATTEMPTS
from pathways.services.messaging.outbox import attempts_of, list_messages, retry_message
from pathways.services.people import directory, ownerlinks
from pathways.services.tx import write
from pathways.settings import load_settings
from pathways.store.core import ATTEMPT, JOB, PERSON
from pathways.store.db import Store

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
PARIS = ZoneInfo("Europe/Paris")
T0 = datetime(2026, 7, 8, 8, 0, tzinfo=UTC)  # Wednesday 8 July 2026, 10:00 in Paris
INTAKE_OWNER_REMINDER = datetime(2026, 7, 16, 7, 30, tzinfo=UTC)  # diagnosis intake: owner reminded 16 July
EVERYTHING_DUE = datetime(2026, 8, 31, 7, 30, tzinfo=UTC)


@pytest.fixture(autouse=True, scope="module")
def _loopback_channels() -> Iterator[None]:
    """These tests deliver to servers on 127.0.0.1: allowed as an operator would (PATHWAYS_CHANNEL_ALLOW)."""
    with loopback_channels():
        yield


# --- the servers ----------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Mailbox:
    """An aiosmtpd handler that keeps every message it is given (optionally slow to answer)."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.delay = 0.0

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        parsed = email.message_from_bytes(envelope.content, policy=email.policy.default)
        assert isinstance(parsed, EmailMessage)
        self.messages.append(parsed)
        if self.delay:
            await asyncio.sleep(self.delay)  # the message is in; the sender still waits for "250"
        return "250 OK"

    def to(self, address: str) -> list[EmailMessage]:
        return [m for m in self.messages if m["To"] == address]

    def wait_for(self, count: int, timeout: float = 10) -> None:
        deadline = time.monotonic() + timeout
        while len(self.messages) < count:
            assert time.monotonic() < deadline, f"{len(self.messages)} of {count} messages arrived"
            time.sleep(0.01)


class SMTPServer:
    def __init__(self, port: int) -> None:
        self.port = port
        self.mailbox = Mailbox()
        self.controller: Controller | None = None

    def start(self) -> None:
        self.controller = Controller(self.mailbox, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    def url(self, to: str) -> str:
        """Apprise's URL for this server: plain SMTP on loopback, no TLS, no login."""
        return f"mailto://127.0.0.1:{self.port}?from=pathways@example.org&to={to}&mode=insecure"


@pytest.fixture
def smtp() -> Iterator[SMTPServer]:
    server = SMTPServer(free_port())
    server.start()
    yield server
    server.stop()


class Webhook:
    """A local HTTP server keeping every JSON body POSTed to it."""

    def __init__(self) -> None:
        self.received: list[dict[str, Any]] = []
        received = self.received

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", 0))
                received.append({"path": self.path, **json.loads(self.rfile.read(length))})
                self.send_response(200)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def url(self, path: str = "hook") -> str:
        return f"json://127.0.0.1:{self.port}/{path}"


@pytest.fixture
def webhook() -> Iterator[Webhook]:
    hook = Webhook()
    hook.thread.start()
    yield hook
    hook.server.shutdown()
    hook.server.server_close()


# --- the application --------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def catalog() -> PathwayCatalog:
    return load_pathway_dir(ROOT / "config" / "pathways", templates=ROOT / "config" / "templates")


def make_app(store: Store, catalog: PathwayCatalog) -> App:
    settings = load_settings(config_dir=ROOT / "config", environment="test")
    app = App(settings=settings, store=store, clock=Clock(T0))
    app.__dict__["catalog"] = catalog  # App.catalog is a cached_property: this is its cache
    return app


@pytest.fixture
def app(sqlite_store: Store, catalog: PathwayCatalog) -> App:
    return make_app(sqlite_store, catalog)


def add_person(tx: Any, org: int, name: str, role: str, lang: str | None, channels: list[str]) -> int:
    handle = directory.slugify(name)
    return directory.add_person(
        tx, name=name, org=org, role=role, email=f"{handle}@example.org", language=lang, channels=channels
    ).id


def diagnosis_case(app: App, tx: Any, org: int, officer: int, owner: int) -> OpenedCase:
    project = directory.add_project(
        tx, name=f"Recyclerie {owner}", org=org, owner=owner, siret=None, bce=None, territory=None,
        phase="founded", legal_form="association", permanent_jobs=3,
    )  # fmt: skip
    return opening.open_case(tx, app.catalog, project=project.id, pathway="diagnosis", officer=officer)


def plain_text(mail: EmailMessage) -> str:
    part = mail.get_body(preferencelist=("plain",))
    assert isinstance(part, EmailMessage)
    return str(part.get_content())


def attempts(app: App, job_id: int) -> list[tuple[str, str | None]]:
    with app.store.read() as conn:
        return [(a.outcome, a.reason) for a in attempts_of(conn, job_id)]


def job_rows(app: App) -> list[dict[str, Any]]:
    with app.store.read() as conn:
        query = select(JOB).where(JOB.c.kind.in_(("message", "digest"))).order_by(JOB.c.id)
        return [dict(r) for r in conn.execute(query).mappings()]


# --- delivery -------------------------------------------------------------------------------------


def test_reminders_escalations_and_digest_arrive_in_each_language(
    app: App, smtp: SMTPServer, webhook: Webhook
) -> None:
    with write(app, at=T0) as tx:
        org = directory.add_org(tx, name="DLA de Paris", territory="FR-75", language="fr").id
        officer = add_person(tx, org, "Camille Martin", "officer", "fr", [smtp.url("camille@example.org")])
        owner = add_person(tx, org, "Fien Peeters", "owner", "nl", [smtp.url("fien@example.org")])
        add_person(tx, org, "Hugo Dubois", "manager", None, [webhook.url()])  # no language: the org's (fr)
        tx.conn.execute(update(PERSON).where(PERSON.c.id != officer).values(digest=False))
        first = diagnosis_case(app, tx, org, officer, owner)
        second = diagnosis_case(app, tx, org, officer, owner)

    sweep(app, now=EVERYTHING_DUE)
    result = dispatch(app)

    assert (result.sent, result.failed, result.dead) == (5, 0, 0)  # 2 owner, 2 manager, 1 digest
    owner_mail = smtp.mailbox.to("fien@example.org")
    assert len(owner_mail) == 2
    by_ref = {first.ref: first.id, second.ref: second.id}
    for mail in owner_mail:  # Dutch, the intake_documents template, with the owner's own link
        assert mail["Subject"].startswith("Recyclerie ")
        assert "documenten nodig voor uw onthaal" in mail["Subject"]
        text = plain_text(mail)
        assert text.startswith("Beste Fien Peeters,")
        assert "donderdag 30 juli 2026" in text
        assert "Open uw dossier met uw persoonlijke link:" in text
        assert "/cases/" not in text  # the staff page is not theirs
        [link] = [line.strip() for line in text.splitlines() if "/o/" in line]  # the URL alone on its line
        assert link.startswith(f"{app.settings.base_url.rstrip('/')}/o/")
        assert (urlsplit(link).scheme, urlsplit(link).netloc) == ("http", "127.0.0.1:8000")  # absolute
        claim = ownerlinks.read_owner_link(app, link.rsplit("/o/", 1)[1])  # signed for this case and person
        [ref] = [r for r in by_ref if r in mail["Subject"]]
        assert (claim.case_id, claim.person_id) == (by_ref[ref], owner)
        assert claim.expires > datetime.now(UTC) + timedelta(days=13)
        html = mail.get_body(preferencelist=("html",))
        assert isinstance(html, EmailMessage)
        assert f'<a href="{link}">' in str(html.get_content())
    [digest] = smtp.mailbox.to("camille@example.org")  # one daily digest for the officer, in French
    # One line per case: its reminder and escalation are both due, the escalation says it.
    assert digest["Subject"] == "Vos dossiers du lundi 31 août 2026 : 2 en retard, 0 à échéance proche"
    digest_text = plain_text(digest)
    assert digest_text.count(f"/cases/{first.ref}") == 1
    assert digest_text.count(f"/cases/{second.ref}") == 1
    assert "32 jours de retard" in digest_text  # the intake was due 30 July
    assert len(webhook.received) == 2  # the manager's escalations, in French, on the webhook
    for hook in webhook.received:
        assert hook["path"] == "/hook"
        assert hook["title"].startswith("En retard : Accueil et orientation")
        assert "Bonjour Hugo Dubois," in hook["message"]
        assert "devait être terminée le jeudi 30 juillet 2026" in hook["message"]
    assert {j["status"] for j in job_rows(app)} == {"done"}
    assert dispatch(app).claimed == 0  # nothing sent twice


def test_a_refusing_smtp_server_is_retried_until_it_comes_back(app: App) -> None:
    server = SMTPServer(free_port())  # not started yet: connections are refused
    with write(app, at=T0) as tx:
        org = directory.add_org(tx, name="DLA de Paris", territory="FR-75").id
        officer = add_person(tx, org, "Camille Martin", "officer", "fr", [])
        owner = add_person(tx, org, "Léa Bernard", "owner", "fr", [server.url("lea@example.org")])
        diagnosis_case(app, tx, org, officer, owner)
    sweep(app, now=INTAKE_OWNER_REMINDER)
    t = datetime.now(UTC)

    first = dispatch(app, now=t)
    too_early = dispatch(app, now=t + timedelta(seconds=30))
    second = dispatch(app, now=t + timedelta(minutes=1))

    assert (first.failed, too_early.claimed, second.failed) == (1, 0, 1)
    [job] = job_rows(app)
    assert job["status"] == "failed"
    assert job["attempts"] == 2
    assert job["next_attempt_at"] == t + timedelta(minutes=1) + timedelta(minutes=2)  # backoff doubles
    assert "Connection refused" in (job["last_error"] or "")
    assert [o for o, _ in attempts(app, job["id"])] == ["failed", "failed"]
    assert all("Connection refused" in (r or "") for _, r in attempts(app, job["id"]))

    server.start()
    try:
        third = dispatch(app, now=t + timedelta(minutes=3))
        [mail] = server.mailbox.to("lea@example.org")
    finally:
        server.stop()
    assert third.sent == 1
    assert "Bonjour Léa Bernard," in plain_text(mail)
    assert [o for o, _ in attempts(app, job["id"])] == ["failed", "failed", "sent"]
    assert job_rows(app)[0]["status"] == "done"


def test_after_the_last_retry_a_message_is_dead_lettered_until_retried_by_hand(app: App) -> None:
    server = SMTPServer(free_port())
    with write(app, at=T0) as tx:
        org = directory.add_org(tx, name="DLA de Paris", territory="FR-75").id
        officer = add_person(tx, org, "Camille Martin", "officer", "fr", [])
        owner = add_person(tx, org, "Léa Bernard", "owner", None, [server.url("lea@example.org")])
        diagnosis_case(app, tx, org, officer, owner)
    sweep(app, now=INTAKE_OWNER_REMINDER)
    at = datetime.now(UTC)
    for _ in range(MAX_ATTEMPTS):
        dispatch(app, now=at)
        at += timedelta(days=1)

    [job] = job_rows(app)
    assert job["status"] == "dead"
    assert len(attempts(app, job["id"])) == MAX_ATTEMPTS
    assert dispatch(app, now=at + timedelta(days=30)).claimed == 0  # dead: never tried again by itself
    with app.store.read() as conn:
        assert [m.id for m in list_messages(conn, failed=True)] == [job["id"]]

    server.start()
    try:
        retry_message(app, job["id"])
        assert dispatch(app).sent == 1
        assert len(server.mailbox.to("lea@example.org")) == 1
    finally:
        server.stop()


def test_a_person_without_channel_is_dead_lettered_with_the_reason(app: App) -> None:
    with write(app, at=T0) as tx:
        org = directory.add_org(tx, name="DLA de Paris", territory="FR-75").id
        officer = add_person(tx, org, "Camille Martin", "officer", "fr", [])
        owner = add_person(tx, org, "Léa Bernard", "owner", "fr", [])
        diagnosis_case(app, tx, org, officer, owner)
    sweep(app, now=INTAKE_OWNER_REMINDER)
    result = dispatch(app)
    [job] = job_rows(app)
    assert result.dead == 1
    assert job["status"] == "dead"
    assert "has no channel" in job["last_error"]


def test_sends_on_several_threads_each_record_their_own_reason(app: App, smtp: SMTPServer) -> None:
    closed = free_port()  # nothing listens there: every connection is refused
    channels = {
        "mail": f"mailto://127.0.0.1:{closed}?from=pathways@example.org&to=x@example.org&mode=insecure",
        "hook": f"json://127.0.0.1:{closed}/hook",
        "ok": smtp.url("ok@example.org"),
    }
    with write(app, at=T0) as tx:
        org = directory.add_org(tx, name="DLA de Paris", territory="FR-75").id
        officer = add_person(tx, org, "Camille Martin", "officer", "fr", [])
        kinds = {}
        for i in range(9):
            kind = ("mail", "hook", "ok")[i % 3]
            owner = add_person(tx, org, f"Owner {i}", "owner", "fr", [channels[kind]])
            kinds[owner] = kind
            diagnosis_case(app, tx, org, officer, owner)
    sweep(app, now=INTAKE_OWNER_REMINDER)

    result = dispatch(app, workers=4)

    assert (result.sent, result.failed) == (3, 6)
    assert len(smtp.mailbox.messages) == 3
    for job in job_rows(app):
        [(outcome, reason)] = attempts(app, job["id"])
        kind = kinds[job["payload"]["person"]]
        if kind == "ok":
            assert (outcome, reason) == ("sent", None)
            continue
        assert outcome == "failed"
        assert "Connection refused" in (reason or "")
        # Apprise logs every thread's sends on one logger: each attempt keeps only its own lines.
        assert ("JSON" in (reason or "")) == (kind == "hook"), reason
        assert ("SMTP" in (reason or "") or "email" in (reason or "")) == (kind == "mail"), reason


def test_a_message_that_stopped_the_dispatcher_every_time_is_dead_lettered(app: App) -> None:
    with write(app, at=T0) as tx:
        org = directory.add_org(tx, name="DLA de Paris", territory="FR-75").id
        officer = add_person(tx, org, "Camille Martin", "officer", "fr", [])
        owner = add_person(tx, org, "Léa Bernard", "owner", "fr", ["json://127.0.0.1:9/"])
        diagnosis_case(app, tx, org, officer, owner)
    sweep(app, now=INTAKE_OWNER_REMINDER)
    long_ago = datetime.now(UTC) - timedelta(hours=1)
    with app.store.write() as conn:  # as a dispatcher dying mid-send MAX_ATTEMPTS times leaves it
        job_id = conn.execute(
            update(JOB)
            .where(JOB.c.kind == "message")
            .values(status="sending", attempts=MAX_ATTEMPTS, updated_at=long_ago)
            .returning(JOB.c.id)
        ).scalar_one()
        conn.execute(  # the earlier sends marked interrupted by the next dispatcher, the last one open
            insert(ATTEMPT),
            [
                {
                    "job_id": job_id,
                    "attempt": n,
                    "channel": "json",
                    "outcome": "interrupted" if n < MAX_ATTEMPTS else "sending",
                    "started_at": long_ago,
                }
                for n in range(1, MAX_ATTEMPTS + 1)
            ],
        )

    assert dispatch(app).claimed == 0

    [job] = job_rows(app)
    assert job["status"] == "dead"
    assert "stopped during this send" in job["last_error"]


def test_a_message_to_an_erased_person_is_dead_lettered_at_once(app: App) -> None:
    with write(app, at=T0) as tx:
        org = directory.add_org(tx, name="DLA de Paris", territory="FR-75").id
        officer = add_person(tx, org, "Camille Martin", "officer", "fr", [])
        owner = add_person(tx, org, "Léa Bernard", "owner", "fr", ["json://127.0.0.1:9/"])
        diagnosis_case(app, tx, org, officer, owner)
    sweep(app, now=INTAKE_OWNER_REMINDER)
    with app.store.write() as conn:
        conn.execute(update(PERSON).where(PERSON.c.id == owner).values(erased_at=T0))
    assert dispatch(app).dead == 1
    [job] = job_rows(app)
    assert "erased" in job["last_error"]


def test_a_reminder_for_a_stage_already_left_is_not_sent(app: App, smtp: SMTPServer) -> None:
    with write(app, at=T0) as tx:
        org = directory.add_org(tx, name="DLA de Paris", territory="FR-75").id
        officer = add_person(tx, org, "Camille Martin", "officer", "fr", [])
        owner = add_person(tx, org, "Léa Bernard", "owner", "fr", [smtp.url("lea@example.org")])
        opened = diagnosis_case(app, tx, org, officer, owner)
    sweep(app, now=INTAKE_OWNER_REMINDER)
    with write(app, at=INTAKE_OWNER_REMINDER + timedelta(minutes=5)) as tx:
        cases.decide(
            tx, app.catalog, case=opened.ref, outcome="not_relevant",
            values={"met_on": "2026-07-10", "legal_form": "association", "salaried_jobs": "4", "request": "x",
                    "redirected_to": "France Active", "redirect_reason": "other_programme"},
        )  # fmt: skip
    assert dispatch(app).cancelled == 1
    assert smtp.mailbox.messages == []


# --- a dispatcher killed mid-batch -------------------------------------------------------------------

DISPATCHER = """
import sys
from pathways.bootstrap import build
from pathways.services.messaging.dispatch import dispatch
dispatch(build(), workers=int(sys.argv[1]))
"""


def start_dispatcher(store: Store, workers: int = 1) -> subprocess.Popen[str]:
    """`dispatch` in a process of its own, on the test's database."""
    env = os.environ | {
        "PATHWAYS_DATABASE_URL": store.engine.url.render_as_string(hide_password=False),
        "PATHWAYS_CONFIG_DIR": str(ROOT / "config"),
        "PATHWAYS_ENVIRONMENT": "test",
        "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT / "src"), os.environ.get("PYTHONPATH")])),
    }
    return subprocess.Popen(
        [sys.executable, "-c", DISPATCHER, str(workers)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_a_dispatcher_killed_mid_batch_loses_nothing_and_repeats_only_the_message_in_flight(
    store: Store, smtp: SMTPServer, catalog: PathwayCatalog
) -> None:
    app = make_app(store, catalog)
    owners = owners_reminded(app, smtp, 6)
    smtp.mailbox.delay = 0.3  # each message waits a little for its "250 OK"

    first = start_dispatcher(store, workers=1)
    smtp.mailbox.wait_for(2, timeout=20)  # the second message is in, its sender still waiting
    first.send_signal(signal.SIGKILL)
    first.wait(timeout=10)
    smtp.mailbox.delay = 0
    assert len(smtp.mailbox.messages) == 2
    statuses = [j["status"] for j in job_rows(app)]
    assert statuses.count("done") == 1
    assert statuses.count("sending") == 5  # the whole batch was claimed when it died

    # Restarted: after the lease (5 minutes) it takes over what the dead one had claimed.
    restarted = dispatch(app, now=datetime.now(UTC) + LEASE)

    assert (restarted.reclaimed, restarted.sent) == (5, 5)
    counts = {address: len(smtp.mailbox.to(address)) for address in owners}
    assert sorted(counts.values()) == [1, 1, 1, 1, 1, 2], counts  # nothing lost; one sent twice
    jobs = job_rows(app)
    assert {j["status"] for j in jobs} == {"done"}
    history = {j["payload"]["person"]: attempts(app, j["id"]) for j in jobs}
    repeated = [p for p, h in history.items() if len(h) > 1]
    assert len(repeated) == 1  # the message in flight at the kill, and the record shows it
    [(outcome, reason), (again, _)] = history[repeated[0]]
    assert (outcome, again) == ("interrupted", "sent")
    assert "may or may not have gone out" in (reason or "")
    assert all([o for o, _ in h] == ["sent"] for p, h in history.items() if p != repeated[0])
    assert dispatch(app, now=datetime.now(UTC) + 2 * LEASE).claimed == 0


def test_a_dispatcher_killed_while_sending_on_several_threads_repeats_at_most_those_in_flight(
    store: Store, smtp: SMTPServer, catalog: PathwayCatalog
) -> None:
    app = make_app(store, catalog)
    owners = owners_reminded(app, smtp, 9)
    smtp.mailbox.delay = 0.5

    first = start_dispatcher(store, workers=3)
    smtp.mailbox.wait_for(4, timeout=30)
    first.send_signal(signal.SIGKILL)
    first.wait(timeout=10)
    smtp.mailbox.delay = 0
    done_before = [j["status"] for j in job_rows(app)].count("done")

    restarted = dispatch(app, now=datetime.now(UTC) + LEASE, workers=3)

    counts = {address: len(smtp.mailbox.to(address)) for address in owners}
    assert min(counts.values()) == 1  # nothing lost
    assert {j["status"] for j in job_rows(app)} == {"done"}
    by_person = {j["payload"]["person"]: attempts(app, j["id"]) for j in job_rows(app)}
    interrupted = {p for p, h in by_person.items() if [o for o, _ in h] == ["interrupted", "sent"]}
    assert 1 <= len(interrupted) <= 3  # the messages in flight at the kill: at most one per thread
    assert all([o for o, _ in h] == ["sent"] for p, h in by_person.items() if p not in interrupted)
    with app.store.read() as conn:
        address_of = {
            p: row.channels[0].split("to=")[1].split("&")[0]
            for p, row in ((p, conn.execute(select(PERSON).where(PERSON.c.id == p)).one()) for p in by_person)
        }
    twice = {p for p in by_person if counts[address_of[p]] == 2}
    assert twice <= interrupted  # only a message in flight can arrive twice, and the record shows it
    assert all(counts[address_of[p]] == 1 for p in by_person if p not in twice)
    assert restarted.sent == restarted.reclaimed == 9 - done_before  # the whole batch had been claimed


def owners_reminded(app: App, smtp: SMTPServer, count: int) -> list[str]:
    """`count` owners each with one intake reminder queued, each with an address of their own."""
    owners = [f"owner{i}@example.org" for i in range(count)]
    with write(app, at=T0) as tx:
        org = directory.add_org(tx, name="DLA de Paris", territory="FR-75").id
        officer = add_person(tx, org, "Camille Martin", "officer", "fr", [])
        for i, address in enumerate(owners):
            owner = add_person(tx, org, f"Owner {i}", "owner", "fr", [smtp.url(address)])
            diagnosis_case(app, tx, org, officer, owner)
    assert sweep(app, now=INTAKE_OWNER_REMINDER).messages == count
    return owners


# --- the commands -------------------------------------------------------------------------------------------


def test_messages_commands(app: App, smtp: SMTPServer, monkeypatch: pytest.MonkeyPatch) -> None:
    from pathways import cli
    from pathways.cli import messages as messages_cli

    with write(app, at=T0) as tx:
        org = directory.add_org(tx, name="DLA de Paris", territory="FR-75").id
        officer = add_person(tx, org, "Camille Martin", "officer", "fr", [])
        owner = add_person(tx, org, "Léa Bernard", "owner", "fr", [smtp.url("lea@example.org")])
        opened = diagnosis_case(app, tx, org, officer, owner)
    monkeypatch.setenv("PATHWAYS_DATABASE_URL", app.store.engine.url.render_as_string(hide_password=False))
    monkeypatch.setenv("PATHWAYS_CONFIG_DIR", str(ROOT / "config"))
    root = typer.Typer()
    root.callback()(cli.main_options)
    root.command("sweep")(messages_cli.sweep)
    root.command("dispatch")(messages_cli.dispatch)
    root.add_typer(messages_cli.messages_app, name="messages")
    root.add_typer(messages_cli.template_app, name="template")
    run = CliRunner().invoke

    swept = run(root, ["--now", "2026-07-16T09:30", "sweep"])
    sent = run(root, ["dispatch", "--json"])
    listed = run(root, ["messages", "--case", opened.ref, "--json"])
    failed = run(root, ["messages", "--failed", "--json"])
    preview = run(root, ["--now", "2026-07-16T09:30", "template", "preview", "escalation", "--lang", "nl",
                         "--case", opened.ref])  # fmt: skip
    sample = run(root, ["template", "preview", "digest", "--lang", "fr"])

    assert swept.exit_code == 0, swept.output
    assert "1 messages" in swept.output
    assert sent.exit_code == 0, sent.output
    assert json.loads(sent.output)["sent"] == 1
    [row] = json.loads(listed.output)
    again = run(root, ["messages", "retry", str(row["id"])])
    assert row | {"next_attempt_at": None} == {
        "id": row["id"], "kind": "message", "case": opened.ref, "template": "intake_documents",
        "to": "lea-bernard", "status": "done", "attempts": 1, "next_attempt_at": None, "last_error": None,
        "key": row["key"],
    }  # fmt: skip
    assert json.loads(failed.output) == []
    assert isinstance(again.exception, Refused)  # done: nothing to retry (`pathways` exits 4)
    assert preview.exit_code == 0, preview.output
    assert preview.output.startswith("Aan: ")  # whom the pathway sends it to: here the case's officer
    assert "(begeleider)" in preview.output.splitlines()[0]
    assert "\nOnderwerp: Termijn overschreden: Onthaal" in preview.output
    assert "donderdag 30 juli 2026" in preview.output
    assert sample.exit_code == 0, sample.output
    assert "Vos dossiers du" in sample.output
    assert len(smtp.mailbox.to("lea@example.org")) == 1
