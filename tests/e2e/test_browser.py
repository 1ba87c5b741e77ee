"""The web pages in a real browser: Debian's Chromium driven by Playwright, against uvicorn on 127.0.0.1.

One server per module (a SQLite file in a temporary folder, a small fixture built
through the services). Screenshots of the main pages go to ``tests/artifacts/``.

Project owners' links: one test builds the link with
:func:`pathways.services.people.ownerlinks.owner_link`; another takes it from a real reminder
email (the sweep and the dispatcher, sent through Apprise to an aiosmtpd server on
loopback), as an owner would.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from browsing import PASSWORD, Chromiums, blank_app, chromiums, require_chromium, serving

from builders import make_org, make_person, make_project, open_diagnosis
from loopback import loopback_channels
from mailcatch import plain_text, smtp_server
from pathways.bootstrap import App
from pathways.services.casework import queries
from pathways.services.casework.sweep import sweep
from pathways.services.messaging.dispatch import dispatch
from pathways.services.people import accounts, ownerlinks
from pathways.services.tx import write
from pathways.web.i18n import texts

pytestmark = pytest.mark.e2e

ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"

sync_api = require_chromium()


@dataclass(frozen=True)
class Site:
    url: str
    app: App
    org: int
    project: int
    owner: int
    other_case: str


@pytest.fixture(autouse=True, scope="module")
def _loopback_channels() -> Iterator[None]:
    """These tests deliver to servers on 127.0.0.1: allowed as an operator would (PATHWAYS_CHANNEL_ALLOW)."""
    with loopback_channels():
        yield


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    home = tmp_path_factory.mktemp("web")
    app, port = blank_app(home)
    org = make_org(app, name="DLA de Paris")
    officer = make_person(app, org, name="Camille Martin", email="camille@example.org")
    manager = make_person(app, org, role="manager", name="Hugo Bernard", email="hugo@example.org")
    owner = make_person(app, org, role="owner", name="Inès Dubois", email="ines@example.org")
    project = make_project(app, org, name="Recyclerie du Canal", owner=owner)
    other = make_org(app, name="Réseau voisin")
    other_officer = make_person(app, other, name="Lars Peeters")
    from builders import open_diagnosis

    other_case = open_diagnosis(app, make_project(app, other, name="Buurtwinkel De Linde"), other_officer)
    with write(app) as tx:
        accounts.add_user(tx, person=officer, password=PASSWORD, language="en")
        accounts.add_user(tx, person=manager, password=PASSWORD, language="fr")
    with serving(app, port):
        yield Site(app.settings.base_url, app, org, project, owner, other_case.ref)
    app.store.dispose()


@pytest.fixture(scope="module")
def browsers() -> Iterator[Chromiums]:
    with chromiums(sync_api) as launched:
        yield launched


@pytest.fixture
def page(browsers: Chromiums) -> Iterator[Any]:
    context = browsers.context(None, viewport={"width": 1280, "height": 900}, locale="en-GB")
    tab = context.new_page()
    yield tab
    context.close()


def shot(tab: Any, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    tab.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def log_in(tab: Any, site: Site, login: str) -> None:
    tab.goto(f"{site.url}/cases")
    assert "/login" in tab.url
    tab.fill("#login", login)
    tab.fill("#password", PASSWORD)
    tab.click("button[type=submit].primary")
    tab.wait_for_url(f"{site.url}/cases")


def test_officer_opens_a_case_corrects_an_invalid_field_and_moves_it_on_then_the_manager_finds_it(
    site: Site, page: Any, browsers: Chromiums
) -> None:
    shot_login = page
    shot_login.goto(f"{site.url}/login?lang=fr")
    shot(shot_login, "01-login")
    log_in(page, site, "camille@example.org")
    shot(page, "02-my-cases-empty")

    page.click("text=Open a case")
    page.select_option("#project", str(site.project))
    page.select_option("#pathway", "diagnosis")
    shot(page, "03-open-case")
    page.click("button[type=submit].primary")
    page.wait_for_url("**/cases/DIAG-*")
    ref = page.url.rsplit("/", 1)[1]
    assert page.locator("#case-status .stage").get_attribute("data-stage") == "intake"

    page.check("input[name=outcome][value=relevant]")
    page.fill("#f-met_on", "2026-07-08")
    page.select_option("#f-legal_form", "association")
    page.fill("#f-salaried_jobs", "-2")  # below the field's minimum of 0
    page.fill("#f-request", "Consolider le modèle économique")
    page.click("#decision-form button[type=submit]")
    error = page.locator("[data-field=salaried_jobs] .field-error")
    error.wait_for()
    assert "The minimum is 0." in error.inner_text()  # in the officer's language (English here)
    assert page.locator("#f-salaried_jobs").input_value() == "-2"  # the form keeps what was typed
    assert page.locator("#f-request").input_value() == "Consolider le modèle économique"
    assert page.locator("#case-status .stage").get_attribute("data-stage") == "intake"
    shot(page, "04-case-field-error")

    page.fill("#f-salaried_jobs", "4")
    page.click("#decision-form button[type=submit]")
    page.wait_for_url(f"**/cases/{ref}?decided=1")
    assert page.locator("#case-status .stage").get_attribute("data-stage") == "shared_diagnosis"
    assert page.locator("[role=status]").inner_text() == "Decision recorded."
    shot(page, "05-case-next-stage")

    # htmx swaps the fields when another outcome is chosen.
    page.check("input[name=outcome][value=declined]")
    page.locator("#f-reason").wait_for()
    assert page.locator("#f-interviews").count() == 1

    page.goto(f"{site.url}/cases?show=all")
    assert ref in page.inner_text("table.list")
    assert site.other_case not in page.content()  # another organisation's case never shows
    page.goto(f"{site.url}/due")
    shot(page, "06-due")
    page.goto(f"{site.url}/pathways/diagnosis")
    shot(page, "07-pathway")

    manager = browsers.context("fr", viewport={"width": 1280, "height": 900}).new_page()  # French pages
    log_in(manager, site, "hugo@example.org")
    manager.goto(f"{site.url}/audit")
    manager.fill("input[name=case]", ref)
    manager.click("form.filters button[type=submit]")
    manager.wait_for_url(f"**/audit?*case={ref}*")
    decision = manager.locator("tr.event.decision")
    assert decision.count() == 1
    # A sentence in the manager's French, with titles and labels, never ids.
    assert (
        "a enregistré « Demande pertinente : diagnostic à engager » à l'étape « Accueil et orientation »"
        in (decision.inner_text())
    )
    assert "Nombre de salarié·es : 4" in decision.inner_text()
    manager.locator("#verify-result li.ok").first.wait_for()  # verified beside the log
    shot(manager, "08-audit")
    manager.goto(f"{site.url}/dashboard")
    manager.locator("#figure-workload svg[role=img]").wait_for()
    shot(manager, "09-dashboard")
    manager.click("text=Messages en échec")  # in the managers' navigation
    manager.wait_for_url(f"{site.url}/messages/failed")
    assert manager.inner_text("h1") == "Messages en échec"
    shot(manager, "09b-failed-messages")
    manager.context.close()


def test_a_project_owner_follows_their_link_and_confirms_the_meeting(site: Site, page: Any) -> None:
    from builders import open_diagnosis

    case = open_diagnosis(site.app, make_project(site.app, site.org, owner=site.owner), None)
    link = ownerlinks.owner_link(site.app, case.id, site.owner)
    assert link.startswith(site.url + "/o/")
    page.goto(link)
    assert "Recyclerie" in page.inner_text("h1") or page.inner_text("h1")
    assert "Accueil et orientation" in page.inner_text(".stage")  # the owner reads French
    shot(page, "10-owner")
    page.click("text=Je confirme le rendez-vous")
    page.wait_for_url("**?done=meeting_confirmed")
    assert "Merci" in page.inner_text("[role=status]")
    assert page.locator("ul.done li").count() == 1
    with site.app.store.read() as conn:
        from pathways.services.casework import queries

        kinds = [e.kind for e in queries.history(conn, case.id)]
    assert "owner_meeting_confirmed" in kinds

    damaged = page.goto(link[:-3] + ("abc" if not link.endswith("abc") else "xyz"))  # a damaged link
    assert damaged is not None
    assert damaged.status == 404
    assert "This link does not open" in page.content()  # the browser asks for English
    expired = ownerlinks.owner_link(site.app, case.id, site.owner, days=-1)
    response = page.goto(expired)
    assert response is not None
    assert response.status == 410


def test_a_project_owner_follows_the_link_of_a_real_reminder_email_and_marks_the_documents_sent(
    site: Site, page: Any
) -> None:
    opened = datetime(2026, 7, 8, 8, 0, tzinfo=UTC)  # intake is due 22 July: the owner is reminded 16 July
    with smtp_server() as mailbox:
        owner = make_person(
            site.app,
            site.org,
            role="owner",
            name="Léa Bernard",
            email="lea@example.org",
            channels=(mailbox.url("lea@example.org"),),
        )
        project = make_project(site.app, site.org, name="Épicerie solidaire du Canal", owner=owner)
        case = open_diagnosis(site.app, project, None, at=opened)
        assert sweep(site.app, now=datetime(2026, 7, 16, 7, 30, tzinfo=UTC)).messages >= 1
        assert dispatch(site.app).sent >= 1
        mailbox.wait_for(1)
    [mail] = [m for m in mailbox.messages if m["To"] == "lea@example.org"]
    assert case.ref in mail["Subject"]
    lines = [line.strip() for line in plain_text(mail).splitlines()]
    links = [line for line in lines if re.fullmatch(rf"{re.escape(site.url)}/o/\S+", line)]
    assert len(links) == 1, plain_text(mail)  # the owner link, alone on its line

    page.goto(links[0])
    assert page.inner_text("h1") == "Épicerie solidaire du Canal"
    assert case.ref in page.content()
    assert "Accueil et orientation" in page.inner_text(".stage")  # where the case stands, in French
    # What is expected: what intake asks of the owner in the pathway file, the meeting and the documents.
    assert page.locator("h2", has_text=texts("fr")("What we expect from you")).count() == 1
    assert "Vos statuts, vos derniers comptes" in page.inner_text("section.owner")
    shot(page, "11-owner-from-email")
    page.click("text=J'ai envoyé les documents")
    page.wait_for_url("**?done=documents_sent")
    assert page.locator("[role=status]").count() == 1
    assert page.locator("ul.done li").count() == 1
    shot(page, "12-owner-documents-sent")
    with site.app.store.read() as conn:
        events = [e for e in queries.history(conn, case.id) if e.kind.startswith("owner_")]
    assert [e.kind for e in events] == ["owner_documents_sent"]
