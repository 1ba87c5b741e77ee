"""Accounts, roles and API tokens: who may see and change what.

A :class:`Principal` is a logged-in account with the roles its person holds in
each organisation. Every permission is asked per organisation
(:meth:`Principal.orgs`), so the web layer scopes every query to the
organisations that grant it::

    officer   read, write                  (cases, projects, people of its organisations)
    manager   read, write, manage, audit   (+ dashboard, audit, staff)
    admin     read, write, manage, audit, admin
    auditor   read, audit                  (read-only)

Owner and resource persons have no account access: project owners use the
signed, expiring link of :func:`pathways.services.people.ownerlinks.owner_link`.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from functools import cache
from typing import Final

from argon2 import PasswordHasher
from sqlalchemy import Connection, RowMapping, bindparam, select, update

from pathways.domain.spec import LANGS
from pathways.errors import FieldError, NotFound, Refused
from pathways.services.people import directory, websessions
from pathways.services.tx import Tx
from pathways.store.core import ACCOUNT, MEMBER, PERSON, SESSION, TOKEN

MIN_PASSWORD: Final = 10
TOKEN_PREFIX: Final = "pw"  # noqa: S105  marks pathways tokens, not a secret


class Permission(StrEnum):
    """What a role allows in an organisation."""

    READ = "read"
    WRITE = "write"
    MANAGE = "manage"
    AUDIT = "audit"
    ADMIN = "admin"


GRANTS: Final[Mapping[str, frozenset[Permission]]] = {
    "officer": frozenset({Permission.READ, Permission.WRITE}),
    "manager": frozenset({Permission.READ, Permission.WRITE, Permission.MANAGE, Permission.AUDIT}),
    "admin": frozenset(Permission),
    "auditor": frozenset({Permission.READ, Permission.AUDIT}),
}
STAFF_ROLES: Final = tuple(GRANTS)
# Who may give which role when adding a person: nobody grants more than they hold.
_GRANTABLE: Final[Mapping[Permission, frozenset[str]]] = {
    Permission.WRITE: frozenset({"owner", "resource"}),
    Permission.MANAGE: frozenset({"owner", "resource", "officer", "auditor"}),
    Permission.ADMIN: frozenset(directory.ROLES),
}


@dataclass(frozen=True, slots=True)
class Principal:
    """A logged-in account and the roles of its person, per organisation id."""

    account_id: int
    person_id: int
    name: str
    handle: str
    language: str
    session_key: str
    roles: Mapping[int, frozenset[str]] = field(default_factory=dict)

    def orgs(self, permission: Permission) -> frozenset[int]:
        """The organisations where one of the person's roles grants `permission`."""
        return frozenset(
            org
            for org, roles in self.roles.items()
            if any(permission in GRANTS.get(role, frozenset()) for role in roles)
        )

    def can(self, permission: Permission, org_id: int) -> bool:
        """Whether the person may do `permission` in organisation `org_id`."""
        return org_id in self.orgs(permission)

    def grantable_roles(self, org_id: int) -> frozenset[str]:
        """The roles this person may give to someone added to `org_id`."""
        given: frozenset[str] = frozenset()
        for permission, roles in _GRANTABLE.items():
            if self.can(permission, org_id):
                given |= roles
        return given


# --- passwords and accounts ----------------------------------------------------------------------


@cache
def password_hasher() -> PasswordHasher:
    """The argon2id hasher (its default parameters)."""
    return PasswordHasher()


def hash_password(password: str) -> str:
    """The argon2id hash of a password; FieldError when it is too short."""
    if len(password) < MIN_PASSWORD:
        raise FieldError("password", f"at least {MIN_PASSWORD} characters are needed")
    return password_hasher().hash(password)


@dataclass(frozen=True, slots=True)
class AccountCreated:
    """An account added (or whose password was reset) for a person."""

    account_id: int
    person_id: int
    handle: str
    created: bool


def add_user(tx: Tx, *, person: str | int, password: str, language: str | None = None) -> AccountCreated:
    """Give a staff person a login, or reset the password of their account (logs them out)."""
    who = directory.find_person(tx.conn, person)
    roles = directory.roles_of(tx.conn, who.id)
    staff = [(org, role) for org, role in roles if role in STAFF_ROLES]
    if not staff:
        raise Refused(
            f"person '{who.handle}' has no staff role ({', '.join(STAFF_ROLES)})",
            hint="project leads use the link in their messages; add a staff role with `pathways person add`",
            code="no_staff_role",
            params={"ref": who.handle, "roles": ", ".join(STAFF_ROLES)},
        )
    lang = language or who.language or "fr"
    if lang not in LANGS:
        raise FieldError("language", f"{lang!r} is not supported", hint=f"use one of {', '.join(LANGS)}")
    hashed = hash_password(password)
    existing = tx.conn.execute(select(ACCOUNT.c.id).where(ACCOUNT.c.person_id == who.id)).scalar()
    if existing is None:
        account_id = tx.insert(
            ACCOUNT,
            person_id=who.id,
            password_hash=hashed,
            language=lang,
            active=True,
            session_key=secrets.token_hex(8),
            created_at=tx.recorded_at,
        )
    else:
        account_id = existing
        tx.conn.execute(
            update(ACCOUNT)
            .where(ACCOUNT.c.id == existing)
            .values(password_hash=hashed, session_key=secrets.token_hex(8), active=True)
        )
        websessions.end_sessions(tx, existing, why="password")
    tx.audit(
        organisation_id=staff[0][0],
        kind="account_added" if existing is None else "password_reset",
        payload={"person": who.id, "account": account_id},
    )
    return AccountCreated(account_id, who.id, who.handle, existing is None)


