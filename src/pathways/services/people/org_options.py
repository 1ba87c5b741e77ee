"""The local rules an organisation switches on or off over its pathway files (``organisation.options``).

Changed by ``pathways org update --option`` and ``PATCH /api/v1/orgs/{org}/options``, audited as
``organisation_options_changed`` with the organisation's settings after the change. Decisions read
them with the case (:mod:`pathways.services.casework.cases`), so a change applies to the next
decision of every open case of the organisation.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import Connection, select, update

from pathways.domain.org_options import merge
from pathways.services.people.accounts import Permission, Principal
from pathways.services.people.permits import require
from pathways.services.tx import Tx, write
from pathways.store.core import ORG

if TYPE_CHECKING:
    from pathways.bootstrap import App

__all__ = ["SetOrgOptions", "change_options", "options_of", "set_options"]


@dataclass(frozen=True, slots=True)
class SetOrgOptions:
    """Set local rules of organisation `organisation_id`: (name, on, off or None: the file's value) each."""

    organisation_id: int
    changes: tuple[tuple[str, bool | None], ...]


def options_of(conn: Connection, org_id: int) -> dict[str, bool]:
    """The organisation's own settings (the options it set, on or off)."""
    found = conn.execute(select(ORG.c.options).where(ORG.c.id == org_id)).scalar_one_or_none()
    return dict(found or {})


def set_options(tx: Tx, org_id: int, changes: Iterable[tuple[str, bool | None]]) -> dict[str, bool]:
    """Apply `changes` (None: back to the file's value); FieldError naming `option` changes nothing."""
    current = tx.conn.execute(select(ORG.c.options).where(ORG.c.id == org_id).with_for_update()).scalar_one()
    merged = merge(current or {}, changes)
    if merged != (current or {}):
        tx.conn.execute(update(ORG).where(ORG.c.id == org_id).values(options=merged))
        tx.audit(organisation_id=org_id, kind="organisation_options_changed", payload={"options": merged})
    return merged


def change_options(app: App, command: SetOrgOptions, *, by: Principal | None) -> dict[str, bool]:
    """Set the organisation's local rules (managers; ``by=None``: the operator), in one transaction."""
    if by is not None:
        require(by, command.organisation_id, Permission.MANAGE, f"organisation {command.organisation_id}")
    with write(app, actor_id=by.person_id if by is not None else None) as tx:
        return set_options(tx, command.organisation_id, command.changes)
