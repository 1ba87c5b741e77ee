"""What a walk through the demo in French and Dutch, on a desk and a phone, found (issue 21), held in
a real browser (Debian's Chromium speaking the page's language): a long state badge wraps inside a
project's card of cases, a case's ref stays on one line, the dashboard's tables fit their cards,
a territory is named by its name, and the audit page writes recorded dates in the reader's words.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from browsing import (
    WIDTHS,
    Chromiums,
    DemoSite,
    chromiums,
    demo_site,
    log_in,
    overflow,
    require_chromium,
    screenshot,
    wide_elements,
)
from sqlalchemy import select

from pathways.store.core import CASE, MEMBER, PERSON

pytestmark = pytest.mark.e2e
sync_api = require_chromium()

ISO_DAY = re.compile(r"\b\d{4}-\d{2}-\d{2}\b")
# Each table that scrolls inside itself, and each case ref link that takes more than one line.
INNER_SCROLL = """() => [...document.querySelectorAll('.table-scroll')]
    .filter(d => d.checkVisibility() && d.scrollWidth > d.clientWidth + 1)
    .map(d => (d.closest('section')?.querySelector('h2')?.textContent || '?') + ' ' +
              d.scrollWidth + '>' + d.clientWidth)"""
BROKEN_REFS = """() => [...document.querySelectorAll('td.ref a[href^="/cases/"]')]
    .filter(a => a.getClientRects().length > 1).map(a => a.textContent)"""


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DemoSite]:
    with demo_site(tmp_path_factory.mktemp("demo-walk")) as served:
        yield served


@pytest.fixture(scope="module")
def browsers() -> Iterator[Chromiums]:
    with chromiums(sync_api) as launched:
        yield launched


def _tab(browsers: Chromiums, site: DemoSite, lang: str, width: int, handle: str) -> tuple[Any, Any]:
    context = browsers.context(lang, viewport=WIDTHS[width])
    tab = context.new_page()
    log_in(tab, site, handle)
    return context, tab


def _projects_with_closed_cases(site: DemoSite, officer: str) -> list[int]:
    with site.app.store.read() as conn:
        org = conn.execute(
            select(MEMBER.c.organisation_id)
            .join(PERSON, PERSON.c.id == MEMBER.c.person_id)
            .where(PERSON.c.handle == officer)
            .limit(1)
        ).scalar_one()
        found = conn.execute(
            select(CASE.c.project_id)
            .where(CASE.c.organisation_id == org, CASE.c.status == "closed")
            .distinct()
            .order_by(CASE.c.project_id)
        ).scalars()
        return [int(p) for p in found]


@pytest.mark.parametrize("lang", ["fr", "nl"])
def test_a_project_with_closed_cases_fits_a_phone_and_its_refs_stay_whole(
    site: DemoSite, browsers: Chromiums, lang: str
) -> None:
    projects = _projects_with_closed_cases(site, site.officer(lang))
    assert projects, f"the demo has no closed case in the {lang} organisation"
    for width in sorted(WIDTHS):
        context, tab = _tab(browsers, site, lang, width, site.officer(lang))
        try:
            for project in projects:
                tab.goto(f"{site.url}/projects/{project}")
                assert overflow(tab) == 0, f"/projects/{project} at {width}: {wide_elements(tab)}"
                assert tab.evaluate(BROKEN_REFS) == [], f"/projects/{project} at {width}"
            screenshot(tab, f"walk-project-{lang}-{width}")
        finally:
            context.close()


@pytest.mark.parametrize("width", sorted(WIDTHS))
@pytest.mark.parametrize("lang", ["fr", "nl"])
def test_the_dashboard_tables_fit_their_cards_and_territories_have_their_names(
    site: DemoSite, browsers: Chromiums, lang: str, width: int
) -> None:
    context, tab = _tab(browsers, site, lang, width, site.manager(lang))
    try:
        tab.goto(f"{site.url}/dashboard")
        tab.locator("#figure-outcomes svg[role=img]").wait_for()
        assert overflow(tab) == 0, wide_elements(tab)
        assert tab.evaluate(INNER_SCROLL) == []
        assert tab.evaluate(BROKEN_REFS) == []
        outcomes = tab.locator("#figure-outcomes svg").text_content() or ""
        assert not re.search(r"\b(FR|BE)-[A-Z0-9]{2,3}\b", outcomes), outcomes  # FR-75, BE-VLG: codes
        if width == 390:  # each chart's figures as a table: one card per row, as wide as the phone
            for summary in tab.locator("figure.chart details summary").all():
                summary.click()
            assert tab.evaluate(INNER_SCROLL) == []
            assert overflow(tab) == 0, wide_elements(tab)
        screenshot(tab, f"walk-dashboard-{lang}-{width}")
    finally:
        context.close()


@pytest.mark.parametrize("lang", ["fr", "nl"])
def test_the_audit_page_writes_recorded_dates_in_the_readers_words(
    site: DemoSite, browsers: Chromiums, lang: str
) -> None:
    context, tab = _tab(browsers, site, lang, 390, site.manager(lang))
    try:
        tab.goto(f"{site.url}/audit")
        details = tab.locator("table.audit ul.details").all_inner_texts()
        assert details, "no decision with recorded values on the audit page's first page"
        assert [d for d in details if ISO_DAY.search(d)] == []
        assert overflow(tab) == 0, wide_elements(tab)
        assert tab.evaluate(BROKEN_REFS) == []
    finally:
        context.close()
