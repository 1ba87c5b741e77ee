"""Rendering pages: one Jinja environment per language, with its gettext texts and Babel formats.

Each language has its own environment (``jinja2.ext.i18n`` with that language's translations
installed, newstyle): templates write ``{{ _("Cases due this week") }}``,
``{{ _("%(name)s recorded %(what)s", name=..., what=...) }}``,
``{{ ngettext("%(num)d case", "%(num)d cases", n) }}``, ``{{ value | label("role") }}`` and
the formats of web/i18n_format.py (``{{ at | datetime }}``, ``{{ amount | money }}``…). One
environment per language, built at the first page in it, rather than translations swapped on a
shared one: two requests in two languages can never see each other's texts.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import partial
from pathlib import Path
from typing import Any, Final, Protocol, cast

import jinja2
from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from pathways.bootstrap import App
from pathways.services.people.accounts import Principal
from pathways.web.i18n import group_labels, pick_language, translations
from pathways.web.i18n_format import Formatter
from pathways.web.session import CSRF_FIELD, read_session, write_session

TEMPLATES_DIR: Final = Path(__file__).resolve().parent / "templates"


def label(groups: Mapping[str, Mapping[str, str]], value: object, group: str) -> str:
    """The label of a value in a group of web/i18n_labels.py; the value itself when it has none."""
    text = str(value.value if hasattr(value, "value") else value)
    return groups.get(group, {}).get(text, text)


class GettextEnvironment(Protocol):
    """What ``jinja2.ext.i18n`` adds to an environment (at run time, hence unknown to the type checker)."""

    def install_gettext_translations(self, translations: Any, newstyle: bool | None = None) -> None: ...


class PageTemplates:
    """The page templates (autoescaped HTML), one environment per language and zone."""

    def __init__(self) -> None:
        self._by_locale: dict[tuple[str, str], Jinja2Templates] = {}

    def get(self, lang: str, zone: str) -> Jinja2Templates:
        """The templates of a language, instants shown in `zone` by default."""
        found = self._by_locale.get((lang, zone))
        if found is None:
            env = jinja2.Environment(
                loader=jinja2.FileSystemLoader(TEMPLATES_DIR),
                autoescape=True,
                extensions=["jinja2.ext.i18n"],
            )
            tr = translations(lang)
            cast(GettextEnvironment, env).install_gettext_translations(tr, newstyle=True)
            env.filters.update(Formatter(lang, zone).filters())
            env.filters["label"] = partial(label, group_labels(lang))
            found = self._by_locale[(lang, zone)] = Jinja2Templates(env=env)
        return found


def templates() -> PageTemplates:
    """The page templates of every language."""
    return PageTemplates()


def language_of(request: Request, user: Principal | None) -> str:
    """The page's language: the account's choice, else ?lang=, else the browser's."""
    if user is not None:
        return user.language
    return pick_language(request.query_params.get("lang"), request.headers.get("accept-language"))


def page(
    request: Request,
    name: str,
    context: Mapping[str, Any],
    *,
    status_code: int = 200,
    user: Principal | None = None,
    lang: str | None = None,
) -> HTMLResponse:
    """Render a page in its language, the CSRF token and the user; sets the session cookie when new."""
    app: App = request.app.state.pathways
    session = read_session(request, app.settings.secret_key)
    lang = lang or language_of(request, user)
    full = {
        "request": request,
        "lang": lang,
        "user": user,
        "csrf_field": CSRF_FIELD,
        "csrf": session.csrf,
        "fmt": Formatter(lang, app.settings.default_timezone),  # fmt.dt/fmt.day: the filters' old names
        **context,
    }
    pages: PageTemplates = request.app.state.templates
    response = pages.get(lang, app.settings.default_timezone).TemplateResponse(
        request, name, full, status_code=status_code
    )
    if session.dirty:
        write_session(response, session, secret=app.settings.secret_key, secure=secure_cookies(app))
        session.dirty = False
    assert isinstance(response, HTMLResponse)
    return response


def secure_cookies(app: App) -> bool:
    """Cookies are Secure when the site is served over HTTPS."""
    return app.settings.base_url.startswith("https://")
