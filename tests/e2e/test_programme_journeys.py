"""The programmes of issue 24 walked through the `pathways` command: Fabrique à initiatives,
incubation (a cohort of three incubatees reaching different ends), impact evaluation (VISES: an
evaluation whose result unlocks a replication) and the Walloon agences-conseil (ACES).

The installation of tests/e2e/cli_home.py, with the projects these programmes start from; a
journey forks its database where its branches part, and the branches run side by side.
"""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime
from pathlib import Path

import pytest
from cli_home import OFFICER, PROJECTS, ROOT, Home, branches, decisions, fresh_copy, phases, seed, sets

from pathways.domain.spec import DEFAULT_EXITS

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

ORG = "dla-de-paris-e2e"
WALLOON = "agence-conseil-namur-e2e"
LEAD = "lucas-moreau"  # the person a Fabrique finds to carry its project
IDEAS = {
    "fabrique": "Garage solidaire de Bayonne",
    "cohort_a": "Fromagerie coopérative de Munster",
    "cohort_b": "Atelier réemploi de Mulhouse",
    "cohort_c": "Café des aidants d'Obernai",
    "refused": "Foodtruck de Wissembourg",
}
CREATION = "Brasserie citoyenne de Namur"
EXISTING = "Imprimerie sociale de Verviers"
BCE = "0403170701"


def _setup(home: Home) -> None:
    """The cli_home installation, plus an idea per programme, a lead, a mentor and a Walloon agency."""
    from pathways.bootstrap import App, Clock
    from pathways.services.people import directory
    from pathways.services.tx import write
    from pathways.settings import load_settings
    from pathways.store.db import Store

    seed(home)
    store = Store.from_url(home.url)
    settings = load_settings(
        database_url=home.url, config_dir=ROOT / "config", environment="test", home=home.folder
    )
    app = App(settings=settings, store=store, clock=Clock(datetime(2026, 6, 1, 8, tzinfo=UTC)))
    with write(app) as tx:
        org = directory.find_org(tx.conn, ORG).id
        for name in ("Lucas Moreau", "Inès Roche"):
            directory.add_person(tx, name=name, org=org, role="owner", email=None, language="fr", channels=[])
        for name in IDEAS.values():
            directory.add_project(
                tx, name=name, org=org, owner=None, siret=None, bce=None, territory=None, phase="idea",
                legal_form=None,
            )  # fmt: skip
        walloon = directory.add_org(tx, name="Agence-conseil Namur e2e", territory="BE-WAL").id
        directory.add_person(
            tx, name="Julien Lambert", org=walloon, role="officer", email=None, language="fr", channels=[]
        )
        for name, phase, form in ((CREATION, "idea", None), (EXISTING, "consolidation", "sc")):
            directory.add_project(
                tx, name=name, org=walloon, owner=None, siret=None, bce=None, territory=None, phase=phase,
                legal_form=form,
            )  # fmt: skip
    store.dispose()


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Home:
    home = Home(tmp_path_factory.mktemp("programmes-template"))
    _setup(home)
    return home


@pytest.fixture
def home(template: Home, tmp_path: Path) -> Home:
    return fresh_copy(template, tmp_path)


def project_id(home: Home, name: str) -> str:
    ((found,),) = home.query("SELECT id FROM project WHERE name = ?", name)
    return str(found)


def project_row(home: Home, name: str) -> tuple[str, int | None, str | None, str | None]:
    """(phase, owner id, SIRET, BCE number) of a project, as stored."""
    ((phase, owner, siret, bce),) = home.query(
        "SELECT phase, owner_id, siret, bce FROM project WHERE name = ?", name
    )
    return str(phase), owner, siret, bce


# Fabrique à initiatives -----------------------------------------------------------------------

NEED = {"need": "Pas de garage abordable pour les ménages modestes", "raised_by": "local_authority"}
OPPORTUNITY = {
    "solution": "Un garage solidaire avec des ateliers d'autoréparation",
    "economic_model": "Réparations à prix solidaire, conventions avec le CCAS",
    "partners": "Mairie de Bayonne;CCAS",
    "study_completed_on": "2026-03-20",
}
LEAD_FOUND = {"project_lead": LEAD, "lead_kind": "entrepreneur", "handed_over_on": "2026-05-04"}


