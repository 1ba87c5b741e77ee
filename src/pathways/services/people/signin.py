"""Logging in to the web pages: the password check, its throttle and the client's address.

The throttle counts failed logins in a sliding window of :data:`WINDOW`:

* per account, whatever login text named it (handle or e-mail, any case): at
  :data:`MAX_FAILURES` the account answers :class:`TooManyAttempts` (429, ``Retry-After``),
  even to the right password, until the oldest counted failure leaves the window. A login
  that names no account is counted under a keyed digest of its text, so it locks the same
  way (the answer tells nothing of which accounts exist) and no typed address is stored;
* per client address, whatever the account: at :data:`MAX_FAILURES_PER_CLIENT` that address
  answers 429 too, so spraying one password over many accounts is limited as well.

The client address is the connection's peer unless that peer is one of the operator's
trusted proxies (``PATHWAYS_TRUSTED_PROXIES``): only then is ``X-Forwarded-For`` read.

An attempt is counted before its password is checked, in one transaction that first locks
the account's row (PostgreSQL; SQLite's write lock serialises it anyway): parallel attempts
cannot all slip under the limit while their argon2 checks run. A success removes the
account's failures.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from ipaddress import IPv4Network, IPv6Network, ip_address, ip_network
from typing import TYPE_CHECKING, Any, Final

from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import Connection, delete, func, select, update

from pathways.errors import FieldError, TooManyAttempts, Unauthenticated
from pathways.services.people import websessions
from pathways.services.people.accounts import Principal, load_principal, password_hasher
from pathways.services.tx import write
from pathways.store.core import ACCOUNT, FAILURE, PERSON

if TYPE_CHECKING:
    from pathways.bootstrap import App

MAX_FAILURES: Final = 5  # per account (or unknown login) in the window
MAX_FAILURES_PER_CLIENT: Final = 20  # per client address in the window, whatever the accounts
WINDOW: Final = timedelta(minutes=15)
_CLIENT_LENGTH: Final = 64


@dataclass(frozen=True, slots=True)
class SignedIn:
    """A successful login: the account, and the id of its new session (for the cookie only)."""

    principal: Principal
    session_id: str


def login(app: App, *, login_name: str, password: str, client: str) -> SignedIn:
    """Check a password given with a handle or an e-mail; a new server-side session on success.

    Unauthenticated for a wrong login or password; TooManyAttempts (see the module) before the
    password is even checked.
    """
    text = login_name.strip().lower()
    client = client[:_CLIENT_LENGTH]
    with write(app) as tx:
        now = tx.recorded_at
        account = _account_named(tx.conn, text)
        subject = f"account:{account['id']}" if account else _unknown(app, text)
        blocked = _blocked(tx.conn, subject, client, now)
        if blocked is None:
            tx.insert(FAILURE, subject=subject, client=client, at=now)
            tx.conn.execute(delete(FAILURE).where(FAILURE.c.at <= now - WINDOW))
    if blocked is not None:
        until, per_address = blocked
        minutes = math.ceil((until - now).total_seconds() / 60)
        raise TooManyAttempts(
            "too many failed logins from this address" if per_address else "too many failed logins",
            hint=f"try again in {minutes} minutes",
            retry_after=max(1, math.ceil((until - now).total_seconds())),
            per_address=per_address,
        )
    usable = account is not None and account["active"] and account["erased_at"] is None
    if not _password_matches(account["password_hash"] if usable and account else None, password):
        raise Unauthenticated("wrong login or password", code="wrong_login")  # the failure counted stays
    assert account is not None
    with write(app) as tx:
        tx.conn.execute(delete(FAILURE).where(FAILURE.c.subject == subject))
        tx.conn.execute(update(ACCOUNT).where(ACCOUNT.c.id == account["id"]).values(last_login_at=now))
        session_id = websessions.open_session(tx, account["id"])
        principal = load_principal(tx.conn, account["id"])
    if principal is None:  # disabled between the two transactions
        raise Unauthenticated("wrong login or password", code="wrong_login")
    return SignedIn(principal, session_id)


def _account_named(conn: Connection, text: str) -> dict[str, Any] | None:
    """The account a login text names (handle or e-mail, any case), its row locked; None if none.

    Disabled and erased accounts are found too: their failures count like any other's. Two
    people of different organisations may share an e-mail: the oldest account answers to it
    (the other logs in with their handle), the same one every time.
    """
    if not text:
        return None
    person = PERSON.c
    row = (
        conn.execute(
            select(ACCOUNT.c.id, ACCOUNT.c.password_hash, ACCOUNT.c.active, person.erased_at)
            .join(PERSON, person.id == ACCOUNT.c.person_id)
            .where((func.lower(person.handle) == text) | (func.lower(person.email) == text))
            .order_by(ACCOUNT.c.id)
            .limit(1)
            .with_for_update(of=ACCOUNT)
        )
        .mappings()
        .first()
    )
    return dict(row) if row is not None else None


def _unknown(app: App, text: str) -> str:
    """The throttle's key of a login that names no account: a keyed digest, not the text."""
    digest = hmac.new(app.settings.secret_key.encode(), text.encode(), hashlib.sha256).hexdigest()
    return f"login:{digest[:40]}"


