"""Change a person's name, contacts, language and channels (one use case).

Validated as :func:`~pathways.services.people.directory.add_person` validates a new person:
one e-mail a person within an organisation, channels only to public hosts unless
``PATHWAYS_CHANNEL_ALLOW`` names them (SSRF), every problem reported at once.

Who may change whom: nobody changes more than they may grant
(:meth:`~pathways.services.people.accounts.Principal.grantable_roles`). An officer changes
project leads and resource persons, a manager officers too; everyone their own details. A
person is one row whatever the organisations listing them, so the change is recorded in the
chain of each of them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

from sqlalchemy import Connection, func, select, update

from pathways.errors import Forbidden
from pathways.services.people import edit_checks as checks
from pathways.services.people import edit_version
from pathways.services.people.accounts import STAFF_ROLES, Permission, Principal
from pathways.services.people.directory import roles_of
from pathways.services.people.views import PersonView
from pathways.services.tx import Tx, write
from pathways.store.core import MEMBER, PERSON

if TYPE_CHECKING:
    from collections.abc import Sequence
    from datetime import datetime

    from pathways.bootstrap import App

__all__ = ["PersonUpdate", "PersonUpdated", "update_person"]

PUBLIC: Final = frozenset({"language"})  # name, e-mail, phone and channels are personal data


@dataclass(frozen=True, slots=True)
class PersonUpdate:
    """What to change in a person; None leaves a field as it is, "" clears it (not the name).

    `channels` replaces the person's channels (Apprise URLs); an empty tuple removes them all.
    Without it, `drop_channels` removes the channels named by their id (``mailto:3f2a…``, see
    :func:`pathways.notify.deliver.channel_id`: a form never sends an URL back) and
    `add_channels` adds channels.
    """

    person: str | int
    name: str | None = None
    email: str | None = None
    phone: str | None = None
    language: str | None = None
    channels: Sequence[str] | None = None
    drop_channels: Sequence[str] = ()
    add_channels: Sequence[str] = ()
    expected_version: int | None = None  # the version the form showed; None: no check (CLI, API)


@dataclass(frozen=True, slots=True)
class PersonUpdated:
    """What an update changed (nothing when `changed` is empty)."""

    person_id: int
    changed: tuple[str, ...]
    edit_id: int | None
    version: int  # the person's version now (:mod:`pathways.services.people.edit_version`)


def update_person(
    app: App, command: PersonUpdate, *, by: Principal | None, at: datetime | None = None
) -> PersonUpdated:
    """Apply `command` in one transaction, as `by` (None: the operator, every organisation).

    A person with no role in `by`'s organisations gets the NotFound an unknown one gets. With an
    `expected_version`, a person edited since is refused (EditedMeanwhile, naming the edits).
    """
    with write(app, actor_id=by.person_id if by is not None else None, at=at) as tx:
        return apply(tx, command, by=by)


def apply(tx: Tx, command: PersonUpdate, *, by: Principal | None) -> PersonUpdated:
    """:func:`update_person` within the caller's transaction."""
    visible = None
    if by is not None:
        members = select(MEMBER.c.person_id).where(
            MEMBER.c.organisation_id.in_(sorted(by.orgs(Permission.READ)))
        )
        visible = PERSON.c.id.in_(members)
    keys = ("handle", "email", "name")
    row = checks.find_scoped(tx.conn, PERSON, command.person, "person", keys, visible, PersonView.of)
    roles = roles_of(tx.conn, row.id)
    if row.erased_at is not None:
        raise Forbidden(
            f"person '{command.person}' was erased: their details cannot be set again",
            code="person_erased",
            params={"ref": command.person},
        )
    if by is not None:
        _may_change(by, row.id, roles, command.person)
    edit_version.require(tx.conn, "person", row.id, command.expected_version)
    orgs = sorted({org for org, _role in roles})
    problems = checks.Problems()
    # E-mails are compared within the organisations `by` sees: no answer tells of the others'.
    seen = [o for o in orgs if by is None or by.can(Permission.READ, o)]
    after = _validated(tx, command, row, seen, problems)
    problems.raise_any()
    changes = checks.changes_of(row, after)
    if not changes:
        return PersonUpdated(row.id, (), None, edit_version.version_of(tx.conn, "person", row.id))
    tx.conn.execute(update(PERSON).where(PERSON.c.id == row.id).values(**after))
    home = next((o for o in orgs if by is None or by.can(Permission.WRITE, o)), orgs[0])
    edit_id = checks.record_edit(
        tx,
        kind="person_updated",
        subject=("person", row.id),
        org_id=home,
        chains=orgs,
        changes=changes,
        public=PUBLIC,
    )
    return PersonUpdated(row.id, tuple(sorted(changes)), edit_id, edit_id)