def test_a_fabrique_starts_from_a_need_finds_a_lead_who_becomes_owner_and_hands_over(
    home: Home, tmp_path: Path
) -> None:
    name = IDEAS["fabrique"]
    refused = home.run(
        "case", "open", project_id(home, PROJECTS["diagnosis"]), "fabrique", "--officer", OFFICER
    )
    assert refused.code != 0  # a Fabrique starts from an idea, not from a founded structure
    assert "fabrique is for projects at idea" in refused.err
    ref = home.open(project_id(home, name), "fabrique", OFFICER, now="2026-01-12T10:00")
    assert project_row(home, name)[1] is None  # an idea nobody carries yet

    def no_lead(fork: Home) -> None:
        ended = fork.decide(ref, "no_lead", {"reason": "Aucun candidat"}, now="2026-07-01T10:00")
        assert ended["result"] == "no_lead"
        assert project_row(fork, name)[:2] == ("idea", None)

    def to_incubation(fork: Home) -> None:
        ended = fork.decide(
            ref, "to_incubation", {"handover_note": "Promotion d'automne"}, now="2026-11-02T10:00"
        )
        assert ended["result"] == "to_incubation"
        (child,) = fork.show(ref)["children"]
        assert (child["pathway"], child["stage"], child["status"]) == ("incubation", "info_session", "open")
        assert fork.show(child["ref"])["parent"] == ref
        assert project_row(fork, name)[0] == "emergence"

    def founded(fork: Home) -> None:
        values = {"country": "fr", "siret": "44306184100047", "founded_on": "2026-10-15"}
        assert fork.decide(ref, "founded", values, now="2026-11-02T10:00")["result"] == "to_support"
        (child,) = fork.show(ref)["children"]
        assert (child["pathway"], child["stage"]) == ("ongoing_support", "brief")
        phase, _owner, siret, _ = project_row(fork, name)
        assert (phase, siret) == ("founded", "44306184100047")
        assert phases(fork.history(ref)) == [("idea", "emergence"), ("emergence", "founded")]

    def not_feasible(fork: Home) -> None:
        ended = fork.decide(ref, "not_feasible", {"reason": "Pas de local"}, now="2026-08-01T10:00")
        assert ended["result"] == "not_feasible"

    home.decide(ref, "confirmed", NEED | {"creativity_session_on": "2026-02-03"}, now="2026-02-10T10:00")
    entered = home.decide(ref, "opportunity_confirmed", OPPORTUNITY, now="2026-03-23T10:00")
    assert entered["entered"] == "lead_search"
    (documents,) = home.ok("case", "documents", ref, "--json").json()  # the project sheet for candidates
    assert documents["stage"] == "lead_search"
    with branches() as forks:
        forks.start(no_lead, home.fork(tmp_path / "no_lead"))
        again = home.decide(ref, "search_again", {"reason": "Candidat parti"}, now="2026-04-10T10:00")
        assert again["entered"] == "lead_search"
        found = home.decide(ref, "lead_found", LEAD_FOUND, now="2026-05-04T10:00")
        assert found["entered"] == "feasibility"
        assert any(w["key"].endswith(":lead_becomes_owner") and w["status"] == "done" for w in found["work"])
        ((lead_id,),) = home.query("SELECT id FROM person WHERE handle = ?", LEAD)
        assert project_row(home, name)[:2] == ("emergence", lead_id)  # the lead found carries it now
        ((changed,),) = home.query("SELECT payload FROM auditevent WHERE kind = 'project_updated'")
        assert f'"owner_id": [null, {lead_id}]' in changed  # audited as any change of owner
        forks.start(not_feasible, home.fork(tmp_path / "not_feasible"))
        plan = {"business_plan_validated_on": "2026-09-30", "planned_jobs": "3", "planned_legal_form": "scic"}
        assert home.decide(ref, "feasible", plan, now="2026-10-01T10:00")["entered"] == "creation_support"
        forks.start(to_incubation, home.fork(tmp_path / "to_incubation"))
        forks.start(founded, home.fork(tmp_path / "founded"))
    assert decisions(home.history(ref)) == [
        ("need_detection", "confirmed", "opportunity_study"),
        ("opportunity_study", "opportunity_confirmed", "lead_search"),
        ("lead_search", "search_again", "lead_search"),
        ("lead_search", "lead_found", "feasibility"),
        ("feasibility", "feasible", "creation_support"),
    ]


# Incubation: a cohort of three --------------------------------------------------------------

