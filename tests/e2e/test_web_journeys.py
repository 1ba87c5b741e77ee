"""The web app as its people use it, on the demo: a phone (390 px) and a desk (1280 px), in French and Dutch.

Every main page fits a phone without scrolling sideways, passes axe-core without a serious or
critical violation, and is photographed under ``var/screenshots/`` at both widths in both
languages (people look at those pictures before a page is called done). The menu folds into
a button on a phone, opens with the keyboard and without JavaScript.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from browsing import (
    DESK,
    PHONE,
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

pytestmark = pytest.mark.e2e

sync_api = require_chromium()


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DemoSite]:
    with demo_site(tmp_path_factory.mktemp("demo-web")) as served:
        yield served


@pytest.fixture(scope="module")
def browsers() -> Iterator[Chromiums]:
    with chromiums(sync_api) as launched:
        yield launched


@dataclass(frozen=True)
class Page:
    """A main page: its name in the screenshots, and where it is for a language."""

    name: str
    path: Callable[[DemoSite, str], str]
    signed_in: bool = True


MAIN_PAGES = (
    Page("login", lambda site, lang: f"/login?lang={lang}", signed_in=False),
    Page("cases", lambda site, lang: "/cases?show=all"),
    Page("case", lambda site, lang: f"/cases/{site.cases[lang]}"),
    Page("due", lambda site, lang: "/due?show=all"),
    Page("dashboard", lambda site, lang: "/dashboard"),
    Page("audit", lambda site, lang: "/audit"),
    Page("failed-messages", lambda site, lang: "/messages/failed"),
    Page("pathways", lambda site, lang: "/pathways"),
    Page("open-case", lambda site, lang: "/cases/new"),
    Page("projects", lambda site, lang: "/projects"),
    Page("project", lambda site, lang: f"/projects/{site.projects[lang]}"),
    Page("people", lambda site, lang: "/people"),
    Page("person", lambda site, lang: f"/people/{site.owners[lang]}"),
    Page("owner", lambda site, lang: site.owner_links[lang].removeprefix(site.url), signed_in=False),
)


def _visit(tab: Any, site: DemoSite, path: str) -> None:
    response = tab.goto(site.url + path)
    assert response is not None
    assert response.status == 200, f"{path}: {response.status}"
    tab.wait_for_load_state("networkidle")


@pytest.mark.parametrize("width", sorted(WIDTHS))
@pytest.mark.parametrize("lang", ["fr", "nl"])
def test_every_main_page_fits_the_screen_reads_well_and_passes_axe(
    site: DemoSite, browsers: Chromiums, lang: str, width: int
) -> None:
    """No sideways scroll at 390 or 1280 px; axe-core finds nothing serious (checked in French)."""
    problems: list[str] = []
    staff = browsers.context(lang, viewport=WIDTHS[width])
    visitor = browsers.context(lang, viewport=WIDTHS[width])
    try:
        signed_in = staff.new_page()
        log_in(signed_in, site, site.manager(lang))
        anonymous = visitor.new_page()
        for page in MAIN_PAGES:
            tab = signed_in if page.signed_in else anonymous
            path = page.path(site, lang)
            _visit(tab, site, path)
            assert tab.locator("html").get_attribute("lang") == lang, f"{page.name} is not in {lang}"
            screenshot(tab, f"{page.name}-{lang}-{width}")
            if (extra := overflow(tab)) > 0:
                problems.append(f"{page.name} ({path}) is {extra}px too wide: {wide_elements(tab)}")
            if lang == "fr":
                problems += [f"{page.name} ({path}): {p}" for p in axe_problems(tab)]
    finally:
        staff.close()
        visitor.close()
    assert not problems, "\n".join(problems)


def _visible(tab: Any, selector: str) -> bool:
    return bool(tab.locator(selector).first.is_visible())


def _outline(tab: Any) -> tuple[str, float]:
    style = tab.evaluate(
        "() => { const s = getComputedStyle(document.activeElement);"
        " return [s.outlineStyle, s.outlineWidth]; }"
    )
    return str(style[0]), float(str(style[1]).removesuffix("px") or 0)


def test_on_a_phone_the_menu_is_a_button_the_keyboard_opens_and_escape_closes(
    site: DemoSite, browsers: Chromiums
) -> None:
    context = browsers.context(None, viewport=PHONE)
    try:
        tab = context.new_page()
        log_in(tab, site, site.officer("fr"))
        _visit(tab, site, "/cases")
        summary = tab.locator("details.menu > summary")
        assert summary.is_visible()
        assert summary.inner_text().strip() == "Menu"
        assert not _visible(
            tab, "details.menu nav a[href='/due']"
        )  # folded: the page starts with its content
        assert tab.locator("h1").bounding_box()["y"] < 150

        # The first Tab reaches the skip link, which shows itself and leads to the content.
        tab.keyboard.press("Tab")
        assert tab.evaluate("document.activeElement.className") == "skip-link"
        box = tab.locator(".skip-link").bounding_box()
        assert box is not None
        assert box["y"] >= 0
        assert _outline(tab)[0] != "none"
        tab.keyboard.press("Enter")
        assert tab.evaluate("document.activeElement.id") == "main"

        # The menu button: focus visible, Enter opens, Tab walks the links, Escape closes.
        summary.focus()
        style, thickness = _outline(tab)
        assert style != "none"
        assert thickness >= 2
        tab.keyboard.press("Enter")
        assert tab.locator("details.menu").get_attribute("open") is not None
        assert _visible(tab, "details.menu nav a[href='/due']")
        tab.keyboard.press("Tab")
        assert tab.evaluate("document.activeElement.getAttribute('href')") == "/cases"
        tab.keyboard.press("Escape")
        assert tab.locator("details.menu").get_attribute("open") is None
        assert tab.evaluate("document.activeElement.tagName") == "SUMMARY"
        screenshot(tab, "menu-closed-fr-390")
        summary.click()
        screenshot(tab, "menu-open-fr-390")
        tab.click("details.menu nav a[href='/due']")
        tab.wait_for_url("**/due")
    finally:
        context.close()


def test_on_a_desk_the_whole_menu_shows_without_a_button(site: DemoSite, browsers: Chromiums) -> None:
    context = browsers.context(None, viewport=DESK)
    try:
        tab = context.new_page()
        log_in(tab, site, site.manager("nl"))
        _visit(tab, site, "/dashboard")
        assert not tab.locator("details.menu > summary").is_visible()
        for href in ("/cases", "/due", "/dashboard", "/audit"):
            assert _visible(tab, f"details.menu nav a[href='{href}']"), href
        assert tab.locator("nav a[aria-current=page]").get_attribute("href") == "/dashboard"
        # The folded menu's links are in the keyboard's path all the same: Tab goes from the search to them.
        tab.locator("form[role=search] button").focus()
        tab.keyboard.press("Tab")
        assert tab.evaluate("document.activeElement.getAttribute('href')") == "/cases"
        assert _outline(tab)[0] != "none"
    finally:
        context.close()


def test_the_phone_menu_works_without_javascript(site: DemoSite, browsers: Chromiums) -> None:
    context = browsers.context(None, viewport=PHONE, java_script_enabled=False)
    try:
        tab = context.new_page()
        log_in(tab, site, site.officer("nl"))
        _visit(tab, site, "/cases")
        assert not _visible(tab, "details.menu nav a[href='/due']")
        tab.click("details.menu > summary")
        assert _visible(tab, "details.menu nav a[href='/due']")
        tab.click("details.menu nav a[href='/due']")
        tab.wait_for_url("**/due")
        assert overflow(tab) == 0
    finally:
        context.close()


# --- The journeys of issue 21's "Must show" that no feature's own browser test walks -------------
# (search: test_search_browser.py; project edit and owner change: test_directory_browser.py; note with
# a file, reassign, a hand-off both ways: test_casework_browser.py.)


def _intake_case(site: DemoSite, officer: str) -> str:
    """An open diagnosis case of the officer's at its first stage (intake)."""
    from sqlalchemy import select

    from pathways.store.core import CASE, PERSON

    case, person = CASE, PERSON
    with site.app.store.read() as conn:
        return str(
            conn.execute(
                select(case.c.ref)
                .join(person, person.c.id == case.c.officer_id)
                .where(person.c.handle == officer, case.c.status == "open", case.c.stage == "intake")
                .order_by(case.c.id)
                .limit(1)
            ).scalar_one()
        )


