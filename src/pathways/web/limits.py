"""A cap on request bodies (413 before the app reads them whole), and JSON bodies that are not UTF-8 (400).

No page form nor API call of pathways sends more than a few kilobytes; a body of
megabytes is a mistake or an attack, and reading it whole (JSON, form parsing)
costs the server memory and time. :class:`BodyLimit` is an ASGI middleware: a
``Content-Length`` above the cap is refused at once; a body sent without one
(chunked) is counted as it arrives and refused when it passes the cap, provided the
app has not started answering. The 413 says why in the client's language (fr, nl,
en: ``Accept-Language``, French by default as for the pages), as JSON under
``/api/`` and as plain text elsewhere. A JSON body is read whole (it is capped) and
checked to be UTF-8 before the app sees it: FastAPI would answer other bytes with a
500, its 422 failing to encode them back.

Routes that take a file (``upload_paths``, POST only) get ``max_upload`` instead, the file's
own limit checked as it arrives by :mod:`pathways.web.upload`.

Registered in :func:`pathways.web.app.create_app`::

    web.add_middleware(BodyLimit, upload_paths=..., max_upload=...)
"""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable, Mapping, MutableMapping
from typing import Any, Final

from pathways.web.i18n import pick_language

__all__ = ["MAX_BODY", "BodyLimit"]

MAX_BODY: Final = 1_000_000  # bytes; the largest form or API body pathways sends is a few kilobytes

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

_TOO_LARGE: Final = {
    "fr": (
        "La requête est trop volumineuse : {limit} octets au plus.",
        "Envoyez moins de données à la fois.",
    ),
    "nl": ("Het verzoek is te groot: hoogstens {limit} bytes.", "Verstuur minder gegevens tegelijk."),
    "en": ("The request is too large: at most {limit} bytes.", "Send less data at a time."),
}


_NOT_UTF8: Final = {
    "fr": ("Le corps JSON n'est pas du texte UTF-8 (octet {position}).", "Envoyez du JSON encodé en UTF-8."),
    "nl": ("De JSON-inhoud is geen UTF-8-tekst (byte {position}).", "Verstuur JSON in UTF-8."),
    "en": ("The JSON body is not UTF-8 text (byte {position}).", "Send JSON encoded as UTF-8."),
}


class _TooLarge(Exception):
    """The body passed the cap while the app was reading it."""


class _Disconnected(Exception):
    """The client went away before sending the whole body."""


class BodyLimit:
    """ASGI middleware refusing request bodies above `max_body` bytes with a 413."""

    def __init__(
        self,
        app: ASGIApp,
        max_body: int = MAX_BODY,
        *,
        upload_paths: re.Pattern[str] | None = None,
        max_upload: int = MAX_BODY,
    ) -> None:
        self.app = app
        self.max_body = max_body
        self.upload_paths = upload_paths
        self.max_upload = max_upload

    def cap(self, scope: Scope) -> int:
        """The largest body this request may send: more for the routes that take a file."""
        path = str(scope.get("path", ""))
        if (
            self.upload_paths is not None
            and scope.get("method") == "POST"
            and self.upload_paths.fullmatch(path)
        ):
            return self.max_upload
        return self.max_body

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        cap = self.cap(scope)
        declared = _header(scope, b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > cap:
            await self._refuse(scope, send, limit=cap)
            return
        received = 0
        started = False

        async def counted_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > cap:
                    raise _TooLarge
            return message

        async def watched_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            if _is_json(scope):
                # Read the (capped) body first: JSON is UTF-8 (RFC 8259), and FastAPI answers
                # bytes that are not with a 500 (its 422 cannot encode them back).
                body = await _read_all(counted_receive)
                try:
                    body.decode("utf-8")
                except UnicodeDecodeError as exc:
                    await self._refuse(scope, send, 400, _NOT_UTF8, position=exc.start)
                    return
                await self.app(scope, _replay(body, receive), watched_send)
            else:
                await self.app(scope, counted_receive, watched_send)
        except _Disconnected:
            return
        except _TooLarge:
            if started:  # the app answered before reading the whole body: nothing more to say
                return
            await self._refuse(scope, send, limit=cap)

    async def _refuse(
        self,
        scope: Scope,
        send: Send,
        status: int = 413,
        messages: Mapping[str, tuple[str, str]] = _TOO_LARGE,
        position: int = 0,
        limit: int | None = None,
    ) -> None:
        lang = pick_language(None, _header(scope, b"accept-language"))
        message, hint = messages.get(lang, messages["en"])
        shown = f"{limit or self.max_body:,}".replace(",", "\u202f")
        detail = message.format(limit=shown, position=position)
        if str(scope.get("path", "")).startswith("/api/"):
            body = json.dumps({"detail": detail, "hint": hint, "field": None}, ensure_ascii=False).encode()
            media = b"application/json"
        else:
            body = f"{detail}\n{hint}\n".encode()
            media = b"text/plain; charset=utf-8"
        headers = [
            (b"content-type", media),
            (b"content-length", str(len(body)).encode()),
            (b"connection", b"close"),
        ]
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})


def _is_json(scope: Scope) -> bool:
    kind = (_header(scope, b"content-type") or "").split(";")[0].strip().lower()
    # FastAPI reads a body without a content type as JSON too.
    return kind in ("", "application/json") or kind.endswith("+json")


async def _read_all(receive: Receive) -> bytes:
    chunks: list[bytes] = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            raise _Disconnected
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            return b"".join(chunks)


def _replay(body: bytes, receive: Receive) -> Receive:
    """A `receive` giving the body read already, then waiting on the client (for a disconnect)."""
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", ()):
        if key.lower() == name:
            return bytes(value).decode("latin-1").strip()
    return None
