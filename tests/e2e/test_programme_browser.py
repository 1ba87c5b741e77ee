"""The programmes of issue 24 walked in a real browser (Debian's Chromium), as their people use them.

- A Fabrique à initiatives, from the need its idea scouts raised to the hand-off: the officer
  opens the case on an idea nobody carries, decides each stage in the decision form, and the
  lead found becomes the project's owner; the case then hands the project over to ongoing
  support (once founded) or to an incubator, and the officer follows the link to the new case.
- An impact evaluation (VISES) whose result unlocks a replication: the replication's gate
  refuses a model without an evaluation, the evaluation is walked to "impact shown", and the
  same decision then goes through.
- A Walloon agence-conseil (ACES) supports a creation to its follow-up; its manager opens the
  yearly activity report from the dashboard and downloads it as CSV, XLSX and PDF.

In French and Dutch (the Walloon agency in French only: Wallonia's language), on a desk
(1280 px) and a phone (390 px). Screenshots: var/screenshots/programme-<walk>-<lang>-<width>-*.png.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
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
from openpyxl import load_workbook

from builders import distinct_siret, make_org, make_person, make_project, open_case
from pathways.bootstrap import App, Clock
from pathways.services.people import accounts
from pathways.services.people.directory import slugify as _handle
from pathways.services.tx import write
from pdfs import needs_printing, pdf_text

pytestmark = pytest.mark.e2e
sync_api = require_chromium()

NOW = datetime(2026, 9, 1, 8, 0, tzinfo=UTC)
COMBOS = [("fr", 1280), ("fr", 390), ("nl", 1280), ("nl", 390)]
BCE = "0403170701"
# language -> the network, its territory, its manager and its officer (name, login handle)
NETWORKS = {
    "fr": ("Fabrique à initiatives Pays Basque", "FR-64", "Maite Etxeberria", "Léa Schmitt"),
    "nl": ("Fabrique à initiatives Brussel", "BE-BRU", "Griet Claes", "Bram Peeters"),
}
# (language, width) -> the idea the Fabrique starts from, the lead it finds, how it hands over
IDEAS = {
    ("fr", 1280): ("Garage solidaire de Bayonne", "Lucas Moreau", "founded"),
    ("fr", 390): ("Conciergerie rurale de Hasparren", "Inès Roche", "to_incubation"),
    ("nl", 1280): ("Deelgarage Anderlecht", "Jonas Maes", "to_incubation"),
    ("nl", 390): ("Buurtwasserette Molenbeek", "Lotte Jacobs", "founded"),
}
# language -> the enterprise whose model is to be replicated
MODELS = {"fr": "Conciergerie solidaire de Bordeaux", "nl": "Buurtconciërgerie Schaerbeek"}
# width -> the Walloon agency, its manager, its officer, the project it supports
AGENCIES = {
    1280: ("Agence-conseil Namur", "Julien Lambert", "Sophie Dubois", "Brasserie citoyenne de Namur"),
    390: ("Agence-conseil Liège", "Nathalie Leroy", "Thomas Renard", "Épicerie vrac de Ciney"),
}
# What the officers type, in their language.
SAID = {
    "fr": {
        "need": "Pas de garage abordable pour les ménages modestes",
        "scouts": "Mairie\nCCAS",
        "group": "Mairie\nCCAS\nMission locale",
        "solution": "Un garage solidaire avec des ateliers d'autoréparation",
        "model": "Réparations à prix solidaire, conventions avec le CCAS",
        "handover": "Promotion d'automne",
        "stakeholders": "Salarié·es\nHabitant·es\nBailleurs",
        "question": "La conciergerie crée-t-elle du lien entre voisin·es ?",
        "evidence": "Témoignages de 14 habitant·es\nPhotos des permanences",
        "findings": "Les habitant·es se connaissent davantage ; trois entraides durables",
        "report": "Rapport VISES 2026",
        "plan": "Assemblée générale, bailleurs, site web",
    },
    "nl": {
        "need": "Geen betaalbare garage voor gezinnen met een laag inkomen",
        "scouts": "Gemeente\nOCMW",
        "group": "Gemeente\nOCMW\nBuurtwerk",
        "solution": "Een solidaire garage met herstelateliers voor de bewoners",
        "model": "Herstellingen tegen een solidaire prijs, overeenkomsten met het OCMW",
        "handover": "Najaarslichting",
        "stakeholders": "Werknemers\nBewoners\nHuisvestingsmaatschappij",
        "question": "Brengt de conciërgerie buren dichter bij elkaar?",
        "evidence": "Getuigenissen van 14 bewoners\nFoto's van de permanenties",
        "findings": "De bewoners kennen elkaar beter; drie blijvende vormen van burenhulp",
        "report": "VISES-rapport 2026",
        "plan": "Algemene vergadering, huisvestingsmaatschappij, website",
    },
}
# What the pages say (from the pathway files and the catalogues).
WORDS: dict[str, dict[str, Any]] = {
    "fr": {
        "handed": {
            "founded": "Activité créée, transmise à l'accompagnement",
            "to_incubation": "Transmis à un incubateur",
        },
        "gate": "Seul un modèle éprouvé est essaimé",
    },
    "nl": {
        "handed": {
            "founded": "Activiteit opgericht, doorgegeven aan de begeleiding",
            "to_incubation": "Doorgegeven aan een incubator",
        },
        "gate": "Alleen een beproefd model wordt gerepliceerd",
    },
}


@dataclass(frozen=True)
class Site:
    url: str
    app: App
    ideas: dict[tuple[str, int], int]  # (language, width) -> the idea's project id
    leads: dict[tuple[str, int], int]  # (language, width) -> the lead's person id
    models: dict[str, tuple[int, str]]  # language -> (project id, its replication case)
    agencies: dict[int, tuple[int, int]]  # width -> (the agency's id, its project's id)


def _staff(app: App, org: int, manager: str, officer: str, lang: str) -> int:
    """The organisation's manager and officer, with a web login each; the officer's id."""
    manager_id = make_person(app, org, role="manager", name=manager, language=lang)
    officer_id = make_person(app, org, name=officer, language=lang)
    with write(app) as tx:
        for person in (manager_id, officer_id):
            accounts.add_user(tx, person=person, password=PASSWORD, language=lang)
    return officer_id


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    home = tmp_path_factory.mktemp("programmes-web")
    app, port = blank_app(home, Clock(NOW))
    ideas, leads, models = {}, {}, {}
    for lang, (name, territory, manager, officer) in NETWORKS.items():
        org = make_org(app, name=name, territory=territory, language=lang)
        officer_id = _staff(app, org, manager, officer, lang)
        for (idea_lang, width), (idea, lead, _how) in IDEAS.items():
            if idea_lang == lang:
                leads[(lang, width)] = make_person(app, org, role="owner", name=lead, language=lang)
                ideas[(lang, width)] = make_project(
                    app,
                    org,
                    name=idea,
                    owner=None,
                    siret=None,
                    phase="idea",
                    legal_form=None,
                    permanent_jobs=0,
                )
        owner = make_person(app, org, role="owner", name=f"Porteur {MODELS[lang]}", language=lang)
        model = make_project(app, org, name=MODELS[lang], owner=owner, phase="consolidation")
        models[lang] = (model, str(open_case(app, model, officer_id, "swarming", at=NOW).ref))
    agencies = {}
    for width, (name, manager, officer, project) in AGENCIES.items():
        agency = make_org(app, name=name, territory="BE-WAL")
        _staff(app, agency, manager, officer, "fr")
        created = make_project(app, agency, name=project, siret=None, phase="idea", legal_form=None)
        agencies[width] = (agency, created)
    with serving(app, port):
        yield Site(f"http://127.0.0.1:{port}", app, ideas, leads, models, agencies)
    app.store.dispose()


@pytest.fixture(scope="module")
def browsers() -> Iterator[Chromiums]:
    with chromiums(sync_api) as launched:
        yield launched


def _tab(browsers: Chromiums, lang: str, width: int) -> Any:
    context = browsers.context(lang, viewport=WIDTHS[width], accept_downloads=True)
    return context.new_page()


def _fits(tab: Any, axe: bool = False) -> None:
    assert overflow(tab) == 0, wide_elements(tab)
    if axe:
        assert axe_problems(tab) == []


def _open(tab: Any, site: Site, project: int, pathway: str) -> str:
    """Open a case from the "Open a case" page; its reference."""
    tab.goto(f"{site.url}/cases/new")
    tab.select_option("#project", str(project))
    tab.select_option("#pathway", pathway)
    tab.click("form[action='/cases/new'] button[type=submit]")
    tab.wait_for_url(re.compile(r"/cases/[A-Z]+-\d{4}-\d+$"))
    return str(tab.url.rsplit("/", 1)[1])


def _stage(tab: Any) -> str | None:
    stage = tab.locator("#case-status .stage")
    return str(stage.get_attribute("data-stage")) if stage.count() else None


def _choose(tab: Any, outcome: str) -> None:
    """Pick an outcome: the form fetches that outcome's fields and swaps them in (the first
    outcome comes checked, its fields shown)."""
    radio = tab.locator(f"#decision-form input[name=outcome][value={outcome}]")
    if radio.is_checked():
        return
    with tab.expect_response(lambda r: r.url.endswith("/form")):
        radio.check()
    tab.wait_for_function("() => !document.querySelector('#decision-form .htmx-request')")


def _fill(tab: Any, values: dict[str, str]) -> None:
    for name, value in values.items():
        field = tab.locator(f"#f-{name}")
        if field.evaluate("e => e.tagName") == "SELECT":
            field.select_option(value)
        else:
            field.fill(value)


def _decide(tab: Any, outcome: str, values: dict[str, str]) -> None:
    """Record a decision in the case page's form, as an officer does; it must be recorded."""
    _choose(tab, outcome)
    _fill(tab, values)
    tab.click("#decision-form button[type=submit]")
    tab.wait_for_url(re.compile(r"\?decided=1"))
    tab.locator("p.notice[role=status]").wait_for()


