"""Work on a case in a real browser (Debian's Chromium through Playwright), in French and Dutch, on a
wide screen and a 390-pixel phone: an officer adds a meeting report with a file, downloads it and
reassigns the case; a manager follows a hand-off from the closed case to the new one and back.

Screenshots go to var/screenshots/ (not committed): casework-<who>-<lang>-<width>-<step>.png.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from browsing import (
    PASSWORD,
    Chromiums,
    axe_problems,
    blank_app,
    chromiums,
    log_in,
    require_chromium,
    screenshot,
    serving,
)

from builders import (
    COMMITTEE_FAVOURABLE,
    DIAGNOSIS_ACCEPTED,
    INTAKE_RELEVANT,
    PLAN_VALIDATED,
    decide,
    make_org,
    make_person,
    make_project,
    open_diagnosis,
)
from pathways.bootstrap import App
from pathways.services.casework import work
from pathways.services.people import accounts
from pathways.services.tx import write

pytestmark = pytest.mark.e2e

PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
COMBOS = [("fr", 1280), ("fr", 390), ("nl", 1280), ("nl", 390)]
WORDS = {  # what the pages say, in each language (from the catalogues)
    "fr": {
        "added": "Le compte rendu est ajouté à l'historique.",
        "given": "Hugo Bernard suit maintenant le dossier.",
    },
    "nl": {
        "added": "Het gespreksverslag is aan de tijdlijn toegevoegd.",
        "given": "Hugo Bernard volgt het dossier nu op.",
    },
}

sync_api = require_chromium()


@dataclass(frozen=True)
class Site:
    url: str
    app: App
    cases: dict[tuple[str, int], str]  # an open case of each officer journey
    closed: str  # the diagnosis that handed off
    handed_to: str  # the ongoing support case it opened


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    home = tmp_path_factory.mktemp("casework")
    app, port = blank_app(home)
    org = make_org(app, name="DLA du Val-de-Marne", territory="FR-94")
    people = {
        "officer-fr": make_person(app, org, name="Camille Martin", email="camille@example.org"),
        "officer-nl": make_person(app, org, name="Sanne Janssens", email="sanne@example.org", language="nl"),
        "manager-fr": make_person(app, org, role="manager", name="Nadia Roche", email="nadia@example.org"),
        "manager-nl": make_person(app, org, role="manager", name="Pieter Claes", email="pieter@example.org"),
    }
    make_person(app, org, name="Hugo Bernard")  # the colleague cases are given to
    owner = make_person(app, org, role="owner", name="Inès Dubois", email="ines@example.org")
    with write(app) as tx:
        for key, person in people.items():
            accounts.add_user(tx, person=person, password=PASSWORD, language=key[-2:])
    cases = {}
    for lang, width in COMBOS:
        project = make_project(app, org, name=f"Recyclerie des Bords de Marne {lang} {width}", owner=owner)
        cases[(lang, width)] = str(open_diagnosis(app, project, people[f"officer-{lang}"]).ref)
    done = open_diagnosis(
        app, make_project(app, org, name="Épicerie solidaire du Port", owner=owner), people["officer-fr"]
    )
    for outcome, values in (
        ("relevant", INTAKE_RELEVANT),
        ("accepted", DIAGNOSIS_ACCEPTED),
        ("validated", PLAN_VALIDATED),
        ("favourable", COMMITTEE_FAVOURABLE),
    ):
        decide(app, done.ref, outcome, values, by=people["officer-fr"])
    work.run_pending(app)  # the hand-off opens the ongoing support case
    with app.store.read() as conn:
        from pathways.services.casework import queries

        handed_to = queries.show_case(conn, app.catalog, done.ref).children[0].ref
    with serving(app, port):
        yield Site(app.settings.base_url, app, cases, str(done.ref), str(handed_to))
    app.store.dispose()


@pytest.fixture(scope="module")
def browsers() -> Iterator[Chromiums]:
    with chromiums(sync_api) as launched:
        yield launched


def tab(browsers: Chromiums, width: int, lang: str) -> Any:
    context = browsers.context(lang, viewport={"width": width, "height": 900}, accept_downloads=True)
    return context.new_page()


def no_sideways_scroll(page: Any) -> None:
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1"), (
        "the page scrolls sideways"
    )


@pytest.mark.parametrize(("lang", "width"), COMBOS)
def test_an_officer_adds_a_meeting_report_with_a_file_and_reassigns_the_case(
    site: Site, browsers: Chromiums, lang: str, width: int
) -> None:
    page = tab(browsers, width, lang)
    ref = site.cases[(lang, width)]
    name = {"fr": "camille@example.org", "nl": "sanne@example.org"}[lang]
    me = {"fr": "Camille Martin", "nl": "Sanne Janssens"}[lang]
    log_in(page, site, name, then=f"/cases/{ref}")
    assert page.locator("html").get_attribute("lang") == lang
    assert page.locator("[data-notice=reminder]").is_visible()  # the next reminder, from its notice
    screenshot(page, f"casework-officer-{lang}-{width}-1-case")

    # A meeting report: its day, its text and a file; a wrong file first, refused beside its field.
    page.locator("details:has(#note-form) > summary").click()
    page.check("#note-form input[name=kind][value=meeting]")
    page.fill("#w-date", "2026-12-01")
    page.fill("#w-text", "Rencontre avec le bureau.\nTrésorerie : 3 mois d'avance.")
    page.set_input_files(
        "#w-note-file",
        files=[{"name": "statuts.pdf", "mimeType": "application/pdf", "buffer": b"<html>x</html>"}],
    )
    page.click("#note-form button[type=submit]")
    error = page.locator("#w-note-file-error")
    error.wait_for()
    assert "statuts.pdf" in error.inner_text()
    # The page comes back scrolled to the form (it posts to "#work"), the summary naming the field.
    assert -1 < page.evaluate("document.getElementById('work').getBoundingClientRect().top") < 100
    assert page.locator("details:has(#note-form) .alert li a").get_attribute("href") == "#w-note-file"
    assert axe_problems(page) == []  # the open form, its summary and its field's error included
    assert page.locator("#w-text").input_value().startswith("Rencontre avec le bureau.")  # kept
    screenshot(page, f"casework-officer-{lang}-{width}-2-refused-file")
    page.set_input_files(
        "#w-note-file", files=[{"name": "compte-rendu.pdf", "mimeType": "application/pdf", "buffer": PDF}]
    )
    page.click("#note-form button[type=submit]")
    page.wait_for_url(f"**/cases/{ref}?done=meeting*")
    assert page.locator("#work [role=status]").inner_text() == WORDS[lang]["added"]
    meeting = page.locator(".timeline li.meeting").first
    assert "Trésorerie : 3 mois d'avance." in meeting.inner_text()
    assert me in meeting.inner_text()
    with page.expect_download() as download:
        page.locator(".timeline li.attachment a").first.click()
    assert download.value.suggested_filename == "compte-rendu.pdf"
    no_sideways_scroll(page)
    screenshot(page, f"casework-officer-{lang}-{width}-3-meeting-added")

    # Reassign to a colleague: the page says so, the timeline records who and from whom.
    page.locator("details:has(#assign-form) > summary").click()
    page.select_option("#w-officer", label="Hugo Bernard")
    page.click("#assign-form button[type=submit]")
    page.wait_for_url(f"**/cases/{ref}?done=assigned*")
    assert WORDS[lang]["given"] in page.locator("#work [role=status]").inner_text()
    assert "Hugo Bernard" in page.locator(".case-head .meta").inner_text()
    assert f"{me} → Hugo Bernard" in page.locator(".timeline li.assigned").first.inner_text()
    assert page.locator("#assign-form").count() == 0  # no longer hers to give
    no_sideways_scroll(page)
    screenshot(page, f"casework-officer-{lang}-{width}-4-reassigned")
    page.context.close()


@pytest.mark.parametrize(("lang", "width"), COMBOS)
def test_a_manager_follows_a_hand_off_to_the_new_case_and_back(
    site: Site, browsers: Chromiums, lang: str, width: int
) -> None:
    page = tab(browsers, width, lang)
    log_in(
        page,
        site,
        {"fr": "nadia@example.org", "nl": "pieter@example.org"}[lang],
        then=f"/cases/{site.closed}",
    )
    onward = page.locator("[data-relation=handed_off_to] a")
    assert onward.inner_text() == site.handed_to
    no_sideways_scroll(page)
    screenshot(page, f"casework-manager-{lang}-{width}-1-closed-case")
    onward.click()
    page.wait_for_url(f"**/cases/{site.handed_to}")
    back = page.locator("[data-relation=handed_off_from] a")
    assert back.inner_text() == site.closed
    assert axe_problems(page) == []
    no_sideways_scroll(page)
    screenshot(page, f"casework-manager-{lang}-{width}-2-handed-off-case")
    back.click()
    page.wait_for_url(f"**/cases/{site.closed}")
    page.context.close()
