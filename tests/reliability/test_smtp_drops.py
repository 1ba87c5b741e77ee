"""An SMTP server that accepts a connection, takes the message, then hangs up before answering.

A minimal SMTP server on loopback (a thread per connection) drops the first attempts
of every message right after the DATA terminator, without "250": the sender cannot
know whether it went out, and it did not. The dispatcher must record each attempt,
retry with backoff, and deliver every message exactly once in the end.
"""

from __future__ import annotations

import socket
import socketserver
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from loopback import loopback_channels
from pathways.services.casework.sweep import sweep
from pathways.services.messaging.dispatch import dispatch
from pathways.services.messaging.outbox import attempts_of
from pathways.store.core import JOB
from pathways.store.db import Store
from reliability.ledger import record
from reliability.relsupport import make_app, scaled, seed

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

REMINDER_DUE = datetime(2026, 7, 16, 12, 0, tzinfo=UTC)


@pytest.fixture(autouse=True, scope="module")
def _loopback_channels() -> Iterator[None]:
    """These tests deliver to servers on 127.0.0.1: allowed as an operator would (PATHWAYS_CHANNEL_ALLOW)."""
    with loopback_channels():
        yield


class DroppingSMTP(socketserver.ThreadingTCPServer):
    """Plain SMTP; the first `drops` DATA transfers to each recipient end with a closed connection."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, drops: int) -> None:
        super().__init__(("127.0.0.1", 0), Handler)
        self.drops = drops
        self.dropped: dict[str, int] = {}
        self.delivered: dict[str, int] = {}
        self.lock = threading.Lock()

    @property
    def port(self) -> int:
        return int(self.server_address[1])

    def url(self, to: str) -> str:
        return f"mailto://127.0.0.1:{self.port}?from=pathways@example.org&to={to}&mode=insecure"


class Handler(socketserver.StreamRequestHandler):
    server: DroppingSMTP
    timeout = 30

    def reply(self, line: str) -> None:
        self.wfile.write(f"{line}\r\n".encode())
        self.wfile.flush()

    def handle(self) -> None:
        self.reply("220 127.0.0.1 ESMTP drops-on-purpose")
        recipient = ""
        while True:
            line = self.rfile.readline()
            if not line:
                return
            command = line.decode("ascii", "replace").strip()
            verb = command.split(" ", 1)[0].upper()
            if verb in ("EHLO", "HELO"):
                self.reply("250 127.0.0.1")
            elif verb == "RCPT":
                recipient = command.split(":", 1)[1].strip(" <>").lower()
                self.reply("250 OK")
            elif verb in ("MAIL", "RSET", "NOOP"):
                self.reply("250 OK")
            elif verb == "DATA":
                self.reply("354 End data with <CR><LF>.<CR><LF>")
                while self.rfile.readline() not in (b".\r\n", b""):
                    pass
                with self.server.lock:
                    drop = self.server.dropped.get(recipient, 0) < self.server.drops
                    book = self.server.dropped if drop else self.server.delivered
                    book[recipient] = book.get(recipient, 0) + 1
                if drop:  # accepted, then hung up before "250": the sender cannot tell
                    self.connection.shutdown(socket.SHUT_RDWR)
                    return
                self.reply("250 OK queued")
            elif verb == "QUIT":
                self.reply("221 Bye")
                return
            else:
                self.reply("502 Command not implemented")


@pytest.fixture
def dropping() -> Iterator[DroppingSMTP]:
    server = DroppingSMTP(drops=2)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()
    thread.join(timeout=10)


def test_an_smtp_server_that_drops_connections_gets_every_message_once_after_retries(
    sqlite_store: Store, dropping: DroppingSMTP, tmp_path: Path
) -> None:
    owners = scaled(5, 40)
    app = make_app(sqlite_store, tmp_path)
    seed(
        app,
        officers=1,
        cases_count=owners,
        tokens=False,
        drain=False,
        owner_channel=dropping.url("owner{i}@example.org"),
    )
    assert sweep(app, now=REMINDER_DUE).messages == owners
    at = datetime.now(UTC)
    runs = 0
    while runs < 10:
        runs += 1
        result = dispatch(app, now=at)
        if result.claimed and result.failed == 0 and result.sent == result.claimed:
            break
        at += timedelta(hours=1)  # past any backoff
    with app.store.read() as conn:
        jobs = [dict(r) for r in conn.execute(select(JOB).where(JOB.c.kind == "message")).mappings()]
        history = [[a.outcome for a in attempts_of(conn, job["id"])] for job in jobs]
    wrong = {to: n for to, n in dropping.delivered.items() if n != 1}
    record(
        "fault",
        "SMTP server that accepts then drops the connection mid-DATA",
        tried=sum(dropping.dropped.values()),
        failures=len(wrong) + (owners - len(dropping.delivered)),
        detail=(
            f"{owners} messages, each dropped {dropping.drops} times then delivered once; every attempt "
            f"recorded ({sum(len(h) for h in history)} attempts), retried with backoff"
        ),
    )
    assert {j["status"] for j in jobs} == {"done"}
    assert len(dropping.delivered) == owners
    assert wrong == {}
    assert all(n == dropping.drops for n in dropping.dropped.values()), dropping.dropped
    assert all(h == ["failed"] * dropping.drops + ["sent"] for h in history), history
    assert all(j["attempts"] == dropping.drops + 1 for j in jobs)