APPLY = {"attended_on": "2026-01-15", "application_due": "2026-02-13"}
SUBMITTED = {"application_received_on": "2026-02-10", "jury_date": "2026-03-05"}
COHORT = {
    "cohort": "Promotion 2026",
    "cohort_start": "2026-03-16",
    "cohort_end": "2026-12-11",
    "mentor": OFFICER,
}
LAUNCHED = {
    "country": "fr",
    "siret": "44306184100047",
    "founded_on": "2026-10-01",
    "first_revenue_on": "2026-10-20",
    "jobs_created": "2",
}


def _to_jury(home: Home, name: str) -> str:
    ref = home.open(project_id(home, name), "incubation", OFFICER, now="2026-01-08T10:00")
    home.decide(ref, "applies", APPLY, now="2026-01-15T18:00")
    assert home.decide(ref, "submitted", SUBMITTED, now="2026-02-10T10:00")["entered"] == "jury"
    return ref


def test_a_cohort_of_three_incubatees_reaching_different_ends(home: Home) -> None:
    a, b, c, refused = (_to_jury(home, IDEAS[k]) for k in ("cohort_a", "cohort_b", "cohort_c", "refused"))

    wrong = home.run("case", "decide", a, "accepted", *sets(COHORT | {"cohort_end": "2026-03-01"}), "--json")
    assert wrong.code != 0
    assert "rule 'cohort_dates'" in wrong.err
    assert home.show(a)["stage"] == "jury"  # nothing recorded

    # A: selected, a milestone, then founded with its first revenue.
    assert home.decide(a, "accepted", COHORT, now="2026-03-05T18:00")["entered"] == "incubation"
    home.decide(
        a,
        "milestone",
        {"milestone_reached": "Statuts déposés", "reached_on": "2026-06-02"},
        now="2026-06-02T10:00",
    )
    assert home.decide(a, "launched", LAUNCHED, now="2026-10-21T10:00")["result"] == "launched"
    assert project_row(home, IDEAS["cohort_a"])[0] == "founded"
    # B: a pre-incubation first, then the same cohort (its name typed otherwise), then abandoned.
    pre = {"pre_incubation_end": "2026-05-29", "to_work_on": "Le modèle économique"}
    assert home.decide(b, "pre_incubation", pre, now="2026-03-05T18:00")["entered"] == "pre_incubation"
    joined = COHORT | {"cohort": "promotion  2026"}
    assert home.decide(b, "joins_cohort", joined, now="2026-05-29T10:00")["entered"] == "incubation"
    assert (
        home.decide(b, "abandoned", {"reason": "Le porteur a trouvé un emploi"}, now="2026-09-01T10:00")[
            "result"
        ]
        == "abandoned"
    )
    # C: selected, then the structure withdraws (an exit, with its reason).
    home.decide(c, "accepted", COHORT, now="2026-03-05T18:00")
    closed = home.ok(
        "case", "close", c, "withdrawn", "--reason", "Départ du territoire", "--json", now="2026-07-01T10:00"
    )
    assert closed.json()["result"] == "withdrawn"
    # Not selected: in no cohort.
    assert (
        home.decide(refused, "refused", {"reason": "Projet trop précoce"}, now="2026-03-05T18:00")["result"]
        == "not_selected"
    )

    (listed,) = home.ok("cohort", "list", "--json", now="2026-11-02T10:00").json()
    assert (listed["key"], listed["cohort"], listed["start"], listed["end"]) == (
        "promotion-2026", "Promotion 2026", "2026-03-16", "2026-12-11"
    )  # fmt: skip
    assert (listed["members"], listed["in_progress"], listed["launched"], listed["stopped"]) == (3, 0, 1, 2)
    assert listed["dates_differ"] is False
    shown = home.ok("cohort", "show", "Promotion 2026", "--lang", "nl", "--json").json()
    members = {m["ref"]: (m["status"], m["result"], m["result_label"]) for m in shown["members"]}
    assert members == {
        a: ("closed", "launched", "Activiteit opgericht, eerste omzet"),
        b: ("closed", "abandoned", "Project stopgezet"),
        c: ("closed", "withdrawn", DEFAULT_EXITS["withdrawn"].nl),
    }
    table = home.ok("cohort", "show", "promotion-2026", "--lang", "fr")
    assert "Promotion 2026" in table.out
    assert "Activité créée" in table.out
    unknown = home.run("cohort", "show", "Promotion 1999")
    assert unknown.code != 0
    assert "no cohort 'Promotion 1999'" in unknown.err
    documents = home.ok("case", "documents", a, "--json").json()
    assert [d["stage"] for d in documents] == ["incubation"]  # the agreement, once: milestones change nothing


