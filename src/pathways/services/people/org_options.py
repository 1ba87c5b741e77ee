"""The local rules an organisation switches on or off over its pathway files (``organisation.options``).

Changed by ``pathways org update --option`` and ``PATCH /api/v1/orgs/{org}/options``, audited as
``organisation_options_changed`` with the organisation's settings after the change. Decisions read
them with the case (:mod:`pathways.services.casework.cases`), so a change applies to the next
decision of every open case of the organisation.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import Connection, select, update

from pathways.domain.org_options import merge
from pathways.services.tx import Tx
from pathways.store.core import ORG

__all__ = ["options_of", "set_options"]


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
