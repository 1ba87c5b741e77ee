"""The resource-person directory and its matching, impact evaluations, and parallel consulting missions."""

from __future__ import annotations

import threading
import time
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import select

from builders import VALID_SIRET, decide, make_org, make_person, make_project, open_case
from pathways.bootstrap import App
from pathways.errors import FieldError, NotFound, RuleViolation, TransitionNotAllowed
from pathways.services.casework import cases, queries, work
from pathways.services.casework.facts import DbFacts
from pathways.services.people import directory, resources
from pathways.services.reporting import impact
from pathways.services.tx import write
from pathways.store.core import AUDIT, CASE

REQUEST = {"beneficiary_role": "salaried_director", "network": "PTCE Lyon Sud", "reason": "Gouvernance"}


def resource(
    app: App, org: int, name: str, *topics: str, email: str | None = None, existing: bool = False
) -> int:
    with write(app) as tx:
        return directory.add_person(
            tx,
            name=name,
            org=org,
            role="resource",
            email=email,
            language="fr",
            channels=[],
            topics=topics,
            existing=existing,
        ).id


def matched(person: int) -> dict[str, str]:
    return {
        "resource_person": str(person),
        "resource_employer": "Régie",
        "framed_questions": "A;B;C",
        "accepted_on": "2026-07-08",
    }


def transfer_to_validation(
    app: App, org: int, officer: int, person: int, *, topics: str = "governance"
) -> str:
    project = make_project(app, org, siret=None)
    ref: str = open_case(app, project, officer, "peer_transfer").ref
    decide(app, ref, "eligible", REQUEST | {"topics": topics, "requested_resource_person": str(person)})
    decide(app, ref, "accepted", matched(person))
    return ref


@pytest.fixture
def network(app: App) -> dict[str, Any]:
    """A PTCE, its resource persons (one at the yearly cap) and a beneficiary's case at matching."""
    org = make_org(app, name="PTCE Lyon Sud", territory="FR-69")
    other = make_org(app, name="Réseau wallon", territory="BE-WAL")
    officer = make_person(app, org)
    people = {
        "claire": resource(app, org, "Claire Fontaine", "governance", "hr"),  # two transfers already
        "mathieu": resource(app, org, "Mathieu Roux", "Gouvernance coopérative", "finance"),
        "nadia": resource(app, org, "Nadia Haddad", "marketing"),
        "pierre": resource(app, org, "Pierre Le Goff", "hr"),  # owns the beneficiary's twin establishment
        "lies": resource(app, org, "Lies Vandenberghe", "HR"),  # declines this case
        "sophie": resource(app, other, "Sophie Lambert", "Ressources humaines", email="sophie@example.org"),
        "consultant": resource(app, org, "Julie Marchand"),
    }
    # Listed by the PTCE too: a decision of the PTCE's cases names only people it lists.
    resource(app, org, "Sophie Lambert", email="sophie@example.org", existing=True)
    for _ in range(2):
        ref = transfer_to_validation(app, org, officer, people["claire"])
        decide(app, ref, "validated", {"validated_on": "2026-03-02"})
    owner = make_person(app, org, role="owner", name="Awa Diallo")
    beneficiary = make_project(app, org, owner=owner, name="Régie de territoire", siret=VALID_SIRET)
    make_project(
        app, org, owner=people["pierre"], name="Régie de territoire, atelier", siret="73282932000082"
    )
    ref = open_case(app, beneficiary, officer, "peer_transfer").ref
    decide(
        app,
        ref,
        "eligible",
        REQUEST | {"topics": "governance;hr", "requested_resource_person": "Sophie Lambert"},
    )
    decide(app, ref, "declined", {"declined_by": str(people["lies"])})
    return {"org": org, "officer": officer, "people": people, "ref": ref, "owner": owner}