@pytest.mark.parametrize("width", sorted(WIDTHS))
def test_a_decision_missing_three_fields_shows_the_three_errors_in_french_and_keeps_what_was_typed(
    site: DemoSite, browsers: Chromiums, width: int
) -> None:
    ref = _intake_case(site, site.officer("fr"))
    context = browsers.context("fr", viewport=WIDTHS[width])
    try:
        tab = context.new_page()
        log_in(tab, site, site.officer("fr"))
        _visit(tab, site, f"/cases/{ref}")
        tab.check("input[name=outcome][value=relevant]")
        tab.locator("#f-request").wait_for()
        tab.fill("#f-request", "Consolider le modèle économique")  # one of the four required fields
        tab.click("#decision-form button[type=submit]")
        summary = tab.locator(".error-summary")
        summary.wait_for()
        assert summary.locator("h3").inner_text().startswith("3 champs à corriger")
        assert summary.locator("li").count() == 3
        errors = tab.locator("#decision-fields .field-error")
        assert errors.count() == 3
        texts = errors.all_inner_texts()
        assert all(t.strip().endswith("Ce champ est obligatoire.") for t in texts), texts
        invalid = {
            tab.locator(f"[data-field={name}] [aria-invalid=true]").count()
            for name in ("met_on", "legal_form", "salaried_jobs")
        }
        assert invalid == {1}
        assert tab.locator("#f-request").input_value() == "Consolider le modèle économique"
        assert tab.locator("#case-status .stage").get_attribute("data-stage") == "intake"  # nothing recorded
        # The summary's links lead to the fields.
        summary.locator("a[href='#f-met_on']").click()
        assert tab.evaluate("document.activeElement.id") == "f-met_on"
        assert overflow(tab) == 0, wide_elements(tab)
        screenshot(tab, f"journey-decision-three-errors-fr-{width}")
    finally:
        context.close()


