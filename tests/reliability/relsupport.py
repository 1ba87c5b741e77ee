"""What the fault and load tests share: real `pathways` processes on loopback, a seeded world, checks.

Everything here is bounded: every wait has a deadline, every process started is killed
at the end, every server listens on 127.0.0.1 only.
"""

from __future__ import annotations

import asyncio
import email
import email.policy
import json
import os
import random
import secrets
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import httpx
import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select

from pathways.bootstrap import App, Clock
from pathways.services.casework import opening, work
from pathways.services.people import accounts, directory
from pathways.services.tx import write
from pathways.settings import load_settings
from pathways.store.core import ACCOUNT, AUDIT, CASE
from pathways.store.db import Store
from reliability.ledger import full

ROOT = Path(__file__).resolve().parents[2]
OPENED_AT = datetime(2026, 7, 8, 8, 0, tzinfo=UTC)  # Wednesday 8 July 2026, 10:00 in Paris
INTAKE_RELEVANT = {
    "met_on": "2026-07-08",
    "legal_form": "association",
    "salaried_jobs": "4",
    "request": "Consolider le modèle économique",
}
DECLINED = {"reason": "La structure préfère attendre la fin de l'exercice", "interviews": ["2026-07-10"]}


full_only = pytest.mark.skipif(
    not full(), reason="full mode only: PATHWAYS_RELIABILITY=full (make reliability)"
)


def scaled(quick: int, full_value: int) -> int:
    """`quick` in quick mode (inside `make test`), `full_value` under `make reliability`."""
    return full_value if full() else quick


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def environment(database_url: str, home: Path, **extra: str) -> dict[str, str]:
    """The environment of a `pathways` process on `database_url` (no PATHWAYS_* leaks in)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PATHWAYS_", "PREFECT_"))}
    return env | {
        "PATHWAYS_DATABASE_URL": database_url,
        "PATHWAYS_HOME": str(home),
        "PATHWAYS_CONFIG_DIR": str(ROOT / "config"),
        "PATHWAYS_ENVIRONMENT": "test",
        "PATHWAYS_EXECUTOR": "inline",
        "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT / "src"), os.environ.get("PYTHONPATH")])),
        "COLUMNS": "250",
        "NO_COLOR": "1",
        **extra,
    }


@dataclass(frozen=True)
class Ran:
    code: int
    out: str
    err: str


def pathways(env: dict[str, str], *args: str, timeout: float = 120) -> Ran:
    """Run `pathways ARGS` to its end (bounded); a traceback is a failure whatever the exit code."""
    proc = subprocess.run(
        [sys.executable, "-m", "pathways", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    ran = Ran(proc.returncode, proc.stdout, proc.stderr)
    assert "Traceback" not in ran.out + ran.err, f"pathways {' '.join(args)} crashed:\n{ran.err[-3000:]}"
    return ran


def audit_verify(env: dict[str, str]) -> list[dict[str, Any]]:
    """`pathways audit verify --json` must exit 0 with every chain ok; returns the chains."""
    ran = pathways(env, "audit", "verify", "--json")
    assert ran.code == 0, f"audit verify exited {ran.code}:\n{ran.out}\n{ran.err}"
    chains: list[dict[str, Any]] = json.loads(ran.out)
    assert chains, "audit verify found no chain"
    assert all(c["ok"] for c in chains), chains
    return chains


def kill(proc: subprocess.Popen[Any]) -> None:
    """SIGKILL a process we started (and reap it)."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGKILL)
    with suppress(subprocess.TimeoutExpired):
        proc.wait(timeout=10)


# --- the world: one organisation, officers with API tokens, projects with open diagnosis cases -------------


@dataclass
class World:
    app: App
    org: int
    officers: list[int]
    tokens: list[str]
    refs: list[str]
    owners: list[int] = field(default_factory=list)


def make_app(store: Store, home: Path, *, now: datetime | None = OPENED_AT) -> App:
    url = store.engine.url.render_as_string(hide_password=False)
    settings = load_settings(database_url=url, config_dir=ROOT / "config", environment="test", home=home)
    return App(settings=settings, store=store, clock=Clock(now))


