"""Deadlines and stale forms in a real browser (Debian's Chromium), on the demo, in French and Dutch,
at 1280 and 390 px.

- An overdue deadline says so in words ("en retard", "te laat") on the case list, the due list
  and the case page, not by its red alone (WCAG 1.4.1); on a desk the deadline stays on one line.
- A manager who reassigns a case from a page shown before a colleague reassigned it is told who
  gave the case to whom, and when (409), and can reassign from the page as it now is.

Screenshots: var/screenshots/lists-<page>-<lang>-<width>.png and conflict-<lang>-<width>-<step>.png.
"""

from __future__ import annotations

from collections.abc import Iterator
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
)

pytestmark = pytest.mark.e2e

sync_api = require_chromium()

COMBOS = [("fr", 1280), ("fr", 390), ("nl", 1280), ("nl", 390)]
LATE = {"fr": "en retard", "nl": "te laat"}
GAVE = {"fr": "a confié le dossier à", "nl": "wees het dossier op"}


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DemoSite]:
    with demo_site(tmp_path_factory.mktemp("demo-lists")) as served:
        yield served


@pytest.fixture(scope="module")
def browsers() -> Iterator[Chromiums]:
    with chromiums(sync_api) as launched:
        yield launched


def _marks(tab: Any) -> list[str]:
    return [t.strip() for t in tab.locator("td .late-mark").all_inner_texts()]


@pytest.mark.parametrize(("lang", "width"), COMBOS)
def test_overdue_deadlines_say_so_in_words_and_stay_on_one_line(
    site: DemoSite, browsers: Chromiums, lang: str, width: int
) -> None:
    context = browsers.context(lang, viewport=WIDTHS[width])
    try:
        tab = context.new_page()
        log_in(tab, site, site.manager(lang))
        tab.goto(f"{site.url}/cases?officer=&status=open")
        late = tab.locator("td .due-at.late")
        assert late.count() >= 1, "the demo has overdue cases"
        assert _marks(tab) == [LATE[lang]] * late.count()  # each one, in words
        if width == 1280:  # the deadline ("14 déc. 2026, 23:59") is never cut in two
            lines = tab.evaluate(
                "[...document.querySelectorAll('td .due-at')].map(e => e.getClientRects().length)"
            )
            assert set(lines) == {1}
        assert overflow(tab) == 0
        screenshot(tab, f"lists-cases-{lang}-{width}")
        first_late = tab.locator("tr:has(td .due-at.late) td.ref a").first.inner_text()

        tab.goto(f"{site.url}/due?show=all")
        assert tab.locator("td .due-at.late").count() == len(_marks(tab)) >= 1
        assert set(_marks(tab)) == {LATE[lang]}
        assert overflow(tab) == 0
        if lang == "fr":
            assert axe_problems(tab) == []
        screenshot(tab, f"lists-due-{lang}-{width}")

        tab.goto(f"{site.url}/cases/{first_late}")
        assert tab.locator("#case-status .badge.late").inner_text().strip() == LATE[lang]
        screenshot(tab, f"lists-late-case-{lang}-{width}")
    finally:
        context.close()


def _candidates(tab: Any) -> list[str]:
    return [o for o in tab.locator("#w-officer option").all_inner_texts() if o.strip() not in {"", "—"}]


@pytest.mark.parametrize(("lang", "width"), COMBOS)
def test_a_reassignment_from_a_stale_page_says_who_changed_the_case(
    site: DemoSite, browsers: Chromiums, lang: str, width: int
) -> None:
    context = browsers.context(lang, viewport=WIDTHS[width])
    try:
        stale = context.new_page()
        log_in(stale, site, site.manager(lang), then=f"/cases/{site.cases[lang]}")
        fresh = context.new_page()
        fresh.goto(f"{site.url}/cases/{site.cases[lang]}")
        # A colleague (the other tab) reassigns the case first.
        fresh.locator("details:has(#assign-form) > summary").click()
        first, second = _candidates(fresh)[:2]
        fresh.select_option("#w-officer", label=first)
        fresh.click("#assign-form button[type=submit]")
        fresh.wait_for_url("**?done=assigned*")

        # The page shown before it reassigns to someone else: refused, naming the change.
        stale.locator("details:has(#assign-form) > summary").click()
        stale.select_option("#w-officer", label=second)
        with stale.expect_response(lambda r: r.url.endswith("/assign#work") or "/assign" in r.url) as sent:
            stale.click("#assign-form button[type=submit]")
        assert sent.value.status == 409
        alert = stale.locator("details:has(#assign-form) .alert.conflict")
        alert.wait_for()
        said = alert.inner_text()
        assert f"{GAVE[lang]}" in said, said
        assert first in said
        assert overflow(stale) == 0
        if lang == "fr":
            assert axe_problems(stale) == []
        screenshot(stale, f"conflict-{lang}-{width}-1-refused")

        # The page as it now is carries the new version: the reassignment goes through.
        stale.select_option("#w-officer", label=second)
        stale.click("#assign-form button[type=submit]")
        stale.wait_for_url("**?done=assigned*")
        assert second in stale.locator(".case-head .meta").inner_text()
        screenshot(stale, f"conflict-{lang}-{width}-2-reassigned")
    finally:
        context.close()
