"""Lookups that see only the caller's organisations, and the one "not found" they answer.

A route must not tell "it does not exist" from "it belongs to an organisation you have no
role in", or references, names and e-mail addresses of every organisation could be probed.
So what :class:`~pathways.web.scope.Scope` looks up by name is searched among the visible
rows only (an ambiguity with another organisation's row never shows), and whatever is not
found, for either reason, is answered by :func:`absent`: one message and one hint per kind.
The CLI's own lookups (``services.directory.find_*``) keep their operator-facing messages.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from typing import Final, TypeVar

from sqlalchemy import Connection

from pathways.errors import NotFound
from pathways.services.people.permits import NOT_FOUND_HINTS, NOT_YOURS_HINT

HINTS: Final = NOT_FOUND_HINTS
GENERIC_HINT: Final = NOT_YOURS_HINT  # one wording for "not yours", the services'
V = TypeVar("V")


def absent(kind: str, ref: object) -> NotFound:
    """The one answer for a `kind` that does not exist or is not visible: same text, same hint."""
    return NotFound(f"no {kind} '{str(ref).strip()}'", hint=HINTS.get(kind, GENERIC_HINT))


def find_within(
    find: Callable[[Connection, str | int, Collection[int]], V],
    conn: Connection,
    ref: str | int,
    orgs: Collection[int],
    kind: str,
) -> V:
    """`find` (a lookup of :mod:`pathways.services.people.among`) limited to `orgs`, so rows of other
    organisations can neither be found nor make a name ambiguous; not found is :func:`absent`."""
    try:
        return find(conn, ref, orgs)
    except NotFound:
        raise absent(kind, ref) from None
