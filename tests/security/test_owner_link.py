"""Finding 11: an owner's link is a key; it must stay out of logs, and replaying its actions adds nothing.

The link ``/o/<token>`` lets whoever holds it act for the project owner. The server's
access log printed it whole; and each re-post of an owner action (a reload, a double
click, a replay) appended one more audit event. Now `pathways serve` logs
``/o/<redacted>``, and an action is recorded once per (case, stage entry, action).
"""

from __future__ import annotations

import re
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from builders import (
    DIAGNOSIS_ACCEPTED,
    INTAKE_RELEVANT,
    decide,
    make_org,
    make_person,
    make_project,
    open_diagnosis,
)
from pathways.bootstrap import App, Clock
from pathways.services.people import ownerlinks
from pathways.settings import load_settings
from pathways.store.core import AUDIT
from pathways.store.core import JOB as OUTBOX
from pathways.store.db import Store, init_database
from pathways.web import create_app
from security.attack import attacked

ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class Link:
    app: App
    case_id: int
    ref: str
    officer: int
    owner: int
    token: str


def _link(app: App) -> Link:
    org = make_org(app)
    officer = make_person(app, org, role="officer")
    owner = make_person(app, org, role="owner", name="Inès Dubois", email="ines@example.org")
    case = open_diagnosis(app, make_project(app, org, owner=owner), officer)
    token = ownerlinks.owner_token(app, int(case.id), owner)
    return Link(app, int(case.id), str(case.ref), officer, owner, token)


@pytest.fixture
def link(app: App) -> Link:
    return _link(app)


def _counts(app: App, case_id: int, action: str) -> tuple[int, int]:
    """(owner events of `action` on the case, outbox jobs in all)."""
    with app.store.read() as conn:
        events = conn.scalar(
            select(func.count()).where(AUDIT.c.case_id == case_id, AUDIT.c.kind == f"owner_{action}")
        )
        jobs = conn.scalar(select(func.count()).select_from(OUTBOX))
    return int(events or 0), int(jobs or 0)


def test_a_reposted_owner_action_is_recorded_once_and_still_answered(link: Link) -> None:
    with TestClient(create_app(link.app)) as client:
        page = client.get(f"/o/{link.token}")
        assert page.status_code == 200
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
        assert csrf is not None
        form = {"csrf_token": csrf.group(1)}
        url = f"/o/{link.token}/meeting_confirmed"
        first = client.post(url, data=form, follow_redirects=False)
        after_first = _counts(link.app, link.case_id, "meeting_confirmed")
        again = [client.post(url, data=form, follow_redirects=False) for _ in range(3)]
        after_again = _counts(link.app, link.case_id, "meeting_confirmed")
        other_action = client.post(f"/o/{link.token}/documents_sent", data=form, follow_redirects=False)
    for answer in (first, *again):
        assert answer.status_code == 303
        assert answer.headers["location"] == f"/o/{link.token}?done=meeting_confirmed"
    assert after_first[0] == 1
    assert after_again == after_first  # no second event, no job queued
    assert other_action.status_code == 303
    assert _counts(link.app, link.case_id, "documents_sent")[0] == 1  # another action is another fact
    attacked("owner action posted again with the same link", tried=3, detail="303 each, one audit event")


def test_the_same_action_at_a_later_stage_is_a_new_fact(link: Link) -> None:
    claim = ownerlinks.read_owner_link(link.app, link.token)
    decide(link.app, link.ref, "relevant", INTAKE_RELEVANT, by=link.officer)
    decide(link.app, link.ref, "accepted", DIAGNOSIS_ACCEPTED, by=link.officer)  # at support_plan
    first = ownerlinks.record_owner_action(link.app, claim, "board_approved")
    assert ownerlinks.record_owner_action(link.app, claim, "board_approved") == first
    # The plan is revised: the case enters support_plan again, a new stay where the board is asked again.
    decide(link.app, link.ref, "revise", {"revision_reason": "Préciser le budget"}, by=link.officer)
    later = ownerlinks.record_owner_action(link.app, claim, "board_approved")
    assert later != first
    assert ownerlinks.record_owner_action(link.app, claim, "board_approved") == later
    assert _counts(link.app, link.case_id, "board_approved")[0] == 2
    attacked("owner action replayed after the case moved on", tried=2, detail="one event per stage entry")


def test_owner_actions_posted_at_once_are_recorded_once(link: Link) -> None:
    claim = ownerlinks.read_owner_link(link.app, link.token)
    start = threading.Barrier(4)
    ids: list[int] = []

    def post() -> None:
        start.wait()
        ids.append(ownerlinks.record_owner_action(link.app, claim, "meeting_confirmed"))

    threads = [threading.Thread(target=post) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert len(ids) == 4
    assert len(set(ids)) == 1
    assert _counts(link.app, link.case_id, "meeting_confirmed")[0] == 1
    attacked("owner action posted 4 times at once", tried=4, detail="one audit event")


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[str, Link, Path]]:
    """`pathways serve` (the real launch code, in its own process) on a SQLite file with an owner's link."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = int(sock.getsockname()[1])
    database = f"sqlite:///{tmp_path / 'p.db'}"
    store = Store.from_url(database)
    init_database(store)
    settings = load_settings(config_dir=ROOT / "config", environment="test", home=tmp_path)
    link = _link(App(settings=settings, store=store, clock=Clock()))
    env = {
        "PATHWAYS_DATABASE_URL": database,
        "PATHWAYS_HOME": str(tmp_path),
        "PATHWAYS_CONFIG_DIR": str(ROOT / "config"),
        "PATHWAYS_ENVIRONMENT": "test",
        "PATHWAYS_EXECUTOR": "inline",
        "PATH": "/usr/bin:/bin",
        "PYTHONPATH": str(ROOT / "src"),
    }
    log = tmp_path / "serve.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "pathways", "serve", "--port", str(port)],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            assert proc.poll() is None, log.read_text()
            with suppress(httpx.HTTPError):
                if httpx.get(f"{url}/api/v1/health", timeout=2).status_code == 200:
                    break
            assert time.monotonic() < deadline, "pathways serve did not answer"
            time.sleep(0.1)
        yield url, link, log
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        store.dispose()


@pytest.mark.e2e
def test_the_access_log_of_pathways_serve_never_shows_an_owner_token(served: tuple[str, Link, Path]) -> None:
    url, link, log = served
    with httpx.Client(base_url=url, follow_redirects=True) as client:
        page = client.get(f"/o/{link.token}")
        assert page.status_code == 200
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
        assert csrf is not None
        posted = client.post(f"/o/{link.token}/meeting_confirmed", data={"csrf_token": csrf.group(1)})
        assert posted.status_code == 200  # followed the redirect to /o/<token>?done=...
        assert client.get(f"/o/{link.token[:-3]}xyz").status_code == 404  # a damaged link is logged too
    deadline = time.monotonic() + 10
    while log.read_text().count("/o/<redacted>") < 4 and time.monotonic() < deadline:
        time.sleep(0.1)  # the access log is written after the answer
    text = log.read_text()
    assert text.count("/o/<redacted>") >= 4, text  # GET, POST, GET ?done=, the damaged one
    assert link.token not in text
    assert link.token[:40] not in text  # nor a recognisable part of it
    attacked("owner link read from the server's access log", tried=4, detail="logged as /o/<redacted>")
