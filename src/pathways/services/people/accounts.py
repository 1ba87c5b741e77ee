"""Accounts, roles, API tokens and project owners' links: who may see and change what.

A :class:`Principal` is a logged-in account with the roles its person holds in
each organisation. Every permission is asked per organisation
(:meth:`Principal.orgs`), so the web layer scopes every query to the
organisations that grant it::

    officer   read, write                  (cases, projects, people of its organisations)
    manager   read, write, manage, audit   (+ dashboard, audit, staff)
    admin     read, write, manage, audit, admin
    auditor   read, audit                  (read-only)

Owner and resource persons have no account access: project owners use the
signed, expiring link of :func:`owner_link`.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from functools import cache
from typing import TYPE_CHECKING, Any, Final

from argon2 import PasswordHasher
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import Connection, RowMapping, bindparam, select, update

from pathways.domain.spec import LANGS, Role
from pathways.errors import FieldError, LinkExpired, NotFound, Refused
from pathways.services.casework.lookup import CASE, ORG, PROJECT
from pathways.services.people import directory, websessions
from pathways.services.tx import Tx, write
from pathways.store.accounts import Account, ApiToken
from pathways.store.tables import AuditEvent

if TYPE_CHECKING:
    from pathways.bootstrap import App

ACCOUNT = Account.__table__  # type: ignore[attr-defined]
TOKEN = ApiToken.__table__  # type: ignore[attr-defined]
AUDIT = AuditEvent.__table__  # type: ignore[attr-defined]

MIN_PASSWORD: Final = 10
TOKEN_PREFIX: Final = "pw"  # noqa: S105  marks pathways tokens, not a secret
OWNER_ACTIONS: Final = ("meeting_confirmed", "documents_sent")
_LINK_SALT: Final = "pathways.owner-link"


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
    roles = directory.roles_of(tx.conn, who["id"])
    staff = [(org, role) for org, role in roles if role in STAFF_ROLES]
    if not staff:
        raise Refused(
            f"person '{who['handle']}' has no staff role ({', '.join(STAFF_ROLES)})",
            hint="project leads use the link in their messages; add a staff role with `pathways person add`",
        )
    lang = language or who["language"] or "fr"
    if lang not in LANGS:
        raise FieldError("language", f"{lang!r} is not supported", hint=f"use one of {', '.join(LANGS)}")
    hashed = hash_password(password)
    existing = tx.conn.execute(select(ACCOUNT.c.id).where(ACCOUNT.c.person_id == who["id"])).scalar()
    if existing is None:
        account_id = tx.insert(
            ACCOUNT,
            person_id=who["id"],
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
        payload={"person": who["id"], "account": account_id},
    )
    return AccountCreated(account_id, who["id"], who["handle"], existing is None)


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
        directory.PERSON.c.name,
        directory.PERSON.c.handle,
        directory.MEMBER.c.organisation_id,
        directory.MEMBER.c.role,
    )
    .join(directory.PERSON, directory.PERSON.c.id == ACCOUNT.c.person_id)
    .outerjoin(directory.MEMBER, directory.MEMBER.c.person_id == ACCOUNT.c.person_id)
    .where(ACCOUNT.c.active.is_(True), directory.PERSON.c.erased_at.is_(None))
)
# Every page (session) and API (token) request starts with one of these: built once, so that
# SQLAlchemy finds its compiled form in its cache (and psycopg prepares it on the server).
_BY_ACCOUNT = _PRINCIPAL.where(ACCOUNT.c.id == bindparam("account_id"))
_BY_TOKEN = _PRINCIPAL.join(TOKEN, TOKEN.c.account_id == ACCOUNT.c.id).where(
    TOKEN.c.token_hash == bindparam("token_hash"), TOKEN.c.revoked_at.is_(None)
)
# A page request: the session row (unique index on its hash) is checked in the same statement.
_BY_SESSION = _PRINCIPAL.join(websessions.SESSION, websessions.SESSION.c.account_id == ACCOUNT.c.id).where(
    websessions.SESSION.c.token_hash == bindparam("token_hash"),
    websessions.SESSION.c.ended_at.is_(None),
    websessions.SESSION.c.expires_at > bindparam("now"),
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
        select(ACCOUNT.c.id).where(ACCOUNT.c.person_id == who["id"], ACCOUNT.c.active.is_(True))
    ).scalar()
    if account_id is None:
        raise NotFound(
            f"person '{who['handle']}' has no active account", hint="add one with `pathways user add`"
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
        raise NotFound(f"no active token '{prefix}'")


# --- project owners' links ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class OwnerClaim:
    """What a valid owner link grants: one person, one case, until `expires`."""

    case_id: int
    person_id: int
    expires: datetime


def _serializer(app: App) -> URLSafeSerializer:
    return URLSafeSerializer(app.settings.secret_key, salt=_LINK_SALT)


def owner_token(app: App, case_id: int, person_id: int, *, days: int = 14) -> str:
    """The signed token of an owner link (the part after /o/)."""
    expires = app.clock.real() + timedelta(days=days)
    return str(_serializer(app).dumps({"c": case_id, "p": person_id, "x": int(expires.timestamp())}))


def owner_link(app: App, case_id: int, person_id: int, *, days: int = 14) -> str:
    """A signed link, valid `days` days, to the page where a project owner follows their case."""
    return f"{app.settings.base_url.rstrip('/')}/o/{owner_token(app, case_id, person_id, days=days)}"


def read_owner_link(app: App, token: str) -> OwnerClaim:
    """The claim of an owner link; NotFound when forged or damaged, LinkExpired when too old."""
    try:
        data = _serializer(app).loads(token)
        claim = OwnerClaim(int(data["c"]), int(data["p"]), datetime.fromtimestamp(int(data["x"]), UTC))
    except (BadSignature, KeyError, TypeError, ValueError, OverflowError):
        raise NotFound("this link is not valid", hint="use the latest link you received") from None
    if claim.expires <= app.clock.real():
        raise LinkExpired("this link has expired", hint="ask your support officer for a new one")
    return claim


def owner_view(conn: Connection, app: App, claim: OwnerClaim) -> dict[str, Any]:
    """What a project owner sees: their case's status, current stage and what they already did."""
    row = (
        conn.execute(
            select(
                CASE.c.id,
                CASE.c.ref,
                CASE.c.status,
                CASE.c.result,
                CASE.c.stage,
                CASE.c.due_at,
                CASE.c.pathway_id,
                CASE.c.pathway_version,
                CASE.c.officer_id,
                CASE.c.current_entry_id,
                PROJECT.c.name.label("project"),
                PROJECT.c.owner_id,
                ORG.c.name.label("organisation"),
                ORG.c.timezone,
                ORG.c.language.label("org_language"),
            )
            .join(PROJECT, PROJECT.c.id == CASE.c.project_id)
            .join(ORG, ORG.c.id == CASE.c.organisation_id)
            .where(CASE.c.id == claim.case_id)
        )
        .mappings()
        .first()
    )
    # The link stops working when the project changes hands.
    if row is None or row["owner_id"] != claim.person_id:
        raise NotFound("this link is not valid", hint="ask your support officer for a new one")
    person = directory.find_person(conn, claim.person_id)
    officer = directory.find_person(conn, row["officer_id"]) if row["officer_id"] else None
    spec = app.catalog.get(row["pathway_id"], row["pathway_version"])
    lang = person["language"] or row["org_language"]
    stage = spec.stage(row["stage"]) if row["stage"] else None
    done = conn.execute(
        select(AUDIT.c.kind, AUDIT.c.recorded_at, AUDIT.c.payload)
        .where(AUDIT.c.case_id == row["id"], AUDIT.c.kind.in_([f"owner_{a}" for a in OWNER_ACTIONS]))
        .order_by(AUDIT.c.id)
    ).all()
    return {
        "ref": row["ref"],
        "status": row["status"],
        "result_label": spec.ends[row["result"]].get(lang) if row["result"] else None,
        "project": row["project"],
        "organisation": row["organisation"],
        "timezone": row["timezone"],
        "pathway_title": spec.title.get(lang),
        "stage": row["stage"],
        "stage_title": stage.title.get(lang) if stage else None,
        "stage_description": stage.description.get(lang) if stage and stage.description else None,
        "expects_owner": bool(stage and any(r.to is Role.OWNER for r in stage.remind)),
        "due_at": row["due_at"],
        "officer": {"name": officer["name"], "email": officer["email"]} if officer else None,
        "owner": person["name"],
        "language": lang,
        "done": [
            {"action": kind.removeprefix("owner_"), "at": at, "stage": payload.get("stage")}
            for kind, at, payload in done
            if payload.get("entry") == row["current_entry_id"]
        ],
    }


