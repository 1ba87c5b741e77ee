"""Where a channel sends, and whether it may: no request to internal hosts (SSRF).

A channel is an Apprise URL typed by an officer. Left alone, ``json://169.254.169.254/``
would make the dispatcher POST messages (an owner's signed link included) to a cloud
metadata service, and ``mailto://…?smtp=127.0.0.1`` would talk to whatever listens on the
server. So every host a channel would contact (the URL's host, as ``urllib`` and Apprise
each read it, and the SMTP/XMPP server Apprise derives from it) is resolved, and a host
that is, or resolves to, a loopback, private, link-local, multicast, unspecified, reserved
or otherwise non-public address is refused unless ``PATHWAYS_CHANNEL_ALLOW`` names it.

Checked twice: when a channel is entered (a clear error) and again just before each send,
resolved afresh (a name may point elsewhere by then; a row may have been edited in the
database). A name that does not resolve cannot be proven internal: it is accepted, and its
delivery fails on its own. Plugins that notify the server itself (desktop pop-ups, local
syslog, a USB light) are refused: they never reach a person. HTTP redirects are not followed
(a public host could answer ``302 Location: http://169.254.169.254/``), and a URL that asks for
them with ``redirect=yes`` is refused.

Left to the network layer: a name whose answer changes between this check and Apprise's own
lookup (DNS rebinding within seconds) is not caught here; an egress firewall covers it.
"""

from __future__ import annotations

import functools
import ipaddress
import socket
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from pathways.errors import FieldError
from pathways.notify.allowlist import NOTHING, AllowList, IPAddress, normal_name, parse_allow

if TYPE_CHECKING:
    import apprise

# Apprise schemes whose plugin notifies the machine running the dispatcher, not a person.
LOCAL_SCHEMES = frozenset(
    {"windows", "dbus", "qt", "kde", "glib", "gio", "gnome", "macosx", "syslog", "blink1"}
)
ALLOW_HINT = (
    "give the recipient's real address; an operator can let channels reach an internal host "
    "(a mail relay, a mail catcher) with PATHWAYS_CHANNEL_ALLOW (host, host:port or CIDR)"
)

Resolver = Callable[[str], frozenset[IPAddress] | None]