@pytest.mark.parametrize("width", sorted(WIDTHS))
def test_a_manager_reads_the_audit_log_page_by_page(site: DemoSite, browsers: Chromiums, width: int) -> None:
    context = browsers.context("fr", viewport=WIDTHS[width])
    try:
        tab = context.new_page()
        log_in(tab, site, site.manager("fr"))
        _visit(tab, site, "/audit")
        first = [int(s) for s in tab.locator("table.audit tbody td.num").all_inner_texts()]
        assert 0 < len(first) <= 100
        tab.click("nav.pager a[rel=next]")
        tab.wait_for_url("**/audit?*")
        tab.wait_for_load_state("networkidle")
        second = [int(s) for s in tab.locator("table.audit tbody td.num").all_inner_texts()]
        assert second
        assert max(second) < min(first)  # older events, none seen twice
        assert overflow(tab) == 0, wide_elements(tab)
        screenshot(tab, f"journey-audit-second-page-fr-{width}")
        tab.click("nav.pager a:not([rel=next])")  # back to the newest events
        tab.wait_for_load_state("networkidle")
        assert [int(s) for s in tab.locator("table.audit tbody td.num").all_inner_texts()] == first
    finally:
        context.close()


@pytest.mark.parametrize("width", sorted(WIDTHS))
def test_a_dutch_speaking_manager_reads_the_dashboard_charts_in_dutch(
    site: DemoSite, browsers: Chromiums, width: int
) -> None:
    context = browsers.context("nl", viewport=WIDTHS[width])
    try:
        tab = context.new_page()
        log_in(tab, site, site.manager("nl"))
        _visit(tab, site, "/dashboard")
        figures = tab.locator("figure.chart")
        assert figures.count() >= 3
        english = re.compile(r"\b(projects|days|cases|overdue|stage|per officer)\b", re.IGNORECASE)
        for i in range(figures.count()):
            figure = figures.nth(i)
            title = figure.locator("h2").inner_text()
            svg = figure.locator("svg[role=img]")
            assert svg.locator("title").first.text_content() == title  # the picture is named as it is shown
            words = " ".join(svg.locator("text").all_text_contents())
            assert not english.search(title + " " + words), title + ": " + words
            assert svg.bounding_box()["width"] <= WIDTHS[width]["width"]
        assert "Trechter" in tab.locator("figure.chart h2").first.inner_text()
        assert overflow(tab) == 0, wide_elements(tab)
        screenshot(tab, f"journey-charts-nl-{width}")
    finally:
        context.close()


@pytest.mark.parametrize("lang", ["fr", "nl"])
def test_a_project_owner_answers_on_a_phone_in_their_language_and_can_switch_it(
    site: DemoSite, browsers: Chromiums, lang: str
) -> None:
    other = {"fr": "nl", "nl": "fr"}[lang]
    context = browsers.context(lang, viewport=PHONE)
    try:
        tab = context.new_page()
        tab.goto(site.owner_links[lang])
        assert tab.locator("html").get_attribute("lang") == lang  # the owner's own language
        asks = tab.locator(".ask:not(.answered) button[type=submit]")
        assert asks.count() >= 1
        screenshot(tab, f"journey-owner-{lang}-390-1-link")
        tab.click(f"nav.langs a[hreflang={other}]")
        tab.wait_for_load_state("networkidle")
        assert tab.locator("html").get_attribute("lang") == other
        label = asks.first.inner_text()
        asks.first.click()
        tab.wait_for_url("**done=*")
        assert tab.locator("html").get_attribute("lang") == other  # the choice holds after answering
        assert label in tab.locator("[role=status]").inner_text()
        assert overflow(tab) == 0, wide_elements(tab)
        assert not axe_problems(tab)
        screenshot(tab, f"journey-owner-{lang}-390-2-answered-in-{other}")
    finally:
        context.close()
