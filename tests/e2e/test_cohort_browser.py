"""Incubation cohorts in a real browser (Debian's Chromium), in French and in Dutch, on a desk and a phone.

An officer records the selection jury's decision on the case page (the project joins the cohort
with its dates and mentor); the manager then finds the cohort in the menu, sees its three
incubatees with the stage each one is at (or the result it ended with) in the page's language,
and opens a member's case from it. Another organisation's cohort answers the 404 an unknown
one answers. Screenshots under var/screenshots/cohort-*.png.
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
    Chromiums,
    axe_problems,
    blank_app,
    chromiums,
    log_in,
    overflow,
    require_chromium,
    screenshot,
    serving,
    wide_elements,
)

from builders import decide, make_org, make_person, make_project, open_case
from pathways.bootstrap import App, Clock
from pathways.services.people import accounts
from pathways.services.tx import write

pytestmark = pytest.mark.e2e
sync_api = require_chromium()

NOW = datetime(2026, 9, 1, 8, 0, tzinfo=UTC)
START, END = "2026-09-07", "2027-05-28"
# language -> organisation, territory, manager, officer, mentor, cohort, its key, its three projects
ORGS = {
    "fr": (
        "Incubateur ESS Grand Est",
        "FR-67",
        ("Frédéric Koenig", "frederic-koenig"),
        ("Léa Schmitt", "lea-schmitt"),
        ("Céline Hoffmann", "celine-hoffmann"),
        "Promotion 2026",
        "promotion-2026",
        ("Fromagerie coopérative de Munster", "Atelier réemploi de Mulhouse", "Café des aidants d'Obernai"),
    ),
    "nl": (
        "Incubator Sociale Economie Gent",
        "BE-VLG",
        ("Griet Claes", "griet-claes"),
        ("Bram Peeters", "bram-peeters"),
        ("Annelies Wouters", "annelies-wouters"),
        "Lichting 2026",
        "lichting-2026",
        ("Buurtkeuken Gent", "Fietsatelier Ledeberg", "Kringloopcafé Brugse Poort"),
    ),
}
# What the cohort page says of each member, by language: its stage, or the result it ended with.
WHERE = {
    "fr": (
        "Incubation en promotion",
        "Activité créée, premier chiffre d'affaires",
        "Incubation en promotion",
    ),
    "nl": ("Incubatie in een lichting", "Activiteit opgericht, eerste omzet", "Incubatie in een lichting"),
}
COHORTS = {"fr": "Promotions", "nl": "Lichtingen"}  # the menu's word


@dataclass(frozen=True)
class Site:
    url: str
    app: App
    orgs: dict[str, int]
    jury_cases: dict[str, str]  # language -> the case the officer decides in the browser


def _cohort(name: str, mentor: str) -> dict[str, str]:
    return {"cohort": name, "cohort_start": START, "cohort_end": END, "mentor": mentor}


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    home = tmp_path_factory.mktemp("cohorts")
    app, port = blank_app(home, Clock(NOW))
    orgs, jury_cases = {}, {}
    for lang, (org_name, territory, manager, officer, mentor, cohort, _key, projects) in ORGS.items():
        org = orgs[lang] = make_org(app, name=org_name, territory=territory)
        manager_id = make_person(app, org, role="manager", name=manager[0], language=lang)
        officer_id = make_person(app, org, name=officer[0], language=lang)
        make_person(app, org, role="resource", name=mentor[0], language=lang)
        with write(app) as tx:
            for person in (manager_id, officer_id):
                accounts.add_user(tx, person=person, password=PASSWORD, language=lang)
        at = NOW - timedelta(days=40)
        refs = []
        for n, name in enumerate(projects):
            owner = make_person(app, org, role="owner", name=f"Porteur {n} {lang}", language=lang)
            project = make_project(
                app, org, name=name, owner=owner, siret=None, phase="idea", legal_form=None, permanent_jobs=0
            )
            ref = open_case(app, project, officer_id, "incubation", at=at).ref
            decide(app, ref, "applies", {"application_due": "2026-08-10"}, by=officer_id, at=at)
            values = {"application_received_on": "2026-08-05", "jury_date": "2026-09-03"}
            decide(app, ref, "submitted", values, by=officer_id, at=at + timedelta(days=3))
            refs.append(ref)
        first, second, third = refs
        decide(app, first, "accepted", _cohort(cohort, mentor[1]), by=officer_id, at=at + timedelta(days=5))
        decide(app, second, "accepted", _cohort(cohort, mentor[1]), by=officer_id, at=at + timedelta(days=5))
        registered = {"country": "fr", "siret": "73282932000074"} if lang == "fr" else {}
        launched = (registered or {"country": "be", "bce": "0403170701"}) | {
            "founded_on": "2026-08-20",
            "first_revenue_on": "2026-08-28",
            "jobs_created": "2",
        }
        decide(app, second, "launched", launched, by=officer_id, at=at + timedelta(days=30))
        jury_cases[lang] = third
    with serving(app, port):
        yield Site(f"http://127.0.0.1:{port}", app, orgs, jury_cases)
    app.store.dispose()


@pytest.fixture(scope="module")
def browsers() -> Iterator[Chromiums]:
    with chromiums(sync_api) as launched:
        yield launched


def _fits_and_passes_axe(tab: Any) -> None:
    assert overflow(tab) == 0, wide_elements(tab)
    assert axe_problems(tab) == []


@pytest.mark.parametrize("lang", sorted(ORGS))
def test_the_jury_puts_a_third_incubatee_in_the_cohort_and_the_manager_sees_where_each_stands(
    site: Site, browsers: Chromiums, lang: str
) -> None:
    _org, _territory, manager, officer, mentor, cohort, key, projects = ORGS[lang]
    ref = site.jury_cases[lang]
    desk = browsers.context(lang, viewport=WIDTHS[1280])
    try:
        tab = desk.new_page()
        log_in(tab, site, officer[1])
        tab.goto(f"{site.url}/cases/{ref}")
        tab.check("input[name=outcome][value=accepted]")
        tab.locator("#f-cohort").wait_for()
        tab.fill("#f-cohort", f"  {cohort.upper()} ")  # typed differently: still the same cohort
        tab.fill("#f-cohort_start", START)
        tab.fill("#f-cohort_end", END)
        tab.fill("#f-mentor", mentor[1])
        tab.click("#decision-form button[type=submit]")
        tab.locator("#case-status .stage[data-stage=incubation]").wait_for()
    finally:
        desk.close()

    for width in sorted(WIDTHS):
        context = browsers.context(lang, viewport=WIDTHS[width])
        try:
            tab = context.new_page()
            log_in(tab, site, manager[1])
            if width == 390:
                tab.locator("details.menu > summary").click()
            tab.get_by_role("link", name=COHORTS[lang], exact=True).click()
            tab.wait_for_url(f"{site.url}/cohorts")
            row = tab.locator("table.cohorts tbody tr")
            assert row.count() == 1
            cells = row.locator("td").all_inner_texts()
            assert cells[0].strip() == cohort  # the spelling most members used
            assert [c.strip() for c in cells[-5:]] == ["3", "2", "1", "0", "0"]
            _fits_and_passes_axe(tab)
            screenshot(tab, f"cohort-list-{lang}-{width}")

            row.locator("a").click()
            tab.wait_for_url(f"{site.url}/cohorts/{key}?org={site.orgs[lang]}")
            assert tab.locator("h1").inner_text().strip() == cohort
            members = tab.locator("table.list tbody tr")
            assert members.count() == 3
            shown = {
                members.nth(i).locator("td").nth(1).inner_text().strip(): members.nth(i)
                for i in range(members.count())
            }
            assert set(shown) == set(projects)
            for project, where in zip(projects, WHERE[lang], strict=True):
                assert where in shown[project].locator("td").nth(2).inner_text()
                assert mentor[0] in shown[project].locator("td").nth(5).inner_text()
            _fits_and_passes_axe(tab)
            screenshot(tab, f"cohort-show-{lang}-{width}")

            shown[projects[2]].locator("td a").click()
            tab.wait_for_url(f"{site.url}/cases/{ref}")
            assert tab.locator("#case-status .stage").get_attribute("data-stage") == "incubation"
        finally:
            context.close()


def test_another_organisations_cohort_answers_as_an_unknown_one(site: Site, browsers: Chromiums) -> None:
    context = browsers.context("fr", viewport=WIDTHS[1280])
    try:
        tab = context.new_page()
        log_in(tab, site, ORGS["fr"][2][1])
        theirs = tab.goto(f"{site.url}/cohorts/{ORGS['nl'][6]}?org={site.orgs['nl']}")
        unknown = tab.goto(f"{site.url}/cohorts/no-such-cohort")
        mine = tab.goto(f"{site.url}/cohorts/{ORGS['fr'][6]}")
        assert (theirs.status, unknown.status, mine.status) == (404, 404, 200)
        assert tab.goto(f"{site.url}/cohorts?org={site.orgs['nl']}").status == 404  # nor their list
        listed = tab.goto(f"{site.url}/cohorts")
        assert listed.status == 200
        assert ORGS["nl"][5] not in tab.content()
    finally:
        context.close()