# Fabrique à initiatives ---------------------------------------------------------------------


@pytest.mark.parametrize(("lang", "width"), COMBOS)
def test_a_fabrique_goes_from_a_need_to_a_lead_who_owns_the_project_and_hands_it_over(
    site: Site, browsers: Chromiums, lang: str, width: int
) -> None:
    idea, lead, how = IDEAS[(lang, width)]
    shot = f"programme-fabrique-{lang}-{width}"
    tab = _tab(browsers, lang, width)
    try:
        log_in(tab, site, _handle(NETWORKS[lang][3]))
        ref = _open(tab, site, site.ideas[(lang, width)], "fabrique")
        assert ref.startswith("FAI-")
        assert idea in tab.locator(".case-head h1").inner_text()
        assert _stage(tab) == "need_detection"
        assert lead not in tab.locator(".case-head .meta").inner_text()  # an idea nobody carries yet
        screenshot(tab, f"{shot}-1-need")
        _fits(tab, axe=width == 1280)

        said = SAID[lang]
        need = {"need": said["need"], "raised_by": "local_authority", "idea_scouts": said["scouts"]}
        _decide(tab, "confirmed", need | {"creativity_session_on": "2026-02-03"})
        assert _stage(tab) == "opportunity_study"
        opportunity = {
            "working_group": said["group"],
            "solution": said["solution"],
            "economic_model": said["model"],
            "partners": said["scouts"],
            "study_completed_on": "2026-03-20",
        }
        _decide(tab, "opportunity_confirmed", opportunity)
        assert _stage(tab) == "lead_search"
        screenshot(tab, f"{shot}-2-lead-search")
        _fits(tab)
        sheet = tab.locator(".timeline li.document").first
        assert (
            sheet.locator("a + small").inner_text().strip().lower() == lang
        )  # the network's language: no lead yet

        found = {"project_lead": _handle(lead), "lead_kind": "entrepreneur", "handed_over_on": "2026-05-04"}
        _decide(tab, "lead_found", found)
        assert _stage(tab) == "feasibility"
        assert lead in tab.locator(".case-head .meta").inner_text()  # the lead found carries the project
        with site.app.store.read() as conn:
            from sqlalchemy import text

            owner = conn.execute(
                text("SELECT owner_id FROM project WHERE id = :id"), {"id": site.ideas[(lang, width)]}
            ).scalar_one()
        assert owner == site.leads[(lang, width)]
        screenshot(tab, f"{shot}-3-feasibility")
        _fits(tab, axe=width == 390)

        plan = {"business_plan_validated_on": "2026-07-30", "planned_jobs": "3", "planned_legal_form": "scic"}
        _decide(tab, "feasible", plan)
        assert _stage(tab) == "creation_support"
        if how == "founded":
            registered = (
                {"country": "fr", "siret": distinct_siret()}
                if lang == "fr"
                else {"country": "be", "bce": BCE}
            )
            _choose(tab, "founded")
            _fill(tab, {"country": registered["country"]})
            _decide(tab, "founded", registered | {"founded_on": "2026-08-20"})
            child_pathway, child_stage = "ongoing_support", "brief"
        else:
            _decide(tab, "to_incubation", {"handover_note": said["handover"]})
            child_pathway, child_stage = "incubation", "info_session"
        assert _stage(tab) is None
        assert WORDS[lang]["handed"][how] in tab.locator("#case-status").inner_text()
        chips = tab.locator(".timeline .chip").all_inner_texts()
        assert chips
        assert [c for c in chips if "_" in c] == []  # events in words, not their kinds
        screenshot(tab, f"{shot}-4-handed-over")
        _fits(tab, axe=width == 1280)

        onward = tab.locator("[data-relation=handed_off_to] a")
        child = onward.inner_text().strip()
        onward.click()
        tab.wait_for_url(f"{site.url}/cases/{child}")
        assert _stage(tab) == child_stage
        assert lead in tab.locator(".case-head .meta").inner_text()  # the project keeps its lead
        assert tab.locator("[data-relation=handed_off_from] a").inner_text().strip() == ref
        with site.app.store.read() as conn:
            from sqlalchemy import text

            pathway = conn.execute(
                text('SELECT pathway_id FROM "case" WHERE ref = :r'), {"r": child}
            ).scalar_one()
        assert pathway == child_pathway
        screenshot(tab, f"{shot}-5-next-case")
        _fits(tab)
    finally:
        tab.context.close()