def seed(
    app: App,
    *,
    officers: int,
    cases_count: int,
    tokens: bool = True,
    drain: bool = True,
    owner_channel: str | None = None,
    org_name: str = "DLA de Paris",
) -> World:
    """One organisation, `officers` officers (each with an account and a token when `tokens`),
    `cases_count` diagnosis cases at intake, each project with its own owner
    (reachable at `owner_channel.format(i=...)` when given)."""
    refs: list[str] = []
    officer_ids: list[int] = []
    owner_ids: list[int] = []
    issued: list[str] = []
    with write(app) as tx:
        org = directory.add_org(tx, name=org_name, territory="FR-75", language="fr").id
        officer_ids.extend(
            directory.add_person(
                tx, name=f"Officer {org} {i}", org=org, role="officer", email=None, language="fr", channels=[]
            ).id
            for i in range(officers)
        )
        for i in range(cases_count):
            channels = [owner_channel.format(i=i)] if owner_channel else []
            owner = directory.add_person(
                tx, name=f"Owner {org} {i}", org=org, role="owner", email=f"owner{i}@example.org",
                language="fr", channels=channels,
            ).id  # fmt: skip
            owner_ids.append(owner)
            project = directory.add_project(
                tx, name=f"Recyclerie {org} {i}", org=org, owner=owner, siret=None, bce=None,
                territory=None, phase="founded", legal_form="association", permanent_jobs=3,
            )  # fmt: skip
            opened = opening.open_case(
                tx, app.catalog, project=project.id, pathway="diagnosis", officer=officer_ids[i % officers]
            )
            refs.append(opened.ref)
    if tokens:
        with write(app) as tx:
            # One argon2 hash (tens of ms, more under load) shared by every officer's account:
            # the tests log in with tokens, never with the password.
            first = accounts.add_user(tx, person=officer_ids[0], password="correct horse battery staple")
            hashed = tx.conn.execute(
                select(ACCOUNT.c.password_hash).where(ACCOUNT.c.id == first.account_id)
            ).scalar_one()
            for officer in officer_ids[1:]:
                tx.insert(
                    ACCOUNT, person_id=officer, password_hash=hashed, language="fr", active=True,
                    session_key=secrets.token_hex(8), created_at=tx.recorded_at,
                )  # fmt: skip
            issued.extend(
                accounts.create_token(tx, person=officer, name="reliability").token for officer in officer_ids
            )
    if drain:  # what opening the cases queued (intake sheets)
        work.run_pending(app, limit=10 * cases_count + 10)
    return World(app, org, officer_ids, issued, refs, owner_ids)


def decisions_in_db(app: App) -> set[tuple[str, str, str]]:
    """(case ref, stage left, outcome) of every decision the audit log holds."""
    with app.store.read() as conn:
        rows = conn.execute(
            select(CASE.c.ref, AUDIT.c.payload)
            .select_from(AUDIT.join(CASE, AUDIT.c.case_id == CASE.c.id))
            .where(AUDIT.c.kind == "decision")
        ).all()
    found: set[tuple[str, str, str]] = set()
    for ref, details in rows:
        data = json.loads(details) if isinstance(details, str) else details
        found.add((str(ref), str(data["stage"]), str(data["outcome"])))
    return found


# --- a real `pathways serve` -------------------------------------------------------------------------------


class Server:
    """`pathways serve` in a process of its own, on a free loopback port."""

    def __init__(self, env: dict[str, str], token: str, log: Path) -> None:
        self.env = env
        self.port = free_port()
        self.token = token
        self.log = log
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 60) -> None:
        with self.log.open("ab") as out:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "pathways", "serve", "--port", str(self.port)],
                cwd=ROOT,
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + timeout
        headers = {"Authorization": f"Bearer {self.token}"}
        while time.monotonic() < deadline:
            assert self.proc.poll() is None, f"pathways serve exited:\n{self.log.read_text()[-3000:]}"
            with suppress(httpx.HTTPError):
                if httpx.get(f"{self.url}/api/v1/me", headers=headers, timeout=2).status_code == 200:
                    return
            time.sleep(0.1)
        raise AssertionError(f"pathways serve did not answer within {timeout} s")

    def kill(self) -> None:
        if self.proc is not None:
            kill(self.proc)
            self.proc = None

    def server_errors(self) -> list[str]:
        """Tracebacks in the server's log."""
        text = self.log.read_text(errors="replace") if self.log.exists() else ""
        return [chunk[:2000] for chunk in text.split("Traceback")[1:]]


@contextmanager
def serving(env: dict[str, str], token: str, log: Path) -> Iterator[Server]:
    server = Server(env, token, log)
    server.start()
    try:
        yield server
    finally:
        server.kill()


# --- officers deciding through the API ----------------------------------------------------------------------


