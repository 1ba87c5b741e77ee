"""Rendering pages: the templates, the translator, dates in the reader's language and zone."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any, Final
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_datetime
from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from pathways.bootstrap import App
from pathways.services.people.accounts import Principal
from pathways.web.i18n import Translator, pick_language
from pathways.web.session import CSRF_FIELD, read_session, write_session

TEMPLATES_DIR: Final = Path(__file__).resolve().parent / "templates"


def templates() -> Jinja2Templates:
    """The page templates (autoescaped HTML)."""
    return Jinja2Templates(directory=str(TEMPLATES_DIR))


@dataclass(frozen=True, slots=True)
class Formatter:
    """Dates and times in the reader's language, in an organisation's zone."""

    lang: str
    zone: str

    def dt(self, value: datetime | None, zone: str | None = None) -> str:
        """An instant, to the minute."""
        if value is None:
            return "—"
        return str(format_datetime(value, "short", tzinfo=ZoneInfo(zone or self.zone), locale=self.lang))

    def day(self, value: datetime | date | str | None, zone: str | None = None) -> str:
        """A day (an instant is read in the zone)."""
        if value is None or value == "":
            return "—"
        if isinstance(value, str):
            value = date.fromisoformat(value)
        if isinstance(value, datetime):
            value = value.astimezone(ZoneInfo(zone or self.zone)).date()
        return str(format_date(value, "medium", locale=self.lang))


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
    """Render a page with the translator, the CSRF token and the user; sets the session cookie when new."""
    app: App = request.app.state.pathways
    session = read_session(request, app.settings.secret_key)
    lang = lang or language_of(request, user)
    full = {
        "request": request,
        "t": Translator(lang),
        "lang": lang,
        "user": user,
        "csrf_field": CSRF_FIELD,
        "csrf": session.csrf,
        "fmt": Formatter(lang, app.settings.default_timezone),
        **context,
    }
    response = request.app.state.templates.TemplateResponse(request, name, full, status_code=status_code)
    if session.dirty:
        write_session(response, session, secret=app.settings.secret_key, secure=secure_cookies(app))
        session.dirty = False
    assert isinstance(response, HTMLResponse)
    return response


def secure_cookies(app: App) -> bool:
    """Cookies are Secure when the site is served over HTTPS."""
    return app.settings.base_url.startswith("https://")
