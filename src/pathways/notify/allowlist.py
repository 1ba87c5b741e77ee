"""``PATHWAYS_CHANNEL_ALLOW``: the internal hosts an operator lets channels reach anyway.

Entries, comma-separated: a host name (``mailpit``), a host and port (``mailpit:1025``,
``[::1]:1025``), an address (``127.0.0.1``) or a network (``127.0.0.0/8``, ``fd00::/8``).
Pure ``ipaddress`` work, no Apprise, so settings can validate the value cheaply.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass, field

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

# A DNS name: dot-separated labels of letters, digits, '-' and '_' (Docker service names use them).
_LABEL = r"[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?"
_NAME = re.compile(rf"(?=.{{1,253}}$){_LABEL}(?:\.{_LABEL})*")
_HOST_PORT = re.compile(r"(?:\[(?P<v6>[^\]]+)\]|(?P<host>[^:\[\]]+)):(?P<port>\d{1,5})")


@dataclass(frozen=True, slots=True)
class AllowList:
    """Parsed ``PATHWAYS_CHANNEL_ALLOW``: names, addresses and networks, each for any port or one port."""

    names: frozenset[tuple[str, int | None]] = frozenset()
    addresses: frozenset[tuple[IPAddress, int]] = frozenset()  # address:port entries
    networks: tuple[IPNetwork, ...] = field(default=())  # CIDRs and bare addresses (any port)

    def allows_name(self, host: str, port: int | None) -> bool:
        """Whether the host name, as written in the channel, is allowed (on this port)."""
        name = normal_name(host)
        return (name, None) in self.names or (port is not None and (name, port) in self.names)

    def allows_address(self, address: IPAddress, port: int | None) -> bool:
        """Whether an address the channel's host resolves to is allowed (on this port)."""
        if any(address in network for network in self.networks if network.version == address.version):
            return True
        return port is not None and (address, port) in self.addresses


NOTHING = AllowList()


def normal_name(host: str) -> str:
    """A host as compared: lowercase, without brackets or a trailing dot."""
    return host.strip().strip("[]").rstrip(".").lower()


def parse_allow(text: str) -> AllowList:
    """Parse the comma-separated entries; ValueError naming the first malformed one."""
    names: set[tuple[str, int | None]] = set()
    addresses: set[tuple[IPAddress, int]] = set()
    networks: list[IPNetwork] = []
    for raw in text.split(","):
        entry = raw.strip()
        if not entry:
            continue
        try:
            if "/" in entry:
                networks.append(ipaddress.ip_network(entry, strict=False))
                continue
            host, port = _split_port(entry)
            address = _address(host)
            if address is not None and port is None:
                networks.append(ipaddress.ip_network(address))
            elif address is not None and port is not None:
                addresses.add((address, port))
            elif _NAME.fullmatch(normal_name(host)):
                names.add((normal_name(host), port))
            else:
                raise ValueError("not a host name")
        except ValueError as exc:
            raise ValueError(
                f"entry {entry!r} is not a host, host:port, address or CIDR ({exc}); "
                "e.g. mailpit, mailpit:1025, 127.0.0.1, [::1]:1025, 10.0.0.0/8"
            ) from None
    return AllowList(frozenset(names), frozenset(addresses), tuple(networks))


def _split_port(entry: str) -> tuple[str, int | None]:
    if entry.count(":") > 1 and not entry.startswith("["):
        return entry, None  # a bare IPv6 address
    match = _HOST_PORT.fullmatch(entry)
    if match is None:
        if entry.startswith("["):
            return entry.strip("[]"), None
        return entry, None
    port = int(match["port"])
    if not 0 < port < 65536:
        raise ValueError(f"port {port} is out of range")
    return match["v6"] or match["host"], port


def _address(host: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return None
