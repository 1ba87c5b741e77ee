"""A local mail catcher for trying messages safely: ``pathways mailbox``.

A real SMTP server (aiosmtpd) on loopback keeps every e-mail it is given, in memory, and a
small web page lists them and shows each one as its recipient would read it. Nothing is
delivered anywhere. Channels reach it with :func:`channel_url`; as it listens on an internal
address, the dispatcher must be allowed to reach it (``PATHWAYS_CHANNEL_ALLOW=127.0.0.1:PORT``).

The page is in the browser's language (fr, nl or en). An e-mail's HTML part is shown in a
sandboxed frame (no scripts, no forms, no same-origin access), its text part escaped.
"""

from __future__ import annotations

import email
import email.policy
import threading
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from email.message import EmailMessage
from typing import Any, Final

from jinja2 import Environment, select_autoescape
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Route

KEPT: Final = 500  # the newest messages kept; older ones are forgotten
SENDER: Final = "pathways@example.org"
# No script, no remote image or font (an e-mail's trackers stay silent), frames only from srcdoc.
CSP: Final = "default-src 'none'; style-src 'unsafe-inline'; frame-src 'self'"

TEXTS: Final[dict[str, dict[str, str]]] = {
    "en": {
        "title": "Mailbox",
        "intro": "E-mails sent to this local mail catcher. Nothing here was delivered to anyone.",
        "empty": "No e-mail yet. Send one with `pathways dispatch`.",
        "received": "Received",
        "to": "To",
        "subject": "Subject",
        "from": "From",
        "back": "All e-mails",
        "text": "Text",
        "html": "HTML",
        "unknown": "This e-mail is not (or no longer) in the mailbox.",
    },
    "fr": {
        "title": "Boîte de test",
        "intro": "Les courriels envoyés à ce récepteur local. Aucun n'a été remis à qui que ce soit.",
        "empty": "Aucun courriel pour l'instant. Envoyez-en un avec `pathways dispatch`.",
        "received": "Reçu le",
        "to": "À",
        "subject": "Objet",
        "from": "De",
        "back": "Tous les courriels",
        "text": "Texte",
        "html": "HTML",
        "unknown": "Ce courriel n'est pas (ou plus) dans la boîte.",
    },
    "nl": {
        "title": "Testmailbox",
        "intro": "E-mails verzonden naar deze lokale mailvanger. Geen enkele is aan iemand bezorgd.",
        "empty": "Nog geen e-mail. Verstuur er een met `pathways dispatch`.",
        "received": "Ontvangen",
        "to": "Aan",
        "subject": "Onderwerp",
        "from": "Van",
        "back": "Alle e-mails",
        "text": "Tekst",
        "html": "HTML",
        "unknown": "Deze e-mail staat niet (of niet meer) in de mailbox.",
    },
}

PAGE: Final = """<!doctype html>
<html lang="{{ lang }}"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{ t.title }}</title>
<style>
body{font:16px/1.5 system-ui,sans-serif;margin:0 auto;max-width:60rem;padding:1rem;color:#1a1a1a}
table{border-collapse:collapse;width:100%}td,th{text-align:left;padding:.4rem;border-bottom:1px solid #ccc}
a{color:#0b57a4}pre{white-space:pre-wrap;background:#f5f5f5;padding:1rem}
iframe{width:100%;height:30rem;border:1px solid #ccc}dt{font-weight:600}
</style></head><body><main>
<h1>{{ t.title }}</h1>
{% if mail %}
<p><a href="/">{{ t.back }}</a></p>
<dl><dt>{{ t.from }}</dt><dd>{{ mail.sender }}</dd>
<dt>{{ t.to }}</dt><dd>{{ mail.recipients|join(", ") }}</dd>
<dt>{{ t.subject }}</dt><dd>{{ mail.subject }}</dd><dt>{{ t.received }}</dt><dd>{{ mail.received }}</dd></dl>
<h2>{{ t.text }}</h2><pre>{{ mail.text }}</pre>
{% if mail.html %}<h2>{{ t.html }}</h2>
<iframe sandbox title="{{ t.html }}" srcdoc="{{ mail.html }}"></iframe>{% endif %}
{% else %}
<p>{{ t.intro }}</p>
{% if mails %}<table>
<thead><tr><th>{{ t.received }}</th><th>{{ t.to }}</th><th>{{ t.subject }}</th></tr></thead>
<tbody>{% for m in mails %}<tr><td>{{ m.received }}</td><td>{{ m.recipients|join(", ") }}</td>
<td><a href="/mails/{{ m.id }}">{{ m.subject }}</a></td></tr>{% endfor %}</tbody></table>
{% else %}<p>{{ t.empty }}</p>{% endif %}
{% endif %}
</main></body></html>
"""