def test_the_directory_lists_resource_persons_with_topics_organisation_and_transfers_this_year(
    app: App, network: dict[str, Any]
) -> None:
    with app.store.read() as conn:
        listed = {r.name: r for r in resources.list_resources(conn, now=app.clock.now())}
        everyone = resources.list_resources(conn, now=app.clock.now(), everyone=True)
        hr = [r.name for r in resources.list_resources(conn, now=app.clock.now(), topic="hr")]
        walloon = resources.list_resources(conn, now=app.clock.now(), org="reseau-wallon")

    assert "Julie Marchand" not in listed  # no topic: a consultant, not a peer
    assert "Julie Marchand" in {r.name for r in everyone}
    claire = listed["Claire Fontaine"]
    assert (claire.topics, claire.organisation) == (["governance", "hr"], "ptce-lyon-sud")
    assert (claire.transfers_this_year, claire.available) == (2, False)
    assert (listed["Mathieu Roux"].transfers_this_year, listed["Mathieu Roux"].available) == (0, True)
    assert hr == ["Claire Fontaine", "Lies Vandenberghe", "Pierre Le Goff"]
    assert [r.name for r in walloon] == ["Sophie Lambert"]


def test_matching_suggests_who_fits_the_topics_is_under_the_cap_and_outside_the_beneficiary_structure(
    app: App, network: dict[str, Any]
) -> None:
    people = network["people"]
    with app.store.read() as conn:
        found = resources.suggest(conn, app.catalog, network["ref"], now=app.clock.now())

    assert found["topics"] == ["governance", "hr"]
    candidates = [(c["name"], c["fits"], c["requested"]) for c in found["candidates"]]
    assert candidates == [
        ("Sophie Lambert", ["hr"], True),  # asked for by the request, her French topic fits `hr`
        ("Mathieu Roux", ["governance"], False),  # "Gouvernance coopérative" fits `governance`
    ]
    assert found["candidates"][0]["same_network"] is True  # only the PTCE's resource persons
    assert {e["id"]: e["why"] for e in found["excluded"]} == {
        people["claire"]: "already 2 transfers this year (at most 2)",
        people["pierre"]: "belongs to the beneficiary structure",
        people["lies"]: "declined this case",
    }


def one_validated_two_waiting(app: App, network: dict[str, Any]) -> tuple[int, str, str]:
    """The officer and two transfers at validation for a resource person with one validated
    this year (the cap is two)."""
    org, officer, mathieu = network["org"], network["officer"], network["people"]["mathieu"]
    first, second, third = (transfer_to_validation(app, org, officer, mathieu) for _ in range(3))
    decide(app, first, "validated", {"validated_on": "2026-03-02"})
    return officer, second, third


def test_the_yearly_cap_is_checked_again_when_the_decision_is_written(
    app: App, network: dict[str, Any]
) -> None:
    officer, second, third = one_validated_two_waiting(app, network)
    with app.store.read() as conn:  # one transfer so far: under the cap of two
        prepared = cases.prepare_decision(
            conn,
            app.catalog,
            case=second,
            outcome="validated",
            values={"validated_on": "2026-03-04"},
            at=app.clock.now(),
        )
    decide(app, third, "validated", {"validated_on": "2026-03-03"})  # the second, meanwhile

    assert not prepared.self_contained  # the rule asked the database: decided again when written
    with pytest.raises(RuleViolation, match="already has 2 transfers validated in 2026"):
        cases.record_decision(app, prepared, actor_id=officer)
    with app.store.read() as conn:
        assert queries.show_case(conn, app.catalog, second).stage == "validation"


