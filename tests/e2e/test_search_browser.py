"""An officer finds cases from the header's search box, in Debian's Chromium, on the demo.

In French and in Dutch, at 1280 and 390 pixels: a search by a project owner's name typed
without accents, by a SIRET with spaces, a sort by clicking a column, the next page, and a
file of the list. Screenshots: ``var/screenshots/search-<lang>-<width>*.png``.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from browsing import (
    WIDTHS,
    Chromiums,
    DemoSite,
    axe_problems,
    chromiums,
    demo_site,
    log_in,
    overflow,
    require_chromium,
    screenshot,
    wide_elements,
)
from sqlalchemy import select

from pathways.store.core import CASE, MEMBER, PERSON, PROJECT

pytestmark = pytest.mark.e2e
sync_api = require_chromium()


@dataclass(frozen=True)
class Target:
    """A case of the officer's organisation, and what it can be found by."""

    ref: str
    owner: str  # the project owner's name
    siret: str | None
    elsewhere: str  # a case of another organisation


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DemoSite]:
    with demo_site(tmp_path_factory.mktemp("demo-search")) as served:
        yield served


@pytest.fixture(scope="module")
def browsers() -> Iterator[Chromiums]:
    with chromiums(sync_api) as launched:
        yield launched


def target(site: DemoSite, lang: str) -> Target:
    """An open case of `lang`'s officer's organisation whose project has an owner (a SIRET if any)."""
    person, member, project, case = PERSON, MEMBER, PROJECT, CASE
    with site.app.store.read() as conn:
        org = conn.execute(
            select(member.c.organisation_id)
            .join(person, person.c.id == member.c.person_id)
            .where(person.c.handle == site.officer(lang))
            .limit(1)
        ).scalar_one()
        row = conn.execute(
            select(case.c.ref, person.c.name, project.c.siret)
            .join(project, project.c.id == case.c.project_id)
            .join(person, person.c.id == project.c.owner_id)
            .where(case.c.organisation_id == org)
            .order_by(project.c.siret.is_(None), case.c.id)
            .limit(1)
        ).one()
        elsewhere = conn.execute(
            select(case.c.ref).where(case.c.organisation_id != org).order_by(case.c.id).limit(1)
        ).scalar_one()
    return Target(row.ref, row.name, row.siret, elsewhere)


def plain(text: str) -> str:
    """As a hurried officer types it: no accents, lower case."""
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c)).lower()


def refs_listed(tab: Any) -> list[str]:
    return [t.strip() for t in tab.locator("table.cases tbody tr td:first-child a").all_inner_texts()]


def search_from_header(tab: Any, text: str) -> None:
    tab.fill("#top-search", text)
    tab.press("#top-search", "Enter")
    tab.wait_for_url(re.compile(r"/cases\?q="))


@pytest.mark.parametrize("lang", ["fr", "nl"])
@pytest.mark.parametrize("width", [1280, 390])
def test_an_officer_finds_a_case_from_the_header_and_narrows_the_list(
    site: DemoSite, browsers: Chromiums, lang: str, width: int
) -> None:
    found = target(site, lang)
    context = browsers.context(lang, viewport=WIDTHS[width])
    tab = context.new_page()
    try:
        log_in(tab, site, site.officer(lang))
        assert tab.locator("#top-search").is_visible()  # in the header, on a phone too

        owner_word = plain(found.owner).split()[-1]
        search_from_header(tab, owner_word)
        assert found.ref in refs_listed(tab), owner_word
        assert tab.locator("#top-search").input_value() == owner_word
        heading = tab.locator("h1").inner_text()
        assert heading == {"fr": "Résultats de la recherche", "nl": "Zoekresultaten"}[lang]
        assert overflow(tab) == 0, wide_elements(tab)
        assert axe_problems(tab) == []
        screenshot(tab, f"search-{lang}-{width}")

        if found.siret:
            spaced = f"{found.siret[:3]} {found.siret[3:6]} {found.siret[6:9]} {found.siret[9:]}"
            search_from_header(tab, spaced)
            assert refs_listed(tab) == [found.ref]

        search_from_header(tab, found.elsewhere)  # another organisation's exact reference
        assert refs_listed(tab) == []
        assert tab.locator("p.empty").is_visible()

        # Every open case of the organisation, sorted by project by clicking the column's title.
        tab.goto(f"{site.url}/cases?officer=&status=open")
        project_title = {"fr": "Projet", "nl": "Project"}[lang]
        if width < 768:  # the cards hide the table's header: the sort is a link in the URL there too
            tab.goto(f"{site.url}/cases?officer=&status=open&sort=project")
        else:
            tab.locator("table.cases thead th a", has_text=project_title).click()
            tab.wait_for_url(re.compile(r"sort=project"))
            assert tab.locator("th[aria-sort=ascending]").inner_text().startswith(project_title)
        projects = tab.locator("table.cases tbody tr td:nth-child(2)").all_inner_texts()
        assert projects == sorted(projects, key=str.lower)
        assert overflow(tab) == 0, wide_elements(tab)
        screenshot(tab, f"search-{lang}-{width}-sorted")

        csv_link = tab.locator("a[href*='format=csv']").first
        answer = tab.request.get(site.url + csv_link.get_attribute("href"))
        assert answer.ok
        assert answer.headers["content-type"].startswith("text/csv")
        assert "sort=project" in csv_link.get_attribute("href")
    finally:
        context.close()


def test_filters_from_the_form_stay_in_the_url(site: DemoSite, browsers: Chromiums) -> None:
    context = browsers.context("fr", viewport=WIDTHS[390])
    tab = context.new_page()
    try:
        log_in(tab, site, site.officer("fr"))
        tab.goto(f"{site.url}/cases")
        form = tab.locator("form.case-filters")
        form.locator("select[name=officer]").select_option("")
        form.locator("select[name=pathway]").select_option("diagnosis")
        form.locator("select[name=status]").select_option("all")
        form.locator("button[type=submit]").click()
        tab.wait_for_url(re.compile(r"pathway=diagnosis"))
        assert "status=all" in tab.url
        assert "officer=" in tab.url
        pathways = set(tab.locator("table.cases tbody tr td:nth-child(3)").all_inner_texts())
        assert pathways <= {"Diagnostic partagé"}, pathways  # the title, not the id "diagnosis"
        assert overflow(tab) == 0, wide_elements(tab)
        screenshot(tab, "search-fr-390-filtered")
        tab.reload()  # a bookmark gives the same list
        assert form.locator("select[name=pathway]").input_value() == "diagnosis"
    finally:
        context.close()
