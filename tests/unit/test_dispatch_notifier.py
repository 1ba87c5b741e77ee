"""The dispatcher's bookkeeping on a fake notifier: no SMTP server, no Apprise, a SQLite file.

The App's notifier port (:mod:`pathways.notify.port`) is what sends; here a fake
(``tests/fakes.py``) records the sends and fails the channels it is told to. What is tested is
the dispatcher's own logic: each channel's attempt recorded, a failed channel retried alone,
a refused destination dead-lettered at once. The real sends through Apprise to a real SMTP
server are tested in ``tests/e2e/test_delivery.py`` and ``tests/integration/test_failed_messages.py``.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from builders import make_org, make_person, make_project, open_diagnosis
from fakes import FakeNotifier
from pathways.bootstrap import App, Clock
from pathways.notify.deliver import channel_id
from pathways.notify.port import AppriseNotifier
from pathways.services.casework.sweep import sweep
from pathways.services.messaging.dispatch import dispatch
from pathways.services.messaging.lease import MAX_ATTEMPTS
from pathways.settings import load_settings
from pathways.store.core import ATTEMPT, JOB
from pathways.store.db import Store

OWNER_REMINDER = datetime(2026, 7, 16, 7, 30, tzinfo=UTC)  # intake opened 8 July: owner reminded 16 July
UP = "mailto://lea@example.org"
DOWN = "mailto://lea.bernard@example.net"


@pytest.fixture
def local(sqlite_store: Store, fixed_now: datetime) -> App:
    """The application on a SQLite file (no server of any kind), its clock at ``fixed_now``."""
    return App(load_settings(config_dir=Path("config"), environment="test"), sqlite_store, Clock(fixed_now))


def reminded(app: App, *channels: str) -> int:
    """An owner with these channels, whose diagnosis case's reminder is queued; the message job's id."""
    here = make_org(app, name="DLA de Paris")
    owner = make_person(app, here, role="owner", name="Léa Bernard", language="fr", channels=channels)
    open_diagnosis(app, make_project(app, here, owner=owner), make_person(app, here))
    assert sweep(app, now=OWNER_REMINDER).messages == 1
    with app.store.read() as conn:
        return int(conn.execute(select(JOB.c.id).where(JOB.c.kind == "message")).scalar_one())


def job(app: App, job_id: int) -> dict[str, Any]:
    with app.store.read() as conn:
        return dict(conn.execute(select(JOB).where(JOB.c.id == job_id)).mappings().one())


def attempts(app: App, job_id: int) -> list[tuple[str, str]]:
    with app.store.read() as conn:
        query = select(ATTEMPT.c.channel, ATTEMPT.c.outcome).where(ATTEMPT.c.job_id == job_id)
        return [tuple(r) for r in conn.execute(query.order_by(ATTEMPT.c.id))]


def on_fake(app: App, fake: FakeNotifier) -> App:
    return replace(app, notify=fake)


def test_the_app_sends_through_apprise_unless_given_another_notifier(local: App) -> None:
    fake = FakeNotifier()

    assert isinstance(local.notifier, AppriseNotifier)
    assert on_fake(local, fake).notifier is fake


def test_a_message_goes_out_once_on_the_notifier_in_the_recipients_language(local: App) -> None:
    app = on_fake(local, fake := FakeNotifier())
    job_id = reminded(app, UP)

    result = dispatch(app, now=datetime.now(UTC))
    again = dispatch(app, now=datetime.now(UTC))

    assert (result.claimed, result.sent, result.failed) == (1, 1, 0)
    assert again.claimed == 0  # sent is done: nothing goes out twice
    [(url, message)] = fake.sent
    assert url == UP
    assert message.lang == "fr"
    assert message.subject
    assert message.body
    assert job(app, job_id)["status"] == "done"
    assert attempts(app, job_id) == [(channel_id(UP), "sent")]


def test_a_channel_that_failed_is_sent_again_alone_then_dead_lettered(local: App) -> None:
    app = on_fake(local, fake := FakeNotifier(down={DOWN}))
    job_id = reminded(app, UP, DOWN)
    at = datetime.now(UTC)

    first = dispatch(app, now=at)
    row = job(app, job_id)
    assert (first.sent, first.failed) == (0, 1)
    assert (row["status"], row["attempts"]) == ("failed", 1)
    assert "fake: the server did not answer" in row["last_error"]
    assert attempts(app, job_id) == [(channel_id(UP), "sent"), (channel_id(DOWN), "failed")]

    for n in range(1, MAX_ATTEMPTS):  # each retry a day later, when its backoff has passed
        dispatch(app, now=at + timedelta(days=n))

    assert job(app, job_id)["status"] == "dead"
    assert [url for url, _ in fake.sent] == [UP] + [DOWN] * MAX_ATTEMPTS  # the channel that worked, once


def test_each_job_of_a_batch_sends_again_only_its_own_unsent_channels(local: App) -> None:
    """The channels already sent are read once for a claimed batch: each job keeps its own."""
    app = on_fake(local, fake := FakeNotifier(down={DOWN}))
    other_up = "mailto://hugo@example.org"
    here = make_org(app, name="DLA de Paris")
    officer = make_person(app, here)
    for name, channels in (("Léa Bernard", (UP, DOWN)), ("Hugo Petit", (other_up, DOWN))):
        owner = make_person(app, here, role="owner", name=name, language="fr", channels=channels)
        open_diagnosis(app, make_project(app, here, owner=owner), officer)
    assert sweep(app, now=OWNER_REMINDER).messages == 2
    at = datetime.now(UTC)

    first = dispatch(app, now=at)
    sent_first = len(fake.sent)
    second = dispatch(app, now=at + timedelta(days=1))  # both due again, claimed in one batch

    assert (first.claimed, first.failed, second.claimed, second.failed) == (2, 2, 2, 2)
    assert sorted(url for url, _ in fake.sent[:sent_first]) == sorted([UP, DOWN, other_up, DOWN])
    assert [url for url, _ in fake.sent[sent_first:]] == [DOWN, DOWN]  # neither UP is sent twice


def test_a_destination_the_notifier_refuses_is_dead_lettered_at_once(local: App) -> None:
    app = on_fake(local, fake := FakeNotifier(refused={UP}))
    job_id = reminded(app, UP)

    result = dispatch(app, now=datetime.now(UTC))

    assert (result.claimed, result.dead) == (1, 1)
    assert len(fake.sent) == 1
    assert job(app, job_id)["status"] == "dead"
