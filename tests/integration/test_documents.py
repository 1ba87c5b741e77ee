"""The documents automatic steps render: in fr, nl and en, with the case's own data, attached and audited."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from sqlalchemy import select

from builders import (
    DIAGNOSIS_ACCEPTED,
    INTAKE_RELEVANT,
    PLAN_VALIDATED,
    VALID_SIRET,
    decide,
    make_org,
    make_person,
    make_project,
    open_case,
    open_diagnosis,
)
from pathways.bootstrap import App
from pathways.domain.spec import LANGS
from pathways.services.casework import documents, lookup, work
from pathways.services.reporting import impact
from pathways.services.tx import write
from pathways.store.core import AUDIT, CASE

WORDS: dict[str, dict[str, str]] = {
    "fr": {
        "diagnosis": "<h1>Diagnostic partagé</h1>",
        "issues": "<h2>Enjeux prioritaires</h2>",
        "validated": "20 juillet 2026",
        "form": "Association loi 1901",
        "plan": "<h1>Parcours d'accompagnement</h1>",
        "committee": "15 septembre 2026",
        "yes": "<td>oui</td>",
        "agreement": "<h1>Convention de transfert de savoir-faire</h1>",
        "window": "15 octobre 2026",
        "topic": "Gouvernance",
        "kit": "<h1>Kit d'essaimage : liste de contrôle</h1>",
        "pilot": "1 septembre 2023",
        "brief": "<h1>Cahier des charges</h1>",
        "owner": "Porteur·se de projet",
    },
    "nl": {
        "diagnosis": "<h1>Gezamenlijke diagnose</h1>",
        "issues": "<h2>Prioritaire aandachtspunten</h2>",
        "validated": "20 juli 2026",
        "form": "Vereniging (Franse wet van 1901)",
        "plan": "<h1>Ondersteuningsplan</h1>",
        "committee": "15 september 2026",
        "yes": "<td>ja</td>",
        "agreement": "<h1>Overeenkomst voor kennisoverdracht</h1>",
        "window": "15 oktober 2026",
        "topic": "Bestuur en governance",
        "kit": "<h1>Replicatiekit: controlelijst</h1>",
        "pilot": "1 september 2023",
        "brief": "<h1>Bestek</h1>",
        "owner": "Projecttrekker",
    },
    "en": {
        "diagnosis": "<h1>Shared diagnosis</h1>",
        "issues": "<h2>Priority issues</h2>",
        "validated": "20 July 2026",
        "form": "Association (French 1901 act)",
        "plan": "<h1>Support plan</h1>",
        "committee": "15 September 2026",
        "yes": "<td>yes</td>",
        "agreement": "<h1>Peer-transfer agreement</h1>",
        "window": "15 October 2026",
        "topic": "Governance",
        "kit": "<h1>Replication kit checklist</h1>",
        "pilot": "1 September 2023",
        "brief": "<h1>Consulting brief</h1>",
        "owner": "Project lead",
    },
}


def people(app: App, lang: str | None) -> tuple[int, int, int]:
    """An organisation (French by default), its officer, and a project owner speaking `lang`."""
    org = make_org(app)
    officer = make_person(app, org, name="Camille Officier")
    owner = make_person(app, org, name="Awa Porteuse", role="owner", language=lang)
    return org, officer, owner


def docs(app: App, ref: str) -> dict[str, str]:
    """The case's documents by template name (the latest of each), after running the queued steps."""
    work.run_pending(app)
    with app.store.read() as conn:
        found = documents.list_documents(conn, ref)
        return {
            d.name.removeprefix(f"{ref}-").removesuffix(".html"): documents.get_document(
                conn, ref, d.id
            ).content
            for d in found
        }


def diagnosis_to_committee(app: App, lang: str | None) -> tuple[str, int]:
    org, officer, owner = people(app, lang)
    project = make_project(app, org, owner=owner, name="Ressourcerie du Port", siret=VALID_SIRET)
    ref = open_diagnosis(app, project, officer).ref
    decide(app, ref, "relevant", INTAKE_RELEVANT)
    decide(app, ref, "accepted", DIAGNOSIS_ACCEPTED)
    decide(app, ref, "validated", PLAN_VALIDATED | {"consulting_missions": "Modèle économique;Gouvernance"})
    return ref, officer


