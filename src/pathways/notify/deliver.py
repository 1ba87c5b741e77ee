"""Deliver one rendered message to one channel through Apprise.

Apprise reports failure by returning False (it does not raise): :func:`deliver`
turns that into a failed :class:`Delivery` whose reason is taken from Apprise's
own log (warnings, errors and socket exceptions; never the payload, which holds
the message). One Apprise object per channel and message, so a retry re-sends
only the channels that failed; reusing one would also make its next send wait
(Apprise throttles each plugin object, 5.5 s between two sends by default).

Several threads may deliver at once (the dispatcher sends a batch on a small pool):
each send reads only the log records of its own thread, kept as records and formatted only
when the send failed (most sends succeed: formatting every debug line cost ~0.1 ms a send).

Before sending, the channel's hosts are resolved again and checked
(:mod:`pathways.notify.destination`): a channel that would reach an internal address is
refused, nothing is sent, and the delivery says so (``refused``) so the job is dead-lettered
at once: only a manager fixing the address helps, retrying would not.

What an e-mail costs: Apprise's e-mail plugin calls ``ssl.create_default_context()`` on every
send, even for plain SMTP, and offers no URL parameter or :class:`apprise.AppriseAsset` option to
reuse one. With OpenSSL 3 that context parses the whole CA bundle (``SSL_CERT_FILE``; 144
certificates on the development machines): 20-25 ms of CPU per e-mail, and threads do not share
the work (measured: 37-45 contexts/s on 1 thread, 23-29/s on 4). An operator can make it cheap
without weakening anything, through OpenSSL's documented variables: ``SSL_CERT_FILE`` pointing at
an empty file and ``SSL_CERT_DIR`` at the hashed CA directory (``/etc/ssl/certs`` on Debian,
Ubuntu and Alpine, kept by ``update-ca-certificates``): the same CAs, each read only when a TLS
handshake needs it, so verification is unchanged (``tests/e2e/test_ca_lookup.py``).
``bench/sweep.py`` measures dispatch both ways.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import urlsplit

import apprise

from pathways.notify.allowlist import NOTHING, AllowList
from pathways.notify.destination import instantiate, judge
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
    refused: bool = False  # the channel's destination is not allowed: nothing was sent, retrying cannot help


def channel_id(url: str) -> str:
    """A stable, non-identifying name for a channel URL: its scheme and a digest (no address, no secret)."""
    scheme = urlsplit(url).scheme.lower() or "unknown"
    digest = hashlib.sha256(url.strip().encode()).hexdigest()[:12]
    return f"{scheme}:{digest}"


def deliver(url: str, message: Rendered, *, allow: AllowList = NOTHING) -> Delivery:
    """Send `message` to the channel `url` if its destination is allowed; Apprise's False is a failure."""
    channel = channel_id(url)
    plugin = instantiate(url)
    if plugin is None:
        scheme = urlsplit(url).scheme or "(none)"
        return Delivery(channel, ok=False, reason=f"Apprise does not accept this {scheme}:// URL")
    # The object checked is the object that sends: no second reading of the URL in between.
    verdict = judge(url, allow, plugin=plugin)
    if verdict.reason is not None:
        return Delivery(channel, ok=False, reason=f"refused: {verdict.reason}", refused=True)
    notifier = apprise.Apprise()
    notifier.add(plugin)
    # The HTML part, when there is one, goes to email; Apprise adds the plain-text alternative.
    html = message.html if urlsplit(url).scheme.lower() in EMAIL_SCHEMES else None
    with _capture() as captured:
        try:
            ok = notifier.notify(
                title=message.subject,
                body=html if html is not None else message.body,
                body_format=apprise.NotifyFormat.HTML if html is not None else apprise.NotifyFormat.TEXT,
            )
        except Exception as exc:  # noqa: BLE001  a plugin bug is a failed attempt, recorded, not a crash
            return Delivery(channel, ok=False, reason=f"{type(exc).__name__}: {exc}"[:MAX_REASON])
    if ok:
        return Delivery(channel, ok=True)
    return Delivery(channel, ok=False, reason=failure_reason(_log_text(captured)))


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


class _ThreadCapture(logging.Handler):
    """Apprise's log records, each kept in the list of the thread that wrote it (if it is capturing).

    Records are only kept: they are formatted when a send failed and its reason is wanted.
    """

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.local = threading.local()

    def emit(self, record: logging.LogRecord) -> None:
        records: list[logging.LogRecord] | None = getattr(self.local, "records", None)
        if records is not None:
            records.append(record)


def _log_text(records: list[logging.LogRecord]) -> str:
    """The captured records as ``LEVEL message`` lines, as :func:`failure_reason` reads them."""
    lines = []
    for record in records:
        try:
            text = record.getMessage()
        except Exception:  # noqa: BLE001  a malformed log call must not hide the failure itself
            text = str(record.msg)
        lines.append(f"{record.levelname} {text}")
    return "\n".join(lines)


_HANDLER = _ThreadCapture()
_LOCK = threading.Lock()
_capturing = 0  # sends under way, in any thread
_restore_level = logging.NOTSET


@contextlib.contextmanager
def _capture() -> Iterator[list[logging.LogRecord]]:
    """Collect what Apprise logs in this thread (debug included) while the block runs.

    Like ``apprise.LogCapture``, but several threads can capture at once without
    reading each other's lines or restoring the logger's level under each other.
    """
    global _capturing, _restore_level
    logger = logging.getLogger("apprise")
    records: list[logging.LogRecord] = []
    with _LOCK:
        if _capturing == 0:
            _restore_level = logger.level
            if logger.getEffectiveLevel() > logging.DEBUG:
                logger.setLevel(logging.DEBUG)
            logger.addHandler(_HANDLER)
        _capturing += 1
    _HANDLER.local.records = records
    try:
        yield records
    finally:
        _HANDLER.local.records = None
        with _LOCK:
            _capturing -= 1
            if _capturing == 0:
                logger.removeHandler(_HANDLER)
                logger.setLevel(_restore_level)