def test_an_incubatee_still_in_its_cohort_shows_its_stage_and_deadline(home: Home) -> None:
    a = _to_jury(home, IDEAS["cohort_a"])
    home.decide(a, "accepted", COHORT, now="2026-03-05T18:00")
    shown = home.ok(
        "cohort", "show", "Promotion 2026", "--lang", "fr", "--json", now="2026-12-14T10:00"
    ).json()
    (member,) = shown["members"]
    assert (member["stage"], member["stage_title"], member["overdue"]) == (
        "incubation", "Incubation en promotion", True
    )  # fmt: skip
    assert member["due_at"].startswith("2026-12-11")


# Impact evaluation (VISES) and the replication it unlocks ------------------------------------

READY = {
    "pilot_since": "2024-09-01",
    "economically_viable": "yes",
    "viability_evidence": "Comptes 2025 à l'équilibre",
    "kit": "Guide méthodologique",
}
QUESTION = {
    "stakeholders": "Salarié·es;Habitant·es;Bailleurs",
    "evaluative_question": "La conciergerie crée-t-elle du lien entre voisin·es ?",
    "tool": "vises",
    "collection_ends_on": "2026-11-13",
}
COLLECTED = {"evidence": "Témoignages de 14 habitant·es;Photos des permanences", "collected_on": "2026-11-10"}
VALORISED = {
    "findings": "Les habitant·es se connaissent davantage ; trois entraides durables",
    "report": "Rapport VISES 2026",
    "communication_plan": "Assemblée générale, bailleurs, site web",
}


def test_an_impact_evaluation_that_shows_the_impact_unlocks_a_replication(home: Home, tmp_path: Path) -> None:
    name = PROJECTS["unproven"]
    swarm = home.open(project_id(home, name), "swarming", OFFICER, now="2026-06-02T10:00")
    unproven = home.run("case", "decide", swarm, "ready", *sets(READY), now="2026-06-03T10:00")
    assert unproven.code == 4
    assert "rule 'replication_readiness'" in unproven.err
    assert "an impact evaluation" in unproven.err

    ref = home.open(project_id(home, name), "impact_evaluation", OFFICER, now="2026-06-02T10:00")
    chosen = home.decide(ref, "question_chosen", QUESTION, now="2026-06-20T10:00")
    assert any(w["key"].endswith(":open_impact_evaluation") and w["status"] == "done" for w in chosen["work"])
    (evaluation,) = home.ok("impact", "show", ref, "--json").json()["evaluations"]
    assert (evaluation["question"], evaluation["tool"]) == (QUESTION["evaluative_question"], "VISES")
    measured = (
        "--name",
        "Voisin·es impliqué·es",
        "--unit",
        "personnes",
        "--baseline",
        "10",
        "--target",
        "40",
    )
    indicator = home.ok("impact", "indicator", str(evaluation["id"]), *measured, "--json").json()["id"]
    assert home.ok("impact", "show", ref, "--json").json()["proven_model_evidence"] is False  # no value yet
    assert home.decide(ref, "collected", COLLECTED, now="2026-11-10T10:00")["entered"] == "analysis"
    (document,) = home.ok("case", "documents", ref, "--json").json()
    assert document["stage"] == "analysis"

    def not_shown(fork: Home) -> None:
        values = {"findings": "Trop peu de réponses pour conclure"}
        assert (
            fork.decide(ref, "impact_not_shown", values, now="2026-11-20T10:00")["result"]
            == "impact_not_shown"
        )
        still = fork.run("case", "decide", swarm, "ready", *sets(READY), now="2026-11-21T10:00")
        assert still.code == 4  # an evaluation that did not show the impact proves nothing

    with branches() as forks:
        forks.start(not_shown, home.fork(tmp_path / "not_shown"))
        assert home.decide(ref, "impact_shown", VALORISED, now="2026-11-20T10:00")["result"] == "impact_shown"
    assert home.ok("impact", "show", name, "--json").json()["proven_model_evidence"] is True
    unlocked = home.decide(swarm, "ready", READY, now="2026-11-21T10:00")
    assert unlocked["entered"] == "model_choice"
    assert decisions(home.history(ref)) == [
        ("state_of_play", "question_chosen", "data_collection"),
        ("data_collection", "collected", "analysis"),
        ("analysis", "impact_shown", "impact_shown"),
    ]
    assert indicator  # recorded on the evaluation the pathway started