@dataclass
class Tally:
    """What the clients saw: acknowledged decisions, conflicts, errors."""

    acked: list[tuple[str, str, str, int]] = field(default_factory=list)  # ref, left, outcome, from version
    conflicts: list[tuple[str, int, str]] = field(default_factory=list)  # ref, expected version, detail
    refused: list[tuple[str, int, str]] = field(default_factory=list)  # other 4xx: ref, status, detail
    server_errors: list[tuple[str, int, str]] = field(default_factory=list)  # 5xx
    transport_errors: int = 0  # connection refused/reset (the server was killed)
    transport_seen: list[str] = field(default_factory=list)  # each one's kind and message, to diagnose
    requests: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)


NEXT = {"intake": ("relevant", INTAKE_RELEVANT), "shared_diagnosis": ("declined", DECLINED)}


def officer_loop(
    base_url: str,
    token: str,
    refs: list[str],
    tally: Tally,
    stop: threading.Event,
    seed_value: int,
    *,
    hot: int = 0,
) -> None:
    """Read a case, decide its next step with `expected_version`, until `stop` (bounded by the caller).

    With `hot` > 0 every officer picks among the first `hot` cases one time in two, so that
    some officers really collide on the same case version.
    """
    rng = random.Random(seed_value)
    headers = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=base_url, headers=headers, timeout=30) as client:
        while not stop.is_set():
            ref = rng.choice(refs[:hot] if hot and rng.random() < 0.5 else refs)
            try:
                shown = client.get(f"/api/v1/cases/{ref}")
                with tally.lock:
                    tally.requests += 1
                if shown.status_code >= 500:
                    with tally.lock:
                        tally.server_errors.append((ref, shown.status_code, shown.text[:300]))
                    continue
                if shown.status_code != 200:
                    with tally.lock:
                        tally.refused.append((ref, shown.status_code, shown.text[:300]))
                    continue
                case = shown.json()
                stage = case.get("stage")
                if stage not in NEXT or case.get("status", "open") != "open":
                    continue
                version = int(case["version"])
                outcome, values = NEXT[stage]
                body = {"outcome": outcome, "values": values, "expected_version": version}
                decided = client.post(f"/api/v1/cases/{ref}/decisions", json=body)
            except httpx.TransportError as error:
                with tally.lock:
                    tally.transport_errors += 1
                    tally.transport_seen.append(f"{ref}: {type(error).__name__}: {error}")
                time.sleep(0.05)
                continue
            with tally.lock:
                tally.requests += 1
                if decided.status_code == 201:
                    answer = decided.json()
                    tally.acked.append((ref, answer["left"], answer["outcome"], version))
                elif decided.status_code == 409:
                    tally.conflicts.append((ref, version, decided.json().get("detail", "")))
                elif decided.status_code >= 500:
                    tally.server_errors.append((ref, decided.status_code, decided.text[:300]))
                else:
                    tally.refused.append((ref, decided.status_code, decided.text[:300]))


def run_officers(
    base_url: str, tokens: list[str], refs: list[str], tally: Tally, stop: threading.Event, *, hot: int = 0
) -> list[threading.Thread]:
    threads = [
        threading.Thread(
            target=officer_loop,
            args=(base_url, token, refs, tally, stop, n),
            kwargs={"hot": hot},
            daemon=True,
        )
        for n, token in enumerate(tokens)
    ]
    for thread in threads:
        thread.start()
    return threads


# --- a real SMTP server on loopback -------------------------------------------------------------------------


class Mailbox:
    """An aiosmtpd handler keeping every message (optionally slow to answer "250")."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.delay = 0.0

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        parsed = email.message_from_bytes(envelope.content, policy=email.policy.default)
        assert isinstance(parsed, EmailMessage)
        self.messages.append(parsed)
        if self.delay:
            await asyncio.sleep(self.delay)
        return "250 OK"

    def by_recipient(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for message in self.messages:
            counts[str(message["To"])] = counts.get(str(message["To"]), 0) + 1
        return counts


class SMTPServer:
    def __init__(self) -> None:
        self.port = free_port()
        self.mailbox = Mailbox()
        self.controller = Controller(self.mailbox, hostname="127.0.0.1", port=self.port)

    def url(self, to: str) -> str:
        """Apprise's URL for this server: plain SMTP on loopback."""
        return f"mailto://127.0.0.1:{self.port}?from=pathways@example.org&to={to}&mode=insecure"
