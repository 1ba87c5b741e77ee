"""Logins, roles and API tokens as use cases: each opens its own transaction.

Giving or taking away a login, a role or a token is the operator's, at the command line
(``by=None``); an account asking for it (``by``) is refused. A logged-in account changes the
language of its own pages. The changes themselves, and their audit events, are those of
:mod:`pathways.services.people.accounts` and :mod:`pathways.services.people.access`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from pathways.errors import FieldError, Forbidden
from pathways.services.people import access, accounts
from pathways.services.people.access import AccessChanged
from pathways.services.people.accounts import AccountCreated, IssuedToken, Principal
from pathways.services.tx import write

if TYPE_CHECKING:
    from pathways.bootstrap import App

__all__ = [
    "AddUser",
    "AddUsers",
    "ChangeRole",
    "CreateToken",
    "DisableUser",
    "RevokeToken",
    "SetLanguage",
    "add_user",
    "add_users",
    "change_role",
    "create_token",
    "disable_user",
    "revoke_token",
    "set_language",
]


@dataclass(frozen=True, slots=True)
class AddUser:
    """Give staff person `person` a login with `password` (or reset it, which ends their sessions)."""

    person: str | int
    password: str
    language: str | None = None


@dataclass(frozen=True, slots=True)
class AddUsers:
    """Give each of `people` a login with the same `password`, all in one transaction (the demo's)."""

    people: Sequence[str | int]
    password: str


@dataclass(frozen=True, slots=True)
class DisableUser:
    """Stop `person`'s account from logging in and end its sessions."""

    person: str | int


@dataclass(frozen=True, slots=True)
class ChangeRole:
    """Make `role` the only role of `person` in organisation `org` (id, slug or name)."""

    person: str | int
    org: str | int
    role: str


@dataclass(frozen=True, slots=True)
class CreateToken:
    """An API token for the account of `person`, named for what it is for."""

    person: str | int
    name: str = "integration"


@dataclass(frozen=True, slots=True)
class RevokeToken:
    """Revoke the token whose prefix (pw_xxxxxxxx) was shown when it was created."""

    prefix: str


@dataclass(frozen=True, slots=True)
class SetLanguage:
    """The language of an account's pages: the caller's own, or (operator only) `account_id`'s."""

    language: str
    account_id: int | None = None


def _operator_only(by: Principal | None, what: str) -> None:
    if by is not None:
        raise Forbidden(f"only the operator {what}", hint="at the command line: `pathways user --help`")


def add_user(app: App, command: AddUser, *, by: Principal | None) -> AccountCreated:
    """Give a login, or reset its password (:func:`accounts.add_user`)."""
    _operator_only(by, "gives logins")
    with write(app) as tx:
        return accounts.add_user(
            tx, person=command.person, password=command.password, language=command.language
        )


def add_users(app: App, command: AddUsers, *, by: Principal | None) -> tuple[AccountCreated, ...]:
    """Give each person a login, all or none."""
    _operator_only(by, "gives logins")
    with write(app) as tx:
        return tuple(accounts.add_user(tx, person=p, password=command.password) for p in command.people)


def disable_user(app: App, command: DisableUser, *, by: Principal | None) -> AccessChanged:
    """Disable an account and end its sessions (:func:`access.disable_user`)."""
    _operator_only(by, "disables logins")
    with write(app) as tx:
        return access.disable_user(tx, person=command.person)


def change_role(app: App, command: ChangeRole, *, by: Principal | None) -> AccessChanged:
    """Change a person's role in an organisation; their sessions end (:func:`access.change_role`)."""
    _operator_only(by, "changes roles")
    with write(app) as tx:
        return access.change_role(tx, person=command.person, org=command.org, role=command.role)


def create_token(app: App, command: CreateToken, *, by: Principal | None) -> IssuedToken:
    """Issue an API token, shown once (:func:`accounts.create_token`)."""
    _operator_only(by, "creates API tokens")
    with write(app) as tx:
        return accounts.create_token(tx, person=command.person, name=command.name)


def revoke_token(app: App, command: RevokeToken, *, by: Principal | None) -> str:
    """Revoke a token; its prefix (NotFound for no active token with it)."""
    _operator_only(by, "revokes API tokens")
    with write(app) as tx:
        accounts.revoke_token(tx, prefix=command.prefix)
    return command.prefix


def set_language(app: App, command: SetLanguage, *, by: Principal | None) -> str:
    """Set the language of the caller's pages (the operator: of account `account_id`); the language."""
    if by is not None:
        account_id = by.account_id
    elif command.account_id is not None:
        account_id = command.account_id
    else:
        raise FieldError("account", "name the account whose language changes")
    with write(app, actor_id=by.person_id if by is not None else None) as tx:
        accounts.set_language(tx, account_id=account_id, language=command.language)
    return command.language
