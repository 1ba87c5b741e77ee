"""Decision forms that help and the project owner's page, in Debian's Chromium (issue 21, items 5 and 7).

An officer reading French records a decision with three required fields left empty: three French
errors beside their fields and a summary; changing the outcome and back keeps the date typed. A
project owner reading Dutch opens their link at 390 and 1280 px, switches language, answers what
their stage asks with a document; the officer renews the link and the old one says so. Screenshots
under ``var/screenshots/item5-*`` and ``item7-*``.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

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

from builders import open_diagnosis
from pathways.services.people import ownerlinks
from pathways.store.core import MEMBER, PERSON, PROJECT

pytestmark = pytest.mark.e2e

sync_api = require_chromium()
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DemoSite]:
    with demo_site(tmp_path_factory.mktemp("demo-forms")) as served:
        yield served


@pytest.fixture(scope="module")
def browsers() -> Iterator[Chromiums]:
    with chromiums(sync_api) as launched:
        yield launched


def _fresh_case(
    site: DemoSite, officer: str, *, owner_language: str | None = None
) -> tuple[str, int, int | None]:
    """(ref, id, owner id): a new diagnosis case of a project of the officer's organisation, at intake."""
    person, member, project = PERSON, MEMBER, PROJECT
    with site.app.store.read() as conn:
        me, org = conn.execute(
            select(person.c.id, member.c.organisation_id)
            .join(member, member.c.person_id == person.c.id)
            .where(person.c.handle == officer)
            .limit(1)
        ).one()
        query = select(project.c.id, project.c.owner_id).where(
            project.c.organisation_id == org, project.c.phase.in_(["founded", "consolidation", "scaling"])
        )
        if owner_language:
            query = query.join(person, person.c.id == project.c.owner_id).where(
                person.c.language == owner_language
            )
        candidates = conn.execute(query.order_by(project.c.id)).all()
    for project_id, owner in candidates:
        try:
            case = open_diagnosis(site.app, project_id, me)
        except Exception:  # noqa: BLE001  a project the diagnosis refuses (legal form, no job): the next one
            continue
        return str(case.ref), int(case.id), owner
    pytest.fail(f"no project of {officer}'s organisation may open a diagnosis")


@pytest.mark.parametrize("width", sorted(WIDTHS))
def test_an_officer_sees_three_french_errors_beside_the_fields_and_keeps_the_date_when_changing_outcome(
    site: DemoSite, browsers: Chromiums, width: int
) -> None:
    ref, _case_id, _owner = _fresh_case(site, site.officer("fr"))
    context = browsers.context("fr", viewport=WIDTHS[width])
    try:
        tab = context.new_page()
        log_in(tab, site, site.officer("fr"))
        tab.goto(f"{site.url}/cases/{ref}")
        tab.check("input[name=outcome][value=relevant]")
        tab.locator("#f-met_on").wait_for()
        tab.fill("#f-met_on", "2026-07-08")  # one of the four required fields; three left empty
        tab.click("#decision-form button[type=submit]")

        summary = tab.locator(".error-summary")
        summary.wait_for()
        assert tab.evaluate("document.activeElement.classList.contains('error-summary')")  # read first
        assert (
            summary.locator("h3").inner_text()
            == "3 champs à corriger : la décision n'est pas encore enregistrée."
        )
        for name, label in (
            ("legal_form", "Forme juridique"),
            ("salaried_jobs", "Nombre de salarié·es"),
            ("request", "Objet de la demande"),
        ):
            error = tab.locator(f"[data-field={name}] .field-error")
            assert " ".join(error.inner_text().split()) == "Erreur : Ce champ est obligatoire."
            control = tab.locator(f"#f-{name}")
            assert control.get_attribute("aria-invalid") == "true"
            assert f"f-{name}-error" in (control.get_attribute("aria-describedby") or "")
            assert (
                summary.locator(f"a[href='#f-{name}']").inner_text() == f"{label} : Ce champ est obligatoire."
            )
            # The error sits beside its field: right above the control, below the label.
            error_box, control_box = error.bounding_box(), control.bounding_box()
            assert error_box is not None
            assert control_box is not None
            assert 0 <= control_box["y"] - (error_box["y"] + error_box["height"]) < 40
        assert tab.locator("#decision-fields .field-error").count() == 3
        assert tab.locator("#f-met_on").input_value() == "2026-07-08"  # kept after the refusal
        assert overflow(tab) == 0, wide_elements(tab)
        screenshot(tab, f"item5-forms-three-errors-fr-{width}")

        summary.locator("a[href='#f-salaried_jobs']").click()
        assert tab.evaluate("document.activeElement.id") == "f-salaried_jobs"

        # Another outcome: its own fields come in, the date typed stays, the old summary goes.
        tab.check("input[name=outcome][value=not_relevant]")
        tab.locator("#f-redirected_to").wait_for()
        assert tab.locator("#f-met_on").input_value() == "2026-07-08"
        assert tab.locator(".error-summary").count() == 0
        tab.fill("#f-redirected_to", "France Active")
        tab.check("input[name=outcome][value=relevant]")
        tab.locator("#f-redirected_to").wait_for(state="detached")
        assert tab.locator("#f-met_on").input_value() == "2026-07-08"
        tab.check("input[name=outcome][value=not_relevant]")
        tab.locator("#f-redirected_to").wait_for()
        assert tab.locator("#f-redirected_to").input_value() == "France Active"  # kept while hidden
        screenshot(tab, f"item5-forms-outcome-changed-fr-{width}")
    finally:
        context.close()


