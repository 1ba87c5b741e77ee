"""What project and person edits share: every problem of a command collected at once, and the record.

An edit is checked field by field with the validators the adds use (python-stdnum through
:mod:`pathways.domain.identifiers`, the channel checks of :mod:`pathways.notify.destination`),
and every problem is kept, so the caller hears of all of them at once (:class:`FieldErrors`),
each with a code the pages translate. Nothing is written unless there is no problem.

The record of an accepted edit is split as a decision's is (:mod:`pathways.services.casework.recording`):
the values before and after go to ``directory_edit``, which erasing a person can reach; the
audit chain gets the names of the fields, the values that are not personal data (a phase, a
job count, an owner's id) and a keyed digest of all of them.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import unicodedata
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final, TypeVar

from sqlalchemy import ColumnElement, Connection, RowMapping, select

from pathways.domain import identifiers
from pathways.domain.spec import LANGS
from pathways.errors import FieldErrors, FieldProblem, Forbidden, InvalidIdentifier, NotFound
from pathways.services.people.accounts import Permission, Principal
from pathways.services.people.directory import NAME_MAX, find_row
from pathways.services.people.permits import absent
from pathways.services.people.views import FormerSelf
from pathways.services.tx import Tx
from pathways.store.core import EDIT

V = TypeVar("V")

EMAIL: Final = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
PHONE: Final = re.compile(r"\+?[0-9 ().\-/]{4,31}")
EMAIL_MAX: Final = 254
PHONE_MAX: Final = 32
LEGAL_FORM_MAX: Final = 40
JOBS_MAX: Final = 1_000_000
CHANNELS_MAX: Final = 10

Change = tuple[Any, Any]


@dataclass
class Problems:
    """The problems found so far in one command, in the order of its fields."""

    found: list[FieldProblem] = field(default_factory=list)

    def add(self, name: str, code: str, message: str, *, hint: str | None = None, **params: object) -> None:
        """Note that field `name` is refused (`code`: the pages' message key, with `params`)."""
        self.found.append(FieldProblem(name, code, message, hint, {k: str(v) for k, v in params.items()}))

    def has(self, name: str) -> bool:
        """Whether field `name` has a problem already."""
        return any(p.field == name for p in self.found)

    def raise_any(self) -> None:
        """FieldErrors naming every problem, if there is one."""
        if self.found:
            raise FieldErrors(self.found)


def find_scoped(
    conn: Connection,
    table: Any,
    ref: str | int,
    kind: str,
    keys: Sequence[str],
    visible: ColumnElement[bool] | None,
    view: Callable[[RowMapping], V],
) -> V:
    """A row among the visible ones, locked for the edit, as `view` makes it; :func:`absent` when
    it is not there."""
    try:
        row = find_row(conn, table, ref, kind, keys, scope=visible)
    except NotFound:
        raise absent(kind, ref) from None
    return view(conn.execute(select(table).where(table.c.id == row["id"]).with_for_update()).mappings().one())


def may_write(by: Principal | None, org_id: int, what: str) -> None:
    """Forbidden when `by` sees the organisation but its role does not allow changes there."""
    if by is not None and not by.can(Permission.WRITE, org_id):
        raise Forbidden(
            f"your role does not allow changing {what} ({Permission.WRITE.value})", code="change_forbidden"
        )


def clean_text(problems: Problems, name: str, value: str, *, max_length: int, required: bool) -> str | None:
    """`value` stripped; None when blank (a problem if `required`); too long or control characters refused."""
    text = value.strip()
    if not text:
        if required:
            problems.add(name, "required", "is empty", hint="give at least one letter or digit")
        return None
    if len(text) > max_length:
        problems.add(
            name,
            "too_long",
            f"{len(text)} characters, at most {max_length}",
            length=len(text),
            max=max_length,
        )
        return None
    if any(unicodedata.category(c) == "Cc" for c in text):
        problems.add(name, "control_chars", "contains control characters (a tab, a line break, NUL)")
        return None
    return text


def check_name(problems: Problems, value: str) -> str | None:
    """A name, as the adds require one."""
    return clean_text(problems, "name", value, max_length=NAME_MAX, required=True)


def check_identifier(problems: Problems, name: str, value: str) -> str | None:
    """A SIRET or BCE number normalised, or None when blank; a problem naming what is wrong."""
    text = value.strip()
    if not text:
        return None
    check: Callable[[str], str] = identifiers.check_siret if name == "siret" else identifiers.check_bce
    try:
        return check(text)
    except InvalidIdentifier as error:
        digits = identifiers.normalise(text)
        if name == "bce" and digits[:2].upper() == "BE":
            digits = digits[2:]
        kind = "SIRET" if name == "siret" else "BCE"
        problems.add(name, "identifier", error.message, hint=error.hint, kind=kind, count=len(digits))
        return None


def check_jobs(problems: Problems, name: str, value: int | str) -> int | None:
    """A job count from 0 to a million (a form's text: digits only)."""
    if isinstance(value, str):
        text = value.strip()
        if not (text.isascii() and text.isdigit() and len(text) <= 9):
            problems.add(name, "whole_number", f"{text!r} is not a whole number of jobs")
            return None
        value = int(text)
    if not 0 <= value <= JOBS_MAX:
        problems.add(name, "out_of_range", f"{value} is not a number of jobs from 0 to {JOBS_MAX}")
        return None
    return value


def check_email(problems: Problems, value: str) -> str | None:
    """An e-mail address, or None when blank."""
    text = clean_text(problems, "email", value, max_length=EMAIL_MAX, required=False)
    if text is not None and not EMAIL.fullmatch(text):
        problems.add("email", "email", f"{text!r} is not an e-mail address")
        return None
    return text


def check_phone(problems: Problems, value: str) -> str | None:
    """A phone number (digits, spaces, + ( ) . - /), or None when blank."""
    text = clean_text(problems, "phone", value, max_length=PHONE_MAX, required=False)
    if text is not None and not PHONE.fullmatch(text):
        problems.add("phone", "phone", f"{text!r} is not a phone number", hint="e.g. +32 2 123 45 67")
        return None
    return text


def check_lang(problems: Problems, value: str) -> str | None:
    """fr, nl or en; None when blank (the organisation's language then applies)."""
    text = value.strip().lower()
    if text and text not in LANGS:
        problems.add("language", "choice", f"{value!r} is not supported", hint="use fr, nl or en")
        return None
    return text or None


def check_channels(problems: Problems, urls: Sequence[str]) -> list[str]:
    """Channel URLs, each checked as when a person is added: an Apprise URL to a public host."""
    from pathways.notify.destination import ALLOW_HINT, configured_allow, judge, resolve_recent

    kept = [u.strip() for u in urls if u.strip()]
    if len(kept) > CHANNELS_MAX:
        problems.add("channels", "channels_max", f"at most {CHANNELS_MAX} channels", max=CHANNELS_MAX)
        return []
    allow = configured_allow() if kept else None
    for url in kept:
        if len(url) > 500 or any(unicodedata.category(c) == "Cc" for c in url):
            problems.add("channels", "channel_url", f"{url[:60]!r} is not an Apprise URL", url=url[:60])
        elif "://" not in url:
            problems.add(
                "channels",
                "channel_url",
                f"{url!r} is not an Apprise URL",
                hint="e.g. mailto://user@example.org",
                url=url,
            )
        elif allow is not None and (reason := judge(url, allow, resolve=resolve_recent).reason) is not None:
            problems.add("channels", "channel_refused", f"refused: {reason}", hint=ALLOW_HINT, reason=reason)
    return kept


def changes_of(before: object, after: Mapping[str, Any]) -> dict[str, Change]:
    """Each field whose value differs: (before: the attribute of the row's view, after)."""
    return {k: (getattr(before, k), v) for k, v in after.items() if getattr(before, k) != v}


def values_digest(key: bytes, changes: Mapping[str, Change]) -> str:
    """HMAC of an edit's values, as the audit chain keeps them."""
    canonical = json.dumps(
        {k: list(v) for k, v in changes.items()}, sort_keys=True, separators=(",", ":"), default=str
    )
    return hmac.new(key, canonical.encode(), hashlib.sha256).hexdigest()


def record_edit(
    tx: Tx,
    *,
    kind: str,
    subject: tuple[str, int],
    org_id: int,
    chains: Collection[int],
    changes: Mapping[str, Change],
    public: Collection[str],
) -> int:
    """Store an edit's values and append its event to each organisation's chain; the edit's id.

    `subject`: ("project" or "person", id); `public`: the fields whose values are not personal
    data, written in the chain as they are (the others only by name and in the digest).
    """
    what, subject_id = subject
    edit_id = tx.insert(
        EDIT,
        organisation_id=org_id,
        project_id=subject_id if what == "project" else None,
        person_id=subject_id if what == "person" else None,
        actor_id=tx.actor_id,
        at=tx.at,
        changes={k: list(v) for k, v in changes.items()},
    )
    payload = {
        what: subject_id,
        "edit": edit_id,
        "fields": sorted(changes),
        "changes": {k: list(v) for k, v in sorted(changes.items()) if k in public},
        "values_digest": values_digest(tx.key, changes),
    }
    for chain in sorted(set(chains)):
        tx.audit(organisation_id=chain, kind=kind, payload=payload)
    return edit_id


def former_selves(conn: Connection, person_ids: Collection[int]) -> list[FormerSelf]:
    """The people's earlier details, from their edits, shaped as person rows: what erasing them
    must find too (an old e-mail in a past edit, or copied elsewhere while it was theirs)."""
    if not person_ids:
        return []
    rows = conn.execute(
        select(EDIT.c.person_id, EDIT.c.changes).where(EDIT.c.person_id.in_(sorted(set(person_ids))))
    )
    found = []
    shown = ("handle", "name", "email", "phone", "channels")
    for person_id, changes in rows:
        for side in (0, 1):
            values = {k: v[side] for k, v in changes.items() if k in shown and v[side]}
            if "channels" in values:
                values["channels"] = tuple(values["channels"])
            found.append(FormerSelf(person_id, **values))
    return found
