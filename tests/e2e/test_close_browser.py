"""Closing a case from its page in a real browser (Debian's Chromium), in French and Dutch, wide and narrow.

An officer opens "Close the case" on a case with child cases, sends it without a reason (the
form comes back saying why, beside the field), then with one: the case is closed, the
timeline shows the reason, and the page says the child cases stay open. Screenshots of each
step go to ``var/screenshots/`` (1280 and 390 px wide).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from browsing import PASSWORD, Chromiums, blank_app, chromiums, log_in, require_chromium, screenshot, serving

from builders import decide, make_org, make_person, make_project, open_case
from pathways.bootstrap import App
from pathways.services.casework import work
from pathways.services.people import accounts
from pathways.services.tx import write

pytestmark = pytest.mark.e2e

WORDS = {
    "fr": {"open": "Clôturer le dossier", "why": "Indiquez pourquoi", "children": "Ses dossiers dérivés"},
    "nl": {"open": "Dossier afsluiten", "why": "Zeg waarom", "children": "De afgeleide dossiers"},
}

sync_api = require_chromium()


@dataclass(frozen=True)
class Site:
    url: str
    app: App
    org: int
    officers: dict[str, int]


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    home = tmp_path_factory.mktemp("close-web")
    app, port = blank_app(home)
    org = make_org(app, name="DLA de Paris")
    officers = {
        "fr": make_person(app, org, name="Camille Martin", email="camille@example.org"),
        "nl": make_person(app, org, name="Lotte Peeters", email="lotte@example.org", language="nl"),
    }
    with write(app) as tx:
        for lang, person in officers.items():
            accounts.add_user(tx, person=person, password=PASSWORD, language=lang)
    with serving(app, port):
        yield Site(app.settings.base_url, app, org, officers)
    app.store.dispose()


@pytest.fixture(scope="module")
def browsers() -> Iterator[Chromiums]:
    with chromiums(sync_api) as launched:
        yield launched


def a_case_with_missions(site: Site, officer: int) -> str:
    """An ongoing support case at its consulting mission, with two missions running as child cases."""
    project = make_project(site.app, site.org, name="Recyclerie du Canal")
    case = open_case(site.app, project, officer, "ongoing_support")
    chosen = {
        "brief_sent_on": "2026-07-01",
        "consultant": str(officer),
        "parallel_missions": "Gouvernance;RH",
    }
    decide(site.app, case.ref, "consultant_chosen", chosen)
    work.run_pending(site.app, case_id=case.id)
    return str(case.ref)


@pytest.mark.parametrize("width", [1280, 390])
@pytest.mark.parametrize("lang", ["fr", "nl"])
def test_an_officer_closes_a_case_from_its_page_and_its_missions_stay_open(
    site: Site, browsers: Chromiums, lang: str, width: int
) -> None:
    words = WORDS[lang]
    ref = a_case_with_missions(site, site.officers[lang])
    context = browsers.context(lang, viewport={"width": width, "height": 900}, locale=f"{lang}-BE")
    tab = context.new_page()
    log_in(tab, site, "camille@example.org" if lang == "fr" else "lotte@example.org", then=f"/cases/{ref}")

    tab.click("#close-case summary")
    assert words["children"] in tab.locator("#close-case").inner_text()
    tab.check("#close-form input[name=result][value=withdrawn]")
    screenshot(tab, f"close-{lang}-{width}-1-form")
    tab.click("#close-form button[type=submit]")  # no reason: the browser asks for one first
    assert tab.url.endswith(f"/cases/{ref}")
    tab.fill("#close-reason", "   ")  # only spaces: the server says why, beside the field
    tab.click("#close-form button[type=submit]")
    tab.locator("#reason-error").wait_for()
    assert words["why"] in tab.locator("#reason-error").inner_text()
    screenshot(tab, f"close-{lang}-{width}-2-refused")

    tab.fill("#close-reason", "La structure se retire : nouvelle direction.")
    tab.click("#close-form button[type=submit]")
    tab.wait_for_url(f"**/cases/{ref}?decided=1")
    assert tab.locator("#children-open").count() == 1
    assert "La structure se retire : nouvelle direction." in tab.locator(".timeline").inner_text()
    assert tab.locator("#close-case").count() == 0
    screenshot(tab, f"close-{lang}-{width}-3-closed")
    context.close()