@pytest.mark.parametrize("width", sorted(WIDTHS))
def test_a_dutch_speaking_officer_reads_the_errors_in_dutch(
    site: DemoSite, browsers: Chromiums, width: int
) -> None:
    ref, _case_id, _owner = _fresh_case(site, site.officer("nl"))
    context = browsers.context("nl", viewport=WIDTHS[width])
    try:
        tab = context.new_page()
        log_in(tab, site, site.officer("nl"))
        tab.goto(f"{site.url}/cases/{ref}")
        tab.check("input[name=outcome][value=not_relevant]")
        tab.locator("#f-redirected_to").wait_for()
        tab.fill("#f-salaried_jobs", "veel")
        tab.click("#decision-form button[type=submit]")
        summary = tab.locator(".error-summary")
        summary.wait_for()
        assert (
            summary.locator("h3")
            .inner_text()
            .endswith("te verbeteren: de beslissing is nog niet vastgelegd.")
        )
        said = {
            name: " ".join(tab.locator(f"[data-field={name}] .field-error").inner_text().split())
            for name in ("met_on", "salaried_jobs", "redirected_to")
        }
        assert said == {
            "met_on": "Fout: Dit veld is verplicht.",
            "salaried_jobs": "Fout: Vul een geheel getal in, bijvoorbeeld 4.",
            "redirected_to": "Fout: Dit veld is verplicht.",
        }
        assert tab.locator("#f-salaried_jobs").input_value() == "veel"
        assert overflow(tab) == 0, wide_elements(tab)
        screenshot(tab, f"item5-forms-errors-nl-{width}")
    finally:
        context.close()


@pytest.mark.parametrize("width", sorted(WIDTHS))
def test_a_dutch_speaking_owner_answers_with_a_document_and_switches_language(
    site: DemoSite, browsers: Chromiums, width: int, tmp_path: Path
) -> None:
    ref, case_id, owner = _fresh_case(site, site.officer("nl"), owner_language="nl")
    assert owner is not None
    link = ownerlinks.owner_link(site.app, case_id, owner)
    context = browsers.context("fr", viewport=WIDTHS[width], locale="fr-BE")  # the browser says French
    try:
        tab = context.new_page()
        tab.goto(link)
        assert tab.locator("html").get_attribute("lang") == "nl"  # the owner's own language wins
        assert tab.locator(".stage").inner_text() == "Onthaal"
        asks = tab.locator(".ask button[type=submit]")
        assert asks.all_inner_texts() == ["Ik bevestig de afspraak", "Ik heb de documenten verstuurd"]
        assert tab.locator("nav.langs a[aria-current]").inner_text() == "Nederlands"
        assert overflow(tab) == 0, wide_elements(tab)
        assert not axe_problems(tab)
        screenshot(tab, f"item7-owner-nl-{width}")

        document = tmp_path / "statuten.pdf"
        document.write_bytes(PDF)
        tab.set_input_files("#files-documents_sent", str(document))
        tab.click("#ask-documents_sent button[type=submit]")
        tab.wait_for_url("**done=documents_sent*")
        assert "Bedankt, genoteerd" in tab.locator("[role=status]").inner_text()
        assert "statuten.pdf" in tab.locator("ul.done").inner_text()
        assert overflow(tab) == 0, wide_elements(tab)
        screenshot(tab, f"item7-owner-nl-answered-{width}")

        tab.click("nav.langs a[hreflang=fr]")
        tab.wait_for_url("**lang=fr")
        assert tab.locator("html").get_attribute("lang") == "fr"
        assert tab.locator(".stage").inner_text() == "Accueil et orientation"
        assert not axe_problems(tab)
        screenshot(tab, f"item7-owner-fr-{width}")
    finally:
        context.close()

    # The officer makes a new link: the old one now says so, in the owner's language.
    officer = browsers.context("nl", viewport=WIDTHS[width])
    try:
        tab = officer.new_page()
        log_in(tab, site, site.officer("nl"))
        tab.goto(f"{site.url}/cases/{ref}")
        tab.click("section.owner-link button[type=submit]")
        tab.locator("#owner-link").wait_for()
        fresh = tab.locator("#owner-link").input_value()
        assert fresh.startswith(f"{site.url}/o/")
        assert overflow(tab) == 0, wide_elements(tab)
        screenshot(tab, f"item7-owner-link-renewed-nl-{width}")
        response = tab.goto(link)
        assert response is not None
        assert response.status == 410
        assert tab.locator("h1").inner_text() == "Deze link werd vervangen"
        assert overflow(tab) == 0, wide_elements(tab)
        screenshot(tab, f"item7-owner-link-replaced-nl-{width}")
        response = tab.goto(fresh)
        assert response is not None
        assert response.status == 200
    finally:
        officer.close()
