"""A cooperation shared by two organisations with consent, in a real browser (Debian's Chromium), in French.

A PTCE's officer adds a second project as a member on the case page; its manager offers the case
to an incubator ("Shared with"); the incubator's officer still gets the unknown case's 404; the
incubator's manager accepts on /cooperation; the incubator's officer then opens the partner's view
(names and roles, no e-mail address) and adds the incubator's project; the PTCE's officer records
the four stages (emergence, formalisation, first joint action, review; the agreement document is
checked by the CLI walk, tests/e2e/test_cooperation_cli.py) and the partner reads where the
cooperation ended; the PTCE's manager withdraws the share and the incubator's officer gets the 404
again. Each page fits a phone and passes axe. Screenshots under
var/screenshots/cooperation-*.png.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from browsing import (
    PASSWORD,
    WIDTHS,
    axe_problems,
    blank_app,
    chromium,
    log_in,
    overflow,
    require_chromium,
    screenshot,
    serving,
    wide_elements,
)

from builders import make_org, make_person, make_project, open_case
from pathways.bootstrap import App, Clock
from pathways.services.people import accounts
from pathways.services.tx import write

pytestmark = pytest.mark.e2e
sync_api = require_chromium()

NOW = datetime.now(UTC).replace(microsecond=0)
PTCE, INCUBATOR = "PTCE Pays de Morlaix", "Incubateur ESS Finistère"


@dataclass(frozen=True)
class Site:
    url: str
    app: App
    ref: str


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    app, port = blank_app(tmp_path_factory.mktemp("cooperation"), Clock())
    home = make_org(app, name=PTCE, territory="FR-29")
    partner = make_org(app, name=INCUBATOR, territory="FR-29")
    people = [
        make_person(app, home, role="manager", name="Maëlle Le Gall", email="maelle@ptce.example"),
        make_person(app, home, name="Yann Kerjean", email="yann@ptce.example"),
        make_person(app, partner, role="manager", name="Soizic Tanguy", email="soizic@incub.example"),
        make_person(app, partner, name="Erwan Guivarc'h", email="erwan@incub.example"),
    ]
    with write(app) as tx:
        for person in people:
            accounts.add_user(tx, person=person, password=PASSWORD, language="fr")
    owner = make_person(app, home, role="owner", name="Anne Le Bihan", email="anne@recyclerie.example")
    lead = make_project(app, home, name="Recyclerie du Trégor", owner=owner)
    make_project(app, home, name="Légumerie solidaire")
    make_project(app, partner, name="Conserverie coopérative")
    ref = str(open_case(app, lead, people[1], "cooperation", at=NOW - timedelta(days=3)).ref)
    with serving(app, port):
        yield Site(f"http://127.0.0.1:{port}", app, ref)
    app.store.dispose()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with chromium(sync_api, lang="fr") as launched:  # French pages only: dates as 14/12/2026
        yield launched


def _checked(tab: Any, name: str) -> None:
    assert overflow(tab) == 0, wide_elements(tab)
    assert axe_problems(tab) == []
    screenshot(tab, f"cooperation-{name}")


def _as(browser: Any, site: Site, handle: str, width: int = 1280) -> tuple[Any, Any]:
    context = browser.new_context(viewport=WIDTHS[width], locale="fr-FR")
    tab = context.new_page()
    log_in(tab, site, handle)
    return context, tab


def _decide(
    tab: Any, site: Site, outcome: str, values: dict[str, str], then: str, shot: str | None = None
) -> None:
    """Record a decision on the case page as an officer does: the outcome, then each field (`shot`:
    the filled form's screenshot, before it is sent)."""
    tab.goto(f"{site.url}/cases/{site.ref}")
    tab.check(f"input[name=outcome][value={outcome}]")
    first = next(iter(values))
    tab.locator(f"#f-{first}").wait_for()
    for name, value in values.items():
        field = tab.locator(f"#f-{name}")
        if field.evaluate("e => e.tagName") == "SELECT":
            field.select_option(value)
        else:
            field.fill(value)
    if shot is not None:
        screenshot(tab, shot)
    tab.click("#decision-form button[type=submit]")
    tab.locator(then).wait_for()


def _not_found(browser: Any, site: Site) -> None:
    """The incubator's officer: the case answers as an unknown reference does."""
    context, tab = _as(browser, site, "erwan-guivarc-h")
    try:
        unknown = tab.goto(f"{site.url}/cases/COOP-2099-0001")
        shown = tab.goto(f"{site.url}/cases/{site.ref}")
        assert unknown is not None
        assert shown is not None
        assert (shown.status, unknown.status) == (404, 404)
    finally:
        context.close()


def test_a_cooperation_shared_by_two_organisations_with_consent(site: Site, browser: Any) -> None:
    context, tab = _as(browser, site, "yann-kerjean")
    try:
        tab.goto(f"{site.url}/cases/{site.ref}")
        tab.locator("#cooperation summary", has_text="Ajouter un membre").click()
        tab.select_option("#m-project", label="Légumerie solidaire")
        tab.select_option("#m-role", "lead")
        tab.click("#member-add-form button[type=submit]")
        tab.wait_for_url(f"{site.url}/cases/{site.ref}?coop=member_added#cooperation")
        members = tab.locator("#cooperation ul.members li").all_inner_texts()
        assert any("Légumerie solidaire" in m and "chef de file" in m for m in members)
        # An officer records no consent for the organisation: no share form for them.
        assert tab.locator("#share-offer-form").count() == 0
    finally:
        context.close()

    _not_found(browser, site)  # before any consent

    context, tab = _as(browser, site, "maelle-le-gall")
    try:
        tab.goto(f"{site.url}/cases/{site.ref}")
        tab.locator("#cooperation summary", has_text="Partager avec une structure partenaire").click()
        tab.fill("#s-partner", "Nulle part")
        tab.click("#share-offer-form button[type=submit]")
        assert "Aucune structure « Nulle part »." in tab.locator("#cooperation .alert").inner_text()
        tab.locator("#cooperation summary", has_text="Partager avec une structure partenaire").click()
        tab.fill("#s-partner", INCUBATOR)
        tab.click("#share-offer-form button[type=submit]")
        tab.wait_for_url(f"{site.url}/cases/{site.ref}?coop=offered#cooperation")
        assert tab.locator('#cooperation li[data-status="offered"]').count() == 1
        _checked(tab, "case-offered")
    finally:
        context.close()

    _not_found(browser, site)  # one organisation's consent only

    context, tab = _as(browser, site, "soizic-tanguy", width=390)
    try:
        tab.goto(f"{site.url}/cooperation")
        row = tab.locator(f'table.shared-cases tr[data-ref="{site.ref}"]')
        assert PTCE in row.inner_text()
        _checked(tab, "offers-phone")
        row.locator("button[type=submit]").click()
        tab.wait_for_url(f"{site.url}/cases/{site.ref}?coop=accepted#cooperation")
    finally:
        context.close()

    context, tab = _as(browser, site, "erwan-guivarc-h")
    try:
        tab.goto(f"{site.url}/cases/{site.ref}")
        page = tab.locator("main").inner_text()
        assert "Recyclerie du Trégor" in page
        assert "Yann Kerjean" in page  # a name...
        assert "@" not in page  # ...never an e-mail address
        assert "Anne Le Bihan" not in page  # nor the lead project's owner
        assert tab.locator("#decision-form").count() == 0  # no decision from the partner
        tab.select_option("#m-project", label="Conserverie coopérative")
        tab.click("#member-add-form button[type=submit]")
        tab.wait_for_url(f"{site.url}/cases/{site.ref}?coop=member_added#cooperation")
        assert "Conserverie coopérative" in tab.locator("ul.members").inner_text()
        _checked(tab, "partner-view")
    finally:
        context.close()

    # The PTCE's officer walks the cooperation through its four stages on the case page.
    day = NOW.date()
    context, tab = _as(browser, site, "yann-kerjean")
    try:
        emergence = {
            "purpose": "joint_bid",
            "shared_need": "Répondre ensemble au marché de la restauration scolaire",
            "agreement_due": str(day + timedelta(days=30)),
        }
        _decide(tab, site, "formalise", emergence, "#case-status .stage[data-stage=formalisation]")
        agreed = {
            "agreement": "consortium",
            "group_legal_form": "scic",
            "signed_on": str(day),
            "first_action_due": str(day + timedelta(days=60)),
        }
        _decide(
            tab, site, "agreed", agreed, "#case-status .stage[data-stage=first_action]", "cooperation-dates"
        )
        held = {
            "action": "Offre commune déposée",
            "held_on": str(day),
            "review_date": str(day + timedelta(days=90)),
        }
        _decide(tab, site, "held", held, "#case-status .stage[data-stage=review]")
        review = {"joint_revenue": "48000", "jobs_created": "3", "lessons": "Un marché gagné ensemble"}
        _decide(tab, site, "continued", review, "#case-status .badge")
        assert "Coopération établie" in tab.locator("#case-status").inner_text()
    finally:
        context.close()

    context, tab = _as(browser, site, "erwan-guivarc-h")
    try:  # the partner reads where the cooperation ended, stage by stage
        tab.goto(f"{site.url}/cases/{site.ref}")
        assert "Coopération établie" in tab.locator("#case-status").inner_text()
        assert tab.locator("aside table tbody tr").count() == 4
    finally:
        context.close()

    context, tab = _as(browser, site, "maelle-le-gall", width=390)
    try:
        tab.goto(f"{site.url}/cases/{site.ref}")
        section = tab.locator("#cooperation")
        assert "Conserverie coopérative" in section.inner_text()
        assert "Soizic Tanguy" in section.inner_text()
        assert section.locator('li[data-status="shared"]').count() == 1
        _checked(tab, "case-shared-phone")
        tab.click("#share-withdraw-form button[type=submit]")
        tab.wait_for_url(f"{site.url}/cases/{site.ref}?coop=withdrawn#cooperation")
        assert section.locator('li[data-status="withdrawn"]').count() == 1
    finally:
        context.close()

    _not_found(browser, site)  # after the withdrawal