@dataclass(frozen=True, slots=True)
class Caught:
    """One e-mail the catcher was given."""

    id: int
    received: str  # ISO 8601, UTC
    sender: str
    recipients: tuple[str, ...]
    subject: str
    text: str
    html: str | None


class Catcher:
    """aiosmtpd's handler: keeps the newest :data:`KEPT` e-mails, for any thread to read."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._mails: deque[Caught] = deque(maxlen=KEPT)
        self._next = 1

    async def handle_DATA(self, server: object, session: object, envelope: Any) -> str:  # noqa: N802, ARG002
        """aiosmtpd's hook for a message's content: keep it."""
        parsed = email.message_from_bytes(envelope.content, policy=email.policy.default)
        assert isinstance(parsed, EmailMessage)
        with self._lock:
            self._mails.append(
                Caught(
                    id=self._next,
                    received=datetime.now(UTC).isoformat(timespec="seconds"),
                    sender=str(envelope.mail_from or ""),
                    recipients=tuple(str(r) for r in envelope.rcpt_tos),
                    subject=str(parsed.get("Subject", "")),
                    text=_part(parsed, "plain") or "",
                    html=_part(parsed, "html"),
                )
            )
            self._next += 1
        return "250 Message accepted for delivery"

    def mails(self) -> list[Caught]:
        """The e-mails kept, newest first."""
        with self._lock:
            return list(reversed(self._mails))

    def mail(self, mail_id: int) -> Caught | None:
        with self._lock:
            return next((m for m in self._mails if m.id == mail_id), None)


def _part(message: EmailMessage, kind: str) -> str | None:
    body = message.get_body(preferencelist=(kind,))
    if not isinstance(body, EmailMessage) or body.get_content_subtype() != kind:
        return None
    return str(body.get_content())


def channel_url(port: int, to: str, *, host: str = "127.0.0.1") -> str:
    """The Apprise URL of a person's channel that delivers to the catcher on `host:port`."""
    return f"mailto://{host}:{port}?from={SENDER}&to={to}&mode=insecure"


def _language(request: Request) -> str:
    asked = request.query_params.get("lang")
    if asked in TEXTS:
        return asked
    for part in request.headers.get("accept-language", "").split(","):
        code = part.split(";")[0].strip().lower()[:2]
        if code in TEXTS:
            return code
    return "en"


def web_view(catcher: Catcher) -> Starlette:
    """The page listing the caught e-mails (``/``, ``/mails/{id}``) and the same as JSON (``/mails.json``)."""
    page = Environment(autoescape=select_autoescape(default=True)).from_string(PAGE)

    def render(request: Request, status: int = 200, **values: object) -> Response:
        lang = _language(request)
        html = page.render(lang=lang, t=TEXTS[lang], **values)
        headers = {
            "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; frame-src 'self'"
        }
        return HTMLResponse(html, status_code=status, headers=headers)

    async def index(request: Request) -> Response:
        return render(request, mails=catcher.mails())

    async def one(request: Request) -> Response:
        raw = request.path_params["mail_id"]
        mail = catcher.mail(int(raw)) if raw.isdigit() else None
        if mail is None:
            lang = _language(request)
            return HTMLResponse(TEXTS[lang]["unknown"], status_code=404)
        return render(request, mail=mail)

    async def as_json(_: Request) -> Response:
        return JSONResponse([asdict(m) for m in catcher.mails()])

    return Starlette(
        routes=[
            Route("/", index),
            Route("/mails.json", as_json),
            Route("/mails/{mail_id}", one),
        ]
    )


@contextmanager
def smtp_catcher(catcher: Catcher, host: str, port: int) -> Iterator[None]:
    """The SMTP side, listening on `host:port` for the duration of the block."""
    from aiosmtpd.controller import Controller

    controller = Controller(catcher, hostname=host, port=port)
    controller.start()
    try:
        yield
    finally:
        controller.stop()