@pytest.mark.parametrize("lang", LANGS)
def test_the_shared_diagnosis_is_written_in_the_owners_language_with_what_the_diagnosis_recorded(
    app: App, lang: str
) -> None:
    ref, _ = diagnosis_to_committee(app, lang)

    html = docs(app, ref)["diagnosis.support_plan"]

    words = WORDS[lang]
    assert f'<html lang="{lang}">' in html
    assert words["diagnosis"] in html
    assert words["issues"] in html
    assert "Modèle économique, gouvernance" in html  # priority issues, as recorded
    assert words["validated"] in html
    assert words["form"] in html
    assert "Consolider le modèle économique" in html  # the request recorded at intake
    assert "Ressourcerie du Port" in html
    assert "SIRET 732 829 320 00074" in html
    assert "Awa Porteuse" in html


@pytest.mark.parametrize("lang", LANGS)
def test_the_support_plan_goes_to_the_committee_with_its_date_missions_and_board_approval(
    app: App, lang: str
) -> None:
    ref, _ = diagnosis_to_committee(app, lang)

    html = docs(app, ref)["diagnosis.committee"]

    words = WORDS[lang]
    assert words["plan"] in html
    assert words["committee"] in html
    assert words["yes"] in html  # board approval
    assert "<li>Modèle économique</li><li>Gouvernance</li>" in html
    assert "Modèle économique, gouvernance" in html  # the diagnosis it follows


@pytest.mark.parametrize("lang", LANGS)
def test_the_peer_transfer_agreement_names_the_parties_questions_and_three_month_window(
    app: App, lang: str
) -> None:
    org, officer, owner = people(app, lang)
    resource = make_person(app, org, name="Claire Fontaine", role="resource")
    project = make_project(app, org, owner=owner, name="Régie de territoire")
    ref = open_case(app, project, officer, "peer_transfer").ref
    request = {"beneficiary_role": "salaried_director", "network": "PTCE Lyon Sud", "topics": "governance;hr"}
    decide(
        app, ref, "eligible", request | {"requested_resource_person": str(resource), "reason": "Gouvernance"}
    )
    matched = {"resource_person": str(resource), "resource_employer": "Régie de quartier Lyon 8e"}
    matched |= {
        "framed_questions": "Quel bureau ?;Quelle délégation ?;Quels outils ?",
        "accepted_on": "2026-07-09",
    }
    decide(app, ref, "accepted", matched)
    decide(app, ref, "validated", {"validated_on": "2026-07-15"})

    html = docs(app, ref)["peer_transfer.transfer"]

    words = WORDS[lang]
    assert words["agreement"] in html
    assert "Claire Fontaine" in html
    assert "Régie de quartier Lyon 8e" in html
    assert "<li>Quel bureau ?</li><li>Quelle délégation ?</li><li>Quels outils ?</li>" in html
    assert words["window"] in html  # 3 months after 15 July 2026
    assert words["topic"] in html
    assert "Awa Porteuse" in html


def evaluated_project(app: App, org: int, owner: int) -> int:
    project = make_project(app, org, owner=owner, phase="consolidation", name="Régie de quartier Belleville")
    with write(app) as tx:
        evaluation = impact.add_evaluation(tx, target=project, question="Des emplois durables ?")
        indicator = impact.add_indicator(tx, evaluation=evaluation, name="Emplois", unit="ETP")
        impact.add_value(tx, indicator=indicator, value="21", on=date(2026, 6, 30))
    return project