def _blocked(conn: Connection, subject: str, client: str, now: datetime) -> tuple[datetime, bool] | None:
    """Until when this account (False) or this address (True) is refused; None when neither is."""
    for column, value, limit, per_address in (
        (FAILURE.c.subject, subject, MAX_FAILURES, False),
        (FAILURE.c.client, client, MAX_FAILURES_PER_CLIENT, True),
    ):
        # The limit-th most recent failure in the window: the attempt is refused until it leaves.
        at = conn.execute(
            select(FAILURE.c.at)
            .where(column == value, FAILURE.c.at > now - WINDOW)
            .order_by(FAILURE.c.at.desc())
            .offset(limit - 1)
            .limit(1)
        ).scalar()
        if at is not None:
            return at + WINDOW, per_address
    return None


def _password_matches(stored: str | None, password: str) -> bool:
    try:
        # An unknown login is checked against a throw-away hash: both take the same time.
        return password_hasher().verify(stored or _dummy_hash(), password) and stored is not None
    except (VerificationError, InvalidHashError):
        return False


@cache
def _dummy_hash() -> str:
    return password_hasher().hash(secrets.token_urlsafe(16))


# --- the client's address ----------------------------------------------------------------------

Network = IPv4Network | IPv6Network


@cache
def trusted_networks(spec: str) -> tuple[Network, ...]:
    """PATHWAYS_TRUSTED_PROXIES read: addresses or CIDRs, comma-separated; ``*`` is every address."""
    networks: list[Network] = []
    for item in (part.strip() for part in spec.split(",")):
        if not item:
            continue
        if item == "*":
            networks += [ip_network("0.0.0.0/0"), ip_network("::/0")]
            continue
        try:
            networks.append(ip_network(item, strict=False))
        except ValueError:
            raise FieldError(
                "trusted_proxies",
                f"{item!r} is not an IP address or CIDR",
                hint="set PATHWAYS_TRUSTED_PROXIES to e.g. 10.0.0.5,10.1.0.0/16 (empty: trust no proxy)",
            ) from None
    return tuple(networks)


def _is_trusted(host: str, networks: Sequence[Network]) -> bool:
    try:
        address = ip_address(host)
    except ValueError:
        return False
    return any(address in network for network in networks)


def client_address(peer: str | None, forwarded_for: Sequence[str], trusted: str) -> str:
    """The client's address: the peer, or, behind trusted proxies, the nearest untrusted hop.

    ``X-Forwarded-For`` is read right to left (each proxy appends the address it saw), and
    only while the hop that added an entry is trusted: entries further left were written by
    the client and are not believed. The same rule as uvicorn's ``forwarded_allow_ips``, so
    the address is the same whether uvicorn already applied it or not.
    """
    host = (peer or "unknown")[:_CLIENT_LENGTH]
    networks = trusted_networks(trusted)
    if not networks or not _is_trusted(host, networks):
        return host
    hops = [_host(hop.strip()) for value in forwarded_for for hop in value.split(",") if hop.strip()]
    for hop in reversed(hops):
        host = hop[:_CLIENT_LENGTH]
        if not _is_trusted(host, networks):
            return host
    return host


def _host(hop: str) -> str:
    """An X-Forwarded-For entry without its port, if it has one (``1.2.3.4:80``, ``[::1]:80``)."""
    if hop.startswith("[") and "]" in hop:
        return hop[1 : hop.index("]")]
    return hop.rsplit(":", 1)[0] if hop.count(":") == 1 else hop
