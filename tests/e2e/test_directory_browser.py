"""Projects and people in a real browser, on the demo: an officer makes a local project lead the owner.

Issue 21, item 2. In French and in Dutch, at 1280 and 390 px: the officer adds the person found
along the way, follows the case page's link to the project's sheet, sends the edit form with two
mistakes (both said at once, beside their fields, in the page's language, what was typed kept),
corrects them and makes the new person the owner; the sheet and the case page then name them.
Screenshots go under ``var/screenshots/directory-*.png``.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from browsing import (
    PASSWORD,
    WIDTHS,
    Chromiums,
    axe_problems,
    blank_app,
    chromiums,
    log_in,
    overflow,
    require_chromium,
    screenshot,
    serving,
)
from sqlalchemy import select

from builders import make_org, make_person, make_project, open_diagnosis
from pathways.bootstrap import App
from pathways.services.people import accounts
from pathways.services.tx import write
from pathways.store.core import PROJECT

pytestmark = pytest.mark.e2e

sync_api = require_chromium()
SAID = {
    "fr": (
        "2 champs à corriger",
        "Ce champ est obligatoire.",
        "Ce numéro SIRET n'est pas valide",
        "Modifications enregistrées.",
    ),
    "nl": (
        "2 velden te verbeteren",
        "Dit veld is verplicht.",
        "Dit SIRET-nummer is ongeldig",
        "Wijzigingen opgeslagen.",
    ),
}


@dataclass(frozen=True)
class Site:
    url: str
    app: App
    officers: dict[str, str]  # language -> login
    cases: dict[str, str]  # language -> an open case of that officer's organisation


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """A French and a Flemish organisation, each with an officer (a login in its language), a
    project lead and a project with an open diagnosis."""
    home = tmp_path_factory.mktemp("directory-web")
    app, port = blank_app(home)
    url, store = app.settings.base_url, app.store
    officers, cases = {}, {}
    for lang, org_name, territory, officer, owner, project in (
        ("fr", "DLA de Paris", "FR-75", "Camille Martin", "Inès Dubois", "Recyclerie du Canal"),
        ("nl", "Sociale economie Gent", "BE-VLG", "Bram Peeters", "Griet Claes", "Buurtwinkel De Linde"),
    ):
        org = make_org(app, name=org_name, territory=territory, language=lang)
        officer_id = make_person(app, org, name=officer, email=f"{lang}-officer@example.org", language=lang)
        owner_id = make_person(app, org, role="owner", name=owner, email=f"{lang}-owner@example.org")
        project_id = make_project(app, org, name=project, owner=owner_id, territory=territory)
        cases[lang] = str(open_diagnosis(app, project_id, officer_id).ref)
        with write(app) as tx:
            accounts.add_user(tx, person=officer_id, password=PASSWORD, language=lang)
        officers[lang] = f"{lang}-officer@example.org"
    try:
        with serving(app, port):
            yield Site(url, app, officers, cases)
    finally:
        store.dispose()


@pytest.fixture(scope="module")
def browsers() -> Iterator[Chromiums]:
    with chromiums(sync_api) as launched:
        yield launched


def fits(tab: Any, width: int, what: str) -> None:
    if width == 390:
        assert overflow(tab) == 0, f"{what} scrolls sideways on a phone"


@pytest.mark.parametrize("width", sorted(WIDTHS))
@pytest.mark.parametrize("lang", ["fr", "nl"])
def test_an_officer_makes_a_local_project_lead_the_owner_of_a_project(
    site: Site, browsers: Chromiums, lang: str, width: int
) -> None:
    context = browsers.context(lang, viewport=WIDTHS[width], locale=f"{lang}-BE")
    tab = context.new_page()
    try:
        log_in(tab, site, site.officers[lang])
        name = f"Porteur local {lang.upper()} {width}"
        email = f"porteur-{lang}-{width}@example.org"

        # The person found along the way, added to the organisation as a project lead.
        tab.goto(f"{site.url}/people/new")
        tab.fill("#name", name)
        tab.select_option("#role", "owner")
        tab.fill("#email", email)
        tab.click("button[type=submit].primary")
        tab.wait_for_load_state()

        # From the case page to the project's sheet.
        tab.goto(f"{site.url}/cases/{site.cases[lang]}")
        tab.click("h1 small a")
        tab.wait_for_url("**/projects/*")
        project_id = int(tab.url.rsplit("/", 1)[1].split("?")[0])
        fits(tab, width, "the project sheet")
        screenshot(tab, f"directory-project-{lang}-{width}")
        before = tab.input_value("#f-name")
        siret_before = tab.input_value("#f-siret")

        # Two mistakes: both said at once, beside their fields, what was typed kept.
        tab.fill("#f-name", "")
        tab.fill("#f-siret", "732 829 320 00075")
        tab.click("form[action^='/projects/'] button[type=submit]")
        summary, required, siret, saved = SAID[lang]
        assert summary in tab.inner_text(".error-summary")
        assert required in tab.inner_text("#f-name-error")
        assert siret in tab.inner_text("#f-siret-error")
        assert tab.input_value("#f-siret") == "732 829 320 00075"
        assert tab.evaluate("document.activeElement.classList.contains('error-summary')")
        fits(tab, width, "the refused form")
        screenshot(tab, f"directory-project-errors-{lang}-{width}")

        # Corrected, with the new owner.
        tab.fill("#f-name", before)
        tab.fill("#f-siret", siret_before)
        tab.select_option("#f-owner", label=f"{name} ({email})")
        tab.click("form[action^='/projects/'] button[type=submit]")
        tab.wait_for_url("**/projects/*?saved=1")
        assert saved in tab.inner_text(".notice")
        assert tab.inner_text("[data-owner]") == name
        screenshot(tab, f"directory-project-saved-{lang}-{width}")
        with site.app.store.read() as conn:
            owner = conn.scalar(select(PROJECT.c.owner_id).where(PROJECT.c.id == project_id))
        tab.click("[data-owner]")
        tab.wait_for_url(f"**/people/{owner}")
        assert email in tab.inner_text("main")
        fits(tab, width, "the person's sheet")
        screenshot(tab, f"directory-person-{lang}-{width}")

        tab.goto(f"{site.url}/cases/{site.cases[lang]}")
        assert tab.locator(f"a[href='/people/{owner}']").inner_text() == name

        for path, shot in (("/projects", "projects"), ("/people", "people")):
            tab.goto(f"{site.url}{path}")
            fits(tab, width, path)
            screenshot(tab, f"directory-{shot}-{lang}-{width}")
        assert axe_problems(tab) == []
    finally:
        context.close()
