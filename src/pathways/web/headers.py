"""Security headers on every response: pages, API, static files, errors (413, 500 included).

=============================  ==================================================================
header                         value
=============================  ==================================================================
Content-Security-Policy        :data:`CSP`: scripts and styles of the site's own files only, images
                               of the site or ``data:``, no framing, forms post to the site only
X-Frame-Options                ``DENY`` (older browsers' frame-ancestors)
X-Content-Type-Options         ``nosniff``
Referrer-Policy                ``same-origin``; ``no-referrer`` under ``/o/`` (an owner's link is
                               their key: it must not leave in a Referer)
Strict-Transport-Security      only when the base URL is https (a year, subdomains included)
=============================  ==================================================================

A route that sets its own policy keeps it: SVG charts and case documents are served
with a stricter, sandboxed one, the API documentation with the one its page needs
(:func:`api_docs`). :class:`SecurityHeaders` is an ASGI middleware, registered last in
:func:`pathways.web.app.create_app` so that it wraps the others.
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import MutableMapping
from typing import Any, Final

from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse, PlainTextResponse
from starlette.datastructures import MutableHeaders

from pathways.web.limits import ASGIApp, Message, Receive, Send

__all__ = ["CSP", "SecurityHeaders", "api_docs"]

CSP: Final = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "frame-ancestors 'none'; base-uri 'self'; form-action 'self'"
)
HSTS: Final = "max-age=31536000; includeSubDomains"
OWNER_PREFIX: Final = "/o/"
_SWAGGER_CDN: Final = "https://cdn.jsdelivr.net"


class SecurityHeaders:
    """Adds the security headers to each HTTP response that does not set them itself."""

    def __init__(self, app: ASGIApp, *, https: bool) -> None:
        self.app = app
        self.headers: tuple[tuple[str, str], ...] = (
            ("Content-Security-Policy", CSP),
            ("X-Frame-Options", "DENY"),
            ("X-Content-Type-Options", "nosniff"),
            ("Referrer-Policy", "same-origin"),
            *((("Strict-Transport-Security", HSTS),) if https else ()),
        )

    async def __call__(self, scope: MutableMapping[str, Any], receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        owner = str(scope.get("path", "")).startswith(OWNER_PREFIX)
        started = False

        async def send_with_headers(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                headers = MutableHeaders(scope=message)
                if owner:
                    headers["Referrer-Policy"] = "no-referrer"
                for name, value in self.headers:
                    headers.setdefault(name, value)
            await send(message)

        try:
            await self.app(scope, receive, send_with_headers)
        except Exception:
            # Starlette's outermost error middleware answers a crash with a bare 500 that would
            # miss the headers: answer it here, then let the error go on to be logged.
            if not started:
                await PlainTextResponse("Internal Server Error", status_code=500)(
                    scope, receive, send_with_headers
                )
            raise


def api_docs(openapi_url: str, title: str) -> HTMLResponse:
    """FastAPI's Swagger UI page, with a policy allowing its CDN files and its one inline script (by hash)."""
    response = get_swagger_ui_html(openapi_url=openapi_url, title=title)
    body = bytes(response.body).decode()
    hashes = " ".join(
        f"'sha256-{base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()}'"
        for script in re.findall(r"<script>(.*?)</script>", body, flags=re.DOTALL)
    )
    response.headers["Content-Security-Policy"] = (
        f"default-src 'self'; script-src {_SWAGGER_CDN} {hashes}; style-src {_SWAGGER_CDN}; "
        "img-src 'self' data: https://fastapi.tiangolo.com; connect-src 'self'; "
        "frame-ancestors 'none'; base-uri 'self'; form-action 'self'"
    )
    return response