# Belgian agences-conseil (ACES) -------------------------------------------------------------


def test_a_walloon_agency_supports_a_creation_to_its_follow_up_and_gives_one_off_advice(
    home: Home, tmp_path: Path
) -> None:
    officer = "julien-lambert"
    ref = home.open(project_id(home, CREATION), "aces_support", officer, now="2026-02-02T10:00")

    def referred(fork: Home) -> None:
        values = {
            "request": "Se former à la gestion",
            "hours_spent": "1",
            "referred_to": "Centre de formation",
        }
        assert fork.decide(ref, "referred", values, now="2026-02-03T10:00")["result"] == "referred"

    def not_founded(fork: Home) -> None:
        values = {"hours_spent": "12", "reason": "Financement refusé"}
        assert fork.decide(ref, "not_founded", values, now="2026-09-01T10:00")["result"] == "not_founded"

    with branches() as forks:
        forks.start(referred, home.fork(tmp_path / "referred"))
        orientation = {
            "request": "Créer une brasserie coopérative",
            "hours_spent": "2,5",
            "creation_kind": "new_enterprise",
        }
        assert (
            home.decide(ref, "creation", orientation, now="2026-02-03T10:00")["entered"] == "creation_support"
        )
        forks.start(not_founded, home.fork(tmp_path / "not_founded"))
        no_bce = home.run(
            "case", "decide", ref, "founded", *sets({"hours_spent": "30", "founded_on": "2026-09-01"})
        )
        assert no_bce.code == 2
        assert "bce" in no_bce.err
        founded = {
            "hours_spent": "30",
            "bce": BCE,
            "legal_form": "sc_cv",
            "founded_on": "2026-09-01",
            "jobs_created": "2",
        }
        assert home.decide(ref, "founded", founded, now="2026-09-02T10:00")["entered"] == "follow_up"
    assert project_row(home, CREATION)[0] == "founded"
    assert project_row(home, CREATION)[3] == BCE
    assert (
        home.decide(ref, "closed", {"hours_spent": "6", "jobs": "3"}, now="2026-11-20T10:00")["result"]
        == "completed"
    )
    assert phases(home.history(ref)) == [("idea", "emergence"), ("emergence", "founded")]
    assert decisions(home.history(ref)) == [
        ("orientation", "creation", "creation_support"),
        ("creation_support", "founded", "follow_up"),
        ("follow_up", "closed", "completed"),
    ]

    advice = home.open(project_id(home, EXISTING), "aces_support", officer, now="2026-03-02T10:00")
    home.decide(
        advice,
        "consultancy",
        {"request": "Revoir la gouvernance", "hours_spent": "1"},
        now="2026-03-03T10:00",
    )
    delivered = {"topic": "governance", "hours_spent": "8", "advice": "Un conseil d'administration élargi"}
    assert (
        home.decide(advice, "delivered", delivered, now="2026-04-10T10:00")["result"]
        == "consultancy_delivered"
    )
    assert project_row(home, EXISTING)[0] == "consolidation"  # one-off advice moves no phase

    # The agency's yearly report to the Walloon Region, from these two cases.
    report = home.ok(
        "report", "funder", "aces", "--year", "2026", "--org", WALLOON, "--format", "csv", "--lang", "fr"
    )
    assert list(csv.reader(io.StringIO(report.out))) == [
        ["Indicateur", "Détail", "Nombre", "Heures"],
        # both projects were oriented in 2026: 2.5 + 1 hours
        ["Projets accompagnés, par phase", "Information et orientation", "2", "3.50"],
        ["Projets accompagnés, par phase", "Conseil et accompagnement à la création", "1", "30.00"],
        ["Projets accompagnés, par phase", "Conseil ponctuel", "1", "8.00"],
        ["Projets accompagnés, par phase", "Suivi post-création", "1", "6.00"],
        ["Projets accompagnés, total", "", "2", "47.50"],  # 3.5 + 30 + 8 + 6
        ["Entreprises créées", "", "1", ""],
        ["Emplois créés", "", "2", ""],  # at the founding
        ["Emplois au suivi post-création", "", "3", ""],
    ]