def test_two_validations_at_once_for_one_resource_person_never_pass_the_yearly_cap(
    app: App, network: dict[str, Any]
) -> None:
    officer, second, third = one_validated_two_waiting(app, network)
    prepared, outcomes = threading.Event(), {}

    def validate_in_a_long_decision() -> None:
        try:
            with cases.deciding(app) as decision:
                decision.prepare(
                    actor_id=officer, case=second, outcome="validated", values={"validated_on": "2026-03-03"}
                )
                prepared.set()
                time.sleep(0.5)  # the other validation starts meanwhile
            outcomes[second] = "validated"
        except RuleViolation:
            outcomes[second] = "refused"
        finally:
            prepared.set()

    slow = threading.Thread(target=validate_in_a_long_decision)
    slow.start()
    assert prepared.wait(10)
    try:  # PostgreSQL: waits for the slow one's lock on the person, then counts it
        decide(app, third, "validated", {"validated_on": "2026-03-04"})
        outcomes[third] = "validated"
    except RuleViolation:  # SQLite: goes first; the slow one is decided again when written
        outcomes[third] = "refused"
    slow.join(10)

    assert sorted(outcomes.values()) == ["refused", "validated"]
    with app.store.read() as conn:
        listed = {r.name: r for r in resources.list_resources(conn, now=app.clock.now())}
    assert listed["Mathieu Roux"].transfers_this_year == 2


def test_matching_is_suggested_only_at_the_matching_stage(app: App, network: dict[str, Any]) -> None:
    decide(app, network["ref"], "accepted", matched(network["people"]["mathieu"]))
    with app.store.read() as conn, pytest.raises(TransitionNotAllowed, match="at validation"):
        resources.suggest(conn, app.catalog, network["ref"], now=app.clock.now())


def test_topics_match_in_any_language_of_the_pathway_file(app: App) -> None:
    spec = app.catalog.get("peer_transfer")
    assert resources.matching_topics(spec, ["hr", "finance"], ["Personeelsbeleid"]) == ["hr"]
    assert resources.matching_topics(spec, ["public_procurement"], ["marchés publics"]) == [
        "public_procurement"
    ]
    assert resources.matching_topics(spec, ["legal"], ["marketing"]) == []


# Impact evaluation ---------------------------------------------------------------------------------


def audit_kinds(app: App, case_id: int | None) -> list[tuple[str, dict[str, Any]]]:
    with app.store.read() as conn:
        rows = conn.execute(
            select(AUDIT.c.kind, AUDIT.c.payload).where(AUDIT.c.kind.like("impact_%")).order_by(AUDIT.c.id)
        ).all()
    return [(kind, payload) for kind, payload in rows]


def test_an_impact_evaluation_holds_a_question_indicators_and_dated_values_with_progress(app: App) -> None:
    org = make_org(app)
    officer = make_person(app, org)
    project = make_project(app, org, phase="consolidation")
    ref = open_case(app, project, officer, "ongoing_support").ref
    with write(app) as tx:
        evaluation = impact.add_evaluation(tx, target=ref, question="Des emplois durables ?", tool="valoress")
        jobs = impact.add_indicator(
            tx, evaluation=evaluation, name="Emplois", unit="ETP", baseline="12", target="25"
        )
        impact.add_value(tx, indicator=jobs, value="15", on=date(2025, 12, 31))
        impact.add_value(tx, indicator=jobs, value="18,5", on=date(2026, 6, 30))
        project_wide = impact.add_evaluation(tx, target=project, question="Quel lien social ?", tool="SDG")
        impact.add_indicator(tx, evaluation=project_wide, name="Bénévoles", unit="personnes")

    with app.store.read() as conn:
        of_case = impact.show(conn, ref)
        of_project = impact.show(conn, str(project))

    (evaluation_shown,) = of_case.evaluations
    assert (evaluation_shown.question, evaluation_shown.tool, evaluation_shown.case) == (
        "Des emplois durables ?",
        "Valor'ESS",
        ref,
    )
    (indicator,) = evaluation_shown.indicators
    assert [(v.value, v.on) for v in indicator.values] == [
        (Decimal(15), date(2025, 12, 31)),
        (Decimal("18.5"), date(2026, 6, 30)),
    ]
    assert (indicator.baseline, indicator.target, indicator.change) == (
        Decimal(12),
        Decimal(25),
        Decimal("6.5"),
    )
    assert indicator.progress_percent == Decimal("50.0")
    assert [e.case for e in of_project.evaluations] == [ref, None]
    assert of_project.proven_model_evidence is True
    kinds = [k for k, _ in audit_kinds(app, None)]
    assert kinds == [
        "impact_evaluation_added",
        "impact_indicator_added",
        "impact_value_recorded",
        "impact_value_recorded",
        "impact_evaluation_added",
        "impact_indicator_added",
    ]