def _may_change(by: Principal, person_id: int, roles: list[tuple[int, str]], ref: str | int) -> None:
    """Forbidden unless `by` may grant each role the person holds (staff roles anywhere, the
    others in `by`'s organisations), or is that person."""
    if person_id == by.person_id:
        return
    writable = by.orgs(Permission.WRITE)
    if not any(org in writable for org, _role in roles):
        raise Forbidden(
            f"your role does not allow changing person '{ref}' ({Permission.WRITE.value})",
            code="person_change_forbidden",
            params={"ref": ref},
        )
    for org, role in roles:
        if (role in STAFF_ROLES or org in by.orgs(Permission.READ)) and role not in by.grantable_roles(org):
            raise Forbidden(
                f"your role does not allow changing the details of a {role} of this organisation",
                code="role_details_forbidden",
                params={"role": role},
            )


def _validated(
    tx: Tx, command: PersonUpdate, row: PersonView, orgs: list[int], problems: checks.Problems
) -> dict[str, Any]:
    """The columns the command sets, each checked; problems noted for the others."""
    after: dict[str, Any] = {}
    if command.name is not None and (name := checks.check_name(problems, command.name)) is not None:
        after["name"] = name
    if command.email is not None:
        email = checks.check_email(problems, command.email)
        if not problems.has("email"):
            if email is not None and (row.email or "").lower() != email.lower():
                _refuse_shared_email(tx, email, row.id, orgs, problems)
            after["email"] = email
    if command.phone is not None:
        phone = checks.check_phone(problems, command.phone)
        if not problems.has("phone"):
            after["phone"] = phone
    if command.language is not None:
        language = checks.check_lang(problems, command.language)
        if not problems.has("language"):
            after["language"] = language
    wanted = _channels(command, row.channels or [])
    if wanted is not None:
        channels = checks.check_channels(problems, wanted)
        if not problems.has("channels"):
            after["channels"] = channels
    return after


def _channels(command: PersonUpdate, current: Sequence[str]) -> list[str] | None:
    """The channels the command asks for; None when it leaves them as they are."""
    from pathways.notify.deliver import channel_id

    if command.channels is not None:
        return list(command.channels)
    if not command.drop_channels and not any(u.strip() for u in command.add_channels):
        return None
    dropped = set(command.drop_channels)
    kept = [u for u in current if channel_id(u) not in dropped]
    return kept + [u.strip() for u in command.add_channels if u.strip() and u.strip() not in kept]


def _refuse_shared_email(
    tx: Tx, email: str, person_id: int, orgs: list[int], problems: checks.Problems
) -> None:
    """One e-mail, one person within an organisation: as when a person is added."""
    twin = tx.conn.execute(
        select(PERSON.c.id, PERSON.c.handle)
        .where(
            func.lower(PERSON.c.email) == email.lower(),
            PERSON.c.erased_at.is_(None),
            PERSON.c.id != person_id,
            PERSON.c.id.in_(select(MEMBER.c.person_id).where(MEMBER.c.organisation_id.in_(orgs))),
        )
        .order_by(PERSON.c.id)
        .limit(1)
    ).first()
    if twin is not None:
        problems.add(
            "email",
            "email_taken",
            f"person '{twin.handle}' (id {twin.id}) of this organisation has this e-mail already",
            hint="each person of an organisation has their own e-mail",
            handle=twin.handle,
            id=twin.id,
        )


def can_change(conn: Connection, by: Principal, person_id: int) -> bool:
    """Whether `by` may change the person's details (the pages offer the form only then)."""
    try:
        _may_change(by, person_id, roles_of(conn, person_id), person_id)
    except Forbidden:
        return False
    return True
