"""The form that adds a project, in Debian's Chromium on a phone (390 px), in French and in Dutch.

Issue 21, item 5: sent with three mistakes (no name, a SIRET with a wrong check digit, jobs that
are not a number), it says the three at once, each beside its field and in the page's language,
keeps what was typed and adds nothing. Screenshots: ``var/screenshots/add-project-errors-*.png``.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from browsing import (
    PASSWORD,
    PHONE,
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
from sqlalchemy import func, select

from builders import make_org, make_person
from pathways.bootstrap import App
from pathways.services.people import accounts
from pathways.services.tx import write
from pathways.store.core import PROJECT

pytestmark = pytest.mark.e2e

sync_api = require_chromium()
SAID = {
    "fr": {
        "summary": "3 champs à corriger",
        "name": "Ce champ est obligatoire.",
        "siret": "Ce numéro SIRET n'est pas valide",
        "jobs": "Saisissez un nombre entier",
    },
    "nl": {
        "summary": "3 velden te verbeteren",
        "name": "Dit veld is verplicht.",
        "siret": "Dit SIRET-nummer is ongeldig",
        "jobs": "Vul een geheel getal in",
    },
}


@dataclass(frozen=True)
class Site:
    url: str
    app: App
    officers: dict[str, str]  # language -> login


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """A French and a Flemish organisation, each with an officer whose pages are in its language."""
    home = tmp_path_factory.mktemp("add-form-web")
    app, port = blank_app(home)
    officers = {}
    for lang, org_name, territory, officer in (
        ("fr", "DLA de Paris", "FR-75", "Camille Martin"),
        ("nl", "Sociale economie Gent", "BE-VLG", "Bram Peeters"),
    ):
        org = make_org(app, name=org_name, territory=territory, language=lang)
        officer_id = make_person(app, org, name=officer, email=f"{lang}-officer@example.org", language=lang)
        with write(app) as tx:
            accounts.add_user(tx, person=officer_id, password=PASSWORD, language=lang)
        officers[lang] = f"{lang}-officer@example.org"
    try:
        with serving(app, port):
            yield Site(app.settings.base_url, app, officers)
    finally:
        app.store.dispose()


@pytest.fixture(scope="module")
def browsers() -> Iterator[Chromiums]:
    with chromiums(sync_api) as launched:
        yield launched


def _projects(app: App) -> int:
    with app.store.read() as conn:
        return int(conn.scalar(select(func.count()).select_from(PROJECT)) or 0)


def _beside(tab: Any, name: str) -> bool:
    """Whether the error of input `name` is in the input's own field box, right above it."""
    field = tab.locator(f".field:has(#{name})").bounding_box()
    error = tab.locator(f"#{name}-error").bounding_box()
    box = tab.locator(f"#{name}").bounding_box()
    inside = field["y"] <= error["y"] and error["y"] + error["height"] <= field["y"] + field["height"]
    return bool(inside and error["y"] + error["height"] <= box["y"] + 1)


@pytest.mark.parametrize("lang", ["fr", "nl"])
def test_three_mistakes_in_a_new_project_are_said_beside_their_fields_on_a_phone(
    site: Site, browsers: Chromiums, lang: str
) -> None:
    context = browsers.context(lang, viewport=PHONE)
    tab = context.new_page()
    try:
        log_in(tab, site, site.officers[lang])
        tab.goto(f"{site.url}/projects/new")
        before = _projects(site.app)
        tab.fill("#name", "")
        tab.fill("#siret", "732 829 320 00075")
        tab.fill("#legal_form", "scop")
        tab.fill("#jobs", "beaucoup")
        tab.click("button[type=submit].primary")
        tab.wait_for_selector("#jobs-error")

        said = SAID[lang]
        assert said["summary"] in tab.inner_text(".error-summary")
        for name in ("name", "siret", "jobs"):
            assert said[name] in tab.inner_text(f"#{name}-error")
            assert f"{name}-error" in (tab.get_attribute(f"#{name}", "aria-describedby") or "")
            assert tab.get_attribute(f"#{name}", "aria-invalid") == "true"
            assert _beside(tab, name), f"the error of {name} is not beside it"
        assert tab.locator(".field-error").count() == 3
        assert tab.input_value("#siret") == "732 829 320 00075"
        assert tab.input_value("#jobs") == "beaucoup"
        assert tab.input_value("#legal_form") == "scop"
        assert overflow(tab) == 0, "the refused form scrolls sideways on a phone"
        assert _projects(site.app) == before
        screenshot(tab, f"add-project-errors-{lang}-390")
        assert axe_problems(tab) == []
    finally:
        context.close()