def test_impact_input_is_checked(app: App) -> None:
    org = make_org(app)
    project = make_project(app, org)
    with write(app) as tx:
        evaluation = impact.add_evaluation(tx, target=project, question="Quels effets ?")
        indicator = impact.add_indicator(tx, evaluation=evaluation, name="Emplois", unit="ETP")
    cases: list[tuple[type[Exception], str, Any]] = [
        (
            FieldError,
            "tool",
            lambda tx: impact.add_evaluation(tx, target=project, question="Q", tool="Tableur"),
        ),
        (FieldError, "question", lambda tx: impact.add_evaluation(tx, target=project, question="  ")),
        (
            FieldError,
            "baseline",
            lambda tx: impact.add_indicator(
                tx, evaluation=evaluation, name="N", unit="U", baseline="beaucoup"
            ),
        ),
        (NotFound, "evaluation 999", lambda tx: impact.add_indicator(tx, evaluation=999, name="N", unit="U")),
        (
            FieldError,
            "in the future",
            lambda tx: impact.add_value(tx, indicator=indicator, value="3", on=date(2026, 7, 9)),
        ),
        (
            NotFound,
            "indicator 999",
            lambda tx: impact.add_value(tx, indicator=999, value="3", on=date(2026, 7, 1)),
        ),
    ]
    for error, message, call in cases:
        with pytest.raises(error, match=message), write(app) as tx:
            call(tx)


def test_a_model_is_ready_to_replicate_once_the_project_has_a_measured_impact(app: App) -> None:
    org = make_org(app)
    officer = make_person(app, org)
    project = make_project(app, org, phase="consolidation")
    with write(app) as tx:
        evaluation = impact.add_evaluation(tx, target=project, question="Quels effets ?", tool="MESIS")
        indicator = impact.add_indicator(tx, evaluation=evaluation, name="Emplois", unit="ETP")
    ref = open_case(app, project, officer, "swarming").ref  # the model is proven at `codify`
    ready = {
        "pilot_since": "2024-09-01",
        "kit": "Guide",
        "economically_viable": "yes",
        "viability_evidence": "Comptes",
    }
    with pytest.raises(RuleViolation, match="replication_readiness"):
        decide(app, ref, "ready", ready)  # an evaluation without any value proves nothing yet
    with write(app) as tx:
        impact.add_value(tx, indicator=indicator, value="4", on=date(2026, 6, 30))
        assert DbFacts(tx.conn).has_impact_evaluation(project)

    assert decide(app, ref, "ready", ready).entered == "model_choice"


# Parallel consulting missions -----------------------------------------------------------------------

BRIEF = {"brief_sent_on": "2026-07-08", "consultant_answer_on": "2026-07-10"}
MISSION_DONE = {"missions": "Étude", "consultant_days": "4", "reports": "Rapport"}


def children(app: App, ref: str) -> list[dict[str, Any]]:
    with app.store.read() as conn:
        parent = queries.show_case(conn, app.catalog, ref)
        rows = conn.execute(
            select(CASE.c.ref, CASE.c.project_id, CASE.c.data, CASE.c.due_at)
            .where(CASE.c.parent_id == parent.id)
            .order_by(CASE.c.id)  # opened in the order of the list; PostgreSQL returns rows in any order
        ).mappings()
        return [dict(r) for r in rows]