@dataclass(frozen=True, slots=True)
class Target:
    """A host (and port, when the URL or Apprise sets one) that sending on a channel contacts."""

    host: str
    port: int | None

    def __str__(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return host if self.port is None else f"{host}:{self.port}"


@dataclass(frozen=True, slots=True)
class Verdict:
    """Whether a channel may be used; ``reason`` says why not (no user, password or path)."""

    reason: str | None = None

    @property
    def allowed(self) -> bool:
        """True when nothing refuses the channel."""
        return self.reason is None


ALLOWED = Verdict()


def instantiate(url: str) -> apprise.NotifyBase | None:
    """Apprise's plugin for `url`, not following HTTP redirects unless the URL insists; None if refused."""
    import apprise

    try:
        return apprise.Apprise.instantiate(url, asset=apprise.AppriseAsset(http_redirects=False))
    except Exception:  # noqa: BLE001  any input an officer types: a parse bug means "not accepted"
        return None


def targets(url: str, plugin: apprise.NotifyBase | None) -> tuple[Target, ...]:
    """Every host sending on `url` may contact, read generously (a superset is only stricter)."""
    found: dict[str, Target] = {}

    def add(host: object, port: object) -> None:
        if isinstance(host, str) and normal_name(host):
            target = Target(normal_name(host), port if isinstance(port, int) else None)
            found.setdefault(str(target), target)

    try:
        parts = urlsplit(url.strip())
        add(parts.hostname, parts.port)
    except ValueError:  # a port that is not a number: Apprise's reading below still counts
        pass
    if plugin is not None:
        add(plugin.host, plugin.port)
        # Public attributes of the e-mail and XMPP plugins (``smtp=`` / ``xmpp=`` in the URL, or the
        # provider's server for a known domain): the server Apprise actually connects to.
        for attribute in ("smtp_host", "xmpp_host"):
            add(getattr(plugin, attribute, None), plugin.port)
    return tuple(found.values())


def judge(
    url: str,
    allow: AllowList = NOTHING,
    *,
    plugin: apprise.NotifyBase | None = None,
    resolve: Resolver | None = None,
) -> Verdict:
    """Whether `url` may be sent to; `plugin` is the object that will send (made here if not given)."""
    scheme = url.strip().partition("://")[0].lower()
    if scheme in LOCAL_SCHEMES:
        return Verdict(f"{scheme}:// notifies the server itself, never a person")
    plugin = plugin if plugin is not None else instantiate(url)
    if plugin is not None and plugin.redirects:
        return Verdict(f"{scheme}:// with redirect=yes could be sent on anywhere: remove redirect=yes")
    found = targets(url, plugin)
    if plugin is not None and not found:
        return Verdict(f"{scheme}:// names no host to send to")
    resolve = resolve or resolve_now
    for target in found:
        if allow.allows_name(target.host, target.port):
            continue
        for address in sorted(resolve(target.host) or (), key=str):
            kind = forbidden_kind(address)
            if kind is not None and not allow.allows_address(_embedded(address), target.port):
                shown = target.host if target.host == str(address) else f"{target.host} ({address})"
                article = "an" if kind[0] in "aeiou" else "a"
                return Verdict(f"{scheme}://{target} reaches {shown}, {article} {kind} address")
    return ALLOWED


def forbidden_kind(address: IPAddress) -> str | None:
    """What makes an address internal ('loopback', 'private'...); None for a public one."""
    inner = _embedded(address)
    for kind, hit in (
        ("unspecified", inner.is_unspecified),
        ("loopback", inner.is_loopback),
        ("link-local", inner.is_link_local),
        ("multicast", inner.is_multicast),
        ("private", inner.is_private),
        ("reserved", inner.is_reserved or address.is_reserved),
        ("non-public", not inner.is_global or not address.is_global),
    ):
        if hit:
            return kind
    return None


def _embedded(address: IPAddress) -> IPAddress:
    """The IPv4 address inside an IPv4-mapped (``::ffff:127.0.0.1``) or 6to4 IPv6 address."""
    if isinstance(address, ipaddress.IPv6Address):
        return address.ipv4_mapped or address.sixtofour or address
    return address


def resolve_now(host: str) -> frozenset[IPAddress] | None:
    """The addresses `host` resolves to now (an address literal in any form too); None if it does not."""
    try:
        return frozenset({ipaddress.ip_address(host)})
    except ValueError:
        pass
    try:
        # Also reads the forms ``inet_aton`` accepts (2130706433, 0x7f.1, 0177.1), as the sender will.
        infos = socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)
    except (OSError, UnicodeError, ValueError):
        return None
    found: set[IPAddress] = set()
    for info in infos:
        try:
            found.add(ipaddress.ip_address(str(info[4][0])))
        except ValueError:
            continue
    return frozenset(found) or None


@functools.lru_cache(maxsize=1024)
def _resolve_in(host: str, minute: int) -> frozenset[IPAddress] | None:  # noqa: ARG001  part of the cache key
    return resolve_now(host)


def resolve_recent(host: str) -> frozenset[IPAddress] | None:
    """:func:`resolve_now`, remembered for up to a minute: entry checks (a CSV import of many rows)."""
    return _resolve_in(host, int(time.monotonic() // 60))


def configured_allow() -> AllowList:
    """``PATHWAYS_CHANNEL_ALLOW`` read now (environment, ``.env``): entry checks are given no settings."""
    from pathways.settings import load_settings

    return parse_allow(load_settings().channel_allow)


def channel_problems(urls: Iterable[str], allow: AllowList | None = None) -> list[str]:
    """Why each refused channel of a person is refused (empty: all may be used); for CSV rows."""
    urls = list(urls)
    if not urls:
        return []
    allow = allow if allow is not None else configured_allow()
    problems = []
    for url in urls:
        if "://" not in url:
            problems.append(f"'{url}' is not an Apprise URL (e.g. mailto://user@example.org)")
        elif (reason := judge(url, allow, resolve=resolve_recent).reason) is not None:
            problems.append(f"channel refused: {reason} ({ALLOW_HINT})")
    return problems


def check_channels(urls: Iterable[str], allow: AllowList | None = None) -> None:
    """Raise a FieldError ('channel': exit 2, HTTP 422) for the first channel that may not be used."""
    urls = list(urls)
    if not urls:
        return
    allow = allow if allow is not None else configured_allow()
    for url in urls:
        if "://" not in url:
            raise FieldError(
                "channel", f"{url!r} is not an Apprise URL", hint="e.g. mailto://user@example.org"
            )
        reason = judge(url, allow, resolve=resolve_recent).reason
        if reason is not None:
            raise FieldError("channel", f"refused: {reason}", hint=ALLOW_HINT)
