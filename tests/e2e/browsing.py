"""Shared by the browser tests: Debian's Chromium through Playwright, the demo served by uvicorn,
screenshots under ``var/screenshots/``, axe-core and the phone-width checks.

The demo (:func:`pathways.demo.seed.load`, the data of ``pathways init --demo``) is served from a
SQLite file in a temporary folder, with web logins for a French and a Dutch-speaking officer and
manager, and signed links for a French and a Dutch-speaking project owner.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import pytest
import uvicorn
from sqlalchemy import select

from mailcatch import free_port
from pathways.bootstrap import App, Clock
from pathways.demo import seed
from pathways.services.people import accounts, ownerlinks
from pathways.services.tx import write
from pathways.settings import load_settings
from pathways.store.core import CASE, MEMBER, PERSON, PROJECT
from pathways.store.db import Store, init_database
from pathways.web import create_app

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
SCREENSHOTS = ROOT / "var" / "screenshots"  # not committed (.gitignore: var/)
PASSWORD = "correct horse battery staple"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PHONE = {"width": 390, "height": 844}
DESK = {"width": 1280, "height": 900}
WIDTHS = {390: PHONE, 1280: DESK}
SERIOUS = frozenset({"serious", "critical"})
LOCALES = {"fr": "fr-FR", "nl": "nl-BE"}  # the browser's, so that date inputs read as at home

# The demo's people who get a login, by language: (manager, officer) handles.
STAFF = {"fr": ("helene-garnier", "camille-martin"), "nl": ("griet-claes", "bram-peeters")}


def require_chromium() -> Any:
    """Playwright's sync API, or skip the module (fail under CI=true) when Chromium is missing."""
    if not CHROMIUM.exists():
        reason = f"{CHROMIUM} is missing: install Debian's chromium (apt-get install chromium)"
        if os.environ.get("CI") == "true":
            pytest.fail(f"{reason}; CI=true requires the browser tests", pytrace=False)
        pytest.skip(reason, allow_module_level=True)
    return pytest.importorskip("playwright.sync_api")


@dataclass(frozen=True)
class DemoSite:
    """The demo, served: its address, the application, and what the tests reach it with."""

    url: str
    app: App
    owner_links: dict[str, str]  # language -> a signed link of an owner of that language
    cases: dict[str, str]  # language -> the ref of an open case of that language's organisation
    projects: dict[str, int] = field(default_factory=dict)  # language -> that case's project
    owners: dict[str, int] = field(default_factory=dict)  # language -> that project's owner (a person id)

    def manager(self, lang: str) -> str:
        return STAFF[lang][0]

    def officer(self, lang: str) -> str:
        return STAFF[lang][1]


class Served(Protocol):
    """Anything served at an address (a test module's own site or the demo's)."""

    @property
    def url(self) -> str: ...


def blank_app(home: Path, clock: Clock | None = None) -> tuple[App, int]:
    """An empty application on a new SQLite file in `home`, and the free port it is to be served on
    (its settings' base URL)."""
    port = free_port()
    settings = load_settings(
        config_dir=ROOT / "config", environment="test", home=home, base_url=f"http://127.0.0.1:{port}"
    )
    store = Store.from_url(f"sqlite:///{home / 'pathways.db'}")
    init_database(store)
    return App(settings=settings, store=store, clock=clock or Clock()), port


