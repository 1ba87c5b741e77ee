"""A case's shares with partner organisations as read back: where each side's consent stands.

The rows of ``case_share`` with the names of the people who consented and of the organisations,
for the case page, the partner's view, the CLI and the API (:mod:`pathways.services.collaboration.sharing`
records the consents).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, select

from pathways.services.casework.queries import names_of
from pathways.store.core import CASE, CASE_SHARE, ORG

__all__ = ["Share", "offers_for", "one_share", "shares_of"]

SHARE = CASE_SHARE


@dataclass(frozen=True, slots=True)
class Share:
    """One share of a case and where its consents stand: offered, shared or withdrawn."""

    id: int
    case_id: int
    ref: str
    owner_id: int  # the case's organisation
    owner: str
    partner_id: int
    partner: str
    owner_consent_by: str | None
    owner_consent_at: datetime
    partner_consent_by: str | None
    partner_consent_at: datetime | None
    withdrawn_by: str | None
    withdrawn_at: datetime | None

    @property
    def status(self) -> str:
        if self.withdrawn_at is not None:
            return "withdrawn"
        return "shared" if self.partner_consent_at is not None else "offered"


def _shares(conn: Connection, where: Any) -> list[Share]:
    rows = [dict(r) for r in conn.execute(select(SHARE).where(where).order_by(SHARE.c.id)).mappings()]
    if not rows:
        return []
    people = names_of(
        conn, {r[k] for r in rows for k in ("owner_consent_by", "partner_consent_by", "withdrawn_by")}
    )
    in_cases = CASE.c.id.in_({r["case_id"] for r in rows})
    cases: dict[int, tuple[str, int]] = {
        r[0]: (r[1], r[2])
        for r in conn.execute(select(CASE.c.id, CASE.c.ref, CASE.c.organisation_id).where(in_cases))
    }
    in_orgs = ORG.c.id.in_({r["partner_id"] for r in rows} | {o for _ref, o in cases.values()})
    orgs: dict[int, str] = {r[0]: r[1] for r in conn.execute(select(ORG.c.id, ORG.c.name).where(in_orgs))}
    return [
        Share(
            id=r["id"],
            case_id=r["case_id"],
            ref=cases[r["case_id"]][0],
            owner_id=cases[r["case_id"]][1],
            owner=orgs[cases[r["case_id"]][1]],
            partner_id=r["partner_id"],
            partner=orgs[r["partner_id"]],
            owner_consent_by=people.get(r["owner_consent_by"]),
            owner_consent_at=r["owner_consent_at"],
            partner_consent_by=people.get(r["partner_consent_by"]),
            partner_consent_at=r["partner_consent_at"],
            withdrawn_by=people.get(r["withdrawn_by"]),
            withdrawn_at=r["withdrawn_at"],
        )
        for r in rows
    ]


def one_share(conn: Connection, share_id: int) -> Share:
    """One share by id (it exists)."""
    return _shares(conn, SHARE.c.id == share_id)[0]


def shares_of(conn: Connection, case_id: int) -> list[Share]:
    """Every share of a case, oldest first, withdrawn ones included (the history)."""
    return _shares(conn, SHARE.c.case_id == case_id)


def offers_for(conn: Connection, org_ids: frozenset[int]) -> list[Share]:
    """Shares not withdrawn that are offered to or shared with any of `org_ids` (a partner's list)."""
    if not org_ids:
        return []
    return _shares(conn, SHARE.c.partner_id.in_(sorted(org_ids)) & SHARE.c.withdrawn_at.is_(None))