def set_language(tx: Tx, *, account_id: int, language: str) -> None:
    """The language of the account's pages."""
    if language not in LANGS:
        raise FieldError("language", f"{language!r} is not supported", hint=f"use one of {', '.join(LANGS)}")
    tx.conn.execute(update(ACCOUNT).where(ACCOUNT.c.id == account_id).values(language=language))


def load_principal(conn: Connection, account_id: int) -> Principal | None:
    """The active account `account_id` with its roles; None when gone or inactive."""
    return _principal(conn.execute(_BY_ACCOUNT, {"account_id": account_id}).mappings().all())


def principal_for_session(conn: Connection, session_id: str, *, now: datetime) -> Principal | None:
    """The account of a live web session; None when it ended, expired or its account is inactive."""
    if len(session_id) > 100:
        return None
    found = conn.execute(_BY_SESSION, {"token_hash": websessions.session_hash(session_id), "now": now})
    return _principal(found.mappings().all())


# The account, its person and its roles in one statement (one row per role): every request
# of a logged-in user or an integration starts with it.
_PRINCIPAL = (
    select(
        ACCOUNT.c.id,
        ACCOUNT.c.person_id,
        ACCOUNT.c.language,
        ACCOUNT.c.session_key,
        PERSON.c.name,
        PERSON.c.handle,
        MEMBER.c.organisation_id,
        MEMBER.c.role,
    )
    .join(PERSON, PERSON.c.id == ACCOUNT.c.person_id)
    .outerjoin(MEMBER, MEMBER.c.person_id == ACCOUNT.c.person_id)
    .where(ACCOUNT.c.active.is_(True), PERSON.c.erased_at.is_(None))
)
# Every page (session) and API (token) request starts with one of these: built once, so that
# SQLAlchemy finds its compiled form in its cache (and psycopg prepares it on the server).
_BY_ACCOUNT = _PRINCIPAL.where(ACCOUNT.c.id == bindparam("account_id"))
_BY_TOKEN = _PRINCIPAL.join(TOKEN, TOKEN.c.account_id == ACCOUNT.c.id).where(
    TOKEN.c.token_hash == bindparam("token_hash"), TOKEN.c.revoked_at.is_(None)
)
# A page request: the session row (unique index on its hash) is checked in the same statement.
_BY_SESSION = _PRINCIPAL.join(SESSION, SESSION.c.account_id == ACCOUNT.c.id).where(
    SESSION.c.token_hash == bindparam("token_hash"),
    SESSION.c.ended_at.is_(None),
    SESSION.c.expires_at > bindparam("now"),
)


def _principal(rows: Sequence[RowMapping]) -> Principal | None:
    if not rows:
        return None
    first = rows[0]
    roles: dict[int, set[str]] = {}
    for row in rows:
        if row["organisation_id"] is not None:
            roles.setdefault(row["organisation_id"], set()).add(row["role"])
    return Principal(
        account_id=first["id"],
        person_id=first["person_id"],
        name=first["name"],
        handle=first["handle"],
        language=first["language"],
        session_key=first["session_key"],
        roles={org: frozenset(r) for org, r in roles.items()},
    )


# --- API tokens ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class IssuedToken:
    """A new API token: `token` is shown once and never stored."""

    id: int
    name: str
    prefix: str
    token: str


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(tx: Tx, *, person: str | int, name: str = "integration") -> IssuedToken:
    """Issue an API token for the account of `person`."""
    who = directory.find_person(tx.conn, person)
    account_id = tx.conn.execute(
        select(ACCOUNT.c.id).where(ACCOUNT.c.person_id == who.id, ACCOUNT.c.active.is_(True))
    ).scalar()
    if account_id is None:
        raise NotFound(
            f"person '{who.handle}' has no active account",
            hint="add one with `pathways user add`",
            code="no_active_account",
            params={"ref": who.handle},
        )
    if not name.strip() or len(name) > 80:
        raise FieldError("name", "a token name has 1 to 80 characters")
    prefix = f"{TOKEN_PREFIX}_{secrets.token_hex(4)}"
    token = f"{prefix}_{secrets.token_urlsafe(32)}"
    token_id = tx.insert(
        TOKEN,
        account_id=account_id,
        name=name.strip(),
        prefix=prefix,
        token_hash=_token_hash(token),
        created_at=tx.recorded_at,
    )
    return IssuedToken(token_id, name.strip(), prefix, token)


def principal_for_token(conn: Connection, token: str) -> Principal | None:
    """The account a bearer token belongs to; None for an unknown or revoked token."""
    if not token.startswith(f"{TOKEN_PREFIX}_") or len(token) > 200:
        return None
    return _principal(conn.execute(_BY_TOKEN, {"token_hash": _token_hash(token)}).mappings().all())


def revoke_token(tx: Tx, *, prefix: str) -> None:
    """Revoke a token by the prefix shown when it was created."""
    done = tx.conn.execute(
        update(TOKEN)
        .where(TOKEN.c.prefix == prefix, TOKEN.c.revoked_at.is_(None))
        .values(revoked_at=tx.recorded_at)
    ).rowcount
    if not done:
        raise NotFound(f"no active token '{prefix}'", code="token_not_found", params={"prefix": prefix})
