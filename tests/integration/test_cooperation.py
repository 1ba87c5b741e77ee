"""Cooperation cases: member projects with their history, and sharing on the consent of both organisations.

The partner organisation's officers and managers read the case only while both consents stand:
before any consent, after the case's organisation's alone, and after a withdrawal, the case is
"not found" exactly as an unknown reference is (same message, same hint).
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from sqlalchemy import select

from builders import make_org, make_person, make_project, open_case, principal
from pathways.bootstrap import App
from pathways.errors import FieldError, Forbidden, NotFound
from pathways.services.casework import scoped
from pathways.services.collaboration import cooperation, shared_view, sharing
from pathways.services.people.accounts import Principal
from pathways.store.core import AUDIT
from threads import on_threads


@dataclass(frozen=True)
class Two:
    ref: str
    home: int
    partner: int
    home_manager: Principal
    home_officer: Principal
    partner_manager: Principal
    partner_officer: Principal
    stranger: Principal
    home_project: int
    partner_project: int


@pytest.fixture
def two(app: App) -> Two:
    home = make_org(app, name="PTCE Pays de Morlaix", territory="FR-29")
    partner = make_org(app, name="Incubateur ESS Finistère", territory="FR-29")
    third = make_org(app, name="DLA Côtes-d'Armor", territory="FR-22")
    home_manager = make_person(app, home, role="manager", name="Maëlle Le Gall")
    home_officer = make_person(app, home, name="Yann Kerjean")
    partner_manager = make_person(app, partner, role="manager", name="Soizic Tanguy")
    partner_officer = make_person(app, partner, name="Erwan Guivarc'h")
    stranger = make_person(app, third, role="manager", name="Anne Briand")
    lead = make_project(app, home, name="Recyclerie du Trégor")
    home_project = make_project(app, home, name="Légumerie solidaire")
    partner_project = make_project(app, partner, name="Conserverie coopérative")
    ref = str(open_case(app, lead, home_officer, "cooperation").ref)
    return Two(
        ref,
        home,
        partner,
        principal(app, home_manager),
        principal(app, home_officer),
        principal(app, partner_manager),
        principal(app, partner_officer),
        principal(app, stranger),
        home_project,
        partner_project,
    )


def _unknown(app: App, by: Principal, ref: str) -> NotFound:
    with app.store.read() as conn, pytest.raises(NotFound) as caught:
        sharing.readable_case(conn, by, ref)
    return caught.value


def _reads(app: App, by: Principal, ref: str) -> bool:
    with app.store.read() as conn:
        return sharing.readable_case(conn, by, ref)[1]


def test_the_partner_reads_the_case_only_while_both_consents_stand(app: App, two: Two) -> None:
    unknown = _unknown(app, two.partner_officer, "COOP-2026-9999")

    def hidden(by: Principal) -> None:
        said = _unknown(app, by, two.ref)
        assert (said.message.replace(two.ref, "X"), said.hint) == (
            unknown.message.replace("COOP-2026-9999", "X"),
            unknown.hint,
        )

    hidden(two.partner_officer)  # before any consent
    offered = sharing.offer_share(
        app, sharing.OfferShare(two.ref, "Incubateur ESS Finistère"), by=two.home_manager
    )
    assert offered.status == "offered"
    assert offered.owner_consent_by == "Maëlle Le Gall"
    hidden(two.partner_officer)  # one side's consent only
    hidden(two.partner_manager)
    hidden(two.stranger)
    with pytest.raises(Forbidden):  # consent is a manager's word
        sharing.accept_share(app, sharing.AcceptShare(two.ref), by=two.partner_officer)
    with pytest.raises(NotFound):  # nothing offered to the stranger's organisation
        sharing.accept_share(app, sharing.AcceptShare(two.ref), by=two.stranger)
    accepted = sharing.accept_share(app, sharing.AcceptShare(two.ref), by=two.partner_manager)
    assert accepted.status == "shared"
    assert accepted.partner_consent_by == "Soizic Tanguy"
    assert _reads(app, two.partner_officer, two.ref) is True  # both consents: a partner's reading
    assert _reads(app, two.home_officer, two.ref) is False  # its own organisation's, as always
    hidden(two.stranger)
    # The partner records no decision, no note: the case's own checks still refuse it.
    with app.store.read() as conn, pytest.raises(NotFound):
        scoped.case_for(conn, two.partner_manager, two.ref, change=True)

    # The partner adds its own project; the case's organisation cannot name the partner's projects.
    added = cooperation.add_member(
        app, cooperation.AddMember(two.ref, "Conserverie coopérative", "member"), by=two.partner_officer
    )
    assert (added.organisation, added.added_by) == ("Incubateur ESS Finistère", "Erwan Guivarc'h")
    with pytest.raises(FieldError) as refused:
        cooperation.add_member(
            app, cooperation.AddMember(two.ref, "Légumerie solidaire"), by=two.partner_officer
        )
    assert refused.value.field == "project"
    assert refused.value.code == "coop.no_project"

    withdrawn = sharing.withdraw_share(app, sharing.WithdrawShare(two.ref), by=two.partner_manager)
    assert withdrawn.status == "withdrawn"
    assert withdrawn.withdrawn_by == "Soizic Tanguy"
    hidden(two.partner_officer)  # after the withdrawal
    with app.store.read() as conn:
        case = sharing.readable_case(conn, two.home_officer, two.ref)[0]
        members = cooperation.members_of(conn, case)
    # The partner's project left the case with the share; its stay is kept.
    conserverie = [m for m in members if m.project == "Conserverie coopérative"]
    assert len(conserverie) == 1
    assert conserverie[0].removed_by == "Soizic Tanguy"
    assert not conserverie[0].active


def test_members_join_and_leave_with_their_history_and_audit_events(app: App, two: Two) -> None:
    by = two.home_officer
    cooperation.add_member(app, cooperation.AddMember(two.ref, "Légumerie solidaire", "lead"), by=by)
    with pytest.raises(FieldError) as twice:
        cooperation.add_member(app, cooperation.AddMember(two.ref, "Légumerie solidaire"), by=by)
    assert twice.value.code == "coop.already"
    with pytest.raises(FieldError) as role:
        cooperation.add_member(app, cooperation.AddMember(two.ref, "Légumerie solidaire", "boss"), by=by)
    assert role.value.field == "role"
    with pytest.raises(FieldError) as other:  # another organisation's project, not shared: not found
        cooperation.add_member(app, cooperation.AddMember(two.ref, "Conserverie coopérative"), by=by)
    assert other.value.code == "coop.no_project"
    removed = cooperation.remove_member(app, cooperation.RemoveMember(two.ref, "Légumerie solidaire"), by=by)
    assert removed.removed_by == "Yann Kerjean"
    assert removed.role == "lead"
    again = cooperation.add_member(
        app, cooperation.AddMember(two.ref, "Légumerie solidaire", "member"), by=by
    )
    with app.store.read() as conn:
        case = sharing.readable_case(conn, by, two.ref)[0]
        members = cooperation.members_of(conn, case)
        kinds = list(
            conn.scalars(select(AUDIT.c.kind).where(AUDIT.c.case_id == case.id).order_by(AUDIT.c.seq))
        )
    assert [(m.project, m.role, m.active) for m in members] == [
        ("Recyclerie du Trégor", "lead", True),  # the case's own project carries it
        ("Légumerie solidaire", "lead", False),
        ("Légumerie solidaire", "member", True),
    ]
    assert again.id == members[-1].id
    assert kinds[-3:] == ["case_member_added", "case_member_removed", "case_member_added"]
    with pytest.raises(NotFound):  # a stranger cannot even find the case
        cooperation.add_member(app, cooperation.AddMember(two.ref, "Légumerie solidaire"), by=two.stranger)


def test_the_partner_view_shows_names_and_roles_never_contacts(app: App, two: Two) -> None:
    sharing.offer_share(app, sharing.OfferShare(two.ref, two.partner), by=two.home_manager)
    sharing.accept_share(app, sharing.AcceptShare(two.ref), by=two.partner_manager)
    with app.store.read() as conn:
        case, partner = sharing.readable_case(conn, two.partner_officer, two.ref)
        view = shared_view.shared_case(conn, app.catalog, case, lang="fr")
    assert partner
    assert view.stage == "Émergence de la coopération"
    assert view.officer == "Yann Kerjean"
    assert view.organisation == "PTCE Pays de Morlaix"
    assert [s.status for s in view.shares] == ["shared"]
    assert "@" not in repr(view)  # nobody's e-mail


def test_the_operator_records_consents_for_named_managers(app: App, two: Two) -> None:
    with pytest.raises(FieldError) as unnamed:
        sharing.offer_share(app, sharing.OfferShare(two.ref, two.partner), by=None)
    assert unnamed.value.field == "by"
    with pytest.raises(FieldError):  # an officer does not consent for the organisation
        sharing.offer_share(app, sharing.OfferShare(two.ref, two.partner, "Yann Kerjean"), by=None)
    sharing.offer_share(app, sharing.OfferShare(two.ref, two.partner, "Maëlle Le Gall"), by=None)
    with pytest.raises(FieldError) as same:
        sharing.offer_share(app, sharing.OfferShare(two.ref, two.home, "Maëlle Le Gall"), by=None)
    assert same.value.code == "coop.same_org"
    shared = sharing.accept_share(app, sharing.AcceptShare(two.ref, person="Soizic Tanguy"), by=None)
    assert shared.status == "shared"


def test_the_same_project_added_three_times_at_once_is_a_member_once(app: App, two: Two) -> None:
    """The case's row is held while its members change: the second of two adds at once sees the first."""
    results: list[str] = []

    def add() -> None:
        try:
            cooperation.add_member(
                app, cooperation.AddMember(two.ref, "Légumerie solidaire"), by=two.home_officer
            )
            results.append("added")
        except FieldError as refused:
            results.append(refused.code)

    assert on_threads(add, [(), (), ()]) == []
    assert sorted(results) == ["added", "coop.already", "coop.already"]
    with app.store.read() as conn:
        case = sharing.readable_case(conn, two.home_officer, two.ref)[0]
        active = [m for m in cooperation.members_of(conn, case) if m.active and not m.carrier]
    assert len(active) == 1