def test_each_parallel_mission_runs_as_its_own_case_for_the_same_project_with_its_own_deadline(
    app: App,
) -> None:
    org = make_org(app)
    officer = make_person(app, org)
    consultant = make_person(app, org, name="Julie Marchand", role="resource")
    project = make_project(app, org, phase="consolidation")
    ref = open_case(app, project, officer, "ongoing_support").ref

    decide(
        app,
        ref,
        "consultant_chosen",
        BRIEF | {"consultant": str(consultant), "parallel_missions": "Marché;Statuts"},
    )
    work.run_pending(app)

    spawned = children(app, ref)
    assert [(c["data"]["_spawn"]["item"], c["project_id"]) for c in spawned] == [
        ("Marché", project),
        ("Statuts", project),
    ]
    with app.store.read() as conn:
        shown = queries.show_case(conn, app.catalog, ref)
        spawned_events = select(AUDIT.c.payload).where(AUDIT.c.kind == "case_spawned")
        # In chain order: PostgreSQL returns rows without ORDER BY in any order (space freed
        # by the previous test's clean-up is reused).
        events = conn.execute(spawned_events.order_by(AUDIT.c.seq)).scalars().all()
    assert [(c.pathway, c.stage) for c in shown.children] == [("consulting_mission", "planning")] * 2
    assert [e["ref"] for e in events] == [c["ref"] for c in spawned]

    first = spawned[0]["ref"]
    window = {"consultant": str(consultant), "planned_days": "4", "window_start": "2026-07-13"}
    planned = decide(app, first, "planned", window | {"window_end": "2026-08-14"})
    assert planned.entered == "delivery"
    assert planned.due_at is not None
    assert planned.due_at.date() == date(2026, 8, 14)  # the end of its own window
    with pytest.raises(FieldError, match="planned_days"):
        decide(app, spawned[1]["ref"], "planned", window | {"planned_days": "0", "window_end": "2026-08-14"})
    # 2 to 5 days is the usual range, not a limit: the chargé·e de mission sets the volume (S27).
    longer = decide(
        app, spawned[1]["ref"], "planned", window | {"planned_days": "6", "window_end": "2026-08-14"}
    )
    assert longer.entered == "delivery"


def test_a_mission_is_not_opened_twice_when_the_brief_comes_round_again(app: App) -> None:
    org = make_org(app)
    officer = make_person(app, org)
    consultant = make_person(app, org, name="Julie Marchand", role="resource")
    project = make_project(app, org, phase="consolidation")
    ref = open_case(app, project, officer, "ongoing_support").ref
    chosen = BRIEF | {"consultant": str(consultant)}
    decide(app, ref, "consultant_chosen", chosen | {"parallel_missions": "Marché;Statuts"})
    decide(app, ref, "done", MISSION_DONE)
    decide(app, ref, "new_needs", {"jobs_created": "1", "jobs_kept": "3", "financial_health": "stable",
                                   "new_needs": "Recruter"})  # fmt: skip
    decide(app, ref, "new_brief", {"plan_updated_on": "2026-07-08"})  # the support plan, then the brief

    decide(app, ref, "consultant_chosen", chosen)  # no new mission listed: the earlier list is recorded
    work.run_pending(app)
    assert [c["data"]["_spawn"]["item"] for c in children(app, ref)] == ["Marché", "Statuts"]

    decide(app, ref, "done", MISSION_DONE)
    decide(app, ref, "new_needs", {"jobs_created": "1", "jobs_kept": "3", "financial_health": "stable",
                                   "new_needs": "Recruter"})  # fmt: skip
    decide(app, ref, "new_brief", {"plan_updated_on": "2026-07-08"})
    decide(app, ref, "consultant_chosen", chosen | {"parallel_missions": "Statuts;Recrutement"})
    work.run_pending(app)
    assert [c["data"]["_spawn"]["item"] for c in children(app, ref)] == ["Marché", "Statuts", "Recrutement"]