# Impact evaluation (VISES) and the replication it unlocks ----------------------------------

READY = {
    "pilot_since": "2024-09-01",
    "economically_viable": "yes",
    "viability_evidence": "Comptes 2025 à l'équilibre",
    "kit": "Guide méthodologique\nStatuts types",
}


@pytest.mark.parametrize(("lang", "width"), [("fr", 1280), ("nl", 390)])
def test_an_impact_evaluation_that_shows_the_impact_lets_the_replication_through(
    site: Site, browsers: Chromiums, lang: str, width: int
) -> None:
    project, swarm = site.models[lang]
    shot = f"programme-impact-{lang}-{width}"
    tab = _tab(browsers, lang, width)
    try:
        log_in(tab, site, _handle(NETWORKS[lang][3]), then=f"/cases/{swarm}")
        assert _stage(tab) == "codify"
        _choose(tab, "ready")
        _fill(tab, READY)
        tab.click("#decision-form button[type=submit]")
        refused = tab.locator("section.decision .alert[role=alert]")
        refused.wait_for()
        assert WORDS[lang]["gate"] in refused.inner_text()  # the gate, in the reader's language
        assert refused.get_attribute("data-rule") == "replication_readiness"
        assert "an impact evaluation" in refused.locator("small[lang=en]").inner_text()  # what is missing
        assert _stage(tab) == "codify"
        screenshot(tab, f"{shot}-1-replication-refused")
        _fits(tab)

        ref = _open(tab, site, project, "impact_evaluation")
        assert _stage(tab) == "state_of_play"
        said = SAID[lang]
        _fill(tab, {"stakeholders": said["stakeholders"]})
        question = {
            "evaluative_question": said["question"],
            "tool": "vises",
            "collection_ends_on": "2026-11-13",
        }
        _decide(tab, "question_chosen", question)
        assert _stage(tab) == "data_collection"
        collected = {"evidence": said["evidence"], "collected_on": "2026-08-28"}
        _decide(tab, "collected", collected)
        assert _stage(tab) == "analysis"
        screenshot(tab, f"{shot}-2-analysis")
        _fits(tab, axe=True)
        shown = {"findings": said["findings"], "report": said["report"], "communication_plan": said["plan"]}
        _decide(tab, "impact_shown", shown)
        assert _stage(tab) is None
        screenshot(tab, f"{shot}-3-impact-shown")
        _fits(tab)

        tab.goto(f"{site.url}/cases/{swarm}")
        _decide(tab, "ready", READY)
        assert _stage(tab) == "model_choice"  # the evaluation is the proven model's evidence
        assert ref != swarm
        screenshot(tab, f"{shot}-4-replication-goes-on")
        _fits(tab, axe=True)
    finally:
        tab.context.close()