@contextmanager
def serving(app: App, port: int) -> Iterator[None]:
    """The web app on 127.0.0.1:port in a thread, until the block ends."""
    server = uvicorn.Server(uvicorn.Config(create_app(app), host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            pytest.fail("uvicorn did not start")
        time.sleep(0.05)
    try:
        yield
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def _open_case_with_owner(app: App, staff_handle: str) -> tuple[int, str, int, int]:
    """(case, ref, project, owner ids): an open case of the organisation, of a project with an owner."""
    person, member, project, case = PERSON, MEMBER, PROJECT, CASE
    with app.store.read() as conn:
        org = conn.execute(
            select(member.c.organisation_id)
            .join(person, person.c.id == member.c.person_id)
            .where(person.c.handle == staff_handle)
            .limit(1)
        ).scalar_one()
        row = conn.execute(
            select(case.c.id, case.c.ref, project.c.id.label("project_id"), project.c.owner_id)
            .join(project, project.c.id == case.c.project_id)
            .where(case.c.organisation_id == org, case.c.status == "open", project.c.owner_id.is_not(None))
            .order_by(case.c.id)
            .limit(1)
        ).one()
    return int(row.id), str(row.ref), int(row.project_id), int(row.owner_id)


@contextmanager
def demo_site(home: Path) -> Iterator[DemoSite]:
    """The demo data in `home`, served until the block ends."""
    app, port = blank_app(home)
    url = app.settings.base_url
    store = app.store
    seed.load(app)
    with app.store.read() as conn:
        person = PERSON
        ids = dict(conn.execute(select(person.c.handle, person.c.id)).all())
    with write(app) as tx:
        for lang, handles in STAFF.items():
            for handle in handles:
                accounts.add_user(tx, person=ids[handle], password=PASSWORD, language=lang)
    links, cases, projects, owners = {}, {}, {}, {}
    for lang in STAFF:
        case_id, ref, projects[lang], owners[lang] = _open_case_with_owner(app, STAFF[lang][1])
        links[lang] = ownerlinks.owner_link(app, case_id, owners[lang], days=30)
        cases[lang] = ref
    try:
        with serving(app, port):
            yield DemoSite(url, app, links, cases, projects, owners)
    finally:
        store.dispose()


@contextmanager
def chromium(sync_api: Any, lang: str | None = None) -> Iterator[Any]:
    """A headless Debian Chromium; speaking `lang` (fr, nl) itself, for pages in that language only.

    A date input writes its date as the browser's own language does (14/12/2026 in French,
    14-12-2026 in Dutch, 12/14/2026 in English), whatever the page's or the context's language
    (``new_context(locale=...)`` changes ``navigator.language``, not this), and Chromium takes its
    language from ``LANGUAGE`` when it starts (``--lang`` is ignored on Linux), among the languages
    installed: Debian's ``chromium-l10n`` package (without it, English whatever ``LANGUAGE`` says).
    """
    with sync_api.sync_playwright() as playwright:
        browser = _launch(playwright, lang)
        try:
            yield browser
        finally:
            browser.close()


def _launch(playwright: Any, lang: str | None) -> Any:
    """Chromium speaking `lang` (English when None), through one running Playwright."""
    env = None
    if lang is not None:
        env = {**os.environ, "LANGUAGE": LOCALES[lang].replace("-", "_")}
    return playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, env=env)


class Chromiums:
    """For a module whose pages are in French and in Dutch: one Chromium per language, each started
    as :func:`chromium` starts it (the first time a page of that language is asked for), all under
    one Playwright (the sync API does not run two at once in a thread).
    """

    def __init__(self, playwright: Any) -> None:
        self._playwright = playwright
        self._launched: dict[str | None, Any] = {}

    def speaking(self, lang: str | None) -> Any:
        """The Chromium speaking `lang` (fr, nl; None: English)."""
        if lang not in self._launched:
            self._launched[lang] = _launch(self._playwright, lang)
        return self._launched[lang]

    def context(self, lang: str | None, **options: Any) -> Any:
        """A new browser context for pages in `lang` (fr, nl), in the Chromium that speaks it, with
        ``navigator.language`` of that language too; None: English, `options` as given."""
        if lang is not None:
            options = {"locale": LOCALES[lang], **options}
        return self.speaking(lang).new_context(**options)

    def close(self) -> None:
        for browser in self._launched.values():
            browser.close()
        self._launched.clear()


@contextmanager
def chromiums(sync_api: Any) -> Iterator[Chromiums]:
    """Chromium in each language a module's pages are in (see :class:`Chromiums`), until the block
    ends."""
    with sync_api.sync_playwright() as playwright:
        launched = Chromiums(playwright)
        try:
            yield launched
        finally:
            launched.close()


def log_in(tab: Any, site: Served, handle: str, then: str | None = None) -> None:
    """Log in through the login form, as a person would: the login page, or the page `then` (a path),
    which sends to the form and back."""
    tab.goto(f"{site.url}{then or '/login'}")
    tab.fill("#login", handle)
    tab.fill("#password", PASSWORD)
    tab.click("button[type=submit].primary")
    if then is None:
        tab.wait_for_url(lambda url: "/login" not in url)
    else:
        tab.wait_for_url(f"{site.url}{then}")


def screenshot(tab: Any, name: str) -> Path:
    """The whole page as var/screenshots/NAME.png (looked at by people: see the closing notes)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    tab.screenshot(path=str(path), full_page=True)
    return path


def overflow(tab: Any) -> int:
    """How many pixels the page is wider than the window (0 when it does not scroll sideways)."""
    return int(tab.evaluate("document.documentElement.scrollWidth - window.innerWidth"))


def wide_elements(tab: Any) -> list[str]:
    """The elements sticking out of the window on the right, to name in a failure."""
    return list(
        tab.evaluate(
            """() => [...document.querySelectorAll('body *')]
                .filter(e => e.getBoundingClientRect().right > window.innerWidth + 1)
                .slice(0, 8)
                .map(e => e.tagName.toLowerCase() + (e.id ? '#' + e.id : '') +
                          (typeof e.className === 'string' && e.className
                            ? '.' + e.className.trim().replace(/\\s+/g, '.') : '') +
                          ' ' + Math.round(e.getBoundingClientRect().right) + 'px')"""
        )
    )


def axe_problems(tab: Any, impacts: frozenset[str] = SERIOUS) -> list[str]:
    """axe-core's violations of those impacts on the page, one line per rule and element."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(tab)
    return [
        f"{v['id']} ({v['impact']}): {' '.join(map(str, node['target']))} — {v['help']}"
        for v in results.response["violations"]
        if v["impact"] in impacts
        for node in v["nodes"]
    ]
