"""Deliver one rendered message to one channel through Apprise.

Apprise reports failure by returning False (it does not raise): :func:`deliver`
turns that into a failed :class:`Delivery` whose reason is taken from Apprise's
own log (warnings, errors and socket exceptions; never the payload, which holds
the message). One Apprise object per channel and message, so a retry re-sends
only the channels that failed.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from urllib.parse import urlsplit

import apprise

from pathways.notify.render import Rendered

EMAIL_SCHEMES = frozenset({"mailto", "mailtos"})
MAX_REASON = 1000
# Apprise's debug lines worth keeping as a reason; payload lines carry personal data and are dropped.
_USEFUL_DEBUG = re.compile(r"exception|error|response|status|refused|timed? ?out", re.IGNORECASE)
_PAYLOAD = re.compile(r"payload|body|message:", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class Delivery:
    """The outcome of one send on one channel."""

    channel: str
    ok: bool
    reason: str | None = None


def channel_id(url: str) -> str:
    """A stable, non-identifying name for a channel URL: its scheme and a digest (no address, no secret)."""
    scheme = urlsplit(url).scheme.lower() or "unknown"
    digest = hashlib.sha256(url.strip().encode()).hexdigest()[:12]
    return f"{scheme}:{digest}"


def deliver(url: str, message: Rendered) -> Delivery:
    """Send `message` to the channel `url`; a False from Apprise is a failed delivery with its reason."""
    channel = channel_id(url)
    notifier = apprise.Apprise()
    if not notifier.add(url):
        scheme = urlsplit(url).scheme or "(none)"
        return Delivery(channel, ok=False, reason=f"Apprise does not accept this {scheme}:// URL")
    # The HTML part, when there is one, goes to email; Apprise adds the plain-text alternative.
    html = message.html if urlsplit(url).scheme.lower() in EMAIL_SCHEMES else None
    capture = apprise.LogCapture(level=apprise.logging.DEBUG, fmt="%(levelname)s %(message)s")  # type: ignore[no-untyped-call]
    with capture as captured:
        try:
            ok = notifier.notify(
                title=message.subject,
                body=html if html is not None else message.body,
                body_format=apprise.NotifyFormat.HTML if html is not None else apprise.NotifyFormat.TEXT,
            )
        except Exception as exc:  # noqa: BLE001  a plugin bug is a failed attempt, recorded, not a crash
            return Delivery(channel, ok=False, reason=f"{type(exc).__name__}: {exc}"[:MAX_REASON])
        log_text = captured.getvalue()
    if ok:
        return Delivery(channel, ok=True)
    return Delivery(channel, ok=False, reason=failure_reason(log_text))


def failure_reason(log_text: str) -> str:
    """The useful lines of Apprise's log for a failed send."""
    kept = []
    for line in log_text.splitlines():
        level, _, text = line.partition(" ")
        if _PAYLOAD.search(text):
            continue
        if level in {"WARNING", "ERROR", "CRITICAL"} or _USEFUL_DEBUG.search(text):
            kept.append(text.strip())
    reason = " | ".join(dict.fromkeys(kept)) or "Apprise reported a failure without a reason"
    return reason[:MAX_REASON]
