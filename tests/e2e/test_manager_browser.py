"""A manager in a real browser (Debian's Chromium), in French and in Dutch, on a desk and a phone:
the dashboard's charts in the page's language, the audit log's second page, a failed message's
address fixed and the message sent again. Screenshots under var/screenshots/manager-*.png."""

from __future__ import annotations

import re
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

from builders import make_org, make_person, make_project, open_diagnosis
from loopback import loopback_channels
from mailcatch import free_port
from pathways.bootstrap import App, Clock
from pathways.services.casework.sweep import sweep
from pathways.services.messaging.dispatch import dispatch
from pathways.services.messaging.lease import MAX_ATTEMPTS
from pathways.services.people import accounts
from pathways.services.tx import write
from pathways.web.i18n import texts

pytestmark = pytest.mark.e2e
sync_api = require_chromium()

OPENED = datetime(2026, 7, 8, 8, 0, tzinfo=UTC)
OWNER_REMINDER = datetime(2026, 7, 16, 7, 30, tzinfo=UTC)  # intake opened 8 July: owner reminded 16 July
ORGS = {
    "fr": ("DLA de Paris", "FR-75", "Hélène Garnier", "helene@example.org"),
    "nl": ("Ondersteuning Gent", "BE-VLG", "Griet Claes", "griet@example.org"),
}


@dataclass(frozen=True)
class Site:
    url: str
    app: App


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    with loopback_channels():
        home = tmp_path_factory.mktemp("manager")
        app, port = blank_app(home, Clock(OPENED))
        closed = free_port()  # nothing listens here: the reminders fail until they are dead
        for lang, (name, territory, manager_name, login) in ORGS.items():
            org = make_org(app, name=name, territory=territory)
            manager = make_person(app, org, role="manager", name=manager_name, email=login)
            officer = make_person(app, org, name=f"Officer {lang}")
            for n, owner_name in enumerate(("Léa Bernard", "Noé Petit")):
                address = f"owner{n}-{lang}@example.org"
                channel = f"mailto://127.0.0.1:{closed}?from=pathways@example.org&to={address}&mode=insecure"
                owner = make_person(
                    app, org, role="owner", name=owner_name, language=lang, channels=(channel,)
                )
                open_diagnosis(app, make_project(app, org, owner=owner, name=f"Projet {n} {lang}"), officer)
            with write(app, actor_id=officer) as tx:  # a chain longer than a page
                for job in range(150):
                    tx.audit(organisation_id=org, kind="message_retried", payload={"job": job, "key": "k"})
            with write(app) as tx:
                accounts.add_user(tx, person=manager, password=PASSWORD, language=lang)
        assert sweep(app, now=OWNER_REMINDER).messages == 4
        at = datetime.now(UTC)
        for _ in range(MAX_ATTEMPTS):
            dispatch(app, now=at)
            at += timedelta(days=1)
        with serving(app, port):
            yield Site(f"http://127.0.0.1:{port}", app)
        app.store.dispose()


@pytest.fixture(scope="module")
def browsers() -> Iterator[Chromiums]:
    with chromiums(sync_api) as found:
        yield found


def fits(tab: Any, width: int) -> None:
    assert overflow(tab) == 0, f"the page scrolls sideways at {width} px: {wide_elements(tab)}"


@pytest.mark.parametrize("width", sorted(WIDTHS))
@pytest.mark.parametrize("lang", sorted(ORGS))
def test_a_manager_reads_the_charts_pages_the_audit_and_fixes_a_failed_address(
    site: Site, browsers: Chromiums, lang: str, width: int
) -> None:
    t = texts(lang)
    context = browsers.context(lang, viewport=WIDTHS[width], locale=lang)
    tab = context.new_page()
    try:
        log_in(tab, site, ORGS[lang][3])

        tab.goto(f"{site.url}/dashboard")
        funnel = tab.locator("#figure-funnel svg[role=img]")
        funnel.wait_for()
        assert funnel.locator("title").first.text_content() == t("Funnel: projects per phase reached")
        labelled = (funnel.get_attribute("aria-labelledby") or "").split()
        assert labelled == ["chart-funnel-title", "chart-funnel-desc"]
        workload = tab.locator("#figure-workload")
        assert t("due within 7 days") in workload.inner_text()
        assert f"Officer {lang}" in workload.inner_text()
        assert tab.locator("section.charts svg[role=img]").count() == 5
        fits(tab, width)
        assert axe_problems(tab) == []
        screenshot(tab, f"manager-dashboard-{lang}-{width}")

        tab.goto(f"{site.url}/audit")
        first_page = [int(s) for s in tab.locator("table.audit td.num").all_inner_texts()]
        assert len(first_page) == 100
        assert f"Officer {lang}" in tab.locator("table.audit").inner_text()
        tab.locator("#verify-result").wait_for()  # the chain's verification, loaded beside the log
        tab.get_by_role("link", name=re.compile(re.escape(t("Older events")))).click()
        tab.wait_for_url(re.compile(r"before=\d+"))
        second_page = [int(s) for s in tab.locator("table.audit td.num").all_inner_texts()]
        assert second_page
        assert max(second_page) == min(first_page) - 1
        fits(tab, width)
        assert axe_problems(tab) == []
        screenshot(tab, f"manager-audit-page2-{lang}-{width}")

        tab.goto(f"{site.url}/messages/failed")
        card = tab.locator(".failed-list li.message").first
        job = (card.get_attribute("id") or "").removeprefix("message-")
        field = card.locator("input[name=address]")
        field.fill("json://169.254.169.254/latest")  # an internal address: refused beside the field
        card.locator("button[type=submit]").click()
        error = tab.locator(f"#address-{job}-error")
        error.wait_for()
        assert error.inner_text() == t(
            "This address leads to a server inside the network (%(host)s): it is refused. "
            "Give the recipient's own address.",
            host="169.254.169.254",
        )
        fits(tab, width)
        screenshot(tab, f"manager-failed-refused-{lang}-{width}")
        tab.locator(f"#address-{job}").fill(f"lea.bernard.{lang}.{width}@example.org")
        tab.locator(f"#message-{job} button[type=submit]").click()
        notice = tab.locator("[role=status]")
        notice.wait_for()
        assert notice.inner_text() == t(
            "Address fixed; message %(id)s is queued again: the next dispatch sends it.", id=job
        )
        assert tab.locator(f"#message-{job}").count() == 0  # no longer failed
        fits(tab, width)
        assert axe_problems(tab) == []
        screenshot(tab, f"manager-failed-fixed-{lang}-{width}")
    finally:
        context.close()
