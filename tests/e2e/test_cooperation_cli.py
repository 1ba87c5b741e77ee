"""A cooperation between social enterprises walked through the `pathways` command, end to end.

Two support organisations of Finistère (a PTCE and an incubator): the PTCE opens a cooperation
case for a joint bid carried by a recyclerie, adds a second project of its own, offers the case to
the incubator (its manager's consent), the incubator's manager accepts (the second consent) and
adds the incubator's project as a member; the case goes through emergence, formalisation (the
agreement and the group's legal form, the agreement document listing every member), the first
joint action and the review. A member leaves on the way, the share is then withdrawn: its
members leave with it, and every change stays in the case's history and audit log.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from cli_home import Home

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

PTCE, INCUBATOR = "PTCE Pays de Morlaix", "Incubateur ESS Finistère"
JAN6, JAN7, JAN8 = "2026-01-06T09:00", "2026-01-07T09:00", "2026-01-08T09:00"


def _setup(home: Home) -> dict[str, str]:
    home.ok("init")
    orgs = {}
    for name in (PTCE, INCUBATOR):
        orgs[name] = str(home.ok("org", "add", name, "--territory", "FR-29", "--json").json()["id"])
    for name, org, role in (
        ("Maelle Le Gall", PTCE, "manager"),
        ("Yann Kerjean", PTCE, "officer"),
        ("Soizic Tanguy", INCUBATOR, "manager"),
        ("Erwan Guivarch", INCUBATOR, "officer"),
    ):
        home.ok("person", "add", name, "--org", orgs[org], "--role", role)
    projects = {}
    for name, org in (
        ("Recyclerie du Tregor", PTCE),
        ("Legumerie solidaire", PTCE),
        ("Conserverie cooperative", INCUBATOR),
    ):
        made = home.ok("project", "add", name, "--org", orgs[org], "--phase", "founded", "--json").json()
        projects[name] = str(made["id"])
    return orgs | projects


def test_a_cooperation_shared_by_two_organisations_with_consent(tmp_path: Path) -> None:
    home = Home(tmp_path)
    ids = _setup(home)
    ref = home.open(ids["Recyclerie du Tregor"], "cooperation", "yann-kerjean", now="2026-01-05T09:00")
    assert ref.startswith("COOP-2026-")
    home.ok(
        "case",
        "member",
        "add",
        ref,
        ids["Legumerie solidaire"],
        "--role",
        "lead",
        "--by",
        "yann-kerjean",
        now=JAN6,
    )

    # The incubator's project cannot be added before the case is shared with the incubator.
    early = home.run("case", "member", "add", ref, ids["Conserverie cooperative"], "--by", "erwan-guivarch")
    assert early.code == 2
    assert "no project" in early.err

    # Consent is a manager's: an officer is refused, naming --by; nothing is written.
    refused = home.run("case", "share", "offer", ref, "--with", INCUBATOR, "--by", "yann-kerjean")
    assert refused.code == 2
    assert "'by'" in refused.err
    assert home.query("SELECT count(*) FROM case_share") == [(0,)]
    offered = home.ok(
        "case", "share", "offer", ref, "--with", INCUBATOR, "--by", "maelle-le-gall", "--json", now=JAN7
    )
    assert offered.json()["status"] == "offered"
    again = home.run("case", "share", "offer", ref, "--with", INCUBATOR, "--by", "maelle-le-gall", now=JAN7)
    assert again.code == 2  # already offered: the field named

    accepted = home.ok("case", "share", "accept", ref, "--by", "soizic-tanguy", "--json", now=JAN8).json()
    assert (accepted["status"], accepted["partner_consent_by"]) == ("shared", "Soizic Tanguy")
    home.ok("case", "member", "add", ref, ids["Conserverie cooperative"], "--by", "erwan-guivarch", now=JAN8)

    emergence = {
        "purpose": "joint_bid",
        "shared_need": "Répondre ensemble au marché de la restauration scolaire",
    }
    assert (
        home.decide(ref, "formalise", emergence | {"agreement_due": "2026-04-30"}, now="2026-02-10T10:00")[
            "entered"
        ]
        == "formalisation"
    )
    agreed = {
        "agreement": "consortium",
        "group_legal_form": "scic",
        "signed_on": "2026-04-14",
        "first_action_due": "2026-07-31",
    }
    assert home.decide(ref, "agreed", agreed, now="2026-04-14T15:00")["entered"] == "first_action"
    documents = home.ok("case", "documents", ref, "--json").json()
    (agreement,) = [d for d in documents if d["name"].endswith("cooperation.first_action.html")]
    ((content,),) = home.query("SELECT content FROM document WHERE id = ?", agreement["id"])
    for member in ("Recyclerie du Tregor", "Legumerie solidaire", "Conserverie cooperative", INCUBATOR):
        assert member in content  # the agreement names every member and its organisation

    home.ok(
        "case",
        "member",
        "remove",
        ref,
        ids["Legumerie solidaire"],
        "--by",
        "yann-kerjean",
        now="2026-05-04T09:00",
    )
    held = {"action": "Offre commune déposée", "held_on": "2026-07-15", "review_date": "2026-10-30"}
    assert home.decide(ref, "held", held, now="2026-07-15T11:00")["entered"] == "review"
    review = {"joint_revenue": "48000", "jobs_created": "3", "lessons": "Un marché gagné ensemble"}
    assert home.decide(ref, "continued", review, now="2026-10-30T16:00")["result"] == "continued"

    withdrawn = home.ok(
        "case", "share", "withdraw", ref, "--by", "soizic-tanguy", "--json", now="2026-11-02T09:00"
    ).json()
    assert withdrawn["status"] == "withdrawn"
    members = home.ok("case", "member", "list", ref, "--json").json()
    assert [(m["project"], m["role"], m["active"]) for m in members] == [
        ("Recyclerie du Tregor", "lead", True),
        ("Legumerie solidaire", "lead", False),
        ("Conserverie cooperative", "member", False),  # left with the share
    ]
    shares = home.ok("case", "share", "list", ref, "--json").json()
    assert [(s["partner"], s["status"]) for s in shares] == [(INCUBATOR, "withdrawn")]
    listed = home.ok("case", "share", "list", ref).out
    assert "withdrawn" in listed
    assert "Soizic Tanguy" in listed
    kinds = [e["kind"] for e in home.history(ref)]
    for kind in ("case_member_added", "case_member_removed", "case_share_offered", "case_share_accepted"):
        assert kind in kinds
    unknown = home.run("case", "member", "list", "COOP-2026-0999")
    assert unknown.code == 3
    assert "no case 'COOP-2026-0999'" in unknown.err
