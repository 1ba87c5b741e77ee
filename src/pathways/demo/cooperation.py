"""The members and shares of the demo's cooperation cases, made right after each case opens.

Each cooperation case of the Lyon PTCE (:mod:`pathways.demo.programme_data`) gets one of the
PTCE's other projects as a member; the DLA de Paris is offered three of them: one offer waits for
its consent, one is shared on both consents with a Paris project as a member, one was shared and
withdrawn by Paris a few days later (its member left with it). A member leaves one case on the way. Built
through the services, back-dated, as the officers and managers would have done it.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Final

from sqlalchemy import select

from pathways.bootstrap import Clock
from pathways.demo.data import DEMOS, STAFF
from pathways.services.collaboration import cooperation, sharing
from pathways.store.core import PROJECT

if TYPE_CHECKING:
    from pathways.bootstrap import App

__all__ = ["cooperate"]

HOME, PARTNER = "lyon", "paris"
# The case's project -> what becomes of its share with Paris: offered, shared, withdrawn.
SHARES: Final = {
    "Restauration collective solidaire du Rhône": "offered",
    "Pôle réemploi de Givors": "shared",
    "Groupement d'employeurs ESS d'Oullins": "withdrawn",
}
LEAVES: Final = "Plateforme logistique ESS de la Vallée de la chimie"  # its member leaves on the way
CARRIERS: Final = frozenset(d.name for d in DEMOS if d.pathway == "cooperation")


def _at(app: App, when: datetime) -> App:
    shifted = replace(app, clock=Clock(when))
    shifted.__dict__["catalog"] = app.catalog  # loaded once
    return shifted


def _projects(app: App, org: int) -> list[str]:
    """Ids of the organisation's projects that carry no cooperation case of the demo, oldest first."""
    with app.store.read() as conn:
        rows = conn.execute(
            select(PROJECT.c.id, PROJECT.c.name)
            .where(PROJECT.c.organisation_id == org)
            .order_by(PROJECT.c.id)
        ).all()
    return [str(i) for i, name in rows if name not in CARRIERS]


def cooperate(app: App, ref: str, name: str, opened_at: datetime, *, orgs: dict[str, int]) -> None:
    """The members and shares of the cooperation case `ref` (its project `name`), after `opened_at`."""
    home_manager, home_officer, _ = STAFF[HOME]
    partner_manager, partner_officer, _ = STAFF[PARTNER]
    others = _projects(app, orgs[HOME])
    index = sorted(CARRIERS).index(name)
    day = opened_at + timedelta(days=1)
    member = cooperation.AddMember(ref, others[index % len(others)], "member", home_officer)
    cooperation.add_member(_at(app, day), member, by=None)
    if name == LEAVES:
        gone = cooperation.RemoveMember(ref, member.project, home_officer)
        cooperation.remove_member(_at(app, day + timedelta(days=2)), gone, by=None)
    fate = SHARES.get(name)
    if fate is None:
        return
    sharing.offer_share(
        _at(app, day + timedelta(days=1)), sharing.OfferShare(ref, orgs[PARTNER], home_manager), by=None
    )
    if fate == "offered":
        return
    accepted = sharing.AcceptShare(ref, None, partner_manager)
    sharing.accept_share(_at(app, day + timedelta(days=3)), accepted, by=None)
    partner_projects = _projects(app, orgs[PARTNER])
    joined = cooperation.AddMember(
        ref, partner_projects[index % len(partner_projects)], "member", partner_officer
    )
    cooperation.add_member(_at(app, day + timedelta(days=4)), joined, by=None)
    if fate == "withdrawn":
        withdrawal = sharing.WithdrawShare(ref, None, partner_manager)
        sharing.withdraw_share(_at(app, day + timedelta(days=6)), withdrawal, by=None)