# Walloon agences-conseil (ACES) and their yearly report --------------------------------------

# The yearly report of an agency whose one project went orientation -> creation -> follow-up in
# 2026: (indicator, detail, number, hours) as the French page shows them.
ACES_REPORT = [
    ("Projets accompagnés, par phase", "Information et orientation", "1", "2,5"),
    ("Projets accompagnés, par phase", "Conseil et accompagnement à la création", "1", "30,0"),
    ("Projets accompagnés, par phase", "Conseil ponctuel", "0", "0,0"),
    ("Projets accompagnés, par phase", "Suivi post-création", "1", "6,0"),
    ("Projets accompagnés, total", "", "1", "38,5"),
    ("Entreprises créées", "", "1", ""),
    ("Emplois créés", "", "2", ""),
    ("Emplois au suivi post-création", "", "3", ""),
]


@pytest.mark.parametrize("width", sorted(AGENCIES))
def test_a_walloon_agency_supports_a_creation_and_downloads_its_yearly_report(
    site: Site, browsers: Chromiums, width: int, tmp_path: Path
) -> None:
    needs_printing()
    _name, manager, officer, project_name = AGENCIES[width]
    _agency, project = site.agencies[width]
    shot = f"programme-aces-fr-{width}"
    tab = _tab(browsers, "fr", width)
    try:
        log_in(tab, site, _handle(officer))
        ref = _open(tab, site, project, "aces_support")
        orientation = {"request": "Créer une brasserie coopérative", "hours_spent": "2,5"}
        _decide(tab, "creation", orientation | {"creation_kind": "new_enterprise"})
        assert _stage(tab) == "creation_support"
        founded = {"hours_spent": "30", "bce": BCE, "legal_form": "sc_cv", "founded_on": "2026-08-03"}
        _decide(tab, "founded", founded | {"jobs_created": "2"})
        assert _stage(tab) == "follow_up"
        screenshot(tab, f"{shot}-1-follow-up")
        _fits(tab)
        _decide(tab, "closed", {"hours_spent": "6", "jobs": "3"})
        assert _stage(tab) is None
        assert project_name in tab.locator(".case-head h1").inner_text()
        screenshot(tab, f"{shot}-2-completed")
        _fits(tab)
    finally:
        tab.context.close()

    tab = _tab(browsers, "fr", width)
    try:
        log_in(tab, site, _handle(manager), then="/dashboard")
        tab.get_by_role("link", name="Rapports aux financeurs").click()
        tab.wait_for_url(re.compile(r"/reports/funder/dla"))
        tab.get_by_role("link", name="Agence-conseil agréée (ACES)").click()
        tab.wait_for_url(re.compile(r"/reports/funder/aces\?year=2026"))
        rows = tab.locator("table.funder-report tbody tr")
        shown = [
            tuple(c.strip() for c in rows.nth(i).locator("td").all_inner_texts()) for i in range(rows.count())
        ]
        assert shown == ACES_REPORT, ref
        screenshot(tab, f"{shot}-3-yearly-report")
        _fits(tab, axe=True)

        files = {}
        for kind in ("CSV", "XLSX", "PDF"):
            with tab.expect_download() as download:
                tab.locator(".downloads a", has_text=kind).click()
            assert download.value.suggested_filename.startswith("aces-2026"), (
                download.value.suggested_filename
            )
            target = tmp_path / download.value.suggested_filename
            download.value.save_as(target)
            files[kind] = target.read_bytes()
    finally:
        tab.context.close()

    table = list(
        csv.reader(io.StringIO(files["CSV"].decode("utf-8-sig")), delimiter=_delimiter(files["CSV"]))
    )
    assert table[0][:3] == ["Indicateur", "Détail", "Nombre"]
    assert [row[:3] for row in table[1:]] == [list(r[:3]) for r in ACES_REPORT]
    sheet = load_workbook(io.BytesIO(files["XLSX"])).active
    assert sheet is not None
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:3] == ("Indicateur", "Détail", "Nombre")
    assert [(r[0], r[1] or "", r[2]) for r in rows[1:]] == [(i, d, int(n)) for i, d, n, _h in ACES_REPORT]
    assert rows[2][3] == 30  # hours stay numbers in the workbook
    assert files["PDF"].startswith(b"%PDF")
    printed = pdf_text(files["PDF"])
    assert "Entreprises créées" in printed
    assert AGENCIES[width][0] in printed  # the organisation it is about


def _delimiter(data: bytes) -> str:
    first = data.decode("utf-8-sig").splitlines()[0]
    return ";" if first.count(";") > first.count(",") else ","
