"""`pathways mailbox` and `dispatch --dry-run`: trying messages safely, through real processes.

A real reminder, queued by `sweep` for a case opened in the past, is first shown by
`dispatch --dry-run` (nothing sent, nothing changed), then sent by `dispatch` to the
mailbox's SMTP server, and appears on the mailbox's page and in its JSON.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cli_home import ROOT, Home, Result

from mailcatch import free_port

pytestmark = pytest.mark.e2e


@dataclass(frozen=True)
class Catcher:
    smtp: int
    web: int

    def page(self, path: str, lang: str = "en") -> tuple[int, str]:
        request = urllib.request.Request(
            f"http://127.0.0.1:{self.web}{path}", headers={"Accept-Language": lang}
        )
        try:
            with urllib.request.urlopen(request, timeout=5) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read().decode()


@dataclass(frozen=True)
class AllowedHome(Home):
    """A home whose commands may reach the mailbox (PATHWAYS_CHANNEL_ALLOW), or not."""

    allow: str = ""

    def env(self) -> dict[str, str]:
        return super().env() | {"PATHWAYS_CHANNEL_ALLOW": self.allow}

    def within(self, allow: str) -> AllowedHome:
        return AllowedHome(self.folder, allow)


def _wait_for(port: int, proc: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        assert proc.poll() is None, f"mailbox stopped: {proc.stderr.read() if proc.stderr else ''}"
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/mails.json", timeout=1):
                return
        except OSError:
            time.sleep(0.1)
    raise AssertionError("the mailbox did not start within 30 s")


@pytest.fixture
def mailbox(tmp_path: Path) -> Iterator[tuple[Catcher, subprocess.Popen[str]]]:
    catcher = Catcher(free_port(), free_port())
    home = Home(tmp_path / "mailbox-home")
    home.folder.mkdir()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "pathways",
            "mailbox",
            "--smtp-port",
            str(catcher.smtp),
            "--web-port",
            str(catcher.web),
            "--to",
            "ines@example.org",
        ],
        cwd=ROOT,
        env=home.env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        _wait_for(catcher.web, proc)
        yield catcher, proc
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def _messages(home: Home) -> list[tuple[str, str]]:
    return [(str(m["status"]), str(m["template"])) for m in home.ok("messages", "--json").json()]


def test_a_reminder_sent_by_dispatch_arrives_in_the_mailbox(
    tmp_path: Path, mailbox: tuple[Catcher, subprocess.Popen[str]]
) -> None:
    catcher, _ = mailbox
    allowed = AllowedHome(tmp_path / "home", f"127.0.0.1:{catcher.smtp}")
    allowed.folder.mkdir()
    allowed.ok("init")
    allowed.ok("org", "add", "DLA Test", "--territory", "FR-75")
    allowed.ok("person", "add", "Marie Dupuis", "--org", "dla-test", "--role", "officer")
    channel = f"mailto://127.0.0.1:{catcher.smtp}?from=pathways@example.org&to=ines@example.org&mode=insecure"
    allowed.ok(
        "person",
        "add",
        "Ines Diallo",
        "--org",
        "dla-test",
        "--role",
        "owner",
        "--lang",
        "nl",
        "--channel",
        channel,
    )
    allowed.ok(
        "project",
        "add",
        "Atelier velo",
        "--org",
        "dla-test",
        "--owner",
        "ines-diallo",
        "--siret",
        "73282932000074",
    )
    opened = (datetime.now(UTC) - timedelta(days=40)).strftime("%Y-%m-%dT10:00")
    ref = allowed.open("1", "diagnosis", "marie-dupuis", now=opened)
    allowed.ok("sweep")
    queued = _messages(allowed)
    assert ("pending", "intake_documents") in queued

    # Without the allowance, the dry run says the dispatcher would refuse the loopback address.
    refused = allowed.within("").ok("dispatch", "--dry-run")
    assert "intake_documents" in refused.out
    assert "[nl]" in refused.out
    assert "REFUSED" in refused.out
    assert "loopback" in refused.out
    planned = allowed.ok("dispatch", "--dry-run", "--json").json()
    (owner_mail,) = [p for p in planned if p["template"] == "intake_documents"]
    assert owner_mail["lang"] == "nl"
    assert ref in owner_mail["subject"]
    assert owner_mail["channels"] == [{"destination": f"mailto://127.0.0.1:{catcher.smtp}", "refused": None}]
    assert _messages(allowed) == queued  # a dry run claims, sends and changes nothing
    status, body = catcher.page("/mails.json")
    assert (status, json.loads(body)) == (200, [])

    sent = allowed.run("dispatch")  # the officer's digest has no channel: exit 1, the owner's mail goes
    assert "1 sent" in sent.out, sent.out + sent.err
    status, body = catcher.page("/mails.json")
    (mail,) = json.loads(body)
    assert mail["recipients"] == ["ines@example.org"]
    assert mail["subject"] == owner_mail["subject"]
    assert "Beste Ines Diallo" in mail["text"]
    assert "/o/" in mail["text"]
    status, listing = catcher.page("/", lang="nl")
    assert status == 200
    assert "Testmailbox" in listing
    assert f'href="/mails/{mail["id"]}"' in listing
    status, shown = catcher.page(f"/mails/{mail['id']}", lang="fr")
    assert status == 200
    assert "Objet" in shown
    assert "Beste Ines Diallo" in shown
    assert "<iframe sandbox" in shown
    assert "&lt;p&gt;Beste Ines Diallo" in shown
    assert catcher.page("/mails/999")[0] == 404
    assert catcher.page("/mails/..%2f")[0] == 404


def test_a_busy_port_is_refused_clearly(
    tmp_path: Path, mailbox: tuple[Catcher, subprocess.Popen[str]]
) -> None:
    catcher, _ = mailbox
    home = Home(tmp_path / "other")
    home.folder.mkdir()
    result: Result = home.run("mailbox", "--smtp-port", str(catcher.smtp), "--web-port", str(free_port()))
    assert result.code == 2
    assert f"cannot listen on 127.0.0.1:{catcher.smtp}" in result.err
    assert "--smtp-port" in result.err
    same = home.run("mailbox", "--smtp-port", "2600", "--web-port", "2600")
    assert same.code == 2
    assert "must differ" in same.err
    assert os.environ.get("PATHWAYS_CHANNEL_ALLOW", "") == ""