@pytest.mark.parametrize("lang", LANGS)
def test_the_swarming_kit_checklist_lists_the_recorded_kit(app: App, lang: str) -> None:
    org, officer, owner = people(app, lang)
    project = evaluated_project(app, org, owner)
    ref = open_case(app, project, officer, "swarming").ref
    proven = {"economically_viable": "yes", "viability_evidence": "Comptes"}  # replication_readiness
    kit = {"pilot_since": "2023-09-01", "kit": "Guide méthodologique;Statuts types"}
    decide(app, ref, "ready", kit | proven)

    html = docs(app, ref)["swarming.model_choice"]

    words = WORDS[lang]
    assert words["kit"] in html
    assert '<li class="done">Guide méthodologique</li><li class="done">Statuts types</li>' in html
    assert words["pilot"] in html


@pytest.mark.parametrize("lang", LANGS)
def test_the_consulting_brief_of_a_handed_off_case_carries_the_diagnosis_it_follows(
    app: App, lang: str
) -> None:
    ref, _ = diagnosis_to_committee(app, lang)
    decide(app, ref, "favourable", {"opinion_on": "2026-09-15"})
    work.run_pending(app)
    with app.store.read() as conn:
        child = conn.execute(
            select(CASE.c.ref).where(CASE.c.parent_id == lookup.find_case(conn, ref).id)
        ).scalar_one()

    html = docs(app, child)["ongoing_support.brief"]

    assert WORDS[lang]["brief"] in html
    assert f"({ref})" in html
    assert "Modèle économique, gouvernance" in html
    assert "<li>Modèle économique</li><li>Gouvernance</li>" in html


def test_a_project_without_an_owner_language_gets_its_organisations_language(app: App) -> None:
    org = make_org(app, language="nl", territory="BE-VLG")
    officer = make_person(app, org)
    owner = make_person(app, org, role="owner", language=None)
    project = make_project(app, org, owner=owner, siret=None, bce="0203201340", legal_form="vzw")
    ref = open_diagnosis(app, project, officer).ref
    decide(app, ref, "relevant", INTAKE_RELEVANT | {"legal_form": "asbl"})
    decide(app, ref, "accepted", DIAGNOSIS_ACCEPTED)

    html = docs(app, ref)["diagnosis.support_plan"]

    assert '<html lang="nl">' in html
    assert "KBO 0203.201.340" in html


def history(app: App, case_id: int) -> list[dict[str, Any]]:
    with app.store.read() as conn:
        query = select(AUDIT).where(AUDIT.c.case_id == case_id, AUDIT.c.kind == "document_rendered")
        return [dict(r) for r in conn.execute(query.order_by(AUDIT.c.id)).mappings()]


def test_a_document_shows_the_case_as_it_was_when_its_stage_was_entered_and_a_loop_adds_only_what_changed(
    app: App,
) -> None:
    ref, _ = diagnosis_to_committee(app, "fr")
    decide(app, ref, "with_reservations", {"opinion_on": "2026-09-15", "reservations": "Chiffrer le budget"})
    work.run_pending(app)  # the first committee file is rendered only now, after the reservations
    decide(app, ref, "validated", PLAN_VALIDATED | {"committee_date": "2026-10-13"})
    work.run_pending(app)

    with app.store.read() as conn:
        case_id = lookup.find_case(conn, ref).id
        listed = documents.list_documents(conn, ref)
        contents = [documents.get_document(conn, ref, d.id).content for d in listed]
    stages = [d.stage for d in listed]
    assert stages == ["intake", "support_plan", "committee", "committee"]  # support_plan's twin was unchanged
    first, second = contents[2], contents[3]
    assert "Chiffrer le budget" not in first  # recorded after the first committee was entered
    assert "Chiffrer le budget" in second
    assert "13 octobre 2026" in second
    events = history(app, case_id)
    assert [e["payload"]["stage"] for e in events] == stages
    assert events[2]["payload"]["title"] == f"Parcours d'accompagnement – Ressourcerie du Port ({ref})"
    assert listed[2].title == events[2]["payload"]["title"]
    assert [d.language for d in listed] == ["fr"] * 4
    names = documents.file_names(listed)
    assert len(set(names.values())) == 4
    assert names[listed[3].id] == f"{ref}-diagnosis.committee-{listed[3].id}.html"