def _owner_action_done(conn: Connection, case_id: int, action: str, entry_id: int | None) -> int | None:
    """The audit event of `action` already recorded for this stage entry of the case, if any."""
    events = conn.execute(
        select(AUDIT.c.id, AUDIT.c.payload)
        .where(AUDIT.c.case_id == case_id, AUDIT.c.kind == f"owner_{action}")
        .order_by(AUDIT.c.id)
    )
    return next((int(id_) for id_, payload in events if payload.get("entry") == entry_id), None)


def record_owner_action(app: App, claim: OwnerClaim, action: str) -> int:
    """Record that the owner confirmed a meeting or sent documents: an audit event on the case.

    Once per (case, stage entry, action): the same action posted again for the same stage
    entry (a reload, a double click, a replayed link) returns the event already recorded.
    """
    if action not in OWNER_ACTIONS:
        raise FieldError("action", f"{action!r} is not one of {', '.join(OWNER_ACTIONS)}")
    with write(app, actor_id=claim.person_id) as tx:
        case = tx.conn.execute(
            select(
                CASE.c.id,
                CASE.c.ref,
                CASE.c.status,
                CASE.c.stage,
                CASE.c.current_entry_id,
                CASE.c.organisation_id,
            )
            .add_columns(PROJECT.c.owner_id)
            .join(PROJECT, PROJECT.c.id == CASE.c.project_id)
            .where(CASE.c.id == claim.case_id)
            # Two posts at once queue here (PostgreSQL; SQLite's writers already do), so the
            # second sees the first one's event below.
            .with_for_update(of=CASE)
        ).first()
        if case is None or case.owner_id != claim.person_id:
            raise NotFound("this link is not valid", hint="ask your support officer for a new one")
        if case.status != "open":
            raise Refused(f"case {case.ref} is closed")
        done = _owner_action_done(tx.conn, case.id, action, case.current_entry_id)
        if done is not None:
            return done
        return tx.audit(
            organisation_id=case.organisation_id,
            case_id=case.id,
            kind=f"owner_{action}",
            payload={
                "ref": case.ref,
                "stage": case.stage,
                "entry": case.current_entry_id,
                "person": claim.person_id,
            },
        )
